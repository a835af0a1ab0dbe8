"""OSCQuery as real clients read it (docs/osc.md "Web surface and OSCQuery",
issue 15), on a live daemon. The proposal read is
github.com/Vidvox/OSCQueryProposal (README: attributes, HOST_INFO, the
"/baz?TYPE" example, LISTEN).

- test_f_values_are_json_floats: the raw JSON text of GET /: every VALUE,
  RANGE MIN and MAX of a node whose TYPE is made of 'f' is written with a
  fraction or an exponent ("-10.0", never "-10": python-oscquery types a
  node by the JSON token it reads), and no NaN/Infinity/null appears.
- test_names_aliases_and_meters_are_nodes: /strip/kick/fader (name form)
  and the session's aliases are nodes with the parameter's TYPE, RANGE and
  VALUE (an alias in its own taper); meters are read-only nodes typed as
  the console sends them.
- test_attribute_queries: ?TYPE on a container is {} (the proposal's
  example), on nodes {"TYPE": ...}; ?VALUE of a container 204; HOST_INFO
  carries OSC_IP, the address the request came in on.
- test_listen_names_aliases_and_meters: LISTEN on a name node, an alias and
  /meter/master streams binary OSC on their own addresses and types.
"""
import json
import re
import time
import types

import pytest

import jmtest
from jmtest import Daemon, JackServer
import test_web
from test_web import WsClient, http_get, osc_frame_decode

NAME = "jmoscq"

SESSION = """
jack = { name = "%s"; };
osc = { meter_rate = 20.0; };
strips = (
  { name = "kick"; input = [ ]; fader = -10.0; },
  { name = "snare"; input = [ ]; pan = -0.25; fader = -4.0; }
);
buses = ( { name = "verb"; type = "reverb"; fader = -6.0; } );
master = { output = [ ]; };
aliases = ( { from = "/1/fader1"; to = "/strip/1/fader/norm"; },
            { from = "/1/toggle1"; to = "/strip/2/mute"; },
            { from = "/mix/snare"; to = "/strip/2/fader"; } );
web = { port = %d; };
"""

# A JSON number that is a float: a fraction or an exponent.
FLOAT = re.compile(r"^-?(0|[1-9]\d*)(\.\d+([eE][-+]?\d+)?|[eE][-+]?\d+)$")
NUMBER = re.compile(r"-?\d[\d.eE+-]*")


@pytest.fixture(scope="module")
def oq():
    js = JackServer().start()
    try:
        port = jmtest.free_tcp_port()
        d = Daemon(SESSION % (NAME, port), js, name=NAME).start()
        ns = types.SimpleNamespace(js=js, d=d, port=port)
        if not jmtest.wait_until(lambda: test_web.http_ok(ns, "/?HOST_INFO"), 10):
            raise AssertionError("no HTTP on port %d:\n%s" % (port, d.stderr_text()[-2000:]))
        yield ns
        d.stop()
    finally:
        js.stop()


def get_json(oq, path):
    status, hdr, body = http_get(oq, path)
    assert status == 200, (path, status)
    return json.loads(body)


def all_nodes(node, out):
    out[node["FULL_PATH"]] = node
    for child in node.get("CONTENTS", {}).values():
        all_nodes(child, out)
    return out


def test_f_values_are_json_floats(oq):
    with oq.d.client() as c:
        c.set_and_confirm("/strip/1/fader", -10.0)   # an integral value in dB
        time.sleep(0.1)
        status, _, body = http_get(oq, "/")
        assert status == 200
        text = body.decode()
        for bad in ("NaN", "Infinity", "null"):
            assert bad not in text, bad
        tree = json.loads(text)
        f_nodes = [n for n in all_nodes(tree, {}).values() if set(n.get("TYPE", "x")) == {"f"}]
        # the raw tokens, in the writer's key order (TYPE, VALUE, RANGE, CLIPMODE)
        found = re.findall(r'"TYPE":"(f+)","VALUE":\[([^\]]*)\],"RANGE":\[([^\]]*)\],"CLIPMODE"',
                           text)
        assert len(found) == len(f_nodes) > 100, (len(found), len(f_nodes))
        ints = []
        for tags, value, rng in found:
            values = value.split(",")
            assert len(values) == len(tags), (tags, value)
            bounds = re.findall(r'"(?:MIN|MAX)":(' + NUMBER.pattern + ")", rng)
            assert bounds, rng
            ints += [t for t in values + bounds if not FLOAT.match(t)]
        assert not ints, "integers written for f values: %s" % ints[:10]
        # the fader at -10 dB is written "-10.0"
        assert re.search(r'"FULL_PATH":"/strip/1/fader",[^{}]*"VALUE":\[-10\.0\]', text)
        assert re.search(r'"FULL_PATH":"/strip/1/fader",[^{}]*"RANGE":\[\{"MIN":-90\.0,'
                         r'"MAX":10\.0\}\]', text)
        # switches and choices stay integers (TYPE i, as the console feeds them back)
        assert re.search(r'"FULL_PATH":"/strip/1/mute",[^{}]*"TYPE":"i","VALUE":\[0\]', text)
        jmtest.note("%d f nodes, every VALUE/MIN/MAX token a JSON float" % len(found))


def test_names_aliases_and_meters_are_nodes(oq):
    with oq.d.client() as c:
        c.set_and_confirm("/strip/1/fader", -3.5)
        c.set_and_confirm("/strip/2/mute", 1)
        time.sleep(0.1)
        nodes = all_nodes(get_json(oq, "/"), {})
        norm = c.query_value("/strip/1/fader/norm")
        c.send("/strip/2/mute", 0)
    idx, name = nodes["/strip/1/fader"], nodes["/strip/kick/fader"]
    for k in ("TYPE", "RANGE", "VALUE", "ACCESS", "CLIPMODE"):
        assert name[k] == idx[k], (k, name[k], idx[k])
    assert idx["VALUE"] == [-3.5] and name["ACCESS"] == 3
    assert "name form of /strip/1/fader" in name["DESCRIPTION"]
    assert nodes["/strip/snare/mute"]["VALUE"] == [1] and nodes["/strip/snare/mute"]["TYPE"] == "i"
    assert nodes["/strip/kick/send/verb/level"]["TYPE"] == "f"
    assert nodes["/bus/verb/fader"]["VALUE"] == [-6.0]
    # aliases: in the alias's taper
    a = nodes["/1/fader1"]
    assert a["TYPE"] == "f" and a["ACCESS"] == 3 and a["RANGE"] == [{"MIN": 0.0, "MAX": 1.0}]
    assert abs(a["VALUE"][0] - norm) < 1e-6, (a["VALUE"], norm)
    assert "alias of /strip/1/fader/norm" in a["DESCRIPTION"]
    t = nodes["/1/toggle1"]
    assert t["TYPE"] == "i" and t["VALUE"] == [1] and t["RANGE"][0]["MAX"] == 1
    u = nodes["/mix/snare"]
    assert u["TYPE"] == "f" and u["VALUE"] == [-4.0] and u["RANGE"] == [{"MIN": -90.0, "MAX": 10.0}]
    # meters: read-only, typed as the console sends them, silent = -120 dBFS
    want = {"/meter/strip/1": "ffff", "/meter/strip/2": "ffff", "/meter/bus/1": "fff",
            "/meter/master": "ffff", "/meter/loudness": "fffff"}
    for path, tags in want.items():
        m = nodes[path]
        assert m["TYPE"] == tags and m["ACCESS"] == 1, m
        assert len(m["VALUE"]) == len(tags) == len(m["RANGE"]) == len(m["CLIPMODE"]), m
        assert all(isinstance(v, float) and -120.0 <= v <= 0.0 for v in m["VALUE"][:2]), m
    assert nodes["/meter/master"]["VALUE"] == [-120.0] * 4
    assert "meter" in nodes["/meter/strip/1"]["DESCRIPTION"] and \
        "kick" in nodes["/meter/strip/1"]["DESCRIPTION"]


def test_attribute_queries(oq):
    # a container has no TYPE: the proposal's "/baz?TYPE" example answers {}
    for path in ("/strip/1?TYPE", "/strip?RANGE", "/meter?TYPE", "/strip/kick?CLIPMODE"):
        status, hdr, body = http_get(oq, path)
        assert status == 200 and json.loads(body) == {}, (path, status, body)
        assert hdr["content-type"].startswith("application/json")
    assert get_json(oq, "/strip/1/fader?TYPE") == {"TYPE": "f"}
    assert get_json(oq, "/strip/1/mute?TYPE") == {"TYPE": "i"}
    assert get_json(oq, "/meter/master?TYPE") == {"TYPE": "ffff"}
    assert get_json(oq, "/meter/master?ACCESS") == {"ACCESS": 1}
    assert get_json(oq, "/strip/1?ACCESS") == {"ACCESS": 0}
    assert get_json(oq, "/1/fader1?RANGE") == {"RANGE": [{"MIN": 0.0, "MAX": 1.0}]}
    assert get_json(oq, "/strip/1/fader?FULL_PATH") == {"FULL_PATH": "/strip/1/fader"}
    assert get_json(oq, "/strip/1/fader?CONTENTS") == {}
    assert http_get(oq, "/strip/1?VALUE")[0] == 204          # ACCESS 0: nothing to read
    assert http_get(oq, "/strip/1/fader?UNIT")[0] == 400     # not supported (EXTENSIONS)
    assert http_get(oq, "/strip/9/fader?TYPE")[0] == 404
    status, _, raw = http_get(oq, "/strip/1/fader?VALUE")
    assert status == 200 and re.fullmatch(rb'\{"VALUE":\[-?\d+\.\d+(e[-+]\d+)?\]\}', raw), raw

    info = get_json(oq, "/?HOST_INFO")
    assert info["OSC_IP"] == "127.0.0.1", info   # asked on 127.0.0.1; never 0.0.0.0
    assert info["OSC_PORT"] == oq.d.osc_port and info["OSC_TRANSPORT"] == "UDP", info
    ext = info["EXTENSIONS"]
    for k in ("ACCESS", "VALUE", "RANGE", "DESCRIPTION", "CLIPMODE", "LISTEN"):
        assert ext[k] is True, k
    for k in ("TAGS", "UNIT", "PATH_CHANGED", "EXTENDED_TYPE", "CRITICAL", "HTML"):
        assert ext[k] is False, k


def test_listen_names_aliases_and_meters(oq):
    ws = WsClient(oq, "/")
    try:
        with oq.d.client() as c:
            for p in ("/strip/snare/mute", "/1/fader1", "/mix/snare"):
                ws.send_json({"COMMAND": "LISTEN", "DATA": p})
            time.sleep(0.1)
            c.send("/strip/1/fader/norm", 0.25)
            f = ws.recv(2.0)
            assert f and osc_frame_decode(f[1]) == ("/1/fader1", [0.25], "f"), f
            c.send("/strip/2/mute", 1)
            f = ws.recv(2.0)     # /1/toggle1 is not LISTENed: only the name node
            assert f and osc_frame_decode(f[1]) == ("/strip/snare/mute", [1], "i"), f
            assert ws.recv(0.3) is None, "a node that was not LISTENed was sent"
            c.send("/strip/2/mute", 0)
            c.send("/strip/2/fader", -12.0)
            seen = {}
            t_end = time.monotonic() + 2.0
            # the two changes come through the web gateway's subscription and
            # may arrive in either order: wait for both
            while time.monotonic() < t_end and not ("/mix/snare" in seen and
                                                    "/strip/snare/mute" in seen):
                f = ws.recv(0.5)
                if f:
                    path, args, tags = osc_frame_decode(f[1])
                    seen[path] = (args, tags)
            assert seen.get("/mix/snare") == ([-12.0], "f"), seen
            assert seen.get("/strip/snare/mute") == ([0], "i"), seen
            assert not any(p.startswith("/meter/") for p in seen), "meters were not LISTENed"

            # meters: LISTEN streams /meter/master as the console sends it
            ws.send_json({"COMMAND": "LISTEN", "DATA": "/meter/master"})
            frames = []
            t_end = time.monotonic() + 3.0
            while time.monotonic() < t_end and len(frames) < 5:
                f = ws.recv(0.5)
                if f and f[0] == 2:
                    frames.append(osc_frame_decode(f[1]))
            assert len(frames) >= 5, frames
            for path, args, tags in frames:
                assert path == "/meter/master" and tags == "ffff", (path, tags)
                assert args == [-120.0] * 4, args   # nothing plays into the master
            ws.send_json({"COMMAND": "IGNORE", "DATA": "/meter/master"})
            time.sleep(0.2)
            while ws.recv(0.2):
                pass
            assert ws.recv(0.5) is None, "meters after IGNORE"
            c.send("/strip/2/fader", -4.0)
            jmtest.note("LISTEN on a name node, aliases and /meter/master: %d meter frames"
                        % len(frames))
    finally:
        ws.close()
