#!/usr/bin/env bash
# nspawn.sh SCRIPT [--bind SRC:DST]... [-- ARGS...]
#
# Like run.sh, but with real systemd as PID 1: boots a throwaway container with
#   systemd-nspawn --volatile=overlay --private-network -b
# over the systemd-flavoured golden image (golden_sd.sh, derived once from golden.sh's image and
# cached next to it), waits until `systemctl is-system-running --wait` says running or degraded
# (degraded: prints `systemctl --failed`), runs SCRIPT (bash) as root inside the container with
# nsenter, powers the container off and exits with SCRIPT's exit code.
#  - Nothing persists: the image is the read-only lower layer, writes go to a tmpfs upper layer.
#  - Network: loopback only (private network namespace).
#  - Binds: the build dir at /roux/build (read-only; the binary is /roux/build/roux), the source
#    repo at /roux/src (read-only), plus every --bind SRC:DST (read-write).
#  - The host has no systemd/machined requirement: nspawn runs with --register=no --keep-unit in a
#    private mount namespace with its own tmpfs /run (nothing is left in the host's /run) and in
#    its own cgroup roux-sd-<pid> (with --keep-unit nspawn puts the container in <its cgroup>/payload:
#    two containers started from one cgroup would share a cgroup tree), so several containers can
#    run at once (ctest -j). The image is booted from a bind under that /run (see below).
#  - Always cleans up: poweroff, then SIGTERM/SIGKILL to nspawn if it hangs; all processes live in
#    a private pid namespace; on SIGTERM/SIGINT it is killed at once. Work dirs and cgroups left by
#    a SIGKILLed run (dead pid, no processes) are removed by the next run.
# Environment inside: ROUX=/roux/build/roux, ROUX_SOURCE_DIR=/roux/src, ROUX_SANDBOX=1,
# ROUX_SANDBOX_INIT=systemd, HOME=/root, a standard PATH, plus the caller's ROUX_* variables.
#
# Build dir: $ROUX_BUILD_DIR, else the directory of $ROUX, else <repo>/build. Image cache:
# $ROUX_SANDBOX_CACHE, default <build dir>/sandbox. Timeouts (seconds): ROUX_NSPAWN_BOOT_TIMEOUT
# (default 120). Exit 77 with the reason when not root, no systemd-nspawn, namespaces/overlayfs
# unavailable, or the image cannot be built.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)

# ---- cgroups: one private cgroup per run in the hierarchies systemd uses (v2 and name=systemd) ----
cg_dirs() {  # prints "MOUNTPOINT RELPATH" for each systemd-relevant hierarchy this process is in
  local m rel
  if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
    rel=$(sed -n 's/^0:://p' /proc/self/cgroup); echo "/sys/fs/cgroup ${rel%/}"; return
  fi
  m=/sys/fs/cgroup/unified
  if [ "$(stat -fc %T $m 2>/dev/null)" = cgroup2fs ]; then
    rel=$(sed -n 's/^0:://p' /proc/self/cgroup); echo "$m ${rel%/}"
  fi
  m=/sys/fs/cgroup/systemd
  if [ -d $m ] && grep -q '^[0-9]*:name=systemd:' /proc/self/cgroup; then
    rel=$(sed -n 's/^[0-9]*:name=systemd://p' /proc/self/cgroup); echo "$m ${rel%/}"
  fi
}

if [ -z "${ROUX_NS_INNER:-}" ]; then
  skip() { echo "SKIP: systemd sandbox unavailable: $*" >&2; exit 77; }
  [ $# -ge 1 ] || { echo "usage: nspawn.sh SCRIPT [--bind SRC:DST]... [-- ARGS...]" >&2; exit 2; }
  [ "$(id -u)" = 0 ] || skip "needs root"
  command -v systemd-nspawn >/dev/null || skip "systemd-nspawn missing (apt-get install systemd-container; scripts/install-deps.sh --with-tests)"
  command -v nsenter >/dev/null || skip "nsenter missing (util-linux)"
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
  grep -qw overlay /proc/filesystems || skip "kernel has no overlayfs (needed by --volatile=overlay)"
  unshare --mount --pid --net --uts --ipc --fork true 2>/dev/null || skip "cannot create namespaces (unshare --mount --pid --net failed)"
  [ -f "$1" ] || { echo "nspawn.sh: no script $1" >&2; exit 2; }
  if [ -n "${ROUX_BUILD_DIR:-}" ]; then BUILD=$ROUX_BUILD_DIR
  elif [ -n "${ROUX:-}" ]; then BUILD=$(dirname "$(readlink -f "$ROUX")")
  else BUILD=$SRC/build; fi
  BUILD=$(readlink -f "$BUILD")
  CACHE=${ROUX_SANDBOX_CACHE:-$BUILD/sandbox}
  rc=0; LOWER=$(bash "$HERE/golden.sh" "$CACHE") || rc=$?
  [ $rc = 0 ] || { [ $rc = 77 ] && skip "golden rootfs could not be built (see above)"; echo "golden.sh failed ($rc)" >&2; exit 1; }
  rc=0; IMAGE=$(bash "$HERE/golden_sd.sh" "$CACHE" "$LOWER") || rc=$?
  [ $rc = 0 ] || { [ $rc = 77 ] && skip "systemd image could not be built (see above)"; echo "golden_sd.sh failed ($rc)" >&2; exit 1; }

  NAME=roux-sd-$$
  # Leftovers of runs that were SIGKILLed before their cleanup (their pid is gone): work dirs and
  # cgroups (rmdir only removes empty ones).
  for d in /tmp/roux-sd-*.*; do
    p=${d#/tmp/roux-sd-}; p=${p%%.*}
    [ -d "$d" ] && ! kill -0 "$p" 2>/dev/null && rm -rf --one-file-system "$d"
  done
  while read -r mnt rel; do
    for d in "$mnt$rel"/roux-sd-*; do
      [ -d "$d" ] && ! kill -0 "${d##*-}" 2>/dev/null && [ -z "$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] &&
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  done < <(cg_dirs)
  WORK=$(mktemp -d /tmp/roux-sd-$$.XXXXXX)   # the script copy (bound read-only) and the boot log
  cp "$1" "$WORK/script.sh"; shift
  # Own cgroup (see header). Best effort: without it a single container still works.
  cgs=()
  while read -r mnt rel; do
    [ -n "$mnt" ] || continue
    if mkdir -p "$mnt$rel/$NAME" 2>/dev/null && echo $$ > "$mnt$rel/$NAME/cgroup.procs" 2>/dev/null; then
      cgs+=("$mnt $rel")
    else
      echo "nspawn.sh: warning: could not use a private cgroup under $mnt$rel" >&2
      rmdir "$mnt$rel/$NAME" 2>/dev/null || true
    fi
  done < <(cg_dirs)
  export ROUX_NS_INNER=1 ROUX_NS_IMAGE=$IMAGE ROUX_NS_BUILD=$BUILD ROUX_NS_SRC=$SRC ROUX_NS_WORK=$WORK ROUX_NS_NAME=$NAME
  # On SIGTERM/SIGINT (ctest timeout, ^C): SIGKILL unshare (it ignores TERM/INT while it waits);
  # --kill-child then SIGKILLs the namespace's init, which takes nspawn and the container with it;
  # the cleanup below still runs.
  unshare --mount --pid --fork --kill-child --mount-proc --propagation private "$0" "$@" &
  UPID=$! interrupted=
  trap 'interrupted=1; kill -KILL "$UPID" 2>/dev/null || true' TERM INT
  rc=0; wait "$UPID" || rc=$?
  while kill -0 "$UPID" 2>/dev/null; do wait "$UPID" || true; done
  trap - TERM INT
  [ -z "$interrupted" ] || { echo "nspawn.sh: interrupted" >&2; rc=143; }
  # Back to the original cgroups, then remove ours (children first; nspawn's payload/supervisor).
  for c in "${cgs[@]}"; do
    read -r mnt rel <<< "$c"
    echo $$ > "$mnt$rel/cgroup.procs" 2>/dev/null || true
    for try in 1 2 3 4 5 6 7 8 9 10; do
      find "$mnt$rel/$NAME" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [ -d "$mnt$rel/$NAME" ] || break
      sleep 0.3
    done
    [ -d "$mnt$rel/$NAME" ] && echo "nspawn.sh: warning: cgroup $mnt$rel/$NAME left behind" >&2
  done
  rm -rf "$WORK"
  exit $rc
fi

# ---- inside a private mount + pid namespace (host network) ----
binds=(); args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bind) binds+=("--bind=$2"); shift 2 ;;
    --bind=*) binds+=("--bind=${1#--bind=}"); shift ;;
    --) shift; args=("$@"); break ;;
    *) args+=("$1"); shift ;;
  esac
done
IMAGE=$ROUX_NS_IMAGE WORK=$ROUX_NS_WORK NAME=$ROUX_NS_NAME
# nspawn keeps locks and propagation dirs in /run and refuses to clean them on a non-tmpfs /run:
# give it a private tmpfs (gone with this namespace).
mount -t tmpfs -o mode=755 roux-sd-run /run
# The image lives under the build dir, which is bound into the container: booting it at its own
# path would propagate the container's root mounts into that bind, recursively (thousands of
# mounts, a shutdown that never ends). Boot it from a bind outside every bound tree instead.
mkdir -p /run/roux-sd/root
mount --bind "$IMAGE" /run/roux-sd/root
boot_timeout=${ROUX_NSPAWN_BOOT_TIMEOUT:-120}
t_start=$(date +%s%N)
systemd-nspawn -q --register=no --keep-unit -D /run/roux-sd/root --volatile=overlay --private-network \
  -M "$NAME" --hostname=roux-sandbox --console=passive \
  --bind-ro="$ROUX_NS_BUILD":/roux/build --bind-ro="$ROUX_NS_SRC":/roux/src --bind-ro="$WORK":/roux/sandbox \
  "${binds[@]}" -b </dev/null >"$WORK/boot.log" 2>&1 &
NSPID=$!
L=
ms() { echo $(( ($(date +%s%N) - t_start) / 1000000 )); }
bootlog() { echo "---- nspawn console ($WORK/boot.log) ----" >&2; tail -40 "$WORK/boot.log" >&2; echo "----" >&2; }
alive() { kill -0 "$NSPID" 2>/dev/null; }
stop_container() {
  trap - EXIT INT TERM
  if alive; then
    [ -n "$L" ] && timeout 20 nsenter -t "$L" -a systemctl poweroff --no-block >/dev/null 2>&1 || true
    local stop_by=$(( $(date +%s) + 30 ))                      # 30 s for an orderly poweroff
    while alive && [ "$(date +%s)" -lt "$stop_by" ]; do sleep 0.1; done
    if alive; then echo "nspawn.sh: poweroff hung, terminating nspawn" >&2; bootlog; kill -TERM "$NSPID" 2>/dev/null || true; fi
    stop_by=$(( $(date +%s) + 10 ))
    while alive && [ "$(date +%s)" -lt "$stop_by" ]; do sleep 0.1; done
    if alive; then kill -KILL "$NSPID" 2>/dev/null || true; fi
  fi
  wait "$NSPID" 2>/dev/null || true
}
trap stop_container EXIT
trap 'exit 143' INT TERM

# The container's PID 1: the `systemd` child of nspawn (a deadline, not a count of tries).
deadline=$(( $(date +%s) + boot_timeout ))
while :; do
  L=$(pgrep -P "$NSPID" -x systemd | head -1 || true)
  [ -n "$L" ] && break
  alive && [ "$(date +%s)" -lt "$deadline" ] || break
  sleep 0.1
done
if [ -z "$L" ]; then
  echo "nspawn.sh: the container did not start (no systemd under nspawn pid $NSPID)" >&2; bootlog; exit 1
fi
# Wait for the boot until the deadline. Before PID 1 listens on its private bus systemctl cannot
# connect, and while it is still setting up `is-system-running --wait` can answer at once with a
# transient state ("offline", "unknown", "initializing", "starting") instead of waiting: all of
# those are retried until the deadline (a loaded machine boots slowly; it is not a failed boot).
# Only running/degraded (booted) and maintenance/stopping (will not boot) end the wait early.
deadline=$(( $(date +%s) + boot_timeout ))
state=""
while :; do
  left=$(( deadline - $(date +%s) ))
  [ "$left" -gt 0 ] || break
  state=$(timeout "$left" nsenter -t "$L" -a systemctl is-system-running --wait 2>&1 || true)
  case "$state" in
    running|degraded|maintenance|stopping) break ;;
    *) alive || break; sleep 0.2 ;;
  esac
done
boot_ms=$(ms)
case "$state" in
  running) ;;
  degraded) echo "nspawn.sh: system degraded after boot; failed units:" >&2
            nsenter -t "$L" -a systemctl --failed --no-pager >&2 || true ;;
  *) echo "nspawn.sh: container did not finish booting within ${boot_timeout}s: '$state'" >&2; bootlog; exit 1 ;;
esac
echo "nspawn.sh: $NAME booted ($state) in ${boot_ms} ms" >&2

envs=()
while IFS= read -r -d '' kv; do
  case "$kv" in ROUX_NS_*|ROUX=*|ROUX_SOURCE_DIR=*|ROUX_SANDBOX=*) ;; ROUX_*) envs+=("$kv") ;; esac
done < <(env -0)
rc=0
nsenter -t "$L" -a env -i "${envs[@]}" ROUX=/roux/build/roux ROUX_SOURCE_DIR=/roux/src ROUX_SANDBOX=1 \
  ROUX_SANDBOX_INIT=systemd HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /bin/bash -c 'cd /root && exec /bin/bash /roux/sandbox/script.sh "$@"' script "${args[@]}" </dev/null &
NSE=$!
# A script that shuts the container down (systemd_nspawn_reboot) is still running when
# systemd-shutdown freezes every process of the container with SIGSTOP before killing them.
# nsenter, outside the container, mirrors a stopped child by stopping itself and waits for a
# SIGCONT that no shell sends here: it then never reaps the killed script, and the container's
# PID 1 cannot exit (it waits for every process of its namespace to be reaped). Resume it.
while kill -0 "$NSE" 2>/dev/null; do
  [ "$(cut -d' ' -f3 "/proc/$NSE/stat" 2>/dev/null)" != T ] || kill -CONT "$NSE" 2>/dev/null || true
  sleep 0.2
done
wait "$NSE" || rc=$?
t_run=$(ms)
stop_container
echo "nspawn.sh: script exit $rc; boot ${boot_ms} ms, script $((t_run - boot_ms)) ms, poweroff $(( $(ms) - t_run )) ms" >&2
exit $rc
