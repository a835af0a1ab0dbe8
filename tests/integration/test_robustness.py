"""Bad input and floods through the live daemon (docs/operations.md, issue 8).

- test_bad_datagrams_change_nothing: >= 100,000 malformed, truncated, mutated,
  wrong-typed and random datagrams (bad type tags, wrong arity, NaN/inf, huge
  strings, deep patterns, bundles within bundles, future timetags) to the
  native and the X32 port while audio plays; afterwards the daemon answers
  /info and every parameter, lane, snapshot and the audio level are as
  before. Every datagram is one that cannot legitimately change a value:
  wrong types, out-of-spec arguments, broken framing, or sets to the value a
  parameter already has (the future-timetag bundles). Mutated datagrams are
  filtered by a conservative classifier (`could_change`) that drops anything
  that might still carry a number, a switch or a state-changing command.
- test_pattern_cost_is_bounded: adversarial address patterns, one datagram
  at a time, each followed by an /info round trip: none may hold the OSC
  thread (docs/operations.md: bad input, deep patterns).
- test_sighup_with_broken_session_changes_nothing: SIGHUP with a session file
  broken in various ways: refused with FILE:LINE, the console runs on.
- test_flood_no_xruns_level_memory_counters: 5 s (60 s soaking) of OSC from one C sender
  (tests/tools/jm_flood, sendmmsg) as fast as it goes while a probe plays
  through the console: xruns compared with the same run whose flood goes to
  a socket nobody reads, level before/during/after, RSS sampled during the
  flood, /stats counters, and afterwards the flooded parameter is what the
  daemon says it is (audibly).

The JACK server runs realtime (jackd -R) when the system permits it, as on
a deployed machine; otherwise the flood's xrun comparison is reported but
not asserted (on a non-realtime server any CPU load delays the driver).
JMT_SOAK=1 (make soak) multiplies the datagram count and the flood time.
"""
import json
import math
import os
import random
import re
import signal
import socket
import struct
import subprocess
import time
import types

import pytest

import jmtest
from jmtest import Daemon, JackServer, Probe, osc_bundle, osc_message

SOAK = os.environ.get("JMT_SOAK") == "1"
N_DATAGRAMS = 1_000_000 if SOAK else 100_000     # distinct datagrams
PASSES = 3                                        # each is sent this many times
CAPTURE_S = 4.0
FLOOD_SECONDS = 60.0 if SOAK else 5.0
LEVEL_TOL_DB = 0.05
# xruns the dummy driver misses on its own between two runs on this 2-core
# VM: up to 11 more in one run than in the other were measured (fresh root,
# 13 vs 24; here 3 vs 14). A flood that reaches the audio thread costs
# hundreds, so 20 still tells the two apart.
XRUN_NOISE = 20
FLOOD = os.path.join(jmtest.ROOT, "build", "tools", "jm_flood")
FLOOD_SRC = os.path.join(jmtest.ROOT, "tests", "tools", "jm_flood.c")

BUSES = ("verb", "echo")
STRIPS = ("a", "b", "keys")     # a: plays the probe's sine; b: silent (flood target)


def _session(name, x32_port):
    return """
jack = { name = "%s"; };
strips = (
  { name = "a"; input = [ ]; },
  { name = "b"; input = [ ]; pan = -0.25; },
  { name = "keys"; channels = 2; input = [ ]; fader = -6.0; }
);
buses = ( { name = "verb"; type = "reverb"; }, { name = "echo"; type = "delay"; } );
master = { output = [ ]; };
aliases = ( { from = "/1/fader1"; to = "/strip/1/fader/norm"; },
            { from = "/1/toggle1"; to = "/strip/b/mute"; } );
x32 = { port = %d; };
""" % (name, x32_port)


@pytest.fixture(scope="module")
def rob():
    """A JACK server (realtime where permitted: xrun counts mean something
    there) and the daemon the datagram tests aim at; rob.rt says which."""
    rt = jmtest.realtime_permitted()
    js = JackServer(realtime=rt).start()
    try:
        x32 = jmtest.free_udp_port()
        d = Daemon(_session("jmrob", x32), js, name="jmrob").start()
        d.x32_port = x32
        if not os.path.exists(FLOOD):
            _build_flooder()
        yield types.SimpleNamespace(js=js, d=d, rt=rt)
        d.stop()
    finally:
        js.stop()


def _build_flooder():
    r = subprocess.run(["make", "-s", "build/tools/jm_flood"], cwd=jmtest.ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0 or not os.path.exists(FLOOD):
        # the Makefile links every tool with the project library; the flooder
        # needs none of it
        os.makedirs(os.path.dirname(FLOOD), exist_ok=True)
        subprocess.check_call(["cc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
                               "-O2", FLOOD_SRC, "-o", FLOOD], cwd=jmtest.ROOT)


# --------------------------------------------------------------------------
# observing the daemon

def params_of(c, expect_n=None, units=None):
    """{path: value} from /params (one /param per parameter); fills the dict
    `units` with {path: unit} when given."""
    for _ in range(3):
        c.drain(0)
        c.send("/params")
        got = [m for m in c.collect_quiet(0.3, limit=10.0) if m[0] == "/param"]
        vals = {a[0]: a[5] for _, a in got}
        if units is not None:
            units.update({a[0]: a[1] for _, a in got})
        if expect_n is None or len(vals) == expect_n:
            return vals
    raise AssertionError("/params gave %d parameters, expected %s" % (len(vals), expect_n))


def replies_of(c, path, reply):
    c.drain(0)
    c.send(path)
    return sorted(tuple(a) for p, a in c.collect_quiet(0.3, limit=5.0) if p == reply)


def stats_of(c):
    args = c.query("/stats", timeout=5.0)
    assert len(args) == 16 and all(isinstance(v, int) for v in args), \
        "/stats must be 12 integers (h:osc_denied h:osc_malformed h:osc_rejected " \
        "h:requests_dropped h:commands_dropped h:xruns h:send_errors h:loudness_dropped " \
        "h:errors_suppressed h:rta_blocks h:midi_in_dropped h:midi_out_dropped), " \
        "got %r" % (args,)
    keys = ("denied", "malformed", "rejected", "requests_dropped", "commands_dropped", "xruns",
            "send_errors", "loudness_dropped", "errors_suppressed", "rta_blocks",
            "midi_in_dropped", "midi_out_dropped")
    return dict(zip(keys, args))


def udp_drops(port):
    """Datagrams the kernel dropped on the socket bound to this UDP port
    (the `drops` column of /proc/net/udp), or None."""
    try:
        with open("/proc/net/udp") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) > 12 and int(parts[1].split(":")[1], 16) == port:
            return int(parts[-1])
    return None


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def level_db(rob, strip_port, seconds=0.5):
    """Gain from the probe's sine into strip_port to master_L, in dB."""
    cap = Probe.run(rob.js, play=[(strip_port, "sine:1000:-12")],
                    capture=["probe_play:out_1", "jmrob:master_L"], seconds=seconds)
    cap.assert_clean()
    return cap.rms_db(1, 0.1, seconds) - cap.rms_db(0, 0.1, seconds)


# --------------------------------------------------------------------------
# bad datagrams

DANGER = (b"/session/save", b"/record/start", b"/snapshot/", b"/automation/", b"/subscribe",
          b"/unsubscribe", b"/xremote")


def could_change(dg):
    """Conservative: True unless the datagram certainly cannot set a value or
    run a state-changing command. Mirrors the daemon's framing (bundle
    elements are walked until the first bad size; a message needs a leading
    '/' and a NUL) and then refuses anything whose type tags hold a number
    or a switch, or that names a command with side effects."""
    if len(dg) >= 16 and dg[:8] == b"#bundle\0":
        off = 16
        while off + 4 <= len(dg):
            n = struct.unpack(">I", dg[off:off + 4])[0]
            off += 4
            if n == 0 or n % 4 or n > len(dg) - off:
                return False
            if could_change(dg[off:off + n]):
                return True
            off += n
        return False
    if len(dg) < 4 or dg[:1] != b"/" or b"\0" not in dg:
        return False
    if any(w in dg for w in DANGER):
        return True
    end = dg.index(b"\0")
    tags = dg[(end + 4) & ~3:].split(b"\0", 1)[0]
    return any(ch in b"ifdTFh" for ch in tags)


WRONG_ARGS = [("s", "x"), ("S", "sym"), b"\1\2\3", ("h", 5), ("t", 1), ("c", "a"),
              ("m", b"\0\x90\x3c\x40"), ("r", 0), ("N",), ("I",), ("f", math.nan),
              ("f", math.inf), ("f", -math.inf), ("d", math.nan), ("d", -math.inf)]


def _names(path):
    """The index path and its name form."""
    out = [path]
    parts = path.split("/")
    if len(parts) > 2 and parts[1] in ("strip", "bus") and parts[2].isdigit():
        names = STRIPS if parts[1] == "strip" else BUSES
        k = int(parts[2]) - 1
        if k < len(names):
            out.append("/".join(parts[:2] + [names[k]] + parts[3:]))
    return out


class Corpus:
    """The datagrams of test_bad_datagrams_change_nothing, by category."""

    def __init__(self, params, bools, rnd):
        self.rnd = rnd
        self.params = params          # {index path: current value}
        self.bools = bools            # index paths of switches
        self.native = []              # (category, datagram)
        self.x32 = []
        self.dropped_unsafe = 0

    def add(self, cat, dg, x32=False):
        (self.x32 if x32 else self.native).append((cat, bytes(dg)))

    def wrong_types(self):
        for path in self.params:
            is_bool = path in self.bools
            for p in _names(path):
                for a in WRONG_ARGS:
                    self.add("wrong type/value", osc_message(p, a))
                self.add("wrong arity", osc_message(p, 1, 2))
                self.add("wrong arity", osc_message(p, 0.5, "x"))
                if not is_bool:
                    self.add("wrong type/value", osc_message(p, True))
                    self.add("wrong type/value", osc_message(p, False))
                    self.add("wrong type/value", osc_message(p + "/norm", ("f", math.nan)))
                    self.add("wrong type/value", osc_message(p + "/norm", ("s", "0.5")))
                    self.add("wrong type/value", osc_message(p + "/norm", True))
                else:
                    self.add("wrong type/value", osc_message(p + "/norm", 1.0))   # no /norm twin
                    self.add("wrong type/value", osc_message(p + "/norm"))
                self.add("wrong arity", osc_message(p + "/ramp", 1.0))
                self.add("wrong type/value", osc_message(p + "/ramp", ("f", math.nan), 1.0))
                self.add("wrong type/value", osc_message(p + "/ramp", 0.0, -1.0))
                self.add("wrong type/value", osc_message(p + "/ramp", 0.0, 3601.0))
                self.add("wrong type/value", osc_message(p + "/ramp", 0.0, ("d", math.inf)))
                self.add("wrong type/value", osc_message(p + "/ramp", "x", 1.0))
                self.add("wrong arity", osc_message(p + "/touch"))
                self.add("wrong arity", osc_message(p + "/touch", 1, 1))
                self.add("wrong type/value", osc_message(p + "/touch", "x"))
        for p in ("/strip/9/fader", "/strip/zz/fader", "/bus/3/fader", "/master/nope",
                  "/strip/1/eq/5/gain", "/strip/1/send/3/level", "/strip/0/fader",
                  "/strip/-1/fader", "/strip/1/fader/norm/norm", "/strip/1/fader/ramp/ramp",
                  "/strip/1", "/strip/", "/bus/verb/delay/time", "/bus/echo/reverb/size"):
            self.add("no such parameter", osc_message(p, 0.0))
        cmds = [
            ("/snapshot/save",), ("/snapshot/save", 1), ("/snapshot/save", "a b"),
            ("/snapshot/save", ""), ("/snapshot/save", "a/b"), ("/snapshot/save", "x" * 200),
            ("/snapshot/save", "a", "b"), ("/snapshot/recall",), ("/snapshot/recall", 1.0),
            ("/snapshot/recall", "none", ("f", math.nan)), ("/snapshot/recall", "none", -1.0),
            ("/snapshot/recall", "none", 3601.0), ("/snapshot/recall", "none", "x"),
            ("/snapshot/delete",), ("/snapshot/delete", 3), ("/snapshot/list", "x"),
            ("/automation/mode",), ("/automation/mode", "/strip/1/fader"),
            ("/automation/mode", "/strip/9/fader", "read"),
            ("/automation/mode", "/strip/1/fader", "sideways"), ("/automation/mode", 1, 2),
            ("/automation/clear",), ("/automation/clear", "/nope"), ("/automation/clear", 1),
            ("/automation/list", "x"), ("/session/save", 1), ("/session/save", "a", "b"),
            ("/record/start", 1), ("/record/start", "a.wav", "b"), ("/record/stop", 1),
            ("/record/status", "x"), ("/loudness/reset", 1.0), ("/info", 1), ("/stats", "x"),
            ("/strips", 1.0), ("/params", 1), ("/params", "a", "b"), ("/subscribe", 1.5),
            ("/subscribe", 70000), ("/subscribe", "bogus"), ("/unsubscribe", True),
            ("/nope",), ("/nope", 1.0), ("/1/fader1", "x"), ("/1/fader1", 1, 2),
            ("/1/fader1/z", "x"), ("/1/toggle1", ("f", math.nan)), ("/1/fader1/z",),
        ]
        for c in cmds:
            self.add("bad command arguments", osc_message(c[0], *c[1:]))

    def huge(self):
        for n in (1000, 8000, 32000, 65000):
            self.add("huge string", osc_message("/strip/" + "x" * n + "/fader", 1.0))
            self.add("huge string", osc_message("/strip/1/fader", "y" * n))
            self.add("huge string", osc_message("/" + "z" * n))
            self.add("huge string", osc_message("/snapshot/save", "n" * n))
            self.add("huge string", osc_message("/strip/1/fader", ("b", b"\0" * n)))
            self.add("huge string", osc_message("/strip/*/fader", "w" * n))
            self.add("huge string", osc_message("/" + "*" * n, 1.0))
            self.add("huge string", osc_message("/strip/" + "{" * (n // 2), 1.0))
            self.add("huge string", osc_message("/strip/1/fader", *(["s"] * (n // 8))))
        self.add("huge string", osc_message("/strip/1/fader", *([1.0] * 10000)))
        self.add("huge string", b"/" + b"a" * 65400 + b"\0\0\0,s\0\0")
        self.add("empty string", osc_message(""))
        self.add("empty string", osc_message("/", ""))
        self.add("empty string", osc_message("/strip/1/fader", ""))
        self.add("empty string", osc_message("/snapshot/recall", ""))

    def patterns(self, n):
        rnd = self.rnd
        segs = ["strip", "bus", "master", "1", "2", "3", "a", "b", "keys", "verb", "echo", "eq",
                "comp", "gate", "hpf", "send", "fader", "pan", "mute", "solo", "gain", "freq", "q",
                "level", "pre", "on", "threshold", "limiter", "reverb", "delay", "trim"]

        def piece():
            r = rnd.random()
            if r < 0.25:
                return rnd.choice(segs)
            if r < 0.4:
                return "*"
            if r < 0.5:
                s = rnd.choice(segs)
                k = rnd.randrange(len(s))
                return s[:k] + "?" + s[k + 1:]
            if r < 0.6:
                return "[%s-%s]%s" % (rnd.choice("0a1"), rnd.choice("9z3"), rnd.choice(["", "*"]))
            if r < 0.7:
                return "[!%s]*" % rnd.choice("abc0123")
            if r < 0.85:
                k = rnd.randrange(2, 60)
                return "{" + ",".join(rnd.choice(segs) + rnd.choice(["", "*", "?"])
                                      for _ in range(k)) + "}"
            return rnd.choice(["[", "]", "{", "}", "{,}", "[]", "[-]", "[z-a]", "{a,{b,c}}",
                               "\\*", "?" * rnd.randrange(1, 40), "*?*?*"])
        made = 0
        while made < n:
            depth = rnd.randrange(1, 14)
            path = "/" + "/".join(piece() for _ in range(depth))
            if "//" in path:
                continue                  # slash runs: test_pattern_cost_is_bounded
            r = rnd.random()
            if r < 0.02:
                args = ()                 # a pattern query: answered per match
            elif r < 0.1:
                args = (1, 2)             # wrong arity
            else:
                args = (rnd.choice(WRONG_ARGS),)
            self.add("deep/complex pattern", osc_message(path, *args))
            made += 1
        # the pattern limits themselves
        for k in (9, 16, 64, 500):
            self.add("deep/complex pattern", osc_message("/strip" + "/*" * k, "x"))
            self.add("deep/complex pattern", osc_message("/strip/" + "*" * k + "/fader", "x"))
        for k in (100, 300, 1000):
            self.add("deep/complex pattern", osc_message(
                "/strip/{" + ",".join("n%d" % i for i in range(k)) + "}/fader", "x"))

    def bundles(self, n):
        rnd = self.rnd
        bad = [d for c, d in self.native if c in ("wrong type/value", "wrong arity")]
        made = 0
        while made < n:
            r = rnd.random()
            if r < 0.3:
                depth = rnd.randrange(2, 120)
                dg = rnd.choice(bad)
                for _ in range(depth):
                    dg = osc_bundle([dg], rnd.choice([1, 0, ntp_now()]))
                self.add("nested bundles", dg)
            elif r < 0.55:
                elems = [rnd.choice(bad) for _ in range(rnd.randrange(1, 40))]
                self.add("bundle of bad messages", osc_bundle(elems))
            elif r < 0.8:
                body = osc_bundle([rnd.choice(bad)])
                sizes = [0, 1, 3, 5, 0x7FFFFFFF, 0xFFFFFFFC, 0xFFFFFFFF, len(body) + 4,
                         len(body) * 1000]
                dg = b"#bundle\0" + struct.pack(">Q", 1) + struct.pack(">I", rnd.choice(sizes)) \
                    + body
                self.add("bad bundle framing", dg)
            else:
                hdr = rnd.choice([b"#bundle\0", b"#bundle", b"#bundl\0\0", b"#BUNDLE\0",
                                  b"#bundle\0\0\0\0"])
                dg = hdr + bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 40)))
                if could_change(dg):
                    continue
                self.add("bad bundle framing", dg)
            made += 1

    def future(self, n):
        """Bundles with future (and odd) timetags holding sets of the value
        each parameter already has, and bad messages: nothing may change
        when (if ever) they run."""
        rnd = self.rnd
        now = time.time()
        paths = list(self.params)
        made = 0
        while made < n:
            tt = rnd.choice([
                jmtest.ntp_timetag(now + rnd.uniform(0.2, 30.0)),       # soon
                jmtest.ntp_timetag(now + rnd.uniform(3600, 86400 * 365)),  # far
                0xFFFFFFF000000000,                                     # 2036
                0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF00000000, 0, 2,
                jmtest.ntp_timetag(now - rnd.uniform(1, 1e6)),          # past
            ])
            elems = []
            for _ in range(rnd.randrange(1, 6)):
                p = rnd.choice(paths)
                v = self.params[p]
                if p in self.bools:
                    elems.append(osc_message(p, int(v)))
                else:
                    elems.append(osc_message(p, ("f", v)))
                if rnd.random() < 0.3:
                    elems.append(osc_message(p, "x"))
            self.add("future timetag (sets to the current value)", osc_bundle(elems, tt))
            made += 1

    def random_bytes(self, n):
        rnd = self.rnd
        made = 0
        while made < n:
            size = rnd.choice([rnd.randrange(0, 16), rnd.randrange(16, 256),
                               rnd.randrange(256, 1500), rnd.randrange(1500, 9000)])
            dg = rnd.randbytes(size) if hasattr(rnd, "randbytes") else \
                bytes(rnd.randrange(256) for _ in range(size))
            if dg[:1] == b"/" or dg[:1] == b"#":
                dg = b"\xfe" + dg[1:]
            self.add("random bytes", dg)
            made += 1

    def truncated(self, n):
        """Sets of the current value, and bundles of them, cut short."""
        rnd = self.rnd
        paths = list(self.params)
        made = 0
        while made < n:
            p = rnd.choice(paths)
            v = self.params[p]
            m = osc_message(p, int(v)) if p in self.bools else osc_message(p, ("f", v))
            if rnd.random() < 0.3:
                m = osc_bundle([m, osc_message(p, ("d", v))])
            # a cut right after the address leaves a query: harmless
            self.add("truncated valid message", m[:rnd.randrange(1, len(m))])
            made += 1

    def mutated(self, n):
        rnd = self.rnd
        pool = [d for c, d in self.native if c not in ("future timetag (sets to the current value)",)]
        made = 0
        while made < n:
            dg = bytearray(rnd.choice(pool))
            for _ in range(rnd.randrange(1, 9)):
                if not dg:
                    break
                op = rnd.randrange(6)
                i = rnd.randrange(len(dg))
                if op == 0:
                    dg[i] ^= 1 << rnd.randrange(8)
                elif op == 1:
                    dg[i] = rnd.randrange(256)
                elif op == 2:
                    del dg[i:i + rnd.randrange(1, 9)]
                elif op == 3:
                    dg[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 9)))
                elif op == 4:
                    j = rnd.randrange(len(dg))
                    dg[i:i] = dg[j:j + rnd.randrange(1, 17)]
                else:
                    dg[i:i + 4] = rnd.choice([b"\0\0\0\0", b"\xff\xff\xff\xff", b"\x7f\xc0\0\0",
                                              b",f\0\0", b",s\0\0", b"#bun", b"/*/*"])
            dg = bytes(dg)
            if could_change(dg):
                self.dropped_unsafe += 1
                continue
            self.add("mutated", dg)
            made += 1

    def x32_port(self, n):
        rnd = self.rnd
        base = []
        for ch in range(1, 5):
            for what in ("fader", "pan", "on"):
                p = "/ch/%02d/mix/%s" % (ch, what)
                for a in WRONG_ARGS:
                    base.append(osc_message(p, a))
                base.append(osc_message(p, 1, 2))
                base.append(osc_message(p, "x", 0.5))
        for p in ("/main/st/mix/fader", "/ch/33/mix/fader", "/ch/00/mix/fader", "/ch/1/mix/fader",
                  "/ch/01/config/name", "/info", "/status"):
            for a in WRONG_ARGS[:6]:
                base.append(osc_message(p, a))
        for dg in base:
            self.add("X32 port: wrong type/value", dg, x32=True)
        made = 0
        while made < n:
            dg = bytearray(rnd.choice(base))
            for _ in range(rnd.randrange(1, 6)):
                i = rnd.randrange(len(dg))
                dg[i] = rnd.randrange(256)
            dg = bytes(dg)
            if could_change(dg):
                continue
            self.add("X32 port: mutated", dg, x32=True)
            made += 1


def ntp_now():
    return jmtest.ntp_timetag(time.time())


def _send_paced(sock, addr, datagrams, sync, progress):
    """Send in chunks the socket buffer holds, each followed by an /info round
    trip on `sync` (the daemon has parsed everything before it answers)."""
    chunk_bytes = chunk_n = 0
    for dg in datagrams:
        sock.sendto(dg, addr)
        progress[0] += 1
        chunk_bytes += len(dg) + 600      # ~ the kernel's per-datagram overhead
        chunk_n += 1
        if chunk_bytes > 400_000 or chunk_n >= 800:
            sync()
            chunk_bytes = chunk_n = 0
    sync()


@pytest.mark.timeout(900 if SOAK else 180)
def test_bad_datagrams_change_nothing(rob):
    rnd = random.Random(20251126)
    with rob.d.client() as c:
        n_params = len(jmtest.run_jmixd("--list-params", rob.d.session_path).stdout.splitlines())
        units = {}
        before = params_of(c, n_params, units)
        lanes_before = replies_of(c, "/automation/list", "/automation/lane")
        snaps_before = replies_of(c, "/snapshot/list", "/snapshot")
        files_before = sorted(os.listdir(rob.d.dir))
        stats_before = stats_of(c)
        level_before = level_db(rob, "jmrob:a")
        bools = {p for p, u in units.items() if u == "bool"}

    # the corpus
    t0 = time.monotonic()
    cp = Corpus(before, bools, rnd)
    cp.wrong_types()
    cp.huge()
    fixed = len(cp.native)
    share = max(0, N_DATAGRAMS - fixed - 5000)
    cp.patterns(int(share * 0.06))
    cp.bundles(int(share * 0.10))
    cp.future(int(share * 0.08))
    cp.truncated(int(share * 0.16))
    cp.random_bytes(int(share * 0.25))
    cp.mutated(int(share * 0.30))
    cp.x32_port(max(5000, N_DATAGRAMS - len(cp.native)))
    rnd.shuffle(cp.native)
    total = len(cp.native) + len(cp.x32)
    gen_s = time.monotonic() - t0
    assert total >= N_DATAGRAMS, "only %d datagrams generated" % total
    by_cat = {}
    for cat, _ in cp.native + cp.x32:
        by_cat[cat] = by_cat.get(cat, 0) + 1

    drops0 = (udp_drops(rob.d.osc_port), udp_drops(rob.d.x32_port))
    bad = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bad.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    bad.bind(("127.0.0.1", 0))
    bad.setblocking(False)
    errors = [0]

    def drain_bad():
        while True:
            try:
                data = bad.recv(65536)
            except BlockingIOError:
                return
            if data.startswith(b"/error\0"):
                errors[0] += 1

    progress = [0]
    sent_at = {}

    with rob.d.client() as syncc:
        def sync():
            syncc.query("/info", timeout=30.0)
            drain_bad()

        def flood_bad():
            t = time.monotonic()
            for _ in range(PASSES):
                _send_paced(bad, ("127.0.0.1", rob.d.osc_port), (d for _, d in cp.native), sync,
                            progress)
                _send_paced(bad, ("127.0.0.1", rob.d.x32_port), (d for _, d in cp.x32), sync,
                            progress)
            sent_at["seconds"] = time.monotonic() - t

        # while audio plays through strip a
        cap = Probe.run(rob.js, play=[("jmrob:a", "sine:1000:-12")],
                        capture=["probe_play:out_1", "jmrob:master_L"], seconds=CAPTURE_S,
                        during=flood_bad, timeout=600)
    bad.close()
    send_s = sent_at["seconds"]
    drops1 = (udp_drops(rob.d.osc_port), udp_drops(rob.d.x32_port))

    assert rob.d.alive(), "jmixd died from bad datagrams (exit %r)" % rob.d.proc.returncode
    with rob.d.client() as c:
        info = c.query("/info", timeout=5.0)
        assert len(info) == 5 and info[1:3] == [48000, 64], info
        after = params_of(c, n_params)
        changed = {p: (before[p], after.get(p)) for p in before if after.get(p) != before[p]}
        lanes_after = replies_of(c, "/automation/list", "/automation/lane")
        snaps_after = replies_of(c, "/snapshot/list", "/snapshot")
        rec = c.query("/record/status")
        stats_after = stats_of(c)
    level_after = level_db(rob, "jmrob:a")
    # 0.5 s windows while the datagrams were arriving (sending starts as the
    # capture does)
    end = min(send_s, CAPTURE_S) - 0.1
    during = [cap.rms_db(1, t, t + 0.5) - cap.rms_db(0, t, t + 0.5)
              for t in [0.1 + 0.5 * k for k in range(int((end - 0.1) / 0.5))]] or \
        [cap.rms_db(1, 0.05, end) - cap.rms_db(0, 0.05, end)]

    delta = {k: stats_after[k] - stats_before[k] for k in stats_after}
    jmtest.note("%d datagrams sent: %d distinct (%d to the native port, %d to the X32 port) "
                "x %d passes, in %.1f s (%.0f/s, paced so that the socket never overflows; "
                "generated in %.1f s)" % (progress[0], total, len(cp.native), len(cp.x32), PASSES,
                                          send_s, progress[0] / send_s, gen_s))
    for cat in sorted(by_cat):
        jmtest.note("  %-46s %7d" % (cat, by_cat[cat]))
    jmtest.note("mutations dropped by the classifier as possibly valid: %d" % cp.dropped_unsafe)
    jmtest.note("daemon counted: malformed +%d, rejected +%d (/error replies seen: %d), "
                "requests dropped +%d; kernel drops on the sockets: %s -> %s" % (
                    delta["malformed"], delta["rejected"], errors[0], delta["requests_dropped"],
                    drops0, drops1))
    jmtest.note("level before %.4f dB, during %.4f..%.4f (%d windows of 0.5 s), after %.4f dB; "
                "capture xruns %d" % (level_before, min(during), max(during), len(during),
                                      level_after, cap.meta["xruns"]))
    jmtest.note("parameters compared: %d, changed: %d" % (len(before), len(changed)))

    assert not changed, "bad datagrams changed %d parameters: %r" % (
        len(changed), dict(list(changed.items())[:10]))
    assert lanes_after == lanes_before, "lanes changed: %r -> %r" % (lanes_before, lanes_after)
    assert snaps_after == snaps_before, "snapshots changed: %r -> %r" % (snaps_before, snaps_after)
    assert rec[0] == 0, "a recording was started: %r" % (rec,)
    assert sorted(os.listdir(rob.d.dir)) == files_before, \
        "files appeared in the daemon's folder: %r" % (set(os.listdir(rob.d.dir)) - set(files_before))
    assert abs(level_after - level_before) <= LEVEL_TOL_DB, \
        "level %.4f dB after, %.4f dB before" % (level_after, level_before)
    for x in during:
        assert abs(x - level_before) <= LEVEL_TOL_DB, \
            "level while bad datagrams arrive %.4f dB, %.4f dB before" % (x, level_before)
    if None not in drops0 and None not in drops1:
        assert drops1 == drops0, "the kernel dropped datagrams: the count would be a lie"
    # every datagram leaves a trace: counted malformed or rejected with an
    # /error, except the valid ones among them (queries, sets of the current
    # value, /params with a prefix) and the X32 port's silently ignored types
    invalid = PASSES * sum(n for cat, n in by_cat.items()
                           if cat in ("random bytes", "wrong type/value", "wrong arity",
                                      "no such parameter", "bad command arguments"))
    assert delta["malformed"] + delta["rejected"] >= invalid, \
        "only %d malformed + %d rejected counted for %d certainly invalid datagrams" % (
            delta["malformed"], delta["rejected"], invalid)
    assert delta["requests_dropped"] == 0, "requests dropped although sending was paced"




# --------------------------------------------------------------------------
# pattern cost

@pytest.mark.timeout(90)
def test_pattern_cost_is_bounded(rob):
    """Each adversarial pattern (with an argument that cannot apply, or
    matching nothing) must be handled before an /info sent right after it
    is answered within 0.5 s. Slash runs come last: liblo's lo_pattern_match
    treats "//" as "any number of levels" and backtracks over every run."""
    families = [
        ("8 stars (the limit)", ["/strip" + "/*" * 8, "/*/*/*/*/*/*/*/*", "/" + "*" * 8 + "x"]),
        ("'?' runs", ["/" + "?" * 250, "/strip/" + "?" * 240, "/strip/?/" + "?/" * 100]),
        ("ranges", ["/strip/" + "[0-9]" * 50, "/[a-z]" * 40, "/strip/[" + "a-z" * 80 + "]"]),
        ("alternations", ["/strip/{" + ",".join("s%d*" % i for i in range(60)) + "}/fader",
                          "/{" + ",".join("x" * 3 for _ in range(60)) + "}",
                          "/strip/{a,b,keys}/{fader,pan,mute}/{a,b}/{c,d}/{e,f}"]),
        ("mixed", ["/*?[a-z]{a,b}" * 8, "/strip/*/eq/*/g?in/" + "*?" * 3]),
        ("slash runs", ["/st" + "/" * k + "rip/1/m*te" for k in (30, 60, 90, 120)]),
    ]
    x32 = jmtest.free_udp_port()
    dm = Daemon(_session("jmpat", x32), rob.js, name="jmpat").start()
    worst = {}
    failed = None
    try:
        with dm.client() as c:
            for fam, pats in families:
                for pat in pats:
                    for args in (("x",), (1.0,)):
                        c.send(pat, *args)
                        t = time.monotonic()
                        try:
                            c.query("/info", timeout=0.5)
                        except TimeoutError:
                            failed = (fam, pat, args)
                            break
                        took = time.monotonic() - t
                        worst[fam] = max(worst.get(fam, 0.0), took)
                    if failed:
                        break
                if failed:
                    break
            for fam, t in worst.items():
                jmtest.note("%-22s worst /info round trip %.1f ms" % (fam, t * 1000))
            if failed:
                fam, pat, args = failed
                t = time.monotonic()
                try:
                    c.query("/info", timeout=20.0)
                    held = "%.1f s" % (time.monotonic() - t + 0.5)
                except TimeoutError:
                    held = "more than 20 s"
                jmtest.note("%s: one %d-byte datagram %r %r held the OSC thread %s" % (
                    fam, len(osc_message(pat, *args)), pat, args, held))
                raise AssertionError(
                    "%s: one %d-byte datagram (%r %r) held the OSC thread for %s "
                    "(no /info answer within 0.5 s): a handful of these stop all OSC" % (
                        fam, len(osc_message(pat, *args)), pat[:60] + "...", args, held))
            assert dm.alive()
    finally:
        dm.kill9()      # a held OSC thread would make SIGTERM wait for it




# --------------------------------------------------------------------------
# a broken session file on SIGHUP

def test_sighup_with_broken_session_changes_nothing(rob):
    """SIGHUP re-reads the session file (docs/cli.md); a file broken meanwhile must
    be refused with a FILE:LINE error while the console runs on unchanged.
    The variants: syntax errors, unknown keys, out-of-range values, binary
    garbage, a missing @include, and an @include that names a
    folder (found by fuzz_session: libconfig's scanner exits the process)."""
    x32 = jmtest.free_udp_port()
    dm = Daemon(_session("jmhup", x32), rob.js, name="jmhup").start()
    good = open(dm.session_path).read()
    os.mkdir(os.path.join(dm.dir, "folder"))
    variants = [
        ("syntax error", good.replace("strips = (", "strips = ((", 1)),
        ("unknown key", good + "\nbogus = 1;\n"),
        ("out of range", good.replace('pan = -0.25;', 'pan = 7.0;')),
        ("unknown bus in send", good.replace('pan = -0.25;', 'send = { nope = { level = 0.0; }; };')),
        ("binary garbage", "".join(chr(c) for c in random.Random(3).choices(range(1, 256), k=3000))),
        ("missing @include", '@include "nothere.cfg"\n' + good),
        ("@include of a folder", '@include "folder"\n' + good),
        ("@include \"\"", '@include ""\n' + good),
    ]
    done = []
    try:
        with dm.client() as c:
            c.send("/strip/2/fader", -11.0)
            before = params_of(c)
            for what, text in variants:
                with open(dm.session_path, "w", errors="surrogateescape") as f:
                    f.write(text)
                n_err = dm.stderr_text().count("SIGHUP:")
                dm.signal(signal.SIGHUP)
                logged = jmtest.wait_until(
                    lambda: not dm.alive() or dm.stderr_text().count("SIGHUP:") > n_err, 3.0)
                assert dm.alive(), "SIGHUP with a session file with %s: jmixd exited (%r); " \
                    "log: %r" % (what, dm.proc.returncode, dm.stderr_text().splitlines()[-2:])
                assert logged, "SIGHUP with %s: nothing logged" % what
                line = [l for l in dm.stderr_text().splitlines() if "SIGHUP:" in l][-1]
                assert re.search(r":\d+: ", line), "SIGHUP with %s: no FILE:LINE in %r" % (
                    what, line)
                after = params_of(c)
                assert after == before, "SIGHUP with %s changed parameters" % what
                c.query("/info")
                done.append(what)
    finally:
        jmtest.note("%d broken session files on SIGHUP refused, console unchanged: %s" % (
            len(done), ", ".join(done)))
        dm.kill9()


# --------------------------------------------------------------------------
# flood

def _flood_file(path):
    """Valid sets of /strip/2/pan (strip b plays nothing) and queries."""
    with open(path, "wb") as f:
        for i in range(64):
            for m in (osc_message("/strip/2/pan", 0.5 if i % 2 else -0.5),
                      osc_message("/strip/b/pan", ("d", 0.25 if i % 2 else -0.75)),
                      osc_message("/strip/2/pan")):
                f.write(struct.pack(">I", len(m)) + m)


def _flood(port, seconds, infile, pid=None, rss=None):
    """Run jm_flood; sample the daemon's RSS every 0.25 s while it runs."""
    p = subprocess.Popen([FLOOD, "--port", str(port), "--seconds", "%g" % seconds, "--in", infile],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while p.poll() is None:
        if pid is not None:
            rss.append((time.monotonic() - t0, rss_kb(pid)))
        time.sleep(0.25)
    out, err = p.communicate()
    if p.returncode != 0:
        raise AssertionError("jm_flood failed: %s" % err)
    return json.loads(out)


@pytest.mark.timeout(400 if SOAK else 120)
def test_flood_no_xruns_level_memory_counters(rob):
    if not os.path.exists(FLOOD):
        _build_flooder()
    x32 = jmtest.free_udp_port()
    dm = Daemon(_session("jmflood", x32), rob.js, name="jmflood").start()
    d = jmtest.mkdtemp("jmtflood")
    infile = os.path.join(d, "flood.bin")
    _flood_file(infile)
    pre, post = 1.0, 1.0
    seconds = pre + FLOOD_SECONDS + post
    probe = dict(play=[("jmflood:a", "sine:1000:-12")],
                 capture=["probe_play:out_1", "jmflood:master_L"], seconds=seconds,
                 timeout=seconds + 60)
    try:
        with dm.client() as c:
            ref = Probe.run(rob.js, play=probe["play"], capture=probe["capture"], seconds=0.5)
            ref.assert_clean()
            level_ref = ref.rms_db(1, 0.1, 0.5) - ref.rms_db(0, 0.1, 0.5)

            # the control run: the same sender, the same rate, to a socket
            # that nobody reads (the daemon sees nothing)
            sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sink.bind(("127.0.0.1", 0))
            s0 = stats_of(c)

            def control():
                time.sleep(pre)
                return _flood(sink.getsockname()[1], FLOOD_SECONDS, infile)
            cap0 = Probe.run(rob.js, during=control, **probe)
            sink.close()
            s1 = stats_of(c)

            # the flood
            rss = []
            rss_before = rss_kb(dm.pid)
            drops0 = udp_drops(dm.osc_port)

            def flood():
                time.sleep(pre)
                return _flood(dm.osc_port, FLOOD_SECONDS, infile, dm.pid, rss)
            cap1 = Probe.run(rob.js, during=flood, **probe)
            t_end = time.monotonic()
            info = c.query("/info", timeout=5.0)
            answered = time.monotonic() - t_end
            drops1 = udp_drops(dm.osc_port)
            s2 = stats_of(c)
            rss_after = rss_kb(dm.pid)

            # afterwards the flooded parameter is what the daemon says, audibly
            time.sleep(0.3)
            pan = c.query_value("/strip/2/pan")
            chk = Probe.run(rob.js, play=[("jmflood:b", "sine:1000:-12")],
                            capture=["jmflood:master_L", "jmflood:master_R"], seconds=0.4)
            chk.assert_clean()
            p = (pan + 1.0) / 2.0
            want = 20 * math.log10(max(math.tan(p * math.pi / 2), 1e-9))
            got = chk.rms_db(1, 0.1, 0.4) - chk.rms_db(0, 0.1, 0.4)
        ok_exit = dm.stop()
    finally:
        dm.kill9()

    fl, ctl = cap1.during_result, cap0.during_result
    x_flood, x_ctl = cap1.meta["xruns"], cap0.meta["xruns"]
    d_flood = {k: s2[k] - s1[k] for k in s2}
    d_ctl = {k: s1[k] - s0[k] for k in s1}
    kernel_drops = (drops1 - drops0) if None not in (drops0, drops1) else None
    received = fl["sent"] - kernel_drops if kernel_drops is not None else None

    def win(cap, a, b):
        return cap.rms_db(1, a, b) - cap.rms_db(0, a, b)
    windows = [("before", 0.2, pre)] + \
        [("during %d s" % k, pre + k, pre + k + 1.0) for k in range(int(FLOOD_SECONDS))] + \
        [("after", pre + FLOOD_SECONDS + 0.2, seconds)]
    levels = [(name, win(cap1, a, b)) for name, a, b in windows]
    worst = max(abs(v - level_ref) for _, v in levels)
    half = [kb for t, kb in rss if t >= FLOOD_SECONDS / 2]
    growth_mb = (max(kb for _, kb in rss) - rss_before) / 1024.0 if rss else 0.0
    half_spread_mb = (max(half) - min(half)) / 1024.0 if half else 0.0

    jmtest.note("JACK server: %s, 48000 Hz, period 64, synchronous" % (
        "realtime (jackd -R)" if rob.rt else "NOT realtime (--no-realtime: xruns not asserted)"))
    jmtest.note("flood: %d datagrams in %.1f s = %.0f msgs/s from one sender (jm_flood, "
                "sendmmsg); control run to a dead socket: %.0f msgs/s" % (
                    fl["sent"], fl["seconds"], fl["rate"], ctl["rate"]))
    jmtest.note("received by the daemon: %s (kernel dropped %s: socket buffer full); "
                "requests dropped (control queue full) %d, engine commands dropped %d" % (
                    received, kernel_drops, d_flood["requests_dropped"],
                    d_flood["commands_dropped"]))
    jmtest.note("xruns: %d with the flood, %d in the control run (probe); daemon /stats "
                "xruns +%d / +%d" % (x_flood, x_ctl, d_flood["xruns"], d_ctl["xruns"]))
    jmtest.note("level vs reference %.4f dB: worst deviation %.4f dB over %d windows (%s)" % (
        level_ref, worst, len(levels), ", ".join("%s %.4f" % (n, v) for n, v in
                                                 levels[:2] + levels[-1:])))
    jmtest.note("RSS %.1f MB before, max %.1f MB during (+%.2f MB), spread in the second "
                "half %.2f MB, %.1f MB after; %d samples" % (
                    rss_before / 1024.0, max(kb for _, kb in rss) / 1024.0 if rss else 0,
                    growth_mb, half_spread_mb, rss_after / 1024.0, len(rss)))
    jmtest.note("/info answered %.0f ms after the flood; /strip/2/pan %.3f, heard as %.2f dB "
                "R-L (expected %.2f)" % (answered * 1000, pan, got, want))

    assert len(info) == 5
    assert ok_exit == 0, "SIGTERM after the flood: exit %r" % ok_exit
    for name, v in levels:
        assert abs(v - level_ref) <= LEVEL_TOL_DB, \
            "level %s the flood: %.4f dB, reference %.4f dB" % (name, v, level_ref)
    # The dummy driver's own timer misses a few cycles on a VM whatever runs
    # (0..40 per 10 s measured here, idle or busy); a flood that reached the
    # audio thread (a lock, a syscall, unbounded work per cycle) costs
    # hundreds. The margin is that run-to-run noise.
    jmtest.assert_unharmed(cap0, cap1, "the flood", rob.rt, XRUN_NOISE)
    assert growth_mb < 20.0, "RSS grew by %.1f MB during the flood" % growth_mb
    assert half_spread_mb < 4.0, "RSS still moving in the second half: %.2f MB" % half_spread_mb
    assert d_flood["malformed"] == 0 and d_flood["rejected"] == 0 and d_flood["denied"] == 0, \
        "valid datagrams counted as bad: %r" % d_flood
    if received is not None:
        assert 0 <= d_flood["requests_dropped"] <= received, d_flood
    assert abs(got - want) < 0.1, \
        "after the flood /strip/2/pan reads %.3f but sounds like %.2f dB R-L (expected %.2f): " \
        "the engine did not get the last value" % (pan, got, want)


