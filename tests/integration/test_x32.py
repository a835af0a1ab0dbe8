"""The X32 and X-Air dialects as connecting clients drive them (docs/osc.md,
"The X32 dialect", "The X-Air dialect").

No X32 client library can be installed here, so the message traces below are
written from P.-G. Maillot, "Unofficial X32/M32 OSC Remote Protocol" (the
server replies of its "OSC Server initiated messages" table, the channel,
bus and main parameter tables with their linf/logf ranges, and /node), and
from what the published clients (behringer-mixer, xair-api) send on connect:

    client -> console                 console -> client
    /xinfo                            /xinfo  ,ssss  ip name model version
    /status                           /status ,sss   "active" ip name
    /xremote                          (every change for 10 s, X32 addresses)
    /ch/NN/config/name                /ch/NN/config/name  ,s name
    /ch/NN/config/color               /ch/NN/config/color ,i 0..15
    /ch/NN/mix/fader                  /ch/NN/mix/fader    ,f 0..1 (fader law)
    /ch/NN/mix/on                     /ch/NN/mix/on       ,i 0|1
    /ch/NN/mix/pan                    /ch/NN/mix/pan      ,f 0..1
    /ch/NN/mix/MM/on, /level          ,i 0|1 and ,f 0..1  (MM 01..16)
    /main/st/mix/on                   ,i 1
    /main/st/config/name              ,s name
    /-stat/solosw/01                  ,i 0
    /node ,s ch/01/mix                node ,s "/ch/01/mix ON -6.0 ON +0 OFF -oo\\n"

A set carries the value with the X32 type and is not answered (only
/xremote subscribers hear it); a query is the bare address.
"""
import time

import jmtest
from jmtest import Daemon, JackServer, OscClient, Probe

N_SENDS = 16    # X32 mix buses: /ch/NN/mix/01..16


def _session(x32, xair):
    return """
strips = ( { name = "kick"; input = [ ]; color = "RD"; },
           { name = "snare"; input = [ ]; pan = -0.5; },
           { name = "bass"; input = [ ]; } );
buses = ( { name = "verb"; type = "reverb"; }, { name = "echo"; type = "delay"; } );
master = { output = [ ]; };
x32 = { port = %d; };
xair = { port = %d; };
""" % (x32, xair)


def _daemon(js):
    x32, xair = jmtest.free_udp_port(), jmtest.free_udp_port()
    while xair == x32:
        xair = jmtest.free_udp_port()
    d = Daemon(_session(x32, xair), js)
    d.x32_port, d.xair_port = x32, xair
    return d


def _ask(x, paths, timeout=5.0):
    """Send every query (bare address), collect the answers in order; one
    answer per query, nothing else."""
    x.drain(0)
    for k, p in enumerate(paths):
        if isinstance(p, tuple):
            x.send(*p)
        else:
            x.send(p)
        if k % 64 == 63:
            time.sleep(0.005)   # a client paces its reads; so does this one
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < len(paths) and time.monotonic() < deadline:
        m = x.recv_tagged(0.5)
        if m is not None:
            got.append(m)
    return got


def _sync(x):
    """A query answered after everything sent before it on this socket."""
    x.send("/-stat/solosw/01")
    assert x.wait_for("/-stat/solosw/01", 2.0), "the X32 port answers"


def _dump(x, quiet=0.3):
    """The state an X32 client gets after /xremote: single messages, paced,
    no end marker (an X32 sends none), so read until the port is quiet."""
    got = {}
    for path, args in x.collect_quiet(quiet, limit=10.0):
        assert path not in got, "%s dumped twice" % path
        got[path] = args
    return got


def test_x32_connect_sequence():
    with JackServer() as js, _daemon(js) as d, d.client() as c, OscClient(d.x32_port) as x:
        c.send("/strip/1/fader", -6.0)
        c.send("/strip/2/mute", 1)
        c.send("/strip/kick/send/verb/level", -10.0)
        assert c.query("/strip/1/fader") == [-6.0]

        head = _ask(x, ["/xinfo", "/status"])
        assert head[0] == ("/xinfo", ["127.0.0.1", "jmixd", "X32", "4.06"], "ssss"), head
        assert head[1] == ("/status", ["active", "127.0.0.1", "jmixd"], "sss"), head
        x.send("/xremote")
        dump = _dump(x)
        # the console as it is, before anything changes (issue: state on connect)
        assert abs(dump["/ch/01/mix/fader"][0] - jmtest.x32_norm(-6.0)) < 1e-6, dump.get("/ch/01/mix/fader")
        assert dump["/ch/02/mix/on"] == [0] and dump["/ch/03/mix/on"] == [1]
        _sync(x)

        names = {1: "kick", 2: "snare", 3: "bass"}
        queries, want = [], []
        for ch in range(1, 33):
            base = "/ch/%02d" % ch
            fader = {1: jmtest.x32_norm(-6.0)}.get(ch, 0.75)   # strips at 0 dB; X32 default 0.75
            pan = {2: 0.25}.get(ch, 0.5)
            on = 0 if ch == 2 else 1
            color = 1 if ch == 1 else 0
            for leaf, tags, val in (("config/name", "s", names.get(ch, "")),
                                    ("config/color", "i", color), ("mix/fader", "f", fader),
                                    ("mix/on", "i", on), ("mix/pan", "f", pan)):
                queries.append(base + "/" + leaf)
                want.append((base + "/" + leaf, tags, val))
            for mm in range(1, N_SENDS + 1):
                level = jmtest.x32_norm(-10.0) if (ch, mm) == (1, 1) else 0.0  # -90 dB and defaults: 0
                queries += ["%s/mix/%02d/on" % (base, mm), "%s/mix/%02d/level" % (base, mm)]
                want += [("%s/mix/%02d/on" % (base, mm), "i", 1),
                         ("%s/mix/%02d/level" % (base, mm), "f", level)]
        for path, tags, val in (("/main/st/mix/on", "i", 1), ("/main/st/config/name", "s", "jmixd"),
                                ("/main/st/mix/fader", "f", 0.75), ("/-stat/solosw/01", "i", 0),
                                ("/bus/01/config/name", "s", "verb"), ("/bus/02/mix/fader", "f", 0.75),
                                ("/ch/01/eq/1/type", "i", 1), ("/ch/01/eq/2/type", "i", 2),
                                ("/ch/01/eq/4/type", "i", 4), ("/ch/01/eq/2/g", "f", 0.5),
                                ("/ch/01/dyn/ratio", "i", 6), ("/dca/1/fader", "f", 0.75),
                                ("/auxin/01/mix/on", "i", 1)):
            queries.append(path)
            want.append((path, tags, val))
        queries.append(("/node", "ch/01/mix"))
        want.append(("node", "s", "/ch/01/mix ON -6.0 ON +0 OFF -oo\n"))
        queries.append(("/node", "ch/02/mix"))
        want.append(("node", "s", "/ch/02/mix OFF +0.0 ON -50 OFF -oo\n"))

        got = _ask(x, queries, timeout=15.0)
        assert len(got) == len(want), "%d answers to %d queries" % (len(got), len(want))
        for (path, args, tags), (wpath, wtags, wval) in zip(got, want):
            assert path == wpath and tags == wtags, "%s: got %s ,%s" % (wpath, path, tags)
            if wtags == "f":
                assert abs(args[0] - wval) < 1e-5, "%s: %r, want %r" % (path, args[0], wval)
            else:
                assert args[0] == wval, "%s: %r, want %r" % (path, args[0], wval)
        jmtest.note("X32 connect sequence: %d queries, every one answered in order with "
                    "X32 types" % len(queries))

        # /xremote: a native change arrives in X32 addresses and types
        x.drain(0)
        c.send("/strip/3/fader", -10.0)
        got = x.wait_for("/ch/03/mix/fader", 2.0)
        assert got and abs(got[1][0] - 0.5) < 1e-6, got


def test_x32_sets_move_parameters():
    with JackServer() as js, _daemon(js) as d, d.client() as c, OscClient(d.x32_port) as x:
        x.send("/ch/01/mix/fader", ("f", 0.5))          # -10 dB by the fader law
        x.send("/ch/01/mix/01/level", ("f", 0.75))      # send to bus 1 (verb) at 0 dB
        x.send("/ch/01/eq/2/g", ("f", 0.75))            # linf [-15, 15]: +7.5 dB
        x.send("/ch/01/eq/3/f", ("f", 0.5))             # logf [20, 20000]: 632.5 Hz
        x.send("/ch/01/config/color", ("i", 3))         # YE
        x.send("/ch/01/dyn/ratio", ("i", 9))            # 10:1
        x.send("/ch/01/preamp/trim", ("f", 0.25))       # linf [-18, 18]: -9 dB
        x.send("/ch/01/mix/on", ("i", 0))
        x.send("/main/st/mix/fader", ("f", 0.25))       # -30 dB
        x.send("/bus/02/mix/fader", ("f", 0.5))
        x.send("/ch/01/eq/2/type", ("i", 0))            # fixed in jmixd: ignored
        x.send("/ch/01/mix/02/pan", ("f", 0.25))        # an FX bus has no send pan: ignored
        x.send("/ch/02/mix/fader", ("i", 1))            # wrong type: ignored, as by an X32
        x.send("/ch/02/config/name", "other")           # names belong to the session
        _sync(x)
        assert x.drain(0.3) == 0, "a set (a message with arguments) is never answered"
        for path, want in (("/strip/1/fader", -10.0), ("/strip/1/send/1/level", 0.0),
                           ("/strip/1/eq/2/gain", 7.5), ("/strip/1/color", 3.0),
                           ("/strip/1/comp/ratio", 10.0), ("/strip/1/trim", -9.0),
                           ("/strip/1/mute", 1.0), ("/master/fader", -30.0),
                           ("/bus/2/fader", -10.0), ("/strip/2/fader", 0.0)):
            got = c.query(path)[0]
            assert abs(got - want) < 1e-4, "%s = %r, want %r" % (path, got, want)
        assert abs(c.query("/strip/1/eq/3/freq")[0] - 632.456) < 0.01
        got = _ask(x, ["/ch/01/eq/2/type", "/ch/01/mix/02/pan", "/ch/02/config/name",
                       "/ch/01/config/color"])
        assert got == [("/ch/01/eq/2/type", [2], "i"), ("/ch/01/mix/02/pan", [0.5], "f"),
                       ("/ch/02/config/name", ["snare"], "s"),
                       ("/ch/01/config/color", [3], "i")], got
        # replies of an X32 (they carry arguments) are never answered
        x.send("/xinfo", "10.0.0.1", "X32-1", "X32", "4.06")
        x.send("/status", "active", "10.0.0.1", "X32-1")
        x.send("/node", "x")                            # not a node jmixd formats
        x.send("/ch/99/mix/fader")                      # not in the tree
        _sync(x)
        assert x.drain(0.3) == 0


def test_x32_xremote_feedback():
    with JackServer() as js, _daemon(js) as d, d.client() as c, \
            OscClient(d.x32_port) as x, OscClient(d.x32_port) as other:
        x.send("/xremote")
        _dump(x)
        for native, value, path, tags, want in (
                ("/strip/2/eq/2/gain", -7.5, "/ch/02/eq/2/g", "f", 0.25),
                ("/strip/1/mute", 1, "/ch/01/mix/on", "i", 0),
                ("/strip/kick/send/echo/level", 0.0, "/ch/01/mix/02/level", "f", 0.75),
                ("/strip/3/comp/on", 1, "/ch/03/dyn/on", "i", 1),
                ("/strip/3/hpf/freq", 400.0, "/ch/03/preamp/hpf", "f", 1.0),
                ("/strip/2/color", 12, "/ch/02/config/color", "i", 12),
                ("/master/fader", -5.0, "/main/st/mix/fader", "f", 0.625),
                ("/bus/1/mute", 1, "/bus/01/mix/on", "i", 0)):
            x.drain(0)
            c.send(native, value)
            got = x.wait_for(path, 2.0)
            assert got, "no X32 feedback on %s for %s" % (path, native)
            assert x.last_tags == tags, "%s: ,%s" % (path, x.last_tags)
            assert abs(got[1][0] - want) < 1e-5, "%s: %r, want %r" % (path, got[1][0], want)
        # a set from another X32 client reaches the subscriber too
        x.drain(0)
        other.send("/ch/03/mix/pan", ("f", 0.75))
        got = x.wait_for("/ch/03/mix/pan", 2.0)
        assert got and abs(got[1][0] - 0.75) < 1e-6, got
        assert abs(c.query("/strip/3/pan")[0] - 0.5) < 1e-6


# X32 mix buses 01..16 are jmixd's buses in session order, aux and FX alike
# (docs/osc.md): here mix 01 is the aux bus "mon", mix 02 the reverb "verb".
#
#    client -> console                       jmixd
#    /ch/01/mix/01/level ,f 0.5              /strip/1/send/1/level -10 dB
#    /ch/01/mix/01/on ,i 0                   /strip/1/send/1/on 0
#    /ch/01/mix/01/pan ,f 0.25               /strip/1/send/1/pan -0.5 (aux buses only)
#    /ch/01/mix/01/type ,i 4                 /strip/1/send/1/pre 0 (POST; IN/LC..PRE = 0..3 pre)
#    /bus/01/mix/fader ,f 0.5; /on ,i 0      /bus/1/fader -10 dB; /bus/1/mute 1
#    /bus/01/eq/2/g ,f 0.75                  /bus/1/eq/2/gain 7.5 dB
def _aux_daemon(js):
    x32 = jmtest.free_udp_port()
    d = Daemon("""
strips = ( { name = "kick"; input = [ ]; }, { name = "snare"; input = [ ]; } );
buses = ( { name = "mon"; type = "aux"; channels = 2; output = [ ]; },
          { name = "verb"; type = "reverb"; } );
master = { output = [ ]; };
x32 = { port = %d; };
""" % x32, js)
    d.x32_port = x32
    return d


def test_x32_aux_mix_buses():
    with JackServer() as js, _aux_daemon(js) as d, d.client() as c, OscClient(d.x32_port) as x:
        x.send("/ch/01/mix/01/level", ("f", 0.5))
        x.send("/ch/01/mix/01/on", ("i", 0))
        x.send("/ch/01/mix/01/pan", ("f", 0.25))
        x.send("/ch/01/mix/01/type", ("i", 4))           # POST
        x.send("/ch/02/mix/02/type", ("i", 1))           # <-EQ: a pre-fader tap
        x.send("/ch/02/mix/02/on", ("i", 0))             # an FX send has an on switch too
        x.send("/ch/02/mix/02/pan", ("f", 1.0))          # no pan into an FX bus: ignored
        x.send("/bus/01/mix/fader", ("f", 0.5))
        x.send("/bus/01/mix/on", ("i", 0))
        x.send("/bus/01/eq/2/g", ("f", 0.75))
        x.send("/bus/02/eq/2/g", ("f", 0.75))            # an FX bus has no EQ: ignored
        _sync(x)
        assert x.drain(0.3) == 0, "sets are not answered"
        for path, want in (("/strip/1/send/1/level", -10.0), ("/strip/1/send/1/on", 0.0),
                           ("/strip/1/send/1/pan", -0.5), ("/strip/1/send/1/pre", 0.0),
                           ("/strip/2/send/1/pre", 1.0), ("/strip/2/send/2/pre", 1.0),
                           ("/strip/2/send/2/on", 0.0), ("/strip/1/send/2/pre", 0.0),
                           ("/bus/1/fader", -10.0), ("/bus/1/mute", 1.0),
                           ("/bus/1/eq/2/gain", 7.5), ("/strip/2/send/1/pan", 0.0)):
            got = c.query(path)[0]
            assert abs(got - want) < 1e-4, "%s = %r, want %r" % (path, got, want)
        c.drain(0)
        c.send("/strip/2/send/verb/pan")
        r = c.wait_for("/error", 2.0)
        assert r and r[1][0] == "/strip/2/send/verb/pan", "an FX bus has no send pan row: %r" % (r,)

        got = _ask(x, ["/ch/01/mix/01/pan", "/ch/01/mix/01/type", "/ch/02/mix/01/type",
                       "/ch/01/mix/02/type", "/ch/02/mix/02/type", "/ch/02/mix/02/pan",
                       "/ch/02/mix/01/on", "/bus/01/config/name", "/bus/02/config/name",
                       "/bus/01/mix/on", "/bus/01/eq/2/g", "/bus/02/eq/2/g",
                       ("/node", "ch/01/mix/01"), ("/node", "ch/02/mix/02")])
        assert got == [("/ch/01/mix/01/pan", [0.25], "f"), ("/ch/01/mix/01/type", [4], "i"),
                       ("/ch/02/mix/01/type", [3], "i"),  # aux: pre by default (PRE)
                       ("/ch/01/mix/02/type", [4], "i"),  # FX: post by default (POST)
                       ("/ch/02/mix/02/type", [3], "i"), ("/ch/02/mix/02/pan", [0.5], "f"),
                       ("/ch/02/mix/01/on", [1], "i"), ("/bus/01/config/name", ["mon"], "s"),
                       ("/bus/02/config/name", ["verb"], "s"), ("/bus/01/mix/on", [0], "i"),
                       ("/bus/01/eq/2/g", [0.75], "f"), ("/bus/02/eq/2/g", [0.5], "f"),
                       ("node", ["/ch/01/mix/01 OFF -10.0 -50 POST 0\n"], "s"),
                       ("node", ["/ch/02/mix/02 OFF -oo\n"], "s")], got

        # /xremote: the dump and the feedback carry the new rows in X32 form
        x.send("/xremote")
        dump = _dump(x)
        assert dump["/ch/01/mix/01/pan"] == [0.25] and dump["/ch/01/mix/01/type"] == [4], dump
        assert dump["/ch/01/mix/01/on"] == [0] and dump["/bus/01/eq/2/g"] == [0.75]
        assert "/ch/01/mix/02/pan" not in dump, "no send pan into an FX bus"
        assert not any(p.startswith("/bus/01/mix/0") for p in dump), "FX return sends: no X32 address"
        _sync(x)
        for native, value, path, tags, want in (
                ("/strip/snare/send/mon/pan", 1.0, "/ch/02/mix/01/pan", "f", 1.0),
                ("/strip/2/send/1/on", 0, "/ch/02/mix/01/on", "i", 0),
                ("/strip/kick/send/verb/pre", 1, "/ch/01/mix/02/type", "i", 3),
                ("/strip/snare/send/mon/level", 0.0, "/ch/02/mix/01/level", "f", 0.75),
                ("/bus/mon/eq/1/gain", -15.0, "/bus/01/eq/1/g", "f", 0.0),
                ("/bus/mon/fader", -30.0, "/bus/01/mix/fader", "f", 0.25)):
            x.drain(0)
            c.send(native, value)
            got = x.wait_for(path, 2.0)
            assert got, "no X32 feedback on %s for %s" % (path, native)
            assert x.last_tags == tags, "%s: ,%s" % (path, x.last_tags)
            assert abs(got[1][0] - want) < 1e-6, "%s: %r, want %r" % (path, got[1][0], want)


def test_x32_aux_bus_meters():
    """/meters/2 with an aux bus as mix bus 01: its level, and its limiter on
    the bus dynamics meter; the X32 sets move what it hears."""
    with JackServer() as js, _aux_daemon(js) as d, d.client() as c, OscClient(d.x32_port) as x:
        x.send("/ch/01/mix/01/level", ("f", 0.75))      # 0 dB, pre, pan centre
        _sync(x)
        assert c.query("/strip/1/send/1/level") == [0.0]
        got = {}

        def frame(until, timeout=2.0):
            t = time.monotonic() + timeout
            while time.monotonic() < t:
                m = x.recv_tagged(0.5)
                if m and m[0] == "/meters/2":
                    v = _meter_blob(m, 49)
                    if until(v):
                        return v
            return None

        def watch():
            time.sleep(0.3)
            x.drain(0)
            x.send("/meters", "/meters/2")
            got["unity"] = frame(lambda v: v[0] > 0.0)
            got["last"] = frame(lambda v: True)
            x.send("/ch/01/mix/01/level", ("f", 1.0))    # +10 dB: over the -6 dBTP ceiling
            got["loud"] = frame(lambda v: v[25] < 0.95)
            x.send("/ch/01/mix/01/on", ("i", 0))
            got["off"] = frame(lambda v: v[0] == 0.0)
        Probe.run(js, play=[("jmixd:kick", "sine:1000:%g" % TONE_DBFS)], seconds=5.0, during=watch)

        v = got["unity"]
        assert v, "the aux bus meter reads the send"
        last = got["last"]
        jmtest.note("X32 /meters/2 aux bus 01: %.2f dBFS (tone %.1f, send 0 dB pre, centre)"
                    % (jmtest.db(last[0]), TONE_DBFS))
        assert abs(jmtest.db(last[0]) - (TONE_DBFS - 3.01)) < 0.5, last[0]
        assert last[1] == 0.0, "the reverb bus (no send) reads 0"
        assert last[25] == 1.0 and last[26] == 1.0, "no limiting at -15 dBFS"
        loud = got["loud"]
        assert loud, "an aux limiter's reduction shows on the bus dynamics meter"
        jmtest.note("send +10 dB: bus 01 %.2f dBFS, dynamics gain %.3f (%.2f dB)"
                    % (jmtest.db(loud[0]), loud[25], jmtest.db(loud[25])))
        assert jmtest.db(loud[0]) <= -6.0 + 0.1, "the limiter holds -6 dBTP"
        assert got["off"], "X32 /ch/01/mix/01/on 0 silences the aux bus"


def test_x32_status_reports_the_address_asked():
    """/status and /xinfo carry the address the request came in on, not the
    socket's 0.0.0.0: asked on 127.0.0.2, they say 127.0.0.2."""
    with JackServer() as js, _daemon(js) as d, OscClient(d.x32_port, host="127.0.0.2") as x:
        got = _ask(x, ["/status", "/xinfo"])
        assert got[0] == ("/status", ["active", "127.0.0.2", "jmixd"], "sss"), got
        assert got[1][0] == "/xinfo" and got[1][1][0] == "127.0.0.2", got


def test_xair_sequence():
    """X-Air clients (X AIR Edit, Mixing Station, xair-api) on xair.port:
    /xinfo names an XR18; /lr is the main mix; 16 channels, buses /bus/1..6."""
    with JackServer() as js, _daemon(js) as d, d.client() as c, OscClient(d.xair_port) as y:
        c.send("/master/fader", -10.0)
        c.send("/strip/2/fader", -30.0)
        assert c.query("/master/fader") == [-10.0]
        got = _ask(y, ["/xinfo", "/status", "/lr/mix/fader", "/lr/mix/on", "/lr/config/name",
                       "/ch/01/config/name", "/ch/02/mix/fader", "/ch/16/mix/on",
                       "/ch/01/mix/01/level", "/bus/1/mix/fader", "/bus/2/config/name",
                       "/rtn/aux/mix/fader", ("/node", "lr/mix")])
        assert got == [("/xinfo", ["127.0.0.1", "jmixd", "XR18", "1.17"], "ssss"),
                       ("/status", ["active", "127.0.0.1", "jmixd"], "sss"),
                       ("/lr/mix/fader", [0.5], "f"), ("/lr/mix/on", [1], "i"),
                       ("/lr/config/name", ["jmixd"], "s"),
                       ("/ch/01/config/name", ["kick"], "s"), ("/ch/02/mix/fader", [0.25], "f"),
                       ("/ch/16/mix/on", [1], "i"), ("/ch/01/mix/01/level", [0.0], "f"),
                       ("/bus/1/mix/fader", [0.75], "f"), ("/bus/2/config/name", ["echo"], "s"),
                       ("/rtn/aux/mix/fader", [0.75], "f"),
                       ("node", ["/lr/mix ON -10.0 +0\n"], "s")], got
        # X32-only addresses are not X-Air's: no answer
        y.send("/ch/17/mix/fader")
        y.send("/main/st/mix/fader")
        y.send("/bus/01/mix/fader")
        y.send("/-stat/solosw/01")
        assert y.wait_for("/-stat/solosw/01", 2.0)
        assert y.drain(0.2) == 0
        y.send("/lr/mix/fader", ("f", 0.75))
        y.send("/lr/mix/fader")
        assert y.wait_for("/lr/mix/fader", 2.0)[1] == [0.75]
        assert c.query("/master/fader") == [0.0]
        y.send("/xremote")
        assert "/lr/mix/fader" in _dump(y), "X-Air /xremote dumps in X-Air addresses"
        y.send("/-stat/solosw/01")
        assert y.wait_for("/-stat/solosw/01", 2.0)
        y.drain(0)
        c.send("/master/fader", -30.0)
        got = y.wait_for("/lr/mix/fader", 2.0)
        assert got and abs(got[1][0] - 0.25) < 1e-6, "X-Air feedback on /lr: %r" % (got,)
        c.send("/bus/2/fader", -10.0)
        got = y.wait_for("/bus/2/mix/fader", 2.0)
        assert got and abs(got[1][0] - 0.5) < 1e-6, got


# Meter streams (Maillot, "Meter requests"): the request and what comes back.
#
#    client -> console                              console -> client (every factor x 50 ms, 10 s)
#    /meters ,s "/meters/1"                          /meters/1 ,b <388 bytes: LE int32 96, 96 LE float32>
#    /meters ,siii "/meters/2" 0 0 2                 /meters/2 ,b <LE 49 + 49 floats> every 100 ms
#    /batchsubscribe ,ssiii "/jm/m0" "/meters/0" 0 0 0
#                                                    /jm/m0 ,b <LE 70 + 70 floats>
#    /renew ,s "/jm/m0"                              (10 s more for that stream)
#    X-Air port: /meters ,s "/meters/1"              /meters/1 ,b <LE int32 40, 40 LE int16 in 1/256 dB>
TONE_DBFS = -12.0
METER_RATE = 20.0       # the session's (default) meter rate: X32's 50 ms


def _meter_blob(m, count, width=4):
    """The values of one meter message (path, args, tags): exact sizes."""
    import struct
    assert m[2] == "b", "a meter stream sends one blob: %r" % (m[:1] + m[2:],)
    blob = bytes(m[1][0])
    assert len(blob) == 4 + count * width, (m[0], len(blob))
    assert struct.unpack("<i", blob[:4])[0] == count, (m[0], blob[:4])
    return struct.unpack("<%d%s" % (count, "f" if width == 4 else "h"), blob[4:])


def _rate(x, ac, seconds=2.0):
    """Meter messages a second of audio on x over a window (a count over
    2 s). The console counts meter periods in frames, as an X32 counts its
    50 ms in its own clock: a loaded dummy server runs slower than the wall
    clock (13 a wall second were seen for 20), so seconds are the server's
    (ac, a jmtest.AudioClock)."""
    x.drain(0)
    t0 = ac.seconds()
    time.sleep(seconds)
    n = x.drain(0)
    return n / (ac.seconds() - t0)


def test_x32_meters():
    with JackServer() as js, _daemon(js) as d, OscClient(d.x32_port) as x1, \
            OscClient(d.x32_port) as x2, OscClient(d.x32_port) as x3, \
            OscClient(d.xair_port) as xa, OscClient(d.x32_port) as x4:
        want = jmtest.undb(TONE_DBFS)
        got = {}

        def watch():
            time.sleep(0.3)     # the tone is in the meters
            t_sub = time.monotonic()
            x1.send("/meters", "/meters/1")
            x2.send("/batchsubscribe", "/jm/m0", "/meters/0", 0, 0, 0)
            x3.send("/meters", "/meters/2", 0, 0, 2)
            xa.send("/meters", "/meters/1")
            got["m1"] = x1.wait_for("/meters/1", 2.0) and x1.recv_tagged(1.0)
            got["m0"] = x2.recv_tagged(1.0)
            got["m2"] = x3.recv_tagged(1.0)
            got["xa"] = xa.recv_tagged(1.0)
            # a fifth stream from this IP (four live): refused, nothing comes
            x4.send("/meters", "/meters/1")
            x4.send("/meters", "/meters/5", 0, 1)       # a set jmixd does not answer
            with jmtest.AudioClock(js) as ac:
                got["rate1"] = _rate(x1, ac)
                got["rate2"] = _rate(x3, ac)
            got["x4"] = x4.collect(0.5)
            got["t_sub"] = t_sub
        Probe.run(js, play=[("jmixd:kick", "sine:1000:%g" % TONE_DBFS)], seconds=4.5,
                  during=watch)

        m1 = got["m1"]
        assert m1 and m1[0] == "/meters/1", m1
        v = _meter_blob(m1, 96)
        jmtest.note("X32 /meters/1: ch1 %.2f dBFS (tone %.1f), %.1f msgs/s; /meters/2 factor 2: %.1f"
                    % (jmtest.db(v[0]), TONE_DBFS, got["rate1"], got["rate2"]))
        assert abs(jmtest.db(v[0]) - TONE_DBFS) < 1.0, v[0]
        assert all(x == 0.0 for x in v[1:32]), "silent and missing channels read 0: %r" % (v[1:32],)
        assert all(x == 1.0 for x in v[32:64]), "gate: no reduction (gain 1.0)"
        assert all(abs(x - 1.0) < 1e-6 for x in v[64:96]), "compressors off: no reduction"
        assert abs(got["rate1"] - METER_RATE) <= 0.15 * METER_RATE, got["rate1"]
        assert abs(got["rate2"] - METER_RATE / 2) <= 0.15 * METER_RATE / 2, got["rate2"]

        m0 = got["m0"]
        assert m0 and m0[0] == "/jm/m0", "the batch stream comes under its alias: %r" % (m0,)
        v0 = _meter_blob(m0, 70)
        assert abs(jmtest.db(v0[0]) - TONE_DBFS) < 1.0, v0[0]
        assert all(x == 0.0 for x in v0[1:48]), "other channels, aux and fx returns read 0"
        assert all(x == 0.0 for x in v0[50:70]), "buses 3..16 and matrices read 0"

        m2 = got["m2"]
        assert m2 and m2[0] == "/meters/2", m2
        v2 = _meter_blob(m2, 49)
        main_l, main_r = jmtest.db(v2[22]), jmtest.db(v2[23])
        assert -24.0 < main_l < TONE_DBFS + 0.5 and abs(main_l - main_r) < 0.5, (main_l, main_r)
        assert all(x == 0.0 for x in v2[2:22]) and v2[24] == 0.0, "buses 3.., matrices, mono: 0"
        assert all(x == 1.0 for x in v2[25:47]) and v2[48] == 1.0

        ma = got["xa"]
        assert ma and ma[0] == "/meters/1", ma
        va = _meter_blob(ma, 40, width=2)
        assert abs(va[0] / 256.0 - TONE_DBFS) < 1.0, va[0] / 256.0
        assert all(x == -32768 for x in va[1:16]), "X-Air channels 2..16: silence (-128 dB)"

        assert got["x4"] == [], "a fifth meter stream from one IP must be refused: %r" % (
            got["x4"][:3],)

        # the lease: /renew s:alias keeps /jm/m0; /meters/1 (not renewed) ends at 10 s
        while time.monotonic() < got["t_sub"] + 4.5:
            time.sleep(0.1)
        x2.send("/renew", "/jm/m0")
        while time.monotonic() < got["t_sub"] + 8.5:
            time.sleep(0.1)
        x2.send("/renew", "jm/m0")        # the name without its slash renews it too
        while time.monotonic() < got["t_sub"] + 11.0:
            time.sleep(0.1)
        x1.drain(0.2)
        x2.drain(0)
        late1 = x1.collect(1.0)
        late2 = [m for m in x2.collect(1.0) if m[0] == "/jm/m0"]
        assert late1 == [], "/meters/1 must stop 10 s after its last request: %r" % (late1[:2],)
        assert len(late2) >= 10, "the renewed stream goes on: %d in 1 s" % len(late2)
        # the lapsed streams freed their places: a new one is taken
        x4.send("/meters", "/meters/1")
        m = x4.wait_for("/meters/1", 2.0)
        assert m is not None, "a stream is taken again once others lapsed"
