#!/usr/bin/env bash
# Install the Debian packages jmixd needs, only when something is missing.
set -euo pipefail
# python3-pytest(-timeout): the integration tests; llvm-22: llvm-symbolizer-22,
# for the fuzzers' stacks and leak suppressions (tests/fuzz/lsan.supp);
# pipewire, pipewire-bin, pipewire-jack: test_pipewire; man-db: the man-page
# lint (man --warnings); iproute2: test_scale's network namespaces (ip netns);
# meson, ninja-build: nsmd from ../shared/peers for test_nsmd (build-peers.sh).
# The arm64 cross tools are installed by scripts/check-arm64.sh itself.
pkgs=(build-essential pkg-config jackd2 libjack-jackd2-dev liblo-dev liblo-tools libconfig-dev
      libcmocka-dev libsndfile1-dev libebur128-dev libsoxr-dev python3 python3-pytest
      python3-pytest-timeout clang-22 libclang-rt-22-dev llvm-22 procps libsystemd-dev systemd
      zlib1g-dev libavahi-client-dev avahi-daemon avahi-utils dbus libwebsockets-dev chromium
      nodejs pipewire pipewire-bin pipewire-jack man-db iproute2 meson ninja-build)
# make package: the Debian tools (the Build-Depends are among the above)
[ "${1:-}" = --package ] && pkgs=(dpkg-dev debhelper fakeroot lintian "${pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The web test drives Chromium with playwright-core from npm. A nodejs that
# bundles npm (NodeSource's) conflicts with Debian's npm package: ask for
# npm only when there is no npm command.
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages (${missing[*]}); run 'make deps' as root" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# jackd2 asks about realtime priority through debconf; answer it.
echo "jackd2 jackd/tweak_rt_limits boolean false" | debconf-set-selections 2>/dev/null || true
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
