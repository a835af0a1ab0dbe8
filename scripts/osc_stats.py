#!/usr/bin/env python3
"""Ask a running jmixd for /stats/64 over OSC and print the values
(make bench; docs/osc.md "/stats").

    osc_stats.py PORT [NAME...]

Without names: all sixteen values on one line. With names (osc_denied ...
cycle_median_ns cycle_p99_ns cycle_max_ns cycles): those, in that order.
Exit 1 when no answer comes within 2 s."""
import socket
import struct
import sys

NAMES = ["osc_denied", "osc_malformed", "osc_rejected", "requests_dropped",
         "commands_dropped", "xruns", "send_errors", "loudness_dropped", "errors_suppressed",
         "rta_blocks", "midi_in_dropped", "midi_out_dropped", "cycle_median_ns",
         "cycle_p99_ns", "cycle_max_ns", "cycles"]


def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def main():
    port = int(sys.argv[1])
    want = sys.argv[2:]
    for n in want:
        if n not in NAMES:
            sys.exit("osc_stats: unknown value %r (one of %s)" % (n, " ".join(NAMES)))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(2.0)
    s.sendto(pad(b"/stats/64") + pad(b","), ("127.0.0.1", port))
    while True:
        try:
            data = s.recv(65536)
        except socket.timeout:
            sys.exit(1)
        addr, rest = data.split(b"\0", 1)
        if addr != b"/stats/64":
            continue
        off = (len(addr) + 4) // 4 * 4
        tags = data[off:data.index(b"\0", off)]
        off += (len(tags) + 4) // 4 * 4
        vals = struct.unpack(">%dq" % (len(tags) - 1), data[off:off + 8 * (len(tags) - 1)])
        got = dict(zip(NAMES, vals))
        print(" ".join(str(got[n]) for n in (want or NAMES)))
        return


if __name__ == "__main__":
    main()
