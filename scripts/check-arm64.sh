#!/usr/bin/env bash
# make check-arm64: cross-build the JACK-free DSP code (src/dsp, src/util,
# the mixer and parameter table) and the DSP unit tests for arm64 with
# Debian's gcc-aarch64-linux-gnu, and run them under qemu-user-static
# (docs/testing.md, "arm64"). The SIMD-vs-scalar test runs the generic
# vector kernel there (no AVX on arm64).
#
#   check-arm64.sh [--quick]
#
# --quick runs the tests that take seconds under emulation (about 36 s
# here with the build; make check runs this); the full set takes about
# 6.5 minutes under qemu on this 2-core VM, too slow for make check. Missing packages are installed when
# running as root (arm64 added as a dpkg foreign architecture for
# libcmocka-dev:arm64); otherwise the run is skipped with the reason, exit 0.
set -u
cd "$(dirname "$0")/.."
CROSS=${CROSS:-aarch64-linux-gnu-gcc}
QEMU=${QEMU:-qemu-aarch64-static}
quick=0; [ "${1:-}" = "--quick" ] && quick=1

dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
skip() { echo "SKIP check-arm64: $*"; exit 0; }

apt_install() {
    [ "$(id -u)" -eq 0 ] || skip "not root, cannot install $* (apt-get install $*)"
    command -v apt-get >/dev/null || skip "no apt-get to install $*"
    echo "check-arm64: installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
        --no-install-recommends "$@" >build/arm64/apt.log 2>&1 ||
        skip "apt-get install $* failed (build/arm64/apt.log)"
}

mkdir -p build/arm64
if ! command -v "$CROSS" >/dev/null || ! command -v "$QEMU" >/dev/null; then
    apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
fi
command -v "$CROSS" >/dev/null || skip "$CROSS not found"
command -v "$QEMU" >/dev/null || skip "$QEMU not found"

# cmocka for arm64 comes from Debian multiarch (with libc6:arm64, which
# also gives qemu the arm64 loader and libraries under /lib/aarch64-linux-gnu).
cm_probe() {
    printf '#include <stdarg.h>\n#include <stddef.h>\n#include <setjmp.h>\n#include <stdint.h>\n#include <cmocka.h>\nint main(void){return cmocka_run_group_tests((const struct CMUnitTest[]){0},0,0)*0;}\n' |
        "$CROSS" -x c - -o build/arm64/cm_probe -lcmocka >/dev/null 2>&1
}
if ! cm_probe; then
    [ "$(id -u)" -eq 0 ] || skip "no arm64 cmocka and not root (dpkg --add-architecture arm64; apt-get install libcmocka-dev:arm64)"
    echo "check-arm64: adding dpkg architecture arm64 for libcmocka-dev:arm64"
    dpkg --add-architecture arm64 &&
        apt-get -o DPkg::Lock::Timeout=300 update >build/arm64/apt-update.log 2>&1 ||
        skip "apt-get update with arm64 failed (build/arm64/apt-update.log)"
    apt_install libcmocka-dev:arm64
    cm_probe || skip "libcmocka-dev:arm64 installed but a test program does not link"
fi

# Build (incremental, make -j2 through the Makefile's arm64 rules).
t0=$(date +%s.%N)
make -s -j2 arm64-tests CROSS="$CROSS" || { echo "FAIL check-arm64: cross build"; exit 1; }
t1=$(date +%s.%N)
printf 'check-arm64: build %s s\n' "$(dt "$t0" "$t1")"

# The fast tests (seconds each under qemu); the slow ones sweep many
# frequencies or long signals (biquad 55 s, chain 140 s, limiter 40 s,
# reverb 31 s, rta 190 s here, on a busy machine).
fast="aux delay dynamics mixer params pfl queue ring rta_tap simd"
slow="biquad chain limiter reverb rta"
list=$fast; [ "$quick" -eq 1 ] || list="$fast $slow"

pass=0; fail=0
for n in $list; do
    t=build/arm64/tests/test_$n out=build/arm64/test_$n.tap
    s=$(date +%s.%N)
    CMOCKA_MESSAGE_OUTPUT=TAP "$QEMU" "$t" >"$out" 2>&1
    rc=$?
    e=$(date +%s.%N)
    p=$(grep -c '^ok ' "$out"); f=$(grep '^not ok ' "$out" | grep -vc '# SKIP')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL arm64 test_$n (exit $rc)"; tail -5 "$out"; fi
    grep '^not ok ' "$out" | grep -v '# SKIP' | sed "s/^/FAIL arm64 test_$n: /"
    grep '^# generic vs scalar' "$out" | head -1 | sed "s/^# /arm64 test_$n: /"
    printf 'arm64 test_%s: %d passed, %d failed (%s s)\n' "$n" "$p" "$f" "$(dt "$s" "$e")"
    pass=$((pass + p)); fail=$((fail + f))
done
t2=$(date +%s.%N)
printf 'check-arm64: %d passed, %d failed; tests %s s under %s\n' "$pass" "$fail" "$(dt "$t1" "$t2")" "$QEMU"
[ "$fail" -eq 0 ]
