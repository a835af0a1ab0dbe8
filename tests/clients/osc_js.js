// jmixd driven by osc.js (npm "osc", https://github.com/colinbdclark/osc.js),
// with metadata: true so every argument arrives as {type, value}.
// Usage: node osc_js.js SCENARIO OSC_PORT [WEB_PORT]; prints JSON lines
// (common.js). Run by tests/integration/test_clients_npm.py.
"use strict";

const osc = require("osc");
const { now, out, sleep, Inbox, main, isMeter } = require("./common.js");

const IMMEDIATE = { raw: [0, 1] };

// a UDP port of osc.js on an ephemeral local port, talking to the console
function open(ports, name) {
    const port = new osc.UDPPort({
        localAddress: "127.0.0.1", localPort: 0,
        remoteAddress: ports.host, remotePort: ports.osc,
        metadata: true,
    });
    const inbox = new Inbox(name, isMeter);
    let rawBytes = 0;
    port.on("raw", (data) => { rawBytes = data.length; });
    // one "packet" item per datagram (its size, bundle or not, timetag),
    // then one "message" item per message in it
    port.on("osc", (packet) => {
        inbox.push({
            kind: "packet", bytes: rawBytes, bundle: !packet.address,
            timeTag: packet.timeTag ? packet.timeTag.raw : null,
            elements: packet.packets ? packet.packets.length : 1,
            address: packet.address,
        });
    });
    port.on("message", (msg, timeTag) => {
        inbox.push({ kind: "message", address: msg.address, args: msg.args,
                     timeTag: timeTag ? timeTag.raw : null });
    });
    port.on("error", (e) => inbox.push({ kind: "error", error: String(e && e.message || e) }));
    return new Promise((resolve) => {
        port.on("ready", () => resolve({ port, inbox, local: port.socket.address().port }));
        port.open();
    });
}

function isMsg(addresses) {
    return (m) => m.kind === "message" && addresses.includes(m.address);
}

// the address with no argument; the reply comes back on the same address
async function query(c, address, timeoutMs) {
    c.inbox.skip();
    c.port.send({ address, args: [] });
    const r = await c.inbox.next(isMsg([address, "/error"]), timeoutMs || 2000);
    out({ ev: "query", address, reply: r && { address: r.address, args: r.args } });
    return r;
}

function set(c, address, type, value) {
    c.port.send({ address, args: [{ type, value }] });
}

// /subscribe from this port, answer the confirmation with the token received
async function subscribe(sub) {
    sub.port.send({ address: "/subscribe", args: [] });
    const conf = await sub.inbox.next(isMsg(["/subscribe/confirm", "/error"]), 2000);
    out({ ev: "confirm", reply: conf && { address: conf.address, args: conf.args } });
    if (!conf || conf.address !== "/subscribe/confirm") {
        throw new Error("no /subscribe/confirm for /subscribe");
    }
    sub.port.send({ address: "/subscribe/confirm", args: [conf.args[0]] });
    return conf;
}

function unsubscribe(sub) {
    sub.port.send({ address: "/unsubscribe", args: [] });
}

// every message up to /dump/end (or null after timeoutMs)
async function dumpEnd(sub, timeoutMs) {
    const end = await sub.inbox.next(isMsg(["/dump/end"]), timeoutMs);
    out({ ev: "dump_end", reply: end && { address: end.address, args: end.args } });
    return end;
}

const scenarios = {
    // set /strip/1/fader f -6, query it; set /strip/5/mute i 1, query it
    async set_query(ports) {
        const c = await open(ports, "ctl");
        set(c, "/strip/1/fader", "f", -6);
        await query(c, "/strip/1/fader");
        set(c, "/strip/5/mute", "i", 1);
        await query(c, "/strip/5/mute");
        set(c, "/strip/5/mute", "i", 0);
        await query(c, "/strip/5/mute");
        c.port.close();
    },

    // subscribe, confirm; another port sets /strip/1/fader -12.5, the
    // subscriber sees it
    async subscribe(ports) {
        const sub = await open(ports, "sub");
        const ctl = await open(ports, "ctl");
        await subscribe(sub);
        await sleep(150);
        sub.inbox.skip();
        set(ctl, "/strip/1/fader", "f", -12.5);
        const fb = await sub.inbox.next(
            (m) => isMsg(["/strip/1/fader"])(m) && m.args[0].value === -12.5, 2000);
        out({ ev: "feedback", reply: fb && { address: fb.address, args: fb.args } });
        const meter = await sub.inbox.next(isMsg(["/meter/strip/1"]), 2000);
        out({ ev: "meter", reply: meter && { address: meter.address, args: meter.args } });
        unsubscribe(sub);
        sub.port.close();
        ctl.port.close();
    },

    // values set first; a new subscriber gets them all in bundles ending
    // with /dump/end; then /dump s:/strip/6 for that strip alone
    async dump(ports) {
        const sub = await open(ports, "sub");
        const ctl = await open(ports, "ctl");
        set(ctl, "/strip/6/fader", "f", -7.25);
        set(ctl, "/strip/6/mute", "i", 1);
        await query(ctl, "/strip/6/mute");
        await subscribe(sub);
        await dumpEnd(sub, 2000);
        out({ ev: "mark", what: "prefix" });
        sub.port.send({ address: "/dump", args: [{ type: "s", value: "/strip/6" }] });
        await dumpEnd(sub, 1500);
        unsubscribe(sub);
        set(ctl, "/strip/6/mute", "i", 0);
        await query(ctl, "/strip/6/mute");
        sub.port.close();
        ctl.port.close();
    },

    // /stats and /stats/64, with the type tags osc.js reads
    async stats(ports) {
        const c = await open(ports, "ctl");
        for (const address of ["/stats", "/stats/64"]) {
            c.inbox.skip();
            c.port.send({ address, args: [] });
            const r = await c.inbox.next((m) => m.kind === "error" ||
                                         isMsg([address, "/error"])(m), 1500);
            out({ ev: "stats", address,
                  reply: r && (r.kind === "error" ? { error: r.error }
                                                  : { address: r.address, args: r.args }) });
        }
        c.port.close();
    },

    // a bundle (timetag immediate) setting two parameters of strip 2
    async bundle(ports) {
        const c = await open(ports, "ctl");
        c.port.send({ timeTag: IMMEDIATE, packets: [
            { address: "/strip/2/fader", args: [{ type: "f", value: -3.5 }] },
            { address: "/strip/2/pan", args: [{ type: "f", value: 0.25 }] },
        ] });
        await query(c, "/strip/2/fader");
        await query(c, "/strip/2/pan");
        c.port.close();
    },

    // a bundle timed 200 ms ahead (osc.timeTag: NTP from the system clock)
    // setting strip 3; queried right after sending and every ~20 ms
    async bundle_future(ports) {
        const c = await open(ports, "ctl");
        await query(c, "/strip/3/fader");
        const ahead = 0.2;
        const t0 = now();
        c.port.send({ timeTag: osc.timeTag(ahead), packets: [
            { address: "/strip/3/fader", args: [{ type: "f", value: -9 }] },
            { address: "/strip/3/pan", args: [{ type: "f", value: -0.5 }] },
        ] });
        out({ ev: "sent_future", ahead_ms: ahead * 1000 });
        while (now() - t0 < 600) {
            const sent = now() - t0;
            const r = await query(c, "/strip/3/fader", 1000);
            out({ ev: "poll", sent, recv: now() - t0, value: r && r.args[0] && r.args[0].value });
            await sleep(20);
        }
        await query(c, "/strip/3/pan");
        c.port.close();
    },
};

main(scenarios);
