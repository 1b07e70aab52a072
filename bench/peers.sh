#!/usr/bin/env bash
# bench/peers.sh [ROUX]: issue 13's speed targets measured in one run, roux side by side with
# CFEngine's cf-agent on the peer workload (bench/peerbench/WORKLOAD.md: N files + 21 folders +
# 20 users + 5 installed packages), inside a throwaway sandbox. Not a test.
#
# The peer harness converges a LIVE host (files under /tmp/peerbench, 20 real users), so this
# script never runs it on the host: it mounts an overlay whose lower layer is the host's / and
# whose upper layer is a folder on the same disk (BENCH_TMP, default /var/tmp: fsync reaches the
# disk as on the host, unlike a tmpfs upper), in a private mount and pid namespace, and chroots
# into it. Users, files and state land in the upper folder, deleted at the end.
#
# Measured, rounds interleaved (the peers' order rotates each round; ratios are taken pair by
# pair, then the median): first converge at 1,000 and 5,000 files (each peer reset before its
# run), no-op at 1,000 and 5,000 (after one warm-up), and at 1,000 / 10,000 / 50,000 files roux's
# no-op against the floor program (bench/peerbench/floor_pb.c: only the stat/open/read calls a
# check needs). Prints each target of issue 13 as a ratio with the target beside it, the 1-minute
# load average of the runs, and roux's per-resource no-op cost at 1k / 10k / 50k.
#
# BENCH_FS picks the filesystem the writes land on (summary.md names the one used):
#   ext4-journal (default where a loop device can be had): the overlay's upper layer on a fresh
#     ext4 made by mkfs.ext4 with Debian 12's defaults (journal on, /etc/mke2fs.conf) in a sparse
#     file under BENCH_TMP (BENCH_FS_SIZE, 8G), loop-mounted (noinit_itable: no background
#     inode-table zeroing during the runs), one new filesystem per size (each size of the first
#     converges, each floor size), unmounted with its namespace and deleted at the end, also on
#     failure or interrupt. Like a fresh host's disk.
#   host: the old way, the upper layer a folder on BENCH_TMP's own filesystem. On this VM that is
#     /dev/vda, an ext4 WITHOUT a journal: there, Linux's find_inode_bit() (fs/ext4/ialloc.c) skips
#     every inode freed in the last 60 s (300 s if its inode-table block is dirty) and reads each
#     one's dtime to know (recently_deleted(), only when the filesystem has no journal), and the
#     rounds delete each peer's tree before making it again: every new inode walks past the ones
#     just freed. A 5,000-file first converge then spends most of its time in the kernel there;
#     a fresh host (journaled ext4 or xfs) does not. Both ways are kept: compare them.
# Needs root, overlayfs, unshare, cf-agent (Debian: apt-get install -y cfengine3); ext4-journal
# also mkfs.ext4 and a free loop device (losetup -f), else it says so and stops (exit 77).
# PROFILE_N=N: no rounds; one first converge of N files under strace -f -w -c and one plain, with
# the time per resource type (where a first converge's time goes). Needs strace.
# PROFILE_N=N PROFILE_TOOL=perf: instead, roux's and cf-agent's first converge of N files, each
# right after the same peer's converged tree was deleted (as in the rounds), under perf record -g:
# OUT/perf-first-PEER-N.txt (kernel and user symbols by self time, and the ext4 inode-allocation
# functions with their callees). Needs perf.
# PROFILE_NOOP=N: instead, where roux's no-op of N files goes inside the sandbox: each run's wall
# time against roux's own duration and phases (start, state writes and exit outside them), an
# strace -c, and a perf profile where perf is installed: OUT/noop-N.txt.
# Environment: ROUNDS (3), FLOOR_NS ("1000 10000 50000"), FIRST_NS ("1000 5000"),
# BENCH_TMP (/var/tmp), BENCH_FS (ext4-journal), BENCH_FS_SIZE (8G), OUT (a new folder under BENCH_TMP: results.tsv per size, logs, summary.md;
# kept), BASELINE (another roux binary: measured as peer "base" in the same rounds, e.g. the
# previous build, so before/after ratios are pair by pair too).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${ROUX_PEERS_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "peers.sh: needs root (it makes users inside a sandbox)" >&2; exit 77; }
  command -v cf-agent >/dev/null || { echo "peers.sh: no cf-agent (apt-get install -y cfengine3)" >&2; exit 77; }
  if [ -n "${PROFILE_N:-}" ] && [ "${PROFILE_TOOL:-strace}" = perf ] && ! command -v perf >/dev/null; then
    echo "peers.sh: PROFILE_TOOL=perf needs perf (apt-get install -y linux-perf)" >&2; exit 77
  fi
  if [ -n "${PROFILE_N:-}" ] && [ "${PROFILE_TOOL:-strace}" = strace ] && ! command -v strace >/dev/null; then
    echo "peers.sh: PROFILE_N needs strace (apt-get install -y strace)" >&2; exit 77
  fi
  if [ -n "${PROFILE_NOOP:-}" ] && ! command -v strace >/dev/null; then
    echo "peers.sh: PROFILE_NOOP needs strace (apt-get install -y strace; perf is used too where installed)" >&2; exit 77
  fi
  grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
  grep -qw overlay /proc/filesystems || { echo "peers.sh: no overlayfs" >&2; exit 77; }
  ROUX=$(realpath "${1:-$here/../build/roux}")
  [ -x "$ROUX" ] || { echo "peers.sh: no roux binary at $ROUX" >&2; exit 2; }
  tmp=${BENCH_TMP:-/var/tmp}
  fs_can=$( (command -v mkfs.ext4 >/dev/null && losetup -f >/dev/null) 2>&1 && echo yes || echo no)
  if [ -z "${BENCH_FS:-}" ]; then
    BENCH_FS=host
    [ "$fs_can" = yes ] && BENCH_FS=ext4-journal ||
      echo "peers.sh: no loop device or no mkfs.ext4 (losetup -f failed): BENCH_FS=host (the upper layer on $tmp's filesystem)" >&2
  fi
  case $BENCH_FS in
    host) ;;
    ext4-journal)
      [ "$fs_can" = yes ] || { echo "peers.sh: BENCH_FS=ext4-journal needs mkfs.ext4 and a free loop device (losetup -f failed); skipped" >&2; exit 77; } ;;
    *) echo "peers.sh: BENCH_FS must be ext4-journal or host, not '$BENCH_FS'" >&2; exit 2 ;;
  esac
  : "${OUT:=$(mktemp -d "$tmp/roux-peers-out.XXXXXX")}"
  mkdir -p "$OUT"
  box= child=
  trap 'rm -rf "$box"' EXIT
  # Interrupted: the sandbox goes (unshare --fork ignores SIGTERM, so SIGKILL; --kill-child then
  # takes its processes, and the namespace its mounts, the loop device with them), then the EXIT
  # trap deletes its folder and image.
  trap '[ -z "$child" ] || { kill -KILL "$child" 2>/dev/null; wait "$child" || true; }; exit 130' INT TERM HUP
  export ROUX_PEERS_INNER=1 ROUX OUT BENCH_FS
  [ -z "${BASELINE:-}" ] || export BASELINE=$(realpath "$BASELINE")
  # one sandbox (overlay, and for ext4-journal a new filesystem in box/fs.img, mounted in the
  # sandbox's own mount namespace: it goes away with the namespace) per part
  sandbox() {  # FIRST_NS FLOOR_NS
    box=$(mktemp -d "$tmp/roux-peers.XXXXXX")
    if [ "$BENCH_FS" = ext4-journal ]; then
      truncate -s "${BENCH_FS_SIZE:-8G}" "$box/fs.img"
      mkfs.ext4 -q -F "$box/fs.img"
      fs_desc="the overlay's upper layer on a fresh ext4 per size, mkfs.ext4 with Debian's defaults (features: $(
        dumpe2fs -h "$box/fs.img" 2>/dev/null | sed -n 's/^Filesystem features: *//p')), a ${BENCH_FS_SIZE:-8G} sparse file under $tmp, loop-mounted noinit_itable"
    fi
    local rc=0
    # in the background and waited for: a signal to this script is handled at once (the trap
    # above), not after the sandboxed run
    ROUX_PEERS_BOX=$box FIRST_NS=$1 FLOOR_NS=$2 \
      unshare --mount --pid --fork --propagation private --kill-child "$0" </dev/null &
    child=$!
    wait "$child" || rc=$?
    child=
    [ "$rc" = 0 ] || echo "peers.sh: the sandboxed run failed (exit $rc); the figures below are partial" >&2
    rm -rf "$box"; box=
  }
  first_ns=${FIRST_NS-1000 5000} floor_ns=${FLOOR_NS-1000 10000 50000}
  fs_desc="the overlay's upper layer a folder on $tmp ($(findmnt -no FSTYPE,SOURCE -T "$tmp" | tr -s ' ')$(
    d=$(findmnt -no SOURCE -T "$tmp"); j=/sys/fs/ext4/${d#/dev/}/journal_task
    [ -r "$j" ] && [ "$(cat "$j")" = "<none>" ] && echo ", no journal"))"
  if [ "$BENCH_FS" = host ] || [ -n "${PROFILE_N:-}${PROFILE_NOOP:-}" ]; then
    sandbox "$first_ns" "$floor_ns"
  else
    for n in $first_ns; do sandbox "$n" ""; done
    for n in $floor_ns; do sandbox "" "$n"; done
  fi
  echo "BENCH_FS=$BENCH_FS: $fs_desc" >"$OUT/filesystem.txt"
  [ -n "${PROFILE_N:-}${PROFILE_NOOP:-}" ] || { cat "$OUT/filesystem.txt"; echo; /usr/bin/python3 "$here/peers.py" "$OUT"; } | tee "$OUT/summary.md"
  echo "results kept in $OUT"
  exit 0
fi

if [ "${ROUX_PEERS_INNER}" = 1 ]; then
  # in the namespaces, not yet chrooted: the overlay, /proc, /dev, /sys, /run, the output folder
  B=$ROUX_PEERS_BOX U=$ROUX_PEERS_BOX
  if [ "$BENCH_FS" = ext4-journal ]; then
    U=$B/fs && mkdir -p "$U" && mount -o loop,noinit_itable "$B/fs.img" "$U"
  fi
  mkdir -p "$U/upper" "$U/work" "$B/m"
  mount -t overlay overlay -o lowerdir=/,upperdir="$U/upper",workdir="$U/work" "$B/m"
  M=$B/m
  mount -t proc proc "$M/proc"
  mount --rbind /dev "$M/dev"
  mount --rbind /sys "$M/sys"
  mount -t tmpfs -o mode=755 tmpfs "$M/run"
  mkdir -p "$M/$OUT" && mount --bind "$OUT" "$M/$OUT"
  ROUX_PEERS_INNER=2 exec chroot "$M" /bin/bash "$here/peers.sh"
fi

# ---- inside the chroot: the same paths as the host, writes land in the overlay's upper layer ----
pb=$here/peerbench
export PEERBENCH_BASE=/tmp/peerbench
R=${ROUNDS:-3}
peers=(roux cfengine)
if [ -n "${BASELINE:-}" ]; then
  # a second roux ("base"): the same policy and commands, its own tree and users (initial 'b')
  peers=(roux base cfengine)
fi
export PB_EXTRA_BASE=${BASELINE:-}
rm -rf "$PEERBENCH_BASE" && mkdir -p "$PEERBENCH_BASE"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [ -n "${PROFILE_N:-}" ] && [ "${PROFILE_TOOL:-strace}" = perf ]; then
  # PROFILE_N=N PROFILE_TOOL=perf: each peer converges N files (untimed), is reset (its tree,
  # users and state deleted, as before each first converge of the rounds), then converges
  # them again under perf record -g (the peer's processes and their children)
  . "$pb/peers.sh"
  for p in roux cfengine; do
    "$pb/gen.sh" "$PROFILE_N" 20 "$p" >/dev/null
    pb_reset "$p"; pb_argv "$p"
    "${PB_ARGV[@]}" >/dev/null 2>&1 </dev/null || true
    pb_reset "$p"
    d=$OUT/perf-first-$p-$PROFILE_N
    "$pb/timecmd.py" -o "$d.time" -- perf record -q -g -o "$d.data" -- "${PB_ARGV[@]}" >/dev/null 2>&1 </dev/null || true
    "$pb/verify.py" "$p" >"$d.verify" 2>&1 || true
    {
      echo "# $p, first converge of $PROFILE_N files right after its converged tree was deleted; $(cat "$d.verify")"
      echo "# perf record -g (timecmd, perf included): $(tr '\n' ' ' <"$d.time")"
      echo "# the ext4 inode allocation, share of all samples with callees (children):"
      perf report -i "$d.data" --stdio --children --sort sym 2>/dev/null |
        grep -E '^ +[0-9.]+% +[0-9.]+% .*(__ext4_new_inode|find_inode_bit|recently_deleted|ext4_read_inode_bitmap|__ext4_get_inode_loc|ext4_find_next_zero_bit|_find_next_zero_bit|entry_SYSCALL_64_after_hwframe|\[k\] do_sys_openat2|do_syscall_64)$' || true
      echo "# all symbols by self time (>= 0.5 %):"
      perf report -i "$d.data" --stdio --no-children --sort sym --percent-limit 0.5 -g none 2>/dev/null | grep -v '^$'
    } >"$d.txt"
    rm -f "$d.data"
    head -14 "$d.txt"
    pb_clean "$p"
  done
  exit 0
fi

if [ -n "${PROFILE_NOOP:-}" ]; then
  # PROFILE_NOOP=N: instead of the rounds, where a no-op of N files goes (after one converge and
  # one warm-up no-op): PROFILE_RUNS (10) no-ops, each its wall time, roux's own duration and
  # phases (its last_run.json) and what lies outside them (start, the state folder's writes, exit);
  # one under strace -f -c -w (wall time per syscall); with perf installed, the runs again under
  # perf record -g: OUT/noop-N.txt.
  . "$pb/peers.sh"
  n=$PROFILE_NOOP d=$OUT/noop-$PROFILE_NOOP
  "$pb/run.sh" converge roux "$n" >"$d.converge" 2>&1 || { tail -3 "$d.converge"; exit 1; }
  pb_argv roux
  "${PB_ARGV[@]}" >/dev/null 2>&1 </dev/null || true
  {
    echo "# roux no-op, $n files (+ 21 folders, 20 users, 5 packages), $BENCH_FS; load $(cut -d' ' -f1 /proc/loadavg)"
    for ((i = 0; i < ${PROFILE_RUNS:-10}; i++)); do
      "$pb/timecmd.py" -o "$d.time" -- "${PB_ARGV[@]}" >/dev/null 2>&1 </dev/null || true
      /usr/bin/python3 - "$(pb_state_roux)/last_run.json" "$d.time" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = dict(l.split(": ", 1) for l in open(sys.argv[2]).read().splitlines() if ": " in l)
wall = float(t["wall_s"]) * 1000
print(f"wall {wall:.1f} ms (user {float(t['user_s'])*1000:.1f}, sys {float(t['sys_s'])*1000:.1f}); roux's duration "
      f"{d['duration_ms']:.1f} ms, outside it {wall - d['duration_ms']:.1f} ms; phases " +
      " ".join(f"{k} {v:.1f}" for k, v in d["phases_ms"].items()))
PY
    done
    strace -f -c -w -o "$d.strace" "${PB_ARGV[@]}" >/dev/null 2>&1 </dev/null || true
    echo "# strace -f -c -w (wall time per syscall, one run):"
    head -16 "$d.strace"
    if command -v perf >/dev/null; then
      perf record -q -g -o "$d.data" -- bash -c 'for ((i = 0; i < '"${PROFILE_RUNS:-10}"'; i++)); do "$@" >/dev/null 2>&1 </dev/null; done' - "${PB_ARGV[@]}" || true
      echo "# perf record -g of the runs, roux's samples by shared object, then symbols by self time (>= 1 %):"
      comm=$(basename "$ROUX" | cut -c1-15)
      perf report -i "$d.data" --stdio --comm "$comm" --no-children --sort dso -g none 2>/dev/null | grep '%' || true
      perf report -i "$d.data" --stdio --comm "$comm" --no-children --sort sym --percent-limit 1 -g none 2>/dev/null | grep '%' || true
      rm -f "$d.data"
    fi
  } >"$d.txt" 2>&1
  cat "$d.txt"
  pb_clean roux
  exit 0
fi

if [ -n "${PROFILE_N:-}" ]; then
  # PROFILE_N=N: instead of the rounds, roux's first converge of N files twice, once under
  # strace -f -w -c (wall time per syscall, children included: OUT/strace-first-N.txt), once
  # plain with its JSON report (OUT/first-N.json); then the time per resource type of the latter.
  . "$pb/peers.sh"
  "$pb/gen.sh" "$PROFILE_N" 20 roux >/dev/null
  pb_reset roux; pb_argv roux
  strace -f -w -c -o "$OUT/strace-first-$PROFILE_N.txt" "${PB_ARGV[@]}" --format json >/dev/null 2>&1 </dev/null || true
  pb_reset roux
  "${PB_ARGV[@]}" --format json >"$OUT/first-$PROFILE_N.json" 2>/dev/null </dev/null || true
  "$pb/verify.py" roux || true
  /usr/bin/python3 - "$OUT/first-$PROFILE_N.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
print("duration_ms", round(d["duration_ms"]), "phases_ms", {k: round(v) for k, v in d["phases_ms"].items()})
ms, n = collections.Counter(), collections.Counter()
for r in d.get("resources", []):
    t = r.get("type") or r["id"].split("[")[0]
    ms[t] += r.get("duration_ms", 0); n[t] += 1
for t in ms:
    print(f"{t}: {n[t]} resources, {ms[t]:.0f} ms summed over the workers")
PY
  head -12 "$OUT/strace-first-$PROFILE_N.txt"
  pb_clean roux
  exit 0
fi

for n in ${FIRST_NS-1000 5000}; do
  FIRST_RUNS=$R NOOP_WARMUP=1 NOOP_RUNS=$R OUT=$OUT/peers-$n "$pb/run.sh" interleave "$n" "${peers[@]}" ||
    echo "peers.sh: interleave $n failed" >&2
done

# roux's no-op against the floor program (and BASELINE's no-op), rounds interleaved, at each size
flo=$OUT/floor
mkdir -p "$flo/logs"
[ -s "$flo/results.tsv" ] ||  # one sandbox per floor size with BENCH_FS=ext4-journal: appended
  printf 'peer\tn_files\tphase\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\texit\tverify\tload1\n' >"$flo/results.tsv"
. "$pb/peers.sh"
rotate() {  # K WORD...: the words rotated left by K places
  local k=$1 i; shift
  local a=("$@")
  for ((i = 0; i < ${#a[@]}; i++)); do printf '%s ' "${a[(i + k) % ${#a[@]}]}"; done
}
who_all=(roux floor)
[ -z "${BASELINE:-}" ] || who_all=(roux floor base)
for n in ${FLOOR_NS-1000 10000 50000}; do
  for who in "${who_all[@]}"; do
    [ "$who" = floor ] || "$pb/run.sh" converge "$who" "$n" >"$flo/logs/converge-$who-$n.txt" 2>&1 ||
      echo "peers.sh: converge $who $n failed: $(tail -1 "$flo/logs/converge-$who-$n.txt")" >&2
  done
  read -r -a floor_cmd < <(bash "$pb/floor_pb.sh" roux)
  for ((r = 0; r <= R; r++)); do  # round 0: one untimed warm-up of each
    for who in $(rotate "$r" "${who_all[@]}"); do
      if [ "$who" = floor ]; then argv=("${floor_cmd[@]}"); else pb_argv "$who"; argv=("${PB_ARGV[@]}"); fi
      t=$flo/logs/$who-$n-$r
      load=$(cut -d' ' -f1 /proc/loadavg)
      "$pb/timecmd.py" -o "$t.time" -- "${argv[@]}" >"$t.out" 2>&1 </dev/null || true
      [ "$r" = 0 ] && continue
      if [ "$who" != floor ]; then v=$("$pb/verify.py" "$who" >/dev/null 2>&1 && echo ok || echo FAIL)
      else v=$(grep -qx '0 bad' "$t.out" && echo ok || echo FAIL); fi
      printf '%s\t%s\n' "$(/usr/bin/python3 "$pb/summarize.py" row "$who" "$n" noop "$r" "$v" "$t.time")" "$load" >>"$flo/results.tsv"
    done
  done
  for who in "${who_all[@]}"; do [ "$who" = floor ] || pb_clean "$who"; done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
