"""Issue 16, talkback: the engineer's mic (JACK input `talkback`) reaches
only the aux buses listed in talkback.buses, after their fader, and dims
their program by /talkback/dim dB while /talkback/on is 1; measured on the
daemon's outputs through a real JACK server."""
import math
import time

import jmtest
from jmtest import Daemon, JackServer, Probe, db

SESSION = """
jack = { name = "jmixd"; };
strips = ( { name = "s1"; input = [ ]; send = { drums = { level = -6.0; }; wedge = { level = -6.0; }; }; } );
buses = ( { name = "drums"; type = "aux"; channels = 2; },
          { name = "vox"; type = "aux"; channels = 1; },
          { name = "wedge"; type = "aux"; channels = 2; } );
master = { output = [ ]; };
talkback = { input = [ "system:capture_2" ]; buses = [ "drums", "vox" ]; };
"""

DL, DR, VOX, WL, WR = "jmixd:drums_L", "jmixd:drums_R", "jmixd:vox", "jmixd:wedge_L", "jmixd:wedge_R"
ML, MR = "jmixd:master_L", "jmixd:master_R"
TB = "jmixd:talkback"
TONE = "sine:1000:-20"
CENTRE = math.cos(math.pi / 4)
W = (0.2, 0.7)
RMS = -20 * math.log10(math.sqrt(2))   # a sine's RMS below its peak


def _settle(c):
    c.query("/info")
    time.sleep(0.12)


def _cap(js, play, ports):
    cap = Probe.run(js, play=play, capture=ports, seconds=0.8)
    cap.assert_clean()
    return cap


def test_talkback_port_params_and_routing():
    with JackServer() as js, Daemon(SESSION, js) as d:
        assert TB in js.ports(), "talkback input registered"
        assert ("system:capture_2", TB) in js.connections(), "connected like strip inputs"
        c = d.client()
        assert c.query_value("/talkback/on") == 0.0
        assert c.query_value("/talkback/dim") == -20.0
        assert c.query_value("/talkback/level") == 0.0
        # off: the mic reaches nothing
        cap = _cap(js, [(TB, TONE)], [DL, VOX, WL, ML, MR])
        for k in range(5):
            assert cap.peak(k) == 0.0, "talkback off: channel %d silent" % k
        # on: the listed buses carry the mic at its level (0 dB), unpanned
        c.send("/talkback/on", 1)
        _settle(c)
        cap = _cap(js, [(TB, TONE)], [DL, DR, VOX, WL, WR, ML, MR])
        got = [cap.rms_db(k, *W) for k in range(3)]
        jmtest.note("talkback on: drums L %.3f R %.3f, vox %.3f dB rms (want %.3f); "
                    "wedge/master peaks %r" % (*got, -20 + RMS, [cap.peak(k) for k in range(3, 7)]))
        for g in got:
            assert abs(g - (-20 + RMS)) < 0.05
        for k in range(3, 7):
            assert cap.peak(k) == 0.0, "talkback never reaches wedge or the master (%d)" % k
        # level follows /talkback/level
        c.send("/talkback/level", -10.0)
        _settle(c)
        cap = _cap(js, [(TB, TONE)], [DL, VOX])
        jmtest.note("level -10: drums L %.3f vox %.3f" % (cap.rms_db(0, *W), cap.rms_db(1, *W)))
        assert abs(cap.rms_db(0, *W) - (-30 + RMS)) < 0.05
        assert abs(cap.rms_db(1, *W) - (-30 + RMS)) < 0.05
        c.close()


def test_talkback_dims_program():
    with JackServer() as js, Daemon(SESSION, js) as d:
        c = d.client()
        want = -20 - 6 + db(CENTRE) + RMS       # s1's pre send -6 dB, centre
        cap = _cap(js, [("jmixd:s1", TONE)], [DL, WL])
        base, wbase = cap.rms_db(0, *W), cap.rms_db(1, *W)
        jmtest.note("program: drums %.3f wedge %.3f (want %.3f)" % (base, wbase, want))
        assert abs(base - want) < 0.05 and abs(wbase - want) < 0.05
        c.send("/talkback/dim", -15.0)
        c.send("/talkback/on", 1)
        _settle(c)
        cap = _cap(js, [("jmixd:s1", TONE)], [DL, WL])
        dimmed, wdim = cap.rms_db(0, *W), cap.rms_db(1, *W)
        jmtest.note("talkback on, dim -15: drums %.3f (%.3f dB), wedge %.3f" % (dimmed, dimmed - base, wdim))
        assert abs((dimmed - base) - (-15.0)) < 0.05, "the listed bus is dimmed by /talkback/dim"
        assert abs(wdim - wbase) < 0.01, "a bus not listed is untouched"
        c.send("/talkback/on", 0)
        _settle(c)
        cap = _cap(js, [("jmixd:s1", TONE)], [DL])
        back = cap.rms_db(0, *W)
        jmtest.note("talkback off again: drums %.3f" % back)
        assert abs(back - base) < 0.01, "off restores the program"
        c.close()


def test_talkback_session_errors(tmp_path):
    for bad, why in ((SESSION.replace('"drums", "vox" ]', '"drums", "nope" ]'), "talkback.buses"),
                     (SESSION.replace('{ name = "s1";', '{ name = "talkback";'), "talkback")):
        p = tmp_path / "bad.cfg"
        p.write_text(bad)
        r = jmtest.run_jmixd("--check", str(p))
        jmtest.note("%s: exit %d, %s" % (why, r.returncode, r.stderr.strip()))
        assert r.returncode != 0 and why in r.stderr
    p = tmp_path / "good.cfg"
    p.write_text(SESSION)
    r = jmtest.run_jmixd("--list-params", str(p))
    assert r.returncode == 0, r.stderr
    paths = {line.split()[0] for line in r.stdout.splitlines() if line.startswith("/")}
    assert {"/talkback/on", "/talkback/dim", "/talkback/level"} <= paths


def test_talkback_session_save(tmp_path):
    """/session/save writes the talkback section (input, buses, values)."""
    with JackServer() as js, Daemon(SESSION, js) as d:
        c = d.client()
        c.send("/talkback/dim", -12.0)
        c.send("/talkback/level", -3.0)
        _settle(c)
        c.send("/session/save", "saved.cfg")   # into the daemon's sessions folder
        m = c.wait_for("/session/save", 3.0)
        assert m, "save confirmed"
        c.close()
    text = open(m[1][0]).read()
    jmtest.note(text[text.index("talkback = {"):])
    assert 'buses = [ "drums", "vox" ]' in text and '"system:capture_2"' in text
    r = jmtest.run_jmixd("--check", m[1][0])
    assert r.returncode == 0, r.stderr
    with JackServer() as js, Daemon(m[1][0], js) as d2, d2.client() as c2:
        assert c2.query_value("/talkback/dim") == -12.0
        assert c2.query_value("/talkback/level") == -3.0
