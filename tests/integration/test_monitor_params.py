"""The monitor side's parameters (issue: personal monitor mixes) are console
parameters like any other: every row of --list-params for a session with
aux buses, talkback, a monitor section and PFL is in the OSCQuery
namespace with its value, is stored in the state file, and survives a
restart; and `jmixd render` runs such a session with a master that is
sample-identical to the same mix without the monitor side (aux buses,
talkback and PFL never reach the master)."""
import os
import re
import types

import pytest

import jmtest
import test_render
import test_web
from jmtest import Daemon, JackServer
from test_web import http_get

NAME = "jmmonp"
SESSION = """
jack = { name = "%s"; };
strips = (
  { name = "kick"; input = [ ]; },
  { name = "keys"; channels = 2; input = [ ]; }
);
buses = ( { name = "drums"; type = "aux"; channels = 2; output = [ ]; },
          { name = "wedge"; type = "aux"; channels = 1; output = [ ]; },
          { name = "verb"; type = "reverb"; } );
talkback = { input = [ ]; buses = [ "drums" ]; };
monitor = { output = [ ]; };
master = { output = [ ]; };
web = { port = %d; };
"""

# new rows of the monitor side, set to values other than their defaults
CHANGES = (("/strip/1/send/drums/level", -7.5), ("/strip/1/send/drums/on", 0),
           ("/strip/1/send/drums/pan", -0.25), ("/strip/1/send/drums/link", 1),
           ("/strip/2/send/wedge/pre", 0), ("/bus/verb/send/drums/level", -12.0),
           ("/bus/drums/limiter/ceiling", -9.0), ("/bus/drums/eq/2/gain", 4.5),
           ("/bus/wedge/pfl", 1), ("/strip/2/pfl", 1), ("/monitor/afl", 1),
           ("/talkback/dim", -12.0), ("/talkback/level", -3.0))


def list_params(session_path):
    r = jmtest.run_jmixd("--list-params", session_path)
    assert r.returncode == 0, r.stderr
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def all_nodes(node, out):
    out[node["FULL_PATH"]] = node
    for child in node.get("CONTENTS", {}).values():
        all_nodes(child, out)
    return out


def test_monitor_params_in_oscquery_state_and_restart():
    d0 = jmtest.mkdtemp()
    state = os.path.join(d0, "state.cfg")
    with JackServer() as js:
        port = jmtest.free_tcp_port()
        dm = Daemon(SESSION % (NAME, port), js, name=NAME, state=state).start()
        try:
            paths = list_params(dm.session_path)
            for p, _ in CHANGES:
                assert p.replace("drums", "1").replace("wedge", "2").replace("verb", "3") in paths \
                    or p in paths, "%s is not in --list-params" % p
            with dm.client() as c:
                for p, v in CHANGES:
                    c.set_and_confirm(p, v)
            ns = types.SimpleNamespace(js=js, d=dm, port=port)
            assert jmtest.wait_until(lambda: test_web.http_ok(ns, "/?HOST_INFO"), 10)
            status, _, body = http_get(ns, "/")
            assert status == 200
            import json
            nodes = all_nodes(json.loads(body), {})
            missing = [p for p in paths if p not in nodes]
            assert not missing, "OSCQuery lacks %d parameters, e.g. %r" % (len(missing), missing[:5])
            with dm.client() as c:
                for p, v in CHANGES:
                    q = c.query(p)
                    # the index node carries the same value as the query
                    idx = [k for k in paths if k == p] or None
                    if idx:
                        assert abs(nodes[p]["VALUE"][0] - q[0]) < 1e-4, (p, nodes[p]["VALUE"], q)
            jmtest.note("%d parameters, all in OSCQuery" % len(paths))
        finally:
            dm.stop()
        text = open(state).read()
        # the state file keeps every value that differs from the session
        for key in ("pfl", "afl", "link", "ceiling", "dim"):
            assert re.search(r"\b%s\b" % key, text), "no %r in the state file:\n%s" % (key, text[:2000])
        dm = Daemon(SESSION % (NAME, port), js, name=NAME, state=state).start()
        try:
            with dm.client() as c:
                for p, v in CHANGES:
                    q = c.query(p)
                    assert q and abs(q[0] - v) < 1e-4, "%s after a restart: %r, want %r" % (p, q, v)
        finally:
            dm.stop()


RENDER_EXTRA = """
talkback = { buses = [ "mon" ]; on = true; };
monitor = { afl = true; };
"""


@pytest.mark.timeout(180)
def test_render_runs_the_monitor_side_and_the_master_is_untouched():
    d = jmtest.mkdtemp()
    session, n, _ = test_render.make_mix(d, seconds=1.0)
    plain = open(session).read()
    # the same mix with an aux bus fed by both strips (pre and post), the
    # reverb's return into it, talkback into it and a strip on PFL
    text = plain.replace(
        'buses = ( { name = "verb"; type = "reverb"; }, { name = "echo"; type = "delay"; } );',
        'buses = ( { name = "verb"; type = "reverb"; send = { mon = { level = -6.0; }; }; },\n'
        '          { name = "echo"; type = "delay"; },\n'
        '          { name = "mon"; type = "aux"; channels = 2; } );')
    assert text != plain, "test bug: the bus list was not found"
    text = text.replace('send = { verb = { level = -10.0; };',
                        'pfl = true; send = { mon = { level = 0.0; pan = -0.5; }; verb = { level = -10.0; };', 1)
    text = text.replace('send = { verb = { level = -18.0; pre = true; }; };',
                        'send = { mon = { level = -3.0; pre = false; }; verb = { level = -18.0; pre = true; }; };', 1)
    text += RENDER_EXTRA
    with_aux = test_render.write(d, "aux.cfg", text)
    r = jmtest.run_jmixd("--check", with_aux)
    assert r.returncode == 0, "the aux session is invalid: %s" % r.stderr
    a, b = os.path.join(d, "plain.wav"), os.path.join(d, "aux.wav")
    test_render.render_ok(session, "-o", a)
    test_render.render_ok(with_aux, "-o", b)
    wa, wb = test_render.read_wav(a), test_render.read_wav(b)
    assert wa["frames"] == wb["frames"], (wa["frames"], wb["frames"])
    peak = max(abs(v) for v in wa["data"][0])
    diff = max(test_render.max_diff(wa["data"][ch], wb["data"][ch], wa["frames"]) for ch in range(2))
    jmtest.note("render with an aux bus, talkback and PFL: %d frames, master peak %.3f, "
                "max |difference| %.3g" % (wa["frames"], peak, diff))
    assert peak > 0.05, "test bug: the mix is silent"
    assert diff == 0.0, "the monitor side changed the master by %.3g" % diff
