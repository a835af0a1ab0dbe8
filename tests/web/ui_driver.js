// Drives jmixd's web control surface in Debian's Chromium (headless, through
// playwright-core) for tests/integration/test_web.py.
//
//   node ui_driver.js CHROMIUM_PATH PROFILE_DIR
//
// Reads one JSON command per line on stdin and answers each with one JSON
// line on stdout ({"ok": true, ...} or {"ok": false, "error": ...}):
//   {"cmd": "open", "url": U}                       load the page, wait for the socket
//   {"cmd": "open", "url": U, "mix": true}          load a performer's page (/mix/NAME):
//        it opens no socket before the PIN, so wait for the page's script only
//   {"cmd": "pin", "pin": PIN, "sel": [CSS, ...]}   type the PIN into the page's form and
//        submit it; wait for the login's answer and, when it is "ok", until every
//        selector's element has a data-value (the console's values arrived)
//   {"cmd": "controls"}                             the DOM's controls: every element
//        with a data-path, an id, or that takes input (button, input, faders)
//   {"cmd": "drag", "id": ID, "to": NORM, "steps": N, "pause": MS, "foreign": {"port": P,
//    "path": A, "type": T, "value": X}}        mouse drag of a fader's thumb
//   {"cmd": "osc_wait", "port": P, "path": A, "type": "f"|"i", "value": X,
//    "sel": CSS, "attr": NAME, "expect": STRING|NUMBER, "tol": T, "timeout": MS}
//        send one OSC message over UDP, then time until the attribute shows it
//   {"cmd": "attr", "sel": CSS, "attr": NAME}        read an attribute
//   {"cmd": "eval", "js": EXPR}                     the value of a page expression
//   {"cmd": "screenshot", "path": FILE}
//   {"cmd": "quit"}
"use strict";
const dgram = require("dgram");
const { chromium } = require("playwright-core");

const [exe, profile] = process.argv.slice(2);
let ctx = null, page = null;
const udp = dgram.createSocket("udp4");

function now() { return performance.timeOrigin + performance.now(); }

function oscMessage(path, type, value) {
  const str = (s) => {
    const b = Buffer.from(s + "\0");
    return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  };
  const arg = Buffer.alloc(4);
  if (type === "i") arg.writeInt32BE(value);
  else arg.writeFloatBE(value);
  return Buffer.concat([str(path), str("," + type), arg]);
}

async function open(c) {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
    viewport: { width: 1180, height: 820 },
    deviceScaleFactor: 1,
  });
  page = ctx.pages()[0] || (await ctx.newPage());
  // record what the page sends, to check the touch messages
  await page.addInitScript(() => {
    window.__sent = [];
    const orig = WebSocket.prototype.send;
    WebSocket.prototype.send = function (d) { window.__sent.push(String(d)); return orig.call(this, d); };
  });
  const t0 = now();
  await page.goto(c.url);
  if (c.mix) await page.waitForFunction(() => !!window.jm, null, { timeout: 10000 });
  else await page.waitForFunction(() => window.jm && window.jm.connected && window.jm.frames >= 2,
                                  null, { timeout: 10000 });
  return { ms: now() - t0, title: await page.title() };
}

// The mix page's PIN form, as a person uses it: type, then click Enter.
async function pin(c) {
  await page.evaluate(() => { delete window.jm.login; });
  await page.fill("#pin", c.pin);
  await page.click("#pin-go");
  await page.waitForFunction(() => window.jm.login != null, null, { timeout: 10000 });
  const login = await page.evaluate(() => window.jm.login);
  if (login === "ok")
    await page.waitForFunction((sels) => sels.every((s) => {
      const e = document.querySelector(s);
      return e && e.getAttribute("data-value") != null;
    }), c.sel || [], { timeout: 10000 });
  return await page.evaluate(() => ({
    login: window.jm.login,
    error: document.getElementById("login-err").textContent,
    form_hidden: document.getElementById("login").hidden,
    desk_hidden: document.getElementById("desk").hidden,
    conn: document.getElementById("conn").textContent,
  }));
}

// Every element a person could operate or that names a parameter, and the
// text a person reads (scripts and styles left out).
async function controls() {
  return await page.evaluate(() => {
    const out = [];
    document.querySelectorAll("body *").forEach((e) => {
      if (e.tagName === "SCRIPT" || e.tagName === "STYLE") return;
      const interactive = /^(BUTTON|INPUT|SELECT|TEXTAREA|A)$/.test(e.tagName) ||
        e.classList.contains("fader") || e.classList.contains("hs") ||
        e.classList.contains("choices");
      if (!interactive && !e.id && !e.dataset.path) return;
      out.push({ tag: e.tagName.toLowerCase(), id: e.id || null, path: e.dataset.path || null,
                 cls: e.className || null, interactive });
    });
    const text = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const tag = n.parentElement && n.parentElement.tagName;
      if (tag !== "SCRIPT" && tag !== "STYLE" && n.textContent.trim()) text.push(n.textContent.trim());
    }
    return { controls: out, text };
  });
}

// Drags a fader's thumb with the mouse in steps. Every position the fader
// takes is recorded: it must only ever follow the pointer, never an echo of
// the console or, with c.foreign, another controller's change sent (over
// OSC) while the pointer holds it.
async function drag(c) {
  const box = page.locator("#" + c.id);
  const r = await box.boundingBox();
  const thumb = await page.locator("#" + c.id + " .thumb").boundingBox();
  const from = Number(await box.getAttribute("data-norm"));
  const span = r.height - 16;           // as the page's CSS: 8 px margins
  const x = thumb.x + thumb.width / 2, y0 = thumb.y + thumb.height / 2;
  const steps = c.steps || 12;
  await page.evaluate((id) => {
    window.__sent = [];
    window.__norms = [];
    const el = document.getElementById(id);
    window.__mo = new MutationObserver(() => window.__norms.push(Number(el.dataset.norm)));
    window.__mo.observe(el, { attributes: true, attributeFilter: ["data-norm"] });
  }, c.id);
  await page.mouse.move(x, y0);
  await page.mouse.down();
  const wants = [from];
  for (let k = 1; k <= steps; k++) {
    const want = from + (c.to - from) * k / steps;
    wants.push(want);
    await page.mouse.move(x, y0 - (want - from) * span);
    if (c.foreign && k === Math.floor(steps / 2)) {
      const f = c.foreign;
      udp.send(oscMessage(f.path, f.type, f.value), f.port, "127.0.0.1");
    }
    await page.waitForTimeout(c.pause == null ? 25 : c.pause);
  }
  const held = Number(await box.getAttribute("data-norm"));
  await page.mouse.up();
  await page.waitForTimeout(50);
  const rec = await page.evaluate(() => {
    window.__mo.disconnect();
    return { norms: window.__norms, sent: window.__sent.map((s) => JSON.parse(s)) };
  });
  // how far any position the fader took was from every pointer position
  let worst = 0;
  for (const n of rec.norms) worst = Math.max(worst, Math.min(...wants.map((w) => Math.abs(w - n))));
  return { norm: Number(await box.getAttribute("data-norm")), held, worst, positions: rec.norms.length,
           value: Number(await box.getAttribute("data-value")), sent: rec.sent };
}

async function oscWait(c) {
  const sel = c.sel, attr = c.attr, expect = c.expect, tol = c.tol || 0, timeout = c.timeout || 2000;
  // the watcher runs in the page and stamps the moment the DOM shows it
  const watching = page.evaluate(([sel, attr, expect, tol, timeout]) => new Promise((resolve) => {
    const el = document.querySelector(sel);
    const ok = () => {
      const v = el.getAttribute(attr);
      return typeof expect === "number" ? Math.abs(Number(v) - expect) <= tol : v === expect;
    };
    if (ok()) return resolve({ at: performance.timeOrigin + performance.now(), already: true });
    const mo = new MutationObserver(() => {
      if (ok()) { mo.disconnect(); resolve({ at: performance.timeOrigin + performance.now() }); }
    });
    mo.observe(el, { attributes: true });
    setTimeout(() => { mo.disconnect(); resolve({ at: null, last: el.getAttribute(attr) }); }, timeout);
    window.__armed = true;
  }), [sel, attr, expect, tol, timeout]);
  await page.waitForFunction(() => window.__armed === true);
  await page.evaluate(() => { window.__armed = false; });
  const t0 = now();
  await new Promise((res, rej) =>
    udp.send(oscMessage(c.path, c.type, c.value), c.port, "127.0.0.1", (e) => (e ? rej(e) : res())));
  const r = await watching;
  return { ms: r.at == null ? null : r.at - t0, already: !!r.already, last: r.last };
}

async function handle(c) {
  switch (c.cmd) {
  case "open": return open(c);
  case "pin": return pin(c);
  case "controls": return controls();
  case "drag": return drag(c);
  case "osc_wait": return oscWait(c);
  case "attr": return { value: await page.locator(c.sel).getAttribute(c.attr) };
  case "eval": return { value: await page.evaluate(c.js) };
  case "screenshot": await page.screenshot({ path: c.path }); return {};
  case "quit":
    if (ctx) await ctx.close();
    udp.close();
    return {};
  default: throw new Error("unknown command " + c.cmd);
  }
}

require("./common").serve(handle, async () => { if (ctx) await ctx.close(); });
