"""Non Session Manager support against a scripted NSM server (no NSM
server is packaged here): announce, open into the manager's path with the
client id as JACK name, dirty flag, save, and quit by SIGTERM."""
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
    """An NSM_URL nobody answers: the daemon gives up with one line, exit 2."""
    nsm = NsmServer()
    env = jmtest.env(None)
    env["NSM_URL"] = nsm.url
    proc = subprocess.Popen([jmtest.JMIXD], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert nsm.wait("/nsm/server/announce", 5.0) is not None
    nsm.send("/error", "/nsm/server/announce", -1, "no")
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 2 and b"refused" in err, (proc.returncode, err)
