"""Scaling out (README "Scaling out"): several jmixd instances on one JACK
server, a sub-mix instance's master feeding a stereo strip of a master
instance; levels follow the fader and pan laws of both, and the latency
each instance reports through JACK (its limiter lookahead,
jack_port_set_latency_range) adds up along the chain, as an impulse shows.

Measured through JACK with jm_probe; capture channel 0 is the probe's own
played signal, so levels are relative to what went in.
"""
import math
import os
import re
import time

import jmtest
from jmtest import Daemon, JackServer, Probe, db

TOL = 0.05
W0, W1 = 0.1, 0.4            # whole periods of 1 kHz at 48 kHz
IN = "probe_play:out_1"

# sub-mix instance: one mono strip, fader and pan, master fader, a limiter
# whose 2 ms lookahead (96 frames) is its only latency
SUB_FADER, SUB_PAN, SUB_MASTER, SUB_LOOK = -6.0, 0.5, -1.5, 2.0
SUB = """
jack = { name = "sub"; };
strips = ( { name = "vox"; input = [ ]; fader = %.1f; pan = %.2f; } );
master = { output = [ ]; fader = %.1f;
           limiter = { on = true; ceiling = 0.0; lookahead = %.1f; }; };
""" % (SUB_FADER, SUB_PAN, SUB_MASTER, SUB_LOOK)

# master instance: the sub-mix arrives on a stereo strip (inputs connected
# by name when they appear), 3 ms lookahead (144 frames)
MAIN_FADER, MAIN_MASTER, MAIN_LOOK = -4.0, -2.0, 3.0
MAIN = """
jack = { name = "main"; };
strips = ( { name = "subs"; channels = 2; input = [ "sub:master_L", "sub:master_R" ];
             fader = %.1f; } );
master = { output = [ ]; fader = %.1f;
           limiter = { on = true; ceiling = 0.0; lookahead = %.1f; }; };
""" % (MAIN_FADER, MAIN_MASTER, MAIN_LOOK)


def capture_latency(server, port):
    """(min, max) capture latency of a port in frames, as JACK reports it."""
    out = jmtest.jack_lsp(server, "-l", port)
    m = re.search(r"capture latency = \[ (\d+) (\d+) \]", out)
    assert m, "no latency in jack_lsp output for %s: %r" % (port, out)
    return int(m.group(1)), int(m.group(2))


def near(value, target, tol, what):
    jmtest.note("%s: %.4f (want %.4f +- %g)" % (what, value, target, tol))
    assert abs(value - target) <= tol, "%s: %.4f, expected %.4f +- %.3f" % (
        what, value, target, tol)


def cpu_seconds(pid):
    """utime + stime of a process (s), from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_two_instances_chained():
    with JackServer() as js, Daemon(SUB, js) as sub, Daemon(MAIN, js) as main:
        # the master instance connected its stereo strip to the sub-mix's master
        want = {("sub:master_L", "main:subs_L"), ("sub:master_R", "main:subs_R")}
        assert jmtest.wait_until(lambda: want <= js.connections(), 5.0), \
            "sub -> main not connected: %r" % sorted(js.connections())

        # levels: mono strip (constant-power pan) -> sub master -> stereo strip
        # at centre (unity per side) -> main master
        p = (SUB_PAN + 1) / 2
        chain = SUB_FADER + SUB_MASTER + MAIN_FADER + MAIN_MASTER
        want_l = chain + db(math.cos(p * math.pi / 2))
        want_r = chain + db(math.sin(p * math.pi / 2))
        cap = Probe.run(js, play=[("sub:vox", "sine:1000:-12")],
                        capture=[IN, "sub:master_L", "main:master_L", "main:master_R"],
                        seconds=0.6)
        cap.assert_clean()
        ref = cap.rms_db(0, W0 + 0.1, W1 + 0.1)
        near(cap.rms_db(1, W0 + 0.1, W1 + 0.1) - ref, SUB_FADER + SUB_MASTER + db(math.cos(p * math.pi / 2)),
             TOL, "sub:master_L relative to the input (dB)")
        near(cap.rms_db(2, W0 + 0.1, W1 + 0.1) - ref, want_l, TOL, "main:master_L relative to the input (dB)")
        near(cap.rms_db(3, W0 + 0.1, W1 + 0.1) - ref, want_r, TOL, "main:master_R relative to the input (dB)")

        # latency: each instance reports its lookahead; JACK adds them along the chain
        sub_frames = int(round(SUB_LOOK * js.rate / 1000))
        main_frames = int(round(MAIN_LOOK * js.rate / 1000))
        got_sub = capture_latency(js.name, "sub:master_L")
        assert jmtest.wait_until(
            lambda: capture_latency(js.name, "main:master_L") == (sub_frames + main_frames,) * 2, 3.0)
        got_main = capture_latency(js.name, "main:master_L")
        jmtest.note("reported capture latency: sub:master_L %r, main:master_L %r (want %d, %d)"
                    % (got_sub, got_main, sub_frames, sub_frames + main_frames))
        assert got_sub == (sub_frames, sub_frames)
        assert got_main == (sub_frames + main_frames,) * 2
        assert capture_latency(js.name, "main:subs_L") == (sub_frames, sub_frames)

        # and the audio is as late as reported: an impulse through both
        cap = Probe.run(js, play=[("sub:vox", "impulse:1000")],
                        capture=[IN, "sub:master_L", "main:master_L"], seconds=0.2)
        cap.assert_clean()
        t_in = cap.first_nonzero(0, 1e-6)
        t_sub = cap.first_nonzero(1, 1e-6)
        t_main = cap.first_nonzero(2, 1e-6)
        jmtest.note("impulse in at %d, sub:master_L +%d, main:master_L +%d frames"
                    % (t_in, t_sub - t_in, t_main - t_in))
        assert t_sub - t_in == sub_frames
        assert t_main - t_in == sub_frames + main_frames

        # CPU per instance (a figure for the README, not judged): 2 s of running
        c0 = {d: cpu_seconds(d.pid) for d in (sub, main)}
        time.sleep(2.0)
        for name, d in (("sub", sub), ("main", main)):
            jmtest.note("CPU %s: %.1f %% of one core (period %d at %d Hz, dummy backend)"
                        % (name, 100 * (cpu_seconds(d.pid) - c0[d]) / 2.0, js.period, js.rate))
        assert sub.alive() and main.alive()
