"""Multitrack recording through the live daemon (issue 21, docs/osc.md
"Recording").

16 strips, strip 2 ("keys") stereo at unity (balance centre, fader 0 dB),
the 15 mono strips muted: master_L/R then carry keys' input bit for bit.
jm_probe's frame counter (counter:0, the low 12 bits of the frame index,
and counter:12, the high 12 bits; exact in float) goes into keys L and R,
counter:12 into strip 1 and counter:0 into strips 3..16. A take of every
strip's input (before trim: a mute does not touch it) and the master is
then aligned to the frame iff, frame by frame, strip 1 and strip 3 decode
to n0, n0 + 1, ..., every other mono file equals strip 3, keys equals (strip
3, strip 1), and master.wav equals keys.wav.

The take runs with the JACK server in freewheel mode paced to 6x real time
(as test_record.py): 30 s of audio in about 5 s.
"""
import os
import time

import pytest

import jmtest
from jmtest import Daemon, JackServer, Probe

RATE = 48000
PERIOD = 1024
SPEED = 6
STRIPS = 16


def session(folder):
    strips = []
    for i in range(1, STRIPS + 1):
        if i == 2:
            strips.append({"name": "keys", "channels": 2, "input": []})
        else:
            strips.append({"name": "s%d" % i, "input": [], "mute": "true"})
    return jmtest.session_text(strips, jack_name="jmixd", extra='recordings = "%s";' % folder)


PLAY = ([("jmixd:keys_L", "counter:0"), ("jmixd:keys_R", "counter:12"), ("jmixd:s1", "counter:12")]
        + [("jmixd:s%d" % i, "counter:0") for i in range(3, STRIPS + 1)])


def file_name(i):
    return "%02d %s.wav" % (i, "keys" if i == 2 else "s%d" % i)


def status(c, timeout=3.0):
    """-> (recording, folder, seconds, dropped)"""
    c.drain(0)
    c.send("/record/multitrack/status")
    m = c.wait_for("/record/multitrack/status", timeout)
    assert m, "no reply to /record/multitrack/status"
    assert len(m[1]) == 4, "/record/multitrack/status: expected i s f i, got %r" % (m[1],)
    return tuple(m[1])


def decode(lo, hi):
    return int(round(lo * 4096.0)) + 4096 * int(round(hi * 4096.0))


@pytest.mark.timeout(120)
def test_take_of_16_strips_aligned_to_the_frame():
    rec_dir = jmtest.mkdtemp("jmtmt")
    with JackServer(period=PERIOD) as js, Daemon(session(rec_dir), js) as d, d.client() as c:
        out = {}

        def during():
            c.drain(0)
            c.send("/record/multitrack/start", "gig")
            m = c.wait_for("/record/multitrack/status", 5.0)
            assert m and m[1][0] == 1, "/record/multitrack/start: %r" % (m,)
            out["folder"] = m[1][1]
            deadline = time.monotonic() + 30.0 / SPEED * 4 + 10
            st = status(c)
            while st[2] < 30.0 and time.monotonic() < deadline:
                time.sleep(0.05)
                st = status(c)
            c.drain(0)
            c.send("/record/multitrack/stop")
            m = c.wait_for("/record/multitrack/status", 10.0)
            assert m, "no /record/multitrack/status after /record/multitrack/stop"
            out["stop"] = tuple(m[1])

        cap = Probe.run(js, play=PLAY, capture=[], seconds=40.0, during=during, freewheel=SPEED)
        assert cap.meta["gaps"] == 0, cap.meta
        rec, folder, secs, dropped = out["stop"]
        assert rec == 0 and folder == os.path.join(rec_dir, "gig"), out["stop"]
        assert dropped == 0, "%d frames dropped" % dropped
        assert secs >= 30.0, out["stop"]
        names = sorted(n for n in os.listdir(folder) if n.endswith(".wav"))
        assert names == sorted([file_name(i) for i in range(1, STRIPS + 1)] + ["master.wav"]), names
        assert sorted(os.listdir(folder)) == sorted(names + ["take.cfg"]), os.listdir(folder)

        files = {}
        for name in names:
            meta, data = jmtest.sound_read(os.path.join(folder, name))
            assert meta["rate"] == RATE, (name, meta)
            assert meta["format"] == jmtest.SF_FORMAT_WAV | jmtest.SF_FORMAT_FLOAT, (name, hex(meta["format"]))
            want_ch = 2 if name in (file_name(2), "master.wav") else 1
            assert meta["channels"] == want_ch, (name, meta)
            files[name] = (meta, data)
        frames = {meta["frames"] for meta, _ in files.values()}
        assert frames == {int(round(secs * RATE))}, (
            "every file holds the take's length: %r, status %.5f s" % (frames, secs))
        n = frames.pop()

        lo, hi = files[file_name(3)][1], files[file_name(1)][1]
        n0 = decode(lo[0], hi[0])
        assert n0 > 0, "the take starts with silence, not the counter"
        bad = [k for k in range(n) if decode(lo[k], hi[k]) != n0 + k]
        assert not bad, "strips 1 and 3 do not count on at frame %d (of %d)" % (bad[0], n)
        for i in range(4, STRIPS + 1):
            assert files[file_name(i)][1] == lo, "%s differs from %s" % (file_name(i), file_name(3))
        keys = files[file_name(2)][1]
        assert keys[0::2] == lo and keys[1::2] == hi, "keys is not (strip 3, strip 1) frame by frame"
        assert files["master.wav"][1] == keys, "master.wav is not keys.wav bit for bit"
        # the take's session renders, and its master is the recorded one
        outp = os.path.join(jmtest.mkdtemp("jmtmtr"), "bounce.wav")
        r = jmtest.run_jmixd("render", os.path.join(folder, "take.cfg"), "-o", outp)
        assert r.returncode == 0, r.stderr
        meta, bounce = jmtest.sound_read(outp)
        assert meta["channels"] == 2 and meta["frames"] >= n, meta
        worst = max(abs(a - b) for a, b in zip(bounce[:2 * n], files["master.wav"][1]))
        assert worst <= 1e-6, "the take's render differs from master.wav by %g" % worst
        jmtest.note("take.cfg rendered: %d frames, largest difference from master.wav %g"
                    % (meta["frames"], worst))
        # offline a strip's stem is also its file: source "file" renders the same
        text = jmtest.read_text(os.path.join(folder, "take.cfg"))
        assert text.count('source = 0.0;') == STRIPS, text[:400]      # enums are saved as indexes
        cfg2 = os.path.join(folder, "take-file.cfg")
        with open(cfg2, "w") as f:
            f.write(text.replace('source = 0.0;', 'source = 1.0;'))
        outp2 = os.path.join(os.path.dirname(outp), "bounce2.wav")
        r = jmtest.run_jmixd("render", cfg2, "-o", outp2)
        assert r.returncode == 0, r.stderr
        assert jmtest.sound_read(outp2)[1] == bounce, "source \"file\" renders differently"
        jmtest.note("take of %d strips + master: %d frames (%.3f s) in %d files, 0 dropped; "
                    "counter %d..%d in every file at the same frame; master = keys bit for bit"
                    % (STRIPS, n, n / RATE, len(files), n0, n0 + n - 1))
        assert "disk ring full" not in d.stderr_text()
        assert d.alive()


@pytest.mark.timeout(60)
def test_take_names_and_errors():
    rec_dir = jmtest.mkdtemp("jmtmt")
    with JackServer(period=PERIOD) as js, Daemon(session(rec_dir), js) as d, d.client() as c:
        assert status(c) == (0, "", 0.0, 0)
        for bad in ("../up", "a/b", ".hidden"):
            c.drain(0)
            c.send("/record/multitrack/start", bad)
            m = c.wait_for("/error", 3.0)
            assert m and "bad file name" in m[1][1], (bad, m)
        assert os.listdir(rec_dir) == [] if os.path.isdir(rec_dir) else True
        c.drain(0)
        c.send("/record/multitrack/stop")
        m = c.wait_for("/error", 3.0)
        assert m and "no take running" in m[1][1], m
        folders = []
        for _ in range(2):
            c.drain(0)
            c.send("/record/multitrack/start", "gig")
            m = c.wait_for("/record/multitrack/status", 5.0)
            assert m and m[1][0] == 1, m
            folders.append(m[1][1])
            c.drain(0)
            c.send("/record/multitrack/start", "other")
            m = c.wait_for("/error", 3.0)
            assert m and "already recording" in m[1][1], m
            time.sleep(0.3)
            c.drain(0)
            c.send("/record/multitrack/stop")
            m = c.wait_for("/record/multitrack/status", 5.0)
            assert m and m[1][0] == 0, m
        assert folders == [os.path.join(rec_dir, "gig"), os.path.join(rec_dir, "gig-2")], folders
        c.drain(0)
        c.send("/record/multitrack/start")          # no name: a dated take
        m = c.wait_for("/record/multitrack/status", 5.0)
        assert m and m[1][0] == 1 and os.path.basename(m[1][1]).startswith("take-"), m
        c.send("/record/multitrack/stop")
        assert c.wait_for("/record/multitrack/status", 5.0)
        # the master recorder is another thing: its status is untouched
        c.drain(0)
        c.send("/record/status")
        m = c.wait_for("/record/status", 3.0)
        assert m and m[1][0] == 0, m
        assert d.alive()


@pytest.mark.timeout(60)
def test_take_session_keeps_values_and_shifts_lanes():
    """take.cfg: every parameter as at the take's start (a fader moved during
    the take is not in it), strips' files named, and a lane shifted to the
    transport position at the start: (0 s, -10 dB) .. (20 s, -30 dB) with
    the take starting at 5 s becomes (0, -15) .. (15, -30)."""
    rec_dir = jmtest.mkdtemp("jmtmt")
    text = session(rec_dir) + ('automation = ( { param = "/strip/s3/fader"; mode = "off"; '
                               'points = ( (0.0, -10.0), (20.0, -30.0) ); } );\n')
    with JackServer(period=PERIOD) as js, Daemon(text, js) as d, d.client() as c:
        c.send("/strip/s4/fader", -7.5)
        lib, client = jmtest.jack_client(js, "jmtmtloc")
        try:
            assert lib.jack_transport_locate(client, 5 * RATE) == 0
            assert jmtest.wait_until(
                lambda: lib.jack_get_current_transport_frame(client) == 5 * RATE, 3.0)
        finally:
            lib.jack_client_close(client)
        assert c.query("/strip/s4/fader") == [-7.5]
        c.drain(0)
        c.send("/record/multitrack/start", "lanes")
        m = c.wait_for("/record/multitrack/status", 5.0)
        assert m and m[1][0] == 1, m
        folder = m[1][1]
        c.send("/strip/s4/fader", -20.0)             # during the take: not in take.cfg
        time.sleep(0.3)
        c.drain(0)
        c.send("/record/multitrack/stop")
        assert c.wait_for("/record/multitrack/status", 5.0)
        cfg = os.path.join(folder, "take.cfg")
        r = jmtest.run_jmixd("--check", cfg)
        assert r.returncode == 0, r.stdout + r.stderr
        t = jmtest.read_text(cfg)
        assert 'file = "03 s3.wav"' in t and 'file = "02 keys.wav"' in t, t
        compact = t.replace(" ", "").replace("\n", "")
        assert 'param="/strip/s3/fader"' in compact, t
        assert "points=((0.0,-15.0),(15.0,-30.0))" in compact, t
        assert "fader=-7.5;" in compact and "fader=-20.0;" not in compact, t
        jmtest.note("take.cfg: jmixd --check passes; the lane shifted to (0, -15) .. (15, -30); "
                    "s4's fader -7.5 as at the start (-20 during the take)")
