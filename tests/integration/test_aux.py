"""Issue 16, aux buses: JACK outputs, sends (level, on, pre/post, pan and
balance), solo-safe aux mixes, the aux limiter and FX returns into an aux
bus, measured on the daemon's aux outputs through a real JACK server."""
import math
import time

import jmtest
from jmtest import Daemon, JackServer, Probe, db

SESSION = """
jack = { name = "jmixd"; };
strips = (
  { name = "s1"; input = [ ]; fader = -90.0; send = { drums = { level = -6.0; }; }; },
  { name = "s2"; input = [ ]; },
  { name = "keys"; channels = 2; input = [ ]; }
);
buses = ( { name = "drums"; type = "aux"; channels = 2;
            output = [ "system:playback_1", "system:playback_2" ]; },
          { name = "wedge"; type = "aux"; channels = 1; },
          { name = "verb"; type = "reverb"; } );
master = { output = [ ]; };
"""

DL, DR, WEDGE = "jmixd:drums_L", "jmixd:drums_R", "jmixd:wedge"
ML, MR = "jmixd:master_L", "jmixd:master_R"
TONE = "sine:1000:-20"          # peak 0.1; 1 kHz = 48 samples a period at 48 kHz
CENTRE = math.cos(math.pi / 4)  # the master's pan law at centre (docs/dsp.md)
W = (0.2, 0.7)                  # a window of whole periods after the fade-in


def _rms_db_expected(peak_db):
    return peak_db - 20 * math.log10(math.sqrt(2))


def _capture(js, play, ports, seconds=0.8):
    cap = Probe.run(js, play=play, capture=ports, seconds=seconds)
    cap.assert_clean()
    return cap


def _settle(c):
    c.query("/info")
    time.sleep(0.12)


def test_aux_ports_and_connections():
    with JackServer() as js, Daemon(SESSION, js):
        ports = js.ports()
        for p in (DL, DR, WEDGE):
            assert p in ports, "aux output %s registered" % p
        assert "jmixd:wedge_L" not in ports, "a mono aux bus has one port"
        conns = js.connections()
        jmtest.note("connections: %r" % sorted(p for p in conns if "drums" in p[0]))
        assert (DL, "system:playback_1") in conns, "drums_L connected like the master"
        assert (DR, "system:playback_2") in conns
        assert (DL, "system:playback_2") not in conns


def test_sends_levels_pan_balance_on():
    with JackServer() as js, Daemon(SESSION, js) as d:
        c = d.client()
        # pre send -6 dB, pan centre, main fader -90
        cap = _capture(js, [("jmixd:s1", TONE)], [DL, DR, ML])
        want = _rms_db_expected(-20 - 6 + db(CENTRE))
        l, r = cap.rms_db(0, *W), cap.rms_db(1, *W)
        jmtest.note("pre send -6 at fader -90: drums L %.3f R %.3f dB rms, want %.3f" % (l, r, want))
        assert abs(l - want) < 0.05 and abs(r - want) < 0.05
        assert cap.peak(2) == 0.0, "the master is silent at fader -90"

        # post send follows the fader
        c.send("/strip/s1/send/drums/pre", 0)
        c.send("/strip/s1/fader", -10.0)
        _settle(c)
        cap = _capture(js, [("jmixd:s1", TONE)], [DL, DR])
        want_post = want - 10
        l, r = cap.rms_db(0, *W), cap.rms_db(1, *W)
        jmtest.note("post send at fader -10: L %.3f R %.3f, want %.3f" % (l, r, want_post))
        assert abs(l - want_post) < 0.05 and abs(r - want_post) < 0.05

        # mono strip pans into a stereo aux: hard left
        c.send("/strip/s1/send/drums/pan", -1.0)
        _settle(c)
        cap = _capture(js, [("jmixd:s1", TONE)], [DL, DR])
        l, r = cap.rms_db(0, *W), cap.peak(1, *W)
        jmtest.note("pan -1: L %.3f dB, R peak %g" % (l, r))
        assert abs(l - (want_post - db(CENTRE))) < 0.05 and r == 0.0

        # send on = 0 silences it
        c.send("/strip/s1/send/drums/on", 0)
        _settle(c)
        cap = _capture(js, [("jmixd:s1", TONE)], [DL, DR])
        assert cap.peak(0) == 0.0 and cap.peak(1) == 0.0, "send off: silence"

        # a stereo strip balances: pan 0.5 leaves R at unity, L at cos(pi/4)
        c.send("/strip/keys/send/drums/level", 0.0)
        c.send("/strip/keys/send/drums/pan", 0.5)
        _settle(c)
        cap = _capture(js, [("jmixd:keys_L", TONE), ("jmixd:keys_R", "sine:1000:-14")], [DL, DR])
        l, r = cap.rms_db(0, *W), cap.rms_db(1, *W)
        jmtest.note("stereo strip balance 0.5: L %.3f R %.3f" % (l, r))
        assert abs(l - _rms_db_expected(-20 + db(math.cos(0.5 * math.pi / 2)))) < 0.05
        assert abs(r - _rms_db_expected(-14)) < 0.05

        # a mono aux bus: no pan law; a mono strip arrives at its send level
        c.send("/strip/s2/send/wedge/level", -6.0)
        _settle(c)
        cap = _capture(js, [("jmixd:s2", TONE)], [WEDGE])
        w = cap.rms_db(0, *W)
        jmtest.note("mono aux, send -6 pre: %.3f" % w)
        assert abs(w - _rms_db_expected(-26)) < 0.05
        c.close()


def test_solo_leaves_aux_identical():
    with JackServer() as js, Daemon(SESSION, js) as d:
        c = d.client()
        c.send("/strip/s1/fader", 0.0)
        c.send("/strip/s2/send/drums/level", -3.0)
        c.send("/strip/s2/send/drums/pre", 0)
        _settle(c)
        play = [("jmixd:s1", TONE), ("jmixd:s2", "noise:-12:7")]
        a = _capture(js, play, [DL, DR, ML])
        c.send("/strip/s2/solo", 1)
        _settle(c)
        b = _capture(js, play, [DL, DR, ML])
        c.send("/strip/s2/solo", 0)
        diff = max(max(abs(x - y) for x, y in zip(a.channel(k), b.channel(k))) for k in (0, 1))
        m = max(abs(x - y) for x, y in zip(a.channel(2), b.channel(2)))
        jmtest.note("solo s2: aux max difference %g, master max difference %g" % (diff, m))
        assert m > 0.01, "solo changed the master"
        assert list(a.channel(0)) == list(b.channel(0)) and list(a.channel(1)) == list(b.channel(1)), \
            "the aux outputs are sample-identical"
        c.close()


def _true_peak(x):
    """Peak of x upsampled 4x (windowed-sinc interpolation, 32 taps a phase)."""
    taps = 16
    best = max(abs(v) for v in x)
    kern = []
    for p in range(1, 4):
        frac = p / 4.0
        row = []
        for j in range(-taps + 1, taps + 1):
            t = j - frac
            w = 0.5 + 0.5 * math.cos(math.pi * t / (taps + 0.5))
            row.append(math.sin(math.pi * t) / (math.pi * t) * w)
        kern.append(row)
    for n in range(taps, len(x) - taps):
        seg = x[n - taps + 1:n + taps + 1]
        for row in kern:
            v = abs(math.fsum(a * b for a, b in zip(row, seg)))
            if v > best:
                best = v
    return best


def test_aux_limiter_holds_ceiling():
    with JackServer() as js, Daemon(SESSION, js) as d:
        c = d.client()
        c.send("/strip/s1/send/drums/level", 0.0)
        _settle(c)
        # quiet, then an abrupt +12 dBFS burst (+9 dBFS per side at pan centre)
        cap = _capture(js, [("jmixd:s1", "seq:997:-30:0.2:12:0.3")], [DL, DR], seconds=0.7)
        a, b = int(0.17 * cap.rate), int(0.55 * cap.rate)
        peaks = [_true_peak(cap.channel(k)[a:b]) for k in (0, 1)]
        sp = max(cap.peak(0), cap.peak(1))
        jmtest.note("aux limiter, ceiling -6: true peak L %.3f R %.3f dBTP, sample peak %.3f dBFS" %
                    (db(peaks[0]), db(peaks[1]), db(sp)))
        assert db(max(peaks)) <= -6 + 0.1
        assert db(sp) > -7, "the burst did reach the limiter"
        c.close()


def test_fx_return_into_aux_and_params():
    with JackServer() as js, Daemon(SESSION, js) as d:
        c = d.client()
        c.send("/strip/s2/send/verb/level", 0.0)
        _settle(c)
        cap = _capture(js, [("jmixd:s2", TONE)], [DL])
        assert cap.peak(0) == 0.0, "no FX return into the aux by default"
        c.send("/bus/verb/send/drums/level", 0.0)
        _settle(c)
        cap = _capture(js, [("jmixd:s2", TONE)], [DL])
        r = cap.rms_db(0, *W)
        jmtest.note("reverb return into drums: %.1f dB rms" % r)
        assert r > -50, "the reverb arrives on the aux"
        # defaults and the parameter set (state and OSCQuery derive from it)
        assert c.query_value("/strip/s2/send/drums/pre") == 1.0
        assert c.query_value("/strip/s2/send/verb/pre") == 0.0
        assert c.query_value("/bus/drums/limiter/ceiling") == -6.0
        c.close()
    r = jmtest.run_jmixd("--list-params", d.session_path)
    assert r.returncode == 0, r.stderr
    paths = {line.split()[0] for line in r.stdout.splitlines() if line.startswith("/")}
    # index form: buses drums = 1, wedge = 2, verb = 3
    for p in ("/strip/1/send/1/on", "/strip/1/send/1/pan", "/strip/1/send/1/pre",
              "/strip/1/send/3/on", "/bus/1/eq/1/gain", "/bus/1/limiter/on", "/bus/2/limiter/release",
              "/bus/3/send/1/level", "/bus/3/send/2/level"):
        assert p in paths, p
    assert "/strip/1/send/3/pan" not in paths
    assert "/bus/1/send/2/level" not in paths
    assert "/bus/3/send/3/level" not in paths


def test_send_pan_link():
    """send/{b}/link (default off): while on, the aux send pans with the
    strip's pan (smoothed), and send/{b}/pan is ignored."""
    with JackServer() as js, Daemon(SESSION, js) as d:
        c = d.client()
        assert c.query_value("/strip/s1/send/drums/link") == 0.0, "link is off by default"
        c.send("/strip/s1/send/drums/pan", 1.0)   # the send's own pan: hard right
        c.send("/strip/s1/pan", -1.0)             # the strip's: hard left
        _settle(c)
        cap = _capture(js, [("jmixd:s1", TONE)], [DL, DR])
        jmtest.note("link off: L peak %g, R %.3f dB" % (cap.peak(0, *W), cap.rms_db(1, *W)))
        assert cap.peak(0, *W) == 0.0, "unlinked: the send's own pan (right)"
        want = _rms_db_expected(-26)              # -20 tone, send -6, hard: unity on one side
        assert abs(cap.rms_db(1, *W) - want) < 0.05
        c.send("/strip/s1/send/drums/link", 1)
        _settle(c)
        cap = _capture(js, [("jmixd:s1", TONE)], [DL, DR])
        l, r = cap.rms_db(0, *W), cap.peak(1, *W)
        jmtest.note("link on, strip pan -1: L %.3f dB, R peak %g" % (l, r))
        assert abs(l - want) < 0.05 and r == 0.0, "linked: the strip's pan (left)"
        c.send("/strip/s1/pan", 0.0)              # the linked send follows the strip
        _settle(c)
        cap = _capture(js, [("jmixd:s1", TONE)], [DL, DR])
        l, r = cap.rms_db(0, *W), cap.rms_db(1, *W)
        jmtest.note("link on, strip pan 0: L %.3f R %.3f dB" % (l, r))
        assert abs(l - (want + db(CENTRE))) < 0.05 and abs(r - (want + db(CENTRE))) < 0.05
        c.close()
    r = jmtest.run_jmixd("--list-params", d.session_path)
    paths = {line.split()[0] for line in r.stdout.splitlines() if line.startswith("/")}
    assert "/strip/1/send/1/link" in paths and "/strip/1/send/3/link" not in paths
