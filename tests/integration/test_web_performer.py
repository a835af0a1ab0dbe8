"""Issue 16: the performer's web page /mix/NAME (docs/osc.md, "Performers"):
a PIN login on its WebSocket, then that mix only. 127.0.0.2 is a
performer-only address (osc.engineers = 127.0.0.1/32)."""
import json
import socket
import types

import pytest

import jmtest
from jmtest import Daemon, free_udp_port
from test_web import WsClient, free_tcp_port

DRUMMER_IP = "127.0.0.2"


@pytest.fixture(scope="module")
def mix(module_jack):
    port = free_tcp_port()
    session = """
jack = { name = "mixweb"; };
osc = { allow = [ "127.0.0.0/8" ]; engineers = [ "127.0.0.1/32" ]; };
strips = ( { name = "kick"; input = [ ]; }, { name = "snare"; input = [ ]; } );
buses = ( { name = "drums"; type = "aux"; channels = 2; output = [ ]; },
          { name = "vox"; type = "aux"; channels = 2; output = [ ]; } );
master = { output = [ ]; };
performers = ( { name = "drummer"; bus = "drums"; pin = "4711"; } );
web = { port = %d; };
""" % port
    d = Daemon(session, module_jack).start()
    eng = d.client()
    assert jmtest.wait_until(lambda: http(port, "/ui", "127.0.0.1").startswith("HTTP/1.1 200"), 5.0)
    yield types.SimpleNamespace(d=d, port=port, eng=eng)
    eng.close()
    d.stop()


def http(port, path, source):
    """The status line of GET path from source, "" when closed unanswered."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3.0, source_address=(source, 0))
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/html\r\n\r\n" %
                  (path.encode(), port))
        data = b""
        while True:
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                lens = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
                        if l.lower().startswith(b"content-length:")]
                if not lens or len(body) >= lens[0]:
                    break
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", "replace")
    except (ConnectionResetError, socket.timeout):
        return ""
    finally:
        s.close()


def frames(ws, duration=0.5):
    """The JSON frames arriving within duration seconds (meters stream)."""
    import time
    out = []
    end = time.monotonic() + duration
    while time.monotonic() < end:
        f = ws.recv(max(end - time.monotonic(), 0.01))
        if f is not None and f[0] == 1:
            out.append(json.loads(f[1]))
    return out


def params_of(eng):
    eng.drain(0)
    eng.send("/params", "")
    return {m[1][0]: m[1][5] for m in eng.collect_quiet(0.3) if m[0] == "/param"}


def test_performer_only_address_gets_the_mix_page_only(mix):
    assert http(mix.port, "/ui", DRUMMER_IP) == ""
    assert http(mix.port, "/", DRUMMER_IP) == ""
    page = http(mix.port, "/mix/drummer", DRUMMER_IP)
    assert page.startswith("HTTP/1.1 200"), page[:80]
    cfg = json.loads(page.split("var JM_CFG = ", 1)[1].split(";\n</script>", 1)[0])
    paths = sorted(p["p"] for p in cfg["P"].values())
    assert paths == ["/bus/1/fader", "/bus/1/mute", "/strip/1/send/1/level",
                     "/strip/2/send/1/level"], paths
    assert "4711" not in page
    assert http(mix.port, "/mix/nobody", "127.0.0.1").startswith("HTTP/1.1 404")
    with pytest.raises((ConnectionError, EOFError, OSError)):
        WsClient(mix, "/ui", source=DRUMMER_IP)


def test_mix_socket_login_and_permissions(mix):
    eng = mix.eng
    page = http(mix.port, "/mix/drummer", DRUMMER_IP)
    cfg = json.loads(page.split("var JM_CFG = ", 1)[1].split(";\n</script>", 1)[0])
    index = {p["p"]: int(k) for k, p in cfg["P"].items()}
    before = params_of(eng)
    ws = WsClient(mix, "/mix/drummer", source=DRUMMER_IP)
    try:
        # nothing before the login, and a set is refused
        ws.send_json({"a": "/strip/2/send/1/level", "v": -3})
        got = frames(ws)
        assert got == [{"error": "", "why": "log in first"}], got
        ws.send_json({"login": "drummer", "pin": "0000"})
        assert frames(ws) == [{"login": "drummer", "why": "wrong name or PIN"}]
        assert params_of(eng) == before
        ws.send_json({"login": "drummer", "pin": "4711"})
        got = frames(ws)
        assert got[0] == {"login": "drummer", "why": "ok"}, got[:1]
        shown = {x[0] for f in got[1:] for x in f.get("p", [])}
        meters = [f["m"] for f in got[1:] if "m" in f]
        assert meters and all(set(m) == {"s", "mb"} and len(m["mb"]) == 3 for m in meters), meters
        # its page's controls (and the rest of its mix: EQ, limiter, send switches)
        assert set(index.values()) <= shown and len(shown) == 26, shown
        # another parameter, the loudness reset, OSCQuery commands, OSC: refused
        for a in ({"a": "/strip/1/fader/norm", "v": 0.1}, {"a": "/bus/2/fader", "v": -5},
                  {"a": "/strip/1/send/2/level", "v": -5}, {"a": "/loudness/reset"},
                  {"a": "/master/fader", "v": -5}):
            ws.send_json(a)
            f = [x for x in frames(ws, 0.3) if "error" in x]
            assert f == [{"error": a["a"], "why": "not permitted"}], (a, f)
        ws.send(b"/strip/1/fader\0\0,f\0\0\0\0\0\0", opcode=2)
        assert [x for x in frames(ws, 0.3) if "error" in x] == \
            [{"error": "(OSC)", "why": "not permitted"}]
        assert params_of(eng) == before
        # its own send and bus
        ws.send_json({"a": "/strip/2/send/1/level", "v": -7.5})
        ws.send_json({"a": "/bus/1/mute", "v": 1})
        assert jmtest.wait_until(
            lambda: abs(eng.query_value("/strip/2/send/1/level") + 7.5) < 0.01, 2.0)
        after = params_of(eng)
        changed = {p for p in after if after[p] != before[p]}
        assert changed == {"/strip/2/send/1/level", "/bus/1/mute"}, changed
        # feedback of the engineer's changes: only its mix
        frames(ws, 0.2)
        eng.set_and_confirm("/strip/1/fader", -12.0)
        eng.set_and_confirm("/strip/1/send/1/level", -9.0)
        got = frames(ws, 0.5)
        shown = {x[0] for f in got for x in f.get("p", [])}
        assert shown == {index["/strip/1/send/1/level"]}, got
    finally:
        ws.close()
