"""Web control surface and OSCQuery (docs/osc.md, issue 10), on a live daemon.

- test_browser_surface: Debian's Chromium, headless, driven by playwright-core
  (tests/web/ui_driver.js; npm installs it into build/webtest, no browser
  download) loads /ui, drags strip 2's fader with the mouse (the daemon's
  value follows, the fader is not yanked by its echo, touch 1/0 frame the
  drag), OSC changes to strip 1's pan and mute show in the page within
  100 ms (timed from the UDP send to the DOM change), meters move while the
  probe plays a sine into strip 1, and a screenshot is written (build/web-ui.png;
  docs/web-ui.png for the README with JMT_SCREENSHOT=1). Skipped,
  with the reason, when Chromium, node or playwright-core is not available.
- test_oscquery_namespace: GET / is JSON whose every leaf answers over OSC
  with the value it states, whose leaves are exactly --list-params' paths
  with the same RANGE; node paths and attributes; ?HOST_INFO.
- test_oscquery_listen: LISTEN streams a path's changes as binary OSC frames
  on the WebSocket; IGNORE stops them.
- test_http_routes: the page for browsers, JSON otherwise, errors.
- test_allow_and_port_taken: a client outside osc.allow is hung up on; a
  taken HTTP port leaves the console running without its web surface.
- test_oscjson_announced: with Avahi (started here when possible, else
  skipped), `_oscjson._tcp` is announced with the HTTP port.
- test_abuse: 200 WebSocket connections opened and dropped, malformed HTTP
  and WebSocket frames, oversized messages and a client that never reads,
  while the probe plays: the level does not move, no xruns are caused
  (compared with the same run without abuse; asserted on a realtime
  server), /info answers, and RSS returns near its baseline.

The HTTP port comes from the session's `web = { port = N; };` when this
jmixd accepts it, else from JMIXD_WEB_PORT.
"""
import base64
import http.client
import json
import math
import os
import random
import socket
import struct
import subprocess
import time
import types

import pytest

import jmtest
from jmtest import Daemon, JackServer, OscClient, Probe

NAME = "jmweb"
ROOT = jmtest.ROOT
DRIVER = os.path.join(ROOT, "tests", "web", "ui_driver.js")
# The README's image is refreshed only on request (JMT_SCREENSHOT=1), so a
# test run leaves the checkout clean; otherwise the screenshot goes to build/.
SCREENSHOT = (os.path.join(ROOT, "docs", "web-ui.png") if os.environ.get("JMT_SCREENSHOT")
              else os.path.join(ROOT, "build", "web-ui.png"))
LATENCY_MS = 100.0
LEVEL_TOL_DB = 0.05
# xruns the dummy driver misses on its own between two runs on this 2-core
# VM: up to 11 more in one run than in the other were measured (fresh root,
# 13 vs 24; here 3 vs 14), and 27 more (53 vs 26) on a fresh root under
# load. A flood that reaches the audio thread costs hundreds, so 40 still
# tells the two apart.
XRUN_NOISE = 40
RSS_TOL_MB = 5.0

SESSION = """
jack = { name = "%s"; };
osc = { meter_rate = 20.0; };
strips = (
  { name = "kick"; input = [ ]; },
  { name = "snare"; input = [ ]; pan = -0.25; fader = -4.0; },
  { name = "keys"; channels = 2; input = [ ]; fader = -8.0; },
  { name = "vox"; input = [ ]; fader = -2.0; pan = 0.3; }
);
buses = ( { name = "verb"; type = "reverb"; fader = -6.0; } );
master = { output = [ ]; };
monitor = { output = [ ]; };
"""

@pytest.fixture(scope="module")
def web():
    """A JACK server (realtime where permitted), the daemon serving HTTP on
    web.port; web.rt says whether xrun counts mean something."""
    rt = jmtest.realtime_permitted()
    js = JackServer(realtime=rt).start()
    try:
        ns = types.SimpleNamespace(js=js, rt=rt, port=jmtest.free_tcp_port(), d=None)
        ns.d = start_daemon(ns, SESSION % NAME, ns.port, name=NAME)
        if not jmtest.wait_until(lambda: http_ok(ns, "/?HOST_INFO"), 10):
            raise AssertionError("no HTTP on port %d:\n%s" % (ns.port,
                                                              ns.d.stderr_text()[-2000:]))
        yield ns
        ns.d.stop()
    finally:
        js.stop()




def session_accepts_web(text):
    d = jmtest.mkdtemp("jmtweb")
    path = os.path.join(d, "s.cfg")
    with open(path, "w") as f:
        f.write(text)
    return jmtest.run_jmixd("--check", path).returncode == 0


def start_daemon(web, text, port, **kw):
    """A daemon serving HTTP on port: through the session's web section when
    this jmixd accepts it, else through JMIXD_WEB_PORT."""
    with_web = text + "web = { port = %d; };\n" % port
    if session_accepts_web(with_web):
        return Daemon(with_web, web.js, **kw).start()
    os.environ["JMIXD_WEB_PORT"] = str(port)
    try:
        return Daemon(text, web.js, **kw).start()
    finally:
        del os.environ["JMIXD_WEB_PORT"]


# --------------------------------------------------------------------------
# HTTP and a minimal WebSocket client (RFC 6455), standard library only

def http_get(web, path, headers=None, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", web.port, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


def http_ok(web, path):
    try:
        return http_get(web, path, timeout=1)[0] == 200
    except OSError:
        return False


def ws_take_frame(buf):
    """The first whole server frame in buf: ((opcode, payload), rest), or
    (None, buf) while it is incomplete (server frames are never masked)."""
    if len(buf) < 2:
        return None, buf
    n, off = buf[1] & 127, 2
    if n == 126:
        if len(buf) < 4:
            return None, buf
        n, off = struct.unpack(">H", buf[2:4])[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None, buf
        n, off = struct.unpack(">Q", buf[2:10])[0], 10
    if len(buf) < off + n:
        return None, buf
    return (buf[0] & 15, buf[off:off + n]), buf[off + n:]


class WsClient:
    def __init__(self, web, path="/", timeout=5.0, source=None):
        self.sock = socket.create_connection(("127.0.0.1", web.port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, web.port, key)).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = self.sock.recv(4096)
            if not d:
                raise EOFError("connection closed during the handshake")
            buf += d
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        self.status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in self.status:
            raise ConnectionError("handshake refused: %s" % self.status)

    @staticmethod
    def frame(data, opcode=1, fin=True, mask=True, rsv=0, length=None):
        if isinstance(data, str):
            data = data.encode()
        n = len(data) if length is None else length
        hdr = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
        m = 0x80 if mask else 0
        if n < 126:
            hdr += bytes([m | n])
        elif n < 65536:
            hdr += bytes([m | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([m | 127]) + struct.pack(">Q", n)
        if not mask:
            return hdr + data
        key = os.urandom(4)
        return hdr + key + bytes(b ^ key[i % 4] for i, b in enumerate(data))

    def send(self, data, opcode=1):
        self.sock.sendall(self.frame(data, opcode))

    def send_json(self, obj):
        self.send(json.dumps(obj))

    def recv(self, timeout=2.0):
        """Next data frame as (opcode, payload), or None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            f = self._parse()
            if f is not None:
                if f[0] == 9:       # ping: answer it
                    self.sock.sendall(self.frame(f[1], 10))
                    continue
                return f
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not d:
                raise EOFError("connection closed")
            self.buf += d

    def _parse(self):
        f, self.buf = ws_take_frame(self.buf)
        return f

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def osc_frame_decode(data):
    return jmtest.osc_decode(bytes(data))[0][:3]


# --------------------------------------------------------------------------
# the browser

def x32_db(f):
    if f <= 0:
        return -90.0
    if f >= 1:
        return 10.0
    if f >= 0.5:
        return 40 * f - 30
    if f >= 0.25:
        return 80 * f - 50
    if f >= 0.0625:
        return 160 * f - 70
    return 480 * f - 90


browser_unavailable = jmtest.browser_unavailable


class Browser(jmtest.BrowserDriver):
    def __init__(self):
        super().__init__(DRIVER)


@pytest.mark.timeout(90)
def test_browser_surface(web):
    why = browser_unavailable()
    if why:
        pytest.skip(why)
    b = Browser()
    try:
        with web.d.client() as c:
            r = b.cmd(cmd="open", url="http://127.0.0.1:%d/ui" % web.port)
            jmtest.note("page loaded and live in %.0f ms (%s)" % (r["ms"], r["title"]))

            # drag strip 2's fader from -4 dB down: the daemon follows
            # (another controller moves it to +6 dB half way: while held, the
            # page's fader follows the pointer only)
            start = c.query_value("/strip/2/fader/norm")
            r = b.cmd(cmd="drag", id="s2-fader", to=0.42, steps=12,
                      foreign={"port": web.d.osc_port, "path": "/strip/2/fader", "type": "f",
                               "value": 6.0})
            norm = r["norm"]
            assert abs(norm - 0.42) < 0.01, "the fader ended at %.4f, dragged to 0.42" % norm
            assert r["worst"] < 0.005, \
                "the fader left the pointer by %.4f during the drag" % r["worst"]
            assert r["held"] == norm, "the fader moved on release: %r" % r
            sent = r["sent"]
            assert sent[0] == {"a": "/strip/2/fader/touch", "v": 1}, sent[:2]
            assert sent[-1] == {"a": "/strip/2/fader/touch", "v": 0}, sent[-2:]
            moves = [m for m in sent if m["a"] == "/strip/2/fader/norm"]
            assert len(moves) >= 3, "only %d moves sent: %r" % (len(moves), sent)
            got = jmtest.wait_until(
                lambda: abs(c.query_value("/strip/2/fader/norm") - norm) < 1e-4, 2.0)
            assert got, "daemon's /strip/2/fader/norm %.4f, page %.4f" % (
                c.query_value("/strip/2/fader/norm"), norm)
            db = c.query_value("/strip/2/fader")
            assert abs(db - x32_db(norm)) < 0.01, (db, x32_db(norm))
            jmtest.note("drag %.3f -> %.4f: %d moves sent between touch 1 and 0; daemon %.2f dB; "
                        "the fader took %d positions, all within %.4f of the pointer (a +6 dB "
                        "from OSC mid-drag did not move it)" % (
                            start, norm, len(moves), db, r["positions"], r["worst"]))

            # OSC -> page latency, pan and mute of strip 1
            lat = []
            for v in (0.5, -0.75, 0.25, -0.1, 0.0):
                r = b.cmd(cmd="osc_wait", port=web.d.osc_port, path="/strip/1/pan", type="f",
                          value=v, sel="#s1-pan", attr="data-value", expect=v, tol=1e-4)
                assert r["ms"] is not None, "pan %g never showed (last %r)" % (v, r["last"])
                lat.append(r["ms"])
            for v in (1, 0, 1, 0):
                r = b.cmd(cmd="osc_wait", port=web.d.osc_port, path="/strip/1/mute", type="i",
                          value=v, sel="#s1-mute", attr="aria-pressed",
                          expect="true" if v else "false")
                assert r["ms"] is not None, "mute %d never showed" % v
                lat.append(r["ms"])
            jmtest.note("OSC -> page: %.1f ms median, %.1f ms worst over %d changes" % (
                sorted(lat)[len(lat) // 2], max(lat), len(lat)))
            assert max(lat) < LATENCY_MS, "OSC -> page took %.1f ms" % max(lat)

            # meters move while a signal plays; the screenshot shows them
            silent = float(b.cmd(cmd="attr", sel="#s1-meter", attr="data-db")["value"])
            c.send("/strip/3/pan", -0.4)
            c.send("/strip/4/mute", 1)
            readings = []

            def during():
                time.sleep(0.4)
                for _ in range(8):
                    readings.append(float(b.cmd(cmd="attr", sel="#s1-meter",
                                                attr="data-db")["value"]))
                    time.sleep(0.1)
                os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
                b.cmd(cmd="screenshot", path=SCREENSHOT)
            Probe.run(web.js, play=[("%s:kick" % NAME, "sine:1000:-12")],
                      capture=["%s:master_L" % NAME], seconds=2.0, during=during)
            c.send("/strip/4/mute", 0)
            jmtest.note("strip 1 meter: %.1f dBFS silent, %.1f..%.1f dBFS with a -12 dBFS sine" % (
                silent, min(readings), max(readings)))
            assert silent < -60, silent
            assert min(readings) > -20 and max(readings) < -6, readings
            assert os.path.getsize(SCREENSHOT) > 10000
    finally:
        b.close()




# --------------------------------------------------------------------------
# OSCQuery

def leaves(node, out):
    if "TYPE" in node:
        out.append(node)
    for name, child in node.get("CONTENTS", {}).items():
        assert child["FULL_PATH"] == node["FULL_PATH"].rstrip("/") + "/" + name, child["FULL_PATH"]
        leaves(child, out)
    return out


def list_params(web):
    r = jmtest.run_jmixd("--list-params", web.d.session_path)
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        path, unit, lo, hi, default = line.split()
        out[path] = (float(lo), float(hi))
    return out


def close(a, b, rel=1e-5):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def test_oscquery_namespace(web):
    with web.d.client() as c:
        # values that are not the session's, so VALUE is seen to be live
        c.set_and_confirm("/strip/1/eq/2/gain", 3.5)
        c.set_and_confirm("/master/limiter/on", 1)
        c.set_and_confirm("/monitor/curve", 2)
        time.sleep(0.1)
        status, hdr, body = http_get(web, "/")
        assert status == 200 and hdr["content-type"].startswith("application/json"), (status, hdr)
        tree = json.loads(body)
        assert tree["FULL_PATH"] == "/"
        every = leaves(tree, [])
        table = list_params(web)
        # the index-form leaves are exactly --list-params'; the rest are the
        # name forms of the same parameters and the meters (test_oscquery.py)
        nodes = [n for n in every if n["FULL_PATH"] in table]
        assert sorted(n["FULL_PATH"] for n in nodes) == sorted(table), \
            "namespace leaves differ from --list-params"
        others = [n["FULL_PATH"] for n in every if n["FULL_PATH"] not in table]
        assert all(p.startswith("/meter/") or "name form of" in
                   next(n for n in every if n["FULL_PATH"] == p)["DESCRIPTION"]
                   for p in others), others
        t0 = time.monotonic()
        for n in nodes:
            path = n["FULL_PATH"]
            lo, hi = table[path]
            rng = n["RANGE"][0]
            assert close(rng["MIN"], lo) and close(rng["MAX"], hi), (path, rng, lo, hi)
            assert n["ACCESS"] == 3 and n["DESCRIPTION"], n
            assert len(n["VALUE"]) == 1, n
            want = c.query_value(path)
            v = n["VALUE"][0]
            if n["TYPE"] == "i":
                assert v == round(want), (path, v, want)
            else:
                assert n["TYPE"] == "f" and close(v, want), (path, v, want)
        jmtest.note("%d leaves, each VALUE equal to the OSC reply and RANGE to --list-params "
                    "(%.0f ms of OSC queries)" % (len(nodes), (time.monotonic() - t0) * 1000))
        assert next(n for n in nodes if n["FULL_PATH"] == "/strip/1/eq/2/gain")["VALUE"] == [3.5]

        # one node, one attribute, errors
        status, _, body = http_get(web, "/strip/1/fader")
        node = json.loads(body)
        assert status == 200 and node["FULL_PATH"] == "/strip/1/fader" and node["TYPE"] == "f"
        assert json.loads(http_get(web, "/strip/2")[2])["CONTENTS"]["pan"]["VALUE"] == [-0.25]
        assert json.loads(http_get(web, "/strip/1/mute?VALUE")[2]) == {"VALUE": [0]}
        assert json.loads(http_get(web, "/master/fader?RANGE")[2]) == \
            {"RANGE": [{"MIN": -90, "MAX": 10}]}
        assert http_get(web, "/strip/99/fader")[0] == 404
        assert http_get(web, "/strip/1?VALUE")[0] == 204     # ACCESS 0: nothing to read
        assert http_get(web, "/strip/1/fader?NOSUCH")[0] == 400

        status, hdr, body = http_get(web, "/?HOST_INFO")
        info = json.loads(body)
        assert status == 200 and info["OSC_PORT"] == web.d.osc_port, info
        assert info["OSC_TRANSPORT"] == "UDP" and info["NAME"] == NAME, info
        assert info["EXTENSIONS"]["LISTEN"] is True and info["EXTENSIONS"]["VALUE"] is True
        c.send("/strip/1/eq/2/gain", 0.0)
        c.send("/master/limiter/on", 0)
        c.send("/monitor/curve", 0)


def test_oscquery_listen(web):
    ws = WsClient(web, "/")
    try:
        with web.d.client() as c:
            ws.send_json({"COMMAND": "LISTEN", "DATA": "/strip/3/fader"})
            ws.send_json({"COMMAND": "LISTEN", "DATA": "/strip/3/mute"})
            time.sleep(0.1)
            lat = []
            for v in (-12.0, -3.5, 4.0):
                t0 = time.monotonic()
                c.send("/strip/3/fader", v)
                f = ws.recv(2.0)
                assert f is not None and f[0] == 2, "no binary frame for /strip/3/fader %g" % v
                lat.append((time.monotonic() - t0) * 1000)
                assert osc_frame_decode(f[1]) == ("/strip/3/fader", [v], "f"), f
            c.send("/strip/3/mute", 1)
            f = ws.recv(2.0)
            assert f and osc_frame_decode(f[1]) == ("/strip/3/mute", [1], "i"), f
            ws.send_json({"COMMAND": "IGNORE", "DATA": "/strip/3/fader"})
            time.sleep(0.1)
            c.send("/strip/3/fader", -8.0)
            c.send("/strip/3/mute", 0)
            f = ws.recv(1.0)
            assert f and osc_frame_decode(f[1]) == ("/strip/3/mute", [0], "i"), f
            assert ws.recv(0.3) is None, "a change of an IGNOREd path was sent"
            # OSC sent over the socket reaches the console
            ws.send(jmtest.osc_message("/strip/3/pan", 0.5), opcode=2)
            assert jmtest.wait_until(lambda: c.query_value("/strip/3/pan") == 0.5, 2.0)
            c.send("/strip/3/pan", 0.0)
            jmtest.note("LISTEN: OSC -> WebSocket frame %.1f ms worst" % max(lat))
    finally:
        ws.close()


def test_http_routes(web):
    status, hdr, body = http_get(web, "/ui")
    assert status == 200 and hdr["content-type"].startswith("text/html"), (status, hdr)
    html = body.decode()
    assert "JM_CFG" in html and "kick" in html and "WebSocket" in html
    assert "src=" not in html and "href=" not in html, "the page must not load anything"
    status, hdr, body2 = http_get(web, "/",
                                  {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert status == 200 and body2 == body
    status, hdr, _ = http_get(web, "/", {"Accept": "application/json"})
    assert hdr["content-type"].startswith("application/json")
    assert http_get(web, "/favicon.ico")[0] == 404


def test_allow_and_port_taken(web):
    # outside osc.allow: hung up on before a byte is read
    port = jmtest.free_tcp_port()
    text = 'jack = { name = "jmwebdeny"; };\nosc = { allow = [ "10.0.0.0/8" ]; };\n' \
           'strips = ( { name = "a"; input = [ ]; } );\nmaster = { output = [ ]; };\n'
    d = start_daemon(web, text, port, name="jmwebdeny", wait="ports")
    try:
        assert jmtest.wait_until(lambda: "web:" in d.stderr_text(), 5), d.stderr_text()
        try:
            status = http_get_port(port, "/?HOST_INFO")
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            status = type(e).__name__
        assert status != 200, "a client outside osc.allow was served"
        assert "outside osc.allow" in d.stderr_text()
    finally:
        d.stop()
    # the HTTP port is taken: the console runs without its web surface
    text = 'jack = { name = "jmwebtaken"; };\n' \
           'strips = ( { name = "a"; input = [ ]; } );\nmaster = { output = [ ]; };\n'
    d = start_daemon(web, text, web.port, name="jmwebtaken")
    try:
        with d.client() as c:
            assert len(c.query("/info")) == 5
        assert "web: cannot serve HTTP" in d.stderr_text(), d.stderr_text()
        assert http_ok(web, "/?HOST_INFO")       # the first daemon still serves
    finally:
        assert d.stop() == 0


@pytest.mark.timeout(60)
def test_oscjson_announced(web):
    """With Avahi, `_oscjson._tcp` names the console and its HTTP port (the
    Avahi daemon is started as test_zeroconf does, when it can be)."""
    import test_zeroconf as zc
    av = types.SimpleNamespace(avahi=None, dbus=None, logdir=jmtest.mkdtemp("jmtwebzc"))
    why = zc.start_avahi(av)
    if why:
        pytest.skip(why)
    port = jmtest.free_tcp_port()
    name = jmtest.unique_name("jmwebzc")
    text = 'strips = ( { name = "a"; input = [ ]; } );\nmaster = { output = [ ]; };\n'
    d = start_daemon(web, text, port, name=name)
    try:
        def look():
            r = subprocess.run(["avahi-browse", "-rpt", "_oscjson._tcp"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, timeout=15)
            hits = [f for f in (line.split(";") for line in r.stdout.splitlines())
                    if f[0] == "=" and len(f) >= 9 and zc.unescape(f[3]) == name]
            return hits or None
        hits = jmtest.wait_until(look, 10, interval=0.5)
        assert hits and all(int(f[8]) == port for f in hits), \
            "avahi-browse _oscjson._tcp: %r" % (hits,)
        jmtest.note("announced _oscjson._tcp \"%s\" on port %d" % (name, port))
    finally:
        d.stop()
        zc.stop(av.avahi)
        zc.stop(av.dbus)
        if av.dbus is not None and not zc.bus_alive() and os.path.exists(zc.BUS_SOCKET):
            os.unlink(zc.BUS_SOCKET)




def http_get_port(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        c.request("GET", path)
        return c.getresponse().status
    finally:
        c.close()


# --------------------------------------------------------------------------
# abuse

def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raw(web, data, read=True, timeout=1.0):
    """Send bytes on a fresh connection; returns what came back (or b'')."""
    try:
        s = socket.create_connection(("127.0.0.1", web.port), timeout=timeout)
    except OSError:
        return b""
    try:
        s.sendall(data)
        out = b""
        if read:
            while len(out) < 65536:
                d = s.recv(65536)
                if not d:
                    break
                out += d
        return out
    except OSError:
        return b""
    finally:
        s.close()


BAD_HTTP = [
    b"\x00\x01\x02\x03garbage\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 100000 + b"\r\n\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
    b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
    b"GET /%zz%00%ff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /?" + b"A" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
    b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(2000)) + b"\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Version: 99\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n",       # never finished
]


def bad_ws_frames():
    F = WsClient.frame
    yield F(b"unmasked", mask=False)
    yield F(b"rsv", rsv=7)
    yield F(b"op3", opcode=3)
    yield F(b"x" * 200, opcode=9)                        # control frame > 125
    yield F(b"ping", opcode=9, fin=False)                # fragmented control frame
    yield F(b"cont", opcode=0)                           # continuation without a start
    yield F(b"\xff\xfe\xc3\x28 not utf-8")
    yield F(b"", length=1 << 62)                         # absurd length, no payload
    yield F(b"{" * 70000)                                # 70 kB text
    yield F(os.urandom(100000), opcode=2)                # 100 kB binary
    yield b"".join(F(b"a" * 1000, opcode=1 if k == 0 else 0, fin=False) for k in range(10))
    yield F(b'{"a": "/strip/1/fader/norm", "v": "loud"}')
    yield F(b'{"a": "/strip/1/fader/norm", "v": NaN}')
    yield F(b'{"a": "/nope/' + b"x" * 3000 + b'", "v": 1}')
    yield F(b'{"COMMAND": "LISTEN", "DATA": "' + b"/x" * 1500 + b'"}')
    yield F(b'{"COMMAND": "FLY", "DATA": 7}')
    yield F(b"\x00" * 64)
    yield F(b"#bundle\x00" + os.urandom(64), opcode=2)
    yield F(os.urandom(1000), opcode=random.choice([1, 2, 8, 10]))


def abuse_source(k):
    """The console holds at most 8 connections per address: the abuse comes
    from many loopback addresses (127.0.2.x), 4 connections each."""
    return "127.0.2.%d" % (1 + k // 4 % 250)


def abuse(web, stats):
    t0 = time.monotonic()
    # 200 WebSocket connections opened and dropped, in waves of 50
    opened = 0
    for wave in range(4):
        conns = []
        for k in range(50):
            try:
                conns.append(WsClient(web, "/ui" if len(conns) % 2 else "/", timeout=3.0,
                                      source=abuse_source(k)))
            except (OSError, EOFError, ConnectionError):
                pass
        opened += len(conns)
        for k, w in enumerate(conns):
            if k % 3 == 0:
                w.sock.sendall(WsClient.frame(b"", opcode=8))    # a polite close
            w.close()
    stats["ws_opened"] = opened
    # 200 bare TCP connections at once, dropped before a byte
    socks = []
    for _ in range(200):
        try:
            socks.append(socket.create_connection(("127.0.0.1", web.port), timeout=2))
        except OSError:
            pass
    for s in socks:
        s.close()
    stats["tcp_burst"] = len(socks)
    # malformed HTTP
    for req in BAD_HTTP:
        raw(web, req)
    # malformed and oversized WebSocket frames, each on a fresh socket
    n = 0
    for k in range(3):
        for fr in bad_ws_frames():
            try:
                w = WsClient(web, "/ui" if k % 2 else "/", timeout=3.0)
                w.sock.sendall(fr)
                w.sock.settimeout(0.2)
                try:
                    w.sock.recv(65536)
                except OSError:
                    pass
                w.close()
                n += 1
            except (OSError, EOFError, ConnectionError):
                pass
    stats["bad_frames"] = n
    # a page socket that never reads while parameters change fast
    stalled = WsClient(web, "/ui")
    stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    for p in ("/strip/3/fader", "/strip/3/pan"):
        stalled.send_json({"COMMAND": "LISTEN", "DATA": p})
    with OscClient(web.d.osc_port) as c:
        for k in range(4000):
            c.send("/strip/3/pan", math.sin(k / 50.0))
            if k % 500 == 0:
                time.sleep(0.01)
    time.sleep(0.3)
    stalled.close()
    stats["seconds"] = time.monotonic() - t0


@pytest.mark.timeout(120)
def test_abuse(web):
    probe = dict(play=[("%s:kick" % NAME, "sine:1000:-12")],
                 capture=["probe_play:out_1", "%s:master_L" % NAME])
    with web.d.client() as c:
        c.set_and_confirm("/strip/1/fader", 0.0)
        c.set_and_confirm("/strip/1/mute", 0)
        c.set_and_confirm("/strip/1/pan", 0.0)
        # warm up: the page, the namespace, a few sockets
        for _ in range(3):
            http_get(web, "/ui")
            http_get(web, "/")
            WsClient(web, "/ui").close()
        time.sleep(1.0)
        rss0 = rss_kb(web.d.pid)
        log0 = len(web.d.stderr_text())
        stats = {}
        ctl = Probe.run(web.js, seconds=6.0, during=lambda: time.sleep(5.0), **probe)
        cap = Probe.run(web.js, seconds=6.0, timeout=120, during=lambda: abuse(web, stats),
                        **probe)
        settle = time.monotonic()
        info = c.query("/info", timeout=5.0)
        rss_peak = rss_kb(web.d.pid)
        rss1 = rss_peak
        while time.monotonic() - settle < 5.0:
            time.sleep(0.5)
            rss1 = rss_kb(web.d.pid)
            if rss1 - rss0 < RSS_TOL_MB * 1024 / 2:
                break
        # still serving
        assert http_ok(web, "/?HOST_INFO")
        w = WsClient(web, "/ui")
        assert w.recv(2.0) is not None, "no state for a new page after the abuse"
        w.close()

    def level(cp, a, b):
        return cp.rms_db(1, a, b) - cp.rms_db(0, a, b)
    ref = level(ctl, 0.2, 5.8)
    windows = [level(cap, t, t + 0.5) for t in [0.2 + 0.5 * k for k in range(11)]]
    worst = max(abs(v - ref) for v in windows)
    x_abuse, x_ctl = cap.meta["xruns"], ctl.meta["xruns"]
    jmtest.note("abuse in %.1f s: %d WebSocket connections opened and dropped, %d bare TCP "
                "connections, %d malformed requests, %d bad/oversized frames, a stalled "
                "reader under 4000 changes" % (stats.get("seconds", 0), stats.get("ws_opened", 0),
                                               stats.get("tcp_burst", 0), len(BAD_HTTP),
                                               stats.get("bad_frames", 0)))
    jmtest.note("JACK %s: xruns %d with the abuse, %d without; level %.4f dB worst deviation "
                "over %d windows" % ("realtime" if web.rt else "NOT realtime (xruns not asserted)",
                                     x_abuse, x_ctl, worst, len(windows)))
    jmtest.note("RSS %.1f MB before, %.1f MB right after, %.1f MB after settling" % (
        rss0 / 1024.0, rss_peak / 1024.0, rss1 / 1024.0))
    log = web.d.stderr_text()[log0:]
    jmtest.note("daemon log during the abuse: %d lines%s" % (
        len(log.splitlines()), (": " + " | ".join(log.splitlines()[:5])) if log else ""))
    assert len(info) == 5 and web.d.alive()
    assert len(log.splitlines()) <= 20, "the abuse floods the log:\n%s" % log[-2000:]
    assert worst <= LEVEL_TOL_DB, "level moved by %.4f dB during the abuse" % worst
    jmtest.assert_unharmed(ctl, cap, "the abuse", web.rt, XRUN_NOISE)
    assert stats["ws_opened"] >= 150, stats
    assert (rss1 - rss0) / 1024.0 < RSS_TOL_MB, "RSS grew by %.1f MB" % ((rss1 - rss0) / 1024.0)


