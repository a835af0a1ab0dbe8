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


# --------------------------------------------------------------------------
# issue 14: the shipped unit's sandbox

EXPOSURE_MAX = 2.5
SANDBOX = ["UMask=0027", "CapabilityBoundingSet=", "SystemCallFilter=@system-service",
           "MemoryDenyWriteExecute=yes", "RestrictNamespaces=yes", "ProtectProc=invisible",
           "ProcSubset=pid", "DevicePolicy=closed", "IPAddressDeny=any", "RestrictRealtime=no",
           "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes"]
# what would cut the daemon off from the JACK server (/dev/shm shared)
NOT_THERE = ["PrivateDevices=yes", "PrivateIPC=yes", "PrivateUsers=yes", "RemoveIPC=yes"]


def _unit_lines(path):
    return [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]


def test_unit_exposure_and_sandbox():
    unit = os.path.join(UNITS, "jmixd.service")
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", unit],
                       capture_output=True, text=True)
    line = [l for l in r.stdout.splitlines() if "Overall exposure level" in l]
    assert line, r.stdout[-500:] + r.stderr
    score = float(line[0].split(":")[1].split()[0])
    lines = _unit_lines(unit)
    missing = [d for d in SANDBOX if d not in lines]
    present = [d for d in NOT_THERE if d in lines]
    allow = [l for l in lines if l.startswith("IPAddressAllow=")]
    jmtest.note("systemd-analyze security --offline: %s; %d sandbox directives checked" % (
        line[0].split(":", 1)[1].strip(), len(SANDBOX)))
    assert score <= EXPOSURE_MAX, "exposure %.1f > %.1f" % (score, EXPOSURE_MAX)
    assert not missing, missing
    assert not present, "these would cut jmixd off from JACK's /dev/shm: %r" % present
    # the IP allow list is the default osc.allow
    assert allow == ["IPAddressAllow=localhost 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16"], allow
    # the session is a copy in the state folder (writable: /session/save), seeded from /etc
    start = [l for l in lines if l.startswith("ExecStart=")][0]
    assert start.endswith(" /var/lib/jmixd/jmixd.cfg") and "--state /var/lib/jmixd/" in start
    pre = [l for l in lines if l.startswith("ExecStartPre=")]
    assert pre and "/etc/jmixd/jmixd.cfg" in pre[0] and "test -e /var/lib/jmixd/jmixd.cfg" in pre[0]


def test_unit_seed_command_copies_once():
    """The ExecStartPre line, run by sh on stand-in folders: copies the
    session when absent, leaves an edited copy alone."""
    unit = os.path.join(UNITS, "jmixd.service")
    pre = [l for l in _unit_lines(unit) if l.startswith("ExecStartPre=")][0]
    cmd = pre.split("-c ", 1)[1].strip().strip("'")
    tmp = jmtest.mkdtemp("jmseed")
    etc, var = os.path.join(tmp, "etc"), os.path.join(tmp, "var")
    os.makedirs(etc)
    os.makedirs(var)
    cmd = cmd.replace("/etc/jmixd", etc).replace("/var/lib/jmixd", var)
    with open(os.path.join(etc, "jmixd.cfg"), "w") as f:
        f.write("strips = ( );\n")
    assert subprocess.run(["/bin/sh", "-c", cmd]).returncode == 0
    assert open(os.path.join(var, "jmixd.cfg")).read() == "strips = ( );\n"
    with open(os.path.join(var, "jmixd.cfg"), "w") as f:
        f.write("# edited\nstrips = ( );\n")
    assert subprocess.run(["/bin/sh", "-c", cmd]).returncode == 0
    assert open(os.path.join(var, "jmixd.cfg")).read().startswith("# edited")


def _systemd_is_pid1():
    try:
        return os.path.basename(os.readlink("/proc/1/exe")) == "systemd"
    except OSError:
        return False


def test_daemon_starts_under_the_sandbox():
    """Where systemd runs as PID 1: the binary, under the unit's sandbox
    properties (systemd-run), reads and checks the shipped session. Else
    (containers, CI) the directives are what test_unit_exposure_and_sandbox
    checked, and this says so."""
    if not _systemd_is_pid1() or not shutil.which("systemd-run"):
        jmtest.note("systemd is not PID 1 here: the sandbox is checked by its directives only")
        return
    unit = os.path.join(UNITS, "jmixd.service")
    skip = ("Type=", "NotifyAccess=", "WatchdogSec=", "User=", "Group=", "ExecStart", "ExecReload",
            "Restart", "TimeoutStopSec=", "StateDirectory", "ReadWritePaths=", "WorkingDirectory=",
            "Description=", "After=", "Wants=", "WantedBy=", "[")
    props = [l for l in _unit_lines(unit) if not l.startswith(skip)]
    cmd = ["systemd-run", "--wait", "--pipe", "--collect", "--quiet"]
    for p in props:
        cmd += ["-p", p]
    cfg = os.path.join(ROOT, "config", "jmixd.cfg")
    r = subprocess.run(cmd + [jmtest.JMIXD, "--check", cfg], capture_output=True, text=True,
                       timeout=60)
    jmtest.note("systemd-run with %d sandbox properties: exit %d" % (len(props), r.returncode))
    assert r.returncode == 0, r.stdout + r.stderr
