"use strict";
(function () {
  var C = JM_CFG, P = C.P, ctl = {}, ws = null, meterSet = {};
  var st = window.jm = { connected: false, frames: 0, sent: 0 };
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
    ctl[idx] = c;
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
    ctl[idx] = c;
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
    ctl[idx] = c;
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
  function name(box, title, sub) {
    var n = el("div", "name", box);
    if (sub != null) el("small", null, n, sub);
    n.appendChild(document.createTextNode(title));
    n.title = title;
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
      name(box, s.n, String(k + 1));
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
      name(box, b.n, b.t);
      faderBody(box, b.fader, id + "-fader", id + "-meter", 1);
      var bt = el("div", "btns", box);
      if (b.mute != null) toggle(bt, b.mute, id + "-mute", "mute", "M");
    });
    el("div", "gap", desk);
    var m = el("section", "strip master", desk);
    m.id = "master";
    name(m, "Master", "L R");
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
      (m.p || []).forEach(function (x) { var c = ctl[x[0]]; if (c) c.set(x[1], x[2]); });
      if (m.m) meters(m.m);
    };
  }
  build();
  connect();
})();
