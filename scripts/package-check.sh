#!/bin/bash
# The Debian package on a fresh Debian 12 root (as ../shared/tools/fresh-check
# makes one: debootstrap minbase, cached as a tar): install with apt (its
# Depends from shlibs come from the mirror), then
#   - /usr/bin/jmixd --check /etc/jmixd/jmixd.cfg exits 0,
#   - systemd-analyze verify /lib/systemd/system/jmixd.service is clean,
#   - the jmixd user and /var/lib/jmixd (0750 jmixd:audio) exist,
#   - remove leaves only the conffile /etc/jmixd/jmixd.cfg and /var/lib/jmixd,
#   - purge leaves none of the package's files.
# Usage (root): bash scripts/package-check.sh build/pkg/jmixd_VERSION_amd64.deb
set -u
deb=$(readlink -f "${1:?usage: package-check.sh PACKAGE.deb}")
cache=${XDG_CACHE_HOME:-$HOME/.cache}; mkdir -p "$cache"
base=${FRESH_BASE:-$cache/jmixd-fresh-base.tar}
root=$(mktemp -d)
cleanup() { for m in dev/shm dev/pts dev proc sys; do umount -l "$root/$m" 2>/dev/null; done; rm -rf "$root"; }
trap cleanup EXIT
src=/etc/apt/sources.list.d/debian.sources
if [ ! -s "$base" ]; then
    command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
    mirror=$(awk '/^URIs:/{print $2; exit}' "$src")
    b=$(mktemp -d)
    debootstrap --variant=minbase --include=gcc,make,git,ca-certificates bookworm "$b" "$mirror" \
        >/dev/null || { echo "debootstrap failed"; exit 2; }
    cp "$src" "$b/etc/apt/sources.list.d/" && rm -f "$b/etc/apt/sources.list"
    tar -C "$b" -cf "$base" . && rm -rf "$b"
fi
tar -C "$root" -xf "$base"
for m in proc sys dev dev/pts dev/shm; do mkdir -p "$root/$m"; mount --bind "/$m" "$root/$m"; done
cp /etc/resolv.conf "$root/etc/" 2>/dev/null
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive /bin/bash -c "$1"; }
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; return 1; fi; }
SECONDS=0
# systemd as on any Debian 12 machine (minbase has none); not started in a chroot
in_root "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends systemd >/dev/null" ||
    { echo "FAIL: systemd could not be installed in the root"; exit 2; }
# the package's dependencies stay installed: a first install and purge, then
# the file list the checks compare with
in_root "apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb") >/dev/null &&
         apt-get purge -y -q jmixd >/dev/null && userdel jmixd && { groupdel jmixd 2>/dev/null; true; }" ||
    { echo "FAIL: first install and purge"; exit 1; }
snapshot() {
    find "$root" -xdev \( -path "$root/proc" -o -path "$root/sys" -o -path "$root/dev" -o -path "$root/tmp" \
        -o -path "$root/run" -o -path "$root/var/cache" -o -path "$root/var/lib/apt" \
        -o -path "$root/var/lib/dpkg" -o -path "$root/var/log" \) -prune -o -print | sort
}
snapshot > "$root.before"
check "apt-get install ./$(basename "$deb")" \
    "in_root 'apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb") >/dev/null'"
check "jmixd --check /etc/jmixd/jmixd.cfg" "in_root '/usr/bin/jmixd --check /etc/jmixd/jmixd.cfg'"
check "jmixd --version" "in_root '/usr/bin/jmixd --version' | grep -q '^jmixd '"
out=$(in_root 'systemd-analyze verify /lib/systemd/system/jmixd.service' 2>&1)
check "systemd-analyze verify jmixd.service (no output)" "[ -z \"\$out\" ]" || echo "$out"
check "user jmixd in group audio" "in_root 'id -nG jmixd' | grep -qw audio"
check "/var/lib/jmixd 0750 jmixd:audio" "[ \"\$(in_root 'stat -c %a:%U:%G /var/lib/jmixd')\" = 750:jmixd:audio ]"
check "man jmixd.cfg(5) installed" "[ -s $root/usr/share/man/man5/jmixd.cfg.5.gz ]"
check "remove" "in_root 'apt-get remove -y -q jmixd >/dev/null'"
# what the package left that was not there before (the user and group in
# /etc/passwd and friends are kept, as Debian does for system users)
left() {
    snapshot | comm -13 "$root.before" - | sed "s|^$root||" |
        grep -v -E '^/etc/(passwd|group|shadow|gshadow)-?$' | tr '\n' ' '
}
after_remove=$(left)
echo "after remove, new paths: $after_remove"
# remove keeps the conffile, the state folder and systemd's record that the
# unit was enabled (deb-systemd-helper drops it on purge)
rest=$(echo "$after_remove" | tr ' ' '\n' | grep -v -E \
    '^(/etc/jmixd(/jmixd.cfg)?|/var/lib/jmixd(/recordings|/sessions)?|/etc/systemd/system/multi-user.target.wants(/jmixd.service)?|/var/lib/systemd/deb-systemd-helper-enabled/.*jmixd.*|/var/lib/systemd/deb-systemd-helper-enabled(/multi-user.target.wants)?)$' | tr '\n' ' ')
check "remove leaves only /etc/jmixd/jmixd.cfg, /var/lib/jmixd and the enablement record" \
    "[ -z \"\$(echo \$rest)\" ] && [ -f $root/etc/jmixd/jmixd.cfg ] && [ -d $root/var/lib/jmixd ]" || echo "also left: $rest"
check "purge" "in_root 'apt-get purge -y -q jmixd >/dev/null'"
after_purge=$(left)
echo "after purge, new paths: ${after_purge:-none}"
check "purge leaves nothing" "[ -z \"\$after_purge\" ]"
rm -f "$root.before"
echo "package-check: $([ $fail = 0 ] && echo passed || echo FAILED) in ${SECONDS}s ($(du -k "$deb" | cut -f1) KiB package)"
exit $fail
