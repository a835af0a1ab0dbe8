#!/usr/bin/env bash
# make check: unit tests (cmocka), then integration tests on a real JACK
# server (tests/integration/run.py starts its own dummy server under a unique
# name). Ends with "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
export JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
pass=0; fail=0
log=build/check; mkdir -p "$log"

echo "== layers (scripts/check-layers.sh)"
for mode in "" --self-test --dsp-alone; do
    if bash scripts/check-layers.sh $mode; then echo "layers ${mode:-check}: ok"; pass=$((pass + 1))
    else echo "FAIL layers ${mode:-check}"; fail=$((fail + 1)); fi
done

echo "== unit tests"
for t in "$@"; do
    name=$(basename "$t")
    out="$log/$name.tap"
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" > "$out" 2>&1
    rc=$?
    p=$(grep -c '^ok ' "$out"); f=$(grep -c '^not ok ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $name (exit $rc)"; tail -5 "$out"; fi
    grep '^not ok ' "$out" | sed "s/^/FAIL $name: /"
    echo "$name: $p passed, $f failed"
    pass=$((pass + p)); fail=$((fail + f))
done

bash tests/fuzz/run.sh --time "${FUZZ_TIME:-10}" --counts "$log/fuzz.counts"; read -r fp ff < "$log/fuzz.counts" || ff=1; pass=$((pass + ${fp:-0})); fail=$((fail + ${ff:-1}))

echo "== integration tests (real jackd, real daemon, real OSC)"
python3 tests/integration/run.py 2>&1 | tee "$log/integration.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/integration.log" | tail -1)
if [ -n "$line" ]; then
    pass=$((pass + $(echo "$line" | awk '{print $1}')))
    fail=$((fail + $(echo "$line" | awk '{print $3}')))
else
    echo "FAIL integration runner did not finish"; fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
