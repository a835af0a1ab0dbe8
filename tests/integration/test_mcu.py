"""The Mackie Control driver (docs/midi.md, "Mackie Control") with the JACK
MIDI test client build/tools/jm_midi (jmtest.Midi) playing the surface: it sends what an
MCU sends into jmixd:midi_in and records what jmixd:midi_out sends back.

The bytes follow the Logic Control MIDI implementation (Apple, Logic Pro 7
"Dedicated Control Surface Support", appendix B): faders are 14-bit pitch
bend on MIDI channels 1-8 (9 the master), fader touch notes 0x68-0x70,
buttons notes with velocity 7F pressed / 00 released (LEDs the same notes
back), V-Pots CC 0x10-0x17, scribble strips SysEx F0 00 00 66 14 12 offset
text F7.

The surface's input is processed in order; to know that a message was
handled before an OSC step, a test moves the master fader (pitch bend on
channel 9, which the driver never echoes) to a fresh position and waits
until /master/fader reads it back (barrier()).
"""
import os
import time

import pytest

import jmtest
from jmtest import Daemon

NAMES = ["kick", "snare", "hat", "tom1", "tom2", "oh_l", "oh_r", "bass",
         "gtr1", "gtr2", "keys", "organ", "vox1", "vox2", "choir", "synth"]
# strips 9..16 start at distinct fader values (dB)
FADERS = {9 + k: -2.0 - 3.0 * k for k in range(8)}


def _session(midi_extra=""):
    strips = []
    for i, n in enumerate(NAMES, 1):
        fader = " fader = %.1f;" % FADERS[i] if i in FADERS else ""
        strips.append('{ name = "%s"; input = [ ];%s }' % (n, fader))
    return """
strips = ( %s );
buses = ( { name = "mon1"; type = "aux"; } );
master = { output = [ ]; };
midi = { surface = "mcu";%s };
""" % (",\n           ".join(strips), midi_extra)


def pb_of_db(db):
    """The pitch bend value the driver sends for a fader at db."""
    n = jmtest.x32_norm(db)
    return int(n * 16383 + 0.5) if n < 1 else 16383


class Surface:
    """jmtest.Midi (jm_midi, live) connected to jmixd's MIDI ports; with
    loopback it also records its own output."""

    def __init__(self, js, loopback=False):
        name = jmtest.unique_name("jmtmcu")
        frm = ["jmixd:midi_out"] + ([name + ":out"] if loopback else [])
        self.m = jmtest.Midi(js, name=name, frm=frm, seconds=0.4).start()
        self.master = 0

    def send(self, *msgs):
        self.m.send(*msgs)

    def press(self, note):
        self.send("90 %02x 7f" % note, "90 %02x 00" % note)

    def barrier(self, c):
        """Everything sent so far has been handled by the daemon."""
        self.master = 1000 + (self.master + 517) % 12000
        self.send("e8 %02x %02x" % (self.master & 0x7F, self.master >> 7))
        want = jmtest.x32_db(self.master / 16383.0)
        assert jmtest.wait_until(
            lambda: abs(c.query_value("/master/fader") - want) < 2e-3, 5.0), \
            "the master fader barrier did not arrive"

    def finish(self):
        """End the input; the recorded messages [(frame, [bytes])]."""
        res = self.m.stop()
        assert res["send_failed"] == 0
        assert res["lost"] == 0
        return [(f, [int(b, 16) for b in h.split()]) for f, h in res["received"]]

    def kill(self):
        if self.m.proc and self.m.proc.poll() is None:
            self.m.proc.kill()
            self.m.proc.wait()


def pbs(rx, ch):
    """The pitch bend values received on MIDI channel ch (1-based)."""
    return [m[1] | m[2] << 7 for _, m in rx if m[0] == 0xE0 + ch - 1]


def index_of(rx, pred, start=0):
    for i in range(start, len(rx)):
        if pred(rx[i][1]):
            return i
    return -1


def scribble_rows(rx, offset):
    """Texts of the scribble SysEx at offset, in order."""
    hdr = [0xF0, 0x00, 0x00, 0x66, 0x14, 0x12, offset]
    return [bytes(m[7:-1]).decode("ascii") for _, m in rx if m[:7] == hdr and m[-1] == 0xF7]


@pytest.fixture
def mcu(module_jack):
    d = Daemon(_session(), module_jack).start()
    c = d.client()
    s = Surface(module_jack)
    yield module_jack, d, c, s
    s.kill()
    c.close()
    d.stop()


def test_mcu_fader_touch(mcu):
    js, d, c, s = mcu
    s.barrier(c)
    # pitch bend 8192 on channel 1: strip 1's fader at the fader law's value
    s.send("e0 00 40")
    want = jmtest.x32_db(8192 / 16383.0)
    assert jmtest.wait_until(lambda: abs(c.query_value("/strip/1/fader") - want) < 1e-3, 5.0)
    jmtest.note("pitch bend 8192 -> /strip/1/fader %.4f dB (law %.4f)" %
                (c.query_value("/strip/1/fader"), want))
    # an OSC change of strip 2: the matching pitch bend on channel 2
    c.set_and_confirm("/strip/2/fader", -10.0)
    s.barrier(c)
    # touched: OSC changes send nothing
    s.send("90 69 7f")
    s.barrier(c)
    c.set_and_confirm("/strip/2/fader", -20.0)
    c.set_and_confirm("/strip/2/fader", -25.0)
    s.barrier(c)
    # released: the current value
    s.send("90 69 00")
    s.barrier(c)
    rx = s.finish()
    assert pbs(rx, 2) == [pb_of_db(-10.0), pb_of_db(-25.0)]
    assert pb_of_db(-10.0) == 8192
    # strip 1's own move is not echoed
    assert pbs(rx, 1) == []
    # the value showed in strip 2's lower scribble cell while touched
    assert "-25.0  " in scribble_rows(rx, 56 + 7)


def test_mcu_mute_and_bank(mcu):
    js, d, c, s = mcu
    s.barrier(c)
    # mute button 0x10 toggles strip 1's mute; the LED follows
    s.press(0x10)
    s.barrier(c)
    assert c.query_value("/strip/1/mute") == 1
    s.press(0x10)
    s.barrier(c)
    assert c.query_value("/strip/1/mute") == 0
    c.set_and_confirm("/strip/1/mute", 1)
    s.barrier(c)
    # V-Pot 1, 5 ticks clockwise: pan +0.1
    s.send("b0 10 05")
    s.barrier(c)
    assert abs(c.query_value("/strip/1/pan") - 0.1) < 1e-4
    # bank right: strips 9..16
    s.press(0x2F)
    s.barrier(c)
    rx = s.finish()
    leds = [m[2] for _, m in rx if m[:2] == [0x90, 0x10]]
    assert leds[:3] == [0x7F, 0x00, 0x7F]
    ring = [m[2] for _, m in rx if m[:2] == [0xB0, 0x30]]
    assert ring[0] == 7          # single dot one right of centre
    # the upper row after the bank change: strips 9..16's names
    rows = scribble_rows(rx, 0)
    assert rows[-1] == "".join("%-7s" % n[:6] for n in NAMES[8:16])
    i = index_of(rx, lambda m: m[:7] == [0xF0, 0, 0, 0x66, 0x14, 0x12, 0])
    assert i >= 0
    after = rx[i:]
    for ch in range(1, 9):
        assert pbs(after, ch) == [pb_of_db(FADERS[8 + ch])], "channel %d" % ch
    # strip 9 is not muted: mute LED 0x10 goes dark after the bank change
    assert [m[2] for _, m in after if m[:2] == [0x90, 0x10]] == [0x00]
    jmtest.note("bank right: %r" % rows[-1])


def test_mcu_handshake(mcu):
    js, d, c, s = mcu
    c.set_and_confirm("/strip/3/fader", -6.0)
    s.barrier(c)
    # Logic Control: host connection query with serial and challenge
    serial = [ord(x) for x in "ABC1234"]
    challenge = [0x11, 0x22, 0x33, 0x44]
    s.send(" ".join("%02x" % b for b in [0xF0, 0, 0, 0x66, 0x10, 0x01] + serial + challenge + [0xF7]))
    s.barrier(c)
    time.sleep(0.3)   # the full state goes out at the next control tick
    rx = s.finish()
    l1, l2, l3, l4 = challenge
    r = [0x7F & (l1 + (l2 ^ 0xA) - l4), 0x7F & ((l3 >> 4) ^ (l1 + l4)),
         0x7F & ((l4 - (l3 << 2)) ^ (l1 | l2)), 0x7F & (l2 - l3 + (0xF0 ^ (l4 << 4)))]
    reply = [0xF0, 0, 0, 0x66, 0x10, 0x02] + serial + r + [0xF7]
    msgs = [m for _, m in rx]
    assert reply in msgs
    # the whole state, with the surface's device id 0x10
    hdr = [0xF0, 0, 0, 0x66, 0x10, 0x12, 0]
    i = index_of(rx, lambda m: m[:7] == hdr)
    assert i > msgs.index(reply)
    assert bytes(rx[i][1][7:-1]).decode() == "".join("%-7s" % n[:6] for n in NAMES[:8])
    after = rx[i:]
    assert pbs(after, 3)[:1] == [pb_of_db(-6.0)]
    for ch in range(1, 10):
        assert len(pbs(after, ch)) >= 1, "channel %d" % ch
    # LEDs of every channel's solo and mute, the rings
    for note in list(range(0x08, 0x18)):
        assert any(m[:2] == [0x90, note] for _, m in after), hex(note)
    for cc in range(0x30, 0x38):
        assert any(m[:2] == [0xB0, cc] for _, m in after), hex(cc)


def test_mcu_feedback_latency(module_jack):
    """A change from elsewhere reaches the motor fader at once: a MIDI-learn
    binding (CC 7 on channel 16 -> /strip/2/fader) changes strip 2 from the
    same client, which also records its own output (loopback), so both ends
    carry JACK frame times. The delay is noted against the meter period
    (meter_rate 20 Hz: 2400 frames), not asserted (no timed assertions)."""
    d = Daemon(_session(' map = ( { path = "/strip/2/fader"; cc = 7; channel = 16; } );'),
               module_jack).start()
    c = d.client()
    s = Surface(module_jack, loopback=True)
    try:
        s.barrier(c)
        s.send("bf 07 40")      # CC 7 = 64 on channel 16: /norm 64/127
        s.barrier(c)
        want = jmtest.x32_db(64 / 127.0)
        assert abs(c.query_value("/strip/2/fader") - want) < 1e-3
        rx = s.finish()
    finally:
        s.kill()
        c.close()
        d.stop()
    sent = [f for f, m in rx if m == [0xBF, 0x07, 0x40]]
    got = [(f, m) for f, m in rx if m[0] == 0xE1]
    assert len(sent) == 1
    assert [m[1] | m[2] << 7 for _, m in got] == [pb_of_db(want)]
    delay = got[0][0] - sent[0]
    assert delay >= 0
    jmtest.note("CC 7 at frame %d -> pitch bend on channel 2 at frame %d: %d frames "
                "(%.1f ms; one meter period = 2400 frames)" % (sent[0], got[0][0], delay,
                                                                delay / 48.0))


def _display(rx):
    """The timecode display after each timecode CC: [(index in rx, text)],
    text left to right with '.' after a digit whose point is lit."""
    digits = [0x20] * 10
    out = []
    for i, (_, m) in enumerate(rx):
        if m[0] == 0xB0 and 0x40 <= m[1] <= 0x49:
            digits[m[1] - 0x40] = m[2]
            txt = ""
            for d in reversed(digits):
                c = d & 0x3F
                txt += (chr(c) if c >= 0x20 else chr(c + 0x40)) + ("." if d & 0x40 else "")
            out.append((i, txt))
    return out


def test_mcu_transport(mcu):
    js, d, c, s = mcu
    s.send("f0 00 00 66 14 01 f7")   # an MCU's "device ready": the whole display
    s.barrier(c)
    time.sleep(0.3)
    s.press(0x5E)            # PLAY: the JACK transport rolls
    s.barrier(c)
    time.sleep(0.3)
    s.press(0x5D)            # STOP
    s.barrier(c)
    time.sleep(0.2)
    s.press(0x5B)            # REWIND: locate to 0
    s.barrier(c)
    time.sleep(0.2)
    rx = s.finish()
    play = [m[2] for _, m in rx if m[:2] == [0x90, 0x5E]]
    stop = [m[2] for _, m in rx if m[:2] == [0x90, 0x5D]]
    assert play[-2:] == [0x7F, 0x00]     # lit while rolling, dark once stopped
    assert stop[-2:] == [0x00, 0x7F]
    shown = [t for _, t in _display(rx)]
    jmtest.note("timecode shown: %s ... %s" % (shown[:2], shown[-4:]))
    # the display ran while rolling (seconds and milliseconds), and shows 0 after rewind
    # once the handshake's full state has written all 10 digits: HHH.MM.SS.mmm
    full = shown[shown.index("  0.00.00.000"):]
    for t in full:
        assert len(t) == 13 and t[3] == "." and t[6] == "." and t[9] == ".", t
    assert any(t > "  0.00.00.050" for t in full)
    assert full[-1] == "  0.00.00.000"


@pytest.mark.timeout(120)
def test_mcu_rtsan_bank_flood():
    """The RealtimeSanitizer build with the MCU driver under a flood of bank
    and mute presses (a bank change sends about 60 messages: names, faders,
    rings, LEDs, once per control turn however many presses it holds; each
    mute press one LED), so the process callback writes midi_out while
    midi_in floods: no RTSan report, the daemon alive and answering, the
    surface's last mute LED matching the mute it ended on."""
    assert os.path.exists(jmtest.JMIXD_RTSAN), "%s is not built" % jmtest.JMIXD_RTSAN
    js = jmtest.JackServer().start()
    dm = None
    try:
        dm = Daemon(_session(), js, binary=jmtest.JMIXD_RTSAN).start()
        msgs = []
        for k in range(400):
            note = 0x2F if k % 2 == 0 else 0x2E
            msgs += ["90 %02x 7f" % note, "90 %02x 00" % note, "90 10 7f", "90 10 00"]
        m = jmtest.Midi(js, seconds=0.5).start()
        m.send(*msgs)
        r = m.stop()
        assert dm.alive()
        t = dm.stderr_text()
        assert "RealtimeSanitizer" not in t, t[t.find("RealtimeSanitizer") - 200:][:2500]
        rows = [h for _, h in r["received"] if h.startswith("f0 00 00 66 14 12 00")]
        jmtest.note("bank flood on the RTSan build: %d messages back, %d upper-row updates" %
                    (len(r["received"]), len(rows)))
        assert len(rows) > 0
        c = dm.client()
        assert c.query_value("/strip/1/fader") == 0.0
        muted = c.query_value("/strip/1/mute")
        c.close()
        # banks alternate 9-16 / 1-8: the last mute press ran on strip 1 or 9,
        # and LED 0x10 shows the mute of the strip on channel 1 at the end
        leds = [h for _, h in r["received"] if h.startswith("90 10 ")]
        jmtest.note("%d mute LED updates of 400 presses (sent %d, send_failed %d); strip 1 "
                    "mute %s" % (len(leds), r["sent"], r["send_failed"], muted))
        assert len(leds) >= 100
        assert leds[-1] == ("90 10 7f" if muted else "90 10 00")
    finally:
        if dm:
            dm.stop()
        js.stop()
