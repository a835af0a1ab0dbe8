// jmixd's OSCQuery namespace read by the npm "oscquery" package
// (https://github.com/jangxx/node-oscquery): OSCQueryDiscovery.queryNewService
// with the console's HTTP address and port (no mDNS), HOST_INFO, the
// namespace as oscquery parses it. oscquery 1.1.1 implements no
// bi-directional communication (its README: "Bi-Directional Communication
// ❌"), so LISTEN is sent over a WebSocket that osc.js's WebSocketPort opens,
// and the streamed binary OSC frames are decoded by osc.js.
// Usage: node oscquery_client.js SCENARIO OSC_PORT WEB_PORT; JSON lines (common.js).
"use strict";

const { OSCQueryDiscovery } = require("oscquery");
const osc = require("osc");
const { out, sleep, Inbox, main, isMeter } = require("./common.js");

function udp(ports) {
    const port = new osc.UDPPort({ localAddress: "127.0.0.1", localPort: 0,
                                   remoteAddress: ports.host, remotePort: ports.osc,
                                   metadata: true });
    return new Promise((resolve) => { port.on("ready", () => resolve(port)); port.open(); });
}

const scenarios = {
    // HOST_INFO and every method of the namespace, as oscquery parses them
    async browse(ports) {
        const disc = new OSCQueryDiscovery();
        const svc = await disc.queryNewService(ports.host, ports.web);
        out({ ev: "host_info", info: svc.hostInfo });
        const methods = svc.flat();
        for (const m of methods) {
            out({ ev: "method", path: m.full_path, access: m.access,
                  description: m.description,
                  arguments: (m.arguments || []).map((a) => ({
                      type: a.type, range: a.range, value: a.value, clipmode: a.clipmode })) });
        }
        const node = svc.resolvePath("/strip/1/fader");
        out({ ev: "resolve", path: "/strip/1/fader", found: !!node,
              value: node && node.getValue(0), node: node && node.serialize() });
        out({ ev: "resolve", path: "/strip/99/fader", found: !!svc.resolvePath("/strip/99/fader") });
    },

    // mDNS: OSCQueryDiscovery browses _oscjson._tcp (bonjour-service) and
    // queries each service it finds; wait for the one on WEB_PORT
    async discover(ports) {
        const disc = new OSCQueryDiscovery();
        const found = new Promise((resolve) => {
            disc.on("up", (svc) => {
                out({ ev: "up", address: svc.address, port: svc.port, name: svc.hostInfo.name });
                if (svc.port === ports.web) resolve(svc);
            });
        });
        disc.on("error", (e) => out({ ev: "discovery_error", error: String(e && e.message || e) }));
        disc.start();
        const svc = await Promise.race([found, sleep(8000).then(() => null)]);
        // what the mDNS browser saw, for a failure report (private field of oscquery)
        const seen = disc._mdnsBrowser ? disc._mdnsBrowser.services : [];
        out({ ev: "mdns_seen", services: seen.map((s) => ({ name: s.name, port: s.port,
                                                             addresses: s.addresses })) });
        out({ ev: "discovered", found: !!svc,
              address: svc && svc.address, info: svc && svc.hostInfo,
              methods: svc ? svc.flat().length : 0,
              fader: svc && svc.resolvePath("/strip/1/fader") &&
                  svc.resolvePath("/strip/1/fader").serialize() });
        disc.stop();
    },

    // LISTEN /strip/1/fader over the WebSocket; a change sent over OSC
    // (osc.js UDP) arrives as a binary OSC frame
    async listen(ports) {
        const ws = new osc.WebSocketPort({ url: "ws://" + ports.host + ":" + ports.web + "/",
                                           metadata: true });
        const inbox = new Inbox("ws", isMeter);
        ws.on("message", (msg) => inbox.push({ kind: "message", address: msg.address, args: msg.args }));
        ws.on("error", (e) => inbox.push({ kind: "error", error: String(e && e.message || e) }));
        await new Promise((resolve, reject) => {
            ws.on("ready", resolve);
            ws.on("error", reject);
            ws.open();
        });
        // the OSCQuery command is JSON in a text frame, on the socket osc.js opened
        ws.socket.send(JSON.stringify({ COMMAND: "LISTEN", DATA: "/strip/1/fader" }));
        await sleep(100);
        const u = await udp(ports);
        for (const v of [-20, -4.5]) {
            inbox.skip();
            u.send({ address: "/strip/1/fader", args: [{ type: "f", value: v }] });
            const m = await inbox.next((x) => x.kind === "message" && x.address === "/strip/1/fader" &&
                                       x.args[0].value === v, 2000);
            out({ ev: "listened", sent: v, reply: m && { address: m.address, args: m.args } });
        }
        // a parameter not listened to is not streamed
        inbox.skip();
        u.send({ address: "/strip/2/fader", args: [{ type: "f", value: -1 }] });
        const other = await inbox.next((x) => x.kind === "message" && x.address === "/strip/2/fader", 300);
        out({ ev: "not_listened", reply: other && { address: other.address, args: other.args } });
        u.close();
        ws.close();
    },
};

main(scenarios);
