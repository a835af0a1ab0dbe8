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
import shutil
import subprocess
import time

import pytest

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


# --------------------------------------------------------------------------
# netjack2: two JACK servers in two network namespaces joined by a veth pair;
# the second (jackd -d net) is a netjack2 slave of the first, which runs the
# netmanager internal client. jmixd runs on the slave; its master goes to the
# slave's system:playback_N, which netjack2 carries to the master server's
# SLAVE:from_slave_N ports. The probe on the master server plays into
# SLAVE:to_slave_1 (the slave's system:capture_1, the strip's input) and
# captures from_slave_1/2: the whole round trip through the network.

NJ_PERIOD = 256
NJ_CYCLES = 2                # jackd -d net -l: network latency in cycles
MCAST = "225.3.19.154"       # netjack2's default multicast address


class NsJack(JackServer):
    """A jackd in a network namespace, with any driver (driver_args)."""

    def __init__(self, netns, driver_args, **kw):
        super().__init__(**kw)
        self.netns = netns
        self.driver_args = list(driver_args)

    def start(self, timeout=15):
        logf = open(self.log, "ab")
        cmd = _in_ns(self.netns, "jackd", "--no-realtime") + \
              (["-S"] if self.sync else []) + ["-n", self.name] + self.driver_args
        # nsenter execs jackd itself: the pid is jackd's
        self.proc = jmtest._track(subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                                   stdin=subprocess.DEVNULL,
                                                   env=jmtest.env(self.name)))
        logf.close()
        if not jmtest.wait_until(lambda: self.proc.poll() is not None or
                                 "system:playback_1" in jmtest.jack_lsp(self.name), timeout):
            self.kill()
            pytest.skip("jackd %s did not come up in %ss:\n%s" % (
                " ".join(self.driver_args), timeout, self.log_text()[-1500:]))
        if self.proc.poll() is not None:
            pytest.skip("jackd %s exited with %s:\n%s" % (
                " ".join(self.driver_args), self.proc.returncode, self.log_text()[-1500:]))
        return self


def _sh(*cmd):
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def netns_pair():
    """Two network namespaces joined by a veth pair (10.77.N.1 and .2), with a
    multicast route on each side (netjack2 finds its master by multicast)."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("network namespaces need root and iproute2 (`ip netns add`)")
    tag = "%x" % (os.getpid() & 0xffff)
    a, b = "jmtA" + tag, "jmtB" + tag
    va, vb = "jmva" + tag, "jmvb" + tag
    net = "10.77.%d" % (os.getpid() % 250)
    # `ip netns add` bind-mounts /run/netns onto itself if it is no mount
    # point; undo that afterwards (in a chroot it kept the root's folder from
    # being removed). os.path.ismount does not see a bind mount of a folder
    # onto itself: /proc/self/mountinfo does.
    mounts_before = _mounts("/run/netns")
    r = _sh("ip", "netns", "add", a)
    if r.returncode != 0:
        pytest.skip("`ip netns add` is not permitted here: %s" % r.stdout.strip())
    try:
        steps = [("ip", "netns", "add", b),
                 ("ip", "link", "add", va, "type", "veth", "peer", "name", vb),
                 ("ip", "link", "set", va, "netns", a), ("ip", "link", "set", vb, "netns", b),
                 tuple(_in_ns(a, "ip", "addr", "add", net + ".1/24", "dev", va)),
                 tuple(_in_ns(b, "ip", "addr", "add", net + ".2/24", "dev", vb))]
        for ns, dev in ((a, va), (b, vb)):
            steps += [tuple(_in_ns(ns, "ip", "link", "set", "lo", "up")),
                      tuple(_in_ns(ns, "ip", "link", "set", dev, "up")),
                      tuple(_in_ns(ns, "ip", "route", "add", "224.0.0.0/4", "dev", dev))]
        for s in steps:
            r = _sh(*s)
            if r.returncode != 0:
                pytest.skip("`%s` failed: %s" % (" ".join(s), r.stdout.strip()))
        yield a, b
    finally:
        _sh("ip", "netns", "del", a)
        _sh("ip", "netns", "del", b)      # deleting a namespace removes its veth end
        for _ in range(_mounts("/run/netns") - mounts_before):
            if os.listdir("/run/netns"):
                break
            _sh("umount", "/run/netns")


def _mounts(path):
    """How many mounts sit on `path` (/proc/self/mountinfo, field 5)."""
    try:
        with open("/proc/self/mountinfo") as f:
            return sum(1 for line in f if line.split()[4] == path)
    except OSError:
        return 0


def _in_ns(ns, *cmd):
    """cmd run in network namespace `ns` only. `ip netns exec` and `ip -n`
    also make a mount namespace and remount /sys, which fails in a chroot
    ("mount --make-rslave /" failed: Invalid argument); nsenter does not."""
    return ["nsenter", "--net=/run/netns/" + ns] + list(cmd)


def _jack_driver(name):
    for d in ("/usr/lib/x86_64-linux-gnu/jack", "/usr/lib/jack", "/usr/lib64/jack",
              "/usr/lib/aarch64-linux-gnu/jack"):
        if os.path.exists(os.path.join(d, name)):
            return True
    return False


NJ_SESSION = jmtest.session_text(
    [{"name": "a", "input": ["system:capture_1"], "fader": "-6.0", "pan": "-0.5"}],
    master_output=["system:playback_1", "system:playback_2"], jack_name="jmixd")


@pytest.mark.timeout(90)
def test_netjack2_slave_in_another_namespace(netns_pair):
    if not (_jack_driver("jack_net.so") and _jack_driver("netmanager.so")):
        pytest.skip("netjack2 (jack_net.so, netmanager.so from jackd2) is not installed")
    ns_master, ns_slave = netns_pair
    slave = jmtest.unique_name("jmtslave")
    with NsJack(ns_master, ["-d", "dummy", "-r", "48000", "-p", str(NJ_PERIOD)]) as top:
        r = subprocess.run(_in_ns(ns_master, "jack_load", "-s", top.name,
                                  "netmanager", "-i", "-a %s" % MCAST),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=jmtest.env(top.name), timeout=20)
        if r.returncode != 0:
            pytest.skip("jack_load netmanager failed: %s" % r.stdout.strip()[-500:])
        with NsJack(ns_slave, ["-d", "net", "-a", MCAST, "-C", "2", "-P", "2", "-n", slave,
                               "-l", str(NJ_CYCLES)], sync=False) as low:
            to1, fr1, fr2 = slave + ":to_slave_1", slave + ":from_slave_1", slave + ":from_slave_2"
            assert jmtest.wait_until(lambda: fr2 in top.ports(), 10.0), \
                "the slave's ports never appeared on the master server: %r" % top.ports()
            with Daemon(NJ_SESSION, low):
                want = {("system:capture_1", "jmixd:a"), ("jmixd:master_L", "system:playback_1"),
                        ("jmixd:master_R", "system:playback_2")}
                assert jmtest.wait_until(lambda: want <= low.connections(), 5.0)
                # what netjack2 reports on the master server: to_slave playback
                # latency + from_slave capture latency = the round trip
                lat_out = playback_latency(top.name, to1)
                lat_back = capture_latency(top.name, fr1)
                jmtest.note("netjack2 (period %d, -l %d): %s playback latency %r, %s capture "
                            "latency %r; jmixd:master_L on the slave: capture latency %r"
                            % (NJ_PERIOD, NJ_CYCLES, to1, lat_out, fr1, lat_back,
                               capture_latency(low.name, "jmixd:master_L")))
                assert lat_out[0] == lat_out[1] and lat_back[0] == lat_back[1]
                assert lat_out[0] > 0 and lat_back[0] > 0
                assert (lat_out[0] + lat_back[0]) % NJ_PERIOD == 0

                # an impulse: its amplitude gives the level (fader -6 dB, pan
                # -0.5 constant power), its delay must equal the reported latency.
                # An async dummy server on a loaded VM misses cycles: up to 5
                # runs, the first whose impulse window is whole is judged.
                p = (-0.5 + 1) / 2
                gl, gr = 10 ** (-6 / 20) * math.cos(p * math.pi / 2), 10 ** (-6 / 20) * math.sin(p * math.pi / 2)
                judged = None
                for i in range(5):
                    cap = Probe.run(top, play=[(to1, "impulse:4800")],
                                    capture=[IN, fr1, fr2], seconds=0.4)
                    t_in, t_l, t_r = (cap.first_nonzero(k, 1e-6) for k in range(3))
                    jmtest.note("run %d: clean %s, impulse in at %s, back at %s / %s, peaks %.5f %.5f"
                                % (i, cap.clean(), t_in, t_l, t_r, cap.peak(1), cap.peak(2)))
                    if cap.clean():
                        judged = (t_in, t_l, t_r, cap.peak(1), cap.peak(2))
                        break
                if judged is None:
                    pytest.skip("no clean run in 5: the async dummy server missed cycles each time")
                t_in, t_l, t_r, pl, pr = judged
                assert t_l is not None and t_r is not None, "the impulse never came back"
                jmtest.note("round trip %d frames, reported %d" % (t_l - t_in, lat_out[0] + lat_back[0]))
                assert t_l - t_in == lat_out[0] + lat_back[0]
                assert t_r == t_l
                near(db(pl), db(gl), 0.01, "from_slave_1 impulse level (dB)")
                near(db(pr), db(gr), 0.01, "from_slave_2 impulse level (dB)")


def playback_latency(server, port):
    out = jmtest.jack_lsp(server, "-l", port)
    m = re.search(r"playback latency = \[ (\d+) (\d+) \]", out)
    assert m, "no latency in jack_lsp output for %s: %r" % (port, out)
    return int(m.group(1)), int(m.group(2))
