// Runs the Open Stage Control session's script widget as Open Stage Control
// 1.x does, against a live jmixd, for a given time; prints what happened as
// JSON. The semantics copied here are those of Open Stage Control's client
// (src/client/widgets/scripts/script-vm.js, src/client/osc.js, widget.js):
//  - onCreate runs with the options {send: true};
//  - a received OSC message sets the widget's value with {send: false}, and
//    its onValue runs with those options: send() there does nothing;
//  - setInterval(id, callback, delay) / setTimeout keep the options of the
//    script that started them;
//  - send(target, address, ...args): args are {type, value} or plain values.
// The "server" side is one UDP socket bound to the feedback port (Open Stage
// Control's --osc-port), which also sends.
// usage: node ostage_vm.js WIDGET_JSON DAEMON_PORT FEEDBACK_PORT SECONDS
'use strict';
const dgram = require('dgram');
const fs = require('fs');

const widget = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const daemonPort = +process.argv[3], fbPort = +process.argv[4], seconds = +process.argv[5];
const t0 = Date.now();
const now = () => (Date.now() - t0) / 1000;
const log = {sent: [], blocked: [], received: [], errors: []};

function pad4(n) { return (n + 3) & ~3; }
function oscString(s) {
    const b = Buffer.alloc(pad4(Buffer.byteLength(s) + 1));
    b.write(s);
    return b;
}
function encode(address, args) {
    let tags = ',';
    const parts = [];
    for (const a of args) {
        const o = (a !== null && typeof a === 'object') ? a
            : {type: typeof a === 'string' ? 's' : 'f', value: a};
        tags += o.type;
        if (o.type === 'i') { const b = Buffer.alloc(4); b.writeInt32BE(o.value); parts.push(b); }
        else if (o.type === 'f') { const b = Buffer.alloc(4); b.writeFloatBE(o.value); parts.push(b); }
        else if (o.type === 's') parts.push(oscString(String(o.value)));
        else throw new Error('type ' + o.type);
    }
    return Buffer.concat([oscString(address), oscString(tags), ...parts]);
}
function readString(buf, pos) {
    const end = buf.indexOf(0, pos);
    return [buf.toString('utf8', pos, end), pad4(end + 1)];
}
function decode(buf) {
    let [address, pos] = readString(buf, 0);
    let tags;
    [tags, pos] = readString(buf, pos);
    const args = [];
    for (const t of tags.slice(1)) {
        if (t === 'i') { args.push(buf.readInt32BE(pos)); pos += 4; }
        else if (t === 'f') { args.push(buf.readFloatBE(pos)); pos += 4; }
        else if (t === 's') { let s; [s, pos] = readString(buf, pos); args.push(s); }
        else return null;
    }
    return {address, tags: tags.slice(1), args};
}

const sock = dgram.createSocket('udp4');
const vars = {};
const intervals = {}, timeouts = {};
let options = null;   // the options of the script running now

function run(code, context, opts) {
    const saved = options;
    options = opts;
    try {
        const names = Object.keys(context);
        // the VM's globals, then the event's variables
        const f = new Function('send', 'setInterval', 'setTimeout', 'clearInterval',
                               'clearTimeout', 'getVar', 'setVar', ...names, code);
        f(send, setIntervalVM, setTimeoutVM, clearIntervalVM, clearTimeoutVM, getVar, setVar,
          ...names.map(k => context[k]));
    } catch (e) {
        log.errors.push(String(e));
    }
    options = saved;
}
function send(target, address, ...args) {
    if (target && target[0] === '/') { args.unshift(address); address = target; target = null; }
    const entry = [now(), target, address, args];
    if (!options || !options.send) { log.blocked.push(entry); return; }
    log.sent.push(entry);
    sock.send(encode(address, args), daemonPort, '127.0.0.1');
}
function timer(table, native, clear, id, callback, delay) {
    if (typeof id === 'function') { delay = callback; callback = id; id = undefined; }
    const opts = options;
    if (table[id] !== undefined) clear(table[id]);
    table[id] = native(() => {
        const saved = options;
        options = opts;
        try { callback(); } catch (e) { log.errors.push(String(e)); }
        options = saved;
    }, delay);
    return id;
}
function setIntervalVM(id, cb, d) { return timer(intervals, setInterval, clearInterval, id, cb, d); }
function setTimeoutVM(id, cb, d) { return timer(timeouts, setTimeout, clearTimeout, id, cb, d); }
function clearIntervalVM(id) { clearInterval(intervals[id]); delete intervals[id]; }
function clearTimeoutVM(id) { clearTimeout(timeouts[id]); delete timeouts[id]; }
function getVar(id, name) { return (vars[id === 'this' ? widget.id : id] || {})[name]; }
function setVar(id, name, value) {
    const k = id === 'this' ? widget.id : id;
    (vars[k] = vars[k] || {})[name] = value;
}

sock.on('message', (buf) => {
    const m = decode(buf);
    if (!m) return;
    log.received.push([now(), m.address, m.tags, m.args]);
    if (m.address === widget.address && widget.onValue) {
        // osc.js: widgets[i].setValue(args, {send: false, sync: true, fromExternal: true})
        const value = m.args.length === 1 ? m.args[0] : m.args;
        run(widget.onValue, {value, id: widget.id, touch: undefined},
            {send: false, sync: true, fromExternal: true});
    }
});
sock.bind(fbPort, '127.0.0.1', () => {
    if (widget.onCreate) run(widget.onCreate, {value: 0}, {sync: true, send: true, onCreate: true});
    setTimeout(() => {
        for (const k in intervals) clearInterval(intervals[k]);
        for (const k in timeouts) clearTimeout(timeouts[k]);
        sock.close();
        process.stdout.write(JSON.stringify(log));
    }, seconds * 1000);
});
