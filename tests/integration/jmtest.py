"""jmtest: the helper library of the jmixd integration tests (run by
pytest; the fixtures are in conftest.py). Standard library only.

Pieces:
  JackServer   a jackd dummy server (context manager); stop/kill/start
  Daemon       build/jmixd on a session (context manager); stop/kill9/reload
  OscClient    a pure-python OSC 1.0 client with its own UDP socket
  Probe.run    build/tools/jm_probe: play signals, capture ports -> Capture
  Capture      captured audio with numpy-free measurement helpers

Everything started here is registered and killed at interpreter exit, even
when a test fails half way (see _cleanup). Every child gets
JACK_NO_AUDIO_RESERVATION=1 and JACK_NO_START_SERVER=1.
"""
import atexit
import json
import math
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import weakref
from array import array

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# JMT_JMIXD=path runs the whole suite against another build of the daemon.
JMIXD = os.environ.get("JMT_JMIXD") or os.path.join(ROOT, "build", "jmixd")
JMIXD_RTSAN = os.path.join(ROOT, "build", "rtsan", "jmixd")
PROBE = os.path.join(ROOT, "build", "tools", "jm_probe")
PROBE_SRC = os.path.join(ROOT, "tests", "tools", "jm_probe.c")

_children = []          # every Popen we started, for cleanup
_recent_daemons = []    # daemons started since conftest.py last looked
_tmpdirs = []
_servers = []


def env(server=None):
    e = dict(os.environ)
    e["JACK_NO_AUDIO_RESERVATION"] = "1"
    e["JACK_NO_START_SERVER"] = "1"
    if server:
        e["JACK_DEFAULT_SERVER"] = server
    return e


def _track(p):
    _children.append(p)
    return p


def _cleanup():
    for p in reversed(_children):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=5)
            except Exception:
                pass
    for js in _servers:
        js.cleanup_shm()
    for d in _tmpdirs:
        subprocess.call(["rm", "-rf", d])


atexit.register(_cleanup)


def mkdtemp(prefix="jmt"):
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.append(d)
    return d


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def unique_name(prefix="jmt"):
    return "%s%d_%d" % (prefix, os.getpid(), random.randrange(1 << 20))


def wait_until(pred, timeout, interval=0.05):
    """Poll pred() until it returns a truthy value; return it, or None."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def db(x):
    return 20.0 * math.log10(x) if x > 0 else -math.inf


def undb(d):
    return 10.0 ** (d / 20.0)


# --------------------------------------------------------------------------
# build helpers

def ensure_built(targets=("build/jmixd", "build/tools/jm_probe", "build/rtsan/jmixd"),
                 quiet=True):
    """Run make for missing/out-of-date targets. Returns {target: ok}.
    If the Makefile cannot build the probe (it links the project library,
    which may not compile while work is in progress), compile the probe on
    its own: it does not depend on project code."""
    res = {}
    for t in targets:
        r = subprocess.run(["make", "-s", t], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        ok = r.returncode == 0 and os.path.exists(os.path.join(ROOT, t))
        if not ok and t.endswith("jm_probe"):
            os.makedirs(os.path.dirname(PROBE), exist_ok=True)
            r2 = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                                 "-Werror", "-O2", "-g", "-pthread", PROBE_SRC, "-o", PROBE,
                                 "-ljack", "-lm", "-pthread"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            ok = r2.returncode == 0
            if not ok:
                r = r2
        if not ok and not quiet:
            sys.stderr.write("build of %s failed:\n%s\n" % (t, r.stdout[-3000:]))
        res[t] = ok
    return res


# --------------------------------------------------------------------------
# JACK

def jack_running(name):
    r = subprocess.run(["jack_wait", "-s", name, "-c"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, env=env(name), timeout=10)
    return r.stdout.strip().startswith("running")


def jack_lsp(server, *args):
    """Output of `jack_lsp -s SERVER ARGS` ('' if the server is not there)."""
    try:
        r = subprocess.run(["jack_lsp", "-s", server] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=env(server), timeout=10)
    except subprocess.TimeoutExpired:
        return ""
    return r.stdout if r.returncode == 0 else ""


def jack_ports(server):
    return [l.strip() for l in jack_lsp(server).splitlines() if l.strip()]


def jack_connections(server):
    """Set of (source, destination) pairs from `jack_lsp -c`."""
    pairs = set()
    cur = None
    for line in jack_lsp(server, "-c").splitlines():
        if not line.strip():
            continue
        if line[0] in " \t":
            other = line.strip()
            if cur is not None:
                pairs.add((cur, other))
                pairs.add((other, cur))   # jack_lsp lists both directions
        else:
            cur = line.strip()
    return pairs


JACK_REGISTRY = "/dev/shm/jack-shm-registry"


def _is_jackd(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip().startswith("jack")
    except OSError:
        return False


def reclaim_jack_registry():
    """Free the JACK2 shm registry's server slots whose server is dead.

    jackd2 (1.9.21) keeps a table of 8 server slots in /dev/shm/jack-shm-
    registry and reclaims a dead server's slot only when a server of the
    same name starts again. Every SIGKILLed server with a unique name (our
    restart tests) would leak a slot until no jackd can start at all ("Too
    many servers already active"). Layout (common/shm.h): u32 magic 'JACK',
    u16 protocol, int type, int size, int hdr_len, int entry_len, then 8 x
    {pid_t pid; char name[257]} padded to 4 bytes. Only slots whose pid is
    not a live jackd are cleared; anything unexpected leaves the file alone.
    Returns the number of slots freed."""
    import mmap
    try:
        fd = os.open(JACK_REGISTRY, os.O_RDWR)
    except OSError:
        return 0
    freed = 0
    try:
        size = os.fstat(fd).st_size
        if size < 24:
            return 0
        with mmap.mmap(fd, size) as m:
            magic = struct.unpack_from("<I", m, 0)[0]
            hdr_len = struct.unpack_from("<i", m, 16)[0]
            slot = 4 + 257 + 3          # pid + name[257], 4-byte aligned = 264
            if magic != 0x4A41434B or hdr_len != 24 + 8 * slot or hdr_len > size:
                return 0
            for i in range(8):
                off = 24 + i * slot
                pid = struct.unpack_from("<i", m, off)[0]
                if pid and not _is_jackd(pid):
                    m[off:off + slot] = b"\0" * slot
                    freed += 1
            m.flush()
    except (OSError, ValueError):
        return freed
    finally:
        os.close(fd)
    return freed


def terminate(proc, timeout):
    """SIGTERM and wait; SIGKILL after `timeout`. True when it had to kill."""
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        return True


def realtime_permitted():
    """True where this process may use SCHED_FIFO (jackd -R works)."""
    try:
        return subprocess.call(["chrt", "-f", "5", "true"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) == 0
    except OSError:
        return False


def read_text(path):
    """A log file's text so far ("" when there is none yet)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


class JackServer:
    """A jackd dummy-backend server with a unique name.

    with JackServer() as js: ... js.name ...
    """

    # Synchronous mode (-S): the server waits for every client each cycle, so
    # a client that is late on this non-realtime test server delays the cycle
    # instead of being skipped. Without it, the probe saw holes (skipped
    # cycles) in about half of its 0.5 s captures on an idle 2-core VM, which
    # ruins level and click measurements. JMT_JACK_ASYNC=1 turns it off.
    # realtime=True: jackd -R (SCHED_FIFO), as deployed, where xrun counts
    # mean something; see realtime_permitted().
    def __init__(self, name=None, rate=48000, period=64, capture=2, playback=2,
                 extra_args=(), sync=None, realtime=False):
        self.name = name or unique_name("jmt")
        self.realtime = realtime
        self.rate = rate
        self.period = period
        self.capture = capture
        self.playback = playback
        self.extra_args = list(extra_args)
        self.sync = (os.environ.get("JMT_JACK_ASYNC") != "1") if sync is None else sync
        self.proc = None
        _servers.append(self)
        self.logdir = mkdtemp("jmtjack")
        self.log = os.path.join(self.logdir, "jackd.log")

    def start(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            return self
        reclaim_jack_registry()
        logf = open(self.log, "ab")
        cmd = ["jackd", "-R" if self.realtime else "--no-realtime"] + (["-S"] if self.sync else []) + [
               "-n", self.name, "-d", "dummy", "-r", str(self.rate),
               "-p", str(self.period), "-C", str(self.capture), "-P", str(self.playback)]
        cmd += self.extra_args
        self.proc = _track(subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=env(self.name)))
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("jackd %s exited with %s:\n%s" % (
                    self.name, self.proc.returncode, self.log_text()[-2000:]))
            if jack_running(self.name) and "system:playback_1" in jack_lsp(self.name):
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("jackd %s did not come up in %ss:\n%s" % (
            self.name, timeout, self.log_text()[-2000:]))

    def log_text(self):
        return read_text(self.log)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=1.5):
        """SIGTERM and wait; also removes what a killed server left in
        /dev/shm under this (unique) name. A jackd that had a client
        SIGKILLed (kill9 tests) never exits on SIGTERM: it is killed after
        `timeout` (an idle one exits in ~0.1 s), and its registry slot freed."""
        if not self.proc:
            return None
        if terminate(self.proc, timeout):
            reclaim_jack_registry()
        self.cleanup_shm()
        return self.proc.returncode

    def cleanup_shm(self):
        if self.running():
            return
        try:
            names = os.listdir("/dev/shm")
        except OSError:
            return
        tag = "_%s_" % self.name
        for n in names:
            if n.startswith("jack") and tag in n:
                try:
                    os.unlink(os.path.join("/dev/shm", n))
                except OSError:
                    pass

    def kill(self):
        """SIGKILL the server (as a crash would)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        reclaim_jack_registry()
        self.cleanup_shm()
        return self.proc.returncode if self.proc else None

    def ports(self):
        return jack_ports(self.name)

    def connections(self):
        return jack_connections(self.name)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --------------------------------------------------------------------------
# OSC 1.0

class Blob(bytes):
    pass


def _pad4(b):
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def osc_string(s):
    if isinstance(s, str):
        s = s.encode("utf-8")
    return _pad4(s + b"\0")


def _encode_arg(a):
    """-> (tag, bytes). a is a python value or a typed tuple ('f', 1.0)."""
    if isinstance(a, tuple):
        t = a[0]
        v = a[1] if len(a) > 1 else None
        if t == "i":
            return "i", struct.pack(">i", int(v))
        if t == "f":
            return "f", struct.pack(">f", float(v))
        if t == "d":
            return "d", struct.pack(">d", float(v))
        if t == "h":
            return "h", struct.pack(">q", int(v))
        if t == "t":
            return "t", struct.pack(">Q", int(v))
        if t in ("s", "S"):
            return t, osc_string(v)
        if t == "b":
            return "b", struct.pack(">i", len(v)) + _pad4(bytes(v))
        if t in ("T", "F", "N", "I"):
            return t, b""
        if t == "c":
            return "c", struct.pack(">i", ord(v))
        if t == "m":
            return "m", bytes(v)[:4].ljust(4, b"\0")
        if t == "r":
            return "r", struct.pack(">I", int(v))
        raise ValueError("unknown OSC type %r" % (t,))
    if a is True:
        return "T", b""
    if a is False:
        return "F", b""
    if a is None:
        return "N", b""
    if isinstance(a, int):
        if -(1 << 31) <= a < (1 << 31):
            return "i", struct.pack(">i", a)
        return "h", struct.pack(">q", a)
    if isinstance(a, float):
        return "f", struct.pack(">f", a)
    if isinstance(a, str):
        return "s", osc_string(a)
    if isinstance(a, (bytes, bytearray)):
        return "b", struct.pack(">i", len(a)) + _pad4(bytes(a))
    raise TypeError("cannot encode %r as OSC" % (a,))


def osc_message(path, *args):
    tags = ","
    data = b""
    for a in args:
        t, b = _encode_arg(a)
        tags += t
        data += b
    return osc_string(path) + osc_string(tags) + data


NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900 to 1970


def ntp_timetag(unix_time=None):
    """64-bit NTP timetag for a unix time (float seconds); None -> 1 (now)."""
    if unix_time is None:
        return 1
    sec = int(unix_time) + NTP_EPOCH_OFFSET
    frac = int((unix_time - int(unix_time)) * (1 << 32)) & 0xFFFFFFFF
    return (sec << 32) | frac


def osc_bundle(elements, timetag=1):
    """elements: encoded messages/bundles (bytes) or (path, args...) tuples."""
    out = b"#bundle\0" + struct.pack(">Q", timetag)
    for e in elements:
        if not isinstance(e, (bytes, bytearray)):
            e = osc_message(e[0], *e[1:])
        out += struct.pack(">i", len(e)) + bytes(e)
    return out


def _read_string(data, pos):
    end = data.index(b"\0", pos)
    s = data[pos:end].decode("utf-8", "replace")
    pos = end + 1
    pos += (4 - pos % 4) % 4
    return s, pos


def osc_decode(data, timetag=None):
    """Decode a packet into a list of (path, args, tags, timetag)."""
    if data.startswith(b"#bundle\0"):
        if len(data) < 16:
            raise ValueError("short bundle")
        tt = struct.unpack(">Q", data[8:16])[0]
        pos = 16
        out = []
        while pos < len(data):
            n = struct.unpack(">i", data[pos:pos + 4])[0]
            pos += 4
            if n < 0 or pos + n > len(data):
                raise ValueError("bad bundle element size")
            out += osc_decode(data[pos:pos + n], tt)
            pos += n
        return out
    path, pos = _read_string(data, 0)
    if pos >= len(data):
        return [(path, [], "", timetag)]
    tags, pos = _read_string(data, pos)
    if not tags.startswith(","):
        raise ValueError("no type tags")
    tags = tags[1:]
    args = []
    for t in tags:
        if t == "i":
            args.append(struct.unpack(">i", data[pos:pos + 4])[0]); pos += 4
        elif t == "f":
            args.append(struct.unpack(">f", data[pos:pos + 4])[0]); pos += 4
        elif t == "d":
            args.append(struct.unpack(">d", data[pos:pos + 8])[0]); pos += 8
        elif t == "h":
            args.append(struct.unpack(">q", data[pos:pos + 8])[0]); pos += 8
        elif t == "t":
            args.append(struct.unpack(">Q", data[pos:pos + 8])[0]); pos += 8
        elif t in ("s", "S"):
            s, pos = _read_string(data, pos); args.append(s)
        elif t == "b":
            n = struct.unpack(">i", data[pos:pos + 4])[0]; pos += 4
            args.append(Blob(data[pos:pos + n])); pos += n + (4 - n % 4) % 4
        elif t == "T":
            args.append(True)
        elif t == "F":
            args.append(False)
        elif t == "N":
            args.append(None)
        elif t == "I":
            args.append(math.inf)
        elif t == "c":
            args.append(chr(struct.unpack(">i", data[pos:pos + 4])[0])); pos += 4
        elif t in ("m", "r"):
            args.append(data[pos:pos + 4]); pos += 4
        else:
            raise ValueError("unknown type tag %r" % t)
    return [(path, args, tags, timetag)]


class OscClient:
    """UDP OSC client. The daemon replies to the source address/port of our
    packets, which is this socket.

    It behaves as the conforming controller the daemon expects (docs/osc.md),
    so that tests can subscribe and list parameters in one line:
    - auto_confirm: a /subscribe/confirm i:token is answered at once with the
      same message to the daemon that sent it, and is not returned by recv;
      send("/subscribe", ...) waits (at most 2 s) until the socket the
      subscription streams to (this one, or another OscClient of this process
      named by its port argument) has confirmed, so feedback flows when it
      returns. A renewal within 8 s of the last one waits for nothing.
    - keep_dump: a new subscription is sent the state dump (bundles of every
      value, then /dump/end; docs/osc.md "State dump"). By default it is
      swallowed: send("/subscribe") also waits (at most 5 s) for its
      /dump/end, and the dump's bundles are not returned by recv (feedback,
      meters and replies around it are), so a test sees what it saw before
      the dump existed. keep_dump=True returns the dump like anything else
      (and send does not wait for it).
    - auto_page: /params/more s:prefix i:next is answered with /params
      s:prefix i:next, so a /params burst arrives whole (the /params/more and
      /params/end messages are returned too).
    The security tests turn both off to watch the protocol itself."""

    _by_addr = weakref.WeakValueDictionary()    # our (ip, port) -> client, for /subscribe i:port

    def __init__(self, port, host="127.0.0.1", bind_port=0, auto_confirm=True, auto_page=True,
                 bind_host="127.0.0.1", keep_dump=False):
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:  # big enough for a /params burst; root may exceed rmem_max
            self.sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33),
                                 1 << 22)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.bind((bind_host, bind_port))
        self.port = self.sock.getsockname()[1]
        self.pending = []       # decoded, not yet returned: (path, args, tags)
        self.last_tags = None
        self.auto_confirm = auto_confirm
        self.auto_page = auto_page
        self.confirms = 0       # /subscribe/confirm answered
        self.keep_dump = keep_dump
        self.dumps_owed = 0     # confirmed subscriptions whose dump has not ended yet
        self.dumps_swallowed = 0
        self._leases = {}       # daemon (ip, port) -> monotonic time of our last confirmed (re)subscription
        self.bind_host = bind_host
        OscClient._by_addr[(bind_host, self.port)] = self

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send_raw(self, data):
        self.sock.sendto(bytes(data), self.addr)

    def send(self, path, *args):
        self.send_raw(osc_message(path, *args))
        if path in ("/subscribe", "/unsubscribe"):
            self._after_subscribe(path, args)

    def _daemon_key(self):
        return (socket.gethostbyname(self.addr[0]), self.addr[1])

    def _subscription_target(self, args):
        """The OscClient a /subscribe with these arguments streams to, or
        None (not ours, or arguments the daemon refuses)."""
        port = self.port
        for a in args:
            t, v = (a[0], a[1]) if isinstance(a, tuple) else (None, a)
            if t == "i" or (t is None and isinstance(v, int) and not isinstance(v, bool)):
                if not 0 < int(v) < 65536:
                    return None
                port = int(v)
            elif t in (None, "s") and v in ("norm", "units"):
                continue
            else:
                return None
        return OscClient._by_addr.get((self.bind_host, port))

    def _after_subscribe(self, path, args):
        dest = self._subscription_target(args)
        if dest is None or not dest.auto_confirm:
            return
        key = self._daemon_key()
        now = time.monotonic()
        if path == "/unsubscribe":
            dest._leases.pop(key, None)
            return
        last = dest._leases.get(key)
        if last is not None and now - last < 8.0:
            dest._leases[key] = now         # a renewal: the daemon asks nothing
            return
        n0 = dest.confirms
        deadline = now + 2.0
        while dest.confirms == n0:
            left = deadline - time.monotonic()
            if left <= 0 or not dest._fill(left):
                if time.monotonic() >= deadline:
                    break
        # then the state dump the new subscription gets, swallowed
        deadline = time.monotonic() + 5.0
        while dest.dumps_owed and not dest.keep_dump:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            dest._fill(left)
        dest.dumps_owed = 0     # none came (e.g. refused): swallow nothing later

    def send_bundle(self, elements, timetag=1):
        self.send_raw(osc_bundle(elements, timetag))

    def _fill(self, timeout):
        self.sock.settimeout(max(timeout, 0.0) if timeout is not None else None)
        try:
            data, src = self.sock.recvfrom(65536)
        except (socket.timeout, BlockingIOError):
            return False
        bundled = data.startswith(b"#bundle\0")
        try:
            for path, args, tags, _tt in osc_decode(data):
                if self.auto_confirm and path == "/subscribe/confirm" and tags == "i":
                    self.sock.sendto(osc_message(path, ("i", args[0])), src)
                    self._leases[src] = time.monotonic()
                    self.confirms += 1
                    if not self.keep_dump:
                        self.dumps_owed += 1
                    continue
                if bundled and self.dumps_owed and not self.keep_dump:
                    # the daemon sends bundles only for a dump
                    if path == "/dump/end":
                        self.dumps_owed -= 1
                        self.dumps_swallowed += 1
                    continue
                if self.auto_page and path == "/params/more" and tags == "si":
                    self.sock.sendto(osc_message("/params", args[0], ("i", args[1])), src)
                self.pending.append((path, args, tags))
        except Exception as e:  # a malformed reply is a daemon bug: surface it
            self.pending.append(("#malformed", [repr(e), data], ""))
        return True

    def recv(self, timeout=1.0):
        """Next message as (path, args), or None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not self._fill(left):
                if not self.pending:
                    return None
        path, args, tags = self.pending.pop(0)
        self.last_tags = tags
        return (path, args)

    def recv_tagged(self, timeout=1.0):
        m = self.recv(timeout)
        return None if m is None else (m[0], m[1], self.last_tags)

    def collect(self, duration, tagged=False):
        """Every message arriving within duration seconds."""
        out = []
        deadline = time.monotonic() + duration
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            m = self.recv_tagged(left)
            if m is None:
                break
            out.append(m if tagged else m[:2])
        return out

    def collect_quiet(self, quiet=0.3, limit=10.0, tagged=False):
        """Collect until nothing arrives for `quiet` seconds (or `limit`)."""
        out = []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            m = self.recv_tagged(quiet)
            if m is None:
                break
            out.append(m if tagged else m[:2])
        return out

    def wait_for(self, path, timeout=2.0, pred=None):
        """First message with this path (and pred(args) true) -> (path, args);
        other messages are discarded. None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            m = self.recv(left)
            if m is None:
                return None
            if m[0] == path and (pred is None or pred(m[1])):
                return m

    def drain(self, quiet=0.05):
        """Discard everything queued and whatever arrives within the next
        `quiet` seconds (a fixed window: subscribers get meters all the time,
        so waiting for silence could last forever)."""
        n = len(self.pending)
        self.pending = []
        deadline = time.monotonic() + quiet
        while True:
            left = deadline - time.monotonic()
            if self._fill(max(left, 0.0)):
                n += len(self.pending)
                self.pending = []
            elif left <= 0:
                break
        return n

    def query(self, path, timeout=2.0):
        """Send `path` without arguments; return the reply's args.
        Raises TimeoutError if there is no reply."""
        self.drain(0)
        self.send(path)
        m = self.wait_for(path, timeout)
        if m is None:
            raise TimeoutError("no reply to query %s" % path)
        return m[1]

    def query_value(self, path, timeout=2.0):
        args = self.query(path, timeout)
        if len(args) != 1:
            raise AssertionError("query %s: expected one value, got %r" % (path, args))
        return args[0]

    def set_and_confirm(self, path, value, timeout=2.0, tol=1e-4):
        """Set a value and poll the query until it reads back."""
        self.send(path, value)
        deadline = time.monotonic() + timeout
        v = None
        while time.monotonic() < deadline:
            v = self.query_value(path, timeout)
            if abs(float(v) - float(value)) <= tol:
                return v
            time.sleep(0.02)
        raise AssertionError("%s: set %r, query gives %r" % (path, value, v))


# --------------------------------------------------------------------------
# the daemon

class DaemonError(RuntimeError):
    pass


class Daemon:
    """build/jmixd on a session.

    session: session text, or a path to an existing session file.
    wait: wait until /info is answered (10 s); False for sessions that will
    not answer (osc.allow tests); 'ports' to wait for jmixd:master_L instead.
    """

    def __init__(self, session, server, osc_port=None, state=None, extra_args=(),
                 binary=None, wait=True, name=None, timeout=10.0, short_opts=False):
        self.dir = mkdtemp("jmtd")
        if isinstance(session, str) and "\n" not in session and os.path.exists(session):
            self.session_path = os.path.abspath(session)
        else:
            self.session_path = os.path.join(self.dir, "session.cfg")
            with open(self.session_path, "w") as f:
                f.write(session)
        self.server = server.name if isinstance(server, JackServer) else server
        self.osc_port = osc_port or free_udp_port()
        self.state = state
        self.extra_args = list(extra_args)
        self.binary = binary or JMIXD
        self.short_opts = short_opts
        self.wait = wait
        self.name = name
        self.timeout = timeout
        self.proc = None
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.starts = 0

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def cmdline(self):
        so = self.short_opts
        cmd = [self.binary, "--server", self.server, "-p" if so else "--osc-port",
               str(self.osc_port)]
        if self.state:
            cmd += ["-s" if so else "--state", self.state]
        if self.name:
            cmd += ["-n" if so else "--name", self.name]
        return cmd + self.extra_args + [self.session_path]

    def start(self):
        if not os.path.exists(self.binary):
            raise DaemonError("%s is not built" % self.binary)
        self.starts += 1
        errf = open(self.stderr_path, "ab")
        if self.starts > 1:
            errf.write(("---- start %d ----\n" % self.starts).encode())
            errf.flush()
        outf = open(self.stdout_path, "ab")
        self.proc = _track(subprocess.Popen(self.cmdline(), stdout=outf, stderr=errf,
                                            stdin=subprocess.DEVNULL, env=env(self.server),
                                            cwd=self.dir))
        errf.close()
        outf.close()
        _recent_daemons.append(self)
        if self.wait == "ports":
            port = "%s:master_L" % (self.name or "jmixd")
            if not wait_until(lambda: self.proc.poll() is not None or
                              port in jack_ports(self.server), self.timeout):
                raise DaemonError("%s did not appear within %ss" % (port, self.timeout))
            if self.proc.poll() is not None:
                raise DaemonError("jmixd exited with %s at start" % self.proc.returncode)
        elif self.wait:
            self.wait_ready(self.timeout)
        return self

    def wait_ready(self, timeout=10.0):
        with OscClient(self.osc_port) as c:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise DaemonError("jmixd exited with %s before answering /info" %
                                      self.proc.returncode)
                c.send("/info")
                if c.wait_for("/info", 0.2):
                    return True
            raise DaemonError("jmixd did not answer /info within %ss" % timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10.0):
        """SIGTERM, wait; returns the exit code (None if it had to be killed)."""
        if not self.proc:
            return None
        return None if terminate(self.proc, timeout) else self.proc.returncode

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        return self.proc.returncode if self.proc else None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stderr_text(self):
        return read_text(self.stderr_path)

    def client(self):
        return OscClient(self.osc_port)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.kill9()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False


def run_jmixd(*args, timeout=20):
    """Run build/jmixd with arguments (e.g. --check FILE); CompletedProcess."""
    return subprocess.run([JMIXD] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env(), timeout=timeout, stdin=subprocess.DEVNULL)


_notes = []


def note(text):
    """Record a measured value; conftest.py puts the notes in the test's
    report (shown for failures, and for passes with pytest -rP)."""
    _notes.append(text)


def take_notes():
    global _notes
    n, _notes = _notes, []
    return n


def take_recent_daemons():
    global _recent_daemons
    d, _recent_daemons = _recent_daemons, []
    return d


# --------------------------------------------------------------------------
# the probe and captures

class ProbeError(RuntimeError):
    pass


class Capture:
    """Captured audio: channels in --capture order (0-based), meta from
    FILE.json. Times in seconds are relative to the first captured frame."""

    def __init__(self, raw, meta, play_started_mono=None):
        self.meta = meta
        self.rate = meta["rate"]
        self.nch = meta["channels"]
        self.frames = meta["frames"]
        self.start_frame = meta["start_frame"]
        self.play_start_frame = meta["play_start_frame"]
        self.play_started_mono = play_started_mono
        a = array("f")
        a.frombytes(raw)
        if sys.byteorder != "little":
            a.byteswap()
        self._data = a
        self._chans = {}

    def clean(self):
        return self.meta.get("gaps", 0) == 0 and self.start_frame == self.play_start_frame

    def assert_clean(self):
        assert self.clean(), "capture has holes (skipped JACK cycles): %r" % (self.meta,)

    def starved(self, share=0.8):
        """Why this run cannot stand for a sound card, or None: the dummy
        server missed cycles (gaps) or ran its frames at less than `share`
        of the nominal rate against the wall clock (a VM whose host steals
        CPU: half speed was seen with 20 % steal). Timing measured on such
        a run says nothing about the console."""
        m = self.meta
        if m.get("gaps"):
            return "the JACK server missed cycles (%d gaps, %d xruns)" % (m["gaps"], m["xruns"])
        mr = m.get("measured_rate", self.rate)
        if mr < share * self.rate:
            return "the JACK server ran %.0f frames/s of its %d (%d xruns)" % (
                mr, self.rate, m["xruns"])
        return None

    def channel(self, k):
        if k not in self._chans:
            self._chans[k] = self._data[k::self.nch] if self.nch else array("f")
        return self._chans[k]

    def _range(self, start_s, end_s):
        a = 0 if start_s is None else max(0, int(round(start_s * self.rate)))
        b = self.frames if end_s is None else min(self.frames, int(round(end_s * self.rate)))
        if b <= a:
            raise ValueError("empty range %s..%s s" % (start_s, end_s))
        return a, b

    def segment(self, k, start_s=None, end_s=None):
        a, b = self._range(start_s, end_s)
        return self.channel(k)[a:b]

    def rms(self, k, start_s=None, end_s=None):
        x = self.segment(k, start_s, end_s)
        return math.sqrt(math.fsum(v * v for v in x) / len(x))

    def rms_db(self, k, start_s=None, end_s=None):
        return db(self.rms(k, start_s, end_s))

    def peak(self, k, start_s=None, end_s=None):
        x = self.segment(k, start_s, end_s)
        return max(max(x), -min(x))

    def peak_db(self, k, start_s=None, end_s=None):
        return db(self.peak(k, start_s, end_s))

    def max_step(self, k, start_s=None, end_s=None):
        x = self.segment(k, start_s, end_s)
        return max((abs(x[i] - x[i - 1]) for i in range(1, len(x))), default=0.0)

    def first_nonzero(self, k, thresh=0.0):
        """Absolute JACK frame of the first sample with |x| > thresh, or None."""
        for i, v in enumerate(self.channel(k)):
            if abs(v) > thresh:
                return self.start_frame + i
        return None

    def index_of_frame(self, frame):
        return (frame - self.start_frame) & 0xFFFFFFFF

    def envelope(self, k, block_s=0.001):
        """Peak per block of block_s seconds."""
        x = self.channel(k)
        n = max(1, int(round(block_s * self.rate)))
        return [max(max(x[i:i + n]), -min(x[i:i + n])) for i in range(0, len(x) - n + 1, n)]


def dot(a, b):
    return math.fsum(x * y for x, y in zip(a, b))


def correlation(a, b):
    """Normalised correlation of two equally long sequences."""
    ab, aa, bb = dot(a, b), dot(a, a), dot(b, b)
    if aa <= 0 or bb <= 0:
        return 0.0
    return ab / math.sqrt(aa * bb)


def lsq_fit(y, xs):
    """Least-squares gains g such that y ~ sum g_i xs_i; returns (gains,
    residual rms). Pure python; len(xs) is small (1..3)."""
    n = len(xs)
    A = [[dot(xs[i], xs[j]) for j in range(n)] for i in range(n)]
    b = [dot(xs[i], y) for i in range(n)]
    # Gaussian elimination
    M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(M[r][c]))
        M[c], M[p] = M[p], M[c]
        if abs(M[c][c]) < 1e-30:
            raise ValueError("singular fit (silent regressor?)")
        for r in range(n):
            if r != c:
                f = M[r][c] / M[c][c]
                for k in range(c, n + 1):
                    M[r][k] -= f * M[c][k]
    g = [M[i][n] / M[i][i] for i in range(n)]
    res = math.fsum((yv - math.fsum(g[i] * xs[i][t] for i in range(n))) ** 2
                    for t, yv in enumerate(y))
    return g, math.sqrt(res / max(1, len(y)))


def sine_rms_db(dbfs):
    """RMS level (dBFS) of a sine with peak dbfs."""
    return dbfs - 10 * math.log10(2.0)


def sine_max_step(dbfs, freq, rate=48000):
    """Largest |x[n]-x[n-1]| of a sampled sine with that peak."""
    return undb(dbfs) * 2.0 * math.sin(math.pi * freq / rate)


class Probe:
    binary = PROBE

    @staticmethod
    def run(server, play=(), capture=(), seconds=0.5, during=None, wait=5.0, timeout=None,
            expect_rc=0, retries=2, roll_from=None, play_from_roll=False, freewheel=None,
            stop_after_during=False):
        """Play [(port, signal)], capture [ports] for `seconds`.
        `during()` is called in this thread as soon as the probe reports that
        playback and capture have started; the probe keeps capturing while it
        runs. Returns a Capture (capture.during_result holds its result).
        A capture with holes (skipped JACK cycles, meta gaps > 0) is not a
        valid measurement: without `during` it is repeated up to `retries`
        times; check cap.clean() / cap.assert_clean() where it matters.
        play_from_roll: signals are silent until the transport rolls, then
        sample n is the transport frame (jm_probe --play-from-roll; with
        roll_from the transport starts once capture runs).
        freewheel=SPEED: JACK freewheel mode while the probe runs, paced to
        SPEED x real time (jm_probe --freewheel): faster than real time,
        every client still runs every cycle. The dummy driver's -w cannot
        do that in jackd2: it sets the period from the wait instead.
        stop_after_during: interrupt the probe (SIGINT: it writes what it
        captured) as soon as during() returns, for a run whose `seconds` is
        only an upper bound for what during() waits for."""
        for attempt in range(retries + 1):
            cap = Probe._run1(server, play, capture, seconds, during, wait, timeout, expect_rc,
                              roll_from, play_from_roll, freewheel, stop_after_during)
            if cap.clean() or during is not None or expect_rc != 0:
                break
        return cap

    @staticmethod
    def _run1(server, play, capture, seconds, during, wait, timeout, expect_rc, roll_from=None,
              play_from_roll=False, freewheel=None, stop_after_during=False):
        name = server.name if isinstance(server, JackServer) else server
        if not os.path.exists(Probe.binary):
            raise ProbeError("%s is not built" % Probe.binary)
        d = mkdtemp("jmtp")
        out = os.path.join(d, "cap.raw")
        cmd = [Probe.binary, "--server", name, "--seconds", "%g" % seconds, "--out", out,
               "--wait", "%g" % wait]
        for port, sig in play:
            cmd += ["--play", port, "--signal", sig]
        for port in capture:
            cmd += ["--capture", port]
        if roll_from is not None:
            cmd += ["--roll-from", "%d" % roll_from]
        if play_from_roll:
            cmd += ["--play-from-roll"]
        if freewheel:
            cmd += ["--freewheel", "%g" % freewheel]
        errpath = os.path.join(d, "stderr")
        with open(errpath, "wb") as errf:
            p = _track(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf,
                                        stdin=subprocess.DEVNULL, env=env(name)))
        started = None
        during_result = None
        to = timeout if timeout is not None else seconds + wait + 20
        try:
            line = p.stdout.readline().decode(errors="replace")
            if line.startswith("START"):
                started = time.monotonic()
                if during is not None:
                    during_result = during()
                    if stop_after_during and p.poll() is None:
                        p.send_signal(signal.SIGINT)
                        expect_rc = (expect_rc, 4)  # 4: interrupted, what it had written
            rest = p.communicate(timeout=to)[0]
        except BaseException:
            p.kill()
            p.wait()
            raise
        err = open(errpath, errors="replace").read()
        if p.returncode not in (expect_rc if isinstance(expect_rc, tuple) else (expect_rc,)):
            raise ProbeError("jm_probe exited with %s (expected %s): %s" % (
                p.returncode, expect_rc, err.strip()[-1500:]))
        try:
            with open(out + ".json") as f:
                meta = json.load(f)
            with open(out, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise ProbeError("jm_probe wrote no output: %s; stderr: %s" % (e, err[-1500:]))
        cap = Capture(raw, meta, started)
        cap.during_result = during_result
        cap.stderr = err
        cap.returncode = p.returncode
        subprocess.call(["rm", "-rf", d])
        return cap


# --------------------------------------------------------------------------
# a MIDI surface: tests/tools/jm_midi

MIDI_TOOL = os.path.join(ROOT, "build", "tools", "jm_midi")


def midi_hex(msg):
    """bytes / list of ints / "b0 0a 00" -> "b0 0a 00" (lower case)."""
    if isinstance(msg, str):
        return " ".join(msg.split()).lower()
    return " ".join("%02x" % b for b in msg)


class Midi:
    """jm_midi, a JACK MIDI client standing in for a control surface
    (tests/tools/jm_midi.c). By default its out goes to CLIENT:midi_in and
    CLIENT:midi_out comes to its in.

    One shot: Midi.run(server, send=["b0 0a 00"], seconds=0.3) -> result.
    Live: with Midi(server) as m: m.send("b0 0a 00"); m.wait(0.1); r = m.stop()
    (messages go out at once; stop() ends the run and returns the result).
    result: dict with rate, sent, send_failed, lost and received: a list of
    (frame, "b0 0a 00") for everything that came in on its input."""

    def __init__(self, server, client="jmixd", name=None, to=None, frm=None, seconds=0.3,
                 flood=None, flood_msg=None, send=(), gap_ms=None):
        self.server = server.name if isinstance(server, JackServer) else server
        self.name = name or unique_name("jmtmidi")
        self.to = ["%s:midi_in" % client] if to is None else list(to)
        self.frm = ["%s:midi_out" % client] if frm is None else list(frm)
        self.seconds = seconds
        self.flood = flood
        self.flood_msg = flood_msg
        self.sends = [midi_hex(m) for m in send]
        self.gap_ms = gap_ms
        self.proc = None
        self.result = None

    def cmdline(self, live):
        if not os.path.exists(MIDI_TOOL):
            raise ProbeError("%s is not built" % MIDI_TOOL)
        cmd = [MIDI_TOOL, "--server", self.server, "--name", self.name,
               "--seconds", "%g" % self.seconds]
        for p in self.to:
            cmd += ["--to", p]
        for p in self.frm:
            cmd += ["--from", p]
        for m in self.sends:
            cmd += ["--send", m]
        if self.gap_ms is not None:
            cmd += ["--gap-ms", "%g" % self.gap_ms]
        if self.flood:
            cmd += ["--flood", "%g:%g" % tuple(self.flood)]
        if self.flood_msg:
            cmd += ["--flood-msg", midi_hex(self.flood_msg)]
        if live:
            cmd += ["--stdin"]
        return cmd

    def start(self, live=True, timeout=10.0):
        self.proc = _track(subprocess.Popen(self.cmdline(live), stdout=subprocess.PIPE,
                                            stdin=subprocess.PIPE if live else subprocess.DEVNULL,
                                            stderr=subprocess.PIPE, env=env(self.server)))
        line = self._readline(timeout)
        if line.strip() != "ready":
            self.proc.kill()
            err = self.proc.communicate()[1].decode(errors="replace")
            raise ProbeError("jm_midi did not start (%r): %s" % (line, err.strip()[-800:]))
        return self

    def _readline(self, timeout):
        import select
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().decode(errors="replace") if r else ""

    def send(self, *msgs):
        """Messages (hex strings or byte lists) to send now, in order."""
        for m in msgs:
            self.proc.stdin.write((midi_hex(m) + "\n").encode())
        self.proc.stdin.flush()

    def pause(self, ms):
        """Let jm_midi wait ms before it reads the next message."""
        self.proc.stdin.write(("wait %g\n" % ms).encode())
        self.proc.stdin.flush()

    def stop(self, timeout=20.0):
        """End the input; jm_midi records --seconds more, then reports."""
        if self.result is not None:
            return self.result
        # EOF on its stdin (live) ends the input
        out, err = self.proc.communicate(input=b"" if self.proc.stdin else None, timeout=timeout)
        text = out.decode(errors="replace").strip().splitlines()
        if self.proc.returncode != 0 or not text:
            raise ProbeError("jm_midi exited with %s: %s" % (
                self.proc.returncode, err.decode(errors="replace").strip()[-800:]))
        r = json.loads(text[-1])
        r["received"] = [(f, h) for f, h in r["received"]]
        self.result = r
        return r

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.result is None and self.proc and self.proc.poll() is None:
            self.stop()

    @staticmethod
    def run(server, send=(), seconds=0.3, **kw):
        """Play `send` (gap: one cycle, or gap_ms) and record `seconds` more."""
        m = Midi(server, send=send, seconds=seconds, **kw)
        m.start(live=False, timeout=10.0)
        return m.stop(timeout=seconds + 30.0 + (m.flood[1] if m.flood else 0))

    @staticmethod
    def messages(result, prefix=""):
        """The received messages (hex strings) that start with prefix."""
        return [h for _, h in result["received"] if h.startswith(midi_hex(prefix))]


# --------------------------------------------------------------------------
# the server's frame clock, read as the console reads it



def npm_install(package_json, prefix, what):
    """Install the exact versions package_json pins into prefix (a folder
    under build/) with npm, unless they are there already. None when they
    are, else why not (npm's own first error lines: ECONNREFUSED, E404...)."""
    import shutil
    with open(package_json) as f:
        want = json.load(f)["dependencies"]

    def installed(pkg):
        try:
            with open(os.path.join(prefix, "node_modules", pkg, "package.json")) as f:
                return json.load(f).get("version")
        except (OSError, ValueError):
            return None

    if all(installed(p) == v for p, v in want.items()):
        return None
    os.makedirs(prefix, exist_ok=True)
    shutil.copy(package_json, os.path.join(prefix, "package.json"))
    try:
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", prefix],
                           cwd=prefix, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "cannot install %s: %s" % (what, e)
    if r.returncode != 0:
        # the rest of npm's output is a stack trace and the path of its log
        why = [ln for ln in r.stdout.splitlines() if ln.startswith("npm error") and
               not ln.startswith("npm error     at ")][:4]
        return "cannot install %s with npm (exit %d): %s" % (
            what, r.returncode, " / ".join(why or r.stdout.strip().splitlines()[-3:])[:500])
    bad = [p for p, v in want.items() if installed(p) != v]
    return "npm installed other versions of %s" % ", ".join(bad) if bad else None


# Debian's Chromium driven by playwright-core (tests/web/package.json pins
# the version) from node scripts in tests/web: the web surface's tests.
CHROMIUM = "/usr/bin/chromium"
WEBTEST_DIR = os.path.join(ROOT, "build", "webtest")
WEB_PACKAGE = os.path.join(ROOT, "tests", "web", "package.json")


def browser_unavailable():
    """None when Chromium and playwright-core can run, else the reason."""
    import shutil
    if not os.path.exists(CHROMIUM):
        return "%s is not installed (scripts/deps.sh installs Debian's chromium)" % CHROMIUM
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm are not installed (scripts/deps.sh installs nodejs and npm)"
    return npm_install(WEB_PACKAGE, WEBTEST_DIR, "playwright-core")


class BrowserDriver:
    """A node driver script (tests/web/*_driver.js) running Chromium: one
    JSON command per line in, one JSON answer per line out
    ({"ok": true, ...} or {"ok": false, "error": ...})."""

    def __init__(self, driver):
        import queue
        import threading
        env = dict(os.environ)
        env["NODE_PATH"] = os.path.join(WEBTEST_DIR, "node_modules")
        self.profile = mkdtemp("jmtchromium")
        self.p = _track(subprocess.Popen(
            ["node", driver, CHROMIUM, self.profile], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def cmd(self, timeout=30, **c):
        import queue
        self.p.stdin.write(json.dumps(c) + "\n")
        self.p.stdin.flush()
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("browser driver: no answer to %s" % c["cmd"])
        if line is None:
            raise AssertionError("browser driver exited: %s" % self.p.stderr.read()[-2000:])
        r = json.loads(line)
        if not r.get("ok"):
            raise AssertionError("browser driver, %s: %s" % (c["cmd"], r.get("error")))
        return r

    def close(self):
        try:
            self.cmd(cmd="quit", timeout=10)
        except (AssertionError, OSError, ValueError):
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()

def jack_client(server, prefix):
    """(lib, client): libjack through ctypes with the prototypes the tests
    use, and a client on `server` that is opened and never activated, so it
    takes no part in the graph and cannot slow a synchronous server down.
    Close it with lib.jack_client_close(client)."""
    import ctypes
    import ctypes.util
    name = server.name if isinstance(server, JackServer) else server
    lib = ctypes.CDLL(ctypes.util.find_library("jack") or "libjack.so.0")
    vp, u32 = ctypes.c_void_p, ctypes.c_uint32
    for fn, res, args in (
            ("jack_client_open", vp, [ctypes.c_char_p, ctypes.c_int,
                                      ctypes.POINTER(ctypes.c_int), ctypes.c_char_p]),
            ("jack_client_close", ctypes.c_int, [vp]),
            ("jack_frame_time", u32, [vp]),
            ("jack_get_time", ctypes.c_uint64, []),
            ("jack_get_sample_rate", u32, [vp]),
            ("jack_transport_locate", ctypes.c_int, [vp, u32]),
            ("jack_transport_start", None, [vp]),
            ("jack_transport_stop", None, [vp]),
            ("jack_get_current_transport_frame", u32, [vp]),
            ("jack_transport_query", ctypes.c_int, [vp, vp]),
            ("jack_get_cycle_times", ctypes.c_int,
             [vp, ctypes.POINTER(u32), ctypes.POINTER(ctypes.c_uint64),
              ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_float)])):
        f = getattr(lib, fn)
        f.restype, f.argtypes = res, args
    status = ctypes.c_int(0)
    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    # JackNoStartServer (0x01) | JackServerName (0x04)
    client = lib.jack_client_open(unique_name(prefix).encode(), 0x05, ctypes.byref(status),
                                  name.encode())
    if not client:
        raise RuntimeError("cannot open a JACK client on %s (status 0x%x)" % (name, status.value))
    return lib, client


def cycle_frame(lib, client):
    """jack_get_cycle_times' current_frames for a jack_client (lib, client)."""
    import ctypes
    f, cu, nu, pu = ctypes.c_uint32(), ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_float()
    if lib.jack_get_cycle_times(client, ctypes.byref(f), ctypes.byref(cu), ctypes.byref(nu),
                                ctypes.byref(pu)) != 0:
        raise RuntimeError("jack_get_cycle_times failed")
    return f.value


def x32_norm(db):
    """The X32 fader law's inverse (docs/dsp.md): dB -> fader position 0..1."""
    if db <= -90:
        return 0.0
    if db < -60:
        return (db + 90) / 480
    if db < -30:
        return (db + 70) / 160
    if db < -10:
        return (db + 50) / 80
    return min(1.0, (db + 30) / 40)


def x32_db(f):
    """The X32 fader law (docs/dsp.md): fader position 0..1 -> dB."""
    if f <= 0:
        return -90.0
    if f < 0.0625:
        return f * 480 - 90
    if f < 0.25:
        return f * 160 - 70
    if f < 0.5:
        return f * 80 - 50
    return f * 40 - 30


def assert_unharmed(baseline, loaded, what, realtime, xrun_noise, holes=True):
    """A run under `what` (a flood, an abuse) against the same run without
    it, both Captures: no holes in the loaded capture (when `holes`), and on
    a realtime server no more xruns than the baseline's plus `xrun_noise`,
    the dummy driver's own run-to-run noise (a load that reaches the audio
    thread costs hundreds). When the baseline itself starves (a VM host
    stealing CPU), holes and xruns measure the host: noted, not asserted."""
    why = baseline.starved()
    if why:
        note("NOT asserted: holes and xruns, because %s in the run without %s" % (why, what))
        return
    if holes:
        assert loaded.clean(), "capture during %s has holes: %r" % (what, loaded.meta)
    x0, x1 = baseline.meta["xruns"], loaded.meta["xruns"]
    if realtime:
        assert x1 <= x0 + xrun_noise, "%s caused xruns: %d with it, %d in the same run " \
            "without it" % (what, x1, x0)


def frame_step(last, now):
    """Frames from JACK frame time `last` to `now`, both 32-bit: the counter
    unwrapped, signed (an estimate between two cycles may step back a
    little). Read at least once every ~12 hours (2^31 frames at 48 kHz)."""
    return ((now - last + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


class FrameClock:
    """Samples a JACK server's frame clock against JACK's microsecond clock,
    (jack_get_time(), jack_frame_time()) every `tick` seconds, from a client
    of its own that is opened but never activated: it takes no part in the
    graph, so it cannot slow a synchronous server down. This is how the
    console models the clock it maps OSC timetags with (a least-squares line
    through such samples), so a test can work out which frame the console
    gives a timetag.

        with FrameClock(js) as clk: ...; clk.now_us(); clk.slope(until_us)
    """

    def __init__(self, server, tick=0.02):
        import threading
        self.server = server.name if isinstance(server, JackServer) else server
        self.lib, self.client = jack_client(server, "jmclk")
        self.rate = self.lib.jack_get_sample_rate(self.client)
        self.tick = tick
        self.samples = []       # (microseconds, unwrapped frame time)
        self._last = None
        self._frames = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def now_us(self):
        return self.lib.jack_get_time()

    def _sample(self):
        lib = self.lib
        u0 = lib.jack_get_time()
        f = lib.jack_frame_time(self.client)
        u1 = lib.jack_get_time()
        if u1 - u0 > 500:       # this thread was preempted between the readings
            return
        if self._last is None:
            self._frames = f
        else:
            self._frames += frame_step(self._last, f)
        self._last = f
        with self._lock:
            self.samples.append(((u0 + u1) // 2, self._frames))

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.tick)

    def fit(self, until_us, window_s=2.56):
        """The least-squares line frames = mf + b * (us - mu) * 1e-6 through
        the samples of the window_s seconds before until_us: (mu, mf, b),
        b in frames per second of JACK time."""
        with self._lock:
            pts = [(u, f) for u, f in self.samples if until_us - window_s * 1e6 <= u <= until_us]
        if len(pts) < 8:
            raise RuntimeError("FrameClock: %d samples in the window" % len(pts))
        u0 = pts[0][0]
        xs = [(u - u0) * 1e-6 for u, _ in pts]
        ys = [float(f) for _, f in pts]
        mx, my = math.fsum(xs) / len(xs), math.fsum(ys) / len(ys)
        sxx = math.fsum((x - mx) ** 2 for x in xs)
        sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys))
        return u0 + mx * 1e6, my, sxy / sxx

    def jitter(self, until_us, window_s=2.56):
        """RMS distance in frames of the window's samples from its fitted
        line: how unevenly the server ran (a few frames on a quiet machine;
        hundreds while it misses cycles and catches up)."""
        mu, mf, b = self.fit(until_us, window_s)
        with self._lock:
            pts = [(u, f) for u, f in self.samples if until_us - window_s * 1e6 <= u <= until_us]
        return math.sqrt(math.fsum((f - (mf + b * (u - mu) * 1e-6)) ** 2 for u, f in pts)
                         / len(pts))

    def predict(self, at_us, until_us, window_s=2.56, limit=0.1):
        """The frame (unwrapped, in this clock's count) that the line fitted
        at until_us gives for JACK time at_us; a slope more than `limit` off
        the nominal rate is replaced by the nominal rate, as the console
        does with a fit it cannot trust yet."""
        mu, mf, b = self.fit(until_us, window_s)
        if not (1 - limit) * self.rate < b < (1 + limit) * self.rate:
            b = self.rate
        return mf + b * (at_us - mu) * 1e-6

    def cycle_frame(self):
        """The frame at the start of the server's current cycle (32 bits),
        from jack_get_cycle_times: no estimate between cycles, so it never
        runs ahead of the cycle being processed (jack_frame_time does while
        a cycle is late, and falls behind in a catch-up burst)."""
        return cycle_frame(self.lib, self.client)

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        if self.client:
            self.lib.jack_client_close(self.client)
            self.client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class AudioClock:
    """Seconds of audio a JACK server has run, from its frame clock (read by
    a never-activated client). On a sound card audio seconds are wall
    seconds; a dummy server on a loaded machine runs slower than the wall
    clock, by a share that varies, so anything the console counts in frames
    (recordings, meter periods, loudness windows) is timed against this.

        with AudioClock(js) as ac: t0 = ac.seconds(); ...; ac.seconds() - t0
    """

    def __init__(self, server):
        self.lib, self.client = jack_client(server, "jmaclk")
        self.rate = float(self.lib.jack_get_sample_rate(self.client))
        self._last = self.lib.jack_frame_time(self.client)
        self._frames = 0

    def seconds(self):
        """Audio seconds since this clock was opened (the 32-bit frame
        counter unwrapped; call at least once every ~12 hours)."""
        f = self.lib.jack_frame_time(self.client)
        self._frames += frame_step(self._last, f)
        self._last = f
        return self._frames / self.rate

    def frame(self):
        """The server's frame time now (32 bits, as Capture.index_of_frame
        takes it): marks an instant in a capture's frames. Between cycles it
        is JACK's estimate, which runs ahead while a cycle is late."""
        return self.lib.jack_frame_time(self.client)

    def close(self):
        if self.client:
            self.lib.jack_client_close(self.client)
            self.client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# --------------------------------------------------------------------------
# sessions

def session_text(strips, master_output=(), jack_name=None, osc_extra="", extra=""):
    """A session in libconfig. strips: list of dicts name, channels, input,
    plus any other keys written verbatim (values must be libconfig text)."""
    out = []
    if jack_name:
        out.append('jack = { name = "%s"; };' % jack_name)
    if osc_extra:
        out.append("osc = { %s };" % osc_extra)
    items = []
    for s in strips:
        parts = ['name = "%s";' % s["name"]]
        if s.get("channels", 1) != 1:
            parts.append("channels = %d;" % s["channels"])
        parts.append("input = [ %s ];" % ", ".join('"%s"' % p for p in s.get("input", [])))
        for k, v in s.items():
            if k not in ("name", "channels", "input"):
                parts.append("%s = %s;" % (k, v))
        items.append("  { " + " ".join(parts) + " }")
    out.append("strips = (\n" + ",\n".join(items) + "\n);")
    out.append("master = { output = [ %s ]; };" %
               ", ".join('"%s"' % p for p in master_output))
    if extra:
        out.append(extra)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# sound files through libsndfile (ctypes; the library jmixd itself links)

SF_FORMAT_WAV, SF_FORMAT_AIFF, SF_FORMAT_FLAC = 0x010000, 0x020000, 0x170000
SF_FORMAT_PCM_16, SF_FORMAT_PCM_24, SF_FORMAT_FLOAT = 0x0002, 0x0003, 0x0006
SF_FORMAT_TYPEMASK, SF_FORMAT_SUBMASK = 0x0FFF0000, 0x0000FFFF
_sndfile = None


def _libsndfile():
    global _sndfile
    if _sndfile is None:
        import ctypes
        import ctypes.util

        class SF_INFO(ctypes.Structure):
            _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int),
                        ("channels", ctypes.c_int), ("format", ctypes.c_int),
                        ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]
        lib = ctypes.CDLL(ctypes.util.find_library("sndfile") or "libsndfile.so.1")
        lib.sf_open.restype = ctypes.c_void_p
        lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(SF_INFO)]
        lib.sf_readf_float.restype = ctypes.c_int64
        lib.sf_readf_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        lib.sf_writef_float.restype = ctypes.c_int64
        lib.sf_writef_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        lib.sf_close.argtypes = [ctypes.c_void_p]
        lib.sf_strerror.restype = ctypes.c_char_p
        lib.sf_strerror.argtypes = [ctypes.c_void_p]
        _sndfile = (lib, SF_INFO, ctypes)
    return _sndfile


def sound_read(path):
    """Read any file libsndfile opens -> (info dict: rate, channels, frames,
    format, major, sub), array('f') of interleaved samples). Raises
    OSError when libsndfile cannot open it (e.g. a broken header)."""
    lib, SF_INFO, ctypes = _libsndfile()
    info = SF_INFO()
    h = lib.sf_open(path.encode(), 0x10, ctypes.byref(info))  # SFM_READ
    if not h:
        raise OSError("libsndfile cannot open %s: %s" % (
            path, lib.sf_strerror(None).decode(errors="replace")))
    try:
        total = info.frames * info.channels
        data = array("f", bytes(4 * total))
        addr, _ = data.buffer_info()
        got = lib.sf_readf_float(h, addr, info.frames) if info.frames else 0
    finally:
        lib.sf_close(h)
    if got < info.frames:
        del data[got * info.channels:]
    meta = {"rate": info.samplerate, "channels": info.channels, "frames": got,
            "header_frames": info.frames, "format": info.format,
            "major": info.format & SF_FORMAT_TYPEMASK, "sub": info.format & SF_FORMAT_SUBMASK}
    return meta, data


def sound_write(path, channels, rate=48000, fmt=SF_FORMAT_WAV | SF_FORMAT_FLOAT):
    """Write channels (equal-length float sequences) through libsndfile;
    the default is a 32-bit float WAV, so float samples survive exactly."""
    lib, SF_INFO, ctypes = _libsndfile()
    nch, n = len(channels), len(channels[0])
    inter = array("f", bytes(4 * n * nch))
    for c, ch in enumerate(channels):
        inter[c::nch] = ch if isinstance(ch, array) and ch.typecode == "f" else array("f", ch)
    info = SF_INFO(0, rate, nch, fmt, 0, 0)
    h = lib.sf_open(path.encode(), 0x20, ctypes.byref(info))  # SFM_WRITE
    if not h:
        raise OSError("libsndfile cannot create %s: %s" % (
            path, lib.sf_strerror(None).decode(errors="replace")))
    try:
        addr, _ = inter.buffer_info()
        wrote = lib.sf_writef_float(h, addr, n)
    finally:
        lib.sf_close(h)
    if wrote != n:
        raise OSError("short write to %s (%d of %d frames)" % (path, wrote, n))


# --------------------------------------------------------------------------
# helpers for a console (tests/integration/conftest.py starts it)

def settle(c, pause=0.1):
    """Every message sent so far has been applied (a query is answered after
    them), then the audio smoothing has settled."""
    c.query("/info")
    c.drain(0)
    time.sleep(pause)
