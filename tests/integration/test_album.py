"""Album render (docs/cli.md): `jmixd render --album` with two session tracks
(stems generated here) and one finished file, gaps of 2 and 1.5 s before
tracks 2 and 3, a fade-out on track 3. Lengths, the CUE sheet, album
normalisation and the per-track ceiling are checked with an independent
meter (build/tools/jm_meter: libsndfile + libebur128, none of jmixd's
code); bad album files must give FILE:LINE and write nothing.
"""
import math
import os
import random
import re
import subprocess
import wave
from array import array

import pytest

import jmtest

ROOT = jmtest.ROOT
TOOLS = os.environ.get("JMT_TOOLS") or os.path.join(ROOT, "build", "tools")
METER = os.path.join(TOOLS, "jm_meter")
RATE = 48000
CD = RATE // 75  # frames per CD frame (1/75 s)
GAP2, GAP3 = 2.0, 1.5


@pytest.fixture(scope="module", autouse=True)
def tools():
    """Build jm_meter unless JMT_TOOLS names a folder that has them."""
    if os.environ.get("JMT_TOOLS"):
        return
    r = subprocess.run(["make", "-s", "build/tools/jm_meter"], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, "cannot build jm_meter:\n" + r.stdout[-2000:]


def write_wav16(path, channels):
    n = len(channels[0])
    data = array("h", [0]) * (n * len(channels))
    for c, ch in enumerate(channels):
        data[c::len(channels)] = array("h", (max(-32768, min(32767, int(round(v * 32767))))
                                             for v in ch))
    with wave.open(path, "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


def read_wav16(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 2, path
        return array("h", w.readframes(w.getnframes()))


def sine(freq, amp, seconds, fade=480):
    n = int(seconds * RATE)
    return [amp * min(1.0, k / fade, (n - k) / fade) * math.sin(2 * math.pi * freq * k / RATE)
            for k in range(n)]


def bursts(amp, seconds, seed):
    """Sparse noise bursts: high crest factor, so the album gain needs the limiter."""
    rnd, n = random.Random(seed), int(seconds * RATE)
    return [amp * (rnd.random() * 2 - 1) if (k // 2400) % 8 == 0 else 0.02 * math.sin(k * 0.05)
            for k in range(n)]


def meter(path):
    r = subprocess.run([METER, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, "jm_meter %s: %s" % (path, r.stderr)
    out = {}
    for line in r.stdout.splitlines():
        k, v = line.split()
        out[k] = int(v, 0) if k in ("rate", "channels", "frames", "format") else float(v)
    return out


def jmixd(*args):
    return subprocess.run([jmtest.JMIXD, "render"] + [str(a) for a in args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=jmtest.env(), timeout=120, stdin=subprocess.DEVNULL)


def write(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    return p


ALBUM = """\
title = "Test Album";
tracks = (
  { title = "One"; session = "one.cfg"; },
  { title = "Two"; session = "two.cfg"; gap = 2.0; },
  { title = "Three"; file = "three.wav"; gap = 1.5; fade_out = 1.0; }
);
"""


def make_album(d):
    """Track 1 about -20 LUFS, track 2 about -27 (both sines, low crest:
    no limiting at -14), track 3 a file of loud bursts (limited)."""
    write_wav16(os.path.join(d, "bass.wav"), [sine(110, 0.25, 3.0)])
    write_wav16(os.path.join(d, "lead.wav"), [sine(880, 0.12, 3.0)])
    write_wav16(os.path.join(d, "pad.wav"), [sine(330, 0.05, 2.5), sine(440, 0.05, 2.5)])
    write(d, "one.cfg", 'strips = ( { name = "bass"; file = "bass.wav"; fader = -2.0; },\n'
          '           { name = "lead"; file = "lead.wav"; pan = 0.3; } );\n')
    write(d, "two.cfg", 'strips = ( { name = "pad"; channels = 2; file = "pad.wav"; } );\n')
    b = bursts(0.6, 3.0, 7)
    write_wav16(os.path.join(d, "three.wav"), [b, b[5:] + b[:5]])
    return write(d, "album.cfg", ALBUM)


@pytest.mark.timeout(60)
def test_album_lengths_cue_and_platform_loudness():
    d = jmtest.mkdtemp("jmt-album")
    album = make_album(d)
    out = os.path.join(d, "out")
    r = jmixd("--album", album, "-o", out, "--platform", "spotify", "--bits", "16")
    assert r.returncode == 0, "album render: exit %d: %s" % (r.returncode, r.stderr)
    for line in r.stderr.strip().splitlines():
        jmtest.note(line)
    names = ["01 One.wav", "02 Two.wav", "03 Three.wav"]
    assert sorted(os.listdir(out)) == sorted(names + ["Test Album.wav", "Test Album.cue"]), \
        os.listdir(out)
    tracks = [meter(os.path.join(out, n)) for n in names]
    whole = meter(os.path.join(out, "Test Album.wav"))

    # length: the tracks plus the gaps, to the frame
    gaps = [0, round(GAP2 * RATE), round(GAP3 * RATE)]
    starts, at = [], 0
    for t, g in zip(tracks, gaps):
        at += g
        starts.append(at)
        at += t["frames"]
    assert whole["frames"] == at, "album %d frames, tracks + gaps %d" % (whole["frames"], at)

    # the album file is the track files joined with digital silence
    data = read_wav16(os.path.join(out, "Test Album.wav"))
    for n, s, g in zip(names, starts, gaps):
        t = read_wav16(os.path.join(out, n))
        assert data[2 * s:2 * s + len(t)] == t, "%s is not at frame %d of the album" % (n, s)
        assert not any(data[2 * (s - g):2 * s]), "gap before %s is not digital silence" % n

    # CUE: INDEX 01 at each track start, INDEX 00 at each gap start, to the CD frame
    with open(os.path.join(out, "Test Album.cue")) as f:
        cue = f.read()
    assert 'FILE "Test Album.wav" WAVE' in cue and 'TITLE "Test Album"' in cue, cue
    idx = {}
    track = 0
    for line in cue.splitlines():
        m = re.match(r"\s*TRACK (\d\d) AUDIO", line)
        if m:
            track = int(m.group(1))
        m = re.match(r"\s*INDEX (\d\d) (\d\d):(\d\d):(\d\d)$", line)
        if m:
            mm, ss, ff = int(m.group(2)), int(m.group(3)), int(m.group(4))
            assert ss < 60 and ff < 75, line
            idx[(track, int(m.group(1)))] = ((mm * 60 + ss) * 75 + ff) * CD
    for k, s in enumerate(starts):
        assert abs(idx[(k + 1, 1)] - s) <= CD, "track %d INDEX 01 at frame %d, starts at %d" % (
            k + 1, idx[(k + 1, 1)], s)
        if gaps[k]:
            assert abs(idx[(k + 1, 0)] - (s - gaps[k])) <= CD, "track %d INDEX 00" % (k + 1)
    jmtest.note("CUE INDEX 01 vs track starts (frames): %s" % ", ".join(
        "%+d" % (idx[(k + 1, 1)] - s) for k, s in enumerate(starts)))

    # loudness: album -14 +-0.2, every track <= -1 dBTP, relations kept where not limited
    assert abs(whole["integrated"] + 14.0) <= 0.2, "album %.2f LUFS" % whole["integrated"]
    for n, t in zip(names, tracks):
        assert t["true_peak"] <= -1.0, "%s true peak %.2f dBTP" % (n, t["true_peak"])
    ins = []
    for name in ("one", "two"):
        mix = os.path.join(d, name + "_mix.wav")
        rr = jmixd(os.path.join(d, name + ".cfg"), "-o", mix)
        assert rr.returncode == 0, rr.stderr
        ins.append(meter(mix))
    diff_in = ins[0]["integrated"] - ins[1]["integrated"]
    diff_out = tracks[0]["integrated"] - tracks[1]["integrated"]
    assert abs(diff_out - diff_in) <= 0.3, "One-Two: %.2f LU as mixed, %.2f LU in the album" % (
        diff_in, diff_out)
    assert "limiter" in r.stderr.splitlines()[3], "track 3 should have needed the limiter"
    jmtest.note("album %.2f LUFS, true peaks %s dBTP, One-Two %.2f LU (mixed %.2f LU)" % (
        whole["integrated"], ", ".join("%.2f" % t["true_peak"] for t in tracks), diff_out,
        diff_in))

    # track 3's fade-out: the last 50 ms far below the second before the fade
    t3 = read_wav16(os.path.join(out, names[2]))
    rms = lambda a: math.sqrt(sum(float(v) * v for v in a) / max(1, len(a)))  # noqa: E731
    n3 = len(t3) // 2
    assert rms(t3[2 * (n3 - 2400):]) < 0.05 * rms(t3[2 * (n3 - 2 * RATE):2 * (n3 - RATE)])



BAD = [
    # (name, album text, line, message fragment)
    ("missing", 'tracks = ( { file = "three.wav"; },\n  { file = "nope.wav"; } );\n', 2,
     "nope.wav"),
    ("unknown", 'tracks = ( { file = "three.wav";\n  volume = 3.0; } );\n', 2, "unknown key"),
    ("negative", 'tracks = ( { file = "three.wav"; },\n  { file = "three.wav"; gap = -1.0; } );\n',
     2, "gap"),
    ("type", 'title = "x";\ntracks = ( { file = "three.wav"; fade_out = "long"; } );\n', 2,
     "fade_out must be a number"),
    ("empty", 'title = "x";\ntracks = ( );\n', 2, "empty"),
    ("none", 'title = "x";\n', 1, "no tracks"),
    ("toplevel", 'title = "x";\nartist = "y";\ntracks = ( { file = "three.wav"; } );\n', 2,
     "unknown key 'artist'"),
    ("both", 'tracks = ( { file = "three.wav";\n session = "one.cfg"; } );\n', 2, "both"),
    ("syntax", 'title = "x";\ntracks = ( { file = = "three.wav"; } );\n', 2, ""),
    ("stem", 'tracks = ( { session = "nostem.cfg"; } );\n', 1, "ghost.wav"),
]


def test_bad_album_files_give_file_line_and_write_nothing():
    d = jmtest.mkdtemp("jmt-album-bad")
    write_wav16(os.path.join(d, "three.wav"), [sine(440, 0.3, 0.5), sine(440, 0.3, 0.5)])
    write(d, "one.cfg", 'strips = ( { name = "a"; file = "three.wav"; channels = 2; } );\n')
    write(d, "nostem.cfg", 'strips = ( { name = "a"; file = "ghost.wav"; } );\n')
    for name, text, line, frag in BAD:
        album = write(d, "album_%s.cfg" % name, text)
        out = os.path.join(d, "out_" + name)
        r = jmixd("--album", album, "-o", out)
        err = r.stderr.strip()
        assert r.returncode == 1, "%s: exit %d: %s" % (name, r.returncode, err)
        assert len(err.splitlines()) == 1, "%s: not one line: %s" % (name, err)
        if name == "stem":  # the session's own FILE:LINE
            assert re.search(r"nostem\.cfg:\d+: |ghost\.wav", err), err
        else:
            assert re.search(r"album_%s\.cfg:%d: " % (name, line), err), "%s: %s" % (name, err)
        assert frag in err, "%s: %r not in %s" % (name, frag, err)
        assert not os.path.exists(out), "%s: %s was created" % (name, out)
    jmtest.note("e.g. " + jmixd("--album", os.path.join(d, "album_negative.cfg"), "-o",
                                os.path.join(d, "o")).stderr.strip())
