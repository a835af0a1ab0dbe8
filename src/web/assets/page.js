"use strict";
(function () {
  var C = JM_CFG, P = C.P, ctl = {}, ws = null, meterSet = {};
  var st = window.jm = { connected: false, frames: 0, sent: 0 };
  /* last[idx] = [value, norm] as last received; a control registered for
   * a parameter (reg) gets every change; a channel view's controls are
   * registered while it is open (tracking) and dropped when it closes */
  var last = {}, view = null, tracking = null, fs = 48000;
  function reg(idx, c) {
    (ctl[idx] = ctl[idx] || []).push(c);
    if (tracking) tracking.push([idx, c]);
    if (last[idx]) c.set(last[idx][0], last[idx][1]);
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, parent, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function clamp(x) { return x < 0 ? 0 : x > 1 ? 1 : x; }
  function send(o) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(o)); st.sent++; }
  }
  function fmt(p, v) {
    if (p.k === "fader") return v <= -89.95 ? "-\u221e" : (v > 0 ? "+" : "") + v.toFixed(1);
    if (/\/pan$/.test(p.p)) return Math.abs(v) < 0.005 ? "C" : (v < 0 ? "L" : "R") + Math.round(Math.abs(v) * 100);
    if (p.k === "enum") return (p.c && p.c[Math.round(v)]) || String(v);
    var a = Math.abs(v), t = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
    return p.u ? t + " " + p.u : t;
  }
  /* X32 fader law (docs/dsp.md), for the scale marks only */
  function x32norm(d) {
    return d < -60 ? (d + 90) / 480 : d < -30 ? (d + 70) / 160 : d < -10 ? (d + 50) / 80 : (d + 30) / 40;
  }
  /* A continuous control: a vertical fader or a horizontal slider. It sends
   * its /norm twin (the parameter's taper), and PATH/touch 1 and 0 around a
   * drag (automation touch). While the pointer holds it, values coming back
   * only update the readout, so the fader is never yanked by its own echo. */
  function slider(parent, idx, id, horiz, cls) {
    var p = P[idx], box = el("div", (horiz ? "hs" : "fader") + (cls ? " " + cls : ""), parent);
    box.id = id;
    box.dataset.path = p.p;
    if (!horiz && p.k === "fader")
      [10, 0, -10, -20, -30, -40, -60].forEach(function (d) {
        var t = el("div", "tick", box);
        t.style.top = "calc(8px + " + (1 - x32norm(d)) + " * (100% - 16px))";
        el("span", null, t, d > 0 ? "+" + d : String(d));
      });
    var thumb = el("div", "thumb", box);
    var c = { held: false, n: p.d, v: null, label: null };
    var last = 0, timer = 0, pending = null, start = 0, startN = 0;
    function pos(n) { c.n = n; box.style.setProperty("--n", n); box.dataset.norm = n.toFixed(4); }
    function flush() {
      if (timer) { clearTimeout(timer); timer = 0; }
      if (pending == null) return;
      send({ a: p.p + "/norm", v: pending });
      pending = null;
      last = performance.now();
    }
    function queue(n) {
      pending = n;
      var dt = performance.now() - last;
      if (dt >= 15) flush(); else if (!timer) timer = setTimeout(flush, 15 - dt);
    }
    function span() {
      var r = box.getBoundingClientRect();
      return Math.max(1, horiz ? r.width - 14 : r.height - 16);
    }
    function at(e) {
      var r = box.getBoundingClientRect();
      return horiz ? (e.clientX - r.left - 7) / span() : 1 - (e.clientY - r.top - 8) / span();
    }
    function onThumb(e) {
      var r = thumb.getBoundingClientRect();
      return e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
    }
    box.addEventListener("pointerdown", function (e) {
      if (e.button > 0 || c.held) return;
      e.preventDefault();
      box.setPointerCapture(e.pointerId);
      c.held = true;
      box.classList.add("held");
      send({ a: p.p + "/touch", v: 1 });
      if (!onThumb(e)) { pos(clamp(at(e))); queue(c.n); }
      start = horiz ? e.clientX : e.clientY;
      startN = c.n;
    });
    box.addEventListener("pointermove", function (e) {
      if (!c.held) return;
      var d = (horiz ? e.clientX - start : start - e.clientY) / span(), n = clamp(startN + d);
      if (n !== c.n) { pos(n); queue(n); }
    });
    function release() {
      if (!c.held) return;
      flush();
      c.held = false;
      box.classList.remove("held");
      send({ a: p.p + "/touch", v: 0 });
    }
    box.addEventListener("pointerup", release);
    box.addEventListener("pointercancel", release);
    box.addEventListener("lostpointercapture", release);
    box.addEventListener("dblclick", function () { send({ a: p.p + "/norm", v: p.d }); });
    c.set = function (v, n) {
      c.v = v;
      box.dataset.value = v;
      if (c.label) c.label.textContent = fmt(p, v);
      if (!c.held) pos(n);
    };
    pos(p.d);
    reg(idx, c);
    return c;
  }
  function toggle(parent, idx, id, cls, text) {
    var p = P[idx], b = el("button", cls, parent, text), c = { v: 0 };
    b.id = id;
    b.dataset.path = p.p;
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", function () { send({ a: p.p, v: c.v >= 0.5 ? 0 : 1 }); });
    c.set = function (v) {
      c.v = v;
      b.dataset.value = v;
      b.setAttribute("aria-pressed", v >= 0.5 ? "true" : "false");
    };
    reg(idx, c);
    return c;
  }
  function choice(parent, idx, id) {
    var p = P[idx], box = el("div", "choices", parent), bs = [], c = {};
    box.id = id;
    box.dataset.path = p.p;
    (p.c || []).forEach(function (name, k) {
      var b = el("button", null, box, name);
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", function () { send({ a: p.p, v: k }); });
      bs.push(b);
    });
    c.set = function (v) {
      box.dataset.value = v;
      bs.forEach(function (b, k) { b.setAttribute("aria-pressed", k === Math.round(v) ? "true" : "false"); });
    };
    reg(idx, c);
    return c;
  }
  /* Peak meters over -60..0 dBFS; data-db holds the last reading. */
  function meter(parent, id, n) {
    var box = el("div", "meters", parent), bars = [];
    box.id = id;
    for (var k = 0; k < n; k++) { var b = el("div", "meter", box); bars.push([b, el("i", null, b)]); }
    meterSet[id] = function (dbs) {
      var top = -120;
      bars.forEach(function (bc, k) {
        var db = dbs[k] == null ? -120 : dbs[k];
        top = Math.max(top, db);
        bc[0].dataset.db = db;
        bc[1].style.height = (100 * (1 - clamp((db + 60) / 60))).toFixed(1) + "%";
      });
      box.dataset.db = top;
    };
  }
  /* A strip's name; on the desk, tapping it opens its channel view. */
  function name(box, title, sub, kind, i) {
    var n = el("div", "name", box);
    if (sub != null) el("small", null, n, sub);
    n.appendChild(document.createTextNode(title));
    n.title = title;
    if (kind) {
      n.classList.add("link");
      n.setAttribute("role", "button");
      n.tabIndex = 0;
      n.title = title + ": channel view";
      n.addEventListener("click", function () { openView(kind, i); });
      n.addEventListener("keydown", function (e) { if (e.key === "Enter") openView(kind, i); });
    }
  }
  function faderBody(box, idx, id, meterId, bars) {
    var body = el("div", "body", box);
    meter(body, meterId, bars);
    var f = idx != null ? slider(body, idx, id, false) : null;
    if (f) f.label = el("div", "val", box);
    return f;
  }
  /* A performer's mix: one fader per strip (its send into the bus, with
   * the strip's meter), the bus's fader, mute and limiter gain reduction. */
  function buildMix() {
    var desk = $("desk"), X = C.mix;
    C.strips.forEach(function (s) {
      var id = "s" + s.i, box = el("section", "strip", desk);
      box.id = id;
      name(box, s.n, String(s.i));
      faderBody(box, s.send, id + "-send", id + "-meter", 1);
    });
    el("div", "gap", desk);
    var box = el("section", "strip bus", desk);
    box.id = "bus";
    name(box, X.bus, "my mix");
    faderBody(box, X.fader, "bus-fader", "bus-meter", 1);
    if (X.aux) { var g = el("div", "gr", box, "GR 0.0"); g.id = "bus-gr"; }
    var bt = el("div", "btns", box);
    if (X.mute != null) toggle(bt, X.mute, "bus-mute", "mute", "Mute");
  }
  function build() {
    if (C.mix) { buildMix(); return; }
    var desk = $("desk");
    C.strips.forEach(function (s, k) {
      var id = "s" + (k + 1), box = el("section", "strip", desk);
      box.id = id;
      name(box, s.n, String(k + 1), "strip", k + 1);
      if (s.pan != null) {
        var pc = slider(box, s.pan, id + "-pan", true, "pan");
        pc.label = el("div", "val small", box);
      }
      faderBody(box, s.fader, id + "-fader", id + "-meter", 1);
      var bt = el("div", "btns", box);
      if (s.mute != null) toggle(bt, s.mute, id + "-mute", "mute", "M");
      if (s.solo != null) toggle(bt, s.solo, id + "-solo", "solo", "S");
    });
    if (C.buses.length) el("div", "gap", desk);
    C.buses.forEach(function (b, k) {
      var id = "b" + (k + 1), box = el("section", "strip bus", desk);
      box.id = id;
      name(box, b.n, b.t, "bus", k + 1);
      faderBody(box, b.fader, id + "-fader", id + "-meter", 1);
      var bt = el("div", "btns", box);
      if (b.mute != null) toggle(bt, b.mute, id + "-mute", "mute", "M");
    });
    el("div", "gap", desk);
    var m = el("section", "strip master", desk);
    m.id = "master";
    name(m, "Master", "L R", "master", 0);
    faderBody(m, C.master.fader, "m-fader", "m-meter", 2);
    var mb = el("div", "btns", m);
    if (C.master.mono != null) toggle(mb, C.master.mono, "m-mono", "tog", "Mono");
    if (C.mon) {
      var mon = el("section", "strip mon", desk), rest = el("div", "btns", null);
      mon.id = "monitor";
      name(mon, "Monitor", "control room");
      C.mon.forEach(function (idx) {
        var p = P[idx], leaf = p.p.replace(/^\/monitor\//, ""), id = "mon-" + leaf.replace(/\//g, "-");
        if (p.k === "fader") {
          var body = el("div", "body", mon), f = slider(body, idx, id, false);
          f.label = el("div", "val", mon);
        } else if (p.k === "bool") toggle(rest, idx, id, "tog", leaf);
        else if (p.k === "enum") choice(mon, idx, id);
        else { var s = slider(mon, idx, id, true); s.label = el("div", "val small", mon); }
      });
      mon.appendChild(rest);
    }
    $("loud-reset").addEventListener("click", function () { send({ a: "/loudness/reset" }); });
  }
  function lu(id, v, unit) { $(id).textContent = v == null || v <= -119 ? "\u2013" : v.toFixed(1) + (unit || ""); }
  function meters(m) {
    if (m.fs && m.fs !== fs) { fs = m.fs; if (view) view.redraw(); }
    if (view) view.meters(m);
    (m.s || []).forEach(function (x, k) { var f = meterSet["s" + (k + 1) + "-meter"]; if (f) f([x[0]]); });
    (m.b || []).forEach(function (x, k) { var f = meterSet["b" + (k + 1) + "-meter"]; if (f) f([x[0]]); });
    if (m.o) meterSet["m-meter"]([m.o[0], m.o[1]]);
    if (m.mb) {
      meterSet["bus-meter"]([m.mb[0]]);
      var g = $("bus-gr");
      if (g) { g.textContent = "GR " + (m.mb[2] == null ? 0 : m.mb[2]).toFixed(1); g.dataset.gr = m.mb[2]; }
    }
    if (m.l) {
      lu("loud-m", m.l[0]); lu("loud-s", m.l[1]); lu("loud-i", m.l[2]);
      lu("loud-tp", m.l[3]); $("loud-lra").textContent = m.l[4] == null || m.l[2] <= -119 ? "\u2013" : m.l[4].toFixed(1);
    }
  }
  /* The mix page logs in with the PIN as its socket's first message; the
   * PIN is kept for this tab only, so a reconnection does not ask again. */
  var pin = null, refused = false;
  if (C.mix) {
    try { pin = sessionStorage.getItem("jm-pin-" + C.mix.n); } catch (e) {}
    $("login").addEventListener("submit", function (e) {
      e.preventDefault();
      pin = $("pin").value;
      $("login-err").textContent = "";
      refused = false;
      if (ws) { ws.onclose = null; ws.close(); }
      connect();
    });
  }
  function loggedIn(ok, why) {
    st.login = ok ? "ok" : why;
    if (ok) {
      try { sessionStorage.setItem("jm-pin-" + C.mix.n, pin); } catch (e) {}
      $("login").hidden = true;
      $("desk").hidden = false;
      $("conn").textContent = "live";
      $("conn").className = "on";
      return;
    }
    try { sessionStorage.removeItem("jm-pin-" + C.mix.n); } catch (e) {}
    pin = null;
    refused = true;
    $("login").hidden = false;
    $("desk").hidden = true;
    $("login-err").textContent = why === "too many attempts" ? "Too many attempts: wait a minute." : "Wrong PIN.";
    if (ws) ws.close();
  }
  function connect() {
    var conn = $("conn");
    if (C.mix && pin == null) return;
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + (C.mix ? "/mix/" + encodeURIComponent(C.mix.n) : "/ui"));
    ws.onopen = function () {
      st.connected = true;
      document.body.classList.remove("off");
      if (C.mix) { ws.send(JSON.stringify({ login: C.mix.n, pin: pin })); return; }
      conn.textContent = "live";
      conn.className = "on";
      if (view) send({ a: "/rta/source", s: view.tap });
    };
    ws.onclose = function () {
      st.connected = false;
      document.body.classList.add("off");
      conn.textContent = refused ? "PIN?" : "reconnecting\u2026";
      conn.className = "";
      if (!refused) setTimeout(connect, 1000);
    };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      st.frames++;
      if (m.login != null) { loggedIn(m.why === "ok", m.why); return; }
      if (m.error != null) { st.errors = (st.errors || 0) + 1; st.lastError = m.why; return; }
      (m.p || []).forEach(function (x) {
        last[x[0]] = [x[1], x[2]];
        (ctl[x[0]] || []).forEach(function (c) { c.set(x[1], x[2]); });
        if (view) view.changed(x[0]);
      });
      if (m.m) meters(m.m);
    };
  }
  /* ---- the channel view: one strip, bus or the master, as pictures ----
   * Its controls are the owner's parameters (JM_CFG's "v": every parameter
   * of the table under /strip/N/, /bus/N/ or /master/); SECTIONS only says
   * which leaves go in which section. The EQ curve is the magnitude
   * response of exactly the designs the DSP runs (jm_bq_design in
   * src/dsp/biquad.c: RBJ cookbook, f0 limited to 1 Hz..0.49 fs, Q >= 0.01,
   * at the engine's sample rate, which the gateway learns from /info); the
   * compressor's curve is src/dsp/dynamics.c's gain computer. */
  var SVG = "http://www.w3.org/2000/svg";
  var SECTIONS = [
    ["input", "Input", /^(trim|polarity)$/],
    ["hpf", "High-pass", /^hpf\//],
    ["gate", "Gate", /^gate\//],
    ["eq", "EQ", /^eq\//],
    ["comp", "Compressor", /^comp\//],
    ["limiter", "Limiter", /^limiter\//],
    ["fx", "Effect", /^(reverb|delay)\//],
    ["sends", "Sends", /^send\//],
    ["out", "Output", /^(pan|fader|mute|solo|mono|pfl)$/]
  ];
  /* 1/3-octave mid-band frequencies, IEC 61260-1 base ten: 20 Hz..20 kHz */
  var THIRDS = [];
  for (var tk = -17; tk <= 13; tk++) THIRDS.push(1000 * Math.pow(10, tk / 10));
  function svg(tag, attrs, parent) {
    var e = document.createElementNS(SVG, tag);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fromNorm(p, n) {
    if (p.k === "log") return p.lo * Math.pow(p.hi / p.lo, n);
    if (p.k === "fader") return -90 + 100 * n;
    return p.lo + (p.hi - p.lo) * n;
  }
  function lim(p, v) { return v < p.lo ? p.lo : v > p.hi ? p.hi : v; }
  /* jm_bq_design: [b0, b1, b2, a1, a2] normalised by a0 */
  function design(type, f0, q, gainDb) {
    if (f0 > 0.49 * fs) f0 = 0.49 * fs;
    if (f0 < 1) f0 = 1;
    if (q < 0.01) q = 0.01;
    var w0 = 2 * Math.PI * f0 / fs, cw = Math.cos(w0), al = Math.sin(w0) / (2 * q);
    var A = Math.pow(10, gainDb / 40), sa = 2 * Math.sqrt(A) * al, b0, b1, b2, a0, a1, a2;
    if (type === "hpf") {
      b0 = (1 + cw) / 2; b1 = -(1 + cw); b2 = b0; a0 = 1 + al; a1 = -2 * cw; a2 = 1 - al;
    } else if (type === "peak") {
      b0 = 1 + al * A; b1 = -2 * cw; b2 = 1 - al * A; a0 = 1 + al / A; a1 = -2 * cw; a2 = 1 - al / A;
    } else if (type === "lowshelf") {
      b0 = A * ((A + 1) - (A - 1) * cw + sa); b1 = 2 * A * ((A - 1) - (A + 1) * cw);
      b2 = A * ((A + 1) - (A - 1) * cw - sa); a0 = (A + 1) + (A - 1) * cw + sa;
      a1 = -2 * ((A - 1) + (A + 1) * cw); a2 = (A + 1) + (A - 1) * cw - sa;
    } else {
      b0 = A * ((A + 1) + (A - 1) * cw + sa); b1 = -2 * A * ((A - 1) + (A + 1) * cw);
      b2 = A * ((A + 1) + (A - 1) * cw - sa); a0 = (A + 1) - (A - 1) * cw + sa;
      a1 = 2 * ((A - 1) - (A + 1) * cw); a2 = (A + 1) - (A - 1) * cw - sa;
    }
    return [b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0];
  }
  /* jm_bq_mag_db: |p0 + p1 z^-1 + p2 z^-2|^2 in the sin^2(w/2) form */
  function mag2(p0, p1, p2, s) {
    var sum = p0 + p1 + p2;
    return sum * sum - 4 * s * (p0 * p1 + p1 * p2 + 4 * p0 * p2) + 16 * p0 * p2 * s * s;
  }
  function magDb(c, f) {
    var h = Math.sin(Math.PI * f / fs), s = h * h;
    var num = mag2(c[0], c[1], c[2], s), den = mag2(1, c[3], c[4], s);
    return 10 * Math.log10((num < 1e-300 ? 1e-300 : num) / den);
  }
  /* src/dsp/dynamics.c: the gain computer's over-threshold amount, dB */
  function overDb(x, t, ratio, knee) {
    var slope = 1 - 1 / (ratio >= 1 ? ratio : 1), hw = 0.5 * (knee > 1e-3 ? knee : 1e-3);
    var q = slope / (4 * hw), d = x - t, dk = Math.min(Math.max(d, -hw), hw) + hw;
    return q * dk * dk + slope * Math.max(d - hw, 0);
  }
  /* a value sent at most every 15 ms while it moves (as the faders) */
  function sender(path) {
    var at = 0, timer = 0, pend = null;
    function flush() {
      if (timer) { clearTimeout(timer); timer = 0; }
      if (pend == null) return;
      send({ a: path, v: pend });
      pend = null;
      at = performance.now();
    }
    return { q: function (v) {
      pend = v;
      var dt = performance.now() - at;
      if (dt >= 15) flush(); else if (!timer) timer = setTimeout(flush, 15 - dt);
    }, flush: flush };
  }
  function leafLabel(leaf, sec) {
    var t = leaf.replace(sec === "sends" || sec === "eq" ? /^[a-z]+\/(\d+\/)?/ : /^[a-z]+\//, "");
    return t.replace(/\//g, " ");
  }
  /* One control per parameter, as its taper asks. */
  function control(parent, idx, leaf, sec) {
    var p = P[idx], id = "cv-" + leaf.replace(/\//g, "-"), row = el("div", "cv-row", parent);
    var lab = el("span", "lab", row, sec === "out" || sec === "input" ? leaf : leafLabel(leaf, sec));
    lab.title = p.p;
    if (p.k === "bool") {
      row.classList.add("tg");
      toggle(row, idx, id, /mute$/.test(leaf) ? "mute" : /solo$/.test(leaf) ? "solo" : "tog",
             /\/on$/.test(leaf) ? "On" : leafLabel(leaf, sec));
    } else if (p.k === "enum") {
      choice(row, idx, id);
    } else {
      var s = slider(row, idx, id, true);
      s.label = el("div", "val", row);
      if (last[idx]) s.label.textContent = fmt(p, last[idx][0]);
    }
  }
  function openView(kind, i) {
    if (view && view.kind === kind && view.i === i) return;
    if (view) closeView(true);
    var o = kind === "strip" ? C.strips[i - 1] : kind === "bus" ? C.buses[i - 1] : C.master;
    if (!o || !o.v) return;
    var pre = kind === "master" ? "/master/" : "/" + kind + "/" + i + "/";
    var v = view = { kind: kind, i: i, tap: kind === "master" ? "master" : kind + "/" + i,
                     leaf: {}, local: {}, rta: null, meter: null };
    o.v.forEach(function (idx) { v.leaf[P[idx].p.slice(pre.length)] = idx; });
    tracking = [];
    var box = el("div", null, null);
    box.id = "cv";
    box.dataset.kind = kind;
    box.dataset.index = i;
    var head = el("div", "cv-head", box);
    var back = el("button", null, head, "\u2190 Desk");
    back.id = "cv-back";
    back.addEventListener("click", function () { closeView(); });
    el("h2", null, head, kind === "master" ? "Master" : (kind === "strip" ? i + " " : "") + o.n +
       (kind === "bus" ? " (" + o.t + " bus)" : ""));
    SECTIONS.forEach(function (sd) {
      var leaves = o.v.map(function (idx) { return P[idx].p.slice(pre.length); })
                      .filter(function (l) { return sd[2].test(l); });
      if (!leaves.length) return;
      var card = el("section", "cv-card cv-" + sd[0], box);
      card.id = "cv-sec-" + sd[0];
      el("h3", null, card, sd[1]);
      if (sd[0] === "eq") eqGraph(card, v);
      if (sd[0] === "comp" || sd[0] === "gate") dynPlot(card, v, sd[0]);
      var group = null, gkey = null;
      /* EQ bands and sends: one group each, in band or bus order */
      var keyOf = function (l) { var m = /^(eq|send)\/(\d+)\//.exec(l); return m ? +m[2] : 0; };
      leaves.slice().sort(function (a, b) { return keyOf(a) - keyOf(b); }).forEach(function (l) {
        var k = keyOf(l);
        if (k !== gkey) {
          gkey = k;
          group = k ? el("div", "cv-group", card) : card;
          if (k) el("h4", null, group, sd[0] === "sends" ? (C.buses[k - 1] ? C.buses[k - 1].n +
                    " (" + C.buses[k - 1].t + ")" : "bus " + k) : "band " + k + " \u2013 " +
                    (C.dsp.eqt[k - 1] || ""));
        }
        control(group, v.leaf[l], l, sd[0]);
      });
    });
    v.ctls = tracking;
    tracking = null;
    $("desk").hidden = true;
    $("desk").parentNode.insertBefore(box, $("desk").nextSibling);
    v.box = box;
    v.changed = function (idx) { if (v.watch[idx]) v.redraw(); };
    v.watch = {};
    o.v.forEach(function (idx) {
      if (/^(hpf|eq|comp|gate)\//.test(P[idx].p.slice(pre.length))) v.watch[idx] = 1;
    });
    v.redraw = function () { (v.draws || []).forEach(function (f) { f(); }); };
    v.meters = function (m) {
      var x = kind === "strip" && m.s ? m.s[i - 1] : null;
      if (x) { v.meter = x; (v.mdraws || []).forEach(function (f) { f(); }); }
      if (m.r) drawRta(m.r);
    };
    window.addEventListener("resize", v.redraw);
    v.redraw();
    send({ a: "/rta/source", s: v.tap });
    if (location.hash !== "#" + v.tap) history.replaceState(null, "", "#" + v.tap);
  }
  function closeView(switching) {
    var v = view;
    if (!v) return;
    v.ctls.forEach(function (e) {
      var a = ctl[e[0]], k = a ? a.indexOf(e[1]) : -1;
      if (k >= 0) a.splice(k, 1);
    });
    window.removeEventListener("resize", v.redraw);
    v.box.remove();
    view = null;
    if (switching) return;
    send({ a: "/rta/source", s: "off" });
    $("desk").hidden = false;
    if (location.hash) history.replaceState(null, "", location.pathname);
  }
  function val(v, leaf) {
    var idx = v.leaf[leaf];
    if (idx == null) return null;
    if (v.local[idx] != null) return v.local[idx];
    return last[idx] ? last[idx][0] : fromNorm(P[idx], P[idx].d);
  }
  /* the filters the chain runs, with the values shown */
  function filters(v) {
    var f = [];
    if (v.leaf["hpf/freq"] != null && val(v, "hpf/on") >= 0.5)
      f.push(design("hpf", val(v, "hpf/freq"), C.dsp.hpfq, 0));
    var on = v.leaf["eq/on"] != null ? val(v, "eq/on") : 1;
    for (var b = 1; v.leaf["eq/" + b + "/freq"] != null; b++)
      f.push(design(C.dsp.eqt[b - 1], val(v, "eq/" + b + "/freq"), val(v, "eq/" + b + "/q"),
                    val(v, "eq/" + b + "/gain") * on));
    return f;
  }
  function response(v, hz) {
    var fl = filters(v);
    return hz.map(function (f) {
      var db = 0;
      fl.forEach(function (c) { db += magDb(c, f); });
      return [f, db];
    });
  }
  function eqGraph(card, v) {
    var g = svg("svg", { id: "cv-eq-graph", "class": "graph" }, card);
    var grid = svg("g", { "class": "grid" }, g), rta = svg("g", { id: "cv-rta", "class": "rta" }, g);
    var curve = svg("path", { id: "cv-eq-curve", "class": "curve" }, g);
    var hs = svg("g", null, g), hand = [];
    var W = 0, H = 0;
    function X(f) { return W * Math.log10(f / 20) / 3; }
    function Y(db) { return H * (0.5 - db / 36); }
    v.eqGeom = function () { var r = g.getBoundingClientRect(); return { W: W, H: H, left: r.left, top: r.top }; };
    function draw() {
      var r = g.getBoundingClientRect();
      if (!r.width) return;
      W = r.width; H = r.height;
      g.setAttribute("viewBox", "0 0 " + W + " " + H);
      grid.textContent = "";
      [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000].forEach(function (f) {
        svg("line", { x1: X(f), x2: X(f), y1: 0, y2: H }, grid);
        var t = svg("text", { x: X(f) + 2, y: H - 3 }, grid);
        t.textContent = f >= 1000 ? f / 1000 + "k" : String(f);
      });
      [-12, -6, 0, 6, 12].forEach(function (d) {
        svg("line", { x1: 0, x2: W, y1: Y(d), y2: Y(d), "class": d ? "" : "zero" }, grid);
        var t = svg("text", { x: 2, y: Y(d) - 2 }, grid);
        t.textContent = (d > 0 ? "+" : "") + d;
      });
      var pts = [];
      for (var k = 0; k <= 240; k++) pts.push(20 * Math.pow(1000, k / 240));
      var d = response(v, pts).map(function (p, k) {
        return (k ? "L" : "M") + X(p[0]).toFixed(2) + " " + Y(p[1]).toFixed(2);
      }).join("");
      curve.setAttribute("d", d);
      hand.forEach(function (h) { h.place(); });
      if (v.rta) drawRta(v.rta);
    }
    for (var b = 1; v.leaf["eq/" + b + "/freq"] != null; b++) hand.push(handle(b));
    function handle(b) {
      var fi = v.leaf["eq/" + b + "/freq"], gi = v.leaf["eq/" + b + "/gain"], qi = v.leaf["eq/" + b + "/q"];
      var h = svg("g", { id: "cv-eq-h" + b, "class": "handle" }, hs);
      svg("circle", { r: 13 }, h);
      svg("text", { y: 4 }, h).textContent = String(b);
      var fq = sender(P[fi].p), gq = sender(P[gi].p), qq = sender(P[qi].p);
      var held = null, wheelTimer = 0;
      var o = { place: function () {
        var f = val(v, "eq/" + b + "/freq"), gn = val(v, "eq/" + b + "/gain");
        h.setAttribute("transform", "translate(" + X(f).toFixed(2) + " " + Y(gn).toFixed(2) + ")");
        h.dataset.freq = f; h.dataset.gain = gn; h.dataset.q = val(v, "eq/" + b + "/q");
      } };
      function touch(on) { [fi, gi, qi].forEach(function (i) { send({ a: P[i].p + "/touch", v: on }); }); }
      function setQ(q) {
        q = lim(P[qi], q);
        v.local[qi] = q;
        qq.q(q);
        draw();
      }
      var ptrs = {};
      h.addEventListener("pointerdown", function (e) {
        e.preventDefault();
        e.stopPropagation();
        h.setPointerCapture(e.pointerId);
        ptrs[e.pointerId] = [e.clientX, e.clientY];
        var ids = Object.keys(ptrs);
        if (ids.length === 2 && held) { /* a second finger: pinch for Q */
          var a = ptrs[ids[0]], c = ptrs[ids[1]];
          held.pinch = Math.hypot(a[0] - c[0], a[1] - c[1]) || 1;
          held.q0 = val(v, "eq/" + b + "/q");
          return;
        }
        if (held) return;
        held = { x: e.clientX, y: e.clientY, f: val(v, "eq/" + b + "/freq"), g: val(v, "eq/" + b + "/gain") };
        v.local[fi] = held.f; v.local[gi] = held.g;
        h.classList.add("held");
        touch(1);
      });
      h.addEventListener("pointermove", function (e) {
        if (!held || !ptrs[e.pointerId]) return;
        ptrs[e.pointerId] = [e.clientX, e.clientY];
        var ids = Object.keys(ptrs);
        if (ids.length >= 2 && held.pinch) {
          var a = ptrs[ids[0]], c = ptrs[ids[1]];
          setQ(held.q0 * Math.hypot(a[0] - c[0], a[1] - c[1]) / held.pinch);
          return;
        }
        var dx = e.clientX - held.x, dy = e.clientY - held.y;
        var f = lim(P[fi], held.f * Math.pow(1000, dx / W)), gn = lim(P[gi], held.g - dy / H * 36);
        if (f !== v.local[fi]) { v.local[fi] = f; fq.q(f); }
        if (gn !== v.local[gi]) { v.local[gi] = gn; gq.q(gn); }
        draw();
      });
      function up(e) {
        delete ptrs[e.pointerId];
        if (!held || Object.keys(ptrs).length) return;
        fq.flush(); gq.flush(); qq.flush();
        held = null;
        h.classList.remove("held");
        touch(0);
        /* the console's values from now on (its echo of the drag) */
        delete v.local[fi]; delete v.local[gi]; delete v.local[qi];
        draw();
      }
      h.addEventListener("pointerup", up);
      h.addEventListener("pointercancel", up);
      h.addEventListener("wheel", function (e) {
        e.preventDefault();
        if (!wheelTimer) send({ a: P[qi].p + "/touch", v: 1 });
        clearTimeout(wheelTimer);
        setQ(val(v, "eq/" + b + "/q") * Math.pow(2, -e.deltaY / 400));
        wheelTimer = setTimeout(function () {
          wheelTimer = 0;
          qq.flush();
          send({ a: P[qi].p + "/touch", v: 0 });
          delete v.local[qi];
        }, 400);
      }, { passive: false });
      return o;
    }
    (v.draws = v.draws || []).push(draw);
  }
  /* the analyser's frame: 31 bars of dBFS, -90..0 over the graph's height */
  function drawRta(r) {
    var v = view, g = $("cv-rta"), box = $("cv-eq-graph");
    if (!v || !g || !box || !Array.isArray(r) || r.length !== 31) return;
    v.rta = r;
    var W = box.getBoundingClientRect().width, H = box.getBoundingClientRect().height;
    g.textContent = "";
    r.forEach(function (db, k) {
      var f = THIRDS[k], x0 = W * Math.log10(f * Math.pow(10, -0.05) / 20) / 3,
          x1 = W * Math.log10(f * Math.pow(10, 0.05) / 20) / 3;
      var d = db == null ? -120 : db, y = H * Math.min(1, Math.max(0, -d / 90));
      svg("rect", { x: Math.max(0, x0) + 0.5, width: Math.max(1, x1 - x0 - 1), y: y, height: H - y }, g);
    });
    g.dataset.frame = JSON.stringify(r);
  }
  /* compressor or gate: output against input level, dB */
  function dynPlot(card, v, which) {
    var row = el("div", "dyn", card);
    var lo = which === "comp" ? -60 : -90;
    var g = svg("svg", { id: "cv-" + which + "-graph", "class": "graph dyn-g", viewBox: "0 0 200 200" }, row);
    var grid = svg("g", { "class": "grid" }, g);
    function X(d) { return 200 * (d - lo) / -lo; }
    function Y(d) { return 200 * (1 - (d - lo) / -lo); }
    for (var d = lo; d <= 0; d += which === "comp" ? 12 : 18) {
      svg("line", { x1: X(d), x2: X(d), y1: 0, y2: 200 }, grid);
      svg("line", { x1: 0, x2: 200, y1: Y(d), y2: Y(d) }, grid);
    }
    svg("line", { x1: 0, y1: 200, x2: 200, y2: 0, "class": "unity" }, grid);
    var curve = svg("path", { id: "cv-" + which + "-curve", "class": "curve" }, g);
    var pt = svg("circle", { id: "cv-" + which + "-pt", r: 5, "class": "pt" }, g);
    var bar = null;
    if (which === "comp") {
      var m = el("div", "grm", row);
      m.id = "cv-comp-gr";
      m.title = "gain reduction, 0..24 dB";
      bar = el("i", null, m);
      el("span", "val", m, "GR");
    }
    function draw() {
      var on = val(v, which + "/on") >= 0.5, pts = [];
      for (var x = lo; x <= 0.001; x += 0.25) {
        var y;
        if (which === "comp")
          y = x - overDb(x, val(v, "comp/threshold"), val(v, "comp/ratio"), val(v, "comp/knee")) +
              val(v, "comp/makeup");
        else y = x >= val(v, "gate/threshold") ? x : x - val(v, "gate/range");
        pts.push([x, y]);
      }
      curve.setAttribute("d", pts.map(function (p, k) {
        return (k ? "L" : "M") + X(p[0]).toFixed(2) + " " + Y(p[1]).toFixed(2);
      }).join(""));
      curve.classList.toggle("off", !on);
      g.dataset.curve = JSON.stringify(pts.filter(function (p, k) { return k % 4 === 0; }));
      meter();
    }
    /* the live operating point: /meter/strip's 4th value (the input level
     * before the chain, after trim) and the gain reduction */
    function meter() {
      var x = v.meter, inDb = x && x[3] != null ? x[3] : -120, gr = x && x[2] != null ? x[2] : 0;
      var y = which === "comp" ? inDb - gr + val(v, "comp/makeup") :
              inDb >= val(v, "gate/threshold") ? inDb : inDb - val(v, "gate/range");
      var vis = inDb > lo;
      pt.setAttribute("cx", X(Math.max(lo, inDb)).toFixed(1));
      pt.setAttribute("cy", Y(Math.max(lo, Math.min(0, y))).toFixed(1));
      pt.style.display = vis ? "" : "none";
      g.dataset.input = inDb;
      if (bar) {
        bar.style.height = (100 * Math.min(1, Math.max(0, gr / 24))).toFixed(1) + "%";
        bar.parentNode.dataset.gr = gr;
      }
    }
    (v.draws = v.draws || []).push(draw);
    (v.mdraws = v.mdraws || []).push(meter);
  }
  /* for tests and scripts: the drawn EQ curve at the 1/3 octaves */
  window.jmView = {
    open: openView,
    close: function () { closeView(); },
    current: function () { return view ? view.tap : null; },
    fs: function () { return fs; },
    curve: function () { return view ? response(view, THIRDS) : null; },
    path: function () { var c = $("cv-eq-curve"); return c ? c.getAttribute("d") : null; },
    geom: function () { return view && view.eqGeom ? view.eqGeom() : null; },
    rta: function (r) { drawRta(r); }
  };
  window.addEventListener("hashchange", function () {
    var m = /^#(strip|bus)\/(\d+)$/.exec(location.hash);
    if (m) openView(m[1], +m[2]);
    else if (location.hash === "#master") openView("master", 0);
    else closeView();
  });
  build();
  connect();
  if (!C.mix && location.hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
})();
