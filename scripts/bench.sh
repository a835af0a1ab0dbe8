#!/usr/bin/env bash
# make bench (SPEC 9): the offline strip benchmark (build/bench/bench_dsp),
# then jmixd and jack_mix_box side by side on one JACK dummy server.
# make stress (--stress): 256 full mono strips on a realtime dummy server for
# 60 s; fails on any xrun. Not part of make check.
#
# Environment: BENCH_CHANNELS (64), BENCH_LIVE_SECONDS (10), BENCH_RUNS (7),
# BENCH_SECONDS (2: audio seconds per offline run), BENCH_OFFLINE (0: skip
# the offline part), STRESS_STRIPS (256),
# STRESS_SECONDS (60), JMIXD_SIMD (kernel choice, see include/jmixd/mixer.h).
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

start_jackd() { # $1: -R or --no-realtime
    jackd "$1" -n "$server" -d dummy -r "$RATE" -p "$PERIOD" > "$work/jackd.log" 2>&1 &
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

start_jmixd() { # $1: strips
    make_session "$1" "$work/session.cfg"
    build/jmixd "$work/session.cfg" --server "$server" --osc-port "$(free_udp_port)" -q \
        > "$work/jmixd.log" 2>&1 &
    jmixd_pid=$!
    pids+=("$jmixd_pid")
    wait_ports "jmbench:s$1" || { cat "$work/jmixd.log"; return 1; }
}

if [ "$mode" = stress ]; then
    N=${STRESS_STRIPS:-256}
    S=${STRESS_SECONDS:-60}
    echo "== stress: $N mono strips, full strip, realtime (-R) dummy server, ${RATE} Hz / $PERIOD frames, ${S} s"
    start_jackd -R || exit 1
    start_jmixd "$N" || exit 1
    build/bench/bench_noise --server "$server" --ports "$N" --connect "jmbench:s%d" \
        --seconds "$S" > "$work/noise.out" 2> "$work/noise.err"
    rc=$?
    cat "$work/noise.err"
    read -r _ xr _ cyc < "$work/noise.out" || { xr=-1; cyc=0; }
    jx=$(grep -ci 'xrun' "$work/jackd.log")
    echo "cycles $cyc, xruns seen by the client: $xr, xrun lines in the jackd log: $jx"
    if [ "$rc" -eq 0 ] && [ "$xr" -eq 0 ] && [ "$jx" -eq 0 ] && [ "$cyc" -gt 0 ]; then
        echo "stress: PASS (zero xruns)"; exit 0
    fi
    echo "stress: FAIL"; tail -20 "$work/jackd.log"; exit 1
fi

if [ "${BENCH_OFFLINE:-1}" != 0 ]; then
    echo "== offline: build/bench/bench_dsp (strip section of jm_mixer_process)"
    build/bench/bench_dsp --runs "${BENCH_RUNS:-7}" --seconds "${BENCH_SECONDS:-2}" || exit 1
fi

echo
echo "== live: jmixd and jack_mix_box, $CH mono channels each, the same noise, one JACK dummy server"
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
build/bench/bench_noise --server "$server" --ports "$CH" --connect "jmbench:s%d" \
    --connect "mixbox:Channel %d" > "$work/noise.out" 2> "$work/noise.err" &
noise_pid=$!
pids+=("$noise_pid")
sleep 3 # connections made, detectors and caches settled
j0=$(cpu_ns "$jmixd_pid"); b0=$(cpu_ns "$mixbox_pid"); t0=$(date +%s.%N)
sleep "$LIVE_S"
j1=$(cpu_ns "$jmixd_pid"); b1=$(cpu_ns "$mixbox_pid"); t1=$(date +%s.%N)
kill "$noise_pid" 2>/dev/null; wait "$noise_pid" 2>/dev/null
cat "$work/noise.err"
for p in "$jmixd_pid" "$mixbox_pid"; do
    kill -0 "$p" 2>/dev/null || { echo "bench: a mixer died"; cat "$work/jmixd.log" "$work/mixbox.log"; exit 1; }
done
awk -v j="$((j1 - j0))" -v b="$((b1 - b0))" -v t0="$t0" -v t1="$t1" -v ch="$CH" -v rate="$RATE" '
BEGIN {
    s = t1 - t0                       # seconds of audio (the dummy driver runs in real time)
    printf "CPU time of each whole process (all threads, /proc/PID/task/*/schedstat) over %.1f s of audio\n", s
    printf "%-40s %9s %22s %22s\n", "process", "channels", "CPU ms per s of audio", "ns per channel-sample"
    printf "%-40s %9d %22.2f %22.2f\n", "jmixd (full strip, SIMD)", ch, j / s / 1e6, j / (s * ch * rate)
    printf "%-40s %9d %22.2f %22.2f\n", "jack_mix_box (volume, balance, meters)", ch, b / s / 1e6, b / (s * ch * rate)
    printf "ratio jmixd / jack_mix_box: %.3f\n", (b > 0 ? j / b : 0)
}'
