"""The live daemon's loudness meter against EBU Tech 3341 (issue 6, docs/osc.md).

A stereo strip at unity (balance centre, fader 0 dB) passes the probe's
test signals to master_L/R unchanged; the daemon meters the master on its
meter thread and sends /meter/loudness f:M f:S f:I f:TP f:LRA to
subscribers at the meter rate. Each case: /loudness/reset (confirmed by the
floors coming back), the case's signal on both channels (1 kHz sine, peak
per channel as given, 5 ms fade-in at the start and fade-out at the end),
then the values once the meter has seen the whole signal.

Tech 3341 (EBU Tech 3341 and ITU-R BS.1770-4), tolerance +-0.1 LU:
  1) -23 dBFS 20 s: M, S, I = -23.0     2) -33 dBFS 20 s: M, S, I = -33.0
  3) -36/-23/-36 dBFS 10/60/10 s: I = -23.0
  4) -72/-36/-23/-36/-72 dBFS 10/10/60/10/10 s: I = -23.0
  5) -26/-20/-26 dBFS 20/20.1/20 s: I = -23.0
True peak, +0.2/-0.4 dB: 15) fs/4 sine at 0 deg, amplitude 0.5: -6.0 dBTP;
  19) fs/4 sine at 45 deg, amplitude 1.41: +3.0 dBTP.
M and S (cases 1 and 2) are checked on every message while the sine is
steady (from 6 s after its start, when the 3 s short-term window is full,
to 2 s before its end).

The cases hold 284 s of audio: the probe runs the JACK server in freewheel
mode paced to SPEED x real time (every cycle still runs, in order), and the
test checks that the meter thread kept up (no 'frames dropped' line in the
daemon's log) and that no cycle was lost while a case played (no gap in the
probe's cycles). Message times are mapped to audio time with the
measured pace of each case.
"""
import threading
import time
import types

import pytest

import jmtest
from jmtest import Daemon, Probe

RATE = 48000
PERIOD = 1024
SPEED = 16
FLOOR = -120.0
SESSION = jmtest.session_text([{"name": "a", "channels": 2, "input": []}], jack_name="jmixd")

# name, steps [(dBFS, seconds)], expected M/S (None: not checked), expected I
LOUD_CASES = [
    ("case 1", [(-23, 20)], -23.0, -23.0),
    ("case 2", [(-33, 20)], -33.0, -33.0),
    ("case 3", [(-36, 10), (-23, 60), (-36, 10)], None, -23.0),
    ("case 4", [(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)], None, -23.0),
    ("case 5", [(-26, 20), (-20, 20.1), (-26, 20)], None, -23.0),
]
# name, phase (deg), amplitude, expected dBTP
TP_CASES = [("case 15", 0.0, 0.5, -6.0), ("case 19", 45.0, 1.41, 3.0)]
TP_SECONDS = 2.0

class Collector:
    """Receives /meter/loudness on its own thread, with arrival times, and
    keeps the subscription alive (subscriptions last 10 s)."""

    def __init__(self, port):
        self.c = jmtest.OscClient(port)
        self.msgs = []          # (monotonic time, [M, S, I, TP, LRA])
        self.lock = threading.Lock()
        self.stop_flag = False
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        next_sub = 0.0
        while not self.stop_flag:
            now = time.monotonic()
            if now >= next_sub:
                self.c.send("/subscribe")
                next_sub = now + 2.0
            m = self.c.recv(0.05)
            if m and m[0] == "/meter/loudness":
                with self.lock:
                    self.msgs.append((time.monotonic(), list(m[1])))

    def since(self, t):
        with self.lock:
            return [m for m in self.msgs if m[0] >= t]

    def last(self):
        with self.lock:
            return self.msgs[-1] if self.msgs else None

    def wait(self, pred, timeout):
        """First message after now with pred(values) true, or None."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            for t, v in self.since(t0):
                if pred(v):
                    return t, v
            time.sleep(0.02)
        return None

    def close(self):
        self.stop_flag = True
        self.th.join(timeout=2)
        self.c.send("/unsubscribe")
        self.c.close()


JACK_ARGS = {"period": PERIOD}


@pytest.fixture(scope="module")
def live(module_jack):
    """A daemon on SESSION and a subscriber collecting /meter/loudness."""
    d = Daemon(SESSION, module_jack).start()
    col = Collector(d.osc_port)
    try:
        assert col.wait(lambda v: len(v) == 5, 3.0), \
            "no /meter/loudness f f f f f for a subscriber"
        yield types.SimpleNamespace(js=module_jack, d=d, col=col)
    finally:
        col.close()
        d.stop()


def reset(live):
    with live.d.client() as c:
        c.send("/loudness/reset")
    ok = live.col.wait(lambda v: v[2] <= FLOOR + 0.5 and v[3] <= FLOOR + 0.5, 3.0)
    assert ok, "/loudness/reset: integrated and true peak did not return to the floor: %r" % (
        live.col.last(),)


def xruns(live):
    with live.d.client() as c:
        return c.query("/stats")[5]


def play(live, signal, seconds):
    """Play `signal` on both channels, in freewheel; returns (start, end,
    audio seconds per wall second) and the final loudness values."""
    reset(live)
    x0 = xruns(live)
    cap = Probe.run(live.js, play=[("jmixd:a_L", signal), ("jmixd:a_R", signal)], capture=[],
                    seconds=seconds + 0.3, during=lambda: None, freewheel=SPEED)
    t_end = time.monotonic()
    t_start = cap.play_started_mono
    # every cycle ran, in order, while the case played. (This non-realtime
    # server may still report an xrun when it enters or leaves freewheel
    # under load; that loses nothing in synchronous mode: the probe's frame
    # count would show a skipped cycle as a gap.)
    assert cap.meta["gaps"] == 0, cap.meta
    x = xruns(live) - x0
    if x:
        jmtest.note("(%d xrun%s reported around the freewheel switch; no gap)" % (
            x, "s" if x > 1 else ""))
    pace = (seconds + 0.3) / (t_end - t_start)
    # the meter thread drains every 20 ms: wait until the values settle
    time.sleep(0.3)
    final = live.col.wait(lambda v: True, 2.0)
    assert final, "no /meter/loudness after the case"
    return t_start, pace, final[1]


def seq_signal(steps):
    return "seq:1000:" + ":".join("%g:%g" % (db, s) for db, s in steps)


def check_dropped(live):
    err = live.d.stderr_text()
    assert "(meter ring full)" not in err, "the loudness meter dropped audio:\n" + err[-1500:]


def near(v, want, lo, hi, what):
    assert want - lo <= v <= want + hi, "%s: %.3f, expected %.1f (+%.1f/-%.1f)" % (
        what, v, want, hi, lo)


@pytest.mark.timeout(110)
def test_tech3341_cases_1_to_5_live(live):
    t0 = time.monotonic()
    lines = []
    for name, steps, want_ms, want_i in LOUD_CASES:
        total = sum(s for _, s in steps)
        t_start, pace, v = play(live, seq_signal(steps), total)
        M, S, I, TP, LRA = v
        line = "%s (%s, %.1f s audio at x%.1f): I %.2f LUFS" % (
            name, "/".join("%g" % db for db, _ in steps), total, pace, I)
        if want_ms is not None:
            # every message while the sine is steady: 6 s after its start
            # to 2 s before its end (audio time = wall time x pace)
            win = [m for t, m in live.col.since(t_start)
                   if 6.0 <= (t - t_start) * pace <= total - 2.0]
            assert len(win) >= 10, "%s: only %d messages in the steady window" % (name, len(win))
            ms = [m[0] for m in win]
            ss = [m[1] for m in win]
            line += "; M %.2f..%.2f, S %.2f..%.2f LUFS over %d messages" % (
                min(ms), max(ms), min(ss), max(ss), len(win))
            for m in ms:
                near(m, want_ms, 0.1, 0.1, name + " momentary")
            for s in ss:
                near(s, want_ms, 0.1, 0.1, name + " short-term")
        line += "; TP %.2f dBTP, LRA %.2f LU" % (TP, LRA)
        lines.append(line)
        jmtest.note(line)
        near(I, want_i, 0.1, 0.1, name + " integrated")
    check_dropped(live)
    jmtest.note("cases 1-5: %.1f s wall for %.1f s of audio" % (
        time.monotonic() - t0, sum(sum(s for _, s in c[1]) for c in LOUD_CASES)))




@pytest.mark.timeout(60)
def test_tech3341_true_peak_cases_15_and_19_live(live):
    for name, phase, amp, want in TP_CASES:
        sig = "tone:%g:%g:%g:%g" % (RATE / 4, phase, amp, TP_SECONDS)
        _, pace, v = play(live, sig, TP_SECONDS)
        jmtest.note("%s (fs/4, %g deg, amplitude %g): true peak %.2f dBTP (want %.1f "
                    "+0.2/-0.4); I %.2f LUFS" % (name, phase, amp, v[3], want, v[2]))
        near(v[3], want, 0.4, 0.2, name + " true peak")
    check_dropped(live)


