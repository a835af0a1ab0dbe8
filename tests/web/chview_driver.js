// Drives the channel view of jmixd's web surface in Debian's Chromium
// (headless, through playwright-core) for tests/integration/test_channel_view.py.
//
//   node chview_driver.js CHROMIUM_PATH PROFILE_DIR
//
// One JSON command per line on stdin, one JSON answer per line on stdout
// ({"ok": true, ...} or {"ok": false, "error": ...}):
//   {"cmd": "open", "url": U, "width": W, "height": H}   load /ui, wait for the socket
//   {"cmd": "viewport", "width": W, "height": H}
//   {"cmd": "click", "sel": CSS}
//   {"cmd": "eval", "js": EXPR}                          the value of a page expression
//   {"cmd": "drag", "sel": CSS, "dx": DX, "dy": DY, "steps": N,
//    "foreign": {"port": P, "path": A, "type": T, "value": X}}
//        mouse drag from the element's centre; with foreign, one OSC message
//        is sent mid-drag, and the element's data-* attributes are recorded
//        just before the release (held) and after it
//   {"cmd": "osc_change", "port": P, "path": A, "type": "f"|"i", "value": X,
//    "sel": CSS, "attr": NAME, "timeout": MS}
//        send one OSC message over UDP and time until the attribute changes
//   {"cmd": "screenshot", "path": FILE, "sel": CSS (optional)}
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

function sendOsc(f) {
  return new Promise((res, rej) =>
    udp.send(oscMessage(f.path, f.type, f.value), f.port, "127.0.0.1", (e) => (e ? rej(e) : res())));
}

async function open(c) {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
    viewport: { width: c.width || 1024, height: c.height || 768 },
    deviceScaleFactor: 1,
  });
  page = ctx.pages()[0] || (await ctx.newPage());
  await page.addInitScript(() => {
    window.__sent = [];
    const orig = WebSocket.prototype.send;
    WebSocket.prototype.send = function (d) { window.__sent.push(String(d)); return orig.call(this, d); };
  });
  // the page must load nothing but itself (self-contained)
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  const t0 = now();
  await page.goto(c.url);
  await page.waitForFunction(() => window.jm && window.jm.connected && window.jm.frames >= 2,
                             null, { timeout: 10000 });
  return { ms: now() - t0, requests };
}

function data(sel) {
  return page.evaluate((sel) => Object.assign({}, document.querySelector(sel).dataset), sel);
}

async function drag(c) {
  await page.locator(c.sel).scrollIntoViewIfNeeded();
  const r = await page.locator(c.sel).boundingBox();
  const x0 = r.x + r.width / 2, y0 = r.y + r.height / 2, steps = c.steps || 10;
  await page.evaluate(() => { window.__sent = []; });
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (let k = 1; k <= steps; k++) {
    await page.mouse.move(x0 + c.dx * k / steps, y0 + c.dy * k / steps);
    if (c.foreign && k === Math.floor(steps / 2)) await sendOsc(c.foreign);
    await page.waitForTimeout(c.pause == null ? 25 : c.pause);
  }
  if (c.foreign) await page.waitForTimeout(200); // time for the foreign change to come back
  const held = await data(c.sel);
  await page.mouse.up();
  await page.waitForTimeout(100);
  const sent = await page.evaluate(() => window.__sent.map((s) => JSON.parse(s)));
  return { held, after: await data(c.sel), sent };
}

async function oscChange(c) {
  const watching = page.evaluate(([sel, attr, timeout]) => new Promise((resolve) => {
    const el = document.querySelector(sel), before = el.getAttribute(attr);
    const mo = new MutationObserver(() => {
      if (el.getAttribute(attr) !== before) {
        mo.disconnect();
        resolve({ at: performance.timeOrigin + performance.now(), value: el.getAttribute(attr) });
      }
    });
    mo.observe(el, { attributes: true, attributeFilter: [attr] });
    setTimeout(() => { mo.disconnect(); resolve({ at: null }); }, timeout);
    window.__armed = true;
  }), [c.sel, c.attr, c.timeout || 2000]);
  await page.waitForFunction(() => window.__armed === true);
  await page.evaluate(() => { window.__armed = false; });
  const t0 = now();
  await sendOsc(c);
  const r = await watching;
  return { ms: r.at == null ? null : r.at - t0, value: r.value };
}

async function handle(c) {
  switch (c.cmd) {
  case "open": return open(c);
  case "viewport": await page.setViewportSize({ width: c.width, height: c.height }); return {};
  case "click": await page.click(c.sel); return {};
  case "eval": return { value: await page.evaluate(c.js) };
  case "drag": return drag(c);
  case "osc_change": return oscChange(c);
  case "screenshot":
    if (c.sel) await page.locator(c.sel).screenshot({ path: c.path });
    else await page.screenshot({ path: c.path, fullPage: !!c.full });
    return {};
  case "quit":
    if (ctx) await ctx.close();
    udp.close();
    return {};
  default: throw new Error("unknown command " + c.cmd);
  }
}

require("./common").serve(handle, async () => { if (ctx) await ctx.close(); });
