"""Non Session Manager support against a scripted NSM server, for what the
real one (test_nsmd.py) cannot be made to do: announce, open into the
manager's path with the client id as JACK name, dirty flag, save, quit by
SIGTERM; "opened" only once JACK runs; failures after the open reported;
an unreachable or refusing manager; crash recovery."""
import os
import signal
import socket
import subprocess
import time

import jmtest
from jmtest import JackServer, OscClient

ROOT = jmtest.ROOT
TEMPLATE = """strips = ( { name = "voc"; input = [ ]; } );
master = { output = [ ]; };
"""


class NsmServer:
    """Just enough of an NSM server: one UDP socket, OSC by the harness."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = "osc.udp://127.0.0.1:%d/" % self.sock.getsockname()[1]
        self.client = None

    def recv(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            self.client = addr
            path, args = jmtest.osc_decode(data)[0][:2]
            return path, args
        return None

    def wait(self, path, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self.recv(end - time.monotonic())
            if m and m[0] == path:
                return m[1]
        return None

    def send(self, path, *args):
        self.sock.sendto(jmtest.osc_message(path, *args), self.client)


def test_nsm_announce_open_dirty_save():
    tmp = jmtest.mkdtemp("jmnsm")
    template = os.path.join(tmp, "template.cfg")
    with open(template, "w") as f:
        f.write(TEMPLATE)
    prefix = os.path.join(tmp, "session", "jmixd.nABCD")
    os.makedirs(os.path.dirname(prefix))
    nsm = NsmServer()
    osc_port = jmtest.free_udp_port()
    with JackServer() as js:
        env = jmtest.env(js.name)
        env["NSM_URL"] = nsm.url
        errf = open(os.path.join(tmp, "stderr.log"), "wb")
        proc = subprocess.Popen([jmtest.JMIXD, "--server", js.name, "--osc-port", str(osc_port),
                                 template], env=env, stderr=errf, stdout=subprocess.DEVNULL)
        try:
            ann = nsm.wait("/nsm/server/announce")
            assert ann and ann[0] == "jmixd" and ":dirty:" in ann[1] and ann[3:5] == [1, 1] \
                and ann[5] == proc.pid, ann
            nsm.send("/reply", "/nsm/server/announce", "hi", "test-nsm", "")
            nsm.send("/nsm/client/open", prefix, "jmixd", "jmixd.nABCD")
            rep = nsm.wait("/reply", 10.0)
            assert rep == ["/nsm/client/open", "opened"], rep
            assert os.path.exists(prefix + ".cfg"), "the session was created from the template"
            assert jmtest.wait_until(lambda: "jmixd.nABCD:voc" in jmtest.jack_ports(js.name), 5.0), \
                "JACK client named by the client id"
            with OscClient(osc_port) as c:
                c.send("/strip/voc/fader", -7.5)
                assert nsm.wait("/nsm/client/is_dirty", 3.0) is not None, "dirty after a change"
                nsm.send("/nsm/client/save")
                got = {}
                end = time.monotonic() + 3.0
                while len(got) < 2 and time.monotonic() < end:
                    m = nsm.recv(end - time.monotonic())
                    if m:
                        got[m[0]] = m[1]
                assert got.get("/reply") == ["/nsm/client/save", "saved"], got
                assert "/nsm/client/is_clean" in got, got
                r = subprocess.run([jmtest.JMIXD, "--list-params", prefix + ".cfg"],
                                   capture_output=True, text=True)
                assert r.returncode == 0, r.stderr
                text = open(prefix + ".cfg").read()
                assert "fader = -7.5" in text, text[:400]
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0
            assert os.path.exists(prefix + ".state"), "state kept beside the session"
            jmtest.note("NSM: announce %r; open, dirty, save, clean, quit all answered" % (ann,))
        finally:
            if proc.poll() is None:
                proc.kill()
            errf.close()


def test_nsm_without_manager_reply_fails_cleanly():
    """A manager that refuses the announce, and no session file to run
    without it: one line, exit 2."""
    nsm = NsmServer()
    env = jmtest.env(None)
    env["NSM_URL"] = nsm.url
    proc = subprocess.Popen([jmtest.JMIXD], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert nsm.wait("/nsm/server/announce", 5.0) is not None
    nsm.send("/error", "/nsm/server/announce", -1, "no")
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 2 and b"refused" in err, (proc.returncode, err)


def start_managed(nsm, tmp, server, osc_port, prefix, args=(), jack_wait=None):
    """A console announced to the scripted manager and opened at prefix."""
    env = jmtest.env(server)
    env["NSM_URL"] = nsm.url
    if jack_wait:
        env["JMIXD_NSM_JACK_WAIT"] = str(jack_wait)
    errf = open(os.path.join(tmp, "stderr-%d.log" % time.monotonic_ns()), "wb")
    proc = subprocess.Popen([jmtest.JMIXD, "--osc-port", str(osc_port)] + list(args),
                            env=env, stderr=errf, stdout=subprocess.DEVNULL)
    jmtest._track(proc)
    proc.errpath = errf.name
    errf.close()
    assert nsm.wait("/nsm/server/announce") is not None
    nsm.send("/reply", "/nsm/server/announce", "hi", "test-nsm", ":optional-gui:")
    nsm.send("/nsm/client/open", prefix, "jmixd", os.path.basename(prefix))
    return proc


def test_nsm_opened_only_once_jack_runs():
    """"opened" waits for the JACK client; without JACK the manager hears
    why after JMIXD_NSM_JACK_WAIT s (10 unless set; 2 here), and "opened"
    follows when the server comes."""
    tmp = jmtest.mkdtemp("jmnsm")
    template = os.path.join(tmp, "template.cfg")
    with open(template, "w") as f:
        f.write(TEMPLATE)
    prefix = os.path.join(tmp, "jmixd.nJACK")
    nsm = NsmServer()
    js = JackServer()
    proc = start_managed(nsm, tmp, js.name, jmtest.free_udp_port(), prefix, [template],
                         jack_wait=2)
    try:
        t0 = time.monotonic()
        err = nsm.wait("/error", 10.0)
        assert err and err[0] == "/nsm/client/open" and "after 2 s" in err[2], err
        assert time.monotonic() - t0 >= 1.5, "the error came before the wait"
        js.start()
        rep = nsm.wait("/reply", 10.0)
        assert rep == ["/nsm/client/open", "opened"], rep
        assert "jmixd.nJACK:voc" in jmtest.jack_ports(js.name)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert not os.path.exists(prefix + ".running"), "a clean stop leaves no crash mark"
    finally:
        if proc.poll() is None:
            proc.kill()
        js.stop()


def test_nsm_failure_after_open_is_reported():
    """A console that cannot run after the open tells the manager with
    /error and leaves no session file it made."""
    tmp = jmtest.mkdtemp("jmnsm")
    template = os.path.join(tmp, "template.cfg")
    with open(template, "w") as f:
        f.write(TEMPLATE.replace("master", 'osc = { bind = "192.0.2.1"; };\nmaster'))
    prefix = os.path.join(tmp, "jmixd.nFAIL")
    nsm = NsmServer()
    proc = start_managed(nsm, tmp, None, jmtest.free_udp_port(), prefix, [template])
    err = nsm.wait("/error", 10.0)
    assert err and err[0] == "/nsm/client/open" and err[1] == -1 and "192.0.2.1" in err[2], err
    assert proc.wait(10) == 2
    assert not os.path.exists(prefix + ".cfg"), "the session made for the open is removed"


def test_nsm_unreachable_manager_carries_on():
    """NSM_URL names a port nobody listens on: with a session file the
    console runs unmanaged (one warning); without one it exits 2 at once."""
    tmp = jmtest.mkdtemp("jmnsm")
    session = os.path.join(tmp, "s.cfg")
    with open(session, "w") as f:
        f.write(TEMPLATE)
    dead = "osc.udp://127.0.0.1:%d/" % jmtest.free_udp_port()
    env = jmtest.env(None)
    env["NSM_URL"] = dead
    t0 = time.monotonic()
    r = subprocess.run([jmtest.JMIXD], env=env, capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "no session manager listens" in r.stderr, r.stderr
    assert time.monotonic() - t0 < 5.0, "nothing listening is known at once"
    osc_port = jmtest.free_udp_port()
    with JackServer() as js:
        env = jmtest.env(js.name)
        env["NSM_URL"] = dead
        proc = subprocess.Popen([jmtest.JMIXD, "--osc-port", str(osc_port), session], env=env,
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        jmtest._track(proc)
        try:
            with OscClient(osc_port) as c:
                def answers():
                    try:
                        return c.query("/strip/voc/fader", 0.3) is not None
                    except TimeoutError:
                        return proc.poll() is not None
                assert jmtest.wait_until(answers, 10.0)
                assert proc.poll() is None, "unmanaged, it runs"
                c.set_and_confirm("/strip/voc/fader", -4.0)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        warn = [line for line in err.decode().splitlines() if "without a session manager" in line]
        assert len(warn) == 1, err.decode()


def test_nsm_crash_leaves_a_recovered_snapshot():
    """A console killed with unsaved changes reopens as the manager saved it;
    the lost values are offered as the snapshot "recovered"."""
    tmp = jmtest.mkdtemp("jmnsm")
    template = os.path.join(tmp, "template.cfg")
    with open(template, "w") as f:
        f.write(TEMPLATE)
    prefix = os.path.join(tmp, "jmixd.nCRSH")
    osc_port = jmtest.free_udp_port()
    with JackServer() as js:
        nsm = NsmServer()
        proc = start_managed(nsm, tmp, js.name, osc_port, prefix, [template])
        assert nsm.wait("/reply", 10.0) == ["/nsm/client/open", "opened"]
        with OscClient(osc_port) as c:
            c.set_and_confirm("/strip/voc/fader", -6.0)
            nsm.send("/nsm/client/save")
            assert nsm.wait("/reply", 5.0) == ["/nsm/client/save", "saved"]
            c.set_and_confirm("/strip/voc/fader", -12.0)
            assert jmtest.wait_until(lambda: "-12" in jmtest.read_text(prefix + ".state"), 5.0)
        proc.kill()
        proc.wait(5)
        assert os.path.exists(prefix + ".running")
        nsm = NsmServer()
        proc = start_managed(nsm, tmp, js.name, osc_port, prefix, [template])
        try:
            assert nsm.wait("/reply", 10.0) == ["/nsm/client/open", "opened"]
            assert nsm.wait("/nsm/client/is_dirty", 3.0) is not None, "the new snapshot is unsaved"
            with OscClient(osc_port) as c:
                assert c.query_value("/strip/voc/fader") == -6.0, "the manager's save is the truth"
                c.send("/snapshot/recall", "recovered")
                assert jmtest.wait_until(
                    lambda: abs(c.query_value("/strip/voc/fader") + 12.0) < 1e-4, 5.0)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)


def thread_ticks(pid, name):
    """CPU clock ticks (user + system) of the thread called name."""
    for t in os.listdir("/proc/%d/task" % pid):
        st = jmtest.read_text("/proc/%d/task/%s/stat" % (pid, t))
        if st and st[st.index("(") + 1:st.rindex(")")] == name:
            f = st[st.rindex(")") + 2:].split()
            return int(f[11]) + int(f[12])
    return None


def test_nsm_manager_gone_console_idles():
    """The manager vanishes (its port closed): the console runs on, and its
    OSC thread still sleeps between datagrams (the kernel's "port
    unreachable" on the manager's socket is read, not left to wake poll
    again and again: before, the thread spun at 100 % of a core)."""
    tmp = jmtest.mkdtemp("jmnsm")
    template = os.path.join(tmp, "template.cfg")
    with open(template, "w") as f:
        f.write(TEMPLATE)
    osc_port = jmtest.free_udp_port()
    with JackServer() as js:
        nsm = NsmServer()
        proc = start_managed(nsm, tmp, js.name, osc_port, os.path.join(tmp, "jmixd.nGONE"),
                             [template])
        try:
            assert nsm.wait("/reply", 10.0) == ["/nsm/client/open", "opened"]
            nsm.sock.close()
            with OscClient(osc_port) as c:
                c.set_and_confirm("/strip/voc/fader", -3.0)  # is_dirty to a closed port
                time.sleep(0.3)
                c.set_and_confirm("/strip/voc/fader", -4.0)
            a = thread_ticks(proc.pid, "jm-osc")
            time.sleep(2.0)
            b = thread_ticks(proc.pid, "jm-osc")
            hz = os.sysconf("SC_CLK_TCK")
            jmtest.note("manager gone: jm-osc used %d ticks of %d in 2 s" % (b - a, 2 * hz))
            assert b - a < hz // 2, "the OSC thread spins: %d ticks in 2 s" % (b - a)
            with OscClient(osc_port) as c:
                assert c.query_value("/strip/voc/fader") == -4.0
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0


def test_nsm_url_with_an_unresolvable_own_host_name():
    """nsmd's NSM_URL carries this machine's name, which a container or a
    minimal root may not resolve (no /etc/hosts line): a name whose first
    label is this host's is taken as loopback (here HOST.invalid, which never
    resolves)."""
    tmp = jmtest.mkdtemp("jmnsm")
    template = os.path.join(tmp, "template.cfg")
    with open(template, "w") as f:
        f.write(TEMPLATE)
    nsm = NsmServer()
    nsm.url = "osc.udp://%s.invalid:%d/" % (socket.gethostname().split(".")[0],
                                            nsm.sock.getsockname()[1])
    with JackServer() as js:
        proc = start_managed(nsm, tmp, js.name, jmtest.free_udp_port(),
                             os.path.join(tmp, "jmixd.nHOST"), [template])
        try:
            assert nsm.wait("/reply", 10.0) == ["/nsm/client/open", "opened"]
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0
