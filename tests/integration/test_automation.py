"""Issue 5 through a real JACK server and real OSC: ramps, timetagged
bundles, lanes on the JACK transport (read, write, touch, latch), snapshots,
session save round trip.

Strip `a` is panned hard left, so master_L = input x gain exactly; the gain
is measured sample by sample as out/in where the input sine is large.
"""
import math
import os
import subprocess
import time

import pytest

import jmtest
from jmtest import Daemon, Probe, db

RATE = 48000
SESSION = """
strips = ( { name = "a"; input = [ ]; pan = -1.0; }, { name = "b"; input = [ ]; } );
master = { output = [ ]; };
automation = ( { param = "/strip/a/trim"; mode = "read"; points = ( (0.0, -20.0), (2.0, 0.0) ); } );
"""
SINE = ("jmixd:a", "sine:1000:-6")
CAP = ["probe_play:out_1", "jmixd:master_L"]


def settle(C):
    jmtest.settle(C)


def gains(cap):
    """[(capture index, gain dB)] where the input is large enough to divide."""
    x, y = cap.channel(0), cap.channel(1)
    return [(i, db(abs(y[i] / x[i])) if y[i] else -200.0) for i in range(len(x)) if abs(x[i]) > 0.35]


def gain_at(g, idx, span=48):
    """Median gain (dB) of the points within span frames of idx."""
    near = sorted(v for i, v in g if abs(i - idx) <= span)
    assert near, "no measurable point near %d" % idx
    return near[len(near) // 2]


def near(value, target, tol, what):
    jmtest.note("%s: %.3f (want %.3f +- %g)" % (what, value, target, tol))
    assert abs(value - target) <= tol, "%s: %.3f, expected %.3f +- %g" % (what, value, target, tol)


def test_fader_ramp_linear_in_db_over_one_second(console):
    JS, C = console.js, console.c
    C.send("/automation/mode", "/strip/a/trim", "off")
    C.send("/strip/a/trim", 0.0)
    C.send("/strip/a/fader", -40.0)
    settle(C)

    def during():
        time.sleep(0.25)
        C.send("/strip/1/fader/ramp", 0.0, 1.0)
    cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=1.8, during=during)
    cap.assert_clean()
    g = gains(cap)
    # the ramp's ends: where the gain leaves -40 dB and where it reaches 0 dB
    s = next(i for i, v in g if v > -39.99)
    e = next(i for i, v in g if v > -0.01)
    # both detections sit (0.01 dB / 40 dB per s) = 12 frames inside the ramp
    length = e - s + 24
    near(length, RATE, 64, "ramp length in frames (1 s +- 1 period)")
    worst = 0.0
    for k in range(1, 100):
        idx = s + k * RATE // 100                  # every 10 ms
        want = -40.0 + 40.0 * (idx - s + 12) / RATE
        worst = max(worst, abs(gain_at(g, idx, 24) - want))
    near(worst, 0.0, 0.1, "worst deviation from the linear-in-dB line at 10 ms points")
    assert C.query("/strip/1/fader")[0] == 0.0
    C.send("/strip/a/fader", 0.0)


# the console hands a timetagged message to the engine this long before it
# is due, converting its time to a frame then (src/control/control_auto.c)
SCHEDULE_HORIZON = 0.05


def test_timetagged_bundles_mute_gap_is_100ms(console):
    JS, C = console.js, console.c
    C.send("/strip/a/fader", 0.0)
    C.send("/strip/a/trim", 0.0)
    settle(C)
    # Timetags are wall-clock times. The console turns one into a frame
    # SCHEDULE_HORIZON before it is due, through a least-squares line (frames
    # against JACK microseconds) fitted over its last ~2.6 s of control
    # ticks. A sound card's frame clock runs at its nominal 48 kHz, so 100 ms
    # is 4800 frames; a dummy server on a loaded machine runs slower, and by
    # an amount that varies from second to second. So sample the same clock
    # the same way and expect what the line gives for each bundle when the
    # console converts it.
    with jmtest.FrameClock(JS) as clk:
        time.sleep(2.7)             # a full window of clock samples
        tags = []

        def during():
            wall, us = time.time(), clk.now_us()
            t0 = wall + 0.3
            C.send_bundle([jmtest.osc_message("/strip/a/mute", 1)],
                          timetag=jmtest.ntp_timetag(t0))
            C.send_bundle([jmtest.osc_message("/strip/a/mute", 0)],
                          timetag=jmtest.ntp_timetag(t0 + 0.1))
            tags.extend(us + (t - wall) * 1e6 for t in (t0, t0 + 0.1))
        cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=1.0, during=during)
        frames = [clk.predict(u, u - SCHEDULE_HORIZON * 1e6) for u in tags]
        slope = clk.fit(tags[0])[2]
        jit = max(clk.jitter(u - SCHEDULE_HORIZON * 1e6) for u in tags)
    if cap.meta["gaps"]:
        pytest.skip("the JACK server missed cycles during the capture (%d gaps, %d xruns): "
                    "captured frames no longer follow its frame clock" % (
                        cap.meta["gaps"], cap.meta["xruns"]))
    cap.assert_clean()
    x, y = cap.channel(0), cap.channel(1)
    # mute and unmute each fade over 20 ms; each bundle's frame is where its
    # fade starts: the output leaves the input, then leaves silence
    down = next(i for i in range(len(x)) if abs(y[i] - x[i]) > 1e-4)
    silent = next(i for i in range(down, len(x)) if all(v == 0.0 for v in y[i:i + 64]))
    up = next(i for i in range(silent, len(x)) if y[i] != 0.0)
    # silent from the end of the mute's 20 ms fade (960 frames) to the
    # unmute: the bundles' gap in the server's frames less the fade (the
    # gap is 4800 frames only where the frame clock keeps wall time; CI saw
    # 3500 on a loaded dummy server)
    gap = frames[1] - frames[0]
    assert up - silent > gap - 960 - 200, "silent while muted %d frames; the bundles are %.0f " \
        "frames apart" % (up - silent, gap)
    jmtest.note("server frame clock: %.0f frames/s before the bundles, %.0f during the "
                "capture; %d xruns reported" % (slope, cap.meta["measured_rate"],
                                                cap.meta["xruns"]))
    # The test's line and the console's come from samples of the same clock
    # taken at other instants (the console's at its control ticks), so they
    # agree to a fraction of a millisecond, not to the frame: errors of 0 to
    # 5 frames were seen under load, 38 with three compilers running beside
    # the test. 48 frames is 1 ms; a server that runs unevenly (its samples
    # scattered around the line: 166 frames of disagreement were seen on a
    # fresh root under heavy load) widens it by 3 times that scatter.
    tol = 48 + 3 * jit
    jmtest.note("frame clock scatter around its line: %.1f frames RMS; tolerance %.0f" % (
        jit, tol))
    near(up - down, frames[1] - frames[0], tol,
         "gap between the mute and the unmute bundle (frames)")
    g = gains(cap)
    near(gain_at(g, up + 2000), 0.0, 0.01, "level after the unmute")


def test_read_lane_follows_transport_and_relocation(console):
    JS, C = console.js, console.c
    C.send("/strip/a/fader", 0.0)
    C.send("/automation/mode", "/strip/a/trim", "read")
    settle(C)
    cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=1.8, roll_from=0)
    assert cap.meta["roll_index"] >= 0, "the transport did not roll"
    g = gains(cap)
    base = cap.meta["roll_index"] - cap.meta["roll_frame"]   # capture index of transport frame 0
    for t, want in ((0.5, -15.0), (1.0, -10.0), (1.5, -5.0)):
        near(gain_at(g, base + int(t * RATE)), want, 0.2, "lane at %.1f s" % t)
    cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=0.5, roll_from=RATE)
    g = gains(cap)
    t = (cap.meta["roll_frame"] + 2400) / RATE      # 50 ms after the roll started at 1.0 s
    near(gain_at(g, cap.meta["roll_index"] + 2400), -20.0 + 10.0 * t, 0.2,
         "relocated to %.2f s: the lane's value there" % t)
    C.send("/automation/mode", "/strip/a/trim", "off")
    C.send("/strip/a/trim", 0.0)


def _steps(cap, base):
    """Transport frames where the gain leaves 0 dB or -12 dB for the other."""
    out, level, moving = [], 0.0, False
    for i, v in gains(cap):
        if not moving and abs(v - level) > 0.2:
            out.append(i - base)
            moving, level = True, (-12.0 if level == 0.0 else 0.0)
        elif moving and abs(v - level) < 0.05:
            moving = False
    return out


def test_write_then_read_reproduces_moves(console):
    JS, C = console.js, console.c
    C.send("/automation/mode", "/strip/a/trim", "off")
    C.send("/strip/a/trim", 0.0)
    C.send("/strip/a/fader", 0.0)
    C.send("/automation/clear", "/strip/a/fader")
    C.send("/automation/mode", "/strip/a/fader", "write")
    settle(C)

    def moves():
        for t, v in ((0.4, -12.0), (0.8, 0.0), (1.2, -12.0)):
            time.sleep(max(0.0, t - (time.monotonic() - t0[0])))
            C.send("/strip/a/fader", v)
    t0 = [time.monotonic()]

    def during():
        t0[0] = time.monotonic()
        moves()
    cap1 = Probe.run(JS, play=[SINE], capture=CAP, seconds=1.6, roll_from=0, during=during)
    time.sleep(0.2)
    steps1 = _steps(cap1, cap1.meta["roll_index"] - cap1.meta["roll_frame"])
    lanes = {}
    C.send("/automation/list")
    for _ in range(10):
        m = C.recv(1.0)
        if not m:
            break
        if m[0] == "/automation/lane":
            lanes[m[1][0]] = m[1][1:]
    assert lanes.get("/strip/a/fader", [None, 0])[1] >= 6, "moves written into the lane: %r" % lanes
    C.send("/automation/mode", "/strip/a/fader", "read")
    C.send("/strip/a/fader", 0.0)
    settle(C)
    cap2 = Probe.run(JS, play=[SINE], capture=CAP, seconds=1.6, roll_from=0)
    steps2 = _steps(cap2, cap2.meta["roll_index"] - cap2.meta["roll_frame"])
    jmtest.note("write pass steps %r, read pass steps %r (transport frames)" % (steps1, steps2))
    assert len(steps1) == 3 and len(steps2) == 3, (steps1, steps2)
    # A move is written at the transport frame the control thread reads when
    # it handles the request; the audio applies it at the start of the next
    # cycle. So the read pass may differ by up to a period (64 frames) plus
    # the jitter of that reading on a dummy server: 2 ms (96 frames).
    for a, b in zip(steps1, steps2):
        assert abs(a - b) <= 96, "read pass %d vs write pass %d frames" % (b, a)
    C.send("/automation/mode", "/strip/a/fader", "off")
    C.send("/strip/a/fader", 0.0)


def test_touch_auto_release_and_latch(console):
    JS, C = console.js, console.c
    # on its own (not after the other tests): the session's trim lane off
    C.send("/automation/mode", "/strip/a/trim", "off")
    C.send("/strip/a/trim", 0.0)
    # a lane holding -20 dB written beforehand
    C.send("/automation/clear", "/strip/a/fader")
    C.send("/strip/a/fader", -20.0)
    C.send("/automation/mode", "/strip/a/fader", "write")
    settle(C)

    def hold():
        time.sleep(0.2)
        C.send("/strip/a/fader", -20.0001)  # a write pass that holds -20 dB
    Probe.run(JS, play=[SINE], capture=CAP, seconds=3.2, roll_from=0, during=hold)
    time.sleep(0.3)

    # The auto-release counts wall seconds (the control thread's clock);
    # the capture counts the server's frames, which a loaded dummy server
    # runs slower (half speed was measured while a fresh-check ran beside
    # the test). So the test reads where the gain moves in the capture and
    # asserts the order and lengths of the segments, which hold at any
    # speed between half and full, not gains at fixed times.
    def leaves(g, start, level, tol=1.0):
        """First point index at or after start whose gain is off level."""
        return next((i for i, v in g if i >= start and abs(v - level) > tol), None)

    for mode, after in (("touch", -20.0), ("latch", 0.0)):
        C.send("/automation/mode", "/strip/a/fader", mode)
        settle(C)

        def move():
            time.sleep(0.8)
            C.send("/strip/a/fader", 0.0)    # no /touch: auto-released 1 s later (touch)
        cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=3.0, roll_from=0, during=move)
        g = gains(cap)
        near(gain_at(g, int(0.1 * RATE)), -20.0, 0.2, "%s: the lane before the move" % mode)
        t_move = leaves(g, 0, -20.0)
        assert t_move is not None, "%s: the move never sounded" % mode
        near(gain_at(g, t_move + int(0.15 * RATE)), 0.0, 0.2,
             "%s: the controller's value while held" % mode)
        t_back = leaves(g, t_move + int(0.05 * RATE), 0.0)
        if mode == "touch":
            assert t_back is not None, "touch: the lane never took over again"
            held = (t_back - t_move) / RATE
            jmtest.note("touch: held %.2f s of audio (1 s of wall time)" % held)
            assert held >= 0.4, "touch: released after %.2f s of audio" % held
        else:
            assert t_back is None, "latch: left the controller's value at %d" % t_back
        near(gain_at(g, cap.frames - int(0.1 * RATE)), after, 0.2, "%s: after the release" % mode)
        time.sleep(0.3)
    # explicit touch: held until /touch 0, 3.5 s later; an auto-release
    # would end it after 1 s of wall time, which is at most 1 s of audio
    C.send("/automation/mode", "/strip/a/fader", "touch")
    settle(C)

    def touch():
        time.sleep(0.4)
        C.send("/strip/a/fader/touch", 1)
        C.send("/strip/a/fader", -6.0)
        time.sleep(3.5)
        C.send("/strip/a/fader/touch", 0)
    cap = Probe.run(JS, play=[SINE], capture=CAP, seconds=4.5, roll_from=0, during=touch)
    g = gains(cap)
    t_on = leaves(g, 0, -20.0)
    assert t_on is not None and abs(gain_at(g, t_on + int(0.1 * RATE)) + 6.0) < 0.2, \
        "explicit touch: -6 dB never sounded"
    t_off = leaves(g, t_on + int(0.05 * RATE), -6.0)
    held = ((t_off if t_off is not None else cap.frames) - t_on) / RATE
    jmtest.note("explicit touch: held %.2f s of audio (3.5 s of wall time)" % held)
    assert held >= 1.4, "explicit touch released after %.2f s of audio" % held
    C.send("/automation/mode", "/strip/a/fader", "off")
    C.send("/automation/clear", "/strip/a/fader")
    C.send("/strip/a/fader", 0.0)
    settle(C)


def test_snapshot_recall_glides_and_lands_exactly(console):
    JS, C = console.js, console.c
    C.send("/strip/a/fader", -20.0)
    C.send("/strip/a/trim", -3.0)
    settle(C)
    C.send("/snapshot/save", "verse")
    C.send("/strip/a/fader", 0.0)
    C.send("/strip/a/trim", 0.0)
    settle(C)
    C.send("/snapshot/list")
    assert C.wait_for("/snapshot", 1.0, pred=lambda a: a == ["verse"]), "listed"

    def recall():
        time.sleep(0.2)
        C.send("/snapshot/recall", "verse", 0.5)
    cap = Probe.run(JS, play=[("jmixd:a", "sine:100:-6")], capture=CAP, seconds=1.2, during=recall)
    cap.assert_clean()
    x, y = cap.channel(0), cap.channel(1)
    # no click: the output never steps more than the input's own largest step
    near(max(abs(y[i] - y[i - 1]) for i in range(1, len(y))) /
         max(abs(x[i] - x[i - 1]) for i in range(1, len(x))), 0.5, 0.5, "largest output step / input's")
    g = [(i, db(abs(y[i] / x[i]))) for i in range(len(x)) if abs(x[i]) > 0.3]
    s = next(i for i, v in g if v < -0.01)
    e = next(i for i, v in g if v < -22.99)
    near((e - s) / RATE, 0.5, 0.02, "snapshot fade time (s)")
    near(gain_at(g, len(x) - 200), -23.0, 0.01, "level after the fade (fader -20, trim -3)")
    time.sleep(0.1)
    assert C.query("/strip/a/fader")[0] == -20.0
    assert C.query("/strip/a/trim")[0] == -3.0
    C.send("/snapshot/delete", "verse")
    C.send("/snapshot/recall", "verse")
    assert C.wait_for("/error", 1.0), "recalling a deleted snapshot is an error"
    C.send("/strip/a/fader", 0.0)
    C.send("/strip/a/trim", 0.0)


def test_session_save_round_trip(console):
    JS, C = console.js, console.c
    C.send("/automation/mode", "/strip/a/trim", "read")
    C.send("/strip/b/pan", 0.25)
    C.send("/strip/b/comp/on", 1)
    C.send("/master/limiter/ceiling", -2.5)
    C.send("/automation/mode", "/strip/b/fader", "touch")
    settle(C)
    C.send("/session/save", "saved.cfg")   # a name: the sessions folder is the daemon's
    m = C.wait_for("/session/save", 3.0)
    assert m, "save confirmed"
    out = m[1][0]
    r = subprocess.run([jmtest.JMIXD, "--check", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    C.send("/params")
    mine = {m[1][0]: m[1][5] for m in C.collect_quiet(0.5) if m[0] == "/param"}
    with Daemon(out, JS, name="jmixd2") as d2, d2.client() as c2:
        c2.send("/params")
        theirs = {m[1][0]: m[1][5] for m in c2.collect_quiet(0.5) if m[0] == "/param"}
        c2.send("/automation/list")
        lanes = [m[1] for m in c2.collect_quiet(0.5) if m[0] == "/automation/lane"]
    assert len(mine) > 50 and mine == theirs, "every parameter equal after save and load"
    assert ["/strip/a/trim", "read", 2] in lanes and ["/strip/b/fader", "touch", 0] in lanes, lanes
    jmtest.note("session save round trip: %d parameters, lanes %r" % (len(mine), lanes))
