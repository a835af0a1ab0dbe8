"""Zeroconf (docs/cli.md, issue 7): with an Avahi daemon, jmixd announces
`_osc._udp` with its name (the JACK client name) and OSC port, so
`avahi-browse -rpt _osc._udp` lists it; it re-announces after the Avahi
daemon restarts and withdraws on exit. Without Avahi the console still
starts. When no Avahi daemon can be run here (not installed, no root to
start one, no D-Bus), the Avahi tests are reported skipped with the reason.

An Avahi daemon (and a system D-Bus, if none runs) started by this module
runs in the foreground as a child and is stopped by teardown."""
import os
import re
import shutil
import socket
import subprocess
import time
import types

import pytest

import jmtest
from jmtest import Daemon

SESSION = """
osc = { meter_rate = 5.0; };
strips = ( { name = "kick"; input = [ ]; } );
master = { output = [ ]; };
"""
BUS_SOCKET = "/run/dbus/system_bus_socket"

def avahi_running():
    try:
        return subprocess.call(["avahi-daemon", "-c"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=5) == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def bus_alive():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.connect(BUS_SOCKET)
        return True
    except OSError:
        return False
    finally:
        s.close()


def tail(path, n=6):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(f.read().strip().splitlines()[-n:])
    except OSError:
        return ""


@pytest.fixture(scope="module")
def zc(module_jack):
    """A JACK server and, where Avahi can run here, an Avahi daemon:
    zc.avahi and zc.dbus are the daemons this module started (None when it
    found them running); zc.no_avahi says why Avahi cannot run (None: it runs)."""
    zc = types.SimpleNamespace(js=module_jack, avahi=None, dbus=None,
                               logdir=jmtest.mkdtemp("jmtzc"))
    zc.no_avahi = start_avahi(zc)
    jmtest.note("avahi: %s" % (zc.no_avahi or ("started here" if zc.avahi
                                               else "already running")))
    yield zc
    stop(zc.avahi)
    stop(zc.dbus)
    if zc.dbus is not None and not bus_alive() and os.path.exists(BUS_SOCKET):
        os.unlink(BUS_SOCKET)


def start_avahi(zc):
    """Start avahi-daemon (and a system bus) if needed; returns None, or the
    reason Avahi cannot run in this environment."""
    for tool in ("avahi-daemon", "avahi-browse"):
        if not shutil.which(tool):
            return "%s is not installed (scripts/deps.sh installs avahi-daemon, avahi-utils)" % tool
    if avahi_running():
        return None
    if os.geteuid() != 0:
        return "no avahi-daemon is running and starting one needs root"
    if not bus_alive():
        if not shutil.which("dbus-daemon"):
            return "no system D-Bus and dbus-daemon is not installed"
        if os.path.exists(BUS_SOCKET):
            os.unlink(BUS_SOCKET)       # stale: nothing accepts on it
        os.makedirs(os.path.dirname(BUS_SOCKET), exist_ok=True)
        log = os.path.join(zc.logdir, "dbus.log")
        with open(log, "wb") as f:
            zc.dbus = jmtest._track(subprocess.Popen(
                ["dbus-daemon", "--system", "--nofork", "--nopidfile", "--nosyslog"],
                stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        if not jmtest.wait_until(lambda: zc.dbus.poll() is not None or bus_alive(), 5):
            return "the system D-Bus did not come up: %s" % tail(log)
        if zc.dbus.poll() is not None:
            return "dbus-daemon --system exited with %s: %s" % (zc.dbus.returncode, tail(log))
    return launch_avahi(zc)


def launch_avahi(zc):
    log = os.path.join(zc.logdir, "avahi.log")
    with open(log, "ab") as f:
        zc.avahi = jmtest._track(subprocess.Popen(
            ["avahi-daemon", "--no-drop-root", "--no-chroot", "--no-rlimits"],
            stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    if not jmtest.wait_until(lambda: zc.avahi.poll() is not None or avahi_running(), 8):
        return "avahi-daemon did not start: %s" % tail(log)
    if zc.avahi.poll() is not None:
        return "avahi-daemon exited with %s: %s" % (zc.avahi.returncode, tail(log))
    # wait for "Server startup complete" so that browsing answers at once
    jmtest.wait_until(lambda: "startup complete" in tail(log, 50), 5)
    return None


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def unescape(s):
    """avahi-browse -p writes special characters as \\DDD (decimal)."""
    return re.sub(r"\\([0-9]{3})", lambda m: chr(int(m.group(1))), s)


def browse():
    """[(interface, protocol, name, host, address, port)] of resolved _osc._udp services."""
    try:
        r = subprocess.run(["avahi-browse", "-rpt", "_osc._udp"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return []
    out = []
    for line in r.stdout.splitlines():
        f = line.split(";")
        if f[0] == "=" and len(f) >= 9:
            out.append((f[1], f[2], unescape(f[3]), f[6], f[7], int(f[8])))
    return out


def find(name, port, timeout=10.0):
    """The resolved entries with this name and port (waits for them)."""
    def look():
        hits = [e for e in browse() if e[5] == port and e[2] == name]
        return hits or None
    return jmtest.wait_until(look, timeout, interval=0.5) or []


def find_port(port):
    return [e for e in browse() if e[5] == port]


@pytest.mark.timeout(90)
def test_daemon_announces_osc_udp_with_name_and_port(zc):
    if zc.no_avahi:
        pytest.skip(zc.no_avahi)
    name = jmtest.unique_name("jmzc")
    with Daemon(SESSION, zc.js, name=name) as d:
        hits = find(name, d.osc_port)
        if not hits:
            mine = [e for e in browse() if e[5] == d.osc_port or e[2] == name]
            raise AssertionError(
                "avahi-browse does not list _osc._udp \"%s\" on port %d (listed for this "
                "daemon: %r; is jm_zeroconf_start wired into main.c?)" % (name, d.osc_port, mine))
        jmtest.note("announced: %r" % (hits,))
        assert d.alive()
    # withdrawn on exit
    assert jmtest.wait_until(lambda: not find_port(d.osc_port), 10, interval=0.5), \
        "still announced after the daemon stopped: %r" % find_port(d.osc_port)




@pytest.mark.timeout(120)
def test_reannounces_after_avahi_restart(zc):
    if zc.no_avahi:
        pytest.skip(zc.no_avahi)
    if zc.avahi is None:
        pytest.skip("the running avahi-daemon was not started by this test; not restarting it")
    name = jmtest.unique_name("jmzc")
    with Daemon(SESSION, zc.js, name=name) as d:
        assert find(name, d.osc_port), "not announced at start"
        stop(zc.avahi)
        why = launch_avahi(zc)
        assert why is None, why
        assert find(name, d.osc_port, 15), \
            "not announced again after the Avahi daemon restarted"
        assert d.alive()
        with d.client() as c:
            c.send("/info")
            assert c.wait_for("/info", 2.0), "daemon stopped answering after the restart"




def test_daemon_starts_without_avahi(zc):
    """Runs last: stops the Avahi daemon this module started (if any)."""
    if zc.avahi is not None:
        stop(zc.avahi)
    elif not zc.no_avahi:
        pytest.skip("an avahi-daemon not started by this test is running; cannot test without one")
    with Daemon(SESSION, zc.js, name=jmtest.unique_name("jmzc")) as d:
        with d.client() as c:
            c.send("/info")
            assert c.wait_for("/info", 2.0), "no /info reply"
        time.sleep(0.3)
        lines = [l for l in d.stderr_text().splitlines() if "zeroconf" in l]
        jmtest.note("zeroconf log: %r" % lines)
        assert len(lines) <= 1, "more than one zeroconf line without Avahi: %r" % lines
        assert d.alive()
