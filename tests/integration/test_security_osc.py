"""Issue 14, "safe on a studio network": each attack of the OSC side is
performed here and must fail.

  - one datagram must not start a reply loop: /subscribe naming the
    console's own port, a source spoofed to the console's own port, or two
    consoles made to talk to each other (replies, /error and meters are
    never answered);
  - /error is rate-limited per peer (/stats errors_suppressed);
  - SIGTERM ends the console promptly while datagrams keep arriving;
  - address patterns cost bounded work: /info is answered within 10 ms of
    the pattern datagrams that used to hold the OSC thread for seconds to
    hours, and a datagram over its work budget gets one /error "too much
    work";
  - under a session manager only the manager is listened to, on loopback.

Spoofed sources need a raw socket (root); those tests are skipped without."""
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

import jmtest
from jmtest import Daemon, JackServer, OscClient, osc_bundle, osc_message

N_STRIPS = 64


def _session(name, x32_port=None, strips=2, client_port=None):
    st = ",\n".join('  { name = "s%d"; input = [ ]; }' % (i + 1) for i in range(strips))
    clients = ('clients = ( { host = "127.0.0.1"; port = %d; } );' % client_port
               if client_port else "")
    return """
jack = { name = "%s"; };
osc = { meter_rate = 50.0; %s };
strips = (
%s
);
buses = ( { name = "verb"; type = "reverb"; } );
master = { output = [ ]; };
%s
""" % (name, clients, st, "x32 = { port = %d; };" % x32_port if x32_port else "")


STATS_KEYS = ("denied", "malformed", "rejected", "requests_dropped", "commands_dropped", "xruns",
              "send_errors", "loudness_dropped", "errors_suppressed", "rta_blocks",
              "midi_in_dropped", "midi_out_dropped")


def stats(c):
    args = c.query("/stats", timeout=5.0)
    assert len(args) == 16, "/stats must have 16 counters, got %r" % (args,)
    return dict(zip(STATS_KEYS, args))


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


@pytest.fixture(scope="module")
def js():
    j = JackServer().start()
    yield j
    j.stop()


def _ip_checksum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def spoof(src_port, dst_port, payload, src_ip="127.0.0.1", dst_ip="127.0.0.1"):
    """One UDP datagram with a forged source (raw socket; root only)."""
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    except PermissionError:
        pytest.skip("spoofing a source address needs a raw socket (root)")
    udp = struct.pack("!HHHH", src_port, dst_port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", _ip_checksum(ip)) + ip[12:]
    s.sendto(ip + udp, (dst_ip, 0))
    s.close()


# --------------------------------------------------------------------------
# item 3: no loops

def test_self_subscription_is_refused(js):
    """/subscribe i:OWN_PORT (and the X32 port): before, every meter bounced
    back as /error forever (640,000 packets in 3 s) and SIGTERM never ended."""
    x32 = jmtest.free_udp_port()
    d = Daemon(_session("jmsec1", x32), js, name="jmsec1").start()
    try:
        with d.client() as c:
            s0 = stats(c)
            c.send("/subscribe", d.osc_port)
            c.send("/subscribe", x32)
            c.send("/subscribe", d.osc_port, "norm")
            time.sleep(2.0)
            s1 = stats(c)
            dd = delta(s0, s1)
            jmtest.note("2 s after three self-subscriptions: %r" % (dd,))
            # the three /subscribe are refused (rejected); nothing else arrives
            assert dd["rejected"] <= 3 + 2, "the console talks to itself: %r" % (dd,)
            assert dd["malformed"] == 0 and dd["errors_suppressed"] == 0, dd
        t = time.monotonic()
        rc = d.stop(5.0)
        took = time.monotonic() - t
        jmtest.note("SIGTERM took %.0f ms" % (took * 1000))
        assert rc == 0 and took < 2.0, "SIGTERM: exit %r after %.1f s" % (rc, took)
    finally:
        d.kill9()


def test_spoofed_own_source_is_not_answered(js):
    """A datagram whose source is forged to the console's own OSC port:
    its /error or /info reply would come back in as a request."""
    d = Daemon(_session("jmsec2"), js, name="jmsec2").start()
    try:
        with d.client() as c:
            s0 = stats(c)
            for payload in (osc_message("/nope"), osc_message("/info"),
                            osc_message("/strip/1/fader"), osc_message("/subscribe")):
                spoof(d.osc_port, d.osc_port, payload)
            time.sleep(1.5)
            s1 = stats(c)
            dd = delta(s0, s1)
            jmtest.note("1.5 s after 4 datagrams spoofed from the console's own port: %r" % (dd,))
            assert dd["rejected"] <= 4 and dd["malformed"] == 0, dd
            assert d.alive()
    finally:
        d.kill9()


def test_two_consoles_do_not_ping_pong(js):
    """Console A made to send to console B: B must answer none of it. Before,
    one spoofed /error started 22,000 packets/s between the two."""
    # A streams meters to B: B's OSC port is a permanent client in A's
    # session (a /subscribe naming B's port would wait for B to confirm,
    # which it never does: docs/osc.md)
    b = Daemon(_session("jmsecB"), js, name="jmsecB").start()
    a = Daemon(_session("jmsecA", client_port=b.osc_port), js, name="jmsecA").start()
    try:
        with a.client() as ca, b.client() as cb:
            sa0, sb0 = stats(ca), stats(cb)
            # ... and, forged from B, datagrams whose replies go to B
            raw = True
            try:
                for p in (osc_message("/nope"), osc_message("/error", "/x", "y"),
                          osc_message("/info"), osc_message("/stats")):
                    spoof(b.osc_port, a.osc_port, p)
            except pytest.skip.Exception:
                raw = False
            time.sleep(2.0)
            sa1, sb1 = stats(ca), stats(cb)
        da, db = delta(sa0, sa1), delta(sb0, sb1)
        jmtest.note("2 s of A -> B (meters%s): A %r; B %r" % (
            " and 4 spoofed requests" if raw else "", da, db))
        # B received A's meters and replies and dropped them silently ...
        assert db["rejected"] > 50, "B saw no meters from A: %r" % (db,)
        assert db["errors_suppressed"] == 0, db
        # ... so nothing came back to A
        assert da["rejected"] <= 6 and da["malformed"] == 0, \
            "B answered A: A counted %r" % (da,)
    finally:
        # a clean stop: two clients killed at once leave the shared jackd
        # reaping them for ~9 s, and the next test's daemon start waits on it
        a.stop()
        b.stop()


def test_replies_are_never_answered(js):
    """Everything the console sends, sent to it: dropped silently, counted."""
    x32 = jmtest.free_udp_port()
    d = Daemon(_session("jmsec3", x32), js, name="jmsec3").start()
    replies = [("/error", "/x", "unknown address"), ("/meter/strip/1", -20.0, -20.0, 0.0),
               ("/meter/master", -1.0, -1.0, -1.0, -1.0), ("/meter/loudness", -23.0),
               ("/info", "0.1", 48000, 64, 2, 1), ("/strips", "s1", "s2"),
               ("/stats",) + (0,) * 9, ("/param", "/strip/1/fader", "dB", -90.0, 10.0, 0.0, 0.0),
               ("/snapshot", "verse"), ("/automation/lane", "/strip/1/fader", "off", 0),
               ("/record/status", 0, "", 0.0, 0), ("/reply", "/nsm/client/open", "opened")]
    try:
        with d.client() as c:
            s0 = stats(c)
            c.drain(0)
            for m in replies:
                c.send(*m)
            got = c.collect(0.5)
            s1 = stats(c)
            dd = delta(s0, s1)
            jmtest.note("%d replies sent to the console: %d answers; counted %r" % (
                len(replies), len(got), dd))
            assert got == [], "answered a reply: %r" % (got[:5],)
            assert dd["rejected"] == len(replies), dd
        with OscClient(x32) as cx:
            for m in (("/info", "V2.07", "jmixd", "X32", "4.06"), ("/status", "active", "x", "y"),
                      ("/ch/01/config/name", "kick")):
                cx.send(*m)
            got = cx.collect(0.5)
            assert got == [], "the X32 port answered an X32 reply: %r" % (got,)
            cx.send("/info")
            assert cx.wait_for("/info", 2.0), "the X32 port no longer answers /info"
    finally:
        d.kill9()


def test_error_rate_limited_per_peer(js):
    """500 bad datagrams from one peer: at most ~50 /error a second."""
    d = Daemon(_session("jmsec4"), js, name="jmsec4").start()
    try:
        with d.client() as c, d.client() as bad:
            s0 = stats(c)
            t = time.monotonic()
            for i in range(500):
                bad.send("/nope/%d" % i)
            got = bad.collect(1.0)
            took = time.monotonic() - t
            errors = sum(1 for p, _ in got if p == "/error")
            s1 = stats(c)
            dd = delta(s0, s1)
            jmtest.note("500 bad datagrams in %.2f s: %d /error back; rejected +%d, "
                        "errors_suppressed +%d" % (took, errors, dd["rejected"],
                                                   dd["errors_suppressed"]))
            assert errors <= 50 + 50 * took + 5, "%d /error in %.2f s" % (errors, took)
            assert errors >= 50, "the first 50 are answered"
            assert dd["rejected"] == 500
            assert dd["errors_suppressed"] == 500 - errors
            # another peer is not affected
            c.drain(0)
            c.send("/nope")
            assert c.wait_for("/error", 1.0), "another peer got no /error"
    finally:
        d.kill9()


def test_sigterm_while_flooded(js):
    """The stop flag ends the OSC thread's loops although datagrams never
    stop arriving (a self-subscription tried too)."""
    d = Daemon(_session("jmsec5"), js, name="jmsec5").start()
    stop = threading.Event()
    sent = [0]

    def flood():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        msgs = [osc_message("/nope"), osc_message("/strip/1/fader", -3.0),
                osc_message("/*/*/fader", 1.0), osc_message("/info")]
        while not stop.is_set():
            for m in msgs:
                try:
                    s.sendto(m, ("127.0.0.1", d.osc_port))
                    sent[0] += 1
                except OSError:
                    pass
        s.close()

    th = threading.Thread(target=flood)
    try:
        with d.client() as c:
            c.send("/subscribe", d.osc_port)
        th.start()
        time.sleep(1.0)
        t = time.monotonic()
        rc = d.stop(10.0)
        took = time.monotonic() - t
        stop.set()
        th.join()
        jmtest.note("SIGTERM under a flood (%d datagrams sent): exit %r after %.0f ms" % (
            sent[0], rc, took * 1000))
        assert rc == 0 and took < 2.0, "exit %r after %.1f s" % (rc, took)
    finally:
        stop.set()
        if th.is_alive():
            th.join()
        d.kill9()


# --------------------------------------------------------------------------
# item 4: pattern cost

STAR_Q = "/*?*?*?*?*?*?*?*Z"


def _big_pattern_datagram():
    """~64 KB: a bundle of costly patterns, each within the old limits
    (8 stars, 256 characters), shaped like parameter addresses."""
    pats = ["/strip/*?*?*?*?/*?*?*?*?", "/*?[a-z]*/*?*?*?/*?*?*?Z",
            "/{" + ",".join("s%d*" % i for i in range(40)) + "}/*?*?*?Z/*?*?*?",
            "/strip/*[0-9]*[!a]*/*?*?*?*?[a-z]"]
    elems, size, k = [], 16, 0
    while True:
        m = osc_message(pats[k % len(pats)], 1.0)
        if size + 4 + len(m) > 65000:
            break
        elems.append(m)
        size += 4 + len(m)
        k += 1
    return osc_bundle(elems)


def test_patterns_answered_within_10ms(js):
    """On a 64-strip console: the 24-byte pattern (3.1 s before), a bundle
    of 100 copies (15 s) and a 64 KB datagram of patterns (hours), each
    followed by /info: answered within 10 ms."""
    d = Daemon(_session("jmsec6", strips=N_STRIPS), js, name="jmsec6", timeout=20.0).start()
    one = osc_message(STAR_Q, 1.0)
    hundred = osc_bundle([one] * 100)
    big = _big_pattern_datagram()
    cases = [("1 pattern, %d bytes" % len(one), one),
             ("bundle of 100, %d bytes" % len(hundred), hundred),
             ("64 KB of patterns, %d bytes" % len(big), big)]
    try:
        with d.client() as c:
            n_params = len(jmtest.run_jmixd("--list-params", d.session_path).stdout.splitlines())
            s0 = stats(c)
            worst = {}
            too_much = {}
            for name, dg in cases:
                times = []
                for _ in range(5):
                    c.drain(0)
                    with d.client() as bad: # a fresh peer: its /error allowance is whole
                        bad.send_raw(dg)
                        t = time.monotonic()
                        c.send("/info")
                        assert c.wait_for("/info", 5.0), "no /info after %s" % name
                        times.append(time.monotonic() - t)
                        too_much[name] = too_much.get(name, 0) + sum(
                            1 for p, a in bad.collect(0.1) if p == "/error" and a[1] == "too much work")
                # the best of five: this machine's scheduler, not the console, makes the rest
                worst[name] = (min(times), max(times))
            s1 = stats(c)
            # a plain pattern still works on every strip
            c.send("/strip/*/mute", 1)
            c.query("/info")
            assert c.query_value("/strip/64/mute") == 1 and c.query_value("/strip/1/mute") == 1
            c.send("/strip/*/mute", 0)
        for name, (lo, hi) in worst.items():
            jmtest.note("%-32s /info round trip best %.2f ms, worst %.2f ms; "
                        "'too much work' %d of 5" % (name, lo * 1000, hi * 1000, too_much[name]))
        jmtest.note("%d parameters; /stats delta %r" % (n_params, delta(s0, s1)))
        for name, (lo, _) in worst.items():
            assert lo < 0.010, "/info after %s took %.1f ms" % (name, lo * 1000)
        # the 64 KB datagram runs out of budget every time: one /error each
        assert too_much[cases[2][0]] == 5, too_much
    finally:
        d.kill9()


# --------------------------------------------------------------------------
# item 9: NSM

def _udp_sockets_of(pid):
    """(ip, port) of every UDP socket the process holds."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    out = []
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            p = line.split()
            if p[9] in inodes:
                ip, port = p[1].split(":")
                out.append((socket.inet_ntoa(struct.pack("<I", int(ip, 16))), int(port, 16)))
    return out


def test_nsm_listens_only_to_the_manager(js):
    """While waiting for /nsm/client/open, and afterwards, a message from
    anyone but the manager (NSM_URL's host and port) is ignored; the NSM
    socket listens on loopback, not on every address."""
    tmp = jmtest.mkdtemp("jmsecnsm")
    template = os.path.join(tmp, "template.cfg")
    with open(template, "w") as f:
        f.write('strips = ( { name = "voc"; input = [ ]; } );\nmaster = { output = [ ]; };\n')
    good = os.path.join(tmp, "good", "jmixd.nGOOD")
    evil = os.path.join(tmp, "evil", "jmixd.nEVIL")
    os.makedirs(os.path.dirname(good))
    os.makedirs(os.path.dirname(evil))
    mgr = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mgr.bind(("127.0.0.1", 0))
    mgr.settimeout(5.0)
    rogue = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rogue.bind(("127.0.0.1", 0))
    env = jmtest.env(js.name)
    env["NSM_URL"] = "osc.udp://127.0.0.1:%d/" % mgr.getsockname()[1]
    osc_port = jmtest.free_udp_port()
    errf = open(os.path.join(tmp, "stderr.log"), "wb")
    proc = subprocess.Popen([jmtest.JMIXD, "--server", js.name, "--osc-port", str(osc_port),
                             template], env=env, stderr=errf, stdout=subprocess.DEVNULL)
    try:
        data, client = mgr.recvfrom(65536)
        assert jmtest.osc_decode(data)[0][0] == "/nsm/server/announce"
        socks = _udp_sockets_of(proc.pid)
        nsm_sock = [s for s in socks if s[1] == client[1]]
        jmtest.note("announce from %s:%d; the daemon's UDP sockets: %r" % (client + (socks,)))
        assert nsm_sock == [("127.0.0.1", client[1])], \
            "the NSM socket is not bound to loopback: %r" % (socks,)
        # the rogue is first
        rogue.sendto(osc_message("/nsm/client/open", evil, "jmixd", "jmixd.nEVIL"), client)
        time.sleep(0.3)
        mgr.sendto(osc_message("/nsm/client/open", good, "jmixd", "jmixd.nGOOD"), client)
        end = time.monotonic() + 10
        rep = None
        while time.monotonic() < end:
            data, _ = mgr.recvfrom(65536)
            m = jmtest.osc_decode(data)[0]
            if m[0] == "/reply":
                rep = m[1]
                break
        assert rep == ["/nsm/client/open", "opened"], rep
        assert os.path.exists(good + ".cfg") and not os.path.exists(evil + ".cfg"), \
            "the rogue's /nsm/client/open was followed"
        # afterwards: a rogue save is ignored, the manager's is done
        mgr.settimeout(0.5)
        rogue.sendto(osc_message("/nsm/client/save"), client)
        got = []
        try:
            while True:
                got.append(jmtest.osc_decode(mgr.recvfrom(65536)[0])[0][:2])
        except socket.timeout:
            pass
        assert ["/reply", ["/nsm/client/save", "saved"]] not in [list(g) for g in got], \
            "a save from the rogue was done: %r" % (got,)
        mgr.sendto(osc_message("/nsm/client/save"), client)
        mgr.settimeout(10.0)
        saved = False
        end = time.monotonic() + 10
        while time.monotonic() < end and not saved:
            m = jmtest.osc_decode(mgr.recvfrom(65536)[0])[0]
            saved = m[0] == "/reply" and m[1] == ["/nsm/client/save", "saved"]
        assert saved, "the manager's own save was not done"
        jmtest.note("rogue /nsm/client/open and /nsm/client/save ignored; the manager's done")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        errf.close()
        mgr.close()
        rogue.close()
