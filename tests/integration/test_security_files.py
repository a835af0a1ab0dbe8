"""Issue 14, files: no controller can write outside the console's own
folders, overwrite, follow a link, block on a FIFO or fill the disk, and no
session file can kill or wedge the daemon.

Each test performs the attack against a live daemon and asserts that it
fails (an /error, nothing written, nothing changed), and that legitimate
use still works: recording and saving by name. Controllers name files,
never paths (docs/osc.md, "Files"): recordings go to the session's
`recordings` folder, saved sessions to its `sessions` folder.
"""
import os
import signal
import subprocess
import time

import pytest

import jmtest
from jmtest import Daemon

CUT = 95   # the OSC layer keeps at most 95 bytes of a string argument


def session(folder, extra=""):
    return jmtest.session_text(
        [{"name": "a", "channels": 2, "input": []}], jack_name=jmtest.unique_name("jmsec"),
        extra='recordings = "%s/rec";\nsessions = "%s/sess";\n%s' % (folder, folder, extra))


def listing(folder):
    """Every path under folder (files, links, FIFOs), relative."""
    out = set()
    for root, dirs, files in os.walk(folder):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(root, n), folder))
    return out


def error_for(c, address, *args, timeout=2.0):
    c.drain(0)
    c.send(address, *args)
    m = c.wait_for("/error", timeout)
    return m[1] if m else None


def test_session_save_refuses_paths_and_never_overwrites(module_jack):
    tmp = jmtest.mkdtemp("jmsecs")
    owned = "/tmp/" + jmtest.unique_name("owned")
    attacks = [owned, "../escape.cfg", "sess/../../x.cfg", ".hidden.cfg", "a/b.cfg",
               "ctl\x01.cfg", "x" * 101, "y" * 107, "z" * 96]
    with Daemon(session(tmp), module_jack) as d, d.client() as c:
        before = listing(tmp)
        refused = []
        for name in attacks:
            e = error_for(c, "/session/save", name)
            refused.append((name[:20], e[1] if e else None))
            assert e and e[0] == "/session/save", "/session/save %r was not refused: %r" % (
                name[:40], e)
        assert not os.path.exists(owned), "a session was written to " + owned
        assert listing(tmp) == before, "files appeared: %r" % (listing(tmp) - before)
        for cut in ("y" * CUT, "z" * CUT):
            assert not os.path.exists(os.path.join(tmp, "sess", cut)), "saved under a cut name"
        # by name: works, lands in the sessions folder, loads
        c.drain(0)
        c.send("/session/save", "mix.cfg")
        m = c.wait_for("/session/save", 3.0)
        saved = os.path.join(tmp, "sess", "mix.cfg")
        assert m and m[1][0] == saved, m
        assert jmtest.run_jmixd("--check", saved).returncode == 0
        mode = os.stat(os.path.join(tmp, "sess")).st_mode & 0o777
        first = open(saved, "rb").read()
        # never overwritten: the same name again, and a link planted under a name
        e = error_for(c, "/session/save", "mix.cfg")
        assert e and "exists" in e[1], e
        target = os.path.join(tmp, "precious.txt")
        with open(target, "w") as f:
            f.write("precious")
        os.symlink(target, os.path.join(tmp, "sess", "link.cfg"))
        e2 = error_for(c, "/session/save", "link.cfg")
        assert e2, "a save through a link was not refused"
        assert open(saved, "rb").read() == first
        assert open(target).read() == "precious"
        # without a name: the session file itself, atomically
        c.drain(0)
        c.send("/session/save")
        m = c.wait_for("/session/save", 3.0)
        assert m and m[1][0] == d.session_path, m
        assert d.alive()
        jmtest.note("/session/save: %d paths refused (%s), e.g. %r; by name -> %s (folder mode "
                    "%o); again -> %r; through a link -> %r" % (
                        len(attacks), ", ".join(n for n, _ in refused[:4]), refused[0][1], saved,
                        mode, e[1], e2[1]))
        assert mode & 0o027 == 0


def _reply(c, paths, timeout=3.0):
    """The first message on one of `paths`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = c.recv(0.1)
        if m and m[0] in paths:
            return m
    return None


def test_session_save_cap(module_jack):
    tmp = jmtest.mkdtemp("jmseccap")
    with Daemon(session(tmp), module_jack) as d, d.client() as c:
        ok, refused = 0, []
        for i in range(14):
            c.drain(0)
            c.send("/session/save", "s%02d.cfg" % i)
            m = _reply(c, ("/session/save", "/error"))
            if m and m[0] == "/session/save":
                ok += 1
            else:
                refused.append(m[1][1] if m else None)
        saved = sorted(os.listdir(os.path.join(tmp, "sess")))
        jmtest.note("14 saves in a row: %d written, %d refused (%r)" % (ok, len(refused),
                                                                      refused[:1]))
        assert ok == 10 and len(saved) == 10, (ok, saved)
        assert refused and all(r and "too many saves" in r for r in refused), refused
        assert d.alive()


def _record(c, name, timeout=3.0):
    c.drain(0)
    c.send("/record/start", name)
    t0 = time.monotonic()
    m = c.wait_for("/record/status", timeout)
    return (m[1] if m else None), time.monotonic() - t0


def _stop(c):
    c.drain(0)
    c.send("/record/stop")
    return c.wait_for("/record/status", 5.0)


def test_record_refuses_paths_links_fifos_and_never_overwrites(module_jack):
    tmp = jmtest.mkdtemp("jmsecr")
    rec = os.path.join(tmp, "rec")
    owned = "/tmp/" + jmtest.unique_name("owned") + ".wav"
    with Daemon(session(tmp), module_jack) as d, d.client() as c:
        # paths of every kind: /error, nothing created
        for name in (owned, "../up.wav", "rec/../../up.wav", "sub/x.wav", ".x.wav",
                     "tab\tx.wav", "x" * 97 + ".wav"):
            e = error_for(c, "/record/start", name)
            assert e and e[0] == "/record/start" and "bad file name" in e[1], (name[:30], e)
        assert not os.path.exists(owned)
        assert not os.path.exists(os.path.join(tmp, "up.wav"))
        # a first take by name creates the folder
        st, _ = _record(c, "take.wav")
        assert st and st[0] == 1 and st[1] == os.path.join(rec, "take.wav"), st
        assert _stop(c)
        mode = os.stat(rec).st_mode & 0o777
        # what an attacker plants: a file, a link to a file elsewhere (as to
        # /dev/shm/jack-shm-registry), a FIFO
        target = os.path.join(tmp, "jack-shm-registry-standin")
        with open(target, "wb") as f:
            f.write(b"JACK" + bytes(60))
        os.symlink(target, os.path.join(rec, "link.wav"))
        os.mkfifo(os.path.join(rec, "fifo.wav"))
        take = open(os.path.join(rec, "take.wav"), "rb").read()
        got = {}
        for name in ("take.wav", "link.wav", "fifo.wav", "take.wav"):
            st, dt = _record(c, name)
            assert st and st[0] == 1, "/record/start %s: %r" % (name, st)
            got.setdefault(name, []).append((os.path.basename(st[1]), round(dt * 1000, 1)))
            assert _stop(c)
        jmtest.note("folder mode %o; taken names -> %r" % (mode, got))
        assert [n for n, _ in got["take.wav"]] == ["take-2.wav", "take-3.wav"], got
        assert got["link.wav"][0][0] == "link-2.wav" and got["fifo.wav"][0][0] == "fifo-2.wav"
        assert all(dt < 2000 for v in got.values() for _, dt in v), "a start blocked"
        assert open(target, "rb").read() == b"JACK" + bytes(60), "the link's target was written"
        assert open(os.path.join(rec, "take.wav"), "rb").read() == take
        assert os.path.islink(os.path.join(rec, "link.wav"))
        assert mode & 0o027 == 0
        assert d.alive()
        c.send("/info")
        assert c.wait_for("/info", 2.0)


def test_record_disk_floor_stops_and_tells(module_jack):
    tmp = jmtest.mkdtemp("jmsecf")
    # a floor no disk here meets: the disk thread stops the take at once
    with Daemon(session(tmp, "record_min_free_mb = 1000000000;"), module_jack) as d, \
            d.client() as c, jmtest.OscClient(d.osc_port) as sub:
        sub.send("/subscribe")
        time.sleep(0.3)
        sub.drain(0)
        st, _ = _record(c, "full.wav")
        assert st and st[0] == 1, st
        e = c.wait_for("/error", 3.0)
        se = sub.wait_for("/error", 3.0)
        status = c.query("/record/status")
        jmtest.note("floor 1e9 MB: starter got %r; subscriber got %r; status %r" % (
            e and e[1], se and se[1], status))
        assert e and e[1][0] == "/record/start" and "floor" in e[1][1], e
        assert se and "floor" in se[1][1], se
        assert status[0] == 0, status
        assert "under the 1000000000 MB floor" in d.stderr_text()
        assert d.alive()


def test_bad_session_on_sighup_keeps_the_console(module_jack):
    tmp = jmtest.mkdtemp("jmsechup")
    text = session(tmp)
    with Daemon(text, module_jack) as d, d.client() as c:
        assert c.set_and_confirm("/strip/a/fader", -7.0)
        lines = []
        attacks = [("@include + 3000 spaces", "@include" + " " * 3000 + '"."\n' + text),
                   ("a FIFO", None), ("/dev/zero", "zero"), ("5 MiB", "#" * (5 << 20) + "\n")]
        for what, body in attacks:
            if os.path.lexists(d.session_path):
                os.remove(d.session_path)
            if body is None:
                os.mkfifo(d.session_path)
            elif body == "zero":
                os.symlink("/dev/zero", d.session_path)
            else:
                with open(d.session_path, "w") as f:
                    f.write(body)
            n0 = d.stderr_text().count("SIGHUP")
            d.signal(signal.SIGHUP)
            time.sleep(0.5)
            assert d.alive(), "jmixd died on SIGHUP with %s" % what
            c.drain(0)
            c.send("/info")
            assert c.wait_for("/info", 2.0), "jmixd wedged on SIGHUP with %s" % what
            assert c.query_value("/strip/a/fader") == -7.0, what
            new = [l for l in d.stderr_text().splitlines() if "SIGHUP" in l][n0:]
            assert len(new) == 1, (what, new)
            lines.append("%s -> %s" % (what, new[0][-90:]))
        jmtest.note("; ".join(lines))


def test_check_refuses_devices_fifos_and_long_paths(tmp_path):
    fifo = str(tmp_path / "fifo.cfg")
    os.mkfifo(fifo)
    out = []
    for f in ("/dev/zero", fifo):
        t0 = time.monotonic()
        r = jmtest.run_jmixd("--check", f, timeout=10)
        out.append("%s: exit %d in %.0f ms (%s)" % (os.path.basename(f), r.returncode,
                                                    (time.monotonic() - t0) * 1000,
                                                    r.stderr.strip()[-60:]))
        assert r.returncode == 1 and "not a regular file" in r.stderr, r.stderr
    # a path that does not fit is refused, never cut: the session's state,
    # and --state on the command line
    good = str(tmp_path / "s.cfg")
    with open(good, "w") as f:
        f.write('strips = ( );\n')
    longstate = "/var/lib/" + "a" * 1100 + "/state.cfg"
    bad = str(tmp_path / "long.cfg")
    with open(bad, "w") as f:
        f.write('strips = ( );\nstate = "%s";\n' % longstate)
    r = jmtest.run_jmixd("--check", bad)
    assert r.returncode == 1 and (bad + ":2: state:") in r.stderr and "too long" in r.stderr, \
        r.stderr
    r2 = jmtest.run_jmixd("--state", longstate, "--check", good)
    assert r2.returncode == 1 and "longer than" in r2.stderr, r2.stderr
    out.append("long state key: %s" % r.stderr.strip()[-70:])
    out.append("long --state: %s" % r2.stderr.strip()[-70:])
    jmtest.note("; ".join(out))
