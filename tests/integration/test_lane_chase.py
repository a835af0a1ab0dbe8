"""Automation chases the playhead (issue 15, item 5).

A lane in read mode moves its parameter to the lane's value at the new
transport position on every locate, stopped or rolling, as Ardour and Pro
Tools do, and subscribers are told. The audio thread sees the transport
frame jump (src/engine/autoplay.c) and sets the lane's value there over the
parameter's smoothing time; the control thread sees the position change on
its tick and stores and feeds back the same lane value (src/control/lanes.c).

The test drives the JACK transport from a client of its own (opened, never
activated) through libjack's transport API, as a DAW or `jack_transport`
would. Strip `a` is panned hard left, so master_L = input x trim exactly;
the lane holds -20 dB up to 0.9 s and -6 dB from 1.0 s.
"""
import os
import time

import jmtest
from jmtest import OscClient, Probe, db

RATE = 48000
SESSION = """
strips = ( { name = "a"; input = [ ]; pan = -1.0; } );
master = { output = [ ]; };
automation = ( { param = "/strip/a/trim"; mode = "read";
                 points = ( (0.0, -20.0), (0.9, -20.0), (1.0, -6.0), (4.0, -6.0) ); } );
"""
SINE = ("jmixd:a", "sine:1000:-6")
CAP = ["probe_play:out_1", "jmixd:master_L"]
AT_0, AT_1 = -20.0, -6.0        # the lane at 0 s and at 1 s


class Transport:
    """The JACK transport, from a client that is opened and never activated."""

    def __init__(self, server):
        self.lib, self.client = jmtest.jack_client(server, "jmtr")

    def frame(self):
        return self.lib.jack_get_current_transport_frame(self.client)

    def rolling(self):
        return self.lib.jack_transport_query(self.client, None) == 1   # JackTransportRolling

    def locate(self, seconds):
        frame = int(seconds * RATE)
        assert self.lib.jack_transport_locate(self.client, frame) == 0
        if not self.rolling():
            assert jmtest.wait_until(lambda: self.frame() == frame, 2.0), \
                "the transport did not move to %d (at %d)" % (frame, self.frame())

    def start(self):
        self.lib.jack_transport_start(self.client)
        assert jmtest.wait_until(self.rolling, 2.0), "the transport does not roll"

    def stop(self):
        self.lib.jack_transport_stop(self.client)
        assert jmtest.wait_until(lambda: not self.rolling(), 2.0), "the transport rolls on"

    def close(self):
        self.lib.jack_client_close(self.client)


def near(value, target, tol, what):
    jmtest.note("%s: %.3f (want %.3f +- %g)" % (what, value, target, tol))
    assert abs(value - target) <= tol, "%s: %.3f, expected %.3f +- %g" % (what, value, target, tol)


def gain_db(cap, last_s=0.1):
    """Median gain (dB) over the capture's last last_s seconds."""
    x, y = cap.channel(0), cap.channel(1)
    n = len(x)
    g = sorted(db(abs(y[i] / x[i])) for i in range(n - int(last_s * RATE), n)
               if abs(x[i]) > 0.35 and y[i])
    assert g, "nothing measurable in the capture"
    return g[len(g) // 2]


def fed_back(s, want, what):
    """The subscriber is told the trim's new value."""
    m = s.wait_for("/strip/1/trim", 2.0, pred=lambda a: abs(a[0] - want) < 1e-3)
    assert m is not None, "%s: no feedback /strip/1/trim %g" % (what, want)


def stopped_at(JS, C, s, tr, seconds, want):
    what = "stopped, located to %.1f s" % seconds
    s.drain(0)
    tr.locate(seconds)
    fed_back(s, want, what)
    near(C.query_value("/strip/a/trim"), want, 1e-3, what + ": /strip/a/trim")
    cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=0.3)
    cap.assert_clean()
    near(gain_db(cap), want, 0.05, what + ": gain heard (dB)")
    assert not tr.rolling()


def rolling_to(JS, C, s, tr, seconds, want):
    """Locate while rolling; the lane is flat for 0.9 s after either point."""
    what = "rolling, located to %.1f s" % seconds
    s.drain(0)

    def during():
        tr.locate(seconds)
    cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=0.4, during=during)
    fed_back(s, want, what)
    assert tr.rolling()
    pos = tr.frame() / RATE
    assert seconds <= pos < seconds + 0.85, "the transport is at %.2f s" % pos
    near(C.query_value("/strip/a/trim"), want, 1e-3, what + ": /strip/a/trim")
    near(gain_db(cap), want, 0.05, what + ": gain heard at the end of the capture (dB)")


def test_read_lane_chases_every_locate(console):
    JS, D, C = console.js, console.d, console.c
    tr = Transport(JS)
    try:
        tr.stop()
        tr.locate(0.0)
        with OscClient(D.osc_port) as s:
            s.send("/subscribe")
            jmtest.settle(C)
            for seconds, want in ((1.0, AT_1), (0.0, AT_0), (1.0, AT_1), (0.0, AT_0)):
                stopped_at(JS, C, s, tr, seconds, want)
            tr.locate(1.0)
            tr.start()
            for seconds, want in ((0.0, AT_0), (1.0, AT_1)):
                rolling_to(JS, C, s, tr, seconds, want)
            tr.stop()
            # stopped where it rolled: the value stays the lane's there
            near(C.query_value("/strip/a/trim"), AT_1, 1e-3, "stopped after rolling")
            s.send("/unsubscribe")
        tr.locate(0.0)
        C.send("/automation/mode", "/strip/a/trim", "off")
    finally:
        tr.close()


def test_rtsan_chase_and_timed_feedback(module_jack):
    """The RealtimeSanitizer build (docs/architecture.md) through locates
    while stopped and rolling, and timed bundles whose application the audio
    thread reports: no allocation, lock or system call in the callback."""
    assert os.path.exists(jmtest.JMIXD_RTSAN), "%s is not built" % jmtest.JMIXD_RTSAN
    session = SESSION.replace('strips =', 'jack = { name = "jmrtchase"; };\nstrips =')
    tr = Transport(module_jack)
    dm = jmtest.Daemon(session, module_jack, binary=jmtest.JMIXD_RTSAN).start()
    try:
        with dm.client() as c, OscClient(dm.osc_port) as s:
            s.send("/subscribe")
            tr.stop()
            for k in range(6):
                tr.locate(1.0 if k % 2 == 0 else 0.0)
                tag = jmtest.ntp_timetag(time.time() + 0.1)
                c.send_bundle([jmtest.osc_message("/strip/a/fader", -1.0 - k)], timetag=tag)
                time.sleep(0.15)
            got = s.collect(0.5)
            trims = [a[0] for p, a in got if p == "/strip/1/trim"]
            faders = [a[0] for p, a in got if p == "/strip/1/fader"]
            assert trims and trims[-1] == AT_0, "trim feedback %r" % trims
            assert faders and faders[-1] == -6.0, "fader feedback %r" % faders
            tr.start()
            for k in range(4):
                tr.locate(1.0 if k % 2 == 0 else 0.0)
                time.sleep(0.1)
            tr.stop()
            tr.locate(0.0)
            c.query("/info", timeout=5.0)
        assert dm.alive(), "RTSan build died:\n%s" % dm.stderr_text()[-2500:]
        rc = dm.stop()
        t = dm.stderr_text()
        assert "RealtimeSanitizer" not in t, t[t.find("RealtimeSanitizer") - 200:][:2500]
        assert rc == 0, "RTSan build: exit %r on SIGTERM" % rc
    finally:
        dm.kill9()
        tr.close()
