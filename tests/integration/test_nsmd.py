"""jmixd under the real New Session Manager server (nsmd 1.5.1, built from
../shared/peers by scripts/build-peers.sh; skipped with the reason where the
peers folder is absent). The harness is the manager's user: it drives nsmd
through its server API (/nsm/server/...) and listens as its GUI
(/nsm/gui/...), which is how the labels, dirty flags and client states are
seen. Two consoles run in one session; each keeps its own OSC port."""
import os
import socket
import subprocess
import time

import pytest

import jmtest
from jmtest import JackServer, OscClient

ROOT = jmtest.ROOT
PEERS = os.environ.get("PEERS") or os.path.join(ROOT, "..", "shared", "peers")
NSMD = os.path.join(ROOT, "build", "peers", "nsmd")


def build_nsmd():
    if not os.path.isfile(os.path.join(PEERS, "new-session-manager", "meson.build")):
        pytest.skip("no %s/new-session-manager (a clone of the project alone)" % PEERS)
    r = subprocess.run(["bash", os.path.join(ROOT, "scripts", "build-peers.sh")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and os.access(NSMD, os.X_OK), r.stdout + r.stderr


class Manager:
    """One UDP socket: the user's commands to nsmd and its GUI's ears."""

    def __init__(self, port, log_path):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.addr = ("127.0.0.1", port)
        self.seen = []          # every (path, args) received, in order
        self.mark = 0           # wait() looks at seen[mark:] and on
        self.log_path = log_path    # nsmd's output and its clients'

    def send(self, path, *args):
        self.sock.sendto(jmtest.osc_message(path, *args), self.addr)

    def pump(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            for m in jmtest.osc_decode(data):
                self.seen.append((m[0], list(m[1])))
            return

    def wait(self, pred, timeout, what):
        """The first message from seen[mark] on that pred(path, args)
        accepts (waiting for more as needed); mark moves past it."""
        end = time.monotonic() + timeout
        start = self.mark
        while True:
            for k in range(start, len(self.seen)):
                if pred(*self.seen[k]):
                    self.mark = k + 1
                    return self.seen[k]
            start = len(self.seen)
            if time.monotonic() >= end:
                raise AssertionError("nsmd: no %s within %.0f s; seen %r\n%s" %
                                     (what, timeout, self.seen[-12:], self.log_tail()))
            self.pump(min(0.2, end - time.monotonic() + 0.01))

    def command(self, path, *args, reply, timeout=90.0):
        self.mark = len(self.seen)
        self.send(path, *args)
        m = self.wait(lambda p, a: (p in ("/reply", "/error") and a and a[0] == path and
                                    (p == "/error" or a[1] == reply)), timeout,
                      "%s %r" % (path, reply))
        assert m[0] == "/reply", m

    def log_tail(self):
        text = jmtest.read_text(self.log_path)
        said = [line for line in text.splitlines()
                if line.startswith("jmixd:") and ("warning" in line or "error" in line
                                                  or "web" in line)]
        return ("the consoles' warnings, errors and web lines:\n" + "\n".join(said) +
                "\nnsmd and consoles said last:\n" + text[-2500:])

    def latest(self, what):
        """{client id: the last value nsmd's GUI heard} for /nsm/gui/client/WHAT."""
        return {a[0]: a[1] for p, a in self.seen
                if p == "/nsm/gui/client/" + what and len(a) == 2}

    def labels(self):
        return self.latest("label")

    def states(self):
        return self.latest("status")

    def dirty(self):
        return self.latest("dirty")


TEMPLATE = """strips = ( { name = "voc"; input = [ ]; } );
master = { output = [ ]; };
osc = { port = %d; };
web = { port = %d; };
"""




def wait_ready(mgr, ids, timeout=30.0):
    """Both consoles answered "opened" (status ready) and labelled their port."""
    def ok():
        st, lb = mgr.states(), mgr.labels()
        return all(st.get(i) == "ready" and lb.get(i, "").startswith("OSC ") for i in ids)
    end = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < end, "consoles not ready: %r %r\n%s" % (
            mgr.states(), mgr.labels(), mgr.log_tail())
        mgr.pump(0.2)
    return {i: int(mgr.labels()[i].split()[1]) for i in ids}


def fader(port):
    with OscClient(port) as c:
        return c.query_value("/strip/voc/fader")


def set_fader(port, v):
    with OscClient(port) as c:
        c.set_and_confirm("/strip/voc/fader", v)


def exits(path):
    if not os.path.exists(path):
        return []
    return [int(x) for x in open(path).read().split()]


def test_nsmd_session_cycle_two_consoles():
    build_nsmd()
    tmp = jmtest.mkdtemp("jmnsmd")
    root = os.path.join(tmp, "sessions")
    os.makedirs(root)
    osc_port = jmtest.free_udp_port()
    web_port = jmtest.free_tcp_port()
    template = os.path.join(tmp, "template.cfg")
    with open(template, "w") as f:
        f.write(TEMPLATE % (osc_port, web_port))
    exit_log = os.path.join(tmp, "exits")
    bindir = os.path.join(tmp, "bin")
    os.makedirs(bindir)
    with JackServer() as js:
        # A user's wrapper, as docs/operations.md says: argv[0] "jmixd" (exec -a)
        # so nsmd knows the console it started. This one runs it in a subshell
        # to write down the console's exit status.
        wrapper = os.path.join(bindir, "jmixd")
        with open(wrapper, "w") as f:
            f.write("#!/bin/bash\n( exec -a jmixd %s --server %s %s )\necho $? >> %s\n"
                    % (jmtest.JMIXD, js.name, template, exit_log))
        os.chmod(wrapper, 0o755)
        env = jmtest.env(js.name)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env["HOME"] = tmp
        env.pop("NSM_URL", None)
        nsm_port = jmtest.free_udp_port()
        log_path = os.path.join(tmp, "nsmd.log")
        log = open(log_path, "wb")
        nsmd = subprocess.Popen([NSMD, "--osc-port", str(nsm_port), "--session-root", root],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        jmtest._track(nsmd)
        mgr = Manager(nsm_port, log_path)
        try:
            time.sleep(0.3)
            mgr.send("/nsm/gui/gui_announce")
            mgr.wait(lambda p, a: p == "/nsm/gui/gui_announce", 10.0, "GUI announce reply")
            mgr.command("/nsm/server/new", "song", reply="Session created")
            mgr.command("/nsm/server/add", "jmixd", reply="Launched.")
            mgr.command("/nsm/server/add", "jmixd", reply="Launched.")
            ids = []
            end = time.monotonic() + 30
            while len(ids) < 2:
                assert time.monotonic() < end, mgr.seen[-10:]
                mgr.pump(0.2)
                ids = sorted({a[0] for p, a in mgr.seen if p == "/nsm/gui/client/new"})
            ports = wait_ready(mgr, ids)
            a, b = ids
            assert ports[a] != ports[b] and osc_port in ports.values(), ports
            jmtest.note("nsmd: two consoles in one session, labels %r" % mgr.labels())
            # each answers on its own port, as its own JACK client (the client id)
            for i in ids:
                assert jmtest.wait_until(
                    lambda i=i: any(p.startswith("jmixd.%s:" % i) for p in jmtest.jack_ports(js.name)),
                    5.0), (i, jmtest.jack_ports(js.name))

            # a change makes a console dirty; the manager's save makes it clean
            set_fader(ports[a], -7.5)
            set_fader(ports[b], -3.0)
            mgr.wait(lambda p, x: p == "/nsm/gui/client/dirty" and x == [a, 1], 5.0, "dirty A")
            mgr.command("/nsm/server/save", reply="Saved.")
            assert mgr.dirty() == {a: 0, b: 0}, "clean before the reply: %r" % mgr.dirty()
            prefix = {i: os.path.join(root, "song", "jmixd.%s" % i) for i in ids}
            text = open(prefix[a] + ".cfg").read()
            assert "fader = -7.5" in text and 'name = "jmixd.%s"' % a in text and \
                "port = %d;" % ports[a] in text and "session manager" in text.splitlines()[0], \
                text[:600]
            assert "port = %d;" % ports[b] in open(prefix[b] + ".cfg").read()

            # a snapshot is a change the next save writes
            with OscClient(ports[a]) as c:
                c.send("/snapshot/save", "verse")
            mgr.wait(lambda p, x: p == "/nsm/gui/client/dirty" and x == [a, 1], 5.0,
                     "dirty after /snapshot/save")
            mgr.command("/nsm/server/save", reply="Saved.")

            # show the optional GUI: the label carries the web page
            mgr.mark = len(mgr.seen)
            mgr.send("/nsm/gui/client/show_optional_gui", a)
            m = mgr.wait(lambda p, x: p == "/nsm/gui/client/label" and x[0] == a and "http://" in x[1],
                         5.0, "label with the page")
            page = int(m[1][1].rsplit(":", 1)[1].strip("/"))
            with socket.create_connection(("127.0.0.1", page), timeout=3) as s:
                s.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n" % page)
                assert s.recv(64).startswith(b"HTTP/1."), "the labelled page answers"
            mgr.wait(lambda p, x: p == "/nsm/gui/client/gui_visible" and x == [a, 1], 5.0,
                     "gui visible")

            # close (saves), open: each console back on its own port, values as saved
            mgr.command("/nsm/server/close", reply="Closed.")
            assert jmtest.wait_until(lambda: len(exits(exit_log)) >= 2, 10.0)
            assert exits(exit_log) == [0, 0], exits(exit_log)
            mgr.seen.clear()
            mgr.mark = 0
            mgr.command("/nsm/server/open", "song", reply="Loaded.")
            again = wait_ready(mgr, ids)
            assert again == ports, (again, ports)
            assert fader(ports[a]) == pytest.approx(-7.5) and fader(ports[b]) == pytest.approx(-3.0)
            with OscClient(ports[a]) as c:
                c.send("/snapshot/list")
                snaps = [m[1][0] for m in c.collect(0.5) if m[0] == "/snapshot"]
                assert "verse" in snaps, snaps

            # abort with an unsaved change: reopening shows the saved value
            set_fader(ports[a], -20.0)
            mgr.wait(lambda p, x: p == "/nsm/gui/client/dirty" and x == [a, 1], 5.0, "dirty")
            # the live state file has the unsaved value
            assert jmtest.wait_until(lambda: "-20" in jmtest.read_text(prefix[a] + ".state"), 5.0)
            mgr.command("/nsm/server/abort", reply="Aborted.")
            mgr.seen.clear()
            mgr.mark = 0
            mgr.command("/nsm/server/open", "song", reply="Loaded.")
            wait_ready(mgr, ids)
            assert fader(ports[a]) == pytest.approx(-7.5), "abort kept an unsaved value"
            assert mgr.dirty().get(a, 0) == 0, mgr.dirty()

            # duplicate: the copy opens with the values saved just before,
            # clean (the copied crash mark is not this client's crash)
            set_fader(ports[b], -9.0)
            mgr.command("/nsm/server/duplicate", "song2", reply="Duplicated.")
            n = len(mgr.seen)
            wait_ready(mgr, ids)
            assert os.path.exists(os.path.join(root, "song2", "jmixd.%s.cfg" % a))
            assert fader(ports[b]) == pytest.approx(-9.0), "duplicate saves first"
            assert fader(ports[a]) == pytest.approx(-7.5)
            mgr.pump(1.0)
            assert not [x for p, x in mgr.seen[n:] if p == "/nsm/gui/client/dirty" and x[1]], \
                mgr.seen[n:]

            # quit: both consoles exit 0
            n0 = len(exits(exit_log))
            mgr.send("/nsm/server/quit")
            assert nsmd.wait(90) == 0
            assert jmtest.wait_until(lambda: len(exits(exit_log)) >= n0 + 2, 10.0)
            assert all(x == 0 for x in exits(exit_log)), exits(exit_log)
            jmtest.note("nsmd: new, add x2, save, close, open, abort, duplicate, quit: exits %r"
                        % exits(exit_log))
        finally:
            if nsmd.poll() is None:
                nsmd.kill()
            log.close()
