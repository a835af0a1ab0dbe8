// jmixd driven by node-osc (npm "node-osc", https://github.com/MylesBorins/node-osc).
// node-osc hands over plain values (no type tags): [address, ...values].
// A Server on an ephemeral port receives (and sends queries from its own
// socket, so the replies come back to it); Clients send sets and bundles.
// Usage: node node_osc.js SCENARIO OSC_PORT; prints JSON lines (common.js).
"use strict";

const { Client, Server, Message, Bundle } = require("node-osc");
const { out, sleep, Inbox, main, isMeter } = require("./common.js");

function listen(name) {
    const server = new Server(0, "127.0.0.1");
    const inbox = new Inbox(name, isMeter);
    server.on("message", (msg) => {
        inbox.push({ kind: "message", address: msg[0], values: msg.slice(1) });
    });
    server.on("bundle", (b) => {
        inbox.push({ kind: "bundle", timetag: b.timetag, elements: b.elements.length });
        for (const m of b.elements) {
            if (Array.isArray(m)) {
                inbox.push({ kind: "message", address: m[0], values: m.slice(1), inBundle: true });
            }
        }
    });
    // a datagram node-osc cannot decode arrives here, not as a message
    server.on("error", (e) => inbox.push({ kind: "error", error: String(e && e.message || e) }));
    return new Promise((resolve) => server.on("listening", () => resolve({ server, inbox })));
}

function isMsg(addresses) {
    return (m) => m.kind === "message" && addresses.includes(m.address);
}

// sent from the server's socket: the reply comes back to it
async function query(s, ports, address, timeoutMs) {
    s.inbox.skip();
    await s.server.send(new Message(address), ports.osc, ports.host);
    const r = await s.inbox.next((m) => m.kind === "error" || isMsg([address, "/error"])(m),
                                 timeoutMs || 2000);
    out({ ev: "query", address, reply: r && (r.kind === "error" ? { error: r.error }
                                                                : { address: r.address, values: r.values }) });
    return r;
}

// /subscribe i:port from a Client (feedback to the Server's port); the
// Client answers the confirmation the Server received
async function subscribe(s, client) {
    await client.send("/subscribe", s.server.port);
    const conf = await s.inbox.next(isMsg(["/subscribe/confirm", "/error"]), 2000);
    out({ ev: "confirm", reply: conf && { address: conf.address, values: conf.values } });
    if (!conf || conf.address !== "/subscribe/confirm") {
        throw new Error("no /subscribe/confirm for /subscribe");
    }
    await client.send("/subscribe/confirm", conf.values[0]);
    return conf;
}

async function dumpEnd(s, timeoutMs) {
    const end = await s.inbox.next((m) => m.kind === "error" || isMsg(["/dump/end"])(m), timeoutMs);
    out({ ev: "dump_end", reply: end && (end.kind === "error" ? { error: end.error }
                                                              : { address: end.address, values: end.values }) });
    return end;
}

const scenarios = {
    // set /strip/1/fader -6 (node-osc sends a whole number as 'i'), query it
    async set_query(ports) {
        const s = await listen("srv");
        const c = new Client(ports.host, ports.osc);
        await c.send("/strip/1/fader", -6);
        await query(s, ports, "/strip/1/fader");
        await c.send("/strip/1/fader", -6.5);
        await query(s, ports, "/strip/1/fader");
        await c.close();
        await s.server.close();
    },

    // subscribe with a port, confirm; another Client sets /strip/1/fader -12.5
    async subscribe(ports) {
        const s = await listen("sub");
        const c = new Client(ports.host, ports.osc);
        const other = new Client(ports.host, ports.osc);
        await subscribe(s, c);
        await sleep(150);
        s.inbox.skip();
        await other.send("/strip/1/fader", -12.5);
        const fb = await s.inbox.next(
            (m) => isMsg(["/strip/1/fader"])(m) && m.values[0] === -12.5, 2000);
        out({ ev: "feedback", reply: fb && { address: fb.address, values: fb.values } });
        const meter = await s.inbox.next(isMsg(["/meter/strip/1"]), 2000);
        out({ ev: "meter", reply: meter && { address: meter.address, values: meter.values } });
        await c.send("/unsubscribe", s.server.port);
        await c.close();
        await other.close();
        await s.server.close();
    },

    // the state dump as node-osc decodes it (every type it carries must be one
    // node-osc knows)
    async dump(ports) {
        const s = await listen("sub");
        const c = new Client(ports.host, ports.osc);
        await c.send("/strip/6/fader", -7.25);
        await c.send("/strip/6/mute", 1);
        await query(s, ports, "/strip/6/mute");
        await subscribe(s, c);
        await dumpEnd(s, 2000);
        await c.send("/unsubscribe", s.server.port);
        await c.send("/strip/6/mute", 0);
        await query(s, ports, "/strip/6/mute");
        await c.close();
        await s.server.close();
    },

    // /stats (and /stats/64) as node-osc decodes them, or its error
    async stats(ports) {
        const s = await listen("srv");
        await query(s, ports, "/stats", 1500);
        await query(s, ports, "/stats/64", 1500);
        await s.server.close();
    },

    // a Bundle (node-osc's default timetag 0 is written as immediate, 0x1)
    // setting two parameters of strip 4
    async bundle(ports) {
        const s = await listen("srv");
        const c = new Client(ports.host, ports.osc);
        await c.send(new Bundle(["/strip/4/fader", -2.5], ["/strip/4/pan", 0.5]));
        await query(s, ports, "/strip/4/fader");
        await query(s, ports, "/strip/4/pan");
        await c.close();
        await s.server.close();
    },
};

main(scenarios);
