#!/usr/bin/env python3
"""Write the seed corpus of tests/fuzz/fuzz_osc (tests/fuzz/corpus/osc/).

    python3 tests/fuzz/gen_corpus.py

Each seed is one datagram behind fuzz_osc's selector byte (0: the native
port from an allowed source, 1: the X32 port, 2: a denied source): valid
messages to every kind of address (parameters, /norm, /ramp, /touch,
aliases, queries, patterns, commands, X32), bundles (immediate, future,
nested) and a few broken ones. The files are committed; rerun this only
when the address space changes. corpus/osc/regress-* are inputs that once
held the OSC thread; keep them. Session seeds (corpus/session/, plus
tests/sessions/*/ and config/, which tests/fuzz/run.sh adds) and state-file
seeds (corpus/state/) are plain text written by hand.
"""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from jmtest import osc_bundle, osc_message, ntp_timetag  # noqa: E402

OUT = os.path.join(HERE, "corpus", "osc")


def seeds():
    m = osc_message
    native = [
        m("/info"), m("/strips"), m("/stats"), m("/params"), m("/params", "/strip/1"),
        m("/subscribe"), m("/subscribe", 9000, "norm"), m("/unsubscribe"),
        m("/dump"), m("/dump", "/strip/1/", "norm"), m("/stats/64"),
        m("/strip/1/fader", -6.0), m("/strip/kick/fader", ("i", -3)), m("/strip/2/pan", ("d", 0.5)),
        m("/strip/1/mute", True), m("/strip/1/mute", False), m("/strip/1/mute", 1),
        m("/strip/keys/eq/2/gain", 3.0), m("/strip/3/eq/4/freq", 8000.0), m("/strip/1/comp/ratio", 4.0),
        m("/strip/1/gate/threshold", -40.0), m("/strip/1/hpf/on", 1), m("/strip/1/hpf/freq", 120.0),
        m("/strip/1/send/verb/level", -12.0), m("/strip/2/send/2/pre", 1),
        m("/bus/verb/reverb/size", 0.7), m("/bus/echo/delay/time", 250.0), m("/bus/1/fader", -3.0),
        m("/master/fader", -1.0), m("/master/mono", 1), m("/master/limiter/ceiling", -2.0),
        m("/master/eq/1/gain", 2.0), m("/master/comp/on", 1),
        m("/strip/1/fader/norm", 0.75), m("/master/fader/norm", 0.5), m("/strip/1/pan/norm", 0.2),
        m("/strip/1/fader"), m("/strip/1/fader/norm"), m("/master/limiter/on"),
        m("/strip/1/fader/ramp", -20.0, 2.0), m("/strip/1/fader/norm/ramp", 0.5, 1.0),
        m("/strip/1/fader/touch", 1), m("/strip/1/fader/touch", 0),
        m("/strip/*/mute", 1), m("/strip/{kick,snare}/fader", -10.0), m("/strip/[1-2]/pan", 0.0),
        m("/strip/?/fader"), m("/*/1/fader", 0.0), m("/strip/*/eq/*/gain", 1.0),
        m("/1/fader1", 0.5), m("/1/fader1"), m("/1/fader1/z", 1), m("/1/toggle1", 1.0), m("/1/f", -5.0),
        m("/automation/mode", "/strip/kick/fader", "touch"), m("/automation/clear", "/strip/1/fader"),
        m("/automation/list"), m("/snapshot/save", "a"), m("/snapshot/recall", "a", 2.0),
        m("/snapshot/recall", "a"), m("/snapshot/delete", "a"), m("/snapshot/list"),
        m("/session/save"), m("/session/save", "/tmp/x.cfg"), m("/record/start"),
        m("/record/start", "x.wav"), m("/record/stop"), m("/record/status"), m("/loudness/reset"),
        # wrong: types, arity, values
        m("/strip/1/fader", "x"), m("/strip/1/fader", 1.0, 2.0), m("/strip/1/fader", True),
        m("/strip/1/fader", float("nan")), m("/strip/1/fader", ("d", float("inf"))),
        m("/strip/1/fader", ("h", 5)), m("/strip/1/fader", b"\1\2\3"), m("/strip/1/mute/norm", 1.0),
        m("/strip/9/fader", 0.0), m("/strip/1/nope", 0.0), m("/info", 1), m("/nope"),
        m("/strip/1/fader/ramp", 0.0, -1.0), m("/strip/1/fader/ramp", 0.0), m("/snapshot/save", "a b"),
        m("/automation/mode", "/strip/1/fader", "sideways"), m("/strip/" + "*" * 20 + "/fader", 1.0),
        m("/strip/{" + ",".join("s%d" % i for i in range(60)) + "}/fader", 1.0),
    ]
    x32 = [
        m("/ch/01/mix/fader", 0.75), m("/ch/02/mix/pan", 0.5), m("/ch/01/mix/on", 0), m("/ch/01/mix/on", 1),
        m("/ch/01/mix/fader"), m("/main/st/mix/fader", 0.6), m("/ch/01/config/name"), m("/xremote"),
        m("/info"), m("/status"), m("/ch/33/mix/fader", 0.5), m("/ch/01/mix/fader", 1),
        m("/meters", "/meters/1"), m("/meters", "meters/0", 0, 0, 5), m("/meters", "/meters/6", 16),
        m("/batchsubscribe", "/al", "/meters/2", 0, 0, 0), m("/renew", "/al"), m("/renew", "a b"),
    ]
    now = ntp_timetag(1.7e9)
    bundles = [
        osc_bundle([("/strip/1/fader", -6.0), ("/strip/2/mute", 1)]),
        osc_bundle([("/strip/1/mute", 1)], now),
        osc_bundle([osc_bundle([("/strip/1/pan", 0.3)], now + (1 << 32)), ("/info",)], now),
        osc_bundle([]),
        osc_bundle([osc_bundle([osc_bundle([("/master/fader", -2.0)])])]),
        b"#bundle\0" + struct.pack(">Q", 1) + struct.pack(">i", 1000) + b"/x\0\0",
        b"#bundle\0" + struct.pack(">Q", 1) + struct.pack(">i", -4),
    ]
    raw = [b"/", b"/strip/1/fader", b"/strip/1/fader\0\0,f\0\0", b"/strip/1/fader\0\0,zzz\0\0\0\0",
           b"\xff" * 16]
    for d in native + bundles + raw:
        yield b"\0" + bytes(d)
    for d in x32:
        yield b"\1" + bytes(d)
    yield b"\2" + m("/strip/1/fader", -6.0)


def main():
    os.makedirs(OUT, exist_ok=True)
    n = 0
    for s in seeds():
        name = hashlib.sha1(s).hexdigest()[:16]
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(s)
        n += 1
    print("%d seeds in %s" % (n, OUT))


if __name__ == "__main__":
    main()
