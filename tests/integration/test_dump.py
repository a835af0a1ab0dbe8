"""Issue 15, "A new controller must see the console as it is" (docs/osc.md,
"State dump", and the types of what the console sends).

On a 64-strip console with aliases and an X32 port:
- a new subscription (units or norm) gets every parameter and every alias
  exactly once, with the daemon's value, in bundles of at most 1,400 bytes
  with timetag 1, ending with /dump/end s:prefix i:count; a renewal gets
  nothing more;
- /dump [s:prefix] [s:style] answers the same to the sender only, filtered,
  a fifth concurrent destination gets /error "busy";
- an X32 /xremote gets the state as single X32 messages, no bundles;
- switches and enum indexes are sent as i (dump, feedback, query replies,
  aliases), /stats answers sixteen i and /stats/64 sixteen h.

The time from /subscribe to the last value of the dump and the number of
bundles are printed (not asserted; `make bench` is for performance)."""
import socket
import struct
import time

import pytest

import jmtest
from jmtest import Daemon, OscClient, osc_decode, osc_message

N_STRIPS = 64
MAX_BUNDLE = 1400
ALIASES = {  # from -> (parameter, norm taper)
    "/1/fader1": ("/strip/1/fader", True),
    "/1/mute1": ("/strip/1/mute", False),
    "/1/curve": ("/monitor/curve", False),
    "/2/pan": ("/strip/2/pan", False),
}
# set before the dump: the dump must carry them (and not the defaults)
SET_FIRST = {
    "/strip/5/fader": -6.5,
    "/strip/64/mute": 1,
    "/strip/3/eq/2/gain": 4.5,
    "/master/fader": -3.0,
    "/monitor/curve": 2,
    "/strip/1/fader": -10.0,
    "/strip/1/mute": 1,
    "/strip/2/pan": -0.25,
}


def _session(x32_port):
    strips = [{"name": "s%d" % (i + 1)} for i in range(N_STRIPS)]
    aliases = ", ".join('{ from = "%s"; to = "%s%s"; }' % (f, t, "/norm" if n else "")
                        for f, (t, n) in ALIASES.items())
    return jmtest.session_text(
        strips, osc_extra="meter_rate = 20.0;",
        extra='buses = ( { name = "verb"; type = "reverb"; } );\n'
              'monitor = { output = [ ]; };\n'
              'aliases = ( %s );\n'
              'x32 = { port = %d; };' % (aliases, x32_port))


@pytest.fixture(scope="module")
def con(module_jack):
    x32 = jmtest.free_udp_port()
    d = Daemon(_session(x32), module_jack).start()
    c = d.client()
    for path, v in SET_FIRST.items():
        c.set_and_confirm(path, v)
    # the daemon's own values and units, from /params (paged; the client follows)
    c.drain(0)
    c.send("/params")
    params = {}
    while True:
        m = c.recv(5.0)
        assert m is not None, "/params did not end"
        if m[0] == "/param":
            params[m[1][0]] = {"unit": m[1][1], "value": m[1][5]}
        elif m[0] == "/params/end":
            break
    assert len(params) == m[1][1]
    yield type("Con", (), {"d": d, "c": c, "params": params, "x32": x32})
    c.close()
    d.stop()


def is_switch(con, path):
    return con.params[path]["unit"] == "bool"


def is_int(con, path):
    return con.params[path]["unit"] in ("bool", "enum")


def norm_of(con, path):
    return con.c.query_value(path + "/norm")


def raw_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("127.0.0.1", 0))
    return s


def read_dump(s, timeout=5.0):
    """Datagrams until the one that holds /dump/end: (bundles, elements, end
    args, monotonic time of the last datagram); elements are (path, args,
    tags) from bundles only (meters and feedback come as plain messages)."""
    bundles, elems, end = [], [], None
    deadline = time.monotonic() + timeout
    while end is None:
        s.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            data, _ = s.recvfrom(65536)
        except socket.timeout:
            raise AssertionError("no /dump/end within %ss (%d bundles)" % (timeout, len(bundles)))
        if not data.startswith(b"#bundle\0"):
            continue
        bundles.append(data)
        for path, args, tags, tt in osc_decode(data):
            assert tt == 1, "a dump bundle's timetag must be 1 (immediately): %r" % tt
            if path == "/dump/end":
                end = args
                assert tags == "si"
            else:
                elems.append((path, args, tags))
    return bundles, elems, end, time.monotonic()


def subscribe_raw(con, s, *args):
    """/subscribe from s and its confirmation, by hand: the time of the
    /subscribe."""
    t0 = time.monotonic()
    s.sendto(osc_message("/subscribe", *args), ("127.0.0.1", con.d.osc_port))
    s.settimeout(2.0)
    while True:
        data, src = s.recvfrom(65536)
        (path, a, tags, _), = osc_decode(data)[:1]
        if path == "/subscribe/confirm":
            break
    s.sendto(osc_message("/subscribe/confirm", ("i", a[0])), src)
    return t0


def check_sizes(bundles):
    for b in bundles:
        assert len(b) <= MAX_BUNDLE, "bundle of %d bytes (max %d)" % (len(b), MAX_BUNDLE)


def test_subscribe_dumps_everything_once_units(con):
    s = raw_socket()
    try:
        t0 = subscribe_raw(con, s)
        bundles, elems, end, t1 = read_dump(s)
        s.sendto(osc_message("/unsubscribe"), ("127.0.0.1", con.d.osc_port))
    finally:
        s.close()
    print("\nstate dump, 64 strips, units: %d values in %d bundles (%d bytes), "
          "%.1f ms from /subscribe to the last value" %
          (len(elems), len(bundles), sum(len(b) for b in bundles), (t1 - t0) * 1000.0))
    check_sizes(bundles)
    paths = [e[0] for e in elems]
    assert len(paths) == len(set(paths)), "a value sent twice"
    want = set(con.params) | set(ALIASES)
    assert set(paths) == want, ("missing %r, extra %r" % (sorted(want - set(paths))[:10],
                                                          sorted(set(paths) - want)[:10]))
    assert end == ["", len(elems)], "/dump/end %r for %d values" % (end, len(elems))
    got = {p: (a, t) for p, a, t in elems}
    for path, info in con.params.items():
        (v,), tags = got[path]
        assert tags == ("i" if is_int(con, path) else "f"), (path, tags)
        assert v == pytest.approx(info["value"], abs=1e-4), path
    # the values set first, not the defaults
    for path, v in SET_FIRST.items():
        assert got[path][0][0] == pytest.approx(v, abs=1e-4), path
    # aliases: in their own taper, switches and enums as i
    assert got["/1/fader1"] == ([pytest.approx(norm_of(con, "/strip/1/fader"), abs=1e-5)], "f")
    assert got["/1/mute1"] == ([1], "i")
    assert got["/1/curve"] == ([2], "i")
    assert got["/2/pan"] == ([pytest.approx(-0.25)], "f")


def test_subscribe_dumps_norm_style(con):
    s = raw_socket()
    try:
        subscribe_raw(con, s, "norm")
        bundles, elems, end, _ = read_dump(s)
        s.sendto(osc_message("/unsubscribe"), ("127.0.0.1", con.d.osc_port))
    finally:
        s.close()
    check_sizes(bundles)
    got = {p: (a, t) for p, a, t in elems}
    assert len(got) == len(elems) == end[1]
    want = {p if is_switch(con, p) else p + "/norm" for p in con.params} | set(ALIASES)
    assert set(got) == want
    assert got["/strip/5/fader/norm"][1] == "f"
    assert got["/strip/5/fader/norm"][0][0] == pytest.approx(
        norm_of(con, "/strip/5/fader"), abs=1e-5)
    assert got["/strip/64/mute"] == ([1], "i"), "switches: own path, i"
    assert got["/monitor/curve/norm"] == ([pytest.approx(0.4)], "f"), "enum 2 of 0..5 as /norm"
    assert got["/1/fader1"][1] == "f" and got["/1/mute1"] == ([1], "i")


def test_renewal_does_not_dump_again(con):
    with OscClient(con.d.osc_port, keep_dump=True) as c:
        c.send("/subscribe")
        assert c.wait_for("/dump/end", 5.0), "no dump after the confirmation"
        c.send("/subscribe")    # a renewal within the lease
        got = c.collect(1.0)
        assert not [m for m in got if m[0] in ("/dump/end", "/strip/1/trim")], \
            "a renewal dumped again"
        assert any(m[0].startswith("/meter/") for m in got), "the lease went on"
        c.send("/unsubscribe")
    # the default client swallows the dump: a subscription reads as before
    with OscClient(con.d.osc_port) as c:
        c.send("/subscribe")
        assert c.dumps_swallowed == 1
        assert not [m for m in c.collect(0.3) if m[0] == "/dump/end"]
        c.send("/unsubscribe")


def dump_request(con, c, *args):
    c.drain(0)
    c.send("/dump", *args)
    out = []
    while True:
        m = c.recv_tagged(5.0)
        assert m is not None, "/dump %r did not end" % (args,)
        if m[0] == "/dump/end":
            return out, m[1]
        if not m[0].startswith("/meter/"):
            out.append(m)


def test_dump_request_with_prefix(con):
    with OscClient(con.d.osc_port) as c:
        strip2 = sorted(p for p in con.params if p.startswith("/strip/2/"))
        got, end = dump_request(con, c, "/strip/2/")
        assert end == ["/strip/2/", len(strip2) + 1], end   # + the alias /2/pan
        assert sorted(m[0] for m in got) == sorted(strip2 + ["/2/pan"])
        # the name path filters the same
        got_n, end_n = dump_request(con, c, "/strip/s2/")
        assert sorted(m[0] for m in got_n) == sorted(m[0] for m in got)
        assert end_n[1] == end[1]
        # an alias's own address selects it
        got_a, end_a = dump_request(con, c, "/1/")
        assert sorted(m[0] for m in got_a) == ["/1/curve", "/1/fader1", "/1/mute1"]
        assert end_a == ["/1/", 3]
        # a style argument
        got_m, _ = dump_request(con, c, "/master/", "norm")
        assert ("/master/fader/norm", [pytest.approx(norm_of(con, "/master/fader"), abs=1e-5)],
                "f") in got_m
        # everything, to a sender without a lease (paced, but whole)
        got_all, end_all = dump_request(con, c)
        assert end_all == ["", len(con.params) + len(ALIASES)]
        assert len({m[0] for m in got_all}) == len(got_all) == end_all[1]
        # bad arguments
        c.send("/dump", ("i", 3))
        assert c.wait_for("/error", 1.0)[1][0] == "/dump"


def test_dump_limits_busy_and_restart(con):
    clients = [OscClient(con.d.osc_port) for _ in range(5)]
    try:
        # four whole dumps to senders without a lease run (50 bundles/s each)
        for c in clients[:4]:
            c.send("/dump")
        clients[4].send("/dump")
        err = clients[4].wait_for("/error", 2.0)
        assert err and err[1] == ["/dump", "busy"], err
        # a /dump from a destination whose dump runs starts it again: one end
        clients[0].send("/dump")
        ends = [m for m in clients[0].collect(4.0) if m[0] == "/dump/end"]
        assert ends == [("/dump/end", ["", len(con.params) + len(ALIASES)])], ends
    finally:
        for c in clients:
            c.close()
    time.sleep(1.5)     # let the other three end


def test_xremote_gets_the_state_as_x32_messages(con):
    x = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    x.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    x.bind(("127.0.0.1", 0))
    try:
        x.sendto(osc_message("/xremote"), ("127.0.0.1", con.x32))
        x.settimeout(1.0)
        msgs = {}
        while True:
            try:
                data, _ = x.recvfrom(65536)
            except socket.timeout:
                break
            assert not data.startswith(b"#bundle"), "X32 apps read no bundles"
            for path, args, tags, _ in osc_decode(data):
                assert path != "/dump/end"
                msgs.setdefault(path, []).append((args, tags))
    finally:
        x.close()
    assert msgs.get("/ch/01/mix/on") == [([0], "i")], "strip 1 is muted: X32 on 0"
    (args, tags), = msgs["/ch/05/mix/fader"]
    assert tags == "f" and args[0] == pytest.approx(norm_of(con, "/strip/5/fader"), abs=1e-5)
    assert msgs["/main/st/mix/fader"][0][0][0] == pytest.approx(
        norm_of(con, "/master/fader"), abs=1e-5)


def test_switches_and_enums_are_int(con):
    c = con.c
    for path in ("/strip/1/mute", "/strip/7/eq/on", "/master/limiter/on", "/monitor/curve",
                 "/1/mute1", "/1/curve"):
        c.drain(0)
        c.send(path)
        m = c.wait_for(path, 2.0)
        assert m and c.last_tags == "i", "query %s: %r %r" % (path, m, c.last_tags)
    c.send("/strip/7/fader")
    assert c.wait_for("/strip/7/fader", 2.0) and c.last_tags == "f"
    # inputs: f, i and T all still set a switch
    for v, want in ((("f", 1.0), 1), (("i", 0), 0), (True, 1), (False, 0)):
        c.send("/strip/9/solo", v)
        assert c.query_value("/strip/9/solo") == want
    # feedback, on the path and on the alias
    with OscClient(con.d.osc_port) as sub:
        sub.send("/subscribe")
        c.send("/strip/1/mute", 0.0)
        m = sub.wait_for("/strip/1/mute", 2.0)
        assert m == ("/strip/1/mute", [0]) and sub.last_tags == "i"
        m = sub.wait_for("/1/mute1", 2.0)
        assert m == ("/1/mute1", [0]) and sub.last_tags == "i"
        c.send("/monitor/curve", "car")
        m = sub.wait_for("/monitor/curve", 2.0)
        assert m == ("/monitor/curve", [4]) and sub.last_tags == "i"
        sub.send("/unsubscribe")
    c.set_and_confirm("/strip/1/mute", 1)
    c.set_and_confirm("/monitor/curve", 2)


def test_stats_int32_and_64(con):
    c = con.c
    c.drain(0)
    c.send("/stats")
    m = c.wait_for("/stats", 2.0)
    assert m and c.last_tags == "i" * 16 and all(v >= 0 for v in m[1])
    c.send("/stats/64")
    m64 = c.wait_for("/stats/64", 2.0)
    assert m64 and c.last_tags == "h" * 16 and len(m64[1]) == 16
    # the same counters (osc_rejected grows with nothing in between)
    assert m64[1][0] == m[1][0]


def test_stats_cycle_times(con):
    """/stats ends with the process callback's median, 99th percentile and
    longest duration in ns over the last 10 s, and the cycles they cover
    (docs/osc.md). A cycle of this small session takes microseconds, far
    below its 1333-us period; the window holds what the server ran."""
    c = con.c
    first = c.query("/stats")[12:]
    time.sleep(1.5)
    med, p99, mx, cycles = c.query("/stats")[12:]
    jmtest.note("cycle: median %.2f us, p99 %.2f us, max %.2f us over %d cycles" % (
        med / 1e3, p99 / 1e3, mx / 1e3, cycles))
    assert 0 < med <= p99 <= mx, (med, p99, mx)
    assert med < 1333333 // 4, "a cycle of 3 strips should take far less than its period"
    assert cycles > first[3], "the window grows while the first 10 s fill it"
    # at most 11 s of 750 cycles a second (48 kHz / 64) in the window
    assert cycles <= 11 * 750 + 750, cycles
