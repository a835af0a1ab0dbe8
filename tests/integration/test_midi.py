"""MIDI surfaces and MIDI learn (docs/midi.md): the session's midi group,
the JACK MIDI ports (and their connections after a JACK restart), learn,
bindings in the state file and /session/save, feedback to midi_out, 14-bit
pairs, momentary notes, /midi/map, and the MIDI counters of /stats. A JACK
MIDI test client (tests/tools/jm_midi) stands in for the surface."""
import os
import time

import pytest

import jmtest
from jmtest import Daemon, JackServer, Midi

SESSION = """
jack = { name = "jmixd"; };
strips = ( { name = "kick"; }, { name = "snare"; }, { name = "oh"; }, { name = "bass"; } );
master = { };
midi = {
  input = [ ];
  output = [ ];
  map = (
    { path = "/strip/1/fader"; cc = 7; channel = 1; },
    { path = "/strip/2/fader"; cc = 7; channel = 2; feedback = false; },
    { path = "/strip/1/mute"; note = 16; channel = 1; mode = "momentary"; },
    { path = "/strip/2/mute"; note = 17; channel = 1; },
    { path = "/strip/4/fader"; cc = 1; lsb = 33; channel = 3; },
    { path = "/strip/3/fader"; pitchbend = true; channel = 9; }
  );
};
"""


def check(text, tmp_path):
    p = tmp_path / "s.cfg"
    p.write_text(text)
    r = jmtest.run_jmixd("--check", str(p))
    return r.returncode, (r.stdout + r.stderr).strip(), str(p)


BASE = 'strips = ( { name = "kick"; }, { name = "snare"; } );\n'


@pytest.mark.parametrize("body,line,msg", [
    ('midi = {\n  input = [ "noport" ];\n};', 3, "midi.input[1]: 'noport' is not a JACK port name"),
    ('midi = {\n  surface = "mcu2";\n};', 3, "midi.surface: 'mcu2' is not"),
    ('midi = {\n  map = ( { path = "/strip/9/fader"; cc = 7; } );\n};', 3,
     "midi.map[1]: no parameter '/strip/9/fader'"),
    ('midi = {\n  map = (\n { path = "/strip/1/fader"; cc = 128; } );\n};', 4,
     "midi.map[1].cc: 128 is out of range 0..127"),
    ('midi = {\n  map = ( { path = "/strip/1/fader"; cc = 7; note = 1; } );\n};', 3,
     "needs exactly one of cc, note or pitchbend"),
    ('midi = {\n  map = ( { path = "/strip/1/fader"; cc = 7; channel = 0; } );\n};', 3,
     "midi.map[1].channel: 0 is out of range 1..16"),
    ('midi = {\n  map = ( { path = "/strip/1/fader"; cc = 7; colour = 1; } );\n};', 3,
     "unknown key 'colour' in midi.map[1]"),
    ('midi = {\n  map = ( { path = "/strip/1/fader"; note = 7; mode = "momentary"; } );\n};', 3,
     "mode = \"momentary\" needs a switch"),
    ('midi = {\n  map = ( { path = "/strip/1/fader"; cc = 7; mode = "toggle"; } );\n};', 3,
     "mode is for notes"),
    ('midi = {\n  map = ( { path = "/strip/1/fader"; cc = 40; lsb = 72; } );\n};', 3,
     "a 14-bit pair is cc 0..31 with lsb 32..63"),
    ('midi = {\n  map = ( { path = "/strip/1/fader"; cc = 7; },\n'
     '          { path = "/strip/2/fader"; cc = 7; } );\n};', 4,
     "midi.map[2]: that control is already bound (midi.map[1])"),
    ('midi = {\n  map = ( { path = "/strip/1/fader"; pitchbend = false; } );\n};', 3,
     "only pitchbend = true"),
    ('midi = {\n  feedback = true;\n};', 3, "unknown key 'feedback' in midi"),
])
def test_session_errors(tmp_path, body, line, msg):
    rc, out, path = check(BASE + body + "\n", tmp_path)
    assert rc != 0, out
    assert out.startswith("%s:%d: " % (path, line)), out
    assert msg in out, out


def test_session_mcu_accepted(tmp_path):
    # the Mackie Control driver is built in (src/control/mcu.c, test_mcu.py)
    rc, out, path = check(BASE + 'midi = {\n  surface = "mcu";\n};\n', tmp_path)
    assert rc == 0, out


def test_session_accepts_map(tmp_path):
    rc, out, _ = check(SESSION, tmp_path)
    assert rc == 0, out


@pytest.fixture
def midi_console():
    js = JackServer().start()
    state = os.path.join(jmtest.mkdtemp("jmtmidi"), "state")
    dm = Daemon(SESSION, js, state=state).start()
    yield js, dm
    dm.stop()
    js.stop()


def test_ports_registered(midi_console):
    js, dm = midi_console
    ports = js.ports()
    assert "jmixd:midi_in" in ports and "jmixd:midi_out" in ports, ports


def fader_norm(c, path):
    return c.query_value(path + "/norm")


def test_bound_cc_moves_parameter_and_feedback(midi_console):
    js, dm = midi_console
    with dm.client() as c:
        # CC 7 = 127 on channel 1 -> strip 1 fader at the top of its taper (+10 dB)
        Midi.run(js, send=["b0 07 7f"], seconds=0.2)
        assert jmtest.wait_until(lambda: abs(c.query_value("/strip/1/fader") - 10.0) < 1e-3, 2.0)
        # CC 7 = 0 on channel 2 -> strip 2 fader at -inf (the fader's bottom)
        Midi.run(js, send=["b1 07 00"], seconds=0.2)
        assert jmtest.wait_until(lambda: c.query_value("/strip/2/fader/norm") < 1e-6, 2.0)
        # an OSC change of a bound parameter sends the matching CC on midi_out
        with Midi(js, seconds=0.3) as m:
            c.send("/strip/1/fader/norm", 0.5)
            c.send("/strip/2/fader/norm", 0.5)   # feedback = false: nothing
            time.sleep(0.3)
            r = m.stop()
        assert Midi.messages(r, "b0 07") == ["b0 07 40"], r["received"]
        assert Midi.messages(r, "b1") == [], r["received"]


def test_no_echo_to_the_moving_control(midi_console):
    js, dm = midi_console
    with dm.client() as c:
        r = Midi.run(js, send=["b0 07 20", "b0 07 21"], seconds=0.3)
        assert jmtest.wait_until(lambda: abs(fader_norm(c, "/strip/1/fader") - 33 / 127) < 1e-4, 2.0)
        assert Midi.messages(r, "b0 07") == [], r["received"]


def test_momentary_note_and_toggle(midi_console):
    js, dm = midi_console
    with dm.client() as c:
        with Midi(js, seconds=0.3) as m:
            m.send("90 10 7f")
            assert jmtest.wait_until(lambda: c.query_value("/strip/1/mute") == 1, 2.0)
            m.send("80 10 00")
            assert jmtest.wait_until(lambda: c.query_value("/strip/1/mute") == 0, 2.0)
            # toggle: each press flips; releases do nothing
            m.send("90 11 7f", "90 11 00")
            assert jmtest.wait_until(lambda: c.query_value("/strip/2/mute") == 1, 2.0)
            m.send("90 11 7f", "80 11 00")
            assert jmtest.wait_until(lambda: c.query_value("/strip/2/mute") == 0, 2.0)
            c.send("/strip/2/mute", 1)
            time.sleep(0.3)
            r = m.stop()
        # the LED of the toggled switch follows the OSC change
        assert Midi.messages(r, "90 11")[-1:] == ["90 11 7f"], r["received"]


def test_14bit_pair_and_pitchbend(midi_console):
    js, dm = midi_console
    with dm.client() as c:
        # MSB 0x40, LSB 0x00 on channel 3 -> norm 8192/16383
        Midi.run(js, send=["b2 01 40", "b2 21 00"], seconds=0.2)
        assert jmtest.wait_until(
            lambda: abs(fader_norm(c, "/strip/4/fader") - 8192 / 16383) < 1e-4, 2.0)
        Midi.run(js, send=["b2 01 40", "b2 21 7f"], seconds=0.2)
        assert jmtest.wait_until(
            lambda: abs(fader_norm(c, "/strip/4/fader") - 8319 / 16383) < 1e-4, 2.0)
        # pitch bend 8192 on channel 9 -> strip 3 fader at norm 8192/16383
        Midi.run(js, send=["e8 00 40"], seconds=0.2)
        assert jmtest.wait_until(
            lambda: abs(fader_norm(c, "/strip/3/fader") - 8192 / 16383) < 1e-4, 2.0)
        with Midi(js, seconds=0.3) as m:
            c.send("/strip/4/fader/norm", 1.0)
            c.send("/strip/3/fader/norm", 0.0)
            time.sleep(0.3)
            r = m.stop()
        assert Midi.messages(r, "b2") == ["b2 01 7f", "b2 21 7f"], r["received"]
        assert Midi.messages(r, "e8") == ["e8 00 00"], r["received"]


def test_learn_pan_state_file_and_session_save(midi_console):
    js, dm = midi_console
    with dm.client() as c:
        c.send("/midi/learn", "/strip/3/pan")
        m = c.wait_for("/midi/armed", 2.0)
        assert m and list(m[1]) == ["/strip/3/pan"], m
        Midi.run(js, send=["b0 0a 00"], seconds=0.3)
        m = c.wait_for("/midi/learned", 2.0)
        assert m and list(m[1]) == ["/strip/3/pan", "cc 10 ch 1"], m
        assert jmtest.wait_until(lambda: abs(c.query_value("/strip/3/pan") - -1.0) < 1e-6, 2.0)
        # the binding now works as any other
        Midi.run(js, send=["b0 0a 7f"], seconds=0.2)
        assert jmtest.wait_until(lambda: abs(c.query_value("/strip/3/pan") - 1.0) < 1e-6, 2.0)
        c.drain(0.05)
        c.send("/midi/map")
        msgs = c.collect_quiet(0.3)
        binds = [list(a) for p, a in msgs if p == "/midi/binding"]
        ends = [list(a) for p, a in msgs if p == "/midi/map/end"]
        assert ["/strip/3/pan", "cc", 1, 10, -1, "", 1] in binds, msgs
        assert ["/strip/4/fader", "cc14", 3, 1, 33, "", 1] in binds, msgs
        assert ["/strip/1/mute", "note", 1, 16, -1, "momentary", 1] in binds, msgs
        assert ["/strip/2/fader", "cc", 2, 7, -1, "", 0] in binds, msgs
        assert len(binds) == 7 and ends == [[7]], msgs
        c.drain(0.05)
        c.send("/session/save", "saved.cfg")
        m = c.wait_for("/session/save", 3.0)
        assert m and m[1][0].endswith("/saved.cfg"), m
    saved = m[1][0]
    text = open(saved).read()
    assert '{ path = "/strip/oh/pan"; cc = 10; channel = 1; }' in text, text
    r = jmtest.run_jmixd("--check", saved)
    assert r.returncode == 0, r.stderr
    # a restart keeps the learned binding (state file)
    dm.stop()
    assert "@midi /strip/oh/pan cc 10 0 1 toggle 1\n" in open(dm.state).read()
    dm.start()
    with dm.client() as c:
        Midi.run(js, send=["b0 0a 00"], seconds=0.3)
        assert jmtest.wait_until(lambda: abs(c.query_value("/strip/3/pan") - -1.0) < 1e-6, 2.0)
        c.send("/midi/unlearn", "/strip/3/pan")
        m = c.wait_for("/midi/unlearned", 2.0)
        assert m and list(m[1]) == ["/strip/3/pan", 1], m
        Midi.run(js, send=["b0 0a 7f"], seconds=0.3)
        time.sleep(0.1)
        assert abs(c.query_value("/strip/3/pan") - -1.0) < 1e-6


def test_stats_has_midi_counters(midi_console):
    js, dm = midi_console
    with dm.client() as c:
        args = c.query("/stats")
        assert len(args) == 16, args
        assert args[10] == 0 and args[11] == 0, args


def test_ports_reconnected_after_jack_restart():
    js = JackServer().start()
    session = SESSION.replace('input = [ ];', 'input = [ "surf:out" ];').replace(
        'output = [ ];', 'output = [ "surf:in" ];')
    dm = Daemon(session, js).start()
    try:
        with Midi(js, name="surf", to=[], frm=[], seconds=0.2) as m:
            conns = lambda: (("surf:out", "jmixd:midi_in") in js.connections() and
                             ("jmixd:midi_out", "surf:in") in js.connections())
            assert jmtest.wait_until(conns, 5.0), js.connections()
            m.stop()
        js.kill()
        time.sleep(1.0)
        js.start()
        assert jmtest.wait_until(lambda: "jmixd:midi_in" in js.ports(), 10.0), js.ports()
        with Midi(js, name="surf", to=[], frm=[], seconds=0.5) as m:
            assert jmtest.wait_until(conns, 5.0), js.connections()
            time.sleep(0.2)
            with dm.client() as c:
                m.send("b0 07 7f")
                assert jmtest.wait_until(
                    lambda: abs(c.query_value("/strip/1/fader") - 10.0) < 1e-3, 3.0)
                c.send("/strip/1/fader/norm", 0.5)
                time.sleep(0.3)
            r = m.stop()
        # once connected to the surface, the new midi_out sent the whole
        # state (strip 1's fader at its default 0 dB: norm 0.75 -> 95), then
        # carries feedback again
        assert Midi.messages(r, "b0 07") == ["b0 07 5f", "b0 07 40"], r
        # strip 4 at 0 dB too, as a 14-bit pair: 0.75 * 16383 = 12287 = 5f/7f
        assert Midi.messages(r, "b2") == ["b2 01 5f", "b2 21 7f"], r
    finally:
        dm.stop()
        js.stop()


PERF_SESSION = """
jack = { name = "jmperfmidi"; };
osc = { allow = [ "127.0.0.0/8" ]; engineers = [ "127.0.0.1/32" ]; };
strips = ( { name = "kick"; } );
buses = ( { name = "mon"; type = "aux"; } );
performers = ( { name = "drummer"; bus = "mon"; pin = "4711"; } );
midi = { };
"""


def test_midi_requests_are_the_engineers(tmp_path):
    """A performer (logged in or not) gets "not permitted" for /midi/...;
    a session without a midi group answers /error; replies are never
    answered."""
    js = JackServer().start()
    dm = Daemon(PERF_SESSION, js).start()
    try:
        with jmtest.OscClient(dm.osc_port, bind_host="127.0.0.2") as c:
            c.send("/performer/login", "drummer", "4711")
            assert c.wait_for("/performer/login", 2.0)
            for path, args in [("/midi/learn", ("/bus/mon/fader",)), ("/midi/map", ()),
                               ("/midi/unlearn", ("/bus/mon/fader",))]:
                c.drain(0)
                c.send(path, *args)
                m = c.wait_for("/error", 2.0)
                assert m and list(m[1]) == [path, "not permitted"], (path, m)
        with dm.client() as c:
            c.send("/midi/learn", "/strip/1/fader")
            m = c.wait_for("/midi/armed", 2.0)
            assert m and list(m[1]) == ["/strip/1/fader"], m
            c.send("/midi/learn", "off")
            m = c.wait_for("/midi/armed", 2.0)
            assert m and list(m[1]) == ["off"], m
            # a reply sent to the console is dropped silently (counted as rejected)
            before = c.query("/stats")[2]
            c.drain(0)
            for path in ("/midi/armed", "/midi/learned", "/midi/binding", "/midi/map/end"):
                c.send(path, "x")
            assert c.collect_quiet(0.3) == []
            assert c.query("/stats")[2] == before + 4
            c.send("/midi/bogus")
            m = c.wait_for("/error", 2.0)
            assert m and list(m[1]) == ["/midi/bogus", "unknown address"], m
    finally:
        dm.stop()
    dm = Daemon(BASE, js).start()
    try:
        with dm.client() as c:
            c.send("/midi/map")
            m = c.wait_for("/error", 2.0)
            assert m and list(m[1]) == ["/midi/map", "this session has no midi group"], m
        assert "jmixd:midi_in" not in js.ports()
    finally:
        dm.stop()
        js.stop()
