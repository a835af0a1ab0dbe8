#!/usr/bin/env bash
# make check: the layer rules, unit tests (cmocka), the fuzzers, then the
# integration tests (pytest, tests/integration: every module starts its own
# dummy JACK servers under unique names). Ends with "N passed, N failed";
# exits non-zero on any failure.
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

# The arm64 check (qemu, one core) runs beside the unit tests and fuzzers
# (two cores here); its report is printed after them.
bash scripts/check-arm64.sh --quick > "$log/arm64.log" 2>&1 &
arm64_pid=$!

echo "== unit tests"
for t in "$@"; do
    name=$(basename "$t")
    out="$log/$name.tap"
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" > "$out" 2>&1
    rc=$?
    # a skipped test (cmocka: "not ok N # SKIP", e.g. AVX-512 on a CPU
    # without it) is neither a pass nor a failure
    p=$(grep -c '^ok ' "$out"); f=$(grep '^not ok ' "$out" | grep -vc '# SKIP')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $name (exit $rc)"; tail -5 "$out"; fi
    grep '^not ok ' "$out" | grep -v '# SKIP' | sed "s/^/FAIL $name: /"
    echo "$name: $p passed, $f failed"
    pass=$((pass + p)); fail=$((fail + f))
done

bash tests/fuzz/run.sh --time "${FUZZ_TIME:-5}" --counts "$log/fuzz.counts"; read -r fp ff < "$log/fuzz.counts" || ff=1; pass=$((pass + ${fp:-0})); fail=$((fail + ${ff:-1}))

echo "== arm64 DSP unit tests under qemu (scripts/check-arm64.sh --quick; skipped with a reason when the packages cannot be installed)"
wait "$arm64_pid"
arc=$?
cat "$log/arm64.log"
read -r ap af < <(sed -n 's/^check-arm64: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$log/arm64.log")
if grep -q '^SKIP check-arm64' "$log/arm64.log"; then :
elif [ -n "${ap:-}" ]; then pass=$((pass + ap)); fail=$((fail + af)); [ "$arc" -ne 0 ] && [ "$af" -eq 0 ] && fail=$((fail + 1))
else echo "FAIL check-arm64 (exit $arc)"; fail=$((fail + 1)); fi


echo "== peers (scripts/build-peers.sh: nsmd for test_nsmd)"
bash scripts/build-peers.sh || echo "peers: not built; test_nsmd will say why"

echo "== integration tests (pytest: real jackd, real daemon, real OSC)"
# Debian's python3 has python3-pytest (scripts/deps.sh); another python3
# first on PATH (pyenv, a venv) may not.
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3
xml=$log/integration.xml; rm -f "$xml"
"$py" -m pytest tests/integration -v -rfEs --tb=short --durations=20 --junitxml="$xml" 2>&1 |
    tee "$log/integration.log"
rc=${PIPESTATUS[0]}
# tests, failures + errors, skipped from the junit report; skips are not
# failures, and no report or no test at all (pytest exit 5) is one
counts=$("$py" - "$xml" <<'PY' 2>/dev/null
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r if r.tag == "testsuite" else r.find("testsuite")
n, f, e, k = (int(s.get(a, 0)) for a in ("tests", "failures", "errors", "skipped"))
print(n - f - e - k, f + e, k)
PY
)
if [ -n "$counts" ] && [ "$rc" -ne 5 ]; then
    read -r ip if is <<< "$counts"
    echo "integration: $ip passed, $if failed, $is skipped (pytest exit $rc)"
    [ "$rc" -ne 0 ] && [ "$if" -eq 0 ] && { echo "FAIL integration: pytest exit $rc"; if=1; }
    pass=$((pass + ip)); fail=$((fail + if))
else
    echo "FAIL integration: pytest ran no test or wrote no report (exit $rc)"; fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
