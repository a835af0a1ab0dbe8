// Shared plumbing of the npm client scripts (tests/clients/*.js): JSON-lines
// output, an inbox per socket with "wait for the next message that ..."
// and the scenario runner. No OSC encoding or decoding here: that is each
// client library's job (tests/integration/test_clients_npm.py).
"use strict";

const T0 = process.hrtime.bigint();

// milliseconds since the script started
function now() {
    return Number(process.hrtime.bigint() - T0) / 1e6;
}

// one JSON object per line on stdout; values JSON cannot carry (int64 as
// a Long object, Buffers) are turned into strings or arrays first
function out(obj) {
    process.stdout.write(JSON.stringify(obj, (k, v) => {
        if (v && typeof v === "object" && typeof v.toString === "function" &&
            "low" in v && "high" in v && "unsigned" in v) {
            return v.toString();             // a long.js Long (osc.js 'h')
        }
        if (typeof v === "bigint") return v.toString();
        if (v && v.type === "Buffer" && Array.isArray(v.data)) return v.data;
        return v;
    }) + "\n");
}

function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

// Received packets of one socket, in order. next() takes the first not yet
// taken one that matches; the ones it passes over stay recorded (every
// packet is also printed as it arrives, so the test sees everything).
class Inbox {
    constructor(name, quiet) {
        this.name = name;
        this.quiet = quiet || (() => false);
        this.items = [];
        this.pos = 0;
        this.waiters = [];
    }

    push(item) {
        item.t = now();
        this.items.push(item);
        if (!this.quiet(item)) out(Object.assign({ ev: "recv", port: this.name }, item));
        for (const w of this.waiters.slice()) w();
    }

    // the next item from the cursor on that matches pred, or null after timeoutMs
    next(pred, timeoutMs) {
        return new Promise((resolve) => {
            let timer = null;
            const look = () => {
                for (let i = this.pos; i < this.items.length; i++) {
                    if (pred(this.items[i])) {
                        this.pos = i + 1;
                        this.waiters = this.waiters.filter((w) => w !== look);
                        if (timer) clearTimeout(timer);
                        resolve(this.items[i]);
                        return true;
                    }
                }
                return false;
            };
            if (look()) return;
            this.waiters.push(look);
            timer = setTimeout(() => {
                this.waiters = this.waiters.filter((w) => w !== look);
                resolve(null);
            }, timeoutMs);
        });
    }

    // skip everything received so far
    skip() {
        this.pos = this.items.length;
    }
}

// Exit once everything written to stdout has left: process.exit() right
// after a write into a full pipe drops what is still queued (a namespace
// browse lost its last lines and its "done" that way).
function exitFlushed(code) {
    process.stdout.write("", () => process.exit(code));
}

// argv: SCENARIO OSC_PORT [WEB_PORT]; runs scenarios[SCENARIO](ports),
// prints {"ev":"done"} or {"ev":"fatal"} and exits
function main(scenarios) {
    const [name, oscPort, webPort] = process.argv.slice(2);
    const run = scenarios[name];
    if (!run || !oscPort) {
        out({ ev: "fatal", error: "usage: SCENARIO OSC_PORT [WEB_PORT]; scenarios: " +
              Object.keys(scenarios).join(" ") });
        exitFlushed(2);
        return;
    }
    const ports = { osc: Number(oscPort), web: Number(webPort || 0), host: "127.0.0.1" };
    const guard = setTimeout(() => {
        out({ ev: "fatal", error: "scenario " + name + " did not finish within 20 s" });
        exitFlushed(1);
    }, 20000);
    Promise.resolve().then(() => run(ports)).then(() => {
        clearTimeout(guard);
        out({ ev: "done", t: now() });
        exitFlushed(0);
    }, (err) => {
        clearTimeout(guard);
        out({ ev: "fatal", error: String(err && err.stack || err) });
        exitFlushed(1);
    });
}

// meters arrive at 20 Hz at every subscriber: recorded, not printed
function isMeter(item) {
    return typeof item.address === "string" && item.address.startsWith("/meter/");
}

module.exports = { now, out, sleep, Inbox, main, isMeter };
