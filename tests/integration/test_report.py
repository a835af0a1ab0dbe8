"""The render report (docs/cli.md, `--report`): for a known render (a -23
LUFS 1 kHz sine for 10 s, then -13 LUFS for 10 s, stems written here), the
plotted curves are read back from the report's JSON block and from the SVG
paths drawn from it, and must cross the right values at the right times;
the numbers equal the summary's; the long-term spectrum (jm_rta) peaks in
the 1 kHz band at the file's mean square; the file opens in headless Chromium with
no network request; the album render writes one report per track and one
for the album; docs/monitor-curves.svg is what `--monitor-curves-svg`
writes today and its curves are docs/dsp.md's table.

Render needs no JACK. A stereo 1 kHz sine of peak A in both channels reads
20*log10(A) LUFS (EBU Tech 3341 case 1), so the stems need no calibration.
"""
import json
import math
import os
import re
import subprocess
import wave
from array import array

import pytest

import jmtest

ROOT = jmtest.ROOT
RATE = 48000

# docs/report.png is refreshed only on request, as test_web does for its image
SCREENSHOT = (os.path.join(ROOT, "docs", "report.png") if os.environ.get("JMT_SCREENSHOT")
              else os.path.join(ROOT, "build", "report.png"))
SEG_S = 10.0
LOW, HIGH = -23.0, -13.0
TOL_LU = 0.3


def write_stereo_wav16(path, samples):
    v = array("h", (max(-32768, min(32767, int(round(s * 32767.0)))) for s in samples))
    data = array("h", [0]) * (2 * len(v))
    data[0::2] = v
    data[1::2] = v
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


def sine(db, seconds, freq=1000.0):
    """Whole periods of 1 kHz at 48 kHz: segments join without a click."""
    a = 10 ** (db / 20.0)
    return [a * math.sin(2 * math.pi * freq * k / RATE) for k in range(int(seconds * RATE))]


def write(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def render(*args):
    r = subprocess.run([jmtest.JMIXD, "render"] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=jmtest.env(), timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, "render %s: exit %d: %s" % (" ".join(map(str, args)), r.returncode,
                                                          r.stderr)
    return r


def summary_text(stderr, key):
    """The summary's number as printed ('integrated -23.00 LUFS' -> '-23.00')."""
    m = re.search(r"%s ([-+]?[0-9.]+|-inf)" % key, stderr)
    assert m, "no %r in the summary:\n%s" % (key, stderr)
    return m.group(1)


def report_data(path):
    with open(path, encoding="utf-8") as f:
        html = f.read()
    m = re.search(r'<script type="application/json" id="jmixd-report">(.*?)</script>', html, re.S)
    assert m, "no JSON block in %s" % path
    return html, json.loads(m.group(1))


def svg_of(html, ident):
    m = re.search(r'<svg [^>]*id="%s"[^>]*>.*?</svg>' % ident, html, re.S)
    assert m, "no <svg id=%s>" % ident
    return m.group(0)


def axes(svg):
    head = svg[:svg.index(">")]
    return {k: float(v) for k, v in re.findall(r'data-(x0|x1|y0|y1|logx|left|top|width|height)'
                                               r'="([-0-9.e]+)"', head)}


def path_points(svg, series):
    """The drawn points of a path, mapped back to data units (x, y) per sub-path."""
    m = re.search(r'<path data-series="%s"[^>]* d="([^"]*)"' % series, svg)
    assert m, "no path %s" % series
    a = axes(svg)
    lines, cur = [], None
    for cmd, x, y in re.findall(r"([ML])([-0-9.]+) ([-0-9.]+)", m.group(1)):
        x, y = float(x), float(y)
        fx = (x - a["left"]) / a["width"]
        if a["logx"]:
            dx = 10 ** (math.log10(a["x0"]) + fx * (math.log10(a["x1"]) - math.log10(a["x0"])))
        else:
            dx = a["x0"] + fx * (a["x1"] - a["x0"])
        dy = a["y1"] - (y - a["top"]) / a["height"] * (a["y1"] - a["y0"])
        if cmd == "M":
            cur = []
            lines.append(cur)
        cur.append((dx, dy))
    return lines, a


def crossing(t, v, level):
    """First time the curve rises through level (linear between points)."""
    for k in range(1, len(t)):
        if v[k - 1] is not None and v[k] is not None and v[k - 1] < level <= v[k]:
            return t[k - 1] + (level - v[k - 1]) / (v[k] - v[k - 1]) * (t[k] - t[k - 1])
    return None


def window_crossing(window):
    """When a window of `window` s over the two segments reads -18 LUFS:
    the fraction f of it in the louder segment mixes the powers."""
    lo, hi, mid = 10 ** (LOW / 10), 10 ** (HIGH / 10), 10 ** (-18.0 / 10)
    return SEG_S + window * (mid - lo) / (hi - lo)


def make_known(d):
    write_stereo_wav16(os.path.join(d, "tone.wav"), sine(LOW, SEG_S) + sine(HIGH, SEG_S))
    return write(d, "s.cfg", 'strips = ( { name = "tone"; channels = 2; file = "tone.wav"; } );\n')


def check_plateau(t, v, lo_t, hi_t, want, what):
    pts = [(tt, x) for tt, x in zip(t, v) if lo_t - 1e-6 <= tt <= hi_t + 1e-6]
    assert len(pts) >= int((hi_t - lo_t) * 10), "%s: %d points in %g..%g s" % (
        what, len(pts), lo_t, hi_t)
    worst = max(pts, key=lambda p: abs((p[1] if p[1] is not None else -999) - want))
    assert worst[1] is not None and abs(worst[1] - want) <= TOL_LU, \
        "%s at %.1f s reads %s, want %.1f +- %.1f" % (what, worst[0], worst[1], want, TOL_LU)
    return max(abs(x - want) for _, x in pts)


@pytest.mark.timeout(120)
def test_report_curves_of_a_known_render():
    d = jmtest.mkdtemp("jmt-report")
    session = make_known(d)
    out, rep = os.path.join(d, "out.wav"), os.path.join(d, "out.html")
    r = render(session, "-o", out, "--report", rep)
    html, data = report_data(rep)
    t, st, m, tp = data["t"], data["short_term"], data["momentary"], data["true_peak"]
    # one point per 100 ms of the output (20 s of stems + 1 s of tail)
    assert data["step"] == 0.1
    assert len(t) == 210, len(t)
    assert all(abs(t[k] - 0.1 * (k + 1)) < 1e-9 for k in range(len(t)))

    # short-term (3 s): -23 from 3 to 10 s, -13 from 13 to 20 s
    e1 = check_plateau(t, st, 3.0, 10.0, LOW, "short-term")
    e2 = check_plateau(t, st, 13.0, 20.0, HIGH, "short-term")
    cs, want_s = crossing(t, st, -18.0), window_crossing(3.0)
    assert cs is not None and abs(cs - want_s) <= 0.5, (cs, want_s)
    # momentary (400 ms): -23 from 0.4 to 10 s, -13 from 10.4 to 20 s
    e3 = check_plateau(t, m, 0.4, 10.0, LOW, "momentary")
    e4 = check_plateau(t, m, 10.4, 20.0, HIGH, "momentary")
    cm, want_m = crossing(t, m, -18.0), window_crossing(0.4)
    assert cm is not None and abs(cm - want_m) <= 0.5, (cm, want_m)
    jmtest.note("short-term plateaus within %.3f / %.3f LU, crosses -18 at %.2f s (3 s window: "
                "%.2f); momentary within %.3f / %.3f LU, crosses at %.2f s (0.4 s window: %.2f)" % (
                    e1, e2, cs, want_s, e3, e4, cm, want_m))

    # the numbers are the summary's, as printed
    s = data["summary"]
    assert "%.2f" % s["integrated"] == summary_text(r.stderr, "integrated")
    assert "%.2f" % s["true_peak"] == summary_text(r.stderr, "true peak")
    assert "%.2f" % s["range"] == summary_text(r.stderr, "LRA")
    assert s["target"] is None and s["ceiling"] is None
    assert 'data-key="target">none' in html and 'data-key="ceiling">none' in html
    # the LRA band is the loudness range: 10th and 95th percentile of the short-term values
    lo, hi = data["lra_band"]
    assert abs(lo - LOW) <= TOL_LU and abs(hi - HIGH) <= TOL_LU, data["lra_band"]
    assert abs((hi - lo) - s["range"]) <= 0.05, (data["lra_band"], s["range"])
    # true peak per step: the segments' peaks; its maximum is the summary's within 0.2 dB
    assert check_plateau(t, tp, 0.1, 10.0, LOW, "true peak") <= 0.2
    assert check_plateau(t, tp, 10.1, 20.0, HIGH, "true peak") <= 0.2
    assert abs(max(x for x in tp if x is not None) - s["true_peak"]) <= 0.2

    # long-term spectrum (jm_rta): the 1 kHz band is the maximum, at the mean
    # square of the file (10 s at -23, 10 s at -13, 1 s of tail: AES17 dBFS)
    sp = data["spectrum"]
    assert len(sp["db"]) == 31 and sp["label"][17] == "1k" and abs(sp["hz"][17] - 1000) < 1e-6
    top = max(range(31), key=lambda b: sp["db"][b] if sp["db"][b] is not None else -999)
    want_db = 10 * math.log10((SEG_S * 10 ** (LOW / 10) + SEG_S * 10 ** (HIGH / 10)) /
                              (len(t) * 0.1))
    assert top == 17, "spectrum maximum in band %s, not 1k: %s" % (sp["label"][top], sp["db"])
    assert abs(sp["db"][17] - want_db) <= 0.5, (sp["db"][17], want_db)
    assert max(sp["db"][16], sp["db"][18]) <= sp["db"][17] - 15.0, sp["db"][15:20]
    jmtest.note("spectrum: 1k band %.2f dBFS (mean square of the file %.2f), 800 Hz %.1f, "
                "1.25k %.1f" % (sp["db"][17], want_db, sp["db"][16], sp["db"][18]))

    # the SVG paths are drawn from the same numbers
    for ident, series, xs in (("plot-loudness", "short_term", t), ("plot-loudness", "momentary", t),
                              ("plot-true-peak", "true_peak", t),
                              ("plot-spectrum", "spectrum", sp["hz"])):
        svg = svg_of(html, ident)
        lines, a = path_points(svg, series)
        drawn = [p for line in lines for p in line]
        ys = sp["db"] if series == "spectrum" else data[series]
        want = [(tt, v) for tt, v in zip(xs, ys) if v is not None]
        assert len(drawn) == len(want), (series, len(drawn), len(want))
        for (x, y), (tt, v) in zip(drawn, want):
            vy = min(max(v, a["y0"]), a["y1"])  # off the scale: on its edge
            assert abs(x - tt) < 0.01 * max(1.0, tt / 100) and abs(y - vy) < 0.01, \
                (series, x, y, tt, v)
    svg = svg_of(html, "plot-loudness")
    assert re.search(r'<line data-series="integrated" data-value="%.3f"' % s["integrated"], svg) \
        or abs(float(re.search(r'data-series="integrated" data-value="([-0-9.]+)"', svg)
                     .group(1)) - s["integrated"]) < 0.006
    assert 'data-series="target"' not in svg  # no target given: none drawn

    # self-contained: no script but the JSON data, nothing that loads anything
    assert len(re.findall(r"<script", html)) == 1
    assert not re.search(r"\b(src|href)\s*=", html, re.I)
    assert not re.search(r"url\(|@import", html, re.I)
    assert set(re.findall(r"https?://[^\s\"'<>]*", html)) <= {"http://www.w3.org/2000/svg"}


@pytest.mark.timeout(120)
def test_report_target_and_ceiling_lines():
    d = jmtest.mkdtemp("jmt-report")
    session = make_known(d)
    rep = os.path.join(d, "n.html")
    r = render(session, "-o", os.path.join(d, "n.wav"), "--platform", "apple", "--report", rep)
    html, data = report_data(rep)
    s = data["summary"]
    assert (s["target"], s["target_name"], s["ceiling"]) == (-16.0, "apple", -1.0), s
    assert "%.2f" % s["gain"] == summary_text(r.stderr, "gain").lstrip("+")
    assert abs(s["integrated"] + 16.0) <= 0.05
    svg = svg_of(html, "plot-loudness")
    assert 'data-series="target" data-value="-16.000"' in svg
    assert 'data-series="ceiling" data-value="-1.000"' in svg_of(html, "plot-true-peak")
    # after the gain: what was written, not the mix
    check_plateau(data["t"], data["short_term"], 13.0, 20.0, HIGH + s["gain"], "short-term")


def test_report_option_errors():
    d = jmtest.mkdtemp("jmt-report")
    session = make_known(d)
    out = os.path.join(d, "o.wav")
    r = subprocess.run([jmtest.JMIXD, "render", session, "-o", out, "--report", out],
                       capture_output=True, text=True, env=jmtest.env())
    assert r.returncode == 1 and "is the output file" in r.stderr, r.stderr
    r = subprocess.run([jmtest.JMIXD, "render", session, "-o", out, "--report",
                        os.path.join(d, "tone.wav")], capture_output=True, text=True,
                       env=jmtest.env())
    assert r.returncode == 1 and "is one of the stems" in r.stderr, r.stderr
    assert not os.path.exists(out)


# --------------------------------------------------------------------------
# headless Chromium: opens, draws, asks for nothing

DRIVER = r"""
const { chromium } = require("playwright-core");
(async () => {
  const [exe, profile, url, shot] = process.argv.slice(2);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: exe, headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
    viewport: { width: 940, height: 1480 }, deviceScaleFactor: 1,
  });
  const requests = [], failed = [];
  ctx.on("request", (r) => requests.push(r.url()));
  ctx.on("requestfailed", (r) => failed.push(r.url()));
  const page = ctx.pages()[0] || (await ctx.newPage());
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(url, { waitUntil: "load" });
  const svgs = await page.evaluate(() => Array.from(document.querySelectorAll("svg")).map((s) => {
    const b = s.getBoundingClientRect();
    const paths = Array.from(s.querySelectorAll("path")).map((p) => {
      const bb = p.getBBox();
      return { series: p.dataset.series, w: bb.width, h: bb.height };
    });
    return { id: s.id, w: b.width, h: b.height, paths };
  }));
  await page.screenshot({ path: shot });
  console.log(JSON.stringify({ requests, failed, errors, svgs }));
  await ctx.close();
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
"""


@pytest.mark.timeout(180)
def test_report_opens_in_chromium_without_network():
    why = jmtest.browser_unavailable()
    if why:
        pytest.skip(why)
    d = jmtest.mkdtemp("jmt-report")
    session = make_known(d)
    rep = os.path.join(d, "mix.html")
    render(session, "-o", os.path.join(d, "mix.wav"), "--platform", "spotify", "--report", rep)
    driver = write(d, "driver.js", DRIVER)
    env = dict(os.environ, NODE_PATH=os.path.join(jmtest.WEBTEST_DIR, "node_modules"))
    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
    url = "file://" + rep
    r = subprocess.run(["node", driver, jmtest.CHROMIUM, jmtest.mkdtemp("jmtchromium"), url, SCREENSHOT],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                       timeout=150)
    assert r.returncode == 0, "driver: %s" % r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["requests"] == [url], "requests besides the document: %s" % got["requests"]
    assert not got["failed"] and not got["errors"], got
    ids = {s["id"]: s for s in got["svgs"]}
    assert set(ids) >= {"plot-loudness", "plot-true-peak", "plot-spectrum",
                        "plot-monitor-curves"}, list(ids)
    for s in got["svgs"]:
        assert s["w"] > 100 and s["h"] > 50, s
        for p in s["paths"]:
            assert p["w"] > 10, (s["id"], p)  # every curve is drawn across the plot
    jmtest.note("Chromium: 1 request (%s), %d SVGs drawn, screenshot %s" % (
        url, len(got["svgs"]), os.path.relpath(SCREENSHOT, ROOT)))


# --------------------------------------------------------------------------
# album: a report per track and one for the album

ALBUM = """\
title = "Report Album";
tracks = (
  { title = "Quiet"; file = "a.wav"; },
  { title = "Loud"; file = "b.wav"; gap = 1.0; }
);
"""


@pytest.mark.timeout(120)
def test_album_report_per_track_and_album():
    d = jmtest.mkdtemp("jmt-report-album")
    write_stereo_wav16(os.path.join(d, "a.wav"), sine(-30.0, 5.0))
    write_stereo_wav16(os.path.join(d, "b.wav"), sine(-20.0, 5.0))
    album, out = write(d, "album.cfg", ALBUM), os.path.join(d, "out")
    r = render("--album", album, "-o", out, "--report")
    names = ["01 Quiet", "02 Loud", "Report Album"]
    assert sorted(os.listdir(out)) == sorted(
        [n + ".wav" for n in names] + [n + ".html" for n in names] + ["Report Album.cue"])
    reps = {n: report_data(os.path.join(out, n + ".html"))[1] for n in names}
    for n, want, length in (("01 Quiet", -30.0, 5.0), ("02 Loud", -20.0, 5.0),
                            ("Report Album", None, 11.0)):
        data = reps[n]
        line = [ln for ln in r.stderr.splitlines() if ln.startswith("album: ") and
                ("album " + n if n == "Report Album" else n + ":") in ln]
        assert len(line) == 1, (n, r.stderr)
        s = data["summary"]
        assert "%.2f" % s["integrated"] == summary_text(line[0], "integrated"), (n, s, line)
        assert "%.2f" % s["true_peak"] == summary_text(line[0], "true peak"), (n, s, line)
        assert abs(data["t"][-1] - length) < 1e-6, (n, data["t"][-1])
        if want is not None:
            check_plateau(data["t"], data["short_term"], 3.0, 5.0, want, n)
    # the album's curve: quiet, the gap, then loud (the gap's silence is no value)
    a = reps["Report Album"]
    check_plateau(a["t"], a["short_term"], 3.0, 5.0, -30.0, "album")
    check_plateau(a["t"], a["short_term"], 9.0, 11.0, -20.0, "album")


# --------------------------------------------------------------------------
# docs/monitor-curves.svg

def dsp_table():
    """docs/dsp.md's monitor-curve table: {curve: {hz: dB}}."""
    text = open(os.path.join(ROOT, "docs", "dsp.md"), encoding="utf-8").read()
    head = re.search(r"^\| curve \| filters[^\n]*\|\n", text, re.M)
    freqs = []
    for h in head.group(0).split("|")[3:-1]:
        h = h.strip().replace(" Hz", "")
        freqs.append(float(h[:-1]) * 1000 if h.endswith("k") else float(h))
    rows = {}
    for line in text[head.end():].splitlines()[1:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.split("|")[1:-1]]
        rows[cells[0]] = {f: float(v.replace("\u2212", "-")) for f, v in zip(freqs, cells[2:])}
    return rows


def test_monitor_curves_svg_is_generated_and_matches_the_table():
    d = jmtest.mkdtemp("jmt-report")
    fresh = os.path.join(d, "m.svg")
    r = subprocess.run([jmtest.JMIXD, "render", "--monitor-curves-svg", fresh],
                       capture_output=True, text=True, env=jmtest.env())
    assert r.returncode == 0, r.stderr
    committed = os.path.join(ROOT, "docs", "monitor-curves.svg")
    with open(fresh) as a, open(committed) as b:
        assert a.read() == b.read(), ("docs/monitor-curves.svg differs from what the DSP gives "
                                      "now: run `build/jmixd render --monitor-curves-svg "
                                      "docs/monitor-curves.svg`")
    svg = open(committed).read()
    table = dsp_table()
    assert set(table) == {"flat", "phone", "laptop", "earbuds", "car", "club"}, list(table)
    worst = 0.0
    for curve, points in table.items():
        lines, a = path_points(svg, "monitor_" + curve)
        pts = [p for line in lines for p in line]
        assert abs(pts[0][0] - 20.0) < 0.05 and abs(pts[-1][0] - 20000.0) < 1.0
        for hz, want in points.items():
            if want <= a["y0"]:
                continue  # below the plot: drawn on its edge
            # interpolate the drawn curve in log frequency (points 1/24 octave apart)
            k = next(i for i in range(1, len(pts)) if pts[i][0] >= hz)
            (x0, y0), (x1, y1) = pts[k - 1], pts[k]
            y = y0 + (math.log(hz) - math.log(x0)) / (math.log(x1) - math.log(x0)) * (y1 - y0)
            worst = max(worst, abs(y - want))
            assert abs(y - want) <= 0.3, "%s at %g Hz: drawn %.2f dB, table %.1f" % (
                curve, hz, y, want)
    jmtest.note("docs/monitor-curves.svg regenerated identically; drawn curves within %.2f dB "
                "of docs/dsp.md's table" % worst)
