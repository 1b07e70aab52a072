#!/usr/bin/env bash
# golden_sd.sh CACHE_DIR LOWER_ROOTFS -> prints the path of a ready systemd-flavoured rootfs
# (CACHE_DIR/sdimage-<key>/rootfs) for tests/sandbox/nspawn.sh.
#
# Derived once from the golden image of golden.sh (LOWER_ROOTFS = its .../golden-<key>/rootfs):
# a copy + `apt-get install --no-install-recommends systemd systemd-sysv dbus` from the host's
# Debian mirror (the host's apt sources, as golden.sh uses), then apt's only source is again the
# local /srv/repo (lists fetched, so tests need no network). <key> hashes this script, the lower
# image's key and the package list; old sdimage-* dirs are dropped (not named golden-*, which
# golden.sh prunes). Concurrent callers are serialised with flock; built in a temp dir and renamed
# into place (never half-built). Exit 77 with the reason on stderr when it cannot be built.
set -euo pipefail
CACHE=${1:?usage: golden_sd.sh CACHE_DIR LOWER_ROOTFS}
LOWER=${2:?usage: golden_sd.sh CACHE_DIR LOWER_ROOTFS}
PKGS=(systemd systemd-sysv dbus)

lower_key=$(basename "$(dirname "$LOWER")")
key=$( (cat "$0"; echo "$lower_key ${PKGS[*]}") | sha256sum | cut -c1-16)
OUT="$CACHE/sdimage-$key"
if [ -f "$OUT/.complete" ]; then touch "$OUT/.used" 2>/dev/null || true; echo "$OUT/rootfs"; exit 0; fi

skip() { echo "golden_sd.sh: SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
[ -d "$LOWER" ] || skip "no golden rootfs at $LOWER"

mkdir -p "$CACHE"
exec 9>"$CACHE/sdimage.lock"
flock 9
if [ -f "$OUT/.complete" ]; then touch "$OUT/.used" 2>/dev/null || true; echo "$OUT/rootfs"; exit 0; fi

TMP=$(mktemp -d "$CACHE/.sdimage-build.XXXXXX")
cleanup() { rm -rf --one-file-system "$TMP" 2>/dev/null || true; }
trap cleanup EXIT
RF="$TMP/rootfs"
log="$CACHE/sdimage-build.log"
echo "golden_sd.sh: building the systemd image from $LOWER (log: $log)" >&2
t0=$(date +%s)
cp -a --reflink=auto "$LOWER" "$RF"

# Package sources for the install: the host's own; afterwards only the local repo again.
mkdir -p "$TMP/keep"
mv "$RF"/etc/apt/sources.list.d/roux-local.list "$TMP/keep/"
rm -f "$RF"/etc/apt/sources.list "$RF"/etc/apt/sources.list.d/*
cp -a /etc/apt/sources.list.d/. "$RF"/etc/apt/sources.list.d/ 2>/dev/null || true
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$RF"/etc/apt/sources.list
cp -L /etc/resolv.conf "$RF"/etc/resolv.conf 2>/dev/null || true

prep="
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends ${PKGS[*]}
apt-get clean
rm -rf /var/lib/apt/lists/*
"
chroot_run() {
  unshare --mount --propagation private bash -c '
      RF=$1; shift
      mount -t proc proc "$RF"/proc; mount --rbind /dev "$RF"/dev
      mount -t tmpfs tmpfs "$RF"/run; mount -t tmpfs tmpfs "$RF"/tmp
      chroot "$RF" /bin/bash -c "$1"' _ "$RF" "$1" >>"$log" 2>&1
}
: > "$log"
chroot_run "$prep" || skip "installing ${PKGS[*]} into the systemd image failed (no mirror access?); see $log"

rm -f "$RF"/etc/apt/sources.list "$RF"/etc/apt/sources.list.d/*
mv "$TMP/keep/roux-local.list" "$RF"/etc/apt/sources.list.d/
chroot_run "apt-get update -q" || { echo "golden_sd.sh: local apt update failed, see $log" >&2; exit 1; }
# Let package scripts start what they install (as on a real host); no SysV shims here.
rm -f "$RF"/usr/sbin/policy-rc.d
# A fresh machine id per boot (nspawn provides one when the file is empty).
: > "$RF"/etc/machine-id
echo "roux-sandbox" > "$RF"/etc/hostname
[ -x "$RF"/lib/systemd/systemd ] || { echo "golden_sd.sh: no /lib/systemd/systemd in the image" >&2; exit 1; }

# Drop images of other keys unused for a day: one used more recently may be the lower layer of a
# sandbox running now (another checkout of a different branch shares the cache).
for old in "$CACHE"/sdimage-*; do
  [ -d "$old" ] && [ "$old" != "$OUT" ] || continue
  stamp=$old/.used; [ -e "$stamp" ] || stamp=$old/.complete
  [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ] && rm -rf --one-file-system "$old"
done
mkdir -p "$OUT"
mv "$RF" "$OUT/rootfs"
touch "$OUT/.complete"
echo "golden_sd.sh: built $OUT in $(( $(date +%s) - t0 )) s ($(du -sm "$OUT" | cut -f1) MB)" >&2
echo "$OUT/rootfs"
