#!/usr/bin/env bash
# The floors of jmixd, enforced: a file under src/<module>/ or
# include/jmixd/<module>/ may include jmixd headers only from the modules
# listed for it below (and its own private headers in src/<module>/).
# Nothing below imports anything above it (see docs/architecture.md).
#   check-layers.sh [ROOT]      check the tree at ROOT (default: the project)
#   check-layers.sh --self-test plant a violation in a copy and expect a failure
#   check-layers.sh --dsp-alone build src/dsp in a folder holding only it and
#                               include/jmixd/dsp/, linked against libm alone
# Prints one line per violation, FILE:LINE: message; exits 1 if any.
set -u
declare -A allow=(
    [util]="util"
    [dsp]="dsp util"
    [session]="session dsp util"
    [io]="io dsp session util"
    [engine]="engine io dsp session util"
    [control]="control engine io dsp session util"
    [osc]="osc control session dsp util"
    [web]="web osc session dsp util"
    [render]="render engine io control dsp session util"
    [layout]="layout session dsp util"
    [demo]="demo io dsp util"
)
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = "--self-test" ]; then
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    cp -r "$here/src" "$here/include" "$tmp/"
    sed -i '1i #include "jmixd/engine/mixer.h"' "$tmp/src/dsp/gain.c"
    sed -i '1i #include "jmixd/control/control.h"' "$tmp/src/engine/lanes.c"
    out=$(bash "$0" "$tmp")
    if [ $? -ne 0 ] && echo "$out" | grep -q 'src/dsp/gain.c:1:' &&
        echo "$out" | grep -q 'src/engine/lanes.c:1:'; then
        echo "layers self-test: planted violations caught"; exit 0
    fi
    echo "layers self-test: planted violations NOT caught: $out"; exit 1
fi

if [ "${1:-}" = "--dsp-alone" ]; then
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/include/jmixd" "$tmp/src"
    cp -r "$here/include/jmixd/dsp" "$tmp/include/jmixd/"; cp -r "$here/src/dsp" "$tmp/src/"
    cd "$tmp" || exit 2
    for c in src/dsp/*.c; do
        ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-psabi -ffp-contract=off -O2 -fPIC \
            -Iinclude -c "$c" -o "${c%.c}.o" || { echo "dsp-alone: $c does not build alone"; exit 1; }
    done
    ${CC:-cc} -shared -Wl,--no-undefined src/dsp/*.o -o libjmdsp.so -lm ||
        { echo "dsp-alone: src/dsp needs more than libm"; exit 1; }
    echo "dsp-alone: src/dsp builds with include/jmixd/dsp/ and libm only"; exit 0
fi

root=${1:-$here}
cd "$root" || exit 2
bad=0
while IFS= read -r f; do
    case "$f" in
        src/main.c) continue ;;
        src/*/*) mod=${f#src/}; mod=${mod%%/*} ;;
        include/jmixd/*/*) mod=${f#include/jmixd/}; mod=${mod%%/*} ;;
        *) continue ;;
    esac
    ok=" ${allow[$mod]:-} "
    if [ "$ok" = "  " ]; then echo "$f:1: module '$mod' has no entry in scripts/check-layers.sh"; bad=1; continue; fi
    while IFS=: read -r line inc; do
        dep=${inc#*\"jmixd/}; dep=${dep%%\"*}
        case "$dep" in
            version.h) continue ;;
            */*) dmod=${dep%%/*} ;;
            *) echo "$f:$line: jmixd/$dep is outside every module folder"; bad=1; continue ;;
        esac
        case "$ok" in
            *" $dmod "*) ;;
            *) echo "$f:$line: $mod may not include jmixd/$dep ($mod may use: ${allow[$mod]})"; bad=1 ;;
        esac
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"jmixd/' "$f" | sed 's/^\([0-9]*\):/\1:/')
done < <(find src include -name '*.[ch]' | sort)
exit $bad
