"""Audio path acceptance (docs/architecture.md, docs/parameters.md): levels, pan laws, mute/solo fades,
trim, polarity, zero latency, master fader and mono, measured through JACK
with jm_probe.

Capture channel 0 is always the probe's own played signal (probe_play:out_1),
so levels are measured relative to what actually went in.
"""
import math
import time

import jmtest
from jmtest import Daemon, JackServer, Probe, db, lsq_fit, undb

SESSION = """
jack = { name = "jmixd"; };
osc = { meter_rate = 20.0; };
strips = (
  { name = "a"; input = [ ]; },
  { name = "b"; input = [ ]; },
  { name = "st"; channels = 2; input = [ ]; }
);
master = { output = [ ]; };
"""

PAN_C = 20 * math.log10(math.cos(math.pi / 4))   # -3.0103 dB
TOL = 0.05
SILENT = -90.0
W0, W1 = 0.1, 0.4        # measurement window (s): 14400 frames, whole periods of
                         # 1 kHz (48), 750 Hz (64) and 500 Hz (96)
IN_A = "probe_play:out_1"
IN_B = "probe_play:out_2"
ML, MR = "jmixd:master_L", "jmixd:master_R"


def reset(C):
    """Every parameter of the session back to its default, confirmed."""
    for s in (1, 2, 3):
        for p, v in (("trim", 0.0), ("polarity", 0), ("mute", 0), ("solo", 0),
                     ("fader", 0.0), ("pan", 0.0)):
            C.send("/strip/%d/%s" % (s, p), v)
    C.send("/master/fader", 0.0)
    C.send("/master/mono", 0)
    settle(C)


def settle(C):
    """Every value applied, then the audio smoothing settled (docs/osc.md: within
    50 ms)."""
    jmtest.settle(C, 0.12)


def setp(C, path, value):
    C.send(path, value)


def sine_run(JS, play, capture=(ML, MR), seconds=0.45, **kw):
    cap = Probe.run(JS, play=play, capture=[IN_A] + list(capture), seconds=seconds, **kw)
    cap.assert_clean()
    return cap


def rel(cap, k, ref=0):
    """Level of channel k relative to channel ref (dB, RMS over the window)."""
    return cap.rms_db(k, W0, W1) - cap.rms_db(ref, W0, W1)


def near(value, target, tol, what):
    jmtest.note("%s: %.4f (want %.4f +- %g)" % (what, value, target, tol))
    assert abs(value - target) <= tol, "%s: %.4f, expected %.4f +- %.3f" % (
        what, value, target, tol)


def test_mono_strip_centre_pan_and_fader(console):
    JS, C = console.js, console.c
    reset(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(rel(cap, 1), PAN_C, TOL, "master_L at pan 0 relative to the input")
    near(rel(cap, 2), PAN_C, TOL, "master_R at pan 0 relative to the input")
    # nothing but gain: the output is the input times the pan gain
    x = cap.segment(0, W0, W1)
    for k in (1, 2):
        (g,), res = lsq_fit(cap.segment(k, W0, W1), [x])
        assert db(res) < SILENT, "residual on channel %d: %.1f dBFS" % (k, db(res))
    l0 = cap.rms_db(1, W0, W1)

    setp(C, "/strip/1/fader", -6.0)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(cap.rms_db(1, W0, W1) - l0, -6.0, TOL, "fader -6 dB, master_L")
    near(rel(cap, 2), PAN_C - 6.0, TOL, "fader -6 dB, master_R relative to the input")

    setp(C, "/strip/1/fader", -90.0)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    assert cap.peak_db(1, W0, W1) < SILENT, "fader -90 is silence: %.1f" % cap.peak_db(1, W0, W1)


def test_mono_pan_hard_left_and_right(console):
    JS, C = console.js, console.c
    reset(C)
    setp(C, "/strip/1/pan", -1.0)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(rel(cap, 1), PAN_C + 3.0103, TOL, "pan -1: master_L (= +3.01 dB over centre)")
    assert cap.peak_db(2, W0, W1) < SILENT, "pan -1: master_R %.1f dBFS" % cap.peak_db(2, W0, W1)
    setp(C, "/strip/1/pan", 1.0)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(rel(cap, 2), 0.0, TOL, "pan +1: master_R")
    assert cap.peak_db(1, W0, W1) < SILENT, "pan +1: master_L %.1f dBFS" % cap.peak_db(1, W0, W1)
    # constant power in between: gL = cos(p pi/2), p = (pan+1)/2
    setp(C, "/strip/1/pan", 0.5)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    p = 0.75
    near(rel(cap, 1), db(math.cos(p * math.pi / 2)), TOL, "pan 0.5: master_L")
    near(rel(cap, 2), db(math.sin(p * math.pi / 2)), TOL, "pan 0.5: master_R")


def test_stereo_strip_unity_at_centre(console):
    JS, C = console.js, console.c
    reset(C)
    cap = Probe.run(JS, play=[("jmixd:st_L", "sine:1000:-12"), ("jmixd:st_R", "sine:500:-18")],
                    capture=[IN_A, IN_B, ML, MR], seconds=0.45)
    cap.assert_clean()
    xl, xr = cap.segment(0, W0, W1), cap.segment(1, W0, W1)
    for k, name, own, other in ((2, "master_L", 0, 1), (3, "master_R", 1, 0)):
        near(rel(cap, k, own), 0.0, TOL, "stereo strip at pan 0, %s" % name)
        g, res = lsq_fit(cap.segment(k, W0, W1), [xl, xr])
        assert abs(g[other]) < undb(SILENT), "%s has crosstalk %.1f dB" % (name, db(abs(g[other])))
        assert db(res) < SILENT, "%s residual %.1f dBFS" % (name, db(res))
    # balance: hard left keeps L at unity and silences R
    setp(C, "/strip/3/pan", -1.0)
    settle(C)
    cap = Probe.run(JS, play=[("jmixd:st_L", "sine:1000:-12"), ("jmixd:st_R", "sine:500:-18")],
                    capture=[IN_A, IN_B, ML, MR], seconds=0.45)
    cap.assert_clean()
    near(rel(cap, 2, 0), 0.0, TOL, "stereo strip balance -1, master_L")
    assert cap.peak_db(3, W0, W1) < SILENT, "balance -1: master_R %.1f" % cap.peak_db(3, W0, W1)


def _fade_check(cap, k, level_db, freq, what):
    """A fade to silence somewhere in channel k: after 60 ms it is below
    -90 dBFS; no sample step exceeds the sine's own largest step."""
    env = cap.envelope(k, 0.001)                  # 1 ms blocks = whole 1 kHz periods
    steady = sorted(env[100:300])[100]
    near(db(steady), level_db, 0.1, "%s: level before the fade" % what)
    onset = next((i for i in range(100, len(env)) if env[i] < 0.98 * steady), None)
    assert onset is not None, "%s: the output never faded" % what
    t_on = onset * 0.001
    assert t_on < cap.frames / cap.rate - 0.15, "%s: fade started too late (%.3f s)" % (what, t_on)
    after = cap.peak_db(k, t_on + 0.060, None)
    below = next((i for i in range(onset, len(env)) if env[i] < undb(SILENT)), None)
    jmtest.note("%s: fade began at %.3f s, below -90 dBFS after %s ms, peak 60 ms on %.1f dBFS"
                % (what, t_on, below - onset if below is not None else None, after))
    assert after < SILENT, "%s: %.1f dBFS 60 ms after the fade began (must be < -90)" % (
        what, after)
    limit = jmtest.sine_max_step(level_db, freq) * 1.02 + 1e-6
    step = cap.max_step(k, W0, None)
    jmtest.note("%s: largest step %.5f, sine's own %.5f" % (what, step, limit / 1.02))
    assert step <= limit, "%s: click, largest step %.5f > sine's own %.5f" % (what, step, limit)
    # and it is a fade, not a cut: still audible 1 ms after the onset
    assert env[onset + 1] > 0.05 * steady, "%s: cut, not a fade (%.4f after 1 ms)" % (
        what, env[onset + 1])
    return t_on


def test_mute_fades_without_click(console):
    JS, C = console.js, console.c
    reset(C)

    def mute_later():
        time.sleep(0.4)
        C.send("/strip/1/mute", 1)

    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")], seconds=1.0, during=mute_later)
    _fade_check(cap, 1, -12 + PAN_C, 1000, "mute")
    _fade_check(cap, 2, -12 + PAN_C, 1000, "mute (master_R)")
    assert C.query_value("/strip/1/mute") in (1, 1.0, True)

    def unmute_later():
        time.sleep(0.3)
        C.send("/strip/1/mute", 0)

    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")], seconds=0.9, during=unmute_later)
    limit = jmtest.sine_max_step(-12 + PAN_C, 1000) * 1.02 + 1e-6
    assert cap.max_step(1) <= limit, "unmute click: %.5f > %.5f" % (cap.max_step(1), limit)
    near(cap.rms_db(1, 0.75, 0.85) - cap.rms_db(0, 0.75, 0.85), PAN_C, TOL, "level after unmute")


def test_solo_in_place(console):
    JS, C = console.js, console.c
    reset(C)
    play = [("jmixd:a", "sine:1000:-12"), ("jmixd:b", "sine:750:-18")]

    def run():
        cap = Probe.run(JS, play=play, capture=[IN_A, IN_B, ML], seconds=0.45)
        cap.assert_clean()
        xa, xb, y = cap.segment(0, W0, W1), cap.segment(1, W0, W1), cap.segment(2, W0, W1)
        return xa, xb, y

    xa, xb, y = run()
    (ga, gb), res = lsq_fit(y, [xa, xb])
    near(db(ga), PAN_C, TOL, "strip 1 before solo")
    near(db(gb), PAN_C, TOL, "strip 2 before solo")

    setp(C, "/strip/1/solo", 1)
    settle(C)
    xa, xb, y = run()
    (ga,), res = lsq_fit(y, [xa])
    near(db(ga), PAN_C, TOL, "strip 1 while soloed (unchanged)")
    assert db(res) < SILENT, "strip 2 not silent while strip 1 is soloed: %.1f dBFS" % db(res)

    setp(C, "/strip/1/solo", 0)
    settle(C)
    xa, xb, y = run()
    (ga, gb), res = lsq_fit(y, [xa, xb])
    near(db(ga), PAN_C, TOL, "strip 1 after unsolo")
    near(db(gb), PAN_C, TOL, "strip 2 after unsolo")

    # solo while playing fades (no click) and silences the other strip
    setp(C, "/strip/1/mute", 1)
    settle(C)

    def solo_later():
        time.sleep(0.4)
        C.send("/strip/2/solo", 1)

    cap = Probe.run(JS, play=play, capture=[IN_A, IN_B, ML], seconds=1.0, during=solo_later)
    cap.assert_clean()
    # strip 1 is muted, so master_L is strip 2 only; soloing strip 2 must not
    # change it at all
    (gb,), res = lsq_fit(cap.segment(2, W0, None), [cap.segment(1, W0, None)])
    near(db(gb), PAN_C, TOL, "soloing the only audible strip")
    assert db(res) < SILENT, "soloing strip 2 changed its output (%.1f dBFS)" % db(res)


def test_solo_fades_others_without_click(console):
    JS, C = console.js, console.c
    reset(C)

    def solo_later():
        time.sleep(0.4)
        C.send("/strip/2/solo", 1)

    # strip 1 plays, strip 2 is silent and gets soloed: strip 1 fades out
    cap = Probe.run(JS, play=[("jmixd:a", "sine:1000:-12"), ("jmixd:b", "silence")],
                    capture=[IN_A, ML], seconds=1.0, during=solo_later)
    cap.assert_clean()
    _fade_check(cap, 1, -12 + PAN_C, 1000, "solo of another strip")


def test_trim_and_polarity(console):
    JS, C = console.js, console.c
    reset(C)
    cap0 = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    l0 = cap0.rms_db(1, W0, W1)
    setp(C, "/strip/1/trim", 6.0)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(cap.rms_db(1, W0, W1) - l0, 6.0, TOL, "trim +6 dB")
    setp(C, "/strip/1/trim", -24.0)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(cap.rms_db(1, W0, W1) - l0, -24.0, TOL, "trim -24 dB")

    setp(C, "/strip/1/trim", 0.0)
    setp(C, "/strip/1/polarity", 1)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    x, y = cap.segment(0, W0, W1), cap.segment(1, W0, W1)
    r = jmtest.correlation(x, y)
    assert r < -0.9999, "polarity 1: correlation with the input %.5f, expected -1" % r
    (g,), res = lsq_fit(y, [x])
    near(db(-g), PAN_C, TOL, "polarity 1: level")
    # an impulse comes out negative
    cap = Probe.run(JS, play=[("jmixd:a", "impulse:2400")], capture=[IN_A, ML], seconds=0.1)
    cap.assert_clean()
    i = cap.index_of_frame(cap.play_start_frame + 2400)
    near(cap.channel(1)[i], -math.cos(math.pi / 4), 1e-3, "polarity 1: impulse sample")


def test_zero_latency_impulse(console):
    JS, C = console.js, console.c
    reset(C)
    cap = Probe.run(JS, play=[("jmixd:a", "impulse:4800"), ("jmixd:st_L", "impulse:7000")],
                    capture=[IN_A, ML, MR], seconds=0.25)
    cap.assert_clean()
    played = cap.play_start_frame + 4800
    assert cap.first_nonzero(0) == played
    for k, name in ((1, "master_L"), (2, "master_R")):
        got = cap.first_nonzero(k, 1e-6)
        assert got is not None, "impulse never reached %s" % name
        assert got == played, "impulse on %s at frame %d, played at %d: latency %d frames" % (
            name, got, played, got - played)
        near(cap.channel(k)[cap.index_of_frame(played)], math.cos(math.pi / 4), 1e-3,
             "impulse amplitude on %s" % name)
    # the stereo strip's impulse: same frame on master_L, nothing on master_R
    played2 = cap.play_start_frame + 7000
    i2 = cap.index_of_frame(played2)
    near(cap.channel(1)[i2], 1.0, 1e-3, "stereo strip impulse on master_L at the played frame")
    assert abs(cap.channel(2)[i2]) < 1e-6
    assert max(abs(v) for v in cap.channel(1)[i2 - 50:i2]) < 1e-6, "pre-echo before impulse 2"


def test_master_fader_and_mono(console):
    JS, C = console.js, console.c
    reset(C)
    setp(C, "/master/fader", -6.0)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(rel(cap, 1), PAN_C - 6.0, TOL, "master fader -6: master_L")
    near(rel(cap, 2), PAN_C - 6.0, TOL, "master fader -6: master_R")
    setp(C, "/master/fader", 0.0)
    setp(C, "/strip/1/pan", -1.0)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(rel(cap, 1), 0.0, TOL, "hard-left strip, mono off: master_L")
    assert cap.peak_db(2, W0, W1) < SILENT
    setp(C, "/master/mono", 1)
    settle(C)
    cap = sine_run(JS, [("jmixd:a", "sine:1000:-12")])
    near(rel(cap, 1), -6.0206, TOL, "mono on, L-only signal: master_L")
    near(rel(cap, 2), -6.0206, TOL, "mono on, L-only signal: master_R")
    x, l, r = cap.segment(0, W0, W1), cap.segment(1, W0, W1), cap.segment(2, W0, W1)
    assert max(abs(a - b) for a, b in zip(l, r)) < 1e-6, "mono: L and R differ"
    assert jmtest.correlation(x, l) > 0.9999


LATE_SESSION = """
jack = { name = "jmlate"; };
strips = ( { name = "late"; input = [ "probe_play:out_1" ]; } );
master = { output = [ "probe_cap:in_2" ]; };
"""


def test_ports_connected_when_they_appear(console):
    """docs/session.md: a port of the session that does not exist yet is connected
    when it appears. Here both ends belong to the probe, which only starts
    after the daemon: the strip input probe_play:out_1 and the master output
    probe_cap:in_2 (the probe itself only connects silent system:capture_1
    to in_2)."""
    JS = console.js
    with Daemon(LATE_SESSION, JS, wait="ports", name="jmlate") as d:
        d.wait_ready()
        cap = Probe.run(JS, play=[("system:playback_1", "sine:1000:-12")],
                        capture=[IN_A, "system:capture_1"], seconds=1.0)
        cap.assert_clean()
        assert cap.peak_db(1, 0.6, 1.0) > -40, \
            "probe_play:out_1 -> jmlate:late -> master_L -> probe_cap:in_2 never carried " \
            "the sine (peak %.1f dBFS in the last 0.4 s)" % cap.peak_db(1, 0.6, 1.0)
        near(cap.rms_db(1, 0.6, 1.0) - cap.rms_db(0, 0.6, 1.0), PAN_C, TOL,
             "late-connected path level")
