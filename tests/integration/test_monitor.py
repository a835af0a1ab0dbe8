"""Issue 9, monitor section, through a real JACK server: each translation
curve's response at 50 Hz..12 kHz against the documented curve (computed
here independently from the RBJ cookbook formulas), mono, side, dim, and
master outputs untouched by anything the monitor does."""
import cmath
import math
import time

import jmtest
from jmtest import Daemon, JackServer, Probe, db

FS = 48000
FREQS = [50, 100, 300, 1000, 3000, 8000, 12000]
SESSION = """
strips = ( { name = "st"; channels = 2; input = [ ]; } );
master = { output = [ ]; };
monitor = { output = [ ]; };
"""
CURVES = ["flat", "phone", "laptop", "earbuds", "car", "club"]
BW = 1 / math.sqrt(2)
Q4 = (0.54119610014619698, 1.30656296487637653)


def rbj(kind, f0, q, gain_db=0.0):
    """RBJ Audio EQ Cookbook biquad (b, a), a0-normalised."""
    w = 2 * math.pi * f0 / FS
    cw, sw = math.cos(w), math.sin(w)
    alpha = sw / (2 * q)
    A = 10 ** (gain_db / 40)
    if kind == "hpf":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "lpf":
        b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "peak":
        b = [1 + alpha * A, -2 * cw, 1 - alpha * A]
        a = [1 + alpha / A, -2 * cw, 1 - alpha / A]
    else:
        sA = 2 * math.sqrt(A) * alpha
        if kind == "low":
            b = [A * ((A + 1) - (A - 1) * cw + sA), 2 * A * ((A - 1) - (A + 1) * cw),
                 A * ((A + 1) - (A - 1) * cw - sA)]
            a = [(A + 1) + (A - 1) * cw + sA, -2 * ((A - 1) + (A + 1) * cw),
                 (A + 1) + (A - 1) * cw - sA]
        else:
            b = [A * ((A + 1) + (A - 1) * cw + sA), -2 * A * ((A - 1) + (A + 1) * cw),
                 A * ((A + 1) + (A - 1) * cw - sA)]
            a = [(A + 1) - (A - 1) * cw + sA, 2 * ((A - 1) - (A + 1) * cw),
                 (A + 1) - (A - 1) * cw - sA]
    return b, a


DOCUMENTED = {   # docs/dsp.md's table of filters per curve
    "flat": [],
    "phone": [("hpf", 300, Q4[0]), ("hpf", 300, Q4[1]), ("lpf", 8000, Q4[0]), ("lpf", 8000, Q4[1])],
    "laptop": [("hpf", 200, BW), ("peak", 2500, 1.0, 3.0)],
    "earbuds": [("hpf", 50, BW), ("peak", 3000, 1.0, 3.0), ("high", 10000, BW, -3.0)],
    "car": [("low", 80, BW, 4.0), ("high", 8000, BW, -2.0)],
    "club": [("hpf", 30, BW), ("peak", 50, 1.0, 3.0)],
}


def curve_db(curve, f):
    z = cmath.exp(-2j * math.pi * f / FS)
    total = 0.0
    for spec in DOCUMENTED[curve]:
        b, a = rbj(*spec)
        h = (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
        total += 20 * math.log10(abs(h))
    return total


def goertzel(x, f):
    """Amplitude of frequency f over x (a whole number of cycles)."""
    w = 2 * math.pi * f / FS
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    re = s1 - s2 * math.cos(w)
    im = s2 * math.sin(w)
    return 2 * math.hypot(re, im) / len(x)


CAP = ["probe_play:out_1", "probe_play:out_2", "jmixd:master_L", "jmixd:master_R",
       "jmixd:monitor_L", "jmixd:monitor_R"]
WIN = (9600, 19200)   # 0.2..0.4 s: filters settled; 5 Hz bins hold every test frequency


def settle(C):
    jmtest.settle(C)


def run(JS, sig_l, sig_r):
    cap = Probe.run(JS, play=[("jmixd:st_L", sig_l), ("jmixd:st_R", sig_r)], capture=CAP,
                    seconds=0.45)
    cap.assert_clean()
    return cap


def seg(cap, k):
    return cap.channel(k)[WIN[0]:WIN[1]]


def test_curves_match_their_documented_response(console):
    JS, C = console.js, console.c
    multi = "multi:-24:" + "/".join(str(f) for f in FREQS)
    worst = 0.0
    for i, curve in enumerate(CURVES):
        C.send("/monitor/curve", curve if i % 2 else ("i", i))  # by name and by index
        settle(C)
        assert C.query("/monitor/curve") == [float(i)]
        cap = run(JS, multi, multi)
        ref, mon = seg(cap, 2), seg(cap, 4)
        for f in FREQS:
            got = db(goertzel(mon, f) / goertzel(ref, f))
            want = curve_db(curve, f)
            worst = max(worst, abs(got - want))
            assert abs(got - want) <= 0.5, "%s at %d Hz: %.2f dB, documented %.2f" % (curve, f, got, want)
        jmtest.note("%s: %s" % (curve, " ".join("%d:%+.1f" % (f, curve_db(curve, f)) for f in FREQS)))
    jmtest.note("worst deviation from the documented curves: %.3f dB" % worst)
    C.send("/monitor/curve", "flat")


def test_mono_side_dim_and_master_untouched(console):
    JS, C = console.js, console.c
    C.send("/monitor/curve", "flat")
    settle(C)
    a, b = 1000, 3000
    sig_l, sig_r = "sine:%d:-12" % a, "sine:%d:-12" % b
    cap = run(JS, sig_l, sig_r)
    base_master = [list(cap.channel(2)), list(cap.channel(3))]
    assert base_master[0] == list(cap.channel(0)) and base_master[1] == list(cap.channel(1)), \
        "a stereo strip at unity passes its inputs to the master exactly"

    def tone(cap, ch, f):
        return db(goertzel(seg(cap, ch), f))
    ref = tone(cap, 4, a)
    C.send("/monitor/mono", 1)
    settle(C)
    cap = run(JS, sig_l, sig_r)
    # mono: (L+R)/2 on both sides
    for ch in (4, 5):
        assert abs(tone(cap, ch, a) - (ref - 6.0206)) < 0.05 and abs(tone(cap, ch, b) - (ref - 6.0206)) < 0.05
    assert list(cap.channel(2)) == list(cap.channel(0)), "master untouched by mono"
    C.send("/monitor/mono", 0)
    C.send("/monitor/side", 1)
    settle(C)
    cap = run(JS, sig_l, sig_r)
    # side: L-R on both sides: L's tone at full level, R's inverted at full level
    for ch in (4, 5):
        assert abs(tone(cap, ch, a) - ref) < 0.05 and abs(tone(cap, ch, b) - ref) < 0.05
    x = seg(cap, 4)
    l_in, r_in = seg(cap, 0), seg(cap, 1)
    assert max(abs(x[i] - (l_in[i] - r_in[i])) for i in range(len(x))) < 1e-5, "side is L-R"
    assert list(cap.channel(3)) == list(cap.channel(1)), "master untouched by side"
    C.send("/monitor/side", 0)
    C.send("/monitor/dim", 1)
    C.send("/monitor/curve", "club")
    C.send("/monitor/level", -3.0)
    settle(C)
    cap = run(JS, sig_l, sig_r)
    assert abs(tone(cap, 4, a) - (ref - 20.0 - 3.0 + curve_db("club", a))) < 0.05, "dim is -20 dB"
    assert list(cap.channel(2)) == list(cap.channel(0)) and list(cap.channel(3)) == list(cap.channel(1)), \
        "master outputs are sample-identical whatever the monitor does"
    jmtest.note("mono -6.02 dB both sides, side L-R exact, dim -20 dB, master identical in all settings")
    for p, v in (("dim", 0), ("level", 0.0), ("curve", "flat")):
        C.send("/monitor/" + p, v)
