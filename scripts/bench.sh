#!/usr/bin/env bash
# make bench (docs/performance.md): the offline strip benchmark (build/bench/bench_dsp),
# then jmixd and jack_mix_box side by side on one JACK dummy server.
# make stress (--stress): 256 full mono strips on a realtime dummy server for
# 60 s; fails on any xrun. Not part of make check.
#
# Environment: BENCH_CHANNELS (64), BENCH_LIVE_SECONDS (10), BENCH_RUNS (15),
# BENCH_SECONDS (1: audio seconds per offline run), BENCH_OFFLINE (0: skip
# the offline part), BENCH_COMPARE (0: skip the jack_mix_box comparison),
# BENCH_GROWTH (0: skip the growth table), BENCH_GROWTH_STRIPS (8 64 256 512),
# BENCH_GROWTH_PERIODS (32 128 256), STRESS_STRIPS (256), STRESS_SECONDS (60),
# STRESS_BASELINE_SECONDS (20: first the same server with the noise player
# alone, to show what the machine does without jmixd; 0 skips it),
# JMIXD_SIMD (kernel choice, see include/jmixd/engine/mixer.h), JMIXD_BIN
# (the daemon to measure, default build/jmixd: to compare two builds).
set -u
cd "$(dirname "$0")/.."
export JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1

mode=bench
[ "${1:-}" = "--stress" ] && mode=stress
CH=${BENCH_CHANNELS:-64}
LIVE_S=${BENCH_LIVE_SECONDS:-10}
RATE=48000
PERIOD=64

work=$(mktemp -d /tmp/jmbench.XXXXXX)
server="jmbench_$$"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A session of N mono strips with the full strip of bench_dsp.c (HPF, gate
# open on the noise, 4 EQ bands, compressor compressing, fader, pan, two
# sends) and a reverb and a delay bus.
make_session() {
    local n=$1 f=$2
    {
        echo 'jack = { name = "jmbench"; };'
        echo 'buses = ( { name = "verb"; type = "reverb"; }, { name = "echo"; type = "delay"; } );'
        echo 'strips = ('
        for ((i = 1; i <= n; i++)); do
            pan=$(awk -v i="$i" -v n="$n" 'BEGIN { printf "%.3f", (n > 1 ? -0.8 + 1.6 * (i - 1) / (n - 1) : 0) }')
            sep=","; [ "$i" -eq "$n" ] && sep=""
            echo "  { name = \"s$i\"; input = [ ]; trim = 2.0; fader = -6.0; pan = $pan;"
            echo "    hpf = { on = true; freq = 90.0; };"
            echo "    gate = { on = true; threshold = -60.0; range = 40.0; attack = 2.0; hold = 30.0; release = 150.0; };"
            echo "    eq = { on = true; band1 = { gain = 3.0; }; band2 = { freq = 350.0; gain = -4.0; q = 1.5; };"
            echo "           band3 = { freq = 3000.0; gain = 2.5; }; band4 = { gain = -3.0; }; };"
            echo "    comp = { on = true; threshold = -30.0; ratio = 4.0; attack = 5.0; release = 80.0; knee = 6.0; makeup = 6.0; };"
            echo "    send = { verb = { level = -10.0; }; echo = { level = -14.0; pre = true; }; }; }$sep"
        done
        echo ');'
    } > "$f"
}

free_udp_port() {
    python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_jackd() { # $1: -R or --no-realtime; $2: period (default $PERIOD)
    jackd "$1" -n "$server" -d dummy -r "$RATE" -p "${2:-$PERIOD}" > "$work/jackd.log" 2>&1 &
    jackd_pid=$!
    pids+=("$jackd_pid")
    for _ in $(seq 100); do
        jack_lsp --server "$server" > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench: jackd did not start:"; cat "$work/jackd.log"; return 1
}

wait_ports() { # $1: port name that must exist
    for _ in $(seq 150); do
        jack_lsp --server "$server" 2>/dev/null | grep -qxF "$1" && return 0
        sleep 0.1
    done
    echo "bench: port $1 did not appear"; return 1
}

# CPU nanoseconds used so far by every thread of a process.
cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
}

start_jmixd() { # $1: strips; sets jmixd_pid, jmixd_port
    make_session "$1" "$work/session.cfg"
    jmixd_port=$(free_udp_port)
    "${JMIXD_BIN:-build/jmixd}" "$work/session.cfg" --server "$server" --osc-port "$jmixd_port" -q \
        > "$work/jmixd.log" 2>&1 &
    jmixd_pid=$!
    pids+=("$jmixd_pid")
    wait_ports "jmbench:s$1" || { cat "$work/jmixd.log"; return 1; }
}

# jmixd render as a user runs it: 16 full strips (the session above: buses,
# master limiter), each fed a 60 s mono noise stem (-18 dBFS, 16-bit WAV),
# into a 32-bit float WAV. Audio seconds per CPU second (all threads:
# reading, mixing, the loudness meter, writing), best of 3.
render_bench() {
    local secs=${BENCH_RENDER_SECONDS:-60} stems=() best
    echo "== offline: jmixd render, 16 full mono strips, reverb and delay buses, master limiter,"
    echo "   ${secs} s of noise stems (16-bit WAV) into a 32-bit float WAV"
    make_session 16 "$work/render.cfg"
    python3 - "$work/noise.wav" "$secs" "$RATE" <<'PY' || return 1
import array, os, sys, wave
path, secs, rate = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
raw = array.array("h", os.urandom(2 * int(secs * rate)))
pcm = array.array("h", (v >> 3 for v in raw))   # about -18 dBFS
with wave.open(path, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate); w.writeframes(pcm.tobytes())
PY
    for ((i = 1; i <= 16; i++)); do stems+=(--stem "s$i=$work/noise.wav"); done
    best=$(python3 - "$secs" build/jmixd render "$work/render.cfg" -o "$work/render.wav" "${stems[@]}" <<'PY'
import resource, subprocess, sys
secs, cmd, best = float(sys.argv[1]), sys.argv[2:], 0.0
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode:
        sys.exit("render failed: " + r.stderr.strip())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    best = max(best, secs / cpu)
print("%.0f" % best)
PY
) || { echo "bench: $best"; return 1; }
    echo "render speed: ${best}x real time (audio seconds per CPU second, whole process, best of 3)"
}

if [ "$mode" = stress ]; then
    N=${STRESS_STRIPS:-256}
    S=${STRESS_SECONDS:-60}
    B=${STRESS_BASELINE_SECONDS:-20}
    echo "== stress: $N mono strips, full strip, realtime (-R) dummy server, ${RATE} Hz / $PERIOD frames, ${S} s"
    start_jackd -R || exit 1
    if [ "$B" -gt 0 ]; then # the machine alone: the noise player, no mixer
        build/bench/bench_noise --server "$server" --name baseline --ports "$N" --seconds "$B" \
            > "$work/base.out" 2> /dev/null
        read -r _ bxr _ bcyc < "$work/base.out" || { bxr=-1; bcyc=0; }
        bjx=$(grep -ci 'xrun' "$work/jackd.log")
        echo "baseline without jmixd, ${B} s: cycles $bcyc, xruns $bxr (jackd log lines: $bjx)"
        lines0=$(wc -l < "$work/jackd.log")
    else
        lines0=0
    fi
    start_jmixd "$N" || exit 1
    build/bench/bench_noise --server "$server" --ports "$N" --connect "jmbench:s%d" \
        --seconds "$S" > "$work/noise.out" 2> "$work/noise.err" &
    noise_pid=$!
    # realtime threads of other processes (other JACK servers and clients
    # preempt this run when their priority is higher), sampled during it
    : > "$work/foreign"
    ( while kill -0 "$noise_pid" 2>/dev/null; do
        ps -eLo pid=,cls=,rtprio=,comm= | awk -v a="$jackd_pid" -v b="$jmixd_pid" -v c="$noise_pid" \
            '($2 == "FF" || $2 == "RR") && $1 != a && $1 != b && $1 != c && $4 !~ /^(migration|watchdog|irq)/ { print $1, $3, $4 }'
        sleep 1
      done | sort -u > "$work/foreign" ) &
    sleep 2
    # scheduling policy (stat field 41: 1 SCHED_FIFO, 2 SCHED_RR) and priority of jmixd's threads
    rt=$(for t in /proc/"$jmixd_pid"/task/*; do sed 's/.*) //' "$t/stat" | awk '$39 == 1 || $39 == 2 { print "FIFO/RR prio " $38 }'; done | sort | uniq -c | tr '\n' ' ')
    echo "jmixd realtime threads: ${rt:-none}"
    wait "$noise_pid"
    rc=$?
    cat "$work/noise.err"
    read -r _ xr _ cyc < "$work/noise.out" || { xr=-1; cyc=0; }
    tail -n +"$((lines0 + 1))" "$work/jackd.log" > "$work/jackd.run"
    jx=$(grep -ci 'xrun' "$work/jackd.run")
    late=$(grep -c 'client = jmbench was not finished' "$work/jackd.run")
    drv=$(grep -c 'TimedDriver::Process XRun' "$work/jackd.run")
    echo "with jmixd, ${S} s: cycles $cyc, xruns $xr (jackd log lines: $jx; jmixd not finished" \
         "in time: $late; the dummy driver itself woke late: $drv)"
    if [ "$rc" -eq 0 ] && [ "$xr" -eq 0 ] && [ "$jx" -eq 0 ] && [ "$cyc" -gt 0 ]; then
        echo "stress: PASS (zero xruns)"; exit 0
    fi
    grep -o 'client = .* was not finished, state = [A-Za-z]*' "$work/jackd.run" | sort | uniq -c |
        sed 's/^/  late clients (Triggered: not started yet; Running: still working): /'
    [ "$B" -gt 0 ] && [ "${bxr:-0}" -gt 0 ] &&
        echo "note: this machine misses deadlines without jmixd too (baseline above)"
    if [ -s "$work/foreign" ]; then
        echo "note: other processes ran realtime threads during the run (pid, priority, name):"
        awk '{ print "  " $0 }' "$work/foreign" | sort -u -k1,1 | head -8
    fi
    echo "stress: FAIL"; exit 1
fi

if [ "${BENCH_OFFLINE:-1}" != 0 ]; then
    echo "== offline: build/bench/bench_dsp (strip section of jm_mixer_process)"
    build/bench/bench_dsp --runs "${BENCH_RUNS:-15}" --seconds "${BENCH_SECONDS:-1}" || exit 1
    echo
    echo "== offline: build/bench/bench_rta (the 1/3-octave analyser of /rta/source)"
    build/bench/bench_rta --runs 5 --seconds 10 || exit 1
    echo
    echo "== offline: build/bench/bench_cyclehist (what timing each process cycle costs)"
    build/bench/bench_cyclehist || exit 1
    echo
    render_bench || exit 1
fi

if [ "${BENCH_COMPARE:-1}" != 0 ]; then
echo
echo "== live: jmixd and jack_mix_box, $CH mono channels each, the same noise, one JACK dummy server"
echo "   (${RATE} Hz, $PERIOD frames, --no-realtime; JMIXD_SIMD=${JMIXD_SIMD:-auto})"
if ! command -v jack_mix_box > /dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "bench: installing jack-mixer (jack_mix_box)" >&2
        export DEBIAN_FRONTEND=noninteractive
        { apt-get install -y -q --no-install-recommends jack-mixer ||
            { apt-get update -q && apt-get install -y -q --no-install-recommends jack-mixer; }; } >&2
    fi
    command -v jack_mix_box > /dev/null ||
        { echo "bench: jack_mix_box (Debian package jack-mixer) is missing; live part skipped"; exit 1; }
fi
start_jackd --no-realtime || exit 1
start_jmixd "$CH" || exit 1
# jack_mix_box: one mono channel per MIDI CC number 1..CH. It sometimes
# crashes while it starts up (jack-mixer 17); then it is started again.
ccs=$(seq 1 "$CH")
for try in 1 2 3; do
    JACK_DEFAULT_SERVER="$server" jack_mix_box -n mixbox $ccs > "$work/mixbox.log" 2>&1 &
    mixbox_pid=$!
    pids+=("$mixbox_pid")
    wait_ports "mixbox:Channel $CH" > /dev/null && sleep 0.5 && kill -0 "$mixbox_pid" 2>/dev/null && break
    echo "bench: jack_mix_box did not come up (try $try)" >&2
    kill "$mixbox_pid" 2>/dev/null; wait "$mixbox_pid" 2>/dev/null
    [ "$try" -eq 3 ] && { echo "jack_mix_box log:"; cat "$work/mixbox.log"; exit 1; }
done
# The same noise into both, through two players chained so that JACK runs
# the mixers one after the other: noise_a -> jack_mix_box -> noise_b
# (listens to its output, plays the same noise) -> jmixd. Run side by side
# instead, on a host where the two CPUs share a core, each slows the other
# down by up to 2x.
build/bench/bench_noise --server "$server" --name noise_a --ports "$CH" \
    --connect "mixbox:Channel %d" > /dev/null 2> "$work/noise.err" &
noise_pid=$!
pids+=("$noise_pid")
build/bench/bench_noise --server "$server" --name noise_b --ports "$CH" --after "mixbox:MAIN L" \
    --connect "jmbench:s%d" > /dev/null 2>> "$work/noise.err" &
noise_b_pid=$!
pids+=("$noise_b_pid")
sleep 3 # connections made, detectors and caches settled
threads() { for t in /proc/"$1"/task/*; do echo "$(basename "$t") $(cut -d' ' -f1 "$t/schedstat")"; done; }
threads "$jmixd_pid" > "$work/th0"
j0=$(cpu_ns "$jmixd_pid"); b0=$(cpu_ns "$mixbox_pid"); t0=$(date +%s.%N)
# where each jmixd thread waits (sampled): the loudness meter sleeps in
# clock_nanosleep (hrtimer_nanosleep), JACK's process thread on a futex
: > "$work/wchan"
for _ in $(seq "$((LIVE_S * 2))"); do
    for t in /proc/"$jmixd_pid"/task/*; do echo "$(basename "$t") $(cat "$t/wchan" 2>/dev/null)"; done >> "$work/wchan"
    sleep 0.5
done
j1=$(cpu_ns "$jmixd_pid"); b1=$(cpu_ns "$mixbox_pid"); t1=$(date +%s.%N)
threads "$jmixd_pid" > "$work/th1"
kill "$noise_pid" "$noise_b_pid" 2>/dev/null; wait "$noise_pid" "$noise_b_pid" 2>/dev/null
cat "$work/noise.err"
for p in "$jmixd_pid" "$mixbox_pid"; do
    kill -0 "$p" 2>/dev/null || { echo "bench: a mixer died"; cat "$work/jmixd.log" "$work/mixbox.log"; exit 1; }
done
# per thread: tid, CPU ns over the run, the wait channel seen most often,
# the thread's name (jmixd names its threads jm-*: jm-jack (the JACK threads: the busy one is the process thread), jm-loudness, ...)
join "$work/th0" "$work/th1" | while read -r tid c0 c1; do
    w=$(awk -v t="$tid" '$1 == t && NF > 1 { n[$2]++ } END { b = "-"; m = 0; for (k in n) if (n[k] > m) { m = n[k]; b = k }; print b }' "$work/wchan")
    name=$(tr -c 'A-Za-z0-9_.-' '_' < /proc/"$jmixd_pid"/task/"$tid"/comm 2>/dev/null | sed 's/_$//')
    echo "$tid $((c1 - c0)) $w ${name:--}"
done | sort -k2 -n -r > "$work/threads"
loud=$(awk '$4 == "jm-loudness" { s += $2 } END { printf "%.0f", s }' "$work/threads")
awk -v j="$((j1 - j0))" -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" -v ch="$CH" -v rate="$RATE" '
BEGIN {
    s = t1 - t0                       # seconds of audio (the dummy driver runs in real time)
    printf "CPU time of each whole process (all threads, /proc/PID/task/*/schedstat) over %.1f s of audio\n", s
    printf "%-40s %9s %22s %22s\n", "process", "channels", "CPU ms per s of audio", "ns per channel-sample"
    printf "%-40s %9d %22.2f %22.2f\n", "jmixd (full strip, SIMD)", ch, j / s / 1e6, j / (s * ch * rate)
    printf "%-40s %9d %22.2f %22.2f\n", "jack_mix_box (volume, balance, meters)", ch, b / s / 1e6, b / (s * ch * rate)
    printf "ratio jmixd / jack_mix_box: %.3f\n", (b > 0 ? j / b : 0)
}'
echo "jmixd by thread (ms of CPU per s of audio, name, where it waits):"
awk -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '{ printf "  tid %-8s %8.2f  %-14s %s\n", $1, $2 / s / 1e6, $4, $3 }' "$work/threads"
awk -v j="$((j1 - j0))" -v l="$loud" -v b="$((b1 - b0))" 'BEGIN {
    if (l > 0) printf "without the loudness meter thread (jm-loudness): ratio %.3f\n", (b > 0 ? (j - l) / b : 0) }'
fi

# How the process callback's duration grows (/stats: median, 99th percentile
# and longest cycle over the last 10 s, measured inside the callback; docs/osc.md).
# Each row: a fresh dummy server (--no-realtime, like the comparison above),
# jmixd with N full mono strips, reverb and delay buses, master limiter,
# each strip fed its own noise by bench_noise; read after 11 s.
[ "${BENCH_GROWTH:-1}" = 0 ] && exit 0
for p in "${jmixd_pid:-}" "${mixbox_pid:-}" "${jackd_pid:-}"; do
    [ -n "$p" ] && { kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
done
pids=()
echo
echo "== live: the process callback's duration (/stats over 10 s; full strips, buses, limiter)"
printf "%-8s %-8s %12s %12s %12s %10s %14s\n" strips period "median us" "p99 us" "max us" cycles "median ns/ch-s"
growth_row() { # $1 strips, $2 period
    local n=$1 p=$2 row
    start_jackd --no-realtime "$p" || return 1
    start_jmixd "$n" || return 1
    build/bench/bench_noise --server "$server" --name noise_g --ports "$n" \
        --connect "jmbench:s%d" > /dev/null 2>> "$work/noise.err" &
    local noise=$!
    pids+=("$noise")
    sleep "${BENCH_GROWTH_SECONDS:-11}"
    row=$(python3 scripts/osc_stats.py "$jmixd_port" cycle_median_ns cycle_p99_ns cycle_max_ns cycles) ||
        row="0 0 0 0"
    read -r med p99 max cyc <<< "$row"
    awk -v n="$n" -v p="$p" -v a="$med" -v b="$p99" -v c="$max" -v k="$cyc" 'BEGIN {
        printf "%-8d %-8d %12.2f %12.2f %12.2f %10d %14.2f\n", n, p, a / 1e3, b / 1e3, c / 1e3, k, a / (n * p) }'
    kill "$noise" "$jmixd_pid" 2>/dev/null; wait "$noise" "$jmixd_pid" 2>/dev/null
    kill "$jackd_pid" 2>/dev/null; wait "$jackd_pid" 2>/dev/null
    pids=()
}
for n in ${BENCH_GROWTH_STRIPS:-8 64 256 512}; do growth_row "$n" "$PERIOD" || exit 1; done
for p in ${BENCH_GROWTH_PERIODS:-32 128 256}; do growth_row "${BENCH_GROWTH_AT:-64}" "$p" || exit 1; done
