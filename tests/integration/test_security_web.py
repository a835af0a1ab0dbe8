"""The web surface on a studio network (issue 14): each attack is performed
with raw sockets (HTTP requests and WebSocket frames crafted here) against a
live daemon, and must fail.

Cross-site WebSocket hijacking and DNS rebinding:
- test_web_origin_checked: a WebSocket from a foreign Origin (another site,
  another port of the console's own address, "null", https) gets 403 and
  nothing else, and a frame sent behind the refused upgrade does nothing;
  no Origin (a non-browser client), the console's own origin under each of
  its names, and a web.origins entry are accepted.
- test_web_host_checked: a request (or upgrade) naming a foreign Host, a
  Host with another port, or no Host gets 421 and an empty body; the
  console's own names (127.0.0.1, localhost, its host name and
  hostname.local, its interface addresses, web.hosts) are answered.
- test_web_no_cors_wildcard: no Access-Control-Allow-Origin on any answer.
- test_web_websocket_osc_confined: OSC over a WebSocket may set, query and
  touch parameters (and aliases); /session/save, /snapshot/save,
  /record/start, /automation/mode, address patterns, a bundle hiding one of
  them, and /subscribe with a port are dropped, each answered with /error,
  and none reaches the console (no file, no snapshot, no lane, no mute, no
  datagram to the named port).
- test_web_unmasked_frame_closed: RFC 6455 5.1, a client frame without a
  mask closes the connection (libwebsockets 4.1 does not: expected failure
  until it is upgraded).

Connection exhaustion:
- test_web_connection_limit_per_address: 70 WebSockets from one address:
  8 are held, the others are closed at once; the page still loads for
  everyone else, and the address gets a slot back when it frees one.
- test_web_idle_http_closed: 80 idle TCP connections from 80 addresses,
  a slow-loris request and a kept-alive connection are closed after 2 s,
  and a request behind them is answered.
- test_web_idle_websocket_closed: with web.idle_seconds = 3, a WebSocket
  that never answers pings is closed after 3 s; one that answers stays.
- test_web_idle_page_kept: Chromium's page, idle, stays connected through
  several idle periods (skipped without Chromium).
"""
import os
import socket
import time
import types

import pytest

import jmtest
from jmtest import Daemon, JackServer, OscClient
import test_web  # its WebSocket frame helpers

NAME = "jmsecweb"
IDLE_S = 3
PER_ADDRESS = 8
HOSTS = ["console.studio"]
ORIGINS = ["http://tablet.studio:9000"]

SESSION = """
jack = { name = "%s"; };
strips = (
  { name = "kick"; input = [ ]; },
  { name = "snare"; input = [ ]; }
);
buses = ( { name = "verb"; type = "reverb"; } );
master = { output = [ ]; };
aliases = ( { from = "/1/fader1"; to = "/strip/1/fader/norm"; } );
web = { port = %d; idle_seconds = %d; hosts = [ %s ]; origins = [ %s ]; };
"""


def quoted(items):
    return ", ".join('"%s"' % i for i in items)


@pytest.fixture(scope="module")
def web():
    js = JackServer().start()
    try:
        port = jmtest.free_tcp_port()
        d = Daemon(SESSION % (NAME, port, IDLE_S, quoted(HOSTS), quoted(ORIGINS)), js,
                   name=NAME).start()
        ns = types.SimpleNamespace(js=js, d=d, port=port)
        if not jmtest.wait_until(lambda: status_of(ns, "/?HOST_INFO") == 200, 10):
            raise AssertionError("no HTTP on port %d:\n%s" % (port, d.stderr_text()[-2000:]))
        yield ns
        d.stop()
    finally:
        js.stop()


# --------------------------------------------------------------------------
# raw HTTP and WebSocket

def connect(web, source=None, timeout=3.0):
    return socket.create_connection(("127.0.0.1", web.port), timeout=timeout,
                                    source_address=(source, 0) if source else None)


def request_bytes(path="/", host="127.0.0.1", headers=(), upgrade=False, version="1.1"):
    lines = ["GET %s HTTP/%s" % (path, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    if upgrade:
        lines += ["Upgrade: websocket", "Connection: Upgrade",
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock, timeout=3.0):
    """(status, headers, body, rest); status None when the server closed
    without answering. Reads the body by Content-Length (101: none)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        try:
            d = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            d = b""
        if not d:
            return None, {}, buf, b""
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdr = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdr[k.strip().lower()] = v.strip()
    if status == 101:
        return status, hdr, b"", rest
    n = int(hdr.get("content-length", "0"))
    while len(rest) < n:
        d = sock.recv(65536)
        if not d:
            break
        rest += d
    return status, hdr, rest[:n], rest[n:]


def closed_by_server(sock, timeout=3.0):
    """True when the server closes (EOF or reset) within timeout; skips any
    close frame it sends first."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if not sock.recv(65536):
                return True
    except (socket.timeout, BlockingIOError):
        return False
    except OSError:
        return True
    return False


def http(web, path="/", host=None, headers=(), source=None, version="1.1"):
    """One request on a fresh connection: (status, headers, body)."""
    s = connect(web, source)
    try:
        s.sendall(request_bytes(path, "127.0.0.1:%d" % web.port if host is None else host,
                                headers, version=version))
        return read_response(s)[:3]
    finally:
        s.close()


def status_of(web, path):
    try:
        return http(web, path)[0]
    except OSError:
        return None


def frame(data, opcode=2, mask=True):
    return test_web.WsClient.frame(data, opcode, mask=mask)


class Ws:
    """A WebSocket opened by hand; status is the handshake's HTTP status."""

    def __init__(self, web, path="/", origin=None, host=None, source=None, timeout=3.0):
        self.sock = connect(web, source, timeout)
        hdrs = ["Origin: %s" % origin] if origin else []
        self.sock.sendall(request_bytes(path, "127.0.0.1:%d" % web.port if host is None
                                        else host, hdrs, upgrade=True))
        self.status, self.headers, self.body, self.buf = read_response(self.sock, timeout)
        self.pings = 0

    def send(self, data, opcode=2, mask=True):
        self.sock.sendall(frame(data, opcode, mask))

    def _parse(self):
        f, self.buf = test_web.ws_take_frame(self.buf)
        return f

    def recv(self, timeout=2.0, pong=True):
        """Next data frame (opcode, payload); None on timeout; pings are
        answered when pong, else counted and dropped. EOFError on close."""
        deadline = time.monotonic() + timeout
        while True:
            f = self._parse()
            if f is not None:
                if f[0] == 9:
                    self.pings += 1
                    if pong:
                        self.sock.sendall(frame(f[1], 10))
                    continue
                if f[0] == 8:
                    raise EOFError("close frame")
                return f
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                d = b""
            if not d:
                raise EOFError("connection closed")
            self.buf += d

    def recv_osc(self, timeout=2.0, until=None):
        """Decoded OSC messages (path, args, tags) until timeout, or until a
        message with the path `until` arrived."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            f = self.recv(left)
            if f is None:
                return out
            if f[0] == 2:
                out.extend(m[:3] for m in jmtest.osc_decode(f[1]))
                if until and any(m[0] == until for m in out):
                    return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def own_addresses():
    """This machine's non-loopback IPv4 addresses (from the routing table's
    choice of source; may be empty in a network namespace)."""
    out = []
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("10.255.255.255", 9))
        a = s.getsockname()[0]
        s.close()
        if not a.startswith("127."):
            out.append(a)
    except OSError:
        pass
    return out


# --------------------------------------------------------------------------
# cross-site WebSocket hijacking, DNS rebinding, CORS

def test_web_origin_checked(web):
    p = web.port
    host = socket.gethostname()
    accepted = [None, "http://127.0.0.1:%d" % p, "http://localhost:%d" % p,
                "http://%s:%d" % (host, p), "http://%s.local:%d" % (host, p),
                "http://console.studio:%d" % p, ORIGINS[0]]
    accepted += ["http://%s:%d" % (a, p) for a in own_addresses()]
    refused = ["http://evil.example", "http://evil.example:%d" % p, "https://evil.example",
               "http://127.0.0.1:%d" % (p + 1 if p < 65535 else p - 1), "http://127.0.0.1",
               "null", "https://127.0.0.1:%d" % p, "http://127.0.0.1.evil.example:%d" % p,
               "http://tablet.studio:9001", "file://", "http://localhost:%d/x" % p]
    for o in accepted:
        w = Ws(web, "/ui", origin=o)
        assert w.status == 101, "Origin %r refused: %r" % (o, w.status)
        assert w.recv(2.0) is not None, "no state for the page from Origin %r" % o
        w.close()
    with web.d.client() as c:
        c.set_and_confirm("/strip/2/mute", 0)
        for o in refused:
            # the attack: upgrade, then at once a frame that would mute strip 2
            s = connect(web)
            s.sendall(request_bytes("/ui", "127.0.0.1:%d" % p, ["Origin: %s" % o], upgrade=True)
                      + frame('{"a": "/strip/2/mute", "v": 1}', 1)
                      + frame(jmtest.osc_message("/strip/2/mute", 1)))
            status, hdr, body, rest = read_response(s)
            assert status == 403, "Origin %r: %r %r" % (o, status, hdr)
            assert body == b"" and rest == b"", (o, body, rest)
            assert "sec-websocket-accept" not in hdr, hdr
            assert closed_by_server(s, 3.0), "Origin %r: the connection stayed open" % o
            s.close()
        time.sleep(0.3)
        assert c.query_value("/strip/2/mute") == 0, "a refused WebSocket muted strip 2"
    jmtest.note("WebSocket upgrades: %d origins accepted (none, own names, web.origins), %d "
                "refused with 403 and an empty body, the frames behind them ignored" % (
                    len(accepted), len(refused)))


def test_web_host_checked(web):
    p = web.port
    host = socket.gethostname()
    answered = ["127.0.0.1:%d" % p, "127.0.0.1", "localhost:%d" % p, "LocalHost",
                "%s:%d" % (host, p), host, "%s.local:%d" % (host, p), "%s.local." % host,
                "console.studio:%d" % p, "console.studio"]
    answered += ["%s:%d" % (a, p) for a in own_addresses()]
    refused = ["evil.example:%d" % p, "evil.example", "rebind.attacker.example:%d" % p,
               "127.0.0.1:%d" % (p + 1 if p < 65535 else p - 1), "127.0.0.2:%d" % p,
               "localhost.evil.example", "console.studio.evil.example:%d" % p, "",
               "8.8.8.8:%d" % p, "[::1]:%d" % p, "127.0.0.1:%d, evil.example" % p]
    for h in answered:
        status, _, body = http(web, "/?HOST_INFO", host=h)
        assert status == 200 and b"OSC_PORT" in body, (h, status)
    for h in refused:
        for path in ("/", "/ui", "/?HOST_INFO", "/strip/1/fader"):
            status, hdr, body = http(web, path, host=h)
            assert status == 421, "Host %r %s: %r" % (h, path, status)
            assert body == b"", (h, path, body[:80])
        # the rebinding page's own WebSocket: its Origin matches its Host
        w = Ws(web, "/ui", origin="http://%s" % h, host=h)
        assert w.status == 421 and w.body == b"", (h, w.status)
        w.close()
    # no Host at all (HTTP/1.0)
    s = connect(web)
    s.sendall(b"GET /ui HTTP/1.0\r\n\r\n")
    status, _, body, _ = read_response(s)
    s.close()
    assert status == 421 and body == b"", status
    jmtest.note("Host: %d of the console's names answered, %d foreign names (and none) get 421 "
                "with an empty body, for HTTP and for WebSocket upgrades" % (
                    len(answered), len(refused) + 1))


def test_web_no_cors_wildcard(web):
    for path, accept in (("/?HOST_INFO", "*/*"), ("/", "application/json"), ("/ui", "text/html"),
                         ("/strip/1/fader?VALUE", "*/*"), ("/nope", "*/*")):
        status, hdr, _ = http(web, path, headers=["Origin: http://evil.example",
                                                  "Accept: %s" % accept])
        assert status in (200, 404), (path, status)
        cors = [k for k in hdr if k.startswith("access-control-")]
        assert not cors, "%s answers %r" % (path, {k: hdr[k] for k in cors})


@pytest.mark.timeout(60)
def test_web_websocket_osc_confined(web):
    msg = jmtest.osc_message
    tmp = jmtest.mkdtemp("jmtsecweb")
    saved = os.path.join(tmp, "evil.cfg")
    recorded = os.path.join(tmp, "evil.wav")
    session_mtime = os.stat(web.d.session_path).st_mtime_ns
    victim = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    victim.bind(("127.0.0.1", 0))
    victim.settimeout(0.05)
    vport = victim.getsockname()[1]
    attacks = [
        ("/session/save", msg("/session/save", saved)),
        ("/session/save", msg("/session/save")),
        ("/snapshot/save", msg("/snapshot/save", "evil")),
        ("/snapshot/recall", msg("/snapshot/recall", "evil", 0.0)),
        ("/record/start", msg("/record/start", recorded)),
        ("/automation/mode", msg("/automation/mode", "/strip/1/fader", "write")),
        ("/strip/*/mute", msg("/strip/*/mute", 1)),
        ("/strip/{1,2}/mute", msg("/strip/{1,2}/mute", 1)),
        ("/loudness/reset", msg("/loudness/reset")),
        ("/params", msg("/params", "/strip/")),
        ("/info", msg("/info")),
        ("/session/save", jmtest.osc_bundle([msg("/strip/1/fader", -30.0),
                                             msg("/session/save", saved)])),
    ]
    with web.d.client() as c:
        c.set_and_confirm("/strip/1/fader", 0.0)
        c.set_and_confirm("/strip/1/mute", 0)
        c.set_and_confirm("/strip/2/mute", 0)
        w = Ws(web, "/")
        assert w.status == 101
        errors = []
        for path, packet in attacks:
            w.send(packet)
            got = w.recv_osc(1.0, until="/error")
            errs = [m for m in got if m[0] == "/error"]
            assert errs and errs[0][1][0] == path, "%s: no /error reply (%r)" % (path, got)
            errors.append(errs[0])
        # /subscribe from a WebSocket is LISTEN to everything here: never a
        # subscription of the gateway, least of all for another port
        w.send(msg("/subscribe", vport, "units"))
        time.sleep(0.3)     # the frame and the UDP change race otherwise
        c.send("/strip/2/pan", 0.5)
        got = w.recv_osc(1.0)
        assert ("/strip/2/pan", [0.5], "f") in got, got
        c.send("/strip/2/pan", -0.5)
        time.sleep(0.5)
        try:
            leaked = victim.recv(65536)
        except socket.timeout:
            leaked = None
        assert leaked is None, "the console sent %r to the port named in /subscribe" % leaked
        w.send(msg("/unsubscribe"))
        w.recv_osc(0.3)

        time.sleep(0.5)
        assert not os.path.exists(saved), "/session/save through the WebSocket wrote a file"
        assert not os.path.exists(recorded), "/record/start through the WebSocket recorded"
        assert os.stat(web.d.session_path).st_mtime_ns == session_mtime, "session overwritten"
        c.send("/snapshot/list")
        snaps = c.collect(0.5)
        assert not [m for m in snaps if m[0] == "/snapshot" and "evil" in m[1]], snaps
        c.send("/automation/list")
        lanes = c.collect(0.5)
        assert not [m for m in lanes if m[0] == "/automation/lane" and m[1][1] == "write"], lanes
        assert c.query_value("/strip/1/mute") == 0 and c.query_value("/strip/2/mute") == 0
        assert abs(c.query_value("/strip/1/fader")) < 1e-4, "a bundle's allowed half was applied"

        # what a WebSocket may do: set, query, touch parameters and aliases
        legit = [msg("/strip/1/fader", -3.0), msg("/strip/kick/pan", 0.25),
                 msg("/strip/1/fader/touch", 1), msg("/strip/1/fader/touch", 0),
                 msg("/strip/2/fader/norm", 0.5), msg("/strip/1/fader"),
                 jmtest.osc_bundle([msg("/strip/2/mute", 1), msg("/strip/2/mute", 0)]),
                 msg("/1/fader1", 0.6)]
        for packet in legit:
            w.send(packet)
        got = w.recv_osc(1.0)
        assert not [m for m in got if m[0] == "/error"], got
        assert jmtest.wait_until(lambda: abs(c.query_value("/strip/2/fader/norm") - 0.5) < 1e-4,
                                 2.0)
        assert abs(c.query_value("/strip/1/pan") - 0.25) < 1e-4
        assert abs(c.query_value("/strip/1/fader/norm") - 0.6) < 1e-4
        w.close()
    victim.close()
    time.sleep(0.2)
    log = [l for l in web.d.stderr_text().splitlines() if "refused so far" in l]
    jmtest.note("%d OSC messages a WebSocket may not send (files, session, snapshots, record, "
                "automation, patterns, a bundle hiding one) answered with /error and dropped; "
                "%d allowed ones applied; log: %s" % (len(errors), len(legit),
                                                      log[-1] if log else "(none yet)"))


@pytest.mark.xfail(reason="libwebsockets 4.1 processes unmasked client frames (RFC 6455 5.1 "
                   "says close); fixed upstream after 4.1", strict=False)
def test_web_unmasked_frame_closed(web):
    with web.d.client() as c:
        c.set_and_confirm("/strip/2/solo", 0)
        w = Ws(web, "/ui")
        assert w.status == 101
        w.recv(1.0)
        w.send('{"a": "/strip/2/solo", "v": 1}', opcode=1, mask=False)
        closed = closed_by_server(w.sock, 2.0)
        solo = c.query_value("/strip/2/solo")
        c.set_and_confirm("/strip/2/solo", 0)
        w.close()
        assert solo == 0, "an unmasked frame was obeyed"
        assert closed, "an unmasked frame did not close the connection"


# --------------------------------------------------------------------------
# connection exhaustion

@pytest.mark.timeout(60)
def test_web_connection_limit_per_address(web):
    attacker, other = "127.0.3.1", "127.0.3.2"
    held, refused, refuse_ms = [], 0, []
    for _ in range(70):
        t0 = time.monotonic()
        w = Ws(web, "/ui", source=attacker)
        if w.status == 101:
            held.append(w)
        else:
            assert w.status is None, w.status      # closed at once, no answer
            refused += 1
            refuse_ms.append((time.monotonic() - t0) * 1000)
            w.close()
    n_held = len(held)
    try:
        assert n_held == PER_ADDRESS, n_held
        assert max(refuse_ms) < 500, max(refuse_ms)
        # everyone else still gets the page and a socket
        t0 = time.monotonic()
        status, _, body = http(web, "/ui", headers=["Accept: text/html"])
        page_ms = (time.monotonic() - t0) * 1000
        assert status == 200 and b"JM_CFG" in body
        w = Ws(web, "/ui", source=other)
        assert w.status == 101 and w.recv(2.0) is not None
        w.close()
        # the attacker's held sockets work; freeing one gives a slot back
        held.pop().close()
        assert jmtest.wait_until(lambda: Ws(web, "/ui", source=attacker).status == 101, 3.0)
    finally:
        for w in held:
            w.close()
    jmtest.note("70 WebSockets from one address: %d held, %d closed at once (worst %.1f ms); "
                "the page for another client in %.1f ms" % (n_held, refused, max(refuse_ms),
                                                            page_ms))


@pytest.mark.timeout(60)
def test_web_idle_http_closed(web):
    socks = []
    t0 = time.monotonic()
    for k in range(80):
        socks.append(connect(web, "127.0.4.%d" % (k + 1)))
    # a request behind them: lws serves 64 connections, so it waits for the
    # idle ones to be closed
    t1 = time.monotonic()
    status, _, _ = http(web, "/?HOST_INFO", source="127.0.5.1")
    served = time.monotonic() - t1
    closed_at = []
    for s in socks:
        left = max(0.1, 6.0 - (time.monotonic() - t0))
        if closed_by_server(s, left):
            closed_at.append(time.monotonic() - t0)
        s.close()
    assert status == 200
    assert served < 4.0, "a request waited %.1f s behind 80 idle connections" % served
    assert len(closed_at) == 80, "%d of 80 idle connections closed" % len(closed_at)
    # a slow-loris request, one byte every 0.3 s, never complete
    s = connect(web, "127.0.5.2")
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    t2 = time.monotonic()
    loris = None
    s.settimeout(0.3)
    while time.monotonic() - t2 < 8.0:
        try:
            if not s.recv(4096):
                loris = time.monotonic() - t2
                break
        except socket.timeout:
            try:
                s.sendall(b"X")
            except OSError:
                loris = time.monotonic() - t2
                break
        except OSError:
            loris = time.monotonic() - t2
            break
    s.close()
    assert loris is not None and loris < 3.5, "a slow request lived %r s" % loris
    # a kept-alive connection after its answer
    s = connect(web, "127.0.5.3")
    s.sendall(request_bytes("/?HOST_INFO", "127.0.0.1:%d" % web.port))
    status, _, _, _ = read_response(s)
    t3 = time.monotonic()
    assert status == 200 and closed_by_server(s, 5.0)
    keep = time.monotonic() - t3
    s.close()
    assert keep < 3.5, keep
    closed_at.sort()
    jmtest.note("80 idle TCP connections from 80 addresses: closed after %.2f..%.2f s (64 are "
                "served at once, the rest wait in the backlog); a request behind them answered "
                "in %.2f s; a slow-loris request closed after %.2f s, a "
                "kept-alive connection %.2f s after its answer" % (
                    closed_at[0], closed_at[-1], served, loris, keep))


@pytest.mark.timeout(60)
def test_web_idle_websocket_closed(web):
    silent = Ws(web, "/", source="127.0.6.1")
    polite = Ws(web, "/", source="127.0.6.2")
    assert silent.status == 101 and polite.status == 101
    polite.send('{"COMMAND": "LISTEN", "DATA": "/strip/2/pan"}', opcode=1)
    t0 = time.monotonic()
    closed = None
    while time.monotonic() - t0 < 3 * IDLE_S + 1:
        try:
            silent.recv(0.05, pong=False)
        except EOFError:
            if closed is None:
                closed = time.monotonic() - t0
        polite.recv(0.05)       # answers the pings
    assert closed is not None, "a silent WebSocket lived %d s" % (3 * IDLE_S + 1)
    assert IDLE_S - 0.5 <= closed <= IDLE_S + 2.0, closed
    # the one that answers pings is still served
    with web.d.client() as c:
        c.send("/strip/2/pan", 0.125)
        got = polite.recv_osc(1.0)
    assert ("/strip/2/pan", [0.125], "f") in got, got
    lived = time.monotonic() - t0
    jmtest.note("web.idle_seconds = %d: a WebSocket that answers no ping closed after %.2f s "
                "(%d pings sent to it); one that answers them still served after %.1f s "
                "(%d pings)" % (IDLE_S, closed, silent.pings, lived, polite.pings))
    silent.close()
    polite.close()


@pytest.mark.timeout(90)
def test_web_idle_page_kept(web):
    why = test_web.browser_unavailable()
    if why:
        pytest.skip(why)
    b = test_web.Browser()
    try:
        b.cmd(cmd="open", url="http://127.0.0.1:%d/ui" % web.port)
        t0 = time.monotonic()
        states = []
        while time.monotonic() - t0 < 3 * IDLE_S:
            states.append(b.cmd(cmd="attr", sel="#conn", attr="class")["value"])
            time.sleep(0.1)
        assert set(states) == {"on"}, "the idle page lost its socket: %r" % sorted(set(states))
        r = b.cmd(cmd="osc_wait", port=web.d.osc_port, path="/strip/1/pan", type="f", value=0.5,
                  sel="#s1-pan", attr="data-value", expect=0.5, tol=1e-4)
        assert r["ms"] is not None, "the idle page no longer follows the console"
    finally:
        b.close()
    jmtest.note("an idle page stayed connected for %.0f s (%d samples, web.idle_seconds = %d) "
                "and still showed a change in %.1f ms" % (3 * IDLE_S, len(states), IDLE_S, r["ms"]))
