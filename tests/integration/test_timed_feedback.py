"""Feedback of a timed change comes when it sounds (issue 15, item 2).

A bundle with a future timetag reaches the audio thread up to 50 ms before
its time, with the JACK frame the time maps to. Its feedback to
subscribers used to leave then, 19-48 ms before the change was heard; now
the audio thread reports the change when it applies it (JM_EV_APPLIED) and
the control thread sends the feedback on that report.

A sine plays into strip `a` (panned hard left: master_L = input x gain). A
bundle 300 ms ahead sets its fader from 0 to -20 dB. The capture gives the
JACK frame F where the fade starts. When the feedback arrives, the test
reads the server's frame clock (from a client of its own):
the audio thread reports the change in the cycle that holds F, so the clock
reads at least F - one period then, and more by the time the control thread
has sent the feedback. Before, it came 19-48 ms early (37 ms measured here
with the old code).
Asserted: the feedback does not come before F less 10 ms (480 frames).
The clock is the start frame of the server's current cycle
(jack_get_cycle_times), not jack_frame_time's estimate between cycle
starts: that estimate was seen 3.1 ms behind the cycle here, and 217 ms
behind on a fresh root under heavy load (a catch-up burst of late
cycles). The old behaviour was 19 to 48 ms early, so 10 ms keeps the test
meaningful.
How much later it comes (the control thread polls every 2 ms while such
feedback is owed) is measured and reported, not asserted; so is the time
against the bundle's timetag (wall clock), which also carries the error of
the console's timetag-to-frame mapping on a dummy server that runs unevenly
under load.
"""
import time

import pytest

import jmtest
from jmtest import OscClient, Probe

SESSION = """
strips = ( { name = "a"; input = [ ]; pan = -1.0; } );
master = { output = [ ]; };
"""
SINE = ("jmixd:a", "sine:1000:-6")
CAP = ["probe_play:out_1", "jmixd:master_L"]
PERIOD = 64                     # the module's JACK period (conftest default)
EARLY_TOL = 480                 # frames: 10 ms (see above)
RUNS = 3
MAX_XRUNS = 3                   # a run with more is not judged (see one_run)


def fade_start(cap):
    """Capture index where master_L leaves input x 1 (the fade's first frame)."""
    x, y = cap.channel(0), cap.channel(1)
    return next(i for i in range(len(x)) if abs(x[i]) > 0.05 and abs(y[i] - x[i]) > 1e-4)


def one_run(JS, D, C, clk, s):
    C.send("/strip/a/fader", -1.0)
    C.send("/strip/a/fader", 0.0)                   # untimed: feedback at once
    m = s.wait_for("/strip/1/fader", 2.0, pred=lambda a: a[0] == 0.0)
    assert m is not None, "no immediate feedback for an untimed set"
    jmtest.settle(C)
    s.drain(0.05)
    seen = {}

    def during():
        time.sleep(0.1)
        wall = time.time()
        t0 = wall + 0.3
        C.send_bundle([jmtest.osc_message("/strip/a/fader", -20.0)],
                      timetag=jmtest.ntp_timetag(t0))
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            m = s.recv(0.1)
            if m and m[0] == "/strip/1/fader":
                seen.update(frame=clk.cycle_frame(), wall=time.time(),
                            value=m[1][0])
                break
        seen["t0"] = t0
    cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=1.0, during=during)
    assert "frame" in seen, "no feedback for the timed change"
    assert seen["value"] == -20.0, seen
    after_tag_ms = (seen["wall"] - seen["t0"]) * 1000.0
    assert C.query_value("/strip/a/fader") == -20.0
    why = cap.starved()
    if not why and cap.meta["xruns"] > MAX_XRUNS:
        # late cycles on the dummy server: its frame count and the frames
        # clients processed part ways (runs with dozens of xruns were seen
        # 140 and 358 ms "early", by a clock that no longer follows the audio)
        why = "the JACK server reported %d xruns" % cap.meta["xruns"]
    if why:
        return None, after_tag_ms, why
    frame = (cap.start_frame + fade_start(cap)) & 0xFFFFFFFF    # JACK frame of the change
    lag = jmtest.frame_step(frame, seen["frame"])
    return lag, after_tag_ms, why


def test_timed_change_fed_back_when_it_sounds(console):
    JS, D, C = console.js, console.d, console.c
    assert JS.period == PERIOD
    lags, starved = [], []
    with jmtest.FrameClock(JS) as clk, OscClient(D.osc_port) as s:
        s.send("/subscribe")
        # RUNS measurements on a server that kept its rate; a run on a
        # starved one (a VM host stealing CPU: captured frames and the
        # server's frame count part ways) is noted, not judged
        for _ in range(4 * RUNS):
            if len(lags) == RUNS:
                break
            s.send("/subscribe")        # renew the 10 s lease
            lag, after_tag, why = one_run(JS, D, C, clk, s)
            if why:
                jmtest.note("a run NOT judged: %s" % why)
                starved.append(why)
                continue
            jmtest.note("feedback %+d frames (%+.1f ms) after the change sounds; %+.1f ms "
                        "after the timetag (wall clock)" % (lag, lag * 1000.0 / JS.rate, after_tag))
            lags.append(lag)
            assert lag >= -EARLY_TOL, \
                "feedback %d frames before the change sounded" % -lag
        s.send("/unsubscribe")
    if not lags:
        pytest.skip("every run on a starved server: %s" % starved[-1])
    jmtest.note("feedback lag after the audio: %s ms" % ", ".join(
        "%.1f" % (v * 1000.0 / JS.rate) for v in lags))
