"""Issue 3 through a real JACK server: the full strip, buses and master in the
live daemon equal the same DSP run offline; the limiter's lookahead is the
only latency and is reported through JACK; sends pre/post; bus returns are
solo-safe; the RealtimeSanitizer build stays silent with every block active.
"""
import os
import re
import subprocess
import time
from array import array

import jmtest
from jmtest import Daemon, JackServer, Probe, db

ROOT = jmtest.ROOT
OFFLINE = os.path.join(ROOT, "build", "tools", "jm_offline")
RTSAN = os.path.join(ROOT, "build", "rtsan", "jmixd")

# Every block active and non-trivial on several strips.
FULL = """
jack = { name = "jmixd"; };
strips = (
  { name = "kick"; input = [ ]; trim = 3.0; hpf = { on = true; freq = 60.0; };
    gate = { on = true; threshold = -40.0; range = 30.0; attack = 0.5; hold = 20.0; release = 80.0; };
    eq = { band1 = { gain = 4.0; }; band2 = { freq = 300.0; gain = -5.0; q = 2.0; };
           band3 = { gain = 3.0; }; band4 = { gain = -2.0; }; };
    comp = { on = true; threshold = -24.0; ratio = 5.0; attack = 3.0; release = 80.0; knee = 6.0; makeup = 4.0; };
    fader = -4.0; pan = -0.3;
    send = { verb = { level = -10.0; }; echo = { level = -12.0; pre = true; }; }; },
  { name = "snare"; input = [ ]; polarity = true; hpf = { on = true; freq = 120.0; };
    gate = { on = true; threshold = -50.0; };
    eq = { band2 = { gain = 6.0; q = 0.7; }; band4 = { gain = 3.0; }; };
    comp = { on = true; threshold = -18.0; ratio = 3.0; };
    fader = -2.0; pan = 0.4;
    send = { verb = { level = -6.0; }; }; },
  { name = "keys"; channels = 2; input = [ ]; hpf = { on = true; };
    gate = { on = true; threshold = -60.0; };
    eq = { band3 = { gain = -4.0; freq = 3000.0; }; };
    comp = { on = true; threshold = -30.0; ratio = 2.0; knee = 12.0; };
    fader = -6.0; pan = 0.2;
    send = { verb = { level = -8.0; pre = true; }; echo = { level = -15.0; }; }; }
);
buses = ( { name = "verb"; type = "reverb"; reverb = { size = 0.7; predelay = 10.0; }; fader = -3.0; },
          { name = "echo"; type = "delay"; delay = { time = 120.0; feedback = 0.4; tone = 5000.0; }; } );
master = { output = [ ];
           eq = { band1 = { gain = 2.0; }; band4 = { gain = 1.5; }; };
           comp = { on = true; threshold = -20.0; ratio = 2.0; };
           fader = -1.0;
           limiter = { on = true; ceiling = -3.0; lookahead = 2.0; }; };
"""

PLAY = [("jmixd:kick", "noise:-6:11"), ("jmixd:snare", "sine:220:-10"),
        ("jmixd:keys_L", "noise:-14:12"), ("jmixd:keys_R", "sine:1500:-8")]
ML, MR = "jmixd:master_L", "jmixd:master_R"


def _read_f32(path):
    a = array("f")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a


def test_live_equals_offline_with_every_block_active():
    assert os.path.exists(OFFLINE), "build/tools/jm_offline is not built"
    with JackServer() as js, Daemon(FULL, js) as d:
        # Let every detector settle on silence as the offline pre-roll does.
        time.sleep(3.0)
        cap = Probe.run(js, play=PLAY, capture=["probe_play:out_%d" % (k + 1) for k in range(4)] + [ML, MR],
                        seconds=1.5)
        cap.assert_clean()
        n = cap.frames
        tmp = jmtest.mkdtemp("jmoff")
        inp, outp = os.path.join(tmp, "in.f32"), os.path.join(tmp, "out.f32")
        chans = [cap.channel(k) for k in range(4)]
        inter = array("f", [0.0]) * (4 * n)
        for k in range(4):
            inter[k::4] = chans[k]
        with open(inp, "wb") as f:
            inter.tofile(f)
        subprocess.run([OFFLINE, d.session_path, inp, outp, "--block", "64", "--rate", "48000",
                        "--preroll", "3"], check=True)
        off = _read_f32(outp)
        live_l, live_r = cap.channel(4), cap.channel(5)
        assert len(off) == 2 * n
        maxdiff = max(max(abs(live_l[i] - off[2 * i]), abs(live_r[i] - off[2 * i + 1]))
                      for i in range(n))
        level = db(cap.rms(4))
        jmtest.note("live vs offline over %d frames: max |diff| = %.3g, master_L %.1f dBFS"
                    % (n, maxdiff, level))
        assert level > -40, "the console should pass signal (%.1f dBFS)" % level
        assert maxdiff <= 1e-6, "live and offline differ by %.3g" % maxdiff
        assert d.alive()


LIMITED = """
jack = { name = "jmixd"; };
strips = ( { name = "a"; input = [ ]; pan = -1.0; } );
master = { output = [ ]; limiter = { on = true; ceiling = -1.0; lookahead = 2.0; }; };
"""


def _capture_latency(js, port):
    out = jmtest.jack_lsp(js.name, "-l", port)
    m = re.search(r"capture latency = \[ (\d+) (\d+) \]", out)
    assert m, "no latency in jack_lsp output: %r" % out
    return int(m.group(1)), int(m.group(2))


def test_limiter_lookahead_is_the_only_latency_and_is_reported():
    with JackServer() as js, Daemon(LIMITED, js) as d:
        c = d.client()
        for ms in (2.0, 5.0):
            c.send("/master/limiter/lookahead", ms)
            c.query("/info")
            time.sleep(0.3)
            frames = int(round(ms * 48))
            lo, hi = _capture_latency(js, ML)
            jmtest.note("lookahead %.1f ms: master_L capture latency [%d %d], want %d" % (ms, lo, hi, frames))
            assert (lo, hi) == (frames, frames)
            cap = Probe.run(js, play=[("jmixd:a", "impulse:1000")], capture=["probe_play:out_1", ML],
                            seconds=0.2)
            cap.assert_clean()
            t_in = cap.first_nonzero(0, 1e-6)
            t_out = cap.first_nonzero(1, 1e-6)
            jmtest.note("impulse in at %d, out at %d (+%d frames)" % (t_in, t_out, t_out - t_in))
            assert t_out - t_in == frames
            assert abs(cap.peak(1) - 1.0) < 1e-3 or cap.peak(1) <= 10 ** (-1 / 20) + 1e-3
        c.send("/master/limiter/on", 0)
        c.query("/info")
        time.sleep(0.3)
        assert _capture_latency(js, ML) == (0, 0)
        cap = Probe.run(js, play=[("jmixd:a", "impulse:1000")], capture=["probe_play:out_1", ML],
                        seconds=0.2)
        assert cap.first_nonzero(1, 1e-6) == cap.first_nonzero(0, 1e-6)
        c.close()


SENDS = """
jack = { name = "jmixd"; };
strips = ( { name = "a"; input = [ ]; send = { echo = { level = 0.0; }; }; },
           { name = "b"; input = [ ]; } );
buses = ( { name = "echo"; type = "delay"; delay = { time = 100.0; feedback = 0.0; tone = 20000.0; }; } );
master = { output = [ ]; };
"""


def _echo_and_dry(js):
    """Impulse into strip a at 1000 frames: (dry energy dB, echo energy dB)."""
    cap = Probe.run(js, play=[("jmixd:a", "impulse:1000")], capture=["probe_play:out_1", ML],
                    seconds=0.3)
    cap.assert_clean()
    t0 = cap.index_of_frame(cap.first_nonzero(0, 1e-6))
    x = cap.channel(1)
    dry = sum(v * v for v in x[t0:t0 + 200])
    echo = sum(v * v for v in x[t0 + 4800 - 50:t0 + 4800 + 200])
    before = sum(v * v for v in x[t0 + 300:t0 + 4800 - 60])
    assert before < 1e-12, "nothing between the dry sound and the echo"
    return db(dry ** 0.5) if dry > 0 else -200.0, db(echo ** 0.5) if echo > 0 else -200.0


def test_sends_pre_post_and_solo_safe_returns():
    with JackServer() as js, Daemon(SENDS, js) as d:
        c = d.client()

        def settle():
            c.query("/info")
            time.sleep(0.12)

        dry0, echo0 = _echo_and_dry(js)
        jmtest.note("post send at fader 0: dry %.1f dB, echo %.1f dB" % (dry0, echo0))
        assert echo0 > -12, "post-fader send feeds the delay"
        c.send("/strip/a/fader", -20.0)
        settle()
        dry, echo = _echo_and_dry(js)
        jmtest.note("post send at fader -20: dry %.2f dB, echo %.2f dB" % (dry - dry0, echo - echo0))
        assert abs((dry - dry0) + 20) < 0.1 and abs((echo - echo0) + 20) < 0.1, "post follows the fader"
        c.send("/strip/a/send/echo/pre", 1)
        settle()
        dry, echo = _echo_and_dry(js)
        jmtest.note("pre send at fader -20: echo %.2f dB relative" % (echo - echo0))
        assert abs(echo - echo0) < 0.1, "a pre-fader send ignores the fader"
        c.send("/strip/a/fader", -90.0)
        settle()
        dry, echo = _echo_and_dry(js)
        assert dry < -150 and abs(echo - echo0) < 0.1, "pre send survives fader -90"
        c.send("/strip/a/fader", 0.0)
        c.send("/strip/a/solo", 1)
        settle()
        dry, echo = _echo_and_dry(js)
        jmtest.note("solo a: dry %.2f, echo %.2f dB relative" % (dry - dry0, echo - echo0))
        assert abs(dry - dry0) < 0.1 and abs(echo - echo0) < 0.1, "bus returns are solo-safe"
        c.send("/strip/a/solo", 0)
        c.send("/bus/echo/mute", 1)
        settle()
        dry, echo = _echo_and_dry(js)
        assert echo < -150, "bus mute silences the return"
        c.close()


def test_rtsan_every_block_active_with_osc_traffic():
    assert os.path.exists(RTSAN), "build/rtsan/jmixd is not built"
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", RTSAN], capture_output=True,
                         text=True).stdout
    body = dis[dis.index("<process>:"):]
    body = body[:body.index("\n\n")]
    assert "__rtsan_realtime_enter" in body, "process callback is not instrumented"
    # plus an aux bus fed by a strip and the reverb (EQ and limiter working),
    # and a monitor section whose listen bus (PFL/AFL) is toggled
    session = FULL.replace('tone = 5000.0; }; } );',
                           'tone = 5000.0; }; send = { mon = { level = -6.0; }; }; },\n'
                           '          { name = "mon"; type = "aux"; eq = { band2 = { gain = 4.0; }; };\n'
                           '            limiter = { ceiling = -12.0; }; } );')
    session = session.replace('send = { verb = { level = -6.0; }; }; },',
                              'send = { verb = { level = -6.0; }; mon = { level = 6.0; pan = 0.3; }; }; },')
    assert "mon = { level = 6.0" in session and 'name = "mon"' in session
    session += """
talkback = { input = [ "system:capture_2" ]; buses = [ "mon" ]; };
monitor = { output = [ ]; };
automation = ( { param = "/strip/kick/fader"; mode = "read"; points = ( (0.0, -20.0), (1.0, 0.0), (2.0, -6.0) ); },
               { param = "/master/fader"; mode = "touch"; points = ( (0.0, 0.0), (3.0, -3.0) ); } );
"""
    rec = os.path.join(jmtest.mkdtemp("jmrt"), "rt.wav")
    session += 'recordings = "%s";\n' % os.path.dirname(rec)   # controllers name files
    with JackServer() as js, Daemon(session, js, binary=RTSAN) as d:
        c = d.client()
        c.send("/record/start", os.path.basename(rec))
        c.send("/snapshot/save", "a")

        def traffic():
            for i in range(300):
                if i % 25 == 0:
                    c.send("/strip/snare/fader/ramp", float(-(i % 40)), 0.3)
                    c.send_bundle([jmtest.osc_message("/strip/keys/mute", (i // 25) % 2),
                                   jmtest.osc_message("/bus/verb/fader", -float(i % 30))],
                                  timetag=jmtest.ntp_timetag(time.time() + 0.08))
                    c.send("/automation/mode", "/strip/snare/pan", ("read", "write", "off")[i % 3])
                    c.send("/master/fader", -1.0)            # touches the touch lane
                    c.send("/snapshot/recall", "a", 0.2)
                    c.send("/loudness/reset")
                c.send("/strip/*/eq/2/gain", float(i % 36 - 18))
                c.send("/strip/*/hpf/freq", float(20 + i * 3))
                c.send("/strip/kick/comp/on", i % 2)
                c.send("/strip/{kick,keys}/gate/on", (i + 1) % 2)
                c.send("/strip/2/send/verb/pre", i % 2)
                c.send("/strip/3/solo", i % 2)
                c.send("/bus/echo/delay/time", float(50 + i))
                c.send("/bus/verb/reverb/size", (i % 10) / 10.0)
                c.send("/master/limiter/lookahead", 0.5 + (i % 10))
                c.send("/master/limiter/on", (i // 10) % 2)
                c.send("/master/mono", i % 2)
                c.send("/talkback/on", (i // 7) % 2)
                c.send("/strip/kick/send/mon/link", (i // 5) % 2)
                c.send("/strip/kick/pan", (i % 20) / 10.0 - 1.0)
                # PFL/AFL: the listen bus and the monitor feed's crossfade
                c.send("/strip/{kick,keys}/pfl", (i // 3) % 2)
                c.send("/bus/mon/pfl", (i // 4) % 2)
                c.send("/monitor/afl", (i // 6) % 2)
                if i % 50 == 0:
                    c.send("/subscribe")
                time.sleep(0.002)
        Probe.run(js, play=PLAY, capture=[ML], seconds=2.5, during=traffic, roll_from=0)
        c.send("/record/stop")
        assert c.wait_for("/record/status", 2.0), "recording stopped"
        time.sleep(0.3)
        assert d.alive(), "the RealtimeSanitizer build died:\n" + d.stderr_text()[-3000:]
        c.send("/info")
        assert c.wait_for("/info", 2.0), "no /info after the traffic"
        c.close()
        err = d.stderr_text()
        assert "RealtimeSanitizer" not in err, err[-3000:]
        jmtest.note("rtsan: ~3500 OSC messages (ramps, timed bundles, lanes on a rolling "
                    "transport, snapshots, recording) during 2.5 s of audio, 0 reports")
