"""Issue 16: the performer's web page /mix/NAME (docs/osc.md, "Performers"):
a PIN login on its WebSocket, then that mix only. 127.0.0.2 is a
performer-only address (osc.engineers = 127.0.0.1/32).

test_mix_page_in_chromium drives the page in headless Chromium
(tests/web/ui_driver.js). Chromium cannot be told which source address to
connect from, and on Linux a connection to any 127.x address leaves from
127.0.0.1 (the loopback route's `src`). So there the roles are swapped:
the console binds 127.0.0.2 (`osc.bind`: its OSC and web sockets, and the
web gateway's OSC socket, which speaks from that address), 127.0.0.2 is the
only engineer address (the test's OSC client binds it, to query /params),
and Chromium, opening http://127.0.0.2:PORT/mix/drummer, arrives from
127.0.0.1: a performer-only address, as a musician's phone would be."""
import json
import socket
import types

import pytest

import jmtest
from jmtest import Daemon, free_udp_port
from test_web import WsClient, x32_db

DRUMMER_IP = "127.0.0.2"


@pytest.fixture(scope="module")
def mix(module_jack):
    port = jmtest.free_tcp_port()
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


def http(port, path, source, host="127.0.0.1"):
    """The response to GET path from source, "" when closed unanswered."""
    s = socket.create_connection((host, port), timeout=3.0, source_address=(source, 0))
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
        # its page's controls (and the rest of its mix: 2 strips x 5 send rows,
        # level/pre/on/pan/link, and 18 of the bus: fader, mute, EQ on and
        # 4 bands x 3, limiter on/ceiling/release)
        assert set(index.values()) <= shown and len(shown) == 28, shown
        # another parameter, the loudness reset, OSCQuery commands, OSC: refused
        for a in ({"a": "/strip/1/fader/norm", "v": 0.1}, {"a": "/bus/2/fader", "v": -5},
                  {"a": "/strip/1/send/2/level", "v": -5}, {"a": "/loudness/reset"},
                  {"a": "/master/fader", "v": -5}, {"a": "/rta/source", "s": "strip/1"}):
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


# --------------------------------------------------------------------------
# the page in headless Chromium

ENGINEER_IP = "127.0.0.2"
# the controls of drummer's mix, and nothing else (page.c, buildMix)
MIX_PATHS = {"/strip/1/send/1/level", "/strip/2/send/1/level", "/bus/1/fader", "/bus/1/mute"}


@pytest.fixture(scope="module")
def mixui(module_jack):
    port = jmtest.free_tcp_port()
    session = """
jack = { name = "mixui"; };
osc = { bind = "%s"; allow = [ "127.0.0.0/8" ]; engineers = [ "%s/32" ]; };
strips = ( { name = "kick"; input = [ ]; }, { name = "snare"; input = [ ]; },
           { name = "bass"; input = [ ]; } );
buses = ( { name = "drums"; type = "aux"; channels = 2; output = [ ]; },
          { name = "vox"; type = "aux"; channels = 2; output = [ ]; },
          { name = "verb"; type = "reverb"; } );
master = { output = [ ]; };
performers = ( { name = "drummer"; bus = "drums"; pin = "4711"; },
               { name = "singer"; bus = "vox"; pin = "1234"; } );
web = { port = %d; };
""" % (ENGINEER_IP, ENGINEER_IP, port)
    # the daemon does not listen on 127.0.0.1: wait for /info on 127.0.0.2
    d = Daemon(session, module_jack, wait=False).start()
    eng = jmtest.OscClient(d.osc_port, host=ENGINEER_IP, bind_host=ENGINEER_IP)
    try:
        def ready():
            eng.send("/info")
            return eng.wait_for("/info", 0.2) is not None
        assert jmtest.wait_until(ready, 10.0), d.stderr_text()[-2000:]
        yield types.SimpleNamespace(d=d, port=port, eng=eng)
    finally:
        eng.close()
        d.stop()


def all_params(eng):
    """Every parameter's value, paged /params read by the engineer."""
    got = params_of(eng)
    assert len(got) > 100 and "/master/fader" in got, len(got)
    return got


@pytest.mark.timeout(120)
def test_mix_page_in_chromium(mixui):
    from test_web import Browser, browser_unavailable
    why = browser_unavailable()
    if why:
        pytest.skip(why)
    eng = mixui.eng
    # Chromium's address really is a performer-only one
    assert http(mixui.port, "/ui", "127.0.0.1", host=ENGINEER_IP) == ""
    assert http(mixui.port, "/ui", ENGINEER_IP, host=ENGINEER_IP).startswith("HTTP/1.1 200")
    b = Browser()
    try:
        url = "http://%s:%d/mix/drummer" % (ENGINEER_IP, mixui.port)
        before = all_params(eng)
        r = b.cmd(cmd="open", url=url, mix=True)
        assert r["title"].startswith("drummer"), r

        # a wrong PIN: the page says so, shows no mix, and nothing changes
        r = b.cmd(cmd="pin", pin="0000")
        assert r["login"] == "wrong name or PIN", r
        assert r["error"] == "Wrong PIN." and r["desk_hidden"] and not r["form_hidden"], r
        assert all_params(eng) == before

        # the right PIN: the mix shows, with the console's values
        r = b.cmd(cmd="pin", pin="4711", sel=["#s1-send", "#s2-send", "#s3-send",
                                              "#bus-fader", "#bus-mute"])
        assert r["login"] == "ok" and r["conn"] == "live", r
        assert not r["desk_hidden"] and r["form_hidden"], r
        assert all_params(eng) == before
        assert "performer 'drummer' logged in from 127.0.0.1" in mixui.d.stderr_text()

        # the DOM: strip sends into drums, the drums fader and mute; no
        # master, no other bus, no strip fader, pan, mute or solo
        dom = b.cmd(cmd="controls")
        paths = {c["path"] for c in dom["controls"] if c["path"]}
        assert paths == MIX_PATHS | {"/strip/3/send/1/level"}, paths
        ids = {c["id"] for c in dom["controls"] if c["id"]}
        for bad in ("master", "m-fader", "m-mono", "monitor", "b1", "b2", "b3",
                    "b2-fader", "s1-fader", "s2-fader", "s1-pan", "s1-mute", "s1-solo",
                    "loud-reset"):
            assert bad not in ids, (bad, ids)
        for c in dom["controls"]:
            p = c["path"] or ""
            assert not p.startswith("/master") and not p.startswith("/monitor"), c
            assert not p.startswith("/bus/2") and not p.startswith("/bus/3"), c
            assert not p.endswith("/fader") or p == "/bus/1/fader", c
        operable = sorted((c["tag"], c["id"]) for c in dom["controls"] if c["interactive"])
        assert operable == sorted([("div", "s1-send"), ("div", "s2-send"), ("div", "s3-send"),
                                   ("div", "bus-fader"), ("button", "bus-mute"),
                                   ("input", "pin"), ("button", "pin-go")]), operable
        text = " ".join(dom["text"])
        for word in ("vox", "verb", "Master", "Monitor", "singer"):
            assert word not in text, (word, text)
        assert "kick" in text and "snare" in text and "drums" in text, text

        # drag strip 2's send fader: /strip/2/send/drums/level follows, and
        # no other parameter of the console changes (queried in the name
        # form: a path is all indices or all names, /strip/snare/send/drums)
        start = eng.query_value("/strip/snare/send/drums/level/norm")
        r = b.cmd(cmd="drag", id="s2-send", to=0.5, steps=10)
        norm = r["norm"]
        assert abs(norm - 0.5) < 0.01, r
        sent = r["sent"]
        assert sent[0] == {"a": "/strip/2/send/1/level/touch", "v": 1}, sent[:2]
        assert sent[-1] == {"a": "/strip/2/send/1/level/touch", "v": 0}, sent[-2:]
        assert {m["a"] for m in sent} == {"/strip/2/send/1/level/touch",
                                          "/strip/2/send/1/level/norm"}, sent
        assert jmtest.wait_until(
            lambda: abs(eng.query_value("/strip/snare/send/drums/level/norm") - norm) < 1e-4, 3.0), \
            (eng.query_value("/strip/snare/send/drums/level/norm"), norm)
        db = eng.query_value("/strip/snare/send/drums/level")
        after = all_params(eng)
        changed = {p for p in after if after[p] != before[p]}
        assert changed == {"/strip/2/send/1/level"}, changed
        assert abs(after["/strip/2/send/1/level"] - db) < 1e-4
        assert abs(db - x32_db(norm)) < 0.01, (db, norm)
        errors = b.cmd(cmd="eval", js="window.jm.errors || 0")["value"]
        assert errors == 0, errors
        jmtest.note("Chromium from 127.0.0.1 (performer-only): wrong PIN refused; after the "
                    "PIN, strip 2's send dragged %.3f -> %.4f (%d messages): "
                    "/strip/2/send/drums/level %.2f dB, the only one of %d parameters changed; "
                    "the DOM holds %d controls, all of drummer's mix" % (
                        start, norm, len(sent), db, len(after), len(operable)))
    finally:
        b.close()
