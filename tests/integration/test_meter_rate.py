"""Meters arrive at osc.meter_rate (issue 15, item 3).

A subscriber counts /meter/master over about 3 s. The rate is counted
against the JACK server's own frame clock (jack_frame_time read when each
meter arrives), not the wall clock: a dummy server on a loaded machine runs
slower than its nominal rate, and the console's meter windows are counted
in frames. The control thread forwards meters on its loop turns (at most
20 ms apart), so single arrivals jitter; over 3 s that is below 1 %.

The server runs periods of 256 frames: a meter window of 2400 frames (20 Hz
at 48 kHz) is then 9.375 periods. A window that ended only at the first
whole period past it (and started the next one from zero) lasted 2560
frames: 18.75 meters a second for 20, 26.8 for 30 (1600 frames = 6.25
periods -> 1792). The console carries the overshoot into the next window.
"""

import pytest

import jmtest
from jmtest import Daemon

JACK_ARGS = {"period": 256}
RATE = 48000
TOL = 0.05          # +-5 % of the configured rate


class FrameTime:
    """jack_frame_time() from a client that is opened and never activated."""

    def __init__(self, server):
        self.lib, self.client = jmtest.jack_client(server, "jmft")
        self.last = None
        self.total = 0

    def now(self):
        """Unwrapped frame time."""
        f = self.lib.jack_frame_time(self.client)
        if self.last is not None:
            self.total += jmtest.frame_step(self.last, f)
        self.last = f
        return self.total

    def close(self):
        self.lib.jack_client_close(self.client)


def meters_per_second(js, meter_rate, seconds=3.0):
    session = jmtest.session_text([{"name": "a", "input": []}],
                                  osc_extra="meter_rate = %g;" % meter_rate)
    with Daemon(session, js) as d, d.client() as s:
        clock = FrameTime(js)
        try:
            s.send("/subscribe")
            s.drain(0.3)
            frames = []
            start = clock.now()
            while clock.now() - start < seconds * RATE:
                m = s.recv(0.5)
                assert m is not None, "meters stopped"
                if m[0] == "/meter/master":
                    frames.append(clock.now())
            s.send("/unsubscribe")
        finally:
            clock.close()
    # meters between the first and the last arrival, per second of JACK frames
    rate = (len(frames) - 1) / ((frames[-1] - frames[0]) / RATE)
    jmtest.note("meter_rate %g: %d /meter/master, %.3f per second of JACK frames (%+.2f %%)" % (
        meter_rate, len(frames), rate, 100.0 * (rate / meter_rate - 1.0)))
    return rate


@pytest.mark.parametrize("meter_rate", [20, 30])
def test_meters_at_the_configured_rate(module_jack, meter_rate):
    rate = meters_per_second(module_jack, meter_rate)
    assert abs(rate - meter_rate) <= TOL * meter_rate, \
        "%.3f meters a second for osc.meter_rate = %g" % (rate, meter_rate)
