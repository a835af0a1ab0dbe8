// What the browser drivers (ui_driver.js, chview_driver.js) share: one
// JSON command per line on stdin, handled in order by handle(c), one JSON
// answer per line on stdout ({ok: true, ...result} or {ok: false, error});
// "quit" or the end of stdin ends the process after finish().
"use strict";
const readline = require("readline");

function serve(handle, finish) {
  const rl = readline.createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  rl.on("line", (line) => {
    chain = chain.then(async () => {
      let c;
      try {
        c = JSON.parse(line);
        const r = await handle(c);
        process.stdout.write(JSON.stringify(Object.assign({ ok: true }, r)) + "\n");
      } catch (e) {
        process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.stack || e) }) + "\n");
      }
      if (c && c.cmd === "quit") process.exit(0);
    });
  });
  rl.on("close", () => { chain.then(async () => { await finish(); process.exit(0); }); });
}

module.exports = { serve };
