"""The live 1/3-octave analyser (issue 17; docs/osc.md "/rta/source",
docs/dsp.md "Real-time analyser"): /rta/source picks a tap, subscribers get
/meter/rta with 31 dBFS levels at the meter rate.

Real jackd (dummy), real daemon, real OSC; jm_probe plays into strip 1
("kick") and captures the master and the aux bus "mon" where a level is
compared with what the tap carries. Averages are taken in power over the
readings; durations count readings (meter periods of audio), not wall time,
so a dummy server slower than real time only makes a test longer."""
import math
import time

import pytest

import jmtest
from jmtest import Daemon, OscClient, Probe

METER_RATE = 20.0
SESSION = """
jack = { name = "jmrta"; };
osc = { allow = [ "127.0.0.0/8" ]; engineers = [ "127.0.0.1/32" ]; meter_rate = %.1f; };
strips = ( { name = "kick"; input = [ ];
             send = { mon = { level = -6.0; }; }; },
           { name = "pad"; input = [ ]; } );
buses = ( { name = "mon"; type = "aux"; channels = 2; output = [ ]; },
          { name = "verb"; type = "reverb"; } );
master = { output = [ ]; };
performers = ( { name = "drummer"; bus = "mon"; pin = "4711"; } );
""" % METER_RATE

BANDS = [20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800,
         1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000]
K1K = BANDS.index(1000)


@pytest.fixture(scope="module")
def rta(module_jack):
    d = Daemon(SESSION, module_jack).start()
    c = d.client()
    yield module_jack, d, c
    c.send("/rta/source", "off")
    c.close()
    d.stop()


def set_source(c, src):
    c.drain(0)
    c.send("/rta/source", src)
    m = c.wait_for("/rta/source", 2.0)
    assert m is not None, "no /rta/source reply to %s" % src
    return m[1]


def readings(c, n, settle=0, limit=None):
    """n /meter/rta readings (after skipping `settle` more), each checked to
    be exactly 31 floats; renews the subscription on the way."""
    out, skipped = [], 0
    limit = limit or (n + settle) / METER_RATE * 4 + 10
    t_end = time.monotonic() + limit
    renew = time.monotonic() + 4.0
    while len(out) < n and time.monotonic() < t_end:
        if time.monotonic() > renew:
            c.send("/subscribe")
            renew = time.monotonic() + 4.0
        m = c.recv_tagged(0.5)
        if m is None or m[0] != "/meter/rta":
            continue
        assert m[2] == "f" * 31 and len(m[1]) == 31, "/meter/rta must be 31 floats: %r" % (m,)
        if skipped < settle:
            skipped += 1
            continue
        out.append(m[1])
    assert len(out) == n, "got %d of %d /meter/rta readings in %.0f s" % (len(out), n, limit)
    return out


def power_mean(rows):
    """Per band: the readings averaged in power, in dB."""
    return [10 * math.log10(sum(10 ** (r[k] / 10) for r in rows) / len(rows)) for k in range(31)]


def band_table(levels):
    return " ".join("%s:%.2f" % (BANDS[k], levels[k]) for k in range(31))


def rta_blocks(c):
    s = c.query("/stats", timeout=5.0)
    assert len(s) == 16, "/stats must have 16 counters (rta_blocks 10th): %r" % (s,)
    return s[9]


def test_sine_on_strip_reads_its_level(rta):
    """A 1 kHz sine at -12 dBFS peak on strip 1: the 1 kHz band is the
    maximum and reads -12 within 0.5 dB (AES17: a sine reads its peak
    level). The tap sits before the fader and after the EQ: a fader move
    changes nothing, a +6 dB EQ bell at 1 kHz shows +6 dB."""
    js, d, c = rta

    def during():
        assert set_source(c, "strip/1") == ["strip/1"]
        c.send("/subscribe")
        plain = power_mean(readings(c, 30, settle=10))
        c.set_and_confirm("/strip/1/fader", -20.0)
        faded = power_mean(readings(c, 20, settle=10))
        c.set_and_confirm("/strip/1/fader", 0.0)
        for p, v in (("/strip/1/eq/2/freq", 1000.0), ("/strip/1/eq/2/q", 1.0),
                     ("/strip/1/eq/2/gain", 6.0), ("/strip/1/eq/on", 1)):
            c.set_and_confirm(p, v)
        eq = power_mean(readings(c, 20, settle=10))
        for p, v in (("/strip/1/eq/2/gain", 0.0), ("/strip/1/eq/on", 0)):
            c.set_and_confirm(p, v)
        return plain, faded, eq

    cap = Probe.run(js, play=[("jmrta:kick", "sine:1000:-12")], capture=[], seconds=12.0,
                    during=during, stop_after_during=True)
    plain, faded, eq = cap.during_result
    jmtest.note("strip/1 sine -12 dBFS: " + band_table(plain))
    assert max(range(31), key=lambda k: plain[k]) == K1K, band_table(plain)
    assert abs(plain[K1K] - (-12.0)) <= 0.5, plain[K1K]
    # the neighbours are far down (6th-order bands): about -20 dB one band away
    assert plain[K1K - 1] < plain[K1K] - 12 and plain[K1K + 1] < plain[K1K] - 12, band_table(plain)
    assert abs(faded[K1K] - plain[K1K]) <= 0.2, (faded[K1K], plain[K1K])
    jmtest.note("with a +6 dB bell at 1 kHz: %.2f dB" % eq[K1K])
    assert abs(eq[K1K] - (plain[K1K] + 6.0)) <= 0.3, (eq[K1K], plain[K1K])


def test_pink_noise_reads_flat(rta):
    """jm_probe's periodic pink noise (ppink: a 65536-frame loop whose
    spectrum is exactly pink from 10 Hz, RMS -20 dBFS) on strip 1: the 31
    bands, averaged in power over four loops of readings, lie within 0.5 dB
    (0.05 measured).
    A loop's band powers are exact, so four loops do what 32 s of random
    pink noise did (its narrow low bands need that long to settle)."""
    js, d, c = rta
    loop_s = 65536 / 48000.0
    n = int(math.ceil(4 * loop_s * METER_RATE))

    def during():
        assert set_source(c, "strip/kick") == ["strip/1"]
        c.send("/subscribe")
        return power_mean(readings(c, n, settle=int(METER_RATE)))

    cap = Probe.run(js, play=[("jmrta:kick", "ppink:-20:7")], capture=[], seconds=30.0,
                    during=during, timeout=120, stop_after_during=True)
    lv = cap.during_result
    spread = max(lv) - min(lv)
    jmtest.note("ppink -20 dBFS RMS, %d readings: spread %.2f dB: %s" % (n, spread, band_table(lv)))
    assert spread <= 0.5, band_table(lv)
    # the level: the loop is pink from 10 Hz to 24 kHz (33.7 third-octaves),
    # so a band holds 1/33.7 of the -20 dBFS RMS: -35.3 dB RMS, which reads
    # -32.3 dBFS (a sine's RMS is 3 dB below its peak reading)
    mean = 10 * math.log10(sum(10 ** (v / 10) for v in lv) / 31)
    expect = -20.0 - 10 * math.log10(3 * math.log2(24000 / 10.0)) + 3.01
    jmtest.note("mean band %.2f dB, want %.2f" % (mean, expect))
    assert abs(mean - expect) < 0.5, mean


def test_master_and_bus_sources(rta):
    """master: after the limiter, what goes out; bus/mon: the aux bus's
    output. Each reads the level its captured output carries (sine peak,
    (L^2 + R^2)/2 in power)."""
    js, d, c = rta

    def during():
        time.sleep(0.5)
        assert set_source(c, "master") == ["master"]
        c.send("/subscribe")
        master = power_mean(readings(c, 20, settle=10))
        assert set_source(c, "bus/mon") == ["bus/1"]
        bus = power_mean(readings(c, 20, settle=10))
        assert set_source(c, "bus/2") == ["bus/2"]
        return master, bus

    cap = Probe.run(js, play=[("jmrta:kick", "sine:1000:-12")],
                    capture=["jmrta:master_L", "jmrta:master_R", "jmrta:mon_L", "jmrta:mon_R"],
                    seconds=8.0, during=during)
    master, bus = cap.during_result

    def expect(k0):
        pl, pr = cap.peak(k0, 1.0, 7.5), cap.peak(k0 + 1, 1.0, 7.5)
        return 10 * math.log10((pl * pl + pr * pr) / 2)

    em, eb = expect(0), expect(2)
    jmtest.note("master: 1k band %.2f dB, captured %.2f; bus: %.2f, captured %.2f" % (
        master[K1K], em, bus[K1K], eb))
    assert max(range(31), key=lambda k: master[k]) == K1K, band_table(master)
    assert max(range(31), key=lambda k: bus[k]) == K1K, band_table(bus)
    assert abs(master[K1K] - em) <= 0.5 and abs(bus[K1K] - eb) <= 0.5
    # the two taps are different signals: the bus gets the send at -6 dB
    assert abs(eb - em) > 1.0, (eb, em)


def test_bad_source_changes_nothing(rta):
    js, d, c = rta
    assert set_source(c, "strip/2") == ["strip/2"]
    for bad in ("strip/3", "strip/0", "strip/nosuch", "bus/3", "bus/", "master/1", "Off", ""):
        c.drain(0)
        c.send("/rta/source", bad)
        m = c.wait_for("/error", 2.0)
        assert m is not None and m[1][0] == "/rta/source", "%r accepted: %r" % (bad, m)
    c.drain(0)
    c.send("/rta/source", 1)
    assert c.wait_for("/error", 2.0)[1][0] == "/rta/source"
    c.send("/rta/source", "master", "strip/1")
    assert c.wait_for("/error", 2.0)[1][0] == "/rta/source"
    c.send("/rta/other")
    assert c.wait_for("/error", 2.0)[1] == ["/rta/other", "unknown address"]
    assert c.query("/rta/source") == ["strip/2"]
    assert set_source(c, "strip/pad") == ["strip/2"]
    assert set_source(c, "bus/verb") == ["bus/2"]


def test_off_sends_nothing_and_analyses_nothing(rta):
    """off: no /meter/rta, and /stats rta_blocks (analysis blocks run) does
    not move over 2 s while a signal plays; on again, it moves."""
    js, d, c = rta

    def during():
        assert set_source(c, "strip/1") == ["strip/1"]
        c.send("/subscribe")
        readings(c, 5)
        b_on0 = rta_blocks(c)
        assert set_source(c, "off") == ["off"]
        time.sleep(0.2)
        b0 = rta_blocks(c)
        got = [m for m in c.collect(2.0) if m[0] == "/meter/rta"]
        b1 = rta_blocks(c)
        assert c.query("/rta/source") == ["off"]
        return b_on0, b0, b1, got

    cap = Probe.run(js, play=[("jmrta:kick", "sine:1000:-12")], capture=[], seconds=6.0,
                    during=during, stop_after_during=True)
    b_on0, b0, b1, got = cap.during_result
    jmtest.note("rta_blocks: on %d, off %d -> %d over 2 s" % (b_on0, b0, b1))
    assert b0 > 0 and b0 >= b_on0
    assert not got, "/meter/rta while off: %d" % len(got)
    assert b1 == b0, "analysis ran while off: %d -> %d" % (b0, b1)


def test_performer_is_refused(rta):
    js, d, c = rta
    assert set_source(c, "master") == ["master"]
    with OscClient(d.osc_port, bind_host="127.0.0.2") as p:
        # not logged in: a performer-only address may do nothing
        p.send("/rta/source", "strip/1")
        assert p.wait_for("/error", 2.0)[1] == ["/rta/source", "not permitted"]
        p.drain(0)
        p.send("/performer/login", "drummer", "4711")
        assert p.wait_for("/performer/login", 2.0)[1] == ["drummer", 1]
        for args in (("strip/1",), ("off",), ()):
            p.drain(0)
            p.send("/rta/source", *args)
            assert p.wait_for("/error", 2.0)[1] == ["/rta/source", "not permitted"], args
        # a performer's subscription carries no /meter/rta (the tap may be anything)
        p.send("/subscribe")
        got = [m for m in p.collect(1.0) if m[0] == "/meter/rta"]
        assert not got
    assert c.query("/rta/source") == ["master"]
    set_source(c, "off")


def test_source_survives_jack_restart(jack):
    """The daemon reconnects after its JACK server died; the source chosen
    before is tapped again without being asked for."""
    js = jack
    d = Daemon(SESSION.replace('"jmrta"', '"jmrta2"'), js).start()
    try:
        with d.client() as c:
            assert set_source(c, "strip/1") == ["strip/1"]
            js.kill()
            time.sleep(1.2)
            assert d.alive()
            assert c.query("/rta/source") == ["strip/1"]   # answered while the server is gone
            js.start()
            assert jmtest.wait_until(lambda: "jmrta2:kick" in js.ports(), 8.0), "no reconnect"

            def during():
                c.send("/subscribe")
                return power_mean(readings(c, 20, settle=10))

            cap = Probe.run(js, play=[("jmrta2:kick", "sine:1000:-12")], capture=[],
                            seconds=6.0, during=during, stop_after_during=True)
            lv = cap.during_result
            jmtest.note("after the restart: 1k band %.2f dB" % lv[K1K])
            assert max(range(31), key=lambda k: lv[k]) == K1K and abs(lv[K1K] + 12.0) <= 0.5, \
                band_table(lv)
    finally:
        d.stop()


def test_probe_pink_signal(module_jack):
    """jm_probe pink:DBFS:SEED and ppink:DBFS:SEED (no daemon): deterministic,
    RMS at DBFS, another seed is another noise; ppink repeats every 65536
    frames exactly and its RMS over a whole loop is exact."""
    js = module_jack
    outs = ["probe_play:out_1", "probe_play:out_2"]
    a = Probe.run(js, play=[("system:playback_1", "pink:-20:3"),
                            ("system:playback_2", "ppink:-20:3")], capture=outs, seconds=3.0)
    b = Probe.run(js, play=[("system:playback_1", "pink:-20:3"),
                            ("system:playback_2", "pink:-20:4")], capture=outs, seconds=1.0)
    assert list(a.channel(0)[:48000]) == list(b.channel(0)[:48000]), \
        "pink noise is not deterministic"
    rms = a.rms_db(0, 0.5, 3.0)
    jmtest.note("pink:-20: RMS %.2f dBFS" % rms)
    assert abs(rms - (-20.0)) < 0.5, rms
    assert abs(jmtest.correlation(b.channel(0), b.channel(1))) < 0.2
    pp = a.channel(1)
    n = 65536
    assert len(pp) >= 2 * n
    assert list(pp[:n]) == list(pp[n:2 * n]), "ppink does not repeat every 65536 frames"
    loop_rms = 10 * math.log10(sum(float(x) * float(x) for x in pp[:n]) / n)
    jmtest.note("ppink:-20: RMS over one loop %.4f dBFS" % loop_rms)
    assert abs(loop_rms - (-20.0)) < 0.01, loop_rms
