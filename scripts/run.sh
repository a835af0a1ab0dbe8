#!/usr/bin/env bash
# make run: start a JACK server if none answers (the dummy backend, or a
# sound card with JACK_DRIVER=alsa), then the console with config/jmixd.cfg
# in the foreground (Ctrl-C stops both cleanly), after printing the URLs
# and ports to open.
#
# Without real inputs (the dummy backend: JACK_DRIVER unset or dummy) the
# console plays a demo: build/jmixd-demo-stems synthesises four stems
# (kick, snare, bass, keys) into a take, and the session runs with every
# strip's source on "file" and the take looping (virtual soundcheck,
# docs/osc.md), so meters move and the mix can be heard and changed.
# JMIXD_DEMO=0 turns the demo off, JMIXD_DEMO=1 on with any driver.
#
# Environment: JACK_DEFAULT_SERVER (default "default"), JACK_DRIVER (dummy;
# alsa: the sound card JACK_DEVICE, default hw:0), JACK_RATE (48000),
# JACK_PERIOD (256), JMIXD_DEMO.
set -u
cd "$(dirname "$0")/.."
export JACK_NO_AUDIO_RESERVATION=1
server=${JACK_DEFAULT_SERVER:-default}
driver=${JACK_DRIVER:-dummy}
rate=${JACK_RATE:-48000}
period=${JACK_PERIOD:-256}
jackpid=""
if ! JACK_NO_START_SERVER=1 timeout 5 jack_wait -s "$server" -c 2>/dev/null | grep -qx running; then
    case "$driver" in
        dummy) dargs=(-d dummy -r "$rate" -p "$period") ;;
        alsa)  dargs=(-d alsa -d "${JACK_DEVICE:-hw:0}" -r "$rate" -p "$period") ;;
        *)     echo "run: JACK_DRIVER is dummy or alsa, not '$driver'"; exit 2 ;;
    esac
    echo "run: no JACK server '$server'; starting one (${dargs[*]})"
    mkdir -p build
    jackd --no-realtime -n "$server" "${dargs[@]}" >build/jackd.log 2>&1 &
    jackpid=$!
    for _ in $(seq 50); do
        JACK_NO_START_SERVER=1 jack_wait -s "$server" -c 2>/dev/null | grep -qx running && break
        sleep 0.1
    done
    JACK_NO_START_SERVER=1 jack_wait -s "$server" -c 2>/dev/null | grep -qx running ||
        { echo "run: the JACK server did not start:"; cat build/jackd.log; exit 1; }
fi
trap '[ -n "$jackpid" ] && kill "$jackpid" 2>/dev/null' EXIT

session=config/jmixd.cfg
demo=${JMIXD_DEMO:-}
[ -z "$demo" ] && { [ "$driver" = dummy ] && demo=1 || demo=0; }
if [ "$demo" = 1 ]; then
    # the demo session: the example with every strip on its file, and the
    # demo take looping from the start (the example itself stays live)
    run=$PWD/build/run
    mkdir -p "$run/recordings"
    if [ ! -s "$run/recordings/demo/04 keys.wav" ] ||
       [ build/jmixd-demo-stems -nt "$run/recordings/demo/04 keys.wav" ]; then
        build/jmixd-demo-stems "$run/recordings/demo" "$rate" || exit 1
    fi
    awk '/^strips *= *\(/ { s = 1 }
         s && /\{ *name *= *"/ { sub(/\{ *name *= *"[^"]*";/, "& source = \"file\";") }
         s && /^\);/ { s = 0 }
         { print }' config/jmixd.cfg > "$run/jmixd.cfg"
    printf '\n# make run: the demo take (scripts/run.sh)\nrecordings = "%s";\n' "$run/recordings" \
        >> "$run/jmixd.cfg"
    echo 'playback = { take = "demo"; loop = true; play = true; };' >> "$run/jmixd.cfg"
    session=$run/jmixd.cfg
fi

# what to open: the ports the session sets (one-line groups in config/jmixd.cfg)
port_of() { sed -n "s/^$1 *= *{[^}]*port *= *\([0-9]*\).*/\1/p" config/jmixd.cfg | head -1; }
osc=$(sed -n 's/^ *port *= *\([0-9]*\);.*/\1/p' config/jmixd.cfg | head -1)
web=$(port_of web); x32=$(port_of x32)
host=$(hostname -I 2>/dev/null | awk '{print $1}')
echo "run: jmixd on JACK server '$server' with $session"
[ "$demo" = 1 ] &&
    echo "run:   playing the demo take (kick, snare, bass, keys) through the strips, looping"
echo "run:   web surface  http://localhost:${web:-8080}/  (from a tablet: http://${host:-HOST}:${web:-8080}/)"
echo "run:   OSCQuery     http://localhost:${web:-8080}/?HOST_INFO"
echo "run:   OSC          udp://${host:-localhost}:${osc:-8000}  (oscsend localhost ${osc:-8000} /strip/kick/fader f -6)"
echo "run:   X32 dialect  udp://${host:-localhost}:${x32:-10023}  (X32-Edit or Mixing Station: connect to ${host:-this machine})"
echo "run: Ctrl-C stops"
build/jmixd --server "$server" "$session"
