#!/usr/bin/env bash
# make run: start a JACK dummy server if none answers, then the console with
# config/jmixd.cfg in the foreground (Ctrl-C stops both cleanly).
set -u
cd "$(dirname "$0")/.."
export JACK_NO_AUDIO_RESERVATION=1
server=${JACK_DEFAULT_SERVER:-default}
jackpid=""
if ! JACK_NO_START_SERVER=1 timeout 5 jack_wait -s "$server" -c 2>/dev/null | grep -qx running; then
    echo "run: no JACK server '$server'; starting one with the dummy backend (48 kHz, 256 frames)"
    jackd --no-realtime -n "$server" -d dummy -r 48000 -p 256 >build/jackd.log 2>&1 &
    jackpid=$!
    for _ in $(seq 50); do
        JACK_NO_START_SERVER=1 jack_wait -s "$server" -c 2>/dev/null | grep -qx running && break
        sleep 0.1
    done
fi
trap '[ -n "$jackpid" ] && kill "$jackpid" 2>/dev/null' EXIT
build/jmixd --server "$server" config/jmixd.cfg
