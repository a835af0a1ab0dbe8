"""OSC acceptance (docs/osc.md, docs/operations.md): set/query, norm tapers, clamping,
errors, patterns, bundles, /info /strips /params, subscriptions, leases,
meters, the allow list, and robustness against bad packets."""
import os
import random
import struct
import time

import pytest

import jmtest
from jmtest import Daemon, JackServer, OscClient, Probe, run_jmixd

SESSION = """
jack = { name = "jmixd"; };
osc = { meter_rate = 20.0; };
strips = (
  { name = "kick"; input = [ ]; },
  { name = "snare"; input = [ ]; }
);
master = { output = [ ]; };
"""

def approx(a, b, tol=1e-4):
    return isinstance(a, (int, float)) and not isinstance(a, bool) and abs(a - b) <= tol


def q(C, path):
    v = C.query_value(path)
    assert isinstance(v, (int, float)), "query %s: non-numeric reply %r" % (path, v)
    return float(v)


def expect_value(C, path, value, tol=1e-4):
    v = q(C, path)
    assert abs(v - value) <= tol, "%s: query gives %r, expected %r" % (path, v, value)


def reset(C):
    for s in (1, 2):
        for p, v in (("trim", 0.0), ("polarity", 0), ("mute", 0), ("solo", 0),
                     ("fader", 0.0), ("pan", 0.0)):
            C.send("/strip/%d/%s" % (s, p), v)
    C.send("/master/fader", 0.0)
    C.send("/master/mono", 0)
    C.query("/info")
    C.drain(0)


def expect_error(c, path, *args):
    """Send a bad message; expect /error s:ADDRESS s:REASON back."""
    c.drain(0)
    c.send(path, *args)
    m = c.wait_for("/error", 1.5)
    assert m is not None, "no /error for %s %r" % (path, args)
    a = m[1]
    assert len(a) == 2 and isinstance(a[0], str) and isinstance(a[1], str), \
        "/error must be s:ADDRESS s:REASON, got %r" % (a,)
    assert a[0] == path, "/error names %r, sent %r" % (a[0], path)
    assert a[1], "/error reason is empty"
    return a


def test_info(console):
    C = console.c
    args = C.query("/info")
    assert C.last_tags == "siiii", "/info types %r, expected siiii: %r" % (C.last_tags, args)
    version, rate, period, strips, buses = args
    assert version, "empty version"
    assert (rate, period, strips, buses) == (48000, 64, 2, 0), args


def test_strips(console):
    C = console.c
    args = C.query("/strips")
    assert args == ["kick", "snare"], args
    assert set(C.last_tags) == {"s"}


def test_set_and_query(console):
    C = console.c
    reset(C)
    C.send("/strip/1/fader", -10.0)
    expect_value(C, "/strip/1/fader", -10.0)
    # name form: same parameter, reply on the address as sent
    C.drain(0)
    C.send("/strip/kick/fader")
    m = C.wait_for("/strip/kick/fader", 1.5)
    assert m is not None, "no reply on /strip/kick/fader"
    assert approx(m[1][0], -10.0), m
    C.send("/strip/snare/pan", -0.25)
    expect_value(C, "/strip/2/pan", -0.25)
    # i and d are accepted for numbers
    C.send("/strip/2/fader", ("i", -20))
    expect_value(C, "/strip/2/fader", -20.0)
    C.send("/strip/2/fader", ("d", -12.5))
    expect_value(C, "/strip/2/fader", -12.5)
    C.send("/master/fader", -3.5)
    expect_value(C, "/master/fader", -3.5)
    C.send("/strip/1/trim", 4.25)
    expect_value(C, "/strip/1/trim", 4.25)
    # booleans: i, f, T/F
    C.send("/strip/1/mute", ("T",))
    expect_value(C, "/strip/1/mute", 1)
    C.send("/strip/1/mute", ("F",))
    expect_value(C, "/strip/1/mute", 0)
    C.send("/strip/2/solo", 1)
    expect_value(C, "/strip/2/solo", 1)
    C.send("/strip/2/solo", 0.0)
    expect_value(C, "/strip/2/solo", 0)
    C.send("/master/mono", ("i", 1))
    expect_value(C, "/master/mono", 1)
    reset(C)


def test_norm_tapers(console):
    C = console.c
    reset(C)
    # X32 fader law (docs/dsp.md)
    for f, d in ((0.75, 0.0), (0.5, -10.0), (0.25, -30.0), (0.0625, -60.0), (0.0, -90.0),
                 (1.0, 10.0), (0.875, 5.0), (0.03125, -75.0)):
        C.send("/strip/1/fader/norm", f)
        expect_value(C, "/strip/1/fader", d, 1e-3)
        expect_value(C, "/strip/1/fader/norm", f, 1e-4)
    C.send("/strip/1/fader", -40.0)          # -> (d+70)/160
    expect_value(C, "/strip/1/fader/norm", 30.0 / 160.0)
    # linear: pan -1..1, trim -24..24
    C.send("/strip/2/pan/norm", 0.25)
    expect_value(C, "/strip/2/pan", -0.5)
    C.send("/strip/2/trim/norm", 0.75)
    expect_value(C, "/strip/2/trim", 12.0)
    C.send("/master/fader/norm", 0.5)
    expect_value(C, "/master/fader", -10.0)
    # norm out of range is clamped too
    C.send("/strip/1/fader/norm", 1.5)
    expect_value(C, "/strip/1/fader", 10.0)
    reset(C)


def test_clamp_sends_feedback_to_sender(console):
    C = console.c
    reset(C)
    C.drain(0)
    C.send("/strip/1/fader", 50.0)
    m = C.wait_for("/strip/1/fader", 1.5)
    assert m is not None, "no feedback of the clamped value to the sender"
    assert approx(m[1][0], 10.0), "clamped feedback %r, expected 10.0" % (m[1],)
    expect_value(C, "/strip/1/fader", 10.0)
    C.send("/strip/1/fader", ("i", -1000))
    m = C.wait_for("/strip/1/fader", 1.5)
    assert m is not None and approx(m[1][0], -90.0), m
    C.send("/strip/2/pan", 3.0)
    m = C.wait_for("/strip/2/pan", 1.5)
    assert m is not None and approx(m[1][0], 1.0), m
    expect_value(C, "/strip/2/pan", 1.0)
    C.send("/strip/1/trim", -30.0)
    m = C.wait_for("/strip/1/trim", 1.5)
    assert m is not None and approx(m[1][0], -24.0), m
    reset(C)


def test_errors_change_nothing(console):
    C = console.c
    reset(C)
    C.send("/strip/1/fader", -5.0)
    expect_value(C, "/strip/1/fader", -5.0)
    expect_error(C, "/strip/1/fader", ("f", float("nan")))
    expect_value(C, "/strip/1/fader", -5.0)
    expect_error(C, "/strip/1/fader", ("f", float("inf")))
    expect_error(C, "/strip/1/fader", ("d", float("-inf")))
    expect_error(C, "/strip/1/fader", ("s", "x"))
    expect_error(C, "/strip/1/fader", ("T",))           # T/F only for booleans
    expect_error(C, "/strip/1/fader", -3.0, -4.0)       # a second argument
    expect_error(C, "/strip/1/fader", ("N",))
    expect_error(C, "/strip/1/fader/norm", ("f", float("nan")))
    expect_value(C, "/strip/1/fader", -5.0)
    expect_error(C, "/strip/1/mute", ("s", "on"))
    expect_value(C, "/strip/1/mute", 0)
    # a strip that does not exist
    expect_error(C, "/strip/9/fader", 0.0)
    expect_error(C, "/strip/0/fader", 0.0)
    expect_error(C, "/strip/nosuch/fader", 0.0)
    expect_error(C, "/strip/9/fader")                   # query of a missing strip
    expect_value(C, "/strip/1/fader", -5.0)
    expect_value(C, "/strip/2/fader", 0.0)
    reset(C)


def test_pattern_mute_all(console):
    C = console.c
    reset(C)
    C.send("/strip/*/mute", 1)
    expect_value(C, "/strip/1/mute", 1)
    expect_value(C, "/strip/2/mute", 1)
    C.send("/strip/{1,2}/mute", 0)
    expect_value(C, "/strip/1/mute", 0)
    expect_value(C, "/strip/2/mute", 0)
    C.send("/strip/[2-9]/fader", -7.0)
    expect_value(C, "/strip/2/fader", -7.0)
    expect_value(C, "/strip/1/fader", 0.0)
    C.send("/strip/?/pan", 0.5)
    expect_value(C, "/strip/1/pan", 0.5)
    expect_value(C, "/strip/2/pan", 0.5)
    C.send("/strip/*/f*er", -2.0)
    expect_value(C, "/strip/1/fader", -2.0)
    expect_value(C, "/strip/2/fader", -2.0)
    reset(C)


def test_bundle_immediate(console):
    C = console.c
    reset(C)
    C.send_bundle([("/strip/1/fader", -7.0), ("/strip/2/fader", -8.0),
                   jmtest.osc_bundle([("/master/fader", -1.5)], 1)], timetag=1)
    expect_value(C, "/strip/1/fader", -7.0)
    expect_value(C, "/strip/2/fader", -8.0)
    expect_value(C, "/master/fader", -1.5)
    # a past timetag applies at once
    C.send_bundle([("/strip/1/fader", -9.0)], timetag=jmtest.ntp_timetag(time.time() - 10))
    time.sleep(0.05)
    expect_value(C, "/strip/1/fader", -9.0)
    reset(C)


def _list_params_lines(D):
    path = os.path.join(D.dir, "session.cfg")
    r = run_jmixd("--list-params", path)
    assert r.returncode == 0, "--list-params failed: %s" % r.stderr
    return [l for l in r.stdout.splitlines() if l.strip()]


def test_params_reply(console):
    D, C = console.d, console.c
    reset(C)
    C.drain(0)
    C.send("/params")
    msgs = C.collect_quiet(0.4, 5.0, tagged=True)
    params = [m for m in msgs if m[0] == "/param"]
    assert params, "no /param replies"
    for p, a, t in params:
        assert t == "ssffff", "/param types %r: %r" % (t, a)
    lines = _list_params_lines(D)
    assert len(params) == len(lines), "/params gave %d, --list-params %d" % (len(params),
                                                                           len(lines))
    by = {a[0]: a for _, a, _ in params}
    assert set(by) == {l.split()[0] for l in lines}, "path sets differ"
    f = by["/strip/1/fader"]
    assert f[1] == "dB" and (f[2], f[3], f[4], f[5]) == (-90.0, 10.0, 0.0, 0.0), f
    C.send("/strip/2/pan", 0.5)
    C.query("/info")
    C.send("/params", "/strip/2")
    sub = [m[1] for m in C.collect_quiet(0.4, 5.0) if m[0] == "/param"]
    assert sub and all(a[0].startswith("/strip/2/") for a in sub), sub
    assert len(sub) == sum(1 for l in lines if l.startswith("/strip/2/")), sub
    pan = [a for a in sub if a[0] == "/strip/2/pan"]
    assert pan and approx(pan[0][5], 0.5) and (pan[0][2], pan[0][3]) == (-1.0, 1.0), pan
    reset(C)


def test_subscribe_feedback_and_norm_style(console):
    D, C = console.d, console.c
    reset(C)
    with OscClient(D.osc_port) as a, OscClient(D.osc_port) as b, \
            OscClient(D.osc_port) as n:
        a.send("/subscribe")
        # subscribe another socket's port in norm style (sent from a's socket)
        a.send("/subscribe", ("i", n.port), ("s", "norm"))
        a.query("/info")
        a.drain(0.1)
        n.drain(0.1)
        b.send("/strip/1/fader", -4.0)
        m = a.wait_for("/strip/1/fader", 1.5)
        assert m is not None, "subscriber got no feedback for another client's change"
        assert approx(m[1][0], -4.0), m
        m = n.wait_for("/strip/1/fader/norm", 1.5)
        assert m is not None, "norm subscriber got no /strip/1/fader/norm"
        assert approx(m[1][0], (-4.0 + 30) / 40), m
        # feedback for every kind of change: pattern, bool
        b.send("/strip/*/mute", 1)
        got = {x[0]: x[1] for x in a.collect(0.5)}
        assert "/strip/1/mute" in got and "/strip/2/mute" in got, got
        # /unsubscribe ends it
        a.send("/unsubscribe")
        a.query("/info")
        a.drain(0.1)
        b.send("/strip/1/fader", -5.0)
        m = a.wait_for("/strip/1/fader", 0.7)
        assert m is None, "feedback after /unsubscribe: %r" % (m,)
        m = n.wait_for("/strip/1/fader/norm", 1.5)
        assert m is not None, "the other subscription went away with /unsubscribe"
        n.send("/unsubscribe")
    reset(C)


def test_meters(console):
    JS, D, C = console.js, console.d, console.c
    reset(C)
    with OscClient(D.osc_port) as s:
        s.send("/subscribe")

        # meters are counted in the server's frames: a loaded dummy server
        # runs slower than the wall clock, so the window is measured in
        # audio seconds
        ac = jmtest.AudioClock(JS)

        def listen():
            time.sleep(0.3)
            s.drain(0)
            a0 = ac.seconds()
            got = s.collect(1.0, tagged=True)
            return got, ac.seconds() - a0

        try:
            cap = Probe.run(JS, play=[("jmixd:kick", "sine:1000:-12")],
                            capture=["jmixd:master_L"], seconds=1.6, during=listen)
        finally:
            ac.close()
        msgs, audio_s = cap.during_result
        s.send("/unsubscribe")
    strip = [m for m in msgs if m[0] == "/meter/strip/1"]
    master = [m for m in msgs if m[0] == "/meter/master"]
    strip2 = [m for m in msgs if m[0] == "/meter/strip/2"]
    lo, hi = 12 * audio_s, 30 * audio_s + 1
    assert lo <= len(strip) <= hi, "%d /meter/strip/1 in %.2f s of audio (meter_rate 20)" % (
        len(strip), audio_s)
    assert lo <= len(master) <= hi, "%d /meter/master in %.2f s of audio (meter_rate 20)" % (
        len(master), audio_s)
    assert all(m[2] == "ffff" for m in strip), strip[:2]
    assert all(m[2] == "ffff" for m in master), master[:2]
    peaks = [m[1][0] for m in strip[len(strip) // 2:]]
    assert all(-15.6 <= p <= -11.5 for p in peaks), "strip peak %r, played -12 dBFS" % peaks
    # the 4th: the input after trim, before the chain (trim 0 dB: the sine)
    ins = [m[1][3] for m in strip[len(strip) // 2:]]
    assert all(-12.5 <= v <= -11.5 for v in ins), "strip input %r, played -12 dBFS" % ins
    rms = [m[1][1] for m in strip[len(strip) // 2:]]
    assert all(rms_v <= p + 0.1 for rms_v, p in zip(rms, peaks)), "rms above peak"
    mp = [m[1][0] for m in master[len(master) // 2:]]
    assert all(abs(p - (-12 - 3.01)) < 0.5 for p in mp), "master peakL %r, expected -15.0" % mp
    mr = [m[1][2] for m in master[len(master) // 2:]]
    assert all(abs(r - (-12 - 3.01 - 3.01)) < 0.5 for r in mr), "master rmsL %r (-18.0)" % mr
    if strip2:
        assert all(m[1][0] < -90 for m in strip2), "silent strip 2 meters %r" % strip2[:3]


@pytest.mark.timeout(60)
def test_lease_expiry_and_permanent_clients(console):
    """A /subscribe lease ends 10 s after the last renewal; renewing keeps
    it; an osc.clients entry of the session is permanent. One 11 s wait
    serves all three (the permanent client lives on a second daemon)."""
    JS, D, C = console.js, console.d, console.c
    reset(C)
    with OscClient(D.osc_port) as a, OscClient(D.osc_port) as r, \
            OscClient(D.osc_port) as b, OscClient(1) as listener:
        text = SESSION.replace('jack = { name = "jmixd"; };', 'jack = { name = "jmclients"; };')
        text = text.replace("osc = { meter_rate = 20.0; };",
                            'osc = { meter_rate = 20.0; clients = ( { host = "127.0.0.1"; '
                            'port = %d; style = "norm"; } ); };' % listener.port)
        with Daemon(text, JS) as d2, d2.client() as c2:
            # a permanent client gets the state at start (norm style)
            m = listener.wait_for("/strip/1/fader/norm", 2.0)
            assert m and approx(m[1][0], 0.75), "osc.clients entry: no state dump: %r" % (m,)
            assert listener.wait_for("/dump/end", 2.0), "osc.clients entry: no /dump/end"
            a.send("/subscribe")
            r.send("/subscribe")
            a.query("/info")
            r.query("/info")
            b.send("/strip/2/fader", -1.0)
            assert a.wait_for("/strip/2/fader", 1.5), "no feedback right after /subscribe"
            c2.send("/strip/1/fader", -10.0)
            m = listener.wait_for("/strip/1/fader/norm", 2.0)
            assert m is not None, "osc.clients entry (style norm) got no feedback"
            assert approx(m[1][0], 0.5), m
            t0 = time.monotonic()
            while time.monotonic() - t0 < 11.0:     # r renews, a does not
                time.sleep(3.0)
                r.send("/subscribe")
            a.drain(0.05)
            r.drain(0.05)
            listener.drain(0.05)
            b.send("/strip/2/fader", -2.0)
            assert r.wait_for("/strip/2/fader", 1.5), "renewed subscriber lost its feedback"
            m = a.wait_for("/strip/2/fader", 1.0)
            assert m is None, "feedback 11 s after /subscribe without renewal: %r" % (m,)
            m = a.wait_for("/meter/master", 0.3)
            assert m is None, "meters 11 s after /subscribe without renewal"
            r.send("/unsubscribe")
            c2.send("/strip/1/fader", -30.0)
            m = listener.wait_for("/strip/1/fader/norm", 2.0)
            assert m is not None, "osc.clients entry expired like a lease"
            assert approx(m[1][0], 0.25), m
    reset(C)




def test_allow_list_drops_everything(console):
    JS = console.js
    # the session's JACK name is "jmixd", taken by the module's daemon: the
    # -n option must win, or jmallow:master_L never appears
    text = SESSION.replace("osc = { meter_rate = 20.0; };", 'osc = { allow = [ "10.0.0.0/8" ]; };')
    with Daemon(text, JS, wait="ports", name="jmallow", short_opts=True) as d, \
            d.client() as c:
        time.sleep(0.3)
        for path, args in (("/info", ()), ("/strips", ()), ("/strip/1/fader", (50.0,)),
                           ("/strip/1/fader", ()), ("/subscribe", ()), ("/strip/9/x", (1,))):
            c.send(path, *args)
        got = c.collect(1.0)
        assert not got, "a source outside osc.allow got replies: %r" % (got,)
        assert d.alive()
        assert "jmallow:master_L" in JS.ports()


def test_bad_packets_do_not_crash(console):
    D, C = console.d, console.c
    reset(C)
    C.send("/strip/1/fader", -6.0)
    expect_value(C, "/strip/1/fader", -6.0)
    rnd = random.Random(1234)
    bad = [b"", b"\0", b"\0\0\0", b"/", b"/strip/1/fader", b"/strip/1/fader\0\0",
           b"/strip/1/fader\0\0,f\0\0", b"/strip/1/fader\0\0,f\0\0\0\0",
           b"/strip/1/fader\0\0,zzz\0\0\0\0", b"/strip/1/fader\0\0,s\0\0abc",
           b"#bundle\0", b"#bundle\0" + b"\0" * 8 + struct.pack(">i", 1000) + b"/x\0\0",
           b"#bundle\0" + b"\0" * 7 + b"\1" + struct.pack(">i", -4),
           b"#bundle\0" + b"\0" * 7 + b"\1" + struct.pack(">i", 8) + b"#bundle\0",
           b"no leading slash\0\0\0\0,i\0\0\0\0\0\1",
           b"\xff" * 64]
    bad += [bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200))) for _ in range(200)]
    bad.append(jmtest.osc_message("/strip/1/fader", "x" * 60000))
    bad.append(jmtest.osc_message("/" + "*" * 2000, 1.0))
    bad.append(jmtest.osc_message("/" + "{" * 500 + "a", 1.0))
    bad.append(jmtest.osc_message("/strip/[" * 300, 1.0))
    bad.append(jmtest.osc_message("/" + "/*" * 3000, 1.0))
    bad.append(jmtest.osc_message("/strip/" + "x" * 60000 + "/fader", 1.0))
    bad.append(jmtest.osc_message("/strip/1/fader", ("b", b"\1\2\3")))
    bad.append(jmtest.osc_message("/strip/1/fader", ("h", 5)))
    nested = jmtest.osc_message("/strip/1/fader", -1.0)
    for _ in range(100):
        nested = jmtest.osc_bundle([nested])
    bad.append(nested)
    for b in bad:
        C.send_raw(b)
    C.drain(0.3)
    assert D.alive(), "jmixd died from bad packets"
    args = C.query("/info")
    assert args[1:3] == [48000, 64], args
    v = q(C, "/strip/1/fader")
    assert v in (-6.0, -1.0), "bad packets changed the fader to %r" % v
    # flood: the daemon keeps answering and the audio thread does not xrun
    for i in range(5000):
        C.send("/strip/2/fader", float(-(i % 90)))
    C.drain(0.5)
    assert D.alive()
    C.query("/info", timeout=5.0)
    reset(C)
