"""Issue 14, items 7 and 8: a controller cannot grow an automation lane
without limit nor wear out the disk the state lives on.

- test_fader_flood_in_write_mode_stays_bounded: tens of thousands of fader
  moves while a write pass rolls; the lane stays under its cap (10,000
  points, a smooth move is thinned to a handful), /info keeps answering
  within 50 ms, and the console keeps mixing.
- test_state_bytes_per_fader_move: 128 snapshots stored, then a fader moved
  at 30 Hz for 10 s: the daemon writes a few KB, not the whole state
  (snapshots included) on every save.
- test_old_single_file_state_is_read_then_split: a state file in the old
  single-file layout is read, and the next save writes the new layout.
"""
import os
import re
import statistics
import time

import jmtest
from jmtest import Daemon, Probe

SESSION = """
strips = ( { name = "a"; input = [ ]; }, { name = "b"; input = [ ]; } );
master = { output = [ ]; };
"""
LANE_CAP = 10000


def snapshot_names(c):
    """Every snapshot name, following the pages of /snapshot/list."""
    names, offset = [], 0
    while True:
        c.drain(0)
        c.send("/snapshot/list", ("i", offset))
        page = c.collect_quiet(0.3)
        names += [m[1][0] for m in page if m[0] == "/snapshot"]
        more = [m for m in page if m[0] == "/snapshot/list/more"]
        if not more:
            return names
        offset = more[0][1][0]


def lanes(c):
    c.send("/automation/list")
    return {m[1][0]: m[1][1:] for m in c.collect_quiet(0.3) if m[0] == "/automation/lane"}


def info_ms(c, n=10):
    out = []
    for _ in range(n):
        t0 = time.monotonic()
        assert c.query("/info"), "no /info reply"
        out.append((time.monotonic() - t0) * 1000.0)
    return out


def wchar(pid):
    with open("/proc/%d/io" % pid) as f:
        return {k: int(v) for k, v in (ln.split(": ") for ln in f.read().splitlines())}


def test_fader_flood_in_write_mode_stays_bounded(module_jack):
    JS = module_jack
    with Daemon(SESSION, JS) as d, d.client() as c:
        c.send("/automation/mode", "/strip/a/fader", "write")
        c.send("/automation/mode", "/strip/b/fader", "write")
        jmtest.settle(c)
        sent = {"smooth": 0, "jagged": 0}

        def flood():
            # a smooth move (strip a) and a jagged one (strip b), interleaved
            t0 = time.monotonic()
            k = 0
            while time.monotonic() - t0 < 5.0 and k < 60000:
                # 12 dB/s: at the rate transport time moves (a JACK period),
                # successive values lie on a line within 0.1 dB
                c.send("/strip/a/fader", -60.0 + 12.0 * (time.monotonic() - t0))
                c.send("/strip/b/fader", -20.0 if k % 2 else 0.0)
                k += 1
                if k % 200 == 0:
                    time.sleep(0.001)       # let the socket drain
            sent["smooth"] = sent["jagged"] = k
        Probe.run(JS, play=[], capture=["jmixd:master_L"], seconds=6.0,
                  roll_from=0, during=flood)
        time.sleep(0.3)
        got = lanes(c)
        ms = info_ms(c)
        na, nb = got["/strip/a/fader"][1], got["/strip/b/fader"][1]
        log = d.stderr_text()
        full = [ln for ln in log.splitlines() if "is full" in ln]
        jmtest.note("%d moves of each fader in write mode: smooth lane %d points, jagged lane "
                    "%d points (cap %d); 'full' log lines %d; /info %s ms (median %.1f)" % (
                        sent["smooth"], na, nb, LANE_CAP, len(full),
                        " ".join("%.1f" % x for x in ms), statistics.median(ms)))
        assert sent["smooth"] >= 20000, "the flood sent only %d moves" % sent["smooth"]
        # the move is a line in wall time; the lane stamps transport time, which a
        # loaded dummy server runs unevenly (203 points were seen then), so the
        # bound is loose: still 1 point for 20 moves or more
        assert 2 <= na <= 1000, "a smooth move is thinned: %d points" % na
        assert nb <= LANE_CAP, "the jagged lane passed the cap: %d points" % nb
        if nb > LANE_CAP - 10:
            assert len(full) == 1, "one log line per stopped pass: %r" % full
        assert statistics.median(ms) <= 50.0, "/info took %r ms after the flood" % ms
        # the written moves play: read mode, the lane is there and the console answers
        c.send("/automation/mode", "/strip/a/fader", "read")
        assert c.query_value("/strip/a/fader") is not None
        assert d.alive()


def test_state_bytes_per_fader_move(module_jack):
    JS = module_jack
    d = jmtest.mkdtemp("jmsecstate")
    state = os.path.join(d, "state.cfg")
    with Daemon(SESSION, JS, state=state) as dm, dm.client() as c:
        for k in range(128):
            c.send("/strip/b/trim", -10.0 + k * 0.1)   # every snapshot different
            c.send("/snapshot/save", "s%03d" % k)
        jmtest.settle(c)
        names = snapshot_names(c)
        assert len(names) == 128, "%d snapshots stored" % len(names)
        # the snapshots reach the disk once
        assert jmtest.wait_until(lambda: open(state).read().count("@snapfile") == 128, 5.0)
        time.sleep(1.5)
        files = sorted(os.listdir(d))
        total = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        main = os.path.getsize(state)
        io0 = wchar(dm.proc.pid)
        mt0 = {f: os.path.getmtime(os.path.join(d, f)) for f in files}
        t0 = time.monotonic()
        k = 0
        while time.monotonic() - t0 < 10.0:
            k += 1
            c.send("/strip/a/fader", -(k % 600) / 10.0)
            time.sleep(max(0.0, t0 + k / 30.0 - time.monotonic()))
        last = -(k % 600) / 10.0
        assert c.query_value("/strip/a/fader") == last
        time.sleep(1.5)
        io1 = wchar(dm.proc.pid)
        written = io1["wchar"] - io0["wchar"]
        touched = [f for f in os.listdir(d)
                   if os.path.getmtime(os.path.join(d, f)) != mt0.get(f)]
        jmtest.note("%d fader moves over 10 s with 128 snapshots stored: daemon wrote %d bytes "
                    "(wchar; write_bytes %d); files changed: %r; main file %d bytes, all state "
                    "files %d bytes (the old layout rewrote all of it on every save, every "
                    "0.25 s)" % (k, written, io1["write_bytes"] - io0["write_bytes"], touched,
                                 main, total))
        assert written <= 300 * 1024, "%d bytes written for %d fader moves" % (written, k)
        assert touched == [os.path.basename(state)], touched
    # the last value is in the state, and the snapshots load back
    with Daemon(SESSION, JS, state=state) as dm, dm.client() as c:
        assert c.query_value("/strip/a/fader") == last
        assert len(snapshot_names(c)) == 128
        c.send("/snapshot/recall", "s127")
        jmtest.settle(c)
        assert abs(c.query_value("/strip/b/trim") - 2.7) < 1e-4


def test_old_single_file_state_is_read_then_split(module_jack):
    JS = module_jack
    d = jmtest.mkdtemp("jmsecold")
    state = os.path.join(d, "state.cfg")
    with open(state, "w") as f:
        f.write("# jmixd state 1\n/strip/a/fader -7.5\n/strip/b/pan 0.25\n"
                "@lane /strip/a/trim read\n0 -20\n2 0\n"
                "@snapshot verse\n/strip/a/fader -3\n/strip/b/mute 1\n"
                "@snapshot chorus\n/strip/a/fader -1\n")
    with Daemon(SESSION, JS, state=state) as dm, dm.client() as c:
        assert c.query_value("/strip/a/fader") == -7.5
        assert c.query_value("/strip/b/pan") == 0.25
        assert lanes(c)["/strip/a/trim"] == ["read", 2]
        assert sorted(snapshot_names(c)) == \
            ["chorus", "verse"]
        c.send("/strip/b/fader", -4.0)
        assert c.query_value("/strip/b/fader") == -4.0
        assert jmtest.wait_until(lambda: "@snapfile" in open(state).read(), 3.0), \
            "the new layout written at the next save"
        text = open(state).read()
        assert "@snapshot " not in text and "@lane " not in text, text
        files = sorted(os.listdir(d))
        jmtest.note("old single-file state read; next save wrote %r" % files)
        assert "state.cfg.lanes" in files
        assert len([f for f in files if re.match(r"state\.cfg\.snap\.\d+$", f)]) == 2, files
        c.send("/snapshot/delete", "chorus")
        c.send("/strip/b/fader", -5.0)
        assert jmtest.wait_until(lambda: len([f for f in os.listdir(d) if ".snap." in f]) == 1,
                                 3.0), "a deleted snapshot's file is removed"
        dm.kill9()
    with Daemon(SESSION, JS, state=state) as dm, dm.client() as c:
        assert c.query_value("/strip/b/fader") == -5.0
        assert lanes(c)["/strip/a/trim"] == ["read", 2]
        c.send("/snapshot/recall", "verse")
        jmtest.settle(c)
        assert c.query_value("/strip/a/fader") == -3.0
        assert c.query_value("/strip/b/mute") == 1
