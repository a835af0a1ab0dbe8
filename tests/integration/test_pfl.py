"""Issue 16, PFL/AFL: /strip/{s}/pfl and /bus/{aux}/pfl put one channel or
one aux mix on monitor_L/R (pre-fader, or after the fader with
/monitor/afl), while the master and aux outputs stay sample-identical,
measured through a real JACK server."""
import math
import time

import jmtest
from jmtest import Daemon, JackServer, Probe, db

SESSION = """
jack = { name = "jmixd"; };
strips = (
  { name = "s1"; input = [ ]; send = { drums = { level = -6.0; }; }; },
  { name = "s2"; input = [ ]; fader = -90.0; send = { drums = { level = -3.0; pre = false; }; }; },
  { name = "keys"; channels = 2; input = [ ]; }
);
buses = ( { name = "drums"; type = "aux"; channels = 2; },
          { name = "verb"; type = "reverb"; } );
master = { output = [ ]; };
monitor = { output = [ ]; };
"""

ML, MR, DL, DR = "jmixd:master_L", "jmixd:master_R", "jmixd:drums_L", "jmixd:drums_R"
ONL, ONR = "jmixd:monitor_L", "jmixd:monitor_R"
CAP = [ML, MR, DL, DR, ONL, ONR]
PLAY = [("jmixd:s1", "sine:1000:-20"), ("jmixd:s2", "sine:3000:-14"),
        ("jmixd:keys_L", "noise:-30:5"), ("jmixd:keys_R", "noise:-30:6")]
CENTRE = math.cos(math.pi / 4)  # the master's pan law at centre (docs/dsp.md)
W = (0.2, 0.7)                  # whole periods of both tones after the fade-in


def _rms(peak_db):
    return peak_db - 20 * math.log10(math.sqrt(2))


def _capture(js):
    cap = Probe.run(js, play=PLAY, capture=CAP, seconds=0.8)
    cap.assert_clean()
    return cap


def _settle(c):
    c.query("/info")
    time.sleep(0.12)


def _same(a, b, k):
    return list(a.channel(k)) == list(b.channel(k))


def test_pfl_strip_bus_afl_and_master_untouched():
    with JackServer() as js, Daemon(SESSION, js) as d:
        c = d.client()
        assert c.query_value("/strip/s2/pfl") == 0.0 and c.query_value("/monitor/afl") == 0.0
        base = _capture(js)
        assert base.peak(0, *W) > 0.05, "s1 reaches the master"
        assert _same_mon(base), "no PFL: the monitor plays the master, sample for sample"

        # PFL on strip 2 (fader -90): its pre-fader tone, centred, on the monitor
        c.send("/strip/s2/pfl", 1)
        _settle(c)
        p = _capture(js)
        want = _rms(-14 + db(CENTRE))
        l, r = p.rms_db(4, *W), p.rms_db(5, *W)
        jmtest.note("PFL s2 at fader -90: monitor L %.3f R %.3f dB rms, want %.3f" % (l, r, want))
        assert abs(l - want) < 0.02 and abs(r - want) < 0.02
        for k, name in enumerate(("master_L", "master_R", "drums_L", "drums_R")):
            assert _same(base, p, k), "%s sample-identical with PFL on" % name
        jmtest.note("PFL on: master_L/R and drums_L/R sample-identical to the capture without PFL")

        # AFL: after the fader (and pan), as the strip goes to the master
        c.send("/monitor/afl", 1)
        c.send("/strip/s2/fader", -10.0)
        _settle(c)
        a = _capture(js)
        want = _rms(-14 - 10 + db(CENTRE))
        l = a.rms_db(4, *W)
        jmtest.note("AFL s2 at fader -10: monitor L %.3f dB rms, want %.3f" % (l, want))
        assert abs(l - want) < 0.02 and abs(a.rms_db(5, *W) - want) < 0.02
        c.send("/strip/s2/pan", -1.0)
        _settle(c)
        a = _capture(js)
        jmtest.note("AFL s2 pan -1: L %.3f dB rms, R peak %g" % (a.rms_db(4, *W), a.peak(5, *W)))
        assert abs(a.rms_db(4, *W) - _rms(-24)) < 0.02 and a.peak(5, *W) == 0.0
        c.send("/strip/s2/pfl", 0)
        c.send("/monitor/afl", 0)
        c.send("/strip/s2/pan", 0.0)
        c.send("/strip/s2/fader", -90.0)

        # an aux bus: the monitor carries that mix as the musician hears it
        c.send("/bus/drums/pfl", 1)
        _settle(c)
        b = _capture(js)
        jmtest.note("PFL drums: monitor = drums_L/R (%.3f dB rms)" % b.rms_db(4, *W))
        assert b.peak(2, *W) > 0.01
        assert _same_k(b, 4, 2) and _same_k(b, 5, 3), "monitor_L/R are drums_L/R"
        assert _same(base, b, 0) and _same(base, b, 2), "master and aux untouched"

        # all off: the monitor plays the master again
        c.send("/bus/drums/pfl", 0)
        _settle(c)
        e = _capture(js)
        assert _same_mon(e) and _same(base, e, 0), "PFL off: the monitor is the master again"
        c.close()
    r = jmtest.run_jmixd("--list-params", d.session_path)
    assert r.returncode == 0, r.stderr
    paths = {line.split()[0] for line in r.stdout.splitlines() if line.startswith("/")}
    for p in ("/strip/1/pfl", "/strip/3/pfl", "/bus/1/pfl", "/monitor/afl"):
        assert p in paths, p
    assert "/bus/2/pfl" not in paths, "an FX bus has no pfl"


def _same_k(cap, a, b):
    return list(cap.channel(a)) == list(cap.channel(b))


def _same_mon(cap):
    return _same_k(cap, 4, 0) and _same_k(cap, 5, 1)


PERF_SESSION = SESSION.replace('jack = { name = "jmixd"; };', '''jack = { name = "jmixd"; };
osc = { allow = [ "127.0.0.0/8" ]; engineers = [ "127.0.0.1/32" ]; };
performers = ( { name = "drummer"; bus = "drums"; pin = "4711"; } );''')


def test_performer_cannot_take_the_engineers_monitor():
    """/bus/{aux}/pfl changes the engineer's monitor: a performer of that bus
    may not set it, and may still list its bus with /params."""
    with JackServer() as js, Daemon(PERF_SESSION, js) as d:
        eng = d.client()
        with jmtest.OscClient(d.osc_port, bind_host="127.0.0.2") as c:
            c.send("/performer/login", "drummer", "4711")
            assert c.wait_for("/performer/login", 2.0)[1] == ["drummer", 1]
            c.drain(0)
            c.send("/bus/drums/pfl", 1)
            m = c.wait_for("/error", 2.0)
            assert m is not None and m[1] == ["/bus/drums/pfl", "not permitted"], m
            c.send("/bus/drums/fader", -4.0)   # its own fader still works
            c.drain(0)
            c.send("/params", "/bus/drums")
            got = [x[1][0] for x in c.collect_quiet(0.3) if x[0] == "/param"]
            assert "/bus/1/fader" in got, got
        assert eng.query_value("/bus/drums/pfl") == 0.0, "nothing changed"
        assert abs(eng.query_value("/bus/drums/fader") + 4.0) < 0.01
        eng.close()
