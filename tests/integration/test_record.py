"""Recording integrity through the live daemon (issue 6, docs/osc.md).

A frame counter is played into a stereo strip at unity (balance centre,
fader 0 dB: master_L/R carry the input bit for bit): jm_probe's
counter:0 on the left and counter:12 on the right encode the frame index n
as ((n & 4095) / 4096, ((n >> 12) & 4095) / 4096), exact in float, in
24-bit PCM and through the mixer. A recording then holds every frame
exactly once and in order iff its frames decode to n0, n0 + 1, n0 + 2, ...

Most takes run the JACK server in freewheel mode paced to SPEED x real time
(jm_probe --freewheel): every client still runs every cycle, in order, so
the daemon, its disk thread and the recorder ring see the same stream as in
real time, only faster (jackd2's dummy -w does not speed anything up: it
sets the period from the wait). The suite checks that nothing was dropped
and that no cycle was skipped (the counter itself would show it). The
SIGTERM take runs in real time: jackd2 freezes a freewheeling graph that a
client leaves.

Files are read back through libsndfile (jmtest.sound_read, ctypes): the
library that must be able to open them.
"""
import os
import re
import signal
import time
from array import array

import pytest

import jmtest
from jmtest import Daemon, JackServer, Probe

RATE = 48000
PERIOD = 1024
SPEED = 6             # freewheel pace, x real time


def SESSION_IN(folder):
    """The session, recording into `folder` (controllers name files, never
    paths: docs/osc.md, Files)."""
    return jmtest.session_text([{"name": "a", "channels": 2, "input": []}], jack_name="jmixd",
                               extra='recordings = "%s";' % folder)
PLAY = [("jmixd:a_L", "counter:0"), ("jmixd:a_R", "counter:12")]
CAPTURE = ["jmixd:master_L", "jmixd:master_R"]
MASK = (1 << 24) - 1


# --------------------------------------------------------------------------
# the counter

_SAW = array("f", [k / 4096.0 for k in range(4096)]) * 2


def decode(l, r):
    return int(round(l * 4096.0)) + 4096 * int(round(r * 4096.0))


def check_counter(data, frames, what):
    """data: interleaved L/R holding the counter. Asserts that frame k is
    n0 + k for every k; returns n0 (> 0: the counter was playing)."""
    assert frames > 0, "%s: no frames" % what
    L, R = data[0::2], data[1::2]
    assert len(L) == frames and len(R) == frames, (what, len(L), len(R), frames)
    n0 = decode(L[0], R[0])
    assert n0 > 0, "%s: starts with silence, not the counter (%r %r)" % (what, L[0], R[0])
    k = 0
    while k < frames:
        n = (n0 + k) & MASK
        lo = n & 4095
        run = min(4096 - lo, frames - k)      # frames until the high part changes
        hi = ((n >> 12) & 4095) / 4096.0
        if L[k:k + run] != _SAW[lo:lo + run] or R[k:k + run] != array("f", [hi]) * run:
            for j in range(k, k + run):       # name the first bad frame
                if decode(L[j], R[j]) != (n0 + j) & MASK or L[j] * 4096 != round(L[j] * 4096):
                    raise AssertionError(
                        "%s: frame %d of %d holds counter %d (L %r R %r), expected %d: a frame is "
                        "missing, duplicated or altered" % (what, j, frames, decode(L[j], R[j]),
                                                            L[j], R[j], (n0 + j) & MASK))
            raise AssertionError("%s: frames %d..%d are not the counter" % (what, k, k + run))
        k += run
    return n0


# --------------------------------------------------------------------------
# OSC helpers

def status(c, timeout=3.0):
    """-> (recording, path, seconds, dropped)"""
    c.drain(0)
    c.send("/record/status")
    m = c.wait_for("/record/status", timeout)
    assert m, "no reply to /record/status"
    assert len(m[1]) == 4, "/record/status: expected i s f i, got %r" % (m[1],)
    return tuple(m[1])


def start(c, path):
    """Record to `path`: its name is sent, the session's recordings folder is
    its folder; the reply names the whole path."""
    c.drain(0)
    c.send("/record/start", os.path.basename(path))
    m = c.wait_for("/record/status", 3.0) if path else None
    assert m, "no /record/status after /record/start %s" % path
    assert m[1][0] == 1 and m[1][1] == path, "/record/start %s: %r" % (path, m[1])


def stop(c):
    c.drain(0)
    c.send("/record/stop")
    m = c.wait_for("/record/status", 5.0)
    assert m, "no /record/status after /record/stop"
    assert m[1][0] == 0, "/record/stop: still recording: %r" % (m[1],)
    return tuple(m[1])


def wait_recorded(c, seconds, timeout):
    """Poll /record/status until it has taken `seconds` of audio."""
    deadline = time.monotonic() + timeout
    st = None
    while time.monotonic() < deadline:
        st = status(c)
        if st[2] >= seconds:
            return st
        time.sleep(0.02)
    raise AssertionError("recording did not reach %.1f s within %.0f s: %r" % (
        seconds, timeout, st))


def stats(c):
    c.drain(0)
    c.send("/stats")
    m = c.wait_for("/stats", 2.0)
    assert m, "no /stats reply"
    return m[1]   # osc counters (3), req dropped, cmd dropped, xruns, send errors


def read(path):
    meta, data = jmtest.sound_read(path)
    assert meta["rate"] == RATE and meta["channels"] == 2, "%s: %r" % (path, meta)
    assert meta["frames"] == meta["header_frames"], (
        "%s: header says %d frames, file holds %d" % (path, meta["header_frames"], meta["frames"]))
    return meta, data


# --------------------------------------------------------------------------

@pytest.mark.timeout(90)
def test_record_30s_every_frame_once_in_order():
    d_tmp = jmtest.mkdtemp("jmtrec")
    path = os.path.join(d_tmp, "take.wav")
    with JackServer(period=PERIOD) as js, Daemon(SESSION_IN(d_tmp), js) as d, d.client() as c:
        out = {}

        def during():
            t0 = time.monotonic()
            out["xruns0"] = stats(c)[5]
            start(c, path)
            wait_recorded(c, 30.0, 30.0 / SPEED * 4 + 10)
            out["status"] = stop(c)
            out["wall"] = time.monotonic() - t0
            out["stats"] = stats(c)

        cap = Probe.run(js, play=PLAY, capture=[], seconds=40.0, during=during, freewheel=SPEED)
        assert cap.meta["gaps"] == 0, cap.meta
        rec, rpath, secs, dropped = out["status"]
        meta, data = read(path)
        n0 = check_counter(data, meta["frames"], path)
        jmtest.note("recorded %d frames (%.3f s of audio in %.1f s wall, x%d freewheel); "
                    "/record/status %.4f s, dropped %d; counter %d..%d contiguous, none "
                    "duplicated; xruns %d" % (meta["frames"], meta["frames"] / RATE, out["wall"],
                                              SPEED, secs, dropped, n0, n0 + meta["frames"] - 1,
                                              out["stats"][5] - out["xruns0"]))
        assert rpath == path, (rpath, path)
        assert dropped == 0, "%d frames dropped" % dropped
        assert meta["frames"] >= 30 * RATE, meta
        assert abs(meta["frames"] - secs * RATE) <= 1, (
            "/record/status says %.5f s, the file holds %d frames" % (secs, meta["frames"]))
        assert meta["format"] == jmtest.SF_FORMAT_WAV | jmtest.SF_FORMAT_FLOAT, hex(meta["format"])
        assert "dropped (disk ring full)" not in d.stderr_text()
        assert d.alive()




@pytest.mark.timeout(60)
def test_sigterm_mid_recording_leaves_a_complete_file():
    path = os.path.join(jmtest.mkdtemp("jmtrec"), "term.wav")
    with JackServer(period=PERIOD) as js:
        d = Daemon(SESSION_IN(os.path.dirname(path)), js).start()
        out = {}

        def during():
            with d.client() as c:
                start(c, path)
                out["before"] = wait_recorded(c, 3.0, 20.0)
            d.signal(signal.SIGTERM)
            out["rc"] = d.proc.wait(timeout=10)

        # real time: jackd2 (1.9.21) freezes a freewheeling graph when a client
        # leaves it (jack2 issues 753, 1006), and here the daemon leaves
        try:
            Probe.run(js, play=PLAY, capture=[], seconds=4.5, during=during)
        finally:
            d.stop()
        assert out["rc"] == 0, "jmixd exited with %s on SIGTERM" % out["rc"]
        meta, data = read(path)
        # jmixd finishes the take before deactivating its JACK client (which
        # disconnects the ports and may run the client once more): the take
        # must end on signal, not on a period of silence.
        silent = 0
        while silent < meta["frames"] and data[-2 * silent - 1] == 0.0 and data[-2 * silent - 2] == 0.0:
            silent += 1
        assert silent == 0, "%d silent frames at the end of the take" % silent
        n0 = check_counter(data[:len(data) - 2 * silent], meta["frames"] - silent, path)
        # the daemon's own account of the take, logged when it finalised it
        m = re.search(r"record: stopped '.*term\.wav' \(([0-9.]+) s, (\d+) frames dropped\)",
                      d.stderr_text())
        assert m, "no 'record: stopped' line in the daemon's log:\n" + d.stderr_text()[-1500:]
        logged, dropped = float(m.group(1)), int(m.group(2))
        jmtest.note("SIGTERM after %.3f s: exit 0, file %d frames (%.3f s), log says %.3f s "
                    "taken, %d dropped; counter %d..%d contiguous, %d silent frames at the end" % (
                        out["before"][2], meta["frames"], meta["frames"] / RATE, logged, dropped,
                        n0, n0 + meta["frames"] - silent - 1, silent))
        assert dropped == 0
        assert meta["frames"] >= out["before"][2] * RATE - 1, "the file lost frames before the stop"
        assert abs(meta["frames"] - logged * RATE) <= 0.0005 * RATE + 1, (
            "the daemon took %.3f s but the file holds %d frames" % (logged, meta["frames"]))




@pytest.mark.timeout(60)
def test_jack_server_killed_mid_recording():
    path = os.path.join(jmtest.mkdtemp("jmtrec"), "crash.wav")
    js = JackServer(period=PERIOD).start()
    try:
        with Daemon(SESSION_IN(os.path.dirname(path)), js) as d, d.client() as c:
            out = {}

            def during():
                start(c, path)
                out["before"] = wait_recorded(c, 5.0, 20.0)
                js.kill()        # SIGKILL, as a crash
                out["killed"] = time.monotonic()

            cap = Probe.run(js, play=PLAY, capture=CAPTURE, seconds=30.0, during=during,
                            freewheel=SPEED, expect_rc=3)
            assert cap.meta["shutdown"], cap.meta
            # the daemon stays up and answers
            time.sleep(0.5)
            assert d.alive(), "jmixd died with the JACK server"
            c.drain(0)
            c.send("/info")
            assert c.wait_for("/info", 2.0), "jmixd does not answer /info after the server died"
            # the file is valid right now, before any stop (header kept current)
            mid, mid_data = read(path)
            check_counter(mid_data, mid["frames"], path + " (before stop)")
            rec, _, secs, dropped = status(c)
            # stop after the server died works, and the file is final and complete
            final = stop(c)
            meta, data = read(path)
            n0 = check_counter(data, meta["frames"], path)
            last_rec = (n0 + meta["frames"] - 1) & MASK
            # what the probe last captured of master_L/R before the server died
            k = cap.frames - 1
            while k >= 0 and cap.channel(0)[k] == 0.0 and cap.channel(1)[k] == 0.0:
                k -= 1
            last_cap = decode(cap.channel(0)[k], cap.channel(1)[k]) if k >= 0 else -1
            jmtest.note("server killed after %.3f s: daemon up; file before stop %d frames, "
                        "after stop %d frames (status %.4f s, dropped %d); counter %d..%d "
                        "contiguous; last frame captured off master_L/R before the death: %d "
                        "(the recording has %d frames more)" % (
                            out["before"][2], mid["frames"], meta["frames"], final[2], final[3],
                            n0, last_rec, last_cap, last_rec - last_cap))
            assert rec == 1, "the recording ended by itself when the server died"
            assert final[3] == 0 and dropped == 0, "frames dropped: %r" % (final,)
            assert meta["frames"] >= mid["frames"]
            assert abs(meta["frames"] - final[2] * RATE) <= 1, (
                "the daemon took %.5f s but the file holds %d frames" % (final[2], meta["frames"]))
            assert last_cap > 0, "the probe captured nothing of the master"
            # every cycle the probe saw leave the daemon is in the file; at most
            # the cycle in flight when the server died is beyond it
            assert 0 <= last_rec - last_cap <= 2 * PERIOD, (last_rec, last_cap)
    finally:
        js.kill()




@pytest.mark.timeout(60)
def test_aiff_and_flac_and_bad_extension():
    d_tmp = jmtest.mkdtemp("jmtrec")
    takes = [("take.aiff", jmtest.SF_FORMAT_AIFF | jmtest.SF_FORMAT_FLOAT),
             ("take.aif", jmtest.SF_FORMAT_AIFF | jmtest.SF_FORMAT_FLOAT),
             ("take.flac", jmtest.SF_FORMAT_FLAC | jmtest.SF_FORMAT_PCM_24),
             ("take.WAV", jmtest.SF_FORMAT_WAV | jmtest.SF_FORMAT_FLOAT)]
    with JackServer(period=PERIOD) as js, Daemon(SESSION_IN(d_tmp), js) as d, d.client() as c:
        out = {}

        def during():
            # the probe's first cycle may still be under way when it reports
            # START: a take started at once can begin on the counter's
            # frame 0, which reads as silence (seen once on a fresh root)
            time.sleep(0.1)
            for name, _ in takes:
                p = os.path.join(d_tmp, name)
                start(c, p)
                wait_recorded(c, 1.0, 10.0)
                out[name] = stop(c)
            bad = os.path.join(d_tmp, "take.mp3")
            c.drain(0)
            c.send("/record/start", os.path.basename(bad))
            out["error"] = c.wait_for("/error", 2.0)
            out["after"] = status(c)
            out["bad_exists"] = os.path.exists(bad)

        Probe.run(js, play=PLAY, capture=[], seconds=30.0, during=during, freewheel=SPEED)
        for name, fmt in takes:
            p = os.path.join(d_tmp, name)
            meta, data = read(p)
            n0 = check_counter(data, meta["frames"], p)
            st = out[name]
            jmtest.note("%s: format 0x%06x, %d frames (status %.4f s, dropped %d), counter "
                        "%d.. contiguous" % (name, meta["format"], meta["frames"], st[2], st[3],
                                             n0))
            assert meta["format"] == fmt, "%s: format 0x%x, expected 0x%x" % (
                name, meta["format"], fmt)
            assert st[3] == 0 and abs(meta["frames"] - st[2] * RATE) <= 1, (name, st, meta)
            assert meta["frames"] >= RATE
        err = out["error"]
        jmtest.note("/record/start take.mp3 -> %r" % (err,))
        assert err and err[1][0] == "/record/start" and "mp3" in err[1][1], err
        assert out["after"][0] == 0, "a bad extension started a recording: %r" % (out["after"],)
        assert not out["bad_exists"], "a file was created for the bad extension"
        assert d.alive()


