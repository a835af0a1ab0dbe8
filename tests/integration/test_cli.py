"""Command line (docs/cli.md, docs/session.md): --check, --list-params, usage and exit codes."""
import os
import re

import jmtest
from jmtest import JackServer, run_jmixd

GOOD = """\
jack   = { name = "jmcli"; };
osc    = { port = 8000; bind = "0.0.0.0";
           allow = [ "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16" ];
           meter_rate = 20.0; };
strips = (
  { name = "kick"; input = [ "system:capture_1" ]; fader = -3.0; pan = -0.5; },
  { name = "keys"; channels = 2; input = [ "system:capture_1", "system:capture_2" ];
    trim = 2.0; mute = true; }
);
master = { output = [ "system:playback_1", "system:playback_2" ]; fader = -1.0; mono = false; };
"""

# (description, session text, text on the line of the mistake). Every case
# is GOOD with one mistake.
BAD = [
    ("unknown top-level key", GOOD.replace('master = {', 'bogus = 1;\nmaster = {'), "bogus"),
    ("unknown strip key", GOOD.replace('fader = -3.0;', 'fader = -3.0;\n    wobble = 1;'),
     "wobble"),
    ("out-of-range fader", GOOD.replace('fader = -3.0;', '\n    fader = 50.0;'), "50.0"),
    ("out-of-range pan", GOOD.replace('pan = -0.5;', '\n    pan = 2.0;'), "pan = 2.0"),
    ("wrong type", GOOD.replace('trim = 2.0;', 'trim = "loud";'), "loud"),
    ("duplicate strip name", GOOD.replace('name = "keys";', 'name = "kick";'),
     'name = "kick"; channels'),
    ("bad strip name", GOOD.replace('name = "keys";', 'name = "1keys";'), "1keys"),
    ("bad channels", GOOD.replace('channels = 2;', 'channels = 3;'), "channels = 3"),
    ("bad CIDR", GOOD.replace('"10.0.0.0/8"', '"10.0.0.0/33"'), "/33"),
    ("unknown send bus", GOOD.replace('pan = -0.5;',
                                      'pan = -0.5;\n    send = { nosuch = { level = -10.0; }; };'),
     "nosuch"),
    ("syntax error", GOOD.replace('fader = -1.0;', 'fader = = -1.0;'), "fader = = -1.0"),
]


def line_of(text, needle):
    for i, l in enumerate(text.splitlines(), 1):
        if needle in l:
            return i
    raise AssertionError("test bug: %r not in session" % needle)


def write(dirname, name, text):
    p = os.path.join(dirname, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def test_check_good_session():
    d = jmtest.mkdtemp()
    p = write(d, "good.cfg", GOOD)
    r = run_jmixd("--check", p)
    assert r.returncode == 0, "--check good.cfg: exit %d, stderr %r" % (r.returncode, r.stderr)


def test_check_bad_sessions_report_file_line():
    d = jmtest.mkdtemp()
    problems = []
    for i, (what, text, needle) in enumerate(BAD):
        assert text != GOOD, "test case %r did not change the session" % what
        line = line_of(text, needle)
        p = write(d, "bad%d.cfg" % i, text)
        r = run_jmixd("--check", p)
        m = re.search(r"^%s:(\d+): \S" % re.escape(p), r.stderr, re.M)
        if r.returncode != 1:
            problems.append("%s: exit %d (expected 1), stderr %r" % (what, r.returncode,
                                                                    r.stderr.strip()))
        elif not m:
            problems.append("%s: no 'FILE:LINE: message' on stderr: %r" % (what, r.stderr.strip()))
        elif int(m.group(1)) != line:
            problems.append("%s: reported line %s, the mistake is on line %d: %r" % (
                what, m.group(1), line, r.stderr.strip()))
    assert not problems, "\n  " + "\n  ".join(problems)


def test_check_missing_file():
    r = run_jmixd("--check", "/nonexistent/session.cfg")
    assert r.returncode == 1, r
    assert "/nonexistent/session.cfg" in r.stderr, r.stderr


NUM = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"


def test_list_params():
    d = jmtest.mkdtemp()
    p = write(d, "good.cfg", GOOD)
    r = run_jmixd("--list-params", p)
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert lines, "no output"
    rows = {}
    for l in lines:
        f = l.split()
        assert 4 <= len(f) <= 5 and f[0].startswith("/"), "bad line %r" % l
        assert all(re.fullmatch(NUM, x) for x in f[-3:]), "bad numbers in %r" % l
        assert f[0] not in rows, "duplicate %r" % l
        rows[f[0]] = f
    assert "/strip/1/fader dB -90 10 0" in lines, "missing the exact line " \
        "'/strip/1/fader dB -90 10 0'"
    # the docs/parameters.md rows the console has today, index form, both strips
    want = {"trim": ("dB", -24, 24, 0), "polarity": ("bool", 0, 1, 0), "mute": ("bool", 0, 1, 0),
            "solo": ("bool", 0, 1, 0), "fader": ("dB", -90, 10, 0), "pan": (None, -1, 1, 0)}
    for s in (1, 2):
        for name, (unit, lo, hi, de) in want.items():
            path = "/strip/%d/%s" % (s, name)
            assert path in rows, "%s missing" % path
            f = rows[path]
            if unit:
                assert f[1] == unit, "%s unit %r, expected %r" % (path, f[1], unit)
            assert [float(x) for x in f[-3:]] == [lo, hi, de], "%s: %r" % (path, f)
    for path, vals in (("/master/fader", [-90, 10, 0]), ("/master/mono", [0, 1, 0])):
        assert path in rows, "%s missing" % path
        assert [float(x) for x in rows[path][-3:]] == vals, rows[path]
    # defaults are the table's, not the session's values
    assert rows["/strip/1/pan"][-1] in ("0", "0.0"), rows["/strip/1/pan"]


def test_usage_and_version():
    r = run_jmixd("--version")
    assert r.returncode == 0 and (r.stdout + r.stderr).strip(), r
    r = run_jmixd("--help")
    assert r.returncode == 0 and "--check" in (r.stdout + r.stderr), r
    r = run_jmixd("--no-such-option", "x.cfg")
    assert r.returncode == 1, "unknown option: exit %d" % r.returncode
    r = run_jmixd()
    assert r.returncode == 1, "no session: exit %d" % r.returncode


def test_daemon_refuses_invalid_session():
    d = jmtest.mkdtemp()
    p = write(d, "bad.cfg", BAD[2][1])
    line = line_of(BAD[2][1], BAD[2][2])
    # no JACK server needed: validation comes first
    r = run_jmixd("--server", "jmt_nosuchserver", "--osc-port", str(jmtest.free_udp_port()), p,
                  timeout=10)
    assert r.returncode == 1, "invalid session: exit %d" % r.returncode
    assert re.search(r"^%s:%d: " % (re.escape(p), line), r.stderr, re.M), r.stderr


def test_daemon_without_jack_server_keeps_osc():
    """docs/architecture.md: without a JACK server the daemon keeps running, answers OSC and
    retries; it is not a fatal error."""
    d = jmtest.mkdtemp()
    p = write(d, "good.cfg", GOOD)
    name = jmtest.unique_name("jmtnone")
    with jmtest.Daemon(p, name, timeout=5.0) as dm, dm.client() as c:
        c.send("/strip/1/fader", -12.0)
        assert c.query_value("/strip/1/fader") == -12.0
        assert dm.alive()
        # and it connects when a server appears
        js = JackServer(name=name).start()
        try:
            assert jmtest.wait_until(lambda: "jmcli:master_L" in js.ports(), 5.0), \
                "daemon did not register within 5 s of the server appearing"
        finally:
            dm.stop()
            js.stop()
