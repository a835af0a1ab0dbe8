"""Controller layouts (docs/cli.md, issue 7): `jmixd layout` writes a TouchOSC
.tosc (zlib stream of lexml XML) and an Open Stage Control session; every
OSC path in them is a parameter of `--list-params` (or a meter, loudness or
subscribe address); one name, pan, mute, solo, fader and meter per strip;
both files reference the same paths. Then the daemon is driven with exactly
the messages the layout's controls send, and its feedback is checked on the
addresses the controls listen on."""
import json
import os
import re
import shutil
import subprocess
import time
import types
import xml.etree.ElementTree as ET
import zlib

import pytest

import jmtest
from jmtest import Daemon, OscClient, run_jmixd

SESSION = """
jack = { name = "jmlayout"; };
osc = { port = 8000; meter_rate = 20.0; };
strips = (
  { name = "kick"; input = [ ]; fader = -6.0; },
  { name = "snare"; input = [ ]; mute = true; pan = -0.5; },
  { name = "keys"; channels = 2; input = [ ]; }
);
buses = ( { name = "verb"; type = "reverb"; } );
master = { output = [ ]; };
"""
N_STRIPS = 3
ROLES = {"name": "LABEL", "pan": "FADER", "mute": "BUTTON", "solo": "BUTTON",
         "fader": "FADER", "meter": "FADER"}

@pytest.fixture(scope="module")
def layout(module_jack):
    """The session, its generated TouchOSC and Open Stage Control layouts,
    its parameters (path -> unit, from --list-params), and a daemon on it."""
    lay = types.SimpleNamespace(js=module_jack, params={})
    lay.dir = jmtest.mkdtemp("jmtlayout")
    lay.session_path = os.path.join(lay.dir, "console.cfg")
    with open(lay.session_path, "w") as f:
        f.write(SESSION)
    lay.tosc = os.path.join(lay.dir, "console.tosc")
    lay.oscjson = os.path.join(lay.dir, "console.json")
    lay.fb_port = jmtest.free_udp_port()
    r = run_jmixd("layout", lay.session_path, "--touchosc", lay.tosc, "--open-stage-control",
                  lay.oscjson, "--feedback-port", str(lay.fb_port))
    assert r.returncode == 0, "jmixd layout failed: %s" % r.stderr
    r = run_jmixd("--list-params", lay.session_path)
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        path, unit = line.split()[:2]
        lay.params[path] = unit
    lay.d = Daemon(lay.session_path, module_jack).start()
    yield lay
    lay.d.stop()


# ------------------------------------------------------------------ parsing

def tosc_root(layout):
    data = open(layout.tosc, "rb").read()
    assert data[:2] != b"\x1f\x8b", ".tosc is gzip, expected a zlib stream"
    return ET.fromstring(zlib.decompress(data))


def prop(node, key):
    for p in node.findall("properties/property"):
        if p.findtext("key") == key:
            return p.findtext("value")
    return None


def osc_messages(node):
    """[(path, send, [(type, conversion, value)])] of a node's <osc> messages."""
    out = []
    for m in node.findall("messages/osc"):
        parts = m.findall("path/partial")
        assert all(p.findtext("type") == "CONSTANT" for p in parts), "computed OSC path"
        path = "".join(p.findtext("value") for p in parts)
        args = [(a.findtext("type"), a.findtext("conversion"), a.findtext("value"))
                for a in m.findall("arguments/partial")]
        out.append((path, m.findtext("send") == "1", args))
    return out


def tosc_controls(layout):
    """[(name, type, node)] of every node under the root group."""
    return [(prop(n, "name"), n.get("type"), n) for n in tosc_root(layout).iter("node")]


def tosc_paths(layout):
    return {path for _, _, n in tosc_controls(layout) for path, _, _ in osc_messages(n)}


def json_addresses(w, out):
    if isinstance(w, dict):
        a = w.get("address")
        if isinstance(a, str) and a.startswith("/") and a != "/root":
            out.add(a)
        for v in w.values():
            json_addresses(v, out)
    elif isinstance(w, list):
        for v in w:
            json_addresses(v, out)
    return out


def allowed(layout, path):
    """A parameter (continuous ones through /norm, switches plain), or a
    meter/loudness/subscribe address."""
    if path.endswith("/norm"):
        base = path[:-5]
        return base in layout.params and layout.params[base] != "bool"
    if path in layout.params:
        return layout.params[path] == "bool"
    return (re.fullmatch(r"/meter/strip/([0-9]+)", path) is not None or
            path in ("/meter/master", "/meter/loudness", "/subscribe", "/subscribe/confirm"))


# -------------------------------------------------------------------- files

def test_tosc_is_zlib_compressed_lexml(layout):
    root = tosc_root(layout)
    assert root.tag == "lexml", root.tag
    jmtest.note("lexml version %s" % root.get("version"))
    assert root.get("version") in ("3", "6"), root.attrib
    top = list(root)
    assert len(top) == 1 and top[0].tag == "node" and top[0].get("type") == "GROUP", top


# The properties files saved by TouchOSC carry on every node, and per type,
# as in tosclib's docs/demos/files/controls.tosc (github.com/AlbertoV5/tosclib:
# one control of each type as the TouchOSC editor creates it) and
# docs/demos/files/peak_meter_1.tosc (a receive-only meter fader: send 0,
# receive 1, <triggers><trigger><var>x</var><condition>ANY</condition>).
COMMON_PROPS = {"background", "color", "cornerRadius", "frame", "grabFocus", "interactive",
                "locked", "name", "orientation", "outline", "outlineStyle", "pointerPriority",
                "shape", "visible"}
TYPE_PROPS = {
    "FADER": {"bar", "barDisplay", "cursor", "cursorDisplay", "grid", "gridSteps", "response",
              "responseFactor"},
    "BUTTON": {"buttonType", "press", "release", "valuePosition"},
    "LABEL": {"font", "textAlignH", "textAlignV", "textClip", "textColor", "textLength",
              "textSize"},
    "TEXT": {"font", "textAlignH", "textColor", "textSize"},
    "PAGER": {"tabLabels", "tabbar", "tabbarDoubleTap", "tabbarSize", "textSizeOff",
              "textSizeOn"},
    "GROUP": set(),
}


def test_tosc_nodes_carry_the_property_set_of_real_files(layout):
    root = tosc_root(layout)
    assert root.get("version") == "6", "lexml version 6 (TouchOSC 1.5)"
    n = 0
    for node in root.iter("node"):
        typ = node.get("type")
        keys = [p.findtext("key") for p in node.findall("properties/property")]
        assert len(keys) == len(set(keys)) and keys == sorted(keys), (typ, keys)
        missing = (COMMON_PROPS | TYPE_PROPS[typ]) - set(keys)
        assert not missing, "%s %s lacks %s" % (typ, prop(node, "name"), sorted(missing))
        assert prop(node, "visible") == "1" and prop(node, "locked") == "0"
        assert prop(node, "shape") == "1" and prop(node, "pointerPriority") == "0"
        if typ == "FADER":
            assert prop(node, "response") == "0" and prop(node, "responseFactor") == "100"
        n += 1
    jmtest.note("%d nodes, each with the property set of TouchOSC's own files" % n)


def test_tosc_receive_only_messages_have_triggers(layout):
    """Meters, the loudness readout and the confirmation: send 0, receive 1,
    and a <triggers> element as in peak_meter_1.tosc."""
    kinds = {}
    for name, typ, node in tosc_controls(layout):
        for m in node.findall("messages/osc"):
            if m.findtext("send") != "0":
                continue
            path = "".join(p.findtext("value") for p in m.findall("path/partial"))
            assert m.findtext("receive") == "1", path
            trig = m.findall("triggers/trigger")
            assert len(trig) == 1 and trig[0].findtext("condition") == "ANY", (path, trig)
            var = trig[0].findtext("var")
            assert var == ("text" if typ == "LABEL" else "x"), (path, var)
            kinds[path] = True
            if path.startswith("/meter/"):
                assert typ in ("FADER", "LABEL"), (path, typ)
    meters = [k for k in kinds if k.startswith("/meter/")]
    assert "/meter/loudness" in kinds and "/meter/master" in kinds, sorted(kinds)
    assert sum(k.startswith("/meter/strip/") for k in meters) == N_STRIPS, meters
    assert "/subscribe/confirm" in kinds, sorted(kinds)


def test_every_tosc_path_is_a_parameter_or_meter(layout):
    paths = tosc_paths(layout)
    bad = sorted(p for p in paths if not allowed(layout, p))
    assert not bad, "paths not in --list-params: %s" % bad
    for n in range(1, N_STRIPS + 1):
        for p in ("/strip/%d/fader/norm" % n, "/strip/%d/pan/norm" % n, "/strip/%d/mute" % n,
                  "/strip/%d/solo" % n, "/meter/strip/%d" % n):
            assert p in paths, "%s missing from the layout" % p
    for p in ("/master/fader/norm", "/meter/loudness", "/subscribe", "/subscribe/confirm"):
        assert p in paths, "%s missing from the layout" % p
    jmtest.note("%d distinct OSC paths" % len(paths))


def test_one_control_of_each_kind_per_strip(layout):
    counts = {}
    for name, typ, _ in tosc_controls(layout):
        m = re.fullmatch(r"s([0-9]+)_([a-z]+)", name or "")
        if m and m.group(2) in ROLES:
            key = (int(m.group(1)), m.group(2))
            counts[key] = counts.get(key, 0) + 1
            assert typ == ROLES[m.group(2)], "%s is a %s" % (name, typ)
    for n in range(1, N_STRIPS + 1):
        for role in ROLES:
            assert counts.get((n, role)) == 1, "strip %d has %s %s controls" % (
                n, counts.get((n, role), 0), role)
    names = {name: n for name, _, n in tosc_controls(layout)}
    label = names["s2_name"].find("values/value[key='text']")
    assert label is not None and label.findtext("default") == "snare"


def test_open_stage_control_session_has_the_same_paths(layout):
    with open(layout.oscjson) as f:
        doc = json.load(f)
    assert doc["createdWith"] == "Open Stage Control" and doc["type"] == "session", doc.keys()
    assert doc["content"]["type"] == "root"
    addrs = json_addresses(doc["content"], set())
    assert addrs == tosc_paths(layout), "only in JSON: %s; only in .tosc: %s" % (
        sorted(addrs - tosc_paths(layout)), sorted(tosc_paths(layout) - addrs))
    ids = []

    def walk(w):
        if isinstance(w, dict):
            if "id" in w:
                ids.append(w["id"])
            for k in ("widgets", "tabs"):
                for c in w.get(k, []):
                    walk(c)
    walk(doc["content"])
    assert len(ids) == len(set(ids)), "duplicate widget ids"
    for n in range(1, N_STRIPS + 1):
        for role in ROLES:
            assert ids.count("s%d_%s" % (n, role)) == 1, "s%d_%s" % (n, role)


def test_bad_arguments_exit_1_with_one_line(layout):
    path, d = layout.session_path, layout.dir
    cases = [(), (path,), ("/nonexistent.cfg", "--touchosc", os.path.join(d, "x")),
             (path, "--touchosc", "/nonexistent-dir/x.tosc"),
             (path, "--bogus", "--touchosc", os.path.join(d, "y.tosc")),
             (path, "--touchosc", os.path.join(d, "z.tosc"), "--feedback-port", "0")]
    for args in cases:
        r = run_jmixd("layout", *args)
        assert r.returncode == 1, "%r: exit %d" % (args, r.returncode)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0], "%r: stderr %r" % (args, r.stderr)


# -------------------------------------------------------- drive the daemon

def x32_db(f):
    """X32 fader law (docs/dsp.md)."""
    if f >= 0.5:
        return f * 40.0 - 30.0
    if f >= 0.25:
        return f * 80.0 - 50.0
    if f >= 0.0625:
        return f * 160.0 - 70.0
    return f * 480.0 - 90.0 if f > 0 else -90.0


def message_of(args, x):
    """The OSC arguments a control sends when its value is x."""
    out = []
    for typ, conv, value in args:
        v = x if typ == "VALUE" else value
        if conv == "FLOAT":
            out.append(("f", float(v)))
        elif conv == "INTEGER":
            out.append(("i", int(round(float(v)))))
        elif conv == "STRING":
            out.append(("s", str(v)))
        else:
            raise AssertionError("unexpected conversion %s" % conv)
    return out


def wait_value(c, path, want, tol=1e-3):
    got = jmtest.wait_until(lambda: (lambda v: v if abs(v - want) <= tol else None)(
        float(c.query_value(path))) is not None, 2.0)
    v = float(c.query_value(path))
    assert got and abs(v - want) <= tol, "%s reads %r, expected %r" % (path, v, want)


def sending_controls(layout):
    out = []
    for name, typ, node in tosc_controls(layout):
        for path, send, args in osc_messages(node):
            if send:
                out.append((name, typ, path, args))
    return out


@pytest.mark.timeout(60)
def test_drive_daemon_with_the_layout_messages(layout):
    ctls = sending_controls(layout)
    kinds = {}
    with layout.d.client() as c:
        for name, typ, path, args in ctls:
            if path == "/subscribe":
                continue
            native = path[:-5] if path.endswith("/norm") else path
            if typ == "FADER" and native.endswith("/fader"):
                # unity (0.75 -> 0 dB), then -10 dB (0.5)
                for x in (0.75, 0.5):
                    c.send(path, *message_of(args, x))
                    wait_value(c, native, x32_db(x))
            elif typ == "FADER" and native.endswith("/pan"):
                for x in (0.25, 1.0, 0.5):
                    c.send(path, *message_of(args, x))
                    wait_value(c, native, -1.0 + 2.0 * x)
            elif typ == "BUTTON":
                for x in (1, 0):
                    c.send(path, *message_of(args, x))
                    wait_value(c, native, float(x))
            else:
                raise AssertionError("unexpected sending control %s (%s %s)" % (name, typ, path))
            kinds[native.rsplit("/", 1)[1]] = kinds.get(native.rsplit("/", 1)[1], 0) + 1
        c.send("/info")
        assert c.wait_for("/info", 2.0), "daemon stopped answering"
        errors = [m for m in c.collect(0.2) if m[0] == "/error"]
        assert not errors, errors
    jmtest.note("drove %r" % kinds)
    assert kinds.get("fader") == N_STRIPS + 1 and kinds.get("pan") == N_STRIPS
    assert kinds.get("mute") == N_STRIPS and kinds.get("solo") == N_STRIPS


def subscribe_and_collect(layout, changes, duration=1.5):
    """Send the layout's subscribe message from one socket, make `changes`
    from it, and return {path: [args]} received on the feedback port."""
    sub = [(p, a) for _, _, p, a in sending_controls(layout) if p == "/subscribe"]
    assert sub, "no subscribe control"
    path, args = sub[0]
    msg = message_of(args, 1)
    assert msg == [("i", layout.fb_port), ("s", "norm")], msg
    with OscClient(layout.d.osc_port, bind_port=layout.fb_port) as tablet, \
            layout.d.client() as c:
        c.send(path, *msg)              # from another socket: the port argument counts
        c.send("/info")
        assert c.wait_for("/info", 2.0)
        tablet.drain(0.3)
        for p, v in changes:
            c.send(p, v)
        got = tablet.collect(duration)
        c.send("/unsubscribe", layout.fb_port)
    seen = {}
    for p, a in got:
        seen.setdefault(p, []).append(a)
    return seen


def test_subscribe_button_brings_norm_feedback_to_the_control_addresses(layout):
    seen = subscribe_and_collect(layout, [("/strip/1/fader/norm", 0.6),
                                          ("/strip/2/pan/norm", 0.25),
                                          ("/master/fader/norm", 0.75)])
    jmtest.note("feedback paths: %s" % sorted(seen))
    for p, v in (("/strip/1/fader/norm", 0.6), ("/strip/2/pan/norm", 0.25),
                 ("/master/fader/norm", 0.75)):
        assert any(abs(a[0] - v) < 1e-4 for a in seen.get(p, [])), "%s: %r" % (p, seen.get(p))
    # meters: the first float is the peak, 0..1 in norm style; loudness in LUFS
    for n in range(1, N_STRIPS + 1):
        m = seen.get("/meter/strip/%d" % n)
        assert m and len(m[0]) == 4 and all(0.0 <= v <= 1.0 for v in m[0][:2]), m
    assert seen.get("/meter/loudness") and len(seen["/meter/loudness"][0]) == 5
    assert seen.get("/meter/master")
    listen = set(tosc_paths(layout)) - {"/subscribe", "/subscribe/confirm"}
    stray = sorted(p for p in seen if p.startswith(("/strip/", "/master/")) and p not in listen
                   and not p.endswith(("/mute/norm", "/solo/norm")))
    assert not stray, "feedback on addresses no control listens on: %s" % stray


def test_switch_feedback_arrives_where_the_toggle_listens(layout):
    """Switches have no /norm twin (docs/osc.md): the layout's mute/solo toggles
    send and listen on /strip/N/mute, so norm-style feedback must come there."""
    seen = subscribe_and_collect(layout, [("/strip/3/mute", 1), ("/strip/3/solo", 1)], 0.8)
    with layout.d.client() as c:
        c.send("/strip/3/mute", 0)
        c.send("/strip/3/solo", 0)
    got = sorted(p for p in seen if p.startswith("/strip/3/"))
    jmtest.note("switch feedback on %s" % got)
    for p in ("/strip/3/mute", "/strip/3/solo"):
        assert any(a[0] == 1 for a in seen.get(p, [])), (
            "no feedback on %s for a norm subscriber (got %s)" % (p, got))




# ------------------------------------------- the subscription's confirmation

def osc_widgets(layout):
    with open(layout.oscjson) as f:
        doc = json.load(f)
    out = []

    def walk(w):
        if isinstance(w, dict):
            out.append(w)
            for k in ("widgets", "tabs"):
                for c in w.get(k, []):
                    walk(c)
    walk(doc["content"])
    return out


OSTAGE_VM = os.path.join(jmtest.ROOT, "tests", "layout", "ostage_vm.js")
RUN_S = 12.5     # past the 10 s lease of the first /subscribe


def ostage_keepalive(layout):
    """The session's subscribe button and its keep-alive script widget."""
    ws = osc_widgets(layout)
    sub = [w for w in ws if w.get("address") == "/subscribe" and not w.get("bypass")]
    conf = [w for w in ws if w.get("address") == "/subscribe/confirm"]
    assert len(sub) == 1 and len(conf) == 1, (sub, conf)
    return sub[0], conf[0]


def test_open_stage_control_session_renews_its_subscription(layout):
    """The generated JSON: the script widget's onCreate subscribes at once
    and renews every 5 s (the lease is 10 s) with setInterval, and echoes
    the stored token from a timer (send() in an onValue run by received OSC
    does nothing in Open Stage Control)."""
    sub, conf = ostage_keepalive(layout)
    target = sub["target"]
    assert conf["type"] == "script" and conf["bypass"] is True and conf["typeTags"] == "i", conf
    create = conf["onCreate"]
    assert "var jmixd = '%s';" % target in create, create
    assert ("send(jmixd, '/subscribe', {type: 'i', value: %d}, {type: 's', value: 'norm'});"
            % layout.fb_port) in create, create
    assert "setInterval('renew', subscribe, 5000);" in create, create
    assert re.search(r"setInterval\('confirm', function \(\) \{.*getVar\('this', 'token'\).*"
                     r"send\(jmixd, '/subscribe/confirm', \{type: 'i', value: token\}\)",
                     create, re.S), create
    assert conf["onValue"] == "setVar('this', 'token', value);", conf["onValue"]
    assert "send(" not in conf["onValue"], "send() in onValue is a no-op for received OSC"


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_open_stage_control_session_completes_the_handshake(layout):
    """Run the keep-alive script widget in node as Open Stage Control runs it
    (tests/layout/ostage_vm.js: onCreate may send, onValue from received OSC
    may not, timers keep their creator's options) against the daemon for
    12.5 s while another client moves strip 1's fader: the script
    subscribes, echoes the token once, renews, and feedback still arrives
    after the first lease would have ended (10 s)."""
    sub, conf = ostage_keepalive(layout)
    target = sub["target"]
    path = os.path.join(layout.dir, "keepalive.json")
    with open(path, "w") as f:
        json.dump(conf, f)
    vm = subprocess.Popen(["node", OSTAGE_VM, path, str(layout.d.osc_port), str(layout.fb_port),
                           str(RUN_S)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    values = [0.3, 0.6]
    with layout.d.client() as c:
        t_end = time.monotonic() + RUN_S + 0.5
        k = 0
        while vm.poll() is None and time.monotonic() < t_end:
            c.send("/strip/1/fader/norm", values[k % 2])
            k += 1
            time.sleep(0.25)
        out, err = vm.communicate(timeout=10)
        assert vm.returncode == 0, err
        c.send("/unsubscribe", layout.fb_port)
    log = json.loads(out)
    assert not log["errors"], log["errors"]
    assert not log["blocked"], "send() where Open Stage Control ignores it: %r" % log["blocked"]
    subs = [e for e in log["sent"] if e[2] == "/subscribe"]
    confs = [e for e in log["sent"] if e[2] == "/subscribe/confirm"]
    assert all(e[1] == target and e[3] == [{"type": "i", "value": layout.fb_port},
                                          {"type": "s", "value": "norm"}] for e in subs), subs
    assert len(subs) >= 3, "renewed at 0, 5 and 10 s: %r" % subs
    tokens = [e for e in log["received"] if e[1] == "/subscribe/confirm"]
    assert len(tokens) == 1 and tokens[0][2] == "i", tokens
    assert len(confs) == 1 and confs[0][1] == target, confs
    assert confs[0][3] == [{"type": "i", "value": tokens[0][3][0]}], (confs, tokens)
    fb = [e for e in log["received"] if e[1] == "/strip/1/fader/norm"]
    assert fb and fb[0][0] >= confs[0][0], "feedback before the confirmation"
    late = [e for e in fb if e[0] > 11.0]
    assert late and any(abs(e[3][0] - v) < 1e-4 for e in late for v in values), (
        "no feedback after the first lease ended (renewal broken): last at %.1f s"
        % (fb[-1][0] if fb else -1))
    jmtest.note("Open Stage Control keep-alive: /subscribe at %s s, token echoed at %.2f s, "
                "%d feedback values, last at %.1f s"
                % ([round(e[0], 1) for e in subs], confs[0][0], len(fb), fb[-1][0]))


def test_touchosc_subscribe_button_echoes_the_confirmation(layout):
    """The console streams only after /subscribe/confirm i:token comes back
    (docs/osc.md): the TouchOSC button receives it (a receive-only message)
    and its Lua script sends the same token back, typed i, on the connection
    it arrived on."""
    nodes = [n for name, typ, n in tosc_controls(layout)
             if any(p == "/subscribe" and send for p, send, _ in osc_messages(n))]
    assert len(nodes) == 1, "one subscribe button"
    msgs = osc_messages(nodes[0])
    assert ("/subscribe/confirm", False, []) in msgs, msgs
    script = prop(nodes[0], "script") or ""
    assert "function onReceiveOSC(message, connections)" in script, script
    assert "message[1] == '/subscribe/confirm'" in script, script
    assert re.search(r"sendOSC\(\{'/subscribe/confirm', \{\{tag = 'i', value = args\[1\]\.value\}\}\}, "
                     r"connections\)", script), script
    assert "self.messages.OSC[1]:trigger()" in script, "the renewal is still there"


# ------------------------------------------------------- a performer's mix

PERF_SESSION = """
jack = { name = "jmlayperf"; };
osc = { allow = [ "127.0.0.0/8" ]; engineers = [ "127.0.0.1/32" ]; meter_rate = 20.0; };
strips = ( { name = "kick"; input = [ ]; }, { name = "snare"; input = [ ]; } );
buses = ( { name = "drums"; type = "aux"; channels = 2; output = [ ]; },
          { name = "vox"; type = "aux"; channels = 2; output = [ ]; } );
master = { output = [ ]; };
performers = ( { name = "drummer"; bus = "drums"; pin = "4711"; } );
"""


@pytest.mark.timeout(60)
def test_performer_layout_drives_its_mix_from_a_performer_only_address(layout):
    """`--performer drummer`: the .tosc's messages, sent as TouchOSC sends them
    from 127.0.0.2 (outside osc.engineers), log in, subscribe to the mix and
    set every control's parameter with no /error; nothing else changes. An
    unknown performer: exit 1, one line."""
    d = jmtest.mkdtemp("jmtlayperf")
    session = os.path.join(d, "perf.cfg")
    with open(session, "w") as f:
        f.write(PERF_SESSION)
    r = run_jmixd("layout", session, "--performer", "nobody", "--touchosc",
                  os.path.join(d, "x.tosc"))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "no performer 'nobody'" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(d, "x.tosc"))

    perf = OscClient(0, bind_host="127.0.0.2")
    tosc = os.path.join(d, "drummer.tosc")
    r = run_jmixd("layout", session, "--performer", "drummer", "--touchosc", tosc,
                  "--feedback-port", str(perf.port))
    assert r.returncode == 0, r.stderr
    lay = types.SimpleNamespace(tosc=tosc)
    ctls = sending_controls(lay)
    dm = Daemon(session, layout.js).start()
    perf.addr = ("127.0.0.1", dm.osc_port)
    try:
        with dm.client() as eng:
            eng.send("/params", "")
            before = {m[1][0]: m[1][5] for m in eng.collect_quiet(0.3) if m[0] == "/param"}
            # the subscribe button: its messages in order, login first
            sub = [(p, a) for n, t, p, a in ctls if n == "subscribe"]
            assert [p for p, _ in sub] == ["/performer/login", "/subscribe"], sub
            for path, args in sub:
                perf.send(path, *message_of(args, 1))
            assert perf.wait_for("/performer/login", 2.0, lambda a: a == ["drummer", 1])
            # every control: its message is accepted and sets its parameter
            driven = set()
            for name, typ, path, args in ctls:
                if name == "subscribe":
                    continue
                native = path[:-5] if path.endswith("/norm") else path
                x = 1 if typ == "BUTTON" else 0.5
                perf.send(path, *message_of(args, x))
                want = float(x) if typ == "BUTTON" else x32_db(x)
                wait_value(eng, native, want)
                driven.add(native)
            assert driven == {"/strip/1/send/1/level", "/strip/2/send/1/level",
                              "/bus/1/fader", "/bus/1/mute"}, driven
            got = perf.collect(0.5)
            errors = [m for m in got if m[0] == "/error"]
            assert not errors, errors
            # its feedback: its own bus's meter, never the master's
            meters = {m[0] for m in got if m[0].startswith("/meter/")}
            assert "/meter/bus/1" in meters and "/meter/master" not in meters, meters
            eng.send("/params", "")
            after = {m[1][0]: m[1][5] for m in eng.collect_quiet(0.3) if m[0] == "/param"}
            assert {p for p in after if after[p] != before[p]} == driven
            jmtest.note("drummer.tosc from 127.0.0.2: login, subscribe, %d controls set with no "
                        "/error; feedback meters %s" % (len(driven), sorted(meters)))
    finally:
        perf.close()
        dm.stop()
