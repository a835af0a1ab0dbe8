#!/usr/bin/env bash
# Run the libFuzzer targets (build/fuzz/fuzz_*, built by `make fuzzers`).
#
#   tests/fuzz/run.sh [--time SECONDS] [--counts FILE] [NAME...]
#
# Each fuzzer runs for SECONDS (default 20: the bounded run of `make check`;
# `make fuzz` passes 600) from its seeds (fuzz_X: tests/fuzz/corpus/X, and
# for fuzz_session also tests/sessions/*/ and config/) and the corpus it
# grew before (build/fuzz/corpus/NAME). A fuzzer passes when it
# ends without a finding: no crash, no sanitizer report (ASan, UBSan,
# LeakSanitizer), no broken property (the targets abort on those), no input
# slower than 10 s, no out-of-memory. A finding is kept in
# build/fuzz/artifacts/ and reproduced with `build/fuzz/NAME FILE`; a leak
# is shown with the stacks it was allocated from.
# One line per fuzzer, then "N passed, N failed"; with --counts FILE also
# "PASSED FAILED" into FILE (for scripts/check.sh). Exit 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
secs=20
counts=
names=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) secs=$2; shift 2 ;;
        --counts) counts=$2; shift 2 ;;
        -h|--help) sed -n "2,16p" "$0"; exit 0 ;;
        *) names+=("$1"); shift ;;
    esac
done
[ -n "$counts" ] && echo "0 1" > "$counts"   # until the run has finished
if [ ${#names[@]} -eq 0 ]; then
    for b in build/fuzz/fuzz_*; do [ -x "$b" ] && names+=("$(basename "$b")"); done
fi

echo "== fuzzers (libFuzzer + ASan/UBSan/LSan, ${secs} s each)"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Symbolized stacks, and function names for the libconfig leak suppressions
# (tests/fuzz/lsan.supp). llvm-symbolizer-22 comes with Debian's llvm-22
# (scripts/deps.sh installs it).
unset ASAN_SYMBOLIZER_PATH
for s in llvm-symbolizer-22 /usr/lib/llvm-22/bin/llvm-symbolizer llvm-symbolizer; do
    if command -v "$s" > /dev/null; then export ASAN_SYMBOLIZER_PATH=$(command -v "$s"); break; fi
done
supp=$PWD/tests/fuzz/lsan.supp
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
    # Without a symbolizer a frame has no function name, only its module:
    # suppress libconfig's own leak by module instead. That also hides a
    # leak of anything allocated inside a libconfig call (a missing
    # config_destroy), so it is the fallback, not the rule.
    mkdir -p build/fuzz
    supp=$PWD/build/fuzz/lsan-nosymbolizer.supp
    { cat tests/fuzz/lsan.supp; echo "leak:libconfig.so"; } > "$supp"
    echo "note: no llvm-symbolizer (scripts/deps.sh installs llvm-22): libconfig's leak is" \
         "suppressed by module, and stacks show addresses only" >&2
fi
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"

pass=0; fail=0
for name in "${names[@]}"; do
    bin=build/fuzz/$name
    if [ ! -x "$bin" ]; then
        echo "FAIL $name: $bin is not built (make fuzzers)"; fail=$((fail + 1)); continue
    fi
    work=build/fuzz/corpus/$name; art=build/fuzz/artifacts; log=build/fuzz/$name.log
    mkdir -p "$work" "$art"
    seeds=()
    short=${name#fuzz_}
    [ -d "tests/fuzz/corpus/$short" ] && seeds+=("tests/fuzz/corpus/$short")
    opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
    case "$name" in
        fuzz_osc) opts+=(-dict=tests/fuzz/osc.dict -max_len=$([ "$secs" -gt 60 ] && echo 65536 || echo 4096)) ;;
        fuzz_session) opts+=(-max_len=16384); seeds+=(tests/sessions/good tests/sessions/bad config) ;;
        fuzz_state) opts+=(-max_len=16384) ;;
    esac
    start=$(date +%s)
    "$bin" "${opts[@]}" -max_total_time="$secs" -artifact_prefix="$art/$name-" \
        "$work" "${seeds[@]}" > "$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        echo "PASS $name: ${runs:-?} inputs in ${took} s (${rate:-?}/s, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l))"
        pass=$((pass + 1))
    else
        found=$(grep -a -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
        echo "FAIL $name: exit $rc after ${took} s${found:+; reproduce: $bin $found} (log $log)"
        # what the target said last, the sanitizer's verdict, and for a
        # timeout the frames it was stuck in
        grep -a -B1 -m1 -E '==[0-9]+== ?ERROR' "$log" | head -1 | grep -a -v -E '^(#|INFO|MS:|0x|artifact)' |
            sed 's/^/    /'
        grep -a -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_[a-z]+: |.*runtime error)' "$log" | head -5 | sed 's/^/    /'
        # a leak that no suppression matched: each leaked object with the
        # stack it was allocated from (the first five of them)
        awk '/^(Direct|Indirect) leak of/ { n++; if (n > 5) exit; show = 1 }
             show && /^$/ { show = 0; print ""; next }
             show' "$log" | sed 's/^/    /'
        grep -a -A40 'ERROR: libFuzzer: timeout' "$log" | grep -a ' in ' |
            grep -a -v -E 'fuzzer::|__sanitizer|libc\.so' | head -3 | sed 's/^/    /'
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ -n "$counts" ] && echo "$pass $fail" > "$counts"
[ "$fail" -eq 0 ]
