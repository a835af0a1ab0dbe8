"""make install / uninstall (issue 19): the installed file list and modes
under a DESTDIR, the units' ExecStart at the installed binary, the session
in SYSCONFDIR never overwritten, uninstall leaving nothing but an edited
session; the installed units verified by `systemd-analyze verify` as they
are installed (no path substitution by the test); the sysusers.d and
tmpfiles.d entries applied to a scratch root; the man pages lint-free
(`man --warnings`, as lintian runs it) and complete."""
import os
import re
import shutil
import stat
import subprocess

import jmtest

ROOT = jmtest.ROOT

# every file `make install` writes with the default PREFIX and SYSCONFDIR, and its mode
FILES = {
    "usr/local/bin/jmixd": 0o755,
    "usr/local/lib/systemd/system/jmixd.service": 0o644,
    "usr/local/lib/systemd/system/jackd-dummy.service": 0o644,
    "usr/local/lib/systemd/user/jmixd.service": 0o644,
    "usr/local/lib/sysusers.d/jmixd.conf": 0o644,
    "usr/local/lib/tmpfiles.d/jmixd.conf": 0o644,
    "usr/local/share/man/man1/jmixd.1": 0o644,
    "usr/local/share/man/man5/jmixd.cfg.5": 0o644,
    "etc/jmixd/jmixd.cfg": 0o644,
}


def _make(*args):
    r = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT] + list(args),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout + r.stderr


def _files(top):
    out = {}
    for d, _dirs, names in os.walk(top):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, top)] = stat.S_IMODE(os.lstat(p).st_mode)
    return out


def _directive(path, key):
    return [l.strip()[len(key) + 1:] for l in open(path)
            if l.strip().startswith(key + "=")]


def test_install_into_destdir_file_list_and_uninstall():
    dest = jmtest.mkdtemp("jminst")
    _make("install", "DESTDIR=" + dest)
    got = _files(dest)
    assert got == FILES, "installed %r" % sorted(got.items())
    with open(os.path.join(ROOT, "build", "jmixd"), "rb") as a, \
            open(os.path.join(dest, "usr/local/bin/jmixd"), "rb") as b:
        assert a.read() == b.read()
    cfg = os.path.join(dest, "etc/jmixd/jmixd.cfg")
    assert open(cfg).read() == open(os.path.join(ROOT, "config", "jmixd.cfg")).read()
    # ExecStart names the installed binary, the session path SYSCONFDIR
    unit = os.path.join(dest, "usr/local/lib/systemd/system/jmixd.service")
    assert _directive(unit, "ExecStart") == [
        "/usr/local/bin/jmixd --state /var/lib/jmixd/state.cfg /var/lib/jmixd/jmixd.cfg"]
    assert "/etc/jmixd/jmixd.cfg" in _directive(unit, "ExecStartPre")[0]
    user = os.path.join(dest, "usr/local/lib/systemd/user/jmixd.service")
    assert _directive(user, "ExecStart")[0].startswith("/usr/local/bin/jmixd ")
    # an edited session survives a second install and the uninstall
    with open(cfg, "a") as f:
        f.write("# edited by the operator\n")
    out = _make("install", "DESTDIR=" + dest)
    assert "keeping" in out and open(cfg).read().endswith("# edited by the operator\n")
    out = _make("uninstall", "DESTDIR=" + dest)
    assert sorted(_files(dest)) == ["etc/jmixd/jmixd.cfg"], _files(dest)
    assert "keeping the edited" in out
    # an unedited one goes with the rest
    _make("install", "DESTDIR=" + dest)
    shutil.copy(os.path.join(ROOT, "config", "jmixd.cfg"), cfg)
    _make("uninstall", "DESTDIR=" + dest)
    assert _files(dest) == {}
    jmtest.note("make install: %d files; uninstall leaves none (an edited session stays)"
                % len(FILES))


def test_install_prefix_and_sysconfdir():
    """Another PREFIX and SYSCONFDIR move every file and the units' paths."""
    dest = jmtest.mkdtemp("jminst")
    _make("install", "DESTDIR=" + dest, "PREFIX=/opt/jm", "SYSCONFDIR=/opt/jm/etc")
    got = sorted(_files(dest))
    want = sorted(p.replace("usr/local", "opt/jm").replace("etc/jmixd", "opt/jm/etc/jmixd", 1)
                  if p.startswith("etc/") else p.replace("usr/local", "opt/jm") for p in FILES)
    assert got == want, got
    unit = os.path.join(dest, "opt/jm/lib/systemd/system/jmixd.service")
    assert _directive(unit, "ExecStart")[0].startswith("/opt/jm/bin/jmixd ")
    pre = _directive(unit, "ExecStartPre")[0]
    assert "cp /opt/jm/etc/jmixd/jmixd.cfg " in pre and " /etc/jmixd" not in pre


def test_installed_units_verify():
    """Installed with PREFIX and SYSCONFDIR in a scratch folder, so that the
    units name a binary and a session that exist: `systemd-analyze verify`
    on the files as installed, no warning; the installed binary checks the
    installed session."""
    if not shutil.which("systemd-analyze"):
        raise AssertionError("systemd-analyze is missing (package systemd)")
    top = jmtest.mkdtemp("jminst")
    prefix, etc = os.path.join(top, "usr"), os.path.join(top, "etc")
    _make("install", "PREFIX=" + prefix, "SYSCONFDIR=" + etc)
    sysdir = os.path.join(prefix, "lib/systemd/system")
    units = [os.path.join(sysdir, u) for u in ("jmixd.service", "jackd-dummy.service")]
    binary = os.path.join(prefix, "bin", "jmixd")
    start = _directive(units[0], "ExecStart")[0].split()
    assert start[0] == binary and os.access(binary, os.X_OK), start
    r = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True, text=True,
                       cwd=top)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
    user = os.path.join(prefix, "lib/systemd/user/jmixd.service")
    xdg = jmtest.mkdtemp("jmxdg")
    os.chmod(xdg, 0o700)
    r = subprocess.run(["systemd-analyze", "--user", "verify", user], capture_output=True,
                       text=True, cwd=top, env=dict(os.environ, XDG_RUNTIME_DIR=xdg))
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
    r = subprocess.run([binary, "--check", os.path.join(etc, "jmixd", "jmixd.cfg")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    jmtest.note("installed units verified: %s" % ", ".join(os.path.basename(u) for u in units
                                                          + [user]))


def test_sysusers_and_tmpfiles_entries():
    """Applied to a scratch root: the jmixd user (member of audio, home
    /var/lib/jmixd, no login) and its state folders, 0750 jmixd:audio."""
    for tool in ("systemd-sysusers", "systemd-tmpfiles"):
        if not shutil.which(tool):
            raise AssertionError("%s is missing (package systemd)" % tool)
    root = jmtest.mkdtemp("jmroot")
    os.makedirs(os.path.join(root, "etc"))
    r = subprocess.run(["systemd-sysusers", "--root=" + root,
                        os.path.join(ROOT, "systemd", "jmixd.sysusers")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    users = {l.split(":")[0]: l.strip().split(":") for l in open(os.path.join(root, "etc/passwd"))}
    groups = {l.split(":")[0]: l.strip().split(":") for l in open(os.path.join(root, "etc/group"))}
    assert "jmixd" in users and users["jmixd"][5] == "/var/lib/jmixd", users
    assert users["jmixd"][6].endswith("nologin"), users["jmixd"]
    assert int(users["jmixd"][2]) < 1000          # a system user
    assert "jmixd" in groups["audio"][3].split(","), groups["audio"]
    r = subprocess.run(["systemd-tmpfiles", "--root=" + root, "--create",
                        os.path.join(ROOT, "systemd", "jmixd.tmpfiles")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    uid, gid = int(users["jmixd"][2]), int(groups["audio"][2])
    for d in ("", "/recordings", "/sessions"):
        st = os.stat(os.path.join(root, "var/lib/jmixd" + d))
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o750, d
        assert (st.st_uid, st.st_gid) == (uid, gid), (d, st.st_uid, st.st_gid)


MANS = [os.path.join(ROOT, "man", "jmixd.1"), os.path.join(ROOT, "man", "jmixd.cfg.5")]


def _man_text(page):
    r = subprocess.run(["man", "-l", "-Tutf8", page], capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING=""))
    assert r.returncode == 0, r.stderr
    return re.sub(r".\x08", "", r.stdout)


def test_man_pages_lint():
    """man --warnings as lintian runs it: nothing on stderr."""
    if not shutil.which("man"):
        raise AssertionError("man is missing (package man-db)")
    for page in MANS:
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", page],
                           capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
        assert r.returncode == 0 and not r.stderr.strip(), (page, r.stderr)
        assert r.stdout.strip(), page
    r = subprocess.run(["python3", os.path.join(ROOT, "scripts", "man_params.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_man_pages_complete():
    """jmixd(1) names every option of docs/cli.md's table, every exit code,
    signal and environment variable the sources read; jmixd.cfg(5) every
    top-level session key and every parameter path of docs/parameters.md."""
    one = _man_text(MANS[0])
    cli = open(os.path.join(ROOT, "docs", "cli.md")).read()
    run_table = cli.split("## Running the console", 1)[1].split("###", 1)[0]
    opts = set(re.findall(r"`(--[a-z-]+)", run_table)) | set(re.findall(r"`(-[a-z])`,", run_table))
    assert len(opts) == 13, opts
    for o in sorted(opts) + ["--check", "--list-params", "--describe-params", "render", "layout"]:
        assert re.search(r"(^|[\s\[|,])%s\b" % re.escape(o), one), o
    for sect in ("SIGNALS", "EXIT STATUS", "ENVIRONMENT", "FILES"):
        assert re.search(r"^%s$" % sect, one, re.M), sect
    for sig in ("SIGTERM", "SIGINT", "SIGHUP"):
        assert sig in one
    env_sect = one.split("\nENVIRONMENT\n", 1)[1].split("\nFILES\n", 1)[0]
    srcs = subprocess.run(["grep", "-rhoE", r'getenv\("[A-Z_]+"\)', os.path.join(ROOT, "src")],
                          capture_output=True, text=True).stdout
    envs = set(re.findall(r'"([A-Z_]+)"', srcs))
    assert envs and all(e in env_sect for e in envs), (envs, env_sect)
    exit_sect = one.split("\nEXIT STATUS\n", 1)[1].split("\nENVIRONMENT\n", 1)[0]
    assert re.findall(r"^ {7}(\d+)\s", exit_sect, re.M) == ["0", "1", "2"], exit_sect
    five = _man_text(MANS[1])
    session = open(os.path.join(ROOT, "docs", "session.md")).read()
    top = session.split("## Top-level keys", 1)[1].split("###", 1)[0]
    keys = re.findall(r"^\| `([a-z_0-9]+)` \|", top, re.M)
    assert len(keys) >= 18, keys
    for k in keys:
        assert re.search(r"^ {7}%s(\s|$)" % k, five, re.M), k
    for group in ("osc", "web", "midi"):
        sect = session.split("### %s\n" % group, 1)[1].split("\n###", 1)[0]
        table = re.search(r"(^\|.*\n)+", sect, re.M).group(0)    # the group's own keys
        for k in re.findall(r"^\| `([a-z_]+)` \|", table, re.M):
            assert re.search(r"^ {7}%s(\s|$)" % k, five, re.M), (group, k)
    params = open(os.path.join(ROOT, "docs", "parameters.md")).read()
    paths = set(re.findall(r"^\| `(/[^`]+)` \|", params, re.M))
    assert len(paths) > 60
    for p in paths:
        assert re.search(r"^ {7}%s(\s|$)" % re.escape(p), five, re.M), p


def test_example_session_shows_the_console():
    """config/jmixd.cfg (make run, /etc/jmixd/jmixd.cfg): valid, with a
    reverb bus fed by strip sends, the web surface and the X32 port on, and
    run.sh prints where to open them."""
    cfg = os.path.join(ROOT, "config", "jmixd.cfg")
    r = jmtest.run_jmixd("--list-params", cfg)
    assert r.returncode == 0, r.stderr
    params = {l.split()[0]: l.split() for l in r.stdout.splitlines()}
    assert "/bus/1/reverb/size" in params and "/bus/1/reverb/predelay" in params
    assert "/strip/1/send/1/level" in params and "/strip/4/send/1/level" in params
    text = open(cfg).read()
    assert re.search(r"^web = \{ port = 8080; \};", text, re.M)
    assert re.search(r"^x32 = \{ port = 10023; \};", text, re.M)
    assert re.search(r'name = "verb"; type = "reverb";', text)
    run = open(os.path.join(ROOT, "scripts", "run.sh")).read()
    for what in ("web surface  http://localhost:${web:-8080}/", "X32 dialect  udp://",
                 "OSC          udp://"):
        assert what in run, what
