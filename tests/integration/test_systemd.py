"""systemd: every unit passes `systemd-analyze verify` (with no warnings),
and the daemon speaks the notify protocol: READY=1, WATCHDOG=1 while the
audio thread runs, no WATCHDOG=1 while the engine is stuck (its JACK server
frozen with SIGSTOP), again after it resumes, STOPPING=1 on SIGTERM."""
import os
import shutil
import signal
import socket
import subprocess
import time

import jmtest
from jmtest import Daemon, JackServer

ROOT = jmtest.ROOT
UNITS = os.path.join(ROOT, "systemd")


def _units_for_here(tmp):
    """The shipped units, with the binary path pointing at this build (the
    install path does not exist on a test machine)."""
    out = []
    for name in sorted(os.listdir(UNITS)):
        if not name.endswith(".service"):
            continue
        text = open(os.path.join(UNITS, name)).read()
        text = text.replace("/usr/local/bin/jmixd", jmtest.JMIXD).replace("%h/.local/bin/jmixd",
                                                                             jmtest.JMIXD)
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        out.append(path)
    return out


def test_units_verify_without_warnings():
    if not shutil.which("systemd-analyze"):
        raise AssertionError("systemd-analyze is missing (package systemd)")
    tmp = jmtest.mkdtemp("jmunits")
    units = _units_for_here(tmp)
    assert len(units) == 3, units
    system = [u for u in units if "user" not in os.path.basename(u)]
    user = [u for u in units if "user" in os.path.basename(u)]
    r = subprocess.run(["systemd-analyze", "verify"] + system, capture_output=True, text=True, cwd=tmp)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
    xdg = jmtest.mkdtemp("jmxdg")
    os.chmod(xdg, 0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=xdg)
    r = subprocess.run(["systemd-analyze", "--user", "verify"] + user, capture_output=True,
                       text=True, cwd=tmp, env=env)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
    for u in units:
        text = open(u).read()
        assert "Restart=on-failure" in text and "LimitRTPRIO=" in text and "LimitMEMLOCK=" in text
        if "jmixd" in os.path.basename(u):
            assert "Type=notify" in text and "WatchdogSec=" in text and "NoNewPrivileges=yes" in text
    jmtest.note("%d units verified" % len(units))


class Notify:
    def __init__(self):
        self.path = os.path.join(jmtest.mkdtemp("jmnotify"), "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.05)

    def read(self, seconds):
        """Every notification received within `seconds`."""
        got, end = [], time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                got.extend(self.sock.recv(4096).decode().split("\n"))
            except socket.timeout:
                pass
        return [g for g in got if g]

    def close(self):
        self.sock.close()


SESSION = 'strips = ( { name = "a"; input = [ ]; } );\nmaster = { output = [ ]; };\n'


def test_notify_ready_watchdog_and_stuck_engine():
    n = Notify()
    try:
        with JackServer() as js:
            # only the daemon gets the notify socket (jackd speaks it too)
            os.environ["NOTIFY_SOCKET"] = n.path
            os.environ["WATCHDOG_USEC"] = "400000"       # fed every 0.2 s
            d = Daemon(SESSION, js).start()
            try:
                msgs = n.read(1.5)
                assert "READY=1" in msgs, msgs
                pings = msgs.count("WATCHDOG=1")
                assert pings >= 4, "watchdog fed while the engine runs (%d in 1.5 s)" % pings
                os.kill(js.proc.pid, signal.SIGSTOP)   # the audio thread stops
                try:
                    n.read(2.5)                          # it takes 2 s to call it stuck
                    stuck = n.read(1.5).count("WATCHDOG=1")
                    assert stuck == 0, "no watchdog while the engine is stuck (%d)" % stuck
                    assert d.alive()
                finally:
                    os.kill(js.proc.pid, signal.SIGCONT)
                back = n.read(1.5).count("WATCHDOG=1")
                assert back >= 3, "fed again once the engine runs (%d)" % back
                jmtest.note("watchdog: %d pings in 1.5 s running, 0 while stuck, %d after" %
                            (pings, back))
                d.proc.send_signal(signal.SIGTERM)
                assert "STOPPING=1" in n.read(1.0)
                assert d.proc.wait(10) == 0
            finally:
                d.stop()
    finally:
        os.environ.pop("NOTIFY_SOCKET", None)
        os.environ.pop("WATCHDOG_USEC", None)
        n.close()
