#!/usr/bin/env bash
# make run: start a JACK dummy server if none answers, then the console with
# config/jmixd.cfg in the foreground (Ctrl-C stops both cleanly), after
# printing the URLs and ports to open.
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
# what to open: the ports the session sets (one-line groups in config/jmixd.cfg)
port_of() { sed -n "s/^$1 *= *{[^}]*port *= *\([0-9]*\).*/\1/p" config/jmixd.cfg | head -1; }
osc=$(sed -n 's/^ *port *= *\([0-9]*\);.*/\1/p' config/jmixd.cfg | head -1)
web=$(port_of web); x32=$(port_of x32)
host=$(hostname -I 2>/dev/null | awk '{print $1}')
echo "run: jmixd on JACK server '$server' with config/jmixd.cfg"
echo "run:   web surface  http://localhost:${web:-8080}/  (from a tablet: http://${host:-HOST}:${web:-8080}/)"
echo "run:   OSCQuery     http://localhost:${web:-8080}/?HOST_INFO"
echo "run:   OSC          udp://${host:-localhost}:${osc:-8000}  (oscsend localhost ${osc:-8000} /strip/kick/fader f -6)"
echo "run:   X32 dialect  udp://${host:-localhost}:${x32:-10023}  (X32-Edit or Mixing Station: connect to ${host:-this machine})"
echo "run: Ctrl-C stops"
build/jmixd --server "$server" config/jmixd.cfg
