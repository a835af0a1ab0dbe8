#!/usr/bin/env bash
# Build the third-party peers the integration tests run against, from the
# source kept beside the project (PEERS, default ../shared/peers): only
# nsmd, the New Session Manager's server (test_nsmd.py), with meson and
# ninja into build/peers/. Without the peers folder: says so and exits 0
# (the tests that need them skip with the reason). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${PEERS:-../shared/peers}
src=$peers/new-session-manager
out=build/peers
if [ ! -f "$src/meson.build" ]; then
    echo "peers: no $src (a clone of the project alone): nsmd not built"
    exit 0
fi
if ! command -v meson >/dev/null || ! command -v ninja >/dev/null; then
    echo "peers: meson or ninja missing (make deps installs them): nsmd not built" >&2
    exit 1
fi
mkdir -p "$out"
if [ ! -f "$out/nsm-build/build.ninja" ]; then
    rm -rf "$out/nsm-build"
    meson setup "$out/nsm-build" "$src" -Dnsm-legacy-gui=false -Dnsm-proxy=false \
        -Djackpatch=false > "$out/nsm-setup.log" 2>&1 ||
        { echo "peers: meson setup failed (see $out/nsm-setup.log)" >&2; tail -5 "$out/nsm-setup.log" >&2; exit 1; }
fi
ninja -C "$out/nsm-build" nsmd > "$out/nsm-build.log" 2>&1 ||
    { echo "peers: building nsmd failed (see $out/nsm-build.log)" >&2; tail -5 "$out/nsm-build.log" >&2; exit 1; }
cp -f "$out/nsm-build/nsmd" "$out/nsmd"
echo "peers: $out/nsmd ($("$out/nsmd" --version 2>&1 | head -1))"
