"""jmixd on PipeWire's JACK library (docs/operations.md, "PipeWire").

A headless PipeWire daemon (Debian packages pipewire, pipewire-bin,
pipewire-jack) runs from a private configuration: no session bus, no session
manager, the "Dummy-Driver" node as the graph's clock (support.node.driver),
its socket in a private XDG_RUNTIME_DIR under the name the tests use as the
JACK server name (pipewire-jack takes jack_client_open's server name as the
PipeWire remote name). jmixd runs through `pw-jack`, the probe and jack_lsp
with the same LD_LIBRARY_PATH pw-jack sets. Skipped with the reason when the
packages are not installed or the daemon cannot start here.
"""
import contextlib
import os
import re
import shutil
import subprocess
import time

import pytest

import jmtest
from jmtest import Daemon, Probe

RATE = 48000
QUANTUM = 256          # PipeWire's quantum is what a JACK client sees as its period

# what pw-jack (pipewire-jack's wrapper script) puts first on LD_LIBRARY_PATH;
# ld.so expands $LIB (lib/x86_64-linux-gnu on Debian)
PW_JACK_LIBDIR = "/usr/${LIB}/pipewire-0.3/jack"

PW_CONF = """
context.properties = {
    core.daemon = true
    core.name = %(name)s
    default.clock.rate = %(rate)d
    default.clock.allowed-rates = [ %(rate)d ]
    default.clock.quantum = %(quantum)d
    default.clock.min-quantum = 16
    default.clock.max-quantum = 2048
    support.dbus = false
    log.level = 2
}
context.spa-libs = {
    support.* = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-profiler }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-spa-node-factory }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-access }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
]
context.objects = [
    { factory = spa-node-factory
        args = {
            factory.name    = support.node.driver
            node.name       = Dummy-Driver
            node.group      = pipewire.dummy
            priority.driver = 20000
        }
    }
    { factory = spa-node-factory
        args = {
            factory.name    = support.node.driver
            node.name       = Freewheel-Driver
            priority.driver = 19000
            node.group      = pipewire.freewheel
            node.freewheel  = true
        }
    }
]
"""

SESSION = """
jack = { name = "jmixd"; };
strips = ( { name = "a"; input = [ ]; pan = -1.0; } );
master = { output = [ ]; limiter = { on = true; ceiling = -1.0; lookahead = 2.0; }; };
"""
ML = "jmixd:master_L"
LOOKAHEAD_FRAMES = 96  # 2.0 ms at 48 kHz


class PipeWire:
    """A headless PipeWire daemon on a private runtime dir, socket `name`."""

    def __init__(self, name):
        self.name = name
        self.dir = jmtest.mkdtemp("jmpw")
        self.runtime = os.path.join(self.dir, "run")
        os.makedirs(self.runtime, mode=0o700)
        self.conf = os.path.join(self.dir, "pipewire.conf")
        with open(self.conf, "w") as f:
            f.write(PW_CONF % {"name": name, "rate": RATE, "quantum": QUANTUM})
        self.log = os.path.join(self.dir, "pipewire.log")
        self.proc = None

    def env(self):
        e = dict(os.environ)
        e.pop("DBUS_SESSION_BUS_ADDRESS", None)
        e["XDG_RUNTIME_DIR"] = self.runtime
        return e

    def start(self, timeout=10.0):
        with open(self.log, "ab") as lf:
            self.proc = jmtest._track(subprocess.Popen(
                ["pipewire", "-c", self.conf], stdout=lf, stderr=lf,
                stdin=subprocess.DEVNULL, env=self.env()))
        sock = os.path.join(self.runtime, self.name)
        jmtest.wait_until(lambda: self.proc.poll() is not None or os.path.exists(sock), timeout)
        return self.proc.poll() is None and os.path.exists(sock)

    def stop(self):
        if self.proc:
            jmtest.terminate(self.proc, 3.0)

    def log_text(self):
        return jmtest.read_text(self.log)


@contextlib.contextmanager
def clients_of(pw):
    """Every JACK client started meanwhile (jmixd, jm_probe, jack_lsp) talks
    to `pw`: its runtime dir, pw-jack's libjack first, no session bus. The
    environment is restored afterwards."""
    keys = ("XDG_RUNTIME_DIR", "LD_LIBRARY_PATH", "DBUS_SESSION_BUS_ADDRESS")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["XDG_RUNTIME_DIR"] = pw.runtime
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    lib = saved["LD_LIBRARY_PATH"]
    if not (lib or "").startswith(PW_JACK_LIBDIR):
        os.environ["LD_LIBRARY_PATH"] = PW_JACK_LIBDIR + (":" + lib if lib else "")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class PwDaemon(Daemon):
    """jmixd started the way users start it on PipeWire: `pw-jack jmixd ...`."""

    def cmdline(self):
        return ["pw-jack"] + super().cmdline()


@pytest.fixture(scope="module")
def pipewire():
    missing = [b for b in ("pipewire", "pw-jack") if not shutil.which(b)]
    if missing:
        pytest.skip("PipeWire is not installed (%s not found; Debian: apt-get install "
                    "pipewire pipewire-bin pipewire-jack)" % ", ".join(missing))
    pw = PipeWire(jmtest.unique_name("jmpw"))
    if not pw.start():
        pw.stop()
        pytest.skip("PipeWire cannot start here: %s" % pw.log_text().strip()[-600:])
    # every JACK client of this module talks to it
    try:
        with clients_of(pw):
            r = subprocess.run(["jack_lsp", "-s", pw.name], capture_output=True, text=True,
                               timeout=10, env=jmtest.env(pw.name))
            if r.returncode != 0:
                pytest.skip("pipewire-jack cannot reach the PipeWire daemon: %s" %
                            (r.stderr.strip()[-600:] or pw.log_text().strip()[-600:]))
            yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="module")
def pw_console(pipewire):
    d = PwDaemon(SESSION, pipewire.name).start()
    c = d.client()
    yield d, c
    c.close()
    d.stop()


def test_info_reports_the_quantum_as_the_period(pipewire, pw_console):
    d, c = pw_console
    args = c.query("/info")  # s:version i:sample_rate i:period i:strips i:buses
    assert list(args[1:3]) == [RATE, QUANTUM], "/info %r: want rate %d, period %d" % (
        args, RATE, QUANTUM)
    err = d.stderr_text()
    assert "running at %d Hz, period %d" % (RATE, QUANTUM) in err, err[-800:]


def test_ports_appear_with_jack_names(pipewire, pw_console):
    ports = jmtest.jack_ports(pipewire.name)
    for p in ("jmixd:a", "jmixd:master_L", "jmixd:master_R"):
        assert p in ports, "%s not among %r" % (p, ports)


def test_latency_reporting(pipewire, pw_console):
    out = jmtest.jack_lsp(pipewire.name, "-l", ML)
    m = re.search(r"capture latency = \[ (\d+) (\d+) \]", out)
    assert m, "no latency in jack_lsp output: %r" % out
    assert (int(m.group(1)), int(m.group(2))) == (LOOKAHEAD_FRAMES, LOOKAHEAD_FRAMES)
    out = jmtest.jack_lsp(pipewire.name, "-l", "jmixd:a")
    m = re.search(r"playback latency = \[ (\d+) (\d+) \]", out)
    assert m and int(m.group(1)) == LOOKAHEAD_FRAMES, out


def _sine_through(pipewire, dbfs):
    cap = Probe.run(pipewire.name, play=[("jmixd:a", "sine:1000:%g" % dbfs)],
                    capture=["probe_play:out_1", ML], seconds=0.5, wait=5.0, retries=0)
    assert cap.meta["rate"] == RATE and cap.meta["period"] == QUANTUM, cap.meta
    # PipeWire's dummy driver skips cycles when it wakes up late (the frame
    # time jumps by a quantum: jm_probe counts "gaps"); the captured blocks
    # are still whole, so peaks and the onset are exact, RMS is not.
    if not cap.clean():
        jmtest.note("PipeWire skipped cycles in this capture: %d gaps, start frame %d, "
                    "play start %d" % (cap.meta.get("gaps", 0), cap.start_frame,
                                       cap.play_start_frame))
    return cap


def test_sine_passes_at_the_right_level_and_latency(pipewire, pw_console):
    d, c = pw_console
    c.set_and_confirm("/strip/a/fader", 0.0)
    cap = _sine_through(pipewire, -12)
    assert abs(cap.peak_db(0, 0.1, 0.5) - (-12.0)) < 0.01
    assert abs(cap.peak_db(1, 0.1, 0.5) - (-12.0)) < 0.05, cap.peak_db(1, 0.1, 0.5)
    t_in = cap.first_nonzero(0, 1e-6)
    t_out = cap.first_nonzero(1, 1e-6)
    jmtest.note("PipeWire: in %d, out %d: %d frames (lookahead %d)" % (
        t_in, t_out, t_out - t_in, LOOKAHEAD_FRAMES))
    assert t_out - t_in == LOOKAHEAD_FRAMES

    c.set_and_confirm("/strip/a/fader", -6.0)
    cap = _sine_through(pipewire, -12)
    got = cap.peak_db(1, 0.1, 0.5)
    jmtest.note("PipeWire: fader -6 dB: master_L peak %.3f dBFS (want -18)" % got)
    assert abs(got - (-18.0)) < 0.05, got
    assert d.alive()


@pytest.mark.timeout(60)
def test_pipewire_restart_is_survived():
    """Runs last: it restarts the module's PipeWire with its own jmixd."""
    pw = PipeWire(jmtest.unique_name("jmpwr"))
    if not shutil.which("pipewire") or not pw.start():
        pytest.skip("PipeWire cannot start here")
    d = None
    try:
        with clients_of(pw):
            d = PwDaemon(SESSION, pw.name).start()
            assert ML in jmtest.jack_ports(pw.name)
            pw.stop()
            time.sleep(1.0)
            assert pw.start(), pw.log_text()[-600:]
            back = jmtest.wait_until(lambda: ML in jmtest.jack_ports(pw.name), 10.0)
            assert d.alive(), d.stderr_text()[-800:]
            assert back, "jmixd's ports did not come back: %s" % d.stderr_text()[-800:]
            assert "JACK server is back; resumed" in d.stderr_text(), d.stderr_text()[-800:]
            # the console mixes again on the new daemon, at the level it had
            cap = _sine_through(pw, -12)
            assert abs(cap.peak_db(1, 0.1, 0.5) - (-12.0)) < 0.05, cap.peak_db(1, 0.1, 0.5)
            jmtest.note("PipeWire restart: ports back, master_L peak %.3f dBFS after it"
                        % cap.peak_db(1, 0.1, 0.5))
    finally:
        if d:
            d.kill9()
        pw.stop()
