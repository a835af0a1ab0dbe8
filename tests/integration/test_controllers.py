"""Issue 7 through the real daemon and real OSC: aliases both ways (with /z
touch), the X32 dialect on its own port, several controllers kept in sync."""
import struct
import time

import jmtest
from jmtest import Daemon, JackServer, OscClient, Probe, db

RATE = 48000


def _x32_port():
    return jmtest.free_udp_port()


def _session(x32_port):
    return """
strips = ( { name = "kick"; input = [ ]; pan = -1.0; }, { name = "snare"; input = [ ]; } );
master = { output = [ ]; };
aliases = ( { from = "/1/fader1"; to = "/strip/1/fader/norm"; },
            { from = "/1/rotary1"; to = "/strip/kick/pan"; } );
automation = ( { param = "/strip/kick/fader"; mode = "touch"; points = ( (0.0, -20.0), (10.0, -20.0) ); } );
x32 = { port = %d; };
""" % x32_port


def test_alias_both_ways_and_z_touch():
    x32 = _x32_port()
    with JackServer() as js, Daemon(_session(x32), js) as d, d.client() as c, d.client() as sub:
        c.send("/strip/1/fader", -30.0)
        sub.send("/subscribe")
        sub.query("/info")
        sub.drain()
        c.send("/1/fader1", 0.75)                       # TouchOSC's fader at the X32 law's 0 dB
        assert c.query("/strip/1/fader") == [0.0], "alias sets strip 1 to 0 dB"
        got = sub.wait_for("/1/fader1", 1.0)
        assert got and abs(got[1][0] - 0.75) < 1e-6, "feedback on the alias, in its taper: %r" % (got,)
        c.send("/strip/kick/fader", -10.0)              # a native change
        got = sub.wait_for("/1/fader1", 1.0)
        assert got and abs(got[1][0] - 0.5) < 1e-6, "native change fed back on the alias: %r" % (got,)
        c.send("/1/rotary1", -0.5)
        assert c.query("/strip/1/pan") == [-0.5]
        assert c.query("/1/fader1") == [0.5], "a query on the alias answers on it"
        c.send("/strip/1/pan", -1.0)
        time.sleep(1.2)   # the changes above were implicit touches: let them release
        # /z is the touch: with the lane in touch mode and the transport
        # rolling, a touched fader holds the controller's value past the 1 s
        # auto-release, and the lane takes over after /z 0
        # The auto-release counts wall seconds, the capture the server's
        # frames, which a loaded dummy server runs slower (down to half
        # speed): so the touch is held 3 s of wall time and the test reads
        # how long the controller's level lasted in the capture (an
        # auto-release would end it within 1 s of wall time, so within 1 s
        # of audio).
        def moves():
            time.sleep(0.8)
            c.send("/1/fader1/z", 1.0)
            c.send("/1/fader1", 0.75)
            time.sleep(3.0)
            c.send("/1/fader1/z", 0.0)
        cap = Probe.run(js, play=[("jmixd:kick", "sine:1000:-6")],
                        capture=["probe_play:out_1", "jmixd:master_L"], seconds=4.6, roll_from=0,
                        during=moves)
        x, y = cap.channel(0), cap.channel(1)
        base = cap.meta["roll_index"] - cap.meta["roll_frame"]

        def level(i0):
            pts = sorted(db(abs(y[i] / x[i])) for i in range(i0 - 48, i0 + 48) if abs(x[i]) > 0.35)
            return pts[len(pts) // 2] if pts else None
        step = RATE // 100
        lv = [(i, level(i)) for i in range(max(base, 48), len(x) - 48, step)]
        lv = [(i, v) for i, v in lv if v is not None]     # where the probe plays
        t_on = next((i for i, v in lv if abs(v + 20) > 1), None)
        assert t_on is not None, "the touched move never sounded"
        t_off = next((i for i, v in lv if i > t_on + step and abs(v) > 1), len(x))
        held = (t_off - t_on) / RATE
        jmtest.note("lane %.2f dB, touched %.2f dB for %.2f s of audio (3 s of wall time), "
                    "released %.2f dB" % (lv[0][1], level(t_on + RATE // 5), held, lv[-1][1]))
        assert abs(lv[0][1] + 20) < 0.2, "the lane before the touch: %.2f dB" % lv[0][1]
        assert abs(level(t_on + RATE // 5)) < 0.2, "the touched value"
        assert held >= 1.3, "the touch ended after %.2f s of audio" % held
        assert abs(lv[-1][1] + 20) < 0.2, "the lane after /z 0: %.2f dB" % lv[-1][1]


def _x32_client(port):
    return OscClient(port)


def test_x32_dialect():
    x32 = _x32_port()
    with JackServer() as js, Daemon(_session(x32), js) as d, d.client() as c, _x32_client(x32) as x:
        x.send("/info")
        info = x.wait_for("/info", 1.0)
        assert info and len(info[1]) == 4 and all(isinstance(v, str) for v in info[1]), info
        # the X32 port and the native port are two sockets: sync on the X32
        # one (a query answered after the set) before asking the native one
        x.send("/ch/01/mix/fader", ("f", 0.75))
        x.send("/ch/01/mix/fader")
        assert x.wait_for("/ch/01/mix/fader", 1.0)[1] == [0.75]
        assert c.query("/strip/1/fader") == [0.0], "X32 fader 0.75 is 0 dB"
        x.send("/ch/01/mix/on", ("i", 0))
        x.send("/ch/01/mix/on")
        got = x.wait_for("/ch/01/mix/on", 1.0)
        assert got and got[1] == [0] and isinstance(got[1][0], int), \
            "X32 query answers with X32's type (i): %r" % (got,)
        assert c.query("/strip/1/mute") == [1], "X32 on 0 mutes"
        x.send("/ch/02/config/name")
        assert x.wait_for("/ch/02/config/name", 1.0)[1] == ["snare"]
        x.send("/xremote")
        # a new /xremote lease is sent the state, as single X32 messages
        got = x.wait_for("/ch/01/mix/fader", 1.0)
        assert got and got[1] == [0.75], "xremote state dump: %r" % (got,)
        x.drain(0.2)
        c.send("/strip/kick/fader", -10.0)              # a native change
        got = x.wait_for("/ch/01/mix/fader", 1.0)
        assert got and abs(got[1][0] - 0.5) < 1e-6, "xremote feedback in X32 units: %r" % (got,)
        c.send("/strip/1/mute", 0)
        got = x.wait_for("/ch/01/mix/on", 1.0)
        assert got and got[1] == [1], got
        c.send("/master/fader", -5.0)
        got = x.wait_for("/main/st/mix/fader", 1.0)
        assert got and abs(got[1][0] - 0.625) < 1e-6, got
        # a wrong type is ignored, as by an X32
        x.send("/ch/01/mix/fader", ("i", 1))
        x.send("/ch/01/mix/fader")
        x.wait_for("/ch/01/mix/fader", 1.0)
        assert c.query("/strip/1/fader") == [-10.0]


def test_three_controllers_see_every_change():
    x32 = _x32_port()
    with JackServer() as js, Daemon(_session(x32), js) as d:
        clients = [d.client() for _ in range(3)]
        try:
            for k, cl in enumerate(clients):
                cl.send("/subscribe", "norm" if k == 2 else "units")
                cl.query("/info")
            for k, cl in enumerate(clients):
                value = -float(5 * (k + 1))
                cl.send("/strip/snare/fader", value)
                t0 = time.monotonic()
                for j, other in enumerate(clients):
                    if j == 2:
                        want = jmtest.x32_norm(value)
                        got = other.wait_for("/strip/2/fader/norm", 1.0,
                                             pred=lambda a, w=want: abs(a[0] - w) < 1e-6)
                        assert got, "client %d (norm) saw the change of client %d" % (j, k)
                    else:
                        got = other.wait_for("/strip/2/fader", 1.0, pred=lambda a, v=value: a[0] == v)
                        assert got, "client %d saw the change of client %d" % (j, k)
                dt = time.monotonic() - t0
                jmtest.note("change from client %d seen by all three in %.1f ms" % (k, dt * 1000))
                assert dt < 0.05, "within one meter period (%.3f s)" % dt
        finally:
            for cl in clients:
                cl.close()
