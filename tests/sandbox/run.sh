#!/usr/bin/env bash
# run.sh SCRIPT [--bind SRC:DST]... [-- ARGS...]
#
# Runs SCRIPT (bash) as root inside a throwaway sandbox and exits with its exit code:
#  - private mount, pid, uts, ipc and net namespaces (net: loopback only, already up);
#  - root = overlay over a lower rootfs, upper on a tmpfs private to the namespace: nothing persists,
#    every process started inside dies with it;
#  - /proc (this pid ns), /dev (rbind), /sys (read-only), tmpfs /run and /tmp;
#  - SysV shims: no policy-rc.d, /sbin/init -> /bin/true, /sbin/runlevel prints "N 2", so package
#    postinst scripts start their daemons and `service` works as on a booted SysV host (no systemd);
#  - binds: the build dir at /roux/build (so the binary is /roux/build/roux), the source repo at
#    /roux/src (read-only), plus every --bind SRC:DST;
#  - /srv/repo: flat local apt repo (fixture .debs rouxd 1.0-1/1.1-1, librouxd, rouxtool, and monit,
#    collectd, prometheus-node-exporter with deps); apt's only source, lists already fetched.
# Environment inside: ROUX=/roux/build/roux, ROUX_SOURCE_DIR=/roux/src, ROUX_SANDBOX=1, plus the caller's.
#
# Lower layer: the golden debootstrap image built once by golden.sh (cached in
# $ROUX_SANDBOX_CACHE, default <build dir>/sandbox). The build dir is $ROUX_BUILD_DIR, else the
# directory of $ROUX, else <repo>/build.
# Exit 77 with the reason when not root, namespaces/overlay unavailable, or the image cannot be built.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)

if [ -z "${ROUX_SB_INNER:-}" ]; then
  skip() { echo "SKIP: sandbox unavailable: $*" >&2; exit 77; }
  [ $# -ge 1 ] || { echo "usage: run.sh SCRIPT [--bind SRC:DST]... [-- ARGS...]" >&2; exit 2; }
  [ "$(id -u)" = 0 ] || skip "needs root"
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
  grep -qw overlay /proc/filesystems || skip "kernel has no overlayfs"
  unshare --mount --pid --net --uts --ipc --fork true 2>/dev/null || skip "cannot create namespaces (unshare --mount --pid --net failed)"
  if [ -n "${ROUX_BUILD_DIR:-}" ]; then BUILD=$ROUX_BUILD_DIR
  elif [ -n "${ROUX:-}" ]; then BUILD=$(dirname "$(readlink -f "$ROUX")")
  else BUILD=$SRC/build; fi
  BUILD=$(readlink -f "$BUILD")
  CACHE=${ROUX_SANDBOX_CACHE:-$BUILD/sandbox}
  rc=0; LOWER=$(bash "$HERE/golden.sh" "$CACHE") || rc=$?
  [ $rc = 0 ] || { [ $rc = 77 ] && skip "golden rootfs could not be built (see above)"; echo "golden.sh failed ($rc)" >&2; exit 1; }
  MP=$(mktemp -d /tmp/roux-sb.XXXXXX)   # only a mount point; stays empty on the host
  export ROUX_SB_INNER=1 ROUX_SB_MP=$MP ROUX_SB_LOWER=$LOWER ROUX_SB_BUILD=$BUILD ROUX_SB_SRC=$SRC
  rc=0
  unshare --mount --pid --net --uts --ipc --fork --propagation private --kill-child "$0" "$@" || rc=$?
  rmdir "$MP" 2>/dev/null || true
  exit $rc
fi

# ---- inside the namespaces ----
SCRIPT=$(readlink -f "$1"); shift
binds=(); args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bind) binds+=("$2"); shift 2 ;;
    --bind=*) binds+=("${1#--bind=}"); shift ;;
    --) shift; args=("$@"); break ;;
    *) args+=("$1"); shift ;;
  esac
done
R=$ROUX_SB_MP
mount -t tmpfs -o size=3g,mode=755 roux-sandbox "$R"
mkdir -p "$R"/upper "$R"/work "$R"/m
mount -t overlay overlay -o lowerdir="$ROUX_SB_LOWER",upperdir="$R"/upper,workdir="$R"/work "$R"/m
M=$R/m
ip link set lo up
hostname roux-sandbox
mount -t proc proc "$M"/proc
mount --rbind /dev "$M"/dev
mount --rbind /sys "$M"/sys && mount -o remount,bind,ro "$M"/sys
mount -t tmpfs -o mode=755 tmpfs "$M"/run; mkdir -p "$M"/run/lock
mount -t tmpfs -o mode=1777 tmpfs "$M"/tmp
mkdir -p "$M"/roux/build "$M"/roux/src
mount --bind "$ROUX_SB_BUILD" "$M"/roux/build
mount --bind "$ROUX_SB_SRC" "$M"/roux/src && mount -o remount,bind,ro "$M"/roux/src
for b in "${binds[@]}"; do
  mkdir -p "$M/${b#*:}"; mount --bind "${b%%:*}" "$M/${b#*:}"
done
# SysV shims.
rm -f "$M"/usr/sbin/policy-rc.d
ln -sf /bin/true "$M"/sbin/init
printf '#!/bin/sh\necho "N 2"\n' > "$M"/sbin/runlevel; chmod 755 "$M"/sbin/runlevel
cp "$SCRIPT" "$M"/roux-sandbox-script.sh
unset ROUX_SB_INNER ROUX_SB_MP ROUX_SB_LOWER ROUX_SB_BUILD ROUX_SB_SRC
# roux's closing record (syslog when not under the journal) must not reach the host's /dev/log,
# which the rbind of /dev brings in: a socket that does not exist, as tests/e2e/lib.sh does.
export ROUX=/roux/build/roux ROUX_SOURCE_DIR=/roux/src ROUX_SANDBOX=1 HOME=/root \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  ROUX_SYSLOG_SOCKET=${ROUX_SYSLOG_SOCKET:-/nonexistent/roux-sandbox-syslog}
rc=0; chroot "$M" /bin/bash /roux-sandbox-script.sh "${args[@]}" || rc=$?
exit $rc
