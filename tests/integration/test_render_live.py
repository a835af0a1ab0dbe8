"""Render equals live (issue 6, docs/cli.md): the same session and stems rendered
with `jmixd render --block 64` and played live through a JACK server at
period 64, with the transport rolling from frame 0, give the same samples
(max |difference| <= 1e-6), with every block of the strip active, both bus
types, the master chain and limiter, and automation read lanes.

Live: a fresh daemon idles on silence (as every console does before the
transport starts), then jm_probe locates the transport to 0, starts it once
playback and capture run, and plays its signals from the first rolling
frame on (--play-from-roll: sample n is played at transport frame n). It
captures its own outputs and master_L/R in the same cycles. The stems are
the probe's outputs from the first rolling frame on, written as 32-bit
float WAV (bit for bit what the daemon received), and render mixes them
from frame 0 = transport frame 0.

Idle state: a new mixer starts its gates "just opened", a console that
has idled has them closed. `jmixd render` therefore runs a silent pre-roll
with the transport stopped, as long as the longest gate hold + release
among the gates that are on (+50 ms), before frame 0 (include/jmixd/
render.h). This test also renders with --preroll 0 and without the lanes
and notes how far those are from live, to show what each of them is worth.
"""
import os
import re
import subprocess
import time

import pytest

import jmtest
from jmtest import Daemon, JackServer, Probe

RATE = 48000
PERIOD = 64

SESSION = """
jack = { name = "jmixd"; };
strips = (
  { name = "kick"; input = [ ]; trim = 3.0; hpf = { on = true; freq = 60.0; };
    gate = { on = true; threshold = -40.0; range = 30.0; attack = 0.5; hold = 20.0; release = 80.0; };
    eq = { band1 = { gain = 4.0; }; band2 = { freq = 300.0; gain = -5.0; q = 2.0; };
           band3 = { gain = 3.0; }; band4 = { gain = -2.0; }; };
    comp = { on = true; threshold = -24.0; ratio = 5.0; attack = 3.0; release = 80.0; knee = 6.0; makeup = 4.0; };
    fader = -4.0; pan = -0.3;
    send = { verb = { level = -10.0; }; echo = { level = -12.0; pre = true; }; }; },
  { name = "keys"; channels = 2; input = [ ]; hpf = { on = true; };
    gate = { on = true; threshold = -60.0; };
    eq = { band3 = { gain = -4.0; freq = 3000.0; }; };
    comp = { on = true; threshold = -30.0; ratio = 2.0; knee = 12.0; };
    fader = -6.0; pan = 0.2;
    send = { verb = { level = -8.0; pre = true; }; echo = { level = -15.0; }; }; },
  { name = "vox"; input = [ ]; polarity = true;
    eq = { band2 = { gain = 6.0; q = 0.7; }; band4 = { gain = 3.0; }; };
    comp = { on = true; threshold = -18.0; ratio = 3.0; };
    fader = -3.0; pan = 0.4;
    send = { verb = { level = -6.0; }; }; }
);
buses = ( { name = "verb"; type = "reverb"; reverb = { size = 0.7; predelay = 10.0; }; fader = -3.0; },
          { name = "echo"; type = "delay"; delay = { time = 120.0; feedback = 0.4; tone = 5000.0; }; } );
master = { output = [ ];
           eq = { band1 = { gain = 2.0; }; band4 = { gain = 1.5; }; };
           comp = { on = true; threshold = -20.0; ratio = 2.0; };
           fader = -1.0;
           limiter = { on = true; ceiling = -3.0; lookahead = 2.0; }; };
%s
"""
LANES = """
automation = (
  { param = "/strip/vox/fader"; mode = "read"; points = ( (0.0, -20.0), (0.8, 0.0), (1.2, -8.0), (1.6, -8.0), (2.0, 2.0) ); },
  { param = "/strip/keys/pan"; mode = "read"; points = ( (0.0, -0.6), (2.2, 0.6) ); },
  { param = "/bus/verb/fader"; mode = "read"; points = ( (0.5, -12.0), (0.5, 0.0), (1.5, -6.0) ); }
);
"""

# kick: bursts with near-silence between them (the gate closes and opens);
# vox: a sine whose level steps; keys: noise and a sine
PLAY = [("jmixd:kick", "seq:70:-6:0.25:-90:0.2:-3:0.3:-90:0.25:-8:0.4"),
        ("jmixd:keys_L", "noise:-14:12"), ("jmixd:keys_R", "sine:1500:-8"),
        ("jmixd:vox", "seq:330:-12:0.6:-4:0.7:-20:0.6")]
STEMS = [("kick", [0]), ("keys", [1, 2]), ("vox", [3])]
SECONDS = 2.6     # of capture; the transport rolls a few cycles in


def render(d, session, out, *extra):
    args = [jmtest.JMIXD, "render", session, "-o", out, "--block", str(PERIOD)]
    for name, _ in STEMS:
        args += ["--stem", "%s=%s" % (name, os.path.join(d, name + ".wav"))]
    r = subprocess.run(args + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=jmtest.env(), timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, "render: exit %d: %s" % (r.returncode, r.stderr)
    meta, data = jmtest.sound_read(out)
    assert meta["rate"] == RATE and meta["channels"] == 2, meta
    return r.stderr, data


def max_diff(live_l, live_r, data, n):
    return max(max(abs(live_l[k] - data[2 * k]), abs(live_r[k] - data[2 * k + 1]))
               for k in range(n))


@pytest.mark.timeout(60)
def test_render_equals_live_with_lanes_and_every_block():
    d = jmtest.mkdtemp("jmtrl")
    with JackServer(period=PERIOD) as js, Daemon(SESSION % LANES, js) as dm:
        time.sleep(0.5)   # a console idles a while before the transport starts
        cap = Probe.run(js, play=PLAY,
                        capture=["probe_play:out_%d" % (k + 1) for k in range(4)] +
                                ["jmixd:master_L", "jmixd:master_R"],
                        seconds=SECONDS, roll_from=0, play_from_roll=True)
        assert cap.clean(), cap.meta
        ri, rf = cap.meta["roll_index"], cap.meta["roll_frame"]
        assert ri >= 0 and rf == 0, "the transport did not roll from frame 0 in the capture: %r" % (
            cap.meta,)
        assert all(cap.channel(k)[i] == 0.0 for k in range(4) for i in range(ri)), \
            "the probe played before the transport rolled"
        session = dm.session_path
        assert dm.alive()
    n = cap.frames - ri
    # the stems: what the daemon received, from transport frame 0 on
    for name, chans in STEMS:
        jmtest.sound_write(os.path.join(d, name + ".wav"), [cap.channel(k)[ri:] for k in chans])
    live_l, live_r = cap.channel(4)[ri:], cap.channel(5)[ri:]
    level = jmtest.db(max(max(abs(v) for v in live_l), max(abs(v) for v in live_r)))

    err, data = render(d, session, os.path.join(d, "render.wav"))
    assert len(data) >= 2 * n, "render is shorter (%d) than the live take (%d)" % (len(data) // 2, n)
    diff = max_diff(live_l, live_r, data, n)
    m = re.search(r"automation: (\d+) lanes? played from transport frame 0\n.*pre-roll "
                  r"([0-9.]+) s", err)
    assert m, "no automation and pre-roll lines in the render summary:\n" + err
    assert "not applied" not in err, err

    # what the lanes and the pre-roll are worth: the same render without them
    plain = os.path.join(d, "plain.cfg")
    with open(plain, "w") as f:
        f.write(SESSION % "")
    _, no_lanes = render(d, plain, os.path.join(d, "nolanes.wav"))
    _, no_pre = render(d, session, os.path.join(d, "nopre.wav"), "--preroll", "0")
    diff_lanes = max_diff(live_l, live_r, no_lanes, n)
    diff_pre = max_diff(live_l, live_r, no_pre, n)

    jmtest.note("live take: %d frames from transport frame 0 (roll at capture index %d), master "
                "peak %.1f dBFS; render --block 64: %s lanes, pre-roll %s s" % (
                    n, ri, level, m.group(1), m.group(2)))
    jmtest.note("max |render - live| = %.3g (limit 1e-6); without the lanes %.3g; with "
                "--preroll 0 %.3g" % (diff, diff_lanes, diff_pre))
    assert level > -30, "the console should pass signal (%.1f dBFS)" % level
    assert int(m.group(1)) == 3, err
    assert diff_lanes > 1e-3, "test bug: the lanes make no difference (%.3g)" % diff_lanes
    assert diff <= 1e-6, "render and live differ by %.3g" % diff


