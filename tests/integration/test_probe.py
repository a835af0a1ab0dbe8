"""Self-test of the measuring tools (jm_probe, jmtest) on plain JACK, with no
daemon: if these fail, no other integration result can be trusted."""
import math
import subprocess

import jmtest
from jmtest import JackServer, Probe

def test_probe_loopback_levels_and_alignment(module_jack):
    JS = module_jack
    # probe_play:out_k -> probe_cap:in_k directly: zero latency by definition
    sine = "sine:1000:-12"
    cap = Probe.run(JS, play=[("system:playback_1", "impulse:4800"),
                              ("system:playback_2", "silence")], capture=[], seconds=0.3)
    # no --capture ports: capture channel count is 0 but meta is complete
    assert cap.nch == 0 and cap.frames == 14400, cap.meta
    cap = Probe.run(JS, play=[("system:playback_1", "impulse:4800"),
                              ("system:playback_2", sine)],
                    capture=["probe_play:out_1", "probe_play:out_2"], seconds=0.5)
    m = cap.meta
    assert m["rate"] == 48000 and m["period"] == 64 and m["channels"] == 2, m
    assert m["frames"] == 24000, m
    assert m["start_frame"] == m["play_start_frame"], m
    assert m["gaps"] == 0, m
    # impulse at exactly play_start + 4800
    assert cap.first_nonzero(0) == m["play_start_frame"] + 4800, (cap.first_nonzero(0), m)
    assert cap.channel(0)[4800] == 1.0
    assert sum(1 for v in cap.channel(0) if v != 0) == 1
    # sine: peak -12 dBFS, rms -15.01 dBFS over whole periods after the fade-in
    assert abs(cap.peak_db(1, 0.01, 0.5) - (-12.0)) < 0.01, cap.peak_db(1, 0.01, 0.5)
    assert abs(cap.rms_db(1, 0.1, 0.5) - jmtest.sine_rms_db(-12)) < 0.005
    # fade-in: starts at 0, smooth, and the largest step is the sine's own
    x = cap.channel(1)
    assert x[0] == 0.0 and abs(x[1]) < 1e-4
    assert cap.max_step(1) <= jmtest.sine_max_step(-12, 1000) * 1.01 + 1e-6, cap.max_step(1)


def test_probe_noise_deterministic_and_dc(module_jack):
    JS = module_jack
    sig = "noise:-6:42"
    a = Probe.run(JS, play=[("system:playback_1", sig), ("system:playback_2", "dc:-0.5")],
                  capture=["probe_play:out_1", "probe_play:out_2"], seconds=0.2)
    b = Probe.run(JS, play=[("system:playback_1", sig)], capture=["probe_play:out_1"],
                  seconds=0.2)
    diff = [i for i, (x, y) in enumerate(zip(a.channel(0), b.channel(0))) if x != y]
    assert not diff, "noise is not deterministic: %d samples differ from %d; %s %s" % (
        len(diff), diff[0], a.meta, b.meta)
    assert a.peak_db(0) <= -6.0 + 1e-4 and a.peak_db(0) > -6.1, a.peak_db(0)
    # uniform noise: rms = peak / sqrt(3)
    assert abs(a.rms_db(0) - (-6.0 - 10 * math.log10(3))) < 0.2, a.rms_db(0)
    assert set(a.channel(1)) == {-0.5}
    c = Probe.run(JS, play=[("system:playback_1", "noise:-6:43")],
                  capture=["probe_play:out_1"], seconds=0.2)
    assert jmtest.correlation(a.channel(0), c.channel(0)) < 0.1


def test_probe_missing_port_and_bad_usage(module_jack):
    JS = module_jack
    try:
        Probe.run(JS, play=[("nosuch:port", "silence")], seconds=0.1, wait=0.3)
    except jmtest.ProbeError as e:
        assert "exited with 2" in str(e) and "nosuch:port" in str(e), e
    else:
        raise AssertionError("probe accepted a missing port")
    r = subprocess.run([Probe.binary, "--seconds", "1"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=jmtest.env(JS.name))
    assert r.returncode == 1, r
    r = subprocess.run([Probe.binary, "--server", JS.name, "--seconds", "0.1", "--out",
                        "/dev/null", "--play", "system:playback_1", "--signal", "sine:x:1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=jmtest.env(JS.name))
    assert r.returncode == 1 and b"bad signal" in r.stderr, r


def test_probe_server_death_exit_3():
    js = JackServer().start()
    try:
        import threading
        t = threading.Timer(0.4, js.kill)
        t.start()
        cap = Probe.run(js, play=[("system:playback_1", "sine:1000:-12")],
                        capture=["probe_play:out_1"], seconds=5, expect_rc=3)
        t.join()
        assert cap.meta["shutdown"] is True, cap.meta
        assert 0 < cap.frames < 5 * 48000, cap.meta
        assert abs(cap.peak_db(0, 0.05, None) + 12) < 0.01
    finally:
        # a server that starts and stops cleanly frees the killed one's shm
        js.kill()
        try:
            js.start()
        finally:
            js.stop()


def _synthetic(samples, rate=48000):
    from array import array
    meta = {"rate": rate, "period": 64, "channels": 1, "frames": len(samples),
            "start_frame": 1000, "play_start_frame": 1000, "xruns": 0, "gaps": 0}
    return jmtest.Capture(array("f", samples).tobytes(), meta)


def test_analysis_catches_clicks_slow_fades_and_latency():
    """The mute/solo fade analysis of test_core must reject a hard cut and a
    fade that is too slow, and accept a 20 ms linear fade."""
    import test_core
    amp = jmtest.undb(-15.0103)
    n = 48000
    sine = [amp * math.sin(2 * math.pi * 1000 * i / 48000) for i in range(n)]
    at = 19212     # at a sine peak: the worst moment for a jump

    def faded(gain):
        return [s * gain(i - at) for i, s in enumerate(sine)]

    ok = _synthetic(faded(lambda k: 1.0 if k < 0 else max(0.0, 1 - k / 960.0)))
    test_core._fade_check(ok, 0, -15.0103, 1000, "linear 20 ms")
    cases = {
        "cut": lambda k: 1.0 if k < 0 else 0.0,
        "exponential tau 20 ms": lambda k: 1.0 if k < 0 else math.exp(-k / 960.0),
        "2 ms step fade": lambda k: 1.0 if k < 0 else (0.5 if k < 96 else 0.0),
    }
    for what, g in cases.items():
        try:
            test_core._fade_check(_synthetic(faded(g)), 0, -15.0103, 1000, what)
        except AssertionError:
            continue
        raise AssertionError("fade analysis accepted a bad fade: %s" % what)
    # first_nonzero gives absolute frames
    c = _synthetic([0.0] * 100 + [0.5] + [0.0] * 10)
    assert c.first_nonzero(0) == 1100
    assert c.index_of_frame(1100) == 100
