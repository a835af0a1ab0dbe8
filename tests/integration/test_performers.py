"""Issue 16, "each musician controls their own mix, nothing else" (the OSC
side, docs/osc.md "Performers"): osc.allow = 127.0.0.0/8 and
osc.engineers = 127.0.0.1/32, so 127.0.0.2 and 127.0.0.3 are
performer-only addresses. Values are always read back from the engineer
at 127.0.0.1."""
import re
import socket

import pytest

import jmtest
from jmtest import Daemon, OscClient, free_udp_port

DRUMMER_IP = "127.0.0.2"
GUESSER_IP = "127.0.0.3"
X32_PORT = free_udp_port()
WEB_PORT = free_udp_port()

SESSION = """
jack = { name = "perf"; };
osc = { allow = [ "127.0.0.0/8" ]; engineers = [ "127.0.0.1/32" ]; };
strips = ( { name = "kick"; input = [ ]; }, { name = "snare"; input = [ ]; } );
buses = ( { name = "drums"; type = "reverb"; }, { name = "other"; type = "delay"; } );
master = { output = [ ]; };
performers = ( { name = "drummer"; bus = "drums"; pin = "4711"; },
               { name = "singer"; bus = "other"; pin = "0815"; } );
x32 = { port = %d; };
web = { port = %d; };
""" % (X32_PORT, WEB_PORT)

# every parameter a refused message could have touched, as the engineer reads it
WATCHED = ["/strip/1/fader", "/strip/2/fader", "/bus/other/fader", "/bus/drums/fader",
           "/master/fader", "/strip/kick/send/drums/level", "/strip/snare/send/drums/level",
           "/strip/kick/send/other/level", "/bus/drums/mute"]


@pytest.fixture(scope="module")
def perf(module_jack):
    d = Daemon(SESSION, module_jack).start()
    eng = d.client()
    yield d, eng
    eng.close()
    d.stop()


def values(eng):
    return {p: eng.query_value(p) for p in WATCHED}


def errors(c, quiet=0.3):
    return [m[1] for m in c.collect_quiet(quiet) if m[0] == "/error"]


def refused(c, path, *args):
    c.drain(0)
    c.send(path, *args)
    m = c.wait_for("/error", 2.0)
    assert m is not None, "%s %r was not refused" % (path, args)
    return m[1]


def login(c, name, pin):
    c.drain(0)
    c.send("/performer/login", name, pin)
    m = c.recv(2.0)
    while m is not None and m[0] not in ("/performer/login", "/error"):
        m = c.recv(2.0)
    return m


def test_performer_only_address_changes_nothing_before_login(perf):
    d, eng = perf
    before = values(eng)
    with OscClient(d.osc_port, bind_host=DRUMMER_IP) as c:
        # /info is open to everyone who is allowed
        assert c.query("/info")[0] != ""
        for path, args in [("/strip/1/fader", (-12.0,)), ("/bus/drums/fader", (-12.0,)),
                           ("/strip/kick/send/drums/level", (-12.0,)), ("/strip/1/fader", ()),
                           ("/params", ()), ("/dump", ()), ("/subscribe", ()),
                           ("/session/save", ()), ("/snapshot/save", ("x",))]:
            assert refused(c, path, *args) == [path, "not permitted"]
    assert values(eng) == before


def test_wrong_pins_are_limited_per_ip(perf):
    d, eng = perf
    with OscClient(d.osc_port, bind_host=GUESSER_IP) as g:
        assert login(g, "drummer", "0000") == ("/error", ["/performer/login", "wrong name or PIN"])
        assert login(g, "nobody", "4711") == ("/error", ["/performer/login", "wrong name or PIN"])
        assert login(g, "drummer", "47110") == ("/error", ["/performer/login", "wrong name or PIN"])
        assert login(g, "drummer", "471") == ("/error", ["/performer/login", "wrong name or PIN"])
        assert login(g, "drummer", "1234") == ("/error", ["/performer/login", "wrong name or PIN"])
        # five wrong: even the right PIN is not looked at for a while
        assert login(g, "drummer", "4711") == ("/error", ["/performer/login", "too many attempts"])
        assert refused(g, "/strip/kick/send/drums/level", -3.0) == \
            ["/strip/kick/send/drums/level", "not permitted"]
        g.send("/performer/login", "drummer")     # wrong arguments
        assert g.wait_for("/error", 2.0)[1] == ["/performer/login", "expected s:name s:pin"]
    # another address is not held back by the guesser
    with OscClient(d.osc_port, bind_host=DRUMMER_IP) as c:
        assert login(c, "drummer", "4711") == ("/performer/login", ["drummer", 1])
        c.send("/performer/logout")
        assert c.wait_for("/performer/logout", 2.0)[1] == ["drummer", 0]


def test_logged_in_performer_mixes_only_its_bus(perf):
    d, eng = perf
    with OscClient(d.osc_port, bind_host=DRUMMER_IP) as c:
        assert login(c, "drummer", "4711") == ("/performer/login", ["drummer", 1])
        before = values(eng)
        # its own sends and its own bus, in name and index forms
        c.send("/strip/kick/send/drums/level", -6.0)
        c.send("/strip/2/send/1/level", -9.0)
        c.send("/bus/drums/fader", -4.0)
        c.send("/bus/1/mute", 1)
        assert abs(eng.query_value("/strip/kick/send/drums/level") + 6.0) < 0.01
        assert abs(eng.query_value("/strip/snare/send/drums/level") + 9.0) < 0.01
        assert abs(eng.query_value("/bus/drums/fader") + 4.0) < 0.01
        assert eng.query_value("/bus/drums/mute") in (1, True, 1.0)
        # and may read them, one by one or by a pattern of its own
        assert abs(c.query_value("/bus/drums/fader") + 4.0) < 0.01
        c.drain(0)
        c.send("/strip/*/send/drums/level")
        got = {m[0]: m[1][0] for m in c.collect_quiet(0.3)}
        assert set(got) == {"/strip/1/send/1/level", "/strip/2/send/1/level"}, got
        assert abs(got["/strip/2/send/1/level"] + 9.0) < 0.01
        mine = values(eng)
        # everything else is refused and changes nothing
        for path, args in [("/strip/1/fader", (-20.0,)), ("/strip/1/fader", ()),
                           ("/bus/other/fader", (-20.0,)), ("/bus/2/fader", (-20.0,)),
                           ("/strip/kick/send/other/level", (0.0,)), ("/master/fader", (-20.0,)),
                           ("/strip/1/fader/ramp", (-20.0, 1.0)), ("/session/save", ()),
                           ("/snapshot/save", ("x",)), ("/snapshot/recall", ("x",)),
                           ("/record/start", ()), ("/automation/mode", ("/strip/1/fader", "write")),
                           ("/stats", ()), ("/params", ()), ("/dump", ()),
                           ("/params", ("/strip/1",)), ("/dump", ("/bus/",)), ("/dump", ("/strip/kick/send",))]:
            assert refused(c, path, *args) == [path, "not permitted"], path
        # a pattern that would reach anything else is refused whole
        assert refused(c, "/strip/*/send/*/level", -1.0) == ["/strip/*/send/*/level", "not permitted"]
        assert refused(c, "/bus/*/fader", -1.0) == ["/bus/*/fader", "not permitted"]
        # a bundle: the forbidden message is refused, the others applied
        c.send_bundle([("/master/fader", -30.0), ("/bus/drums/fader", -5.0)])
        assert c.wait_for("/error", 2.0)[1] == ["/master/fader", "not permitted"]
        assert abs(eng.query_value("/bus/drums/fader") + 5.0) < 0.01
        mine["/bus/drums/fader"] = eng.query_value("/bus/drums/fader")
        assert values(eng) == mine
        assert before["/strip/1/fader"] == mine["/strip/1/fader"]
        # a /params or /dump prefix that reaches only its own parameters
        c.drain(0)
        c.send("/params", "/bus/drums")
        got = c.collect_quiet(0.3)
        params = [m[1][0] for m in got if m[0] == "/param"]
        assert sorted(params) == ["/bus/1/fader", "/bus/1/mute", "/bus/1/reverb/damping",
                                  "/bus/1/reverb/predelay", "/bus/1/reverb/size",
                                  "/bus/1/reverb/width"], params
        c.send("/dump", "/strip/snare/send/drums")
        assert c.wait_for("/dump/end", 2.0) is not None
        c.send("/performer/logout")
        assert c.wait_for("/performer/logout", 2.0)[1] == ["drummer", 0]
        # logged out: performer-only again
        assert refused(c, "/bus/drums/fader", -1.0) == ["/bus/drums/fader", "not permitted"]


def test_engineer_is_unaffected_and_restricted_after_login(perf):
    d, eng = perf
    eng.set_and_confirm("/strip/1/fader", -7.0)
    eng.set_and_confirm("/master/fader", -1.0)
    assert eng.query("/stats")
    with OscClient(d.osc_port) as tablet:       # 127.0.0.1: an engineer's tablet
        tablet.set_and_confirm("/strip/2/fader", -8.0)
        assert login(tablet, "singer", "0815") == ("/performer/login", ["singer", 1])
        assert refused(tablet, "/strip/2/fader", -20.0) == ["/strip/2/fader", "not permitted"]
        assert refused(tablet, "/session/save", ) == ["/session/save", "not permitted"]
        tablet.send("/bus/other/fader", -2.5)
        assert abs(eng.query_value("/bus/other/fader") + 2.5) < 0.01
        assert abs(eng.query_value("/strip/2/fader") + 8.0) < 0.01
        # the engineer's other socket is not the tablet's login
        eng.set_and_confirm("/strip/2/fader", -9.0)
        tablet.send("/performer/logout")
        assert tablet.wait_for("/performer/logout", 2.0)[1] == ["singer", 0]
        tablet.set_and_confirm("/strip/2/fader", -10.0)
        tablet.send("/performer/logout")
        assert tablet.wait_for("/error", 2.0)[1] == ["/performer/logout", "not logged in"]


def until_dump_end(c, timeout=5.0):
    """Everything c receives up to and including /dump/end."""
    out = []
    m = c.recv(timeout)
    while m is not None:
        out.append(m)
        if m[0] == "/dump/end":
            return out
        m = c.recv(timeout)
    raise AssertionError("no /dump/end; got %r" % [x[0] for x in out])


def drummer_may(path):
    """The index paths jm_perm_param_ok allows the performer of bus 1."""
    return (re.fullmatch(r"/bus/1/(?!send/).+", path) is not None or
            re.fullmatch(r"/strip/[0-9]+/send/1/[a-z]+", path) is not None)


def test_performer_subscription_carries_only_its_mix(perf):
    d, eng = perf
    eng.drain(0)
    eng.send("/params", "")
    every = [m[1][0] for m in eng.collect_quiet(0.3) if m[0] == "/param"]
    mine = sorted(p for p in every if drummer_may(p))
    assert "/strip/2/send/1/level" in mine and "/bus/1/fader" in mine and \
        "/strip/1/fader" not in mine and "/strip/1/send/2/level" not in mine, mine
    with OscClient(d.osc_port, bind_host=DRUMMER_IP, keep_dump=True) as c, \
            OscClient(d.osc_port) as desk:
        assert login(c, "drummer", "4711") == ("/performer/login", ["drummer", 1])
        c.send("/subscribe")
        got = until_dump_end(c)
        dumped = sorted(m[0] for m in got if not m[0].startswith("/meter/") and
                        m[0] != "/dump/end")
        # the dump: exactly the parameters of its own mix
        assert dumped == mine, set(dumped) ^ set(mine)
        assert got[-1][1] == ["", len(mine)]
        desk.send("/subscribe")     # an engineer's lease, for contrast
        desk.drain(0.1)
        c.drain(0)
        # the engineer moves a strip's fader: the drummer hears nothing of it
        eng.set_and_confirm("/strip/1/fader", -11.0)
        eng.set_and_confirm("/master/fader", -2.0)
        # and a send into the drummer's mix: the drummer is told
        eng.set_and_confirm("/strip/snare/send/drums/level", -13.0)
        eng.set_and_confirm("/strip/kick/send/other/level", -14.0)
        seen = c.collect(1.0)
        told = {m[0]: m[1] for m in seen if not m[0].startswith("/meter/")}
        assert told == {"/strip/2/send/1/level": [pytest.approx(-13.0, abs=0.01)]}, told
        # meters: the strips and its own bus, not the master, loudness or other buses
        meters = {m[0] for m in seen if m[0].startswith("/meter/")}
        assert meters == {"/meter/strip/1", "/meter/strip/2", "/meter/bus/1"}, meters
        bus = [m[1] for m in seen if m[0] == "/meter/bus/1"]
        assert all(len(a) == 3 for a in bus), bus   # peak, rms, limiter GR
        # the engineer's lease carries everything
        dseen = desk.collect(0.5)
        dtold = {m[0] for m in dseen}
        assert {"/strip/1/fader", "/master/fader", "/strip/2/send/1/level",
                "/strip/1/send/2/level", "/meter/master", "/meter/bus/2"} <= dtold, dtold
        c.send("/unsubscribe")
        desk.send("/unsubscribe")
    # an engineer's tablet logged in as a performer: the renewal after its
    # logout carries everything again
    with OscClient(d.osc_port) as tablet:
        assert login(tablet, "singer", "0815") == ("/performer/login", ["singer", 1])
        tablet.send("/subscribe")
        tablet.drain(0)
        eng.set_and_confirm("/strip/1/fader", -12.0)
        eng.set_and_confirm("/bus/other/fader", -3.0)
        told = {m[0] for m in tablet.collect(0.5) if not m[0].startswith("/meter/")}
        assert told == {"/bus/2/fader"}, told
        tablet.send("/performer/logout")
        assert tablet.wait_for("/performer/logout", 2.0)[1] == ["singer", 0]
        tablet.send("/subscribe")
        tablet.drain(0)
        eng.set_and_confirm("/strip/1/fader", -13.0)
        assert tablet.wait_for("/strip/1/fader", 2.0)[1] == [pytest.approx(-13.0, abs=0.01)]
        tablet.send("/unsubscribe")


def test_x32_port_is_only_for_engineers(perf):
    d, eng = perf
    with OscClient(X32_PORT) as x, OscClient(X32_PORT, bind_host=DRUMMER_IP) as p:
        x.send("/info")
        assert x.wait_for("/info", 2.0) is not None
        before = eng.query_value("/strip/1/fader")
        p.send("/info")
        p.send("/ch/01/mix/fader", ("f", 0.1))
        assert p.collect_quiet(0.5) == []
        assert eng.query_value("/strip/1/fader") == before


def http_get(source):
    """The status line of GET / from source, or "" when the console closes
    the connection without an answer."""
    s = socket.create_connection(("127.0.0.1", WEB_PORT), timeout=3.0,
                                 source_address=(source, 0))
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % WEB_PORT)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n")[0].decode()
    except (ConnectionResetError, socket.timeout):
        return ""
    finally:
        s.close()


def test_web_surface_is_only_for_engineers(perf):
    assert http_get("127.0.0.1").startswith("HTTP/1.1 200")
    assert http_get(DRUMMER_IP) == ""


def test_session_save_keeps_performers_and_engineers(perf):
    import glob
    import os
    d, eng = perf
    eng.drain(0)
    eng.send("/session/save", "perf_saved")
    deadline = 50
    files = []
    while not files and deadline:
        files = glob.glob(os.path.join(d.dir, "sessions", "perf_saved*"))
        eng.collect(0.1)
        deadline -= 1
    assert files, "no saved session"
    text = open(files[0]).read()
    assert 'engineers = [ "127.0.0.1/32" ];' in text
    assert '{ name = "drummer"; bus = "drums"; pin = "4711"; }' in text
    assert '{ name = "singer"; bus = "other"; pin = "0815"; }' in text
