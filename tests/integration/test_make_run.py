"""`make run` shows a console at work (issue 21): scripts/run.sh, with no
JACK server running, starts a dummy one and the example console playing
the demo take (build/jmixd-demo-stems: kick, snare, bass, keys,
synthesised) through its strips. Within 5 s every strip's meter is above
-60 dBFS and the web page answers. Ctrl-C (SIGINT to the script) stops the
console and the server it started.

The example session listens on fixed ports (OSC 8000, web 8080, X32 10023):
the test is skipped when one of them is taken on this machine."""
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

import jmtest
from jmtest import OscClient

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def taken(kind, port):
    s = socket.socket(socket.AF_INET, kind)
    if kind == socket.SOCK_STREAM:      # as a server binds: a closed connection's TIME_WAIT is no owner
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("0.0.0.0", port))
        return False
    except OSError:
        return True
    finally:
        s.close()


@pytest.mark.timeout(90)
def test_make_run_plays_the_demo():
    for kind, port in ((socket.SOCK_DGRAM, 8000), (socket.SOCK_STREAM, 8080),
                       (socket.SOCK_DGRAM, 10023)):
        if taken(kind, port):
            pytest.skip("port %d is taken on this machine" % port)
    assert os.access(os.path.join(ROOT, "build", "jmixd-demo-stems"), os.X_OK), \
        "build/jmixd-demo-stems is not built"
    server = jmtest.unique_name("jmtrun")
    env = dict(jmtest.env(), JACK_DEFAULT_SERVER=server)
    env.pop("JMIXD_DEMO", None)
    env.pop("JACK_DRIVER", None)
    p = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    out = ""
    try:
        with OscClient(8000) as c:
            t0 = time.monotonic()
            def answers():
                try:
                    return c.query("/info", timeout=0.5) is not None
                except TimeoutError:
                    return False
            assert jmtest.wait_until(answers, 20.0), "the console did not answer on OSC port 8000"
            c.send("/subscribe")
            time.sleep(max(0.0, 5.0 - (time.monotonic() - t0)))   # 5 s after start
            c.drain(0)
            msgs = c.collect(1.0, tagged=True)
            req = urllib.request.Request("http://127.0.0.1:8080/", headers={"Accept": "text/html"})
            with urllib.request.urlopen(req, timeout=5) as r:
                page = r.read().decode(errors="replace")
                status = r.status
        peaks = {}
        for i in range(1, 5):
            v = [m[1][0] for m in msgs if m[0] == "/meter/strip/%d" % i]
            assert v, "no /meter/strip/%d" % i
            peaks[i] = max(v)
        master = [m[1][0] for m in msgs if m[0] == "/meter/master"]
        jmtest.note("make run: strip peaks %s dBFS, master %.1f dBFS, page %d (%d bytes)" % (
            {k: round(v, 1) for k, v in peaks.items()}, max(master) if master else -999,
            status, len(page)))
        assert all(v > -60.0 for v in peaks.values()), peaks
        assert master and max(master) > -60.0, master[:3]
        assert status == 200 and "<html" in page.lower(), page[:200]
    finally:
        try:
            os.killpg(p.pid, signal.SIGINT)
            out = p.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out = p.communicate()[0]
    assert "playing the demo take" in out, out
    assert "web surface  http://localhost:8080/" in out, out
    # the server the script started is gone with it
    r = subprocess.run(["jack_wait", "-s", server, "-c"], env=dict(env, JACK_NO_START_SERVER="1"),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=10)
    assert r.stdout.strip() != "running", "the JACK server '%s' outlived make run" % server
