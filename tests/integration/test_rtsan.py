"""Real-time safety on a real JACK server (docs/architecture.md): the RealtimeSanitizer
build (build/rtsan/jmixd, clang -fsanitize=realtime, the process callback
marked nonblocking) runs audio while every parameter moves, meters flow,
clients subscribe, OSC floods and the JACK server dies and comes back. Any
allocation, lock or system call in the callback makes RTSan report and
abort the process."""
import os
import time

import pytest

import jmtest
from jmtest import Daemon, JackServer, OscClient, Probe

SESSION = """
jack = { name = "jmrtsan"; };
osc = { meter_rate = 50.0; };
strips = (
  { name = "a"; input = [ "system:capture_1" ]; },
  { name = "b"; input = [ ]; },
  { name = "st"; channels = 2; input = [ "system:capture_1", "system:capture_2" ]; }
);
master = { output = [ "system:playback_1", "system:playback_2" ]; };
"""


def rtsan_report(dm):
    t = dm.stderr_text()
    i = t.find("RealtimeSanitizer")
    return None if i < 0 else t[max(0, i - 200):i + 2500]


def assert_clean_stop(dm):
    """SIGTERM: exit 0, and no RealtimeSanitizer report in the whole run."""
    rc = dm.stop()
    assert rc == 0, "RTSan build: exit %r on SIGTERM\n%s" % (rc, rtsan_report(dm))
    rep = rtsan_report(dm)
    assert rep is None, "RealtimeSanitizer report:\n" + rep


@pytest.mark.timeout(90)
def test_rtsan_build_under_load():
    assert os.path.exists(jmtest.JMIXD_RTSAN), "%s is not built" % jmtest.JMIXD_RTSAN
    js = JackServer().start()
    dm = None
    try:
        rec_dir = jmtest.mkdtemp("jmrtsanrec")
        dm = Daemon(SESSION + 'recordings = "%s";\n' % rec_dir, js,
                    binary=jmtest.JMIXD_RTSAN).start()
        with dm.client() as c, OscClient(dm.osc_port) as sub:
            sub.send("/subscribe")
            sub.send("/subscribe", ("i", sub.port), ("s", "norm"))

            def churn():
                # the master recorder and a multitrack take run meanwhile
                c.send("/record/start", "rtsan.wav")
                c.send("/record/multitrack/start", "rtsan")
                # every parameter of every strip and the master, many times
                lines = jmtest.run_jmixd("--list-params", dm.session_path).stdout.splitlines()
                params = [(l.split()[0], float(l.split()[-3]), float(l.split()[-2]))
                          for l in lines if l.strip()]
                # the analyser's tap switched while audio plays (JM_CMD_RTA):
                # strips mono and stereo, the master, off
                sources = ("strip/1", "strip/3", "master", "off", "strip/2")
                for rep in range(20):
                    c.send("/rta/source", sources[rep % len(sources)])
                    for path, lo, hi in params:
                        v = lo + (hi - lo) * ((rep * 7 + len(path)) % 11) / 10.0
                        c.send(path, v)
                    c.send("/strip/*/mute", rep % 2)
                    c.send("/strip/*/solo", (rep // 2) % 2)
                    c.send("/strip/1/fader/norm", (rep % 5) / 4.0)
                    time.sleep(0.02)
                for i in range(3000):                        # a flood
                    c.send("/strip/2/fader", float(-(i % 90)))
                c.send_bundle([("/strip/1/fader", -3.0), ("/master/fader", -1.0)])
                c.query("/info", timeout=5.0)
                c.send("/rta/source", "strip/1")
                assert sub.wait_for("/meter/rta", 2.0), "no /meter/rta from the RTSan build"
                c.send("/record/stop")
                c.drain(0)
                c.send("/record/multitrack/stop")
                m = c.wait_for("/record/multitrack/status", 5.0)
                assert m and m[1][0] == 0 and m[1][2] > 0.1, "no multitrack take: %r" % (m,)
                return len(params)

            cap = Probe.run(js, play=[("jmrtsan:a", "sine:1000:-12"),
                                      ("jmrtsan:b", "noise:-12:7"),
                                      ("jmrtsan:st_L", "sine:440:-6")],
                            capture=["jmrtsan:master_L", "jmrtsan:master_R"], seconds=2.0,
                            during=churn)
            assert cap.during_result > 0
            assert dm.alive(), "RTSan build died under load:\n%s" % rtsan_report(dm)
            assert sub.wait_for("/meter/master", 1.0), "no meters from the RTSan build"

        # the server dies and comes back: re-registration must not happen in
        # the callback either
        js.kill()
        time.sleep(1.2)
        assert dm.alive(), "RTSan build died with the server:\n%s" % rtsan_report(dm)
        js.start()
        assert jmtest.wait_until(lambda: "jmrtsan:master_L" in js.ports(), 6.0), \
            "RTSan build did not come back to the server"
        with dm.client() as c, OscClient(dm.osc_port) as sub:
            sub.send("/subscribe")

            def after_restart():
                # the source selected before the restart is tapped again
                assert c.query("/rta/source") == ["strip/1"]
                m = sub.wait_for("/meter/rta", 2.0)
                c.send("/rta/source", "master")
                c.send("/rta/source", "off")
                return m

            cap = Probe.run(js, play=[("jmrtsan:a", "sine:1000:-12")],
                            capture=["jmrtsan:master_L"], seconds=1.0, during=after_restart)
            m = cap.during_result
            assert m and len(m[1]) == 31 and max(m[1]) == m[1][17], \
                "no 1 kHz /meter/rta after the restart: %r" % (m,)
        assert dm.alive(), "RTSan build died after the restart:\n%s" % rtsan_report(dm)
        assert_clean_stop(dm)
    finally:
        if dm:
            dm.kill9()
        js.stop()   # a clean stop also frees what the killed server left in /dev/shm




MIDI_SESSION = """
jack = { name = "jmrtmidi"; };
osc = { meter_rate = 50.0; };
strips = (
  { name = "a"; input = [ ]; },
  { name = "b"; input = [ ]; }
);
master = { output = [ ]; };
midi = {
  map = ( { path = "/strip/b/pan"; cc = 11; channel = 1; },
          { path = "/strip/b/fader"; cc = 7; lsb = 39; channel = 2; } );
};
"""
# xruns the dummy driver misses on its own between two runs (test_web.py)
MIDI_XRUN_NOISE = 40


@pytest.mark.timeout(120)
def test_rtsan_midi_flood():
    """10,000 MIDI events a second on midi_in (a bound CC moving a silent
    strip's pan, so the master's level must not move) while a sine plays
    through strip a: 0 RTSan reports, the same level as without the flood,
    no more xruns than the run without it (asserted on a realtime server)."""
    assert os.path.exists(jmtest.JMIXD_RTSAN), "%s is not built" % jmtest.JMIXD_RTSAN
    rt = jmtest.realtime_permitted()
    js = JackServer(realtime=rt).start()
    dm = None
    try:
        dm = Daemon(MIDI_SESSION, js, binary=jmtest.JMIXD_RTSAN).start()
        play = [("jmrtmidi:a", "sine:1000:-12")]
        capture = ["jmrtmidi:master_L"]
        ctl = Probe.run(js, play=play, capture=capture, seconds=3.0)

        def flood():
            return jmtest.Midi.run(js, client="jmrtmidi", flood=(10000, 2.0),
                                   flood_msg="b0 0b 00", seconds=0.2)

        cap = Probe.run(js, play=play, capture=capture, seconds=3.0, during=flood)
        r = cap.during_result
        assert r["sent"] == 20000 and r["send_failed"] == 0, r
        assert dm.alive(), "RTSan build died under the MIDI flood:\n%s" % rtsan_report(dm)
        with dm.client() as c:
            # the flood reached the control thread: the bound pan moved to
            # the last value sent (19999 & 0x7f = 31 -> 31/127)
            assert jmtest.wait_until(
                lambda: abs(c.query_value("/strip/b/pan/norm") - 31 / 127) < 1e-4, 3.0), \
                c.query_value("/strip/b/pan/norm")
            stats = c.query("/stats")
        ref, got = ctl.rms_db(0, 0.2, 2.8), cap.rms_db(0, 0.2, 2.8)
        x_ctl, x_flood = ctl.meta["xruns"], cap.meta["xruns"]
        jmtest.note("MIDI flood 10,000/s for 2 s on the RTSan build: level %.4f dB vs %.4f "
                    "without; xruns %d with, %d without (%s); midi_in_dropped %d" % (
                        got, ref, x_flood, x_ctl, "realtime" if rt else "NOT realtime",
                        stats[10]))
        assert abs(got - ref) < 0.05, (got, ref)
        jmtest.assert_unharmed(ctl, cap, "the MIDI flood", rt, MIDI_XRUN_NOISE, holes=False)
        assert_clean_stop(dm)
    finally:
        if dm:
            dm.kill9()
        js.stop()
