"""Offline render (docs/cli.md): `jmixd render` against jm_offline (the mixer
driven directly, as the daemon's process callback drives it), platform
normalisation checked by an independent meter (build/tools/jm_meter:
libsndfile + libebur128, none of jmixd's code), resampling and dither,
the tail, output formats, and bad arguments.

Stems are generated here (16-bit WAV through the stdlib `wave` module);
float output is read with a small RIFF parser, since `wave` reads PCM only.
"""
import math
import os
import random
import re
import struct
import subprocess
import wave
from array import array

import pytest

import jmtest

ROOT = jmtest.ROOT
# JMT_TOOLS=DIR takes jm_meter and jm_offline from DIR instead of building them
TOOLS = os.environ.get("JMT_TOOLS") or os.path.join(ROOT, "build", "tools")
METER = os.path.join(TOOLS, "jm_meter")
OFFLINE = os.path.join(TOOLS, "jm_offline")
RATE = 48000


@pytest.fixture(scope="module", autouse=True)
def tools():
    """Build jm_meter and jm_offline unless JMT_TOOLS names a folder that has them."""
    if os.environ.get("JMT_TOOLS"):
        return
    r = subprocess.run(["make", "-s", "build/tools/jm_meter", "build/tools/jm_offline"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, "cannot build the test tools:\n" + r.stdout[-2000:]


# --------------------------------------------------------------------------
# files

def write_wav16(path, channels, rate=RATE):
    """channels: list of equal-length float sequences in -1..1."""
    n = len(channels[0])
    data = array("h", [0]) * (n * len(channels))
    for c, ch in enumerate(channels):
        for k, v in enumerate(ch):
            data[k * len(channels) + c] = max(-32768, min(32767, int(round(v * 32767.0))))
    with wave.open(path, "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def pcm16_as_float(v):
    """What libsndfile gives for a 16-bit sample written from v."""
    return max(-32768, min(32767, int(round(v * 32767.0)))) / 32768.0


def read_wav(path):
    """-> dict(rate, channels, fmt ('float' or 'pcm'), bits, frames, data: list per channel)."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE", "%s: not a RIFF/WAVE file" % path
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        body = raw[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            tag, nch, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == 0xFFFE:
                tag = struct.unpack_from("<H", body, 24)[0]
            fmt = (tag, nch, rate, bits)
        elif cid == b"data":
            data = body
            assert len(body) == size, "%s: data chunk says %d bytes, file holds %d" % (
                path, size, len(body))
        pos += 8 + size + (size & 1)
    assert fmt and data is not None, "%s: no fmt or data chunk" % path
    tag, nch, rate, bits = fmt
    if tag == 3 and bits == 32:
        a = array("f")
        a.frombytes(data)
        kind = "float"
    elif tag == 1 and bits == 16:
        a = array("h")
        a.frombytes(data)
        a = [v / 32768.0 for v in a]
        kind = "pcm"
    elif tag == 1 and bits == 24:
        a = [int.from_bytes(data[i:i + 3], "little", signed=True) / 8388608.0
             for i in range(0, len(data), 3)]
        kind = "pcm"
    else:
        raise AssertionError("%s: unexpected format tag %d, %d bits" % (path, tag, bits))
    return {"rate": rate, "channels": nch, "fmt": kind, "bits": bits,
            "frames": len(a) // nch, "data": [a[c::nch] for c in range(nch)]}


def meter(path):
    r = subprocess.run([METER, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, "jm_meter %s: %s" % (path, r.stderr)
    out = {}
    for line in r.stdout.splitlines():
        k, v = line.split()
        out[k] = int(v, 0) if k in ("rate", "channels", "frames", "format") else float(v)
    return out


def render(*args, timeout=120):
    return subprocess.run([jmtest.JMIXD, "render"] + [str(a) for a in args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=jmtest.env(), timeout=timeout, stdin=subprocess.DEVNULL)


def render_ok(*args):
    r = render(*args)
    assert r.returncode == 0, "render %s: exit %d: %s" % (" ".join(map(str, args)),
                                                          r.returncode, r.stderr.strip())
    return r


def summary_value(stderr, key):
    """Numbers from the summary: 'integrated', 'true peak', 'gain', 'speed'."""
    m = re.search(r"%s ([-+]?[0-9.]+|-inf)" % key, stderr)
    assert m, "no %r in the summary:\n%s" % (key, stderr)
    return float(m.group(1))


def note_summary(r):
    for line in r.stderr.strip().splitlines():
        jmtest.note(line)


def write(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def sine(freq, amp, n, rate=RATE, fade=480):
    return [amp * min(1.0, k / fade) * math.sin(2 * math.pi * freq * k / rate) for k in range(n)]


def noise(amp, n, seed):
    rnd = random.Random(seed)
    return [amp * (rnd.random() * 2 - 1) for _ in range(n)]


# --------------------------------------------------------------------------
# (a) render equals the mixer driven directly

MIX = """\
strips = (
  { name = "kick"; file = "kick.wav"; fader = -3.0; pan = -0.3;
    hpf = { on = true; freq = 40.0; };
    eq = { on = true; band2 = { freq = 80.0; gain = 4.0; q = 1.2; }; };
    comp = { on = true; threshold = -24.0; ratio = 4.0; };
    send = { verb = { level = -10.0; }; echo = { level = -14.0; }; }; },
  { name = "keys"; channels = 2; file = "keys.wav"; pan = 0.4; trim = -2.0;
    gate = { on = true; threshold = -40.0; };
    send = { verb = { level = -18.0; pre = true; }; }; },
  { name = "empty"; }
);
buses = ( { name = "verb"; type = "reverb"; }, { name = "echo"; type = "delay"; } );
master = { comp = { on = true; threshold = -12.0; }; limiter = { on = true; ceiling = -1.0; }; };
"""


def make_mix(d, seconds=1.5):
    n = int(seconds * RATE)
    kick = [0.9 * math.exp(-(k % 12000) / 2500.0) * math.sin(2 * math.pi * 55 * (k % 12000) / RATE)
            for k in range(n)]
    keys_l = [a + b for a, b in zip(sine(440, 0.25, n), noise(0.05, n, 1))]
    keys_r = [a + b for a, b in zip(sine(659, 0.25, n), noise(0.05, n, 2))]
    write_wav16(os.path.join(d, "kick.wav"), [kick])
    write_wav16(os.path.join(d, "keys.wav"), [keys_l, keys_r])
    return write(d, "mix.cfg", MIX), n, [kick, keys_l, keys_r]


def offline(session, chans, block, d):
    """jm_offline's output for these strip inputs (list of channels in strip
    order), as a list [L, R]."""
    n = len(chans[0])
    inter = array("f", [0.0]) * (n * len(chans))
    for c, ch in enumerate(chans):
        for k, v in enumerate(ch):
            inter[k * len(chans) + c] = pcm16_as_float(v)
    fin, fout = os.path.join(d, "in.f32"), os.path.join(d, "out%d.f32" % block)
    with open(fin, "wb") as f:
        inter.tofile(f)
    # render idles its mixer on silence before frame 0 until every gate that
    # is on has closed, as a daemon does before its transport starts (see
    # include/jmixd/render/render.h): jm_offline likewise (1 s > keys' gate 250 ms)
    r = subprocess.run([OFFLINE, session, fin, fout, "--block", str(block), "--preroll", "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, "jm_offline: " + r.stderr
    out = array("f")
    with open(fout, "rb") as f:
        out.frombytes(f.read())
    return [out[0::2], out[1::2]]


def max_diff(a, b, n):
    return max(abs(a[k] - b[k]) for k in range(n))


@pytest.mark.timeout(180)
def test_render_equals_offline_mixer():
    d = jmtest.mkdtemp()
    session, n, (kick, keys_l, keys_r) = make_mix(d)
    for block in (64, 256):
        out = os.path.join(d, "r%d.wav" % block)
        r = render_ok(session, "-o", out, "--block", block)
        w = read_wav(out)
        assert (w["fmt"], w["bits"], w["rate"], w["channels"]) == ("float", 32, RATE, 2), w
        assert w["frames"] >= n, "render is shorter (%d) than the stems (%d)" % (w["frames"], n)
        ref = offline(session, [kick, keys_l, keys_r, [0.0] * n], block, d)
        # jm_offline takes one channel per strip input: the silent strip too
        diff = max(max_diff(w["data"][c], ref[c], n) for c in range(2))
        peak = max(abs(v) for v in ref[0])
        jmtest.note("block %d: %d frames, max |render - jm_offline| = %.3g (peak %.3f)" % (
            block, n, diff, peak))
        assert peak > 0.05, "test bug: the mix is silent"
        assert diff <= 1e-6, "block %d: render differs from the mixer by %.3g" % (block, diff)
        if block == 64:
            note_summary(r)




def test_mono_file_feeds_both_sides_of_a_stereo_strip():
    d = jmtest.mkdtemp()
    session, n, (kick, keys_l, _) = make_mix(d)
    write_wav16(os.path.join(d, "mono.wav"), [keys_l])
    out = os.path.join(d, "m.wav")
    render_ok(session, "-o", out, "--stem", "keys=" + os.path.join(d, "mono.wav"))
    w = read_wav(out)
    ref = offline(session, [kick, keys_l, keys_l, [0.0] * n], 64, d)
    diff = max(max_diff(w["data"][c], ref[c], n) for c in range(2))
    jmtest.note("mono stem into a stereo strip: max diff %.3g" % diff)
    assert diff <= 1e-6


# --------------------------------------------------------------------------
# (b) platform loudness, independent meter

LOUD = """\
strips = (
  { name = "drums"; file = "drums.wav"; fader = 6.0; },
  { name = "bass"; file = "bass.wav"; fader = 3.0; }
);
"""


def make_loud(d, seconds=6.0):
    n = int(seconds * RATE)
    rnd = random.Random(7)
    drums = []
    for k in range(n):
        t = k % 12000  # a hit every 250 ms, noise with a fast decay
        drums.append(0.95 * math.exp(-t / 1500.0) * (rnd.random() * 2 - 1))
    bass = sine(55, 0.7, n)
    write_wav16(os.path.join(d, "drums.wav"), [drums])
    write_wav16(os.path.join(d, "bass.wav"), [bass])
    return write(d, "loud.cfg", LOUD)


def test_platform_spotify_meets_target():
    d = jmtest.mkdtemp()
    session = make_loud(d)
    plain = os.path.join(d, "plain.wav")
    render_ok(session, "-o", plain)
    before = meter(plain)
    out = os.path.join(d, "spotify.wav")
    r = render_ok(session, "-o", out, "--platform", "spotify")
    m = meter(out)
    note_summary(r)
    jmtest.note("before: %.2f LUFS, %.2f dBTP; after (independent meter): %.2f LUFS, %.2f dBTP, "
                "LRA %.2f" % (before["integrated"], before["true_peak"], m["integrated"],
                              m["true_peak"], m["lra"]))
    assert before["integrated"] > -11.0 and before["true_peak"] > 0.0, \
        "test bug: the mix should be loud and over full scale: %r" % before
    assert abs(m["integrated"] - -14.0) <= 0.2, "integrated %.2f LUFS" % m["integrated"]
    assert m["true_peak"] <= -1.0, "true peak %.3f dBTP" % m["true_peak"]
    # the summary reports what the file holds
    assert abs(summary_value(r.stderr, "integrated") - m["integrated"]) <= 0.1
    assert abs(summary_value(r.stderr, "true peak") - m["true_peak"]) <= 0.2
    assert m["frames"] == read_wav(plain)["frames"], "normalising changed the length"


def test_normalize_louder_than_the_mix_limits_peaks():
    """A target far above the mix: +gain pushes peaks into the limiter,
    which costs loudness; the render corrects the gain until it lands."""
    d = jmtest.mkdtemp()
    session = make_loud(d)
    quiet = write(d, "quiet.cfg", LOUD.replace("fader = 6.0", "fader = -14.0")
                  .replace("fader = 3.0", "fader = -17.0"))
    out = os.path.join(d, "hot.wav")
    r = render_ok(quiet, "-o", out, "--normalize", "-9", "--ceiling", "-1.5", "--bits", "24")
    m = meter(out)
    note_summary(r)
    jmtest.note("--normalize -9 --ceiling -1.5: %.2f LUFS, %.3f dBTP" % (m["integrated"],
                                                                         m["true_peak"]))
    assert abs(m["integrated"] - -9.0) <= 0.2, "integrated %.2f LUFS" % m["integrated"]
    assert m["true_peak"] <= -1.5, "true peak %.3f dBTP" % m["true_peak"]
    assert summary_value(r.stderr, "gain") > 10.0


# --------------------------------------------------------------------------
# (c) resample + dither

TONES = (100, 1000, 5000, 10000, 15000, 19000)


def goertzel_amp(x, start, n, freq, rate):
    """Amplitude of an integer-Hz tone over n = rate samples (exact bins)."""
    w = 2 * math.pi * freq / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for k in range(start, start + n):
        s0 = x[k] + c * s1 - s2
        s2, s1 = s1, s0
    re_ = s1 - s2 * math.cos(w)
    im = s2 * math.sin(w)
    return 2 * math.hypot(re_, im) / n


def test_resample_44100_16bit_keeps_spectrum():
    d = jmtest.mkdtemp()
    n = 3 * RATE
    tones = [sum(v) for v in zip(*[sine(f, 0.08, n) for f in TONES])]
    write_wav16(os.path.join(d, "tones.wav"), [tones])
    session = write(d, "tones.cfg", 'strips = ( { name = "t"; file = "tones.wav"; } );\n')
    src, dst = os.path.join(d, "src.wav"), os.path.join(d, "cd.wav")
    render_ok(session, "-o", src)
    r = render_ok(session, "-o", dst, "--rate", "44100", "--bits", "16")
    note_summary(r)
    a, b = read_wav(src), read_wav(dst)
    assert (b["fmt"], b["bits"], b["rate"], b["channels"]) == ("pcm", 16, 44100, 2), \
        "output is %s %d-bit %d Hz %d ch" % (b["fmt"], b["bits"], b["rate"], b["channels"])
    m = meter(dst)
    assert m["rate"] == 44100 and m["format"] == 0x010002, "libsndfile sees %r" % m
    want = a["frames"] * 44100 / RATE
    assert abs(b["frames"] - want) <= 2, "%d frames, expected %.1f" % (b["frames"], want)
    worst = 0.0
    for f in TONES:
        la = 20 * math.log10(goertzel_amp(a["data"][0], RATE, RATE, f, RATE))
        lb = 20 * math.log10(goertzel_amp(b["data"][0], 44100, 44100, f, 44100))
        jmtest.note("%5d Hz: %.3f dB at 48 kHz float, %.3f dB at 44.1 kHz 16-bit (%+.4f)" % (
            f, la, lb, lb - la))
        worst = max(worst, abs(lb - la))
    assert worst <= 0.1, "a tone changed level by %.3f dB" % worst
    # TPDF dither: the 16-bit file is not a plain rounding of the float one,
    # and its noise floor is where 16-bit dither puts it (about -96 dBFS RMS)
    seg = b["data"][0][-4410:]  # the last 0.1 s is the silent end of the tail
    rms = math.sqrt(sum(v * v for v in seg) / len(seg))
    jmtest.note("dither floor in silence: %.1f dBFS RMS" % (20 * math.log10(rms) if rms else -999))
    assert 0 < rms < 10 ** (-85 / 20.0), "silence is not dithered 16-bit: rms %.3g" % rms


def test_upsample_with_normalisation():
    """--rate above the mix rate hands over more frames than it takes in;
    normalisation then runs at the output rate."""
    d = jmtest.mkdtemp()
    session, n, _ = make_mix(d, seconds=1.0)
    out = os.path.join(d, "up.flac")
    r = render_ok(session, "-o", out, "--rate", "96000", "--platform", "youtube")
    m = meter(out)
    note_summary(r)
    assert m["rate"] == 96000 and m["format"] == 0x170003, m
    plain = os.path.join(d, "plain.wav")
    render_ok(session, "-o", plain)
    assert abs(m["frames"] - 2 * read_wav(plain)["frames"]) <= 2, m
    assert abs(m["integrated"] - -14.0) <= 0.2 and m["true_peak"] <= -1.0, m


# --------------------------------------------------------------------------
# (d) the tail

VERB = """\
strips = ( { name = "hit"; file = "hit.wav"; send = { room = { level = 0.0; }; }; } );
buses = ( { name = "room"; type = "reverb"; reverb = { size = 0.7; }; } );
"""


def test_tail_runs_until_one_second_below_minus_90():
    d = jmtest.mkdtemp()
    n = RATE  # 1 s stem: 0.2 s of noise, then silence
    hit = noise(0.8, RATE // 5, 3) + [0.0] * (n - RATE // 5)
    write_wav16(os.path.join(d, "hit.wav"), [hit])
    session = write(d, "verb.cfg", VERB)
    out = os.path.join(d, "verb.wav")
    r = render_ok(session, "-o", out)
    note_summary(r)
    w = read_wav(out)
    thr = 10 ** (-90 / 20.0)
    frames = w["frames"]
    last_loud = max(k for k in range(frames)
                    if abs(w["data"][0][k]) >= thr or abs(w["data"][1][k]) >= thr)
    jmtest.note("stems %d frames, output %d frames, last sample >= -90 dBFS at %d" % (
        n, frames, last_loud))
    assert last_loud > n, "the reverb should ring past the end of the stem"
    assert frames - 1 - last_loud >= RATE, "the output does not end with 1 s below -90 dBFS"
    assert frames - 1 - last_loud <= RATE + 64, "the tail runs longer than needed"

    # without a reverb, a stem that already ends in 1 s of silence ends the render
    write_wav16(os.path.join(d, "hit2.wav"), [hit + [0.0] * RATE])
    dry = write(d, "dry.cfg", 'strips = ( { name = "hit"; file = "hit2.wav"; } );\n')
    out2 = os.path.join(d, "dry.wav")
    render_ok(dry, "-o", out2)
    assert read_wav(out2)["frames"] == n + RATE


# --------------------------------------------------------------------------
# output formats

def test_output_formats():
    d = jmtest.mkdtemp()
    session, n, _ = make_mix(d, seconds=0.5)
    cases = [("o.flac", [], 0x170003), ("o.aiff", [], 0x020006), ("o.aif", ["--bits", "16"],
                                                                    0x020002),
             ("o.wav", ["--bits", "24"], 0x010003), ("o.wav", [], 0x010006)]
    for name, extra, fmt in cases:
        out = os.path.join(d, name)
        render_ok(session, "-o", out, *extra)
        m = meter(out)
        jmtest.note("%s %s: format 0x%06x, %d frames" % (name, " ".join(extra), m["format"],
                                                          m["frames"]))
        assert m["format"] == fmt, "%s: format 0x%06x, want 0x%06x" % (name, m["format"], fmt)
        assert m["frames"] >= n and m["channels"] == 2


# --------------------------------------------------------------------------
# (e) bad arguments

def test_bad_arguments_one_line_exit_1():
    d = jmtest.mkdtemp()
    session, _, _ = make_mix(d, seconds=0.2)
    write_wav16(os.path.join(d, "st.wav"), [[0.1] * 100, [0.1] * 100])
    write_wav16(os.path.join(d, "r44.wav"), [[0.1] * 100], rate=44100)
    bad_session = write(d, "bad.cfg", MIX.replace('trim = -2.0;', 'trim = -2.0; wobble = 1;'))
    out = os.path.join(d, "never.wav")
    cases = [
        [],
        [session],
        [session, "-o"],
        [session, "-o", out, "--block", "0"],
        [session, "-o", out, "--block", "many"],
        [session, "-o", out, "--platform", "myspace"],
        [session, "-o", out, "--normalize", "-14", "--platform", "spotify"],
        [session, "-o", out, "--normalize", "loud"],
        [session, "-o", out, "--bits", "20"],
        [session, "-o", out, "--rate", "1000"],
        [session, "-o", out, "--ceiling", "3"],
        [session, "-o", out, "--frobnicate"],
        [session, session, "-o", out],
        [session, "-o", os.path.join(d, "never.mp3")],
        [session, "-o", os.path.join(d, "never.flac"), "--bits", "32f"],
        [os.path.join(d, "missing.cfg"), "-o", out],
        [bad_session, "-o", out],
        [session, "-o", out, "--stem", "nosuch=" + os.path.join(d, "st.wav")],
        [session, "-o", out, "--stem", "kick"],
        [session, "-o", out, "--stem", "kick=" + os.path.join(d, "missing.wav")],
        [session, "-o", out, "--stem", "kick=" + os.path.join(d, "st.wav")],
        [session, "-o", out, "--stem", "kick=" + os.path.join(d, "r44.wav")],
        [session, "-o", os.path.join(d, "no", "such", "dir", "x.wav")],
        [session, "-o", os.path.join(d, "kick.wav")],
    ]
    problems = []
    for args in cases:
        r = render(*args)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        what = "render %s" % " ".join(os.path.basename(a) for a in args)
        if r.returncode != 1:
            problems.append("%s: exit %d (want 1): %r" % (what, r.returncode, r.stderr))
        elif len(lines) != 1:
            problems.append("%s: %d lines on stderr (want 1): %r" % (what, len(lines), r.stderr))
        else:
            jmtest.note("%s -> %s" % (what, lines[0]))
        if os.path.exists(out):
            problems.append("%s: left %s behind" % (what, out))
            os.unlink(out)
    with wave.open(os.path.join(d, "kick.wav")) as w:
        assert w.getnframes() > 0, "rendering onto a stem destroyed it"
    assert not problems, "\n  " + "\n  ".join(problems)
    r = render("--help")
    assert r.returncode == 0 and "usage: jmixd render" in r.stdout


def test_render_speed_reported():
    d = jmtest.mkdtemp()
    session, _, _ = make_mix(d, seconds=3.0)
    r = render_ok(session, "-o", os.path.join(d, "s.wav"))
    speed = summary_value(r.stderr, "speed")
    jmtest.note("render speed %.0fx real time (3 strips, 2 buses, master comp + limiter)" % speed)
    assert speed > 1.0, "render is slower than real time"
