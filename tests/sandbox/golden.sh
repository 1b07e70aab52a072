#!/usr/bin/env bash
# golden.sh CACHE_DIR -> prints the path of a ready golden rootfs (CACHE_DIR/golden-<key>/rootfs).
#
# Builds, once, a Debian 12 minbase rootfs used as the read-only lower layer of every sandbox
# (tests/sandbox/run.sh). Cached as CACHE_DIR/golden-<key>, where <key> hashes this script and the
# fixture builder, so changing the package list or a fixture rebuilds it. Concurrent callers are
# serialised with flock; the image is built in a temp dir and renamed into place (never half-built).
#
# Contents: minbase + runtime libs roux links against + python3, procps, cron, passwd tools, strace,
# nginx (a real web server for supermarket scenarios), openssh-server, git and openssl (private git
# sources: a real sshd and git http-backend on 127.0.0.1, a self-signed CA), locales (locale-gen,
# /usr/share/i18n/SUPPORTED: the locale resource's scenarios);
# /srv/repo = flat file: apt repo with the fixture .debs (rouxd 1.0-1/1.1-1, librouxd) and the .debs
# of monit, collectd, prometheus-node-exporter (+deps), so tests install them with no network;
# apt sources = only that repo (lists already fetched).
#
# Needs root, debootstrap, dpkg-dev and the machine's Debian mirror (read from apt's config, or
# ROUX_DEBIAN_MIRROR). Exit 77 with the reason on stderr when it cannot build (no mirror, no tools).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:?usage: golden.sh CACHE_DIR}
SUITE=bookworm
# Installed in the image.
PKGS=(python3 procps cron strace iproute2 less nginx openssh-server git openssl
  libyaml-cpp0.7 libgit2-1.5 libarchive13 libcurl4 libssl3 locales)
# Only downloaded into /srv/repo (installed by tests through apt, offline).
REPO_PKGS=(monit collectd prometheus-node-exporter)

key=$( (cat "$0" "$HERE/fixtures.sh"; echo "${PKGS[*]} ${REPO_PKGS[*]}") | sha256sum | cut -c1-16)
OUT="$CACHE/golden-$key"
if [ -f "$OUT/.complete" ]; then touch "$OUT/.used" 2>/dev/null || true; echo "$OUT/rootfs"; exit 0; fi

skip() { echo "golden.sh: SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
command -v debootstrap >/dev/null || skip "debootstrap missing (scripts/install-deps.sh --with-tests)"
command -v dpkg-scanpackages >/dev/null || skip "dpkg-scanpackages missing (install dpkg-dev)"

mkdir -p "$CACHE"
exec 9>"$CACHE/golden.lock"
flock 9
if [ -f "$OUT/.complete" ]; then touch "$OUT/.used" 2>/dev/null || true; echo "$OUT/rootfs"; exit 0; fi

mirror=${ROUX_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1 || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^deb +(\[[^]]*\] +)?(http|https|file)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    | grep -v security | sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}' | head -1 || true)
fi
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

TMP=$(mktemp -d "$CACHE/.golden-build.XXXXXX")
cleanup() { rm -rf --one-file-system "$TMP" 2>/dev/null || true; }
trap cleanup EXIT
RF="$TMP/rootfs"
log="$CACHE/golden-build.log"
echo "golden.sh: building golden rootfs from $mirror (log: $log)" >&2
t0=$(date +%s)
if ! debootstrap --variant=minbase "$SUITE" "$RF" "$mirror" >"$log" 2>&1; then
  skip "debootstrap $SUITE from $mirror failed (no mirror access?); see $log"
fi
# Package sources for the preparation step: the host's own (mirror + security + updates).
rm -f "$RF"/etc/apt/sources.list
mkdir -p "$RF"/etc/apt/sources.list.d
cp -a /etc/apt/sources.list.d/. "$RF"/etc/apt/sources.list.d/ 2>/dev/null || true
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$RF"/etc/apt/sources.list
[ -n "$(ls -A "$RF"/etc/apt/sources.list.d)" ] || [ -f "$RF"/etc/apt/sources.list ] ||
  echo "deb $mirror $SUITE main" > "$RF"/etc/apt/sources.list
cp -L /etc/resolv.conf "$RF"/etc/resolv.conf 2>/dev/null || true

# Fixture .debs.
mkdir -p "$RF"/srv/repo
bash "$HERE/fixtures.sh" "$RF"/srv/repo >>"$log" 2>&1 || { echo "golden.sh: fixtures.sh failed, see $log" >&2; exit 1; }

prep="
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends ${PKGS[*]}
mkdir -p /tmp/dl/partial
apt-get install -y -q --download-only --no-install-recommends -o Dir::Cache::archives=/tmp/dl ${REPO_PKGS[*]}
mv /tmp/dl/*.deb /srv/repo/
apt-get clean
rm -rf /var/lib/apt/lists/*
"
if ! unshare --mount --propagation private bash -c '
    RF=$1; shift
    mount -t proc proc "$RF"/proc; mount --rbind /dev "$RF"/dev
    mount -t tmpfs tmpfs "$RF"/run; mount -t tmpfs tmpfs "$RF"/tmp
    chroot "$RF" /bin/bash -c "$1"' _ "$RF" "$prep" >>"$log" 2>&1; then
  skip "installing packages into the golden rootfs failed (no mirror access?); see $log"
fi

# Flat repo index, apt sources = only the local repo, lists fetched now (so no test needs network).
(cd "$RF"/srv/repo && dpkg-scanpackages --multiversion . /dev/null > Packages 2>>"$log" && gzip -9kf Packages)
rm -f "$RF"/etc/apt/sources.list "$RF"/etc/apt/sources.list.d/*
echo 'deb [trusted=yes] file:/srv/repo ./' > "$RF"/etc/apt/sources.list.d/roux-local.list
echo 'Acquire::Languages "none";' > "$RF"/etc/apt/apt.conf.d/99roux-local
unshare --mount --propagation private bash -c '
    RF=$1
    mount -t proc proc "$RF"/proc; mount -t tmpfs tmpfs "$RF"/run; mount -t tmpfs tmpfs "$RF"/tmp
    chroot "$RF" apt-get update -q' _ "$RF" >>"$log" 2>&1 || { echo "golden.sh: local apt update failed, see $log" >&2; exit 1; }
echo "roux-sandbox" > "$RF"/etc/hostname

# Publish this one atomically.
# Drop images of other keys unused for a day: one used more recently may be the lower layer of a
# sandbox running now (another checkout of a different branch shares the cache).
for old in "$CACHE"/golden-*; do
  [ -d "$old" ] && [ "$old" != "$OUT" ] || continue
  stamp=$old/.used; [ -e "$stamp" ] || stamp=$old/.complete
  [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ] && rm -rf --one-file-system "$old"
done
mkdir -p "$OUT"
mv "$RF" "$OUT/rootfs"
touch "$OUT/.complete"
echo "golden.sh: built $OUT in $(( $(date +%s) - t0 )) s ($(du -sm "$OUT" | cut -f1) MB)" >&2
echo "$OUT/rootfs"
