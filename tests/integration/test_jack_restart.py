"""JACK server loss and return (docs/architecture.md): the daemon keeps answering OSC and
accepting changes while the server is gone, and when a server with the same
name is back it re-registers its ports, restores the session's connections
and resumes with the current parameters."""
import time

import pytest

import jmtest
from jmtest import Daemon, JackServer, Probe

SESSION = """
jack = { name = "jmixd"; };
strips = (
  { name = "a"; input = [ "system:capture_1" ]; },
  { name = "st"; channels = 2; input = [ "system:capture_1", "system:capture_2" ]; }
);
master = { output = [ "system:playback_1", "system:playback_2" ]; };
buses = ( { name = "mon"; type = "aux"; channels = 2;
            output = [ "system:playback_1", "system:playback_2" ]; } );
talkback = { input = [ "system:capture_2" ]; buses = [ "mon" ]; };
"""

# an aux bus's outputs and the talkback input come back like the master's
EXPECTED_PORTS = ["jmixd:a", "jmixd:st_L", "jmixd:st_R", "jmixd:master_L", "jmixd:master_R",
                  "jmixd:mon_L", "jmixd:mon_R", "jmixd:talkback"]
EXPECTED_CONNS = [("system:capture_1", "jmixd:a"), ("system:capture_1", "jmixd:st_L"),
                  ("system:capture_2", "jmixd:st_R"), ("jmixd:master_L", "system:playback_1"),
                  ("jmixd:master_R", "system:playback_2"), ("jmixd:mon_L", "system:playback_1"),
                  ("jmixd:mon_R", "system:playback_2"), ("system:capture_2", "jmixd:talkback")]


def graph_ok(js):
    ports = set(js.ports())
    if not all(p in ports for p in EXPECTED_PORTS):
        return False
    conns = js.connections()
    return all(c in conns for c in EXPECTED_CONNS)


def graph_report(js):
    ports = set(js.ports())
    conns = js.connections()
    return "missing ports %r, missing connections %r" % (
        [p for p in EXPECTED_PORTS if p not in ports],
        [c for c in EXPECTED_CONNS if c not in conns])


def level(js):
    cap = Probe.run(js, play=[("jmixd:a", "sine:1000:-12")],
                    capture=["probe_play:out_1", "jmixd:master_L"], seconds=0.4, wait=5.0)
    cap.assert_clean()
    return cap.rms_db(1, 0.1, 0.4) - cap.rms_db(0, 0.1, 0.4)


@pytest.mark.timeout(60)
def test_jack_server_killed_and_restarted():
    js = JackServer().start()
    dm = None
    try:
        dm = Daemon(SESSION, js).start()
        assert jmtest.wait_until(lambda: graph_ok(js), 5.0), \
            "session connections at start: " + graph_report(js)
        before = level(js)
        assert abs(before - -3.0103) < 0.05, "level before: %.3f dB" % before

        js.kill()
        time.sleep(1.0)
        assert dm.alive(), "daemon exited when the JACK server died (exit %r)" % dm.proc.returncode
        with dm.client() as c:
            args = c.query("/info")
            assert len(args) == 5, args
            c.send("/strip/1/fader", -6.0)              # changes while JACK is away
            assert abs(c.query_value("/strip/1/fader") - -6.0) < 1e-4
            time.sleep(1.5)                              # a retry or two against nothing
            assert dm.alive()
            c.query("/info")

        t0 = time.monotonic()
        js.start()
        ok = jmtest.wait_until(lambda: graph_ok(js), 5.0 - (time.monotonic() - t0) + 1.0)
        took = time.monotonic() - t0
        assert ok, "5 s after the server came back: " + graph_report(js)
        assert took <= 6.0, "reconnected only after %.1f s" % took
        after = level(js)
        assert abs(after - (before - 6.0)) < 0.05, \
            "level after restart %.3f dB, expected %.3f (fader -6 set while JACK was away)" % (
                after, before - 6.0)
        with dm.client() as c:
            args = c.query("/info")
            assert args[1:3] == [48000, 64], args
        assert dm.stop() == 0
    finally:
        if dm:
            dm.kill9()
        js.stop()   # a clean stop also frees what the killed server left in /dev/shm


