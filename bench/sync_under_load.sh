#!/usr/bin/env bash
# First converge of FILES new 4 KiB files into a --root on the same filesystem as a concurrent
# writer (dd of 2 GiB, never synced by itself): how long the run takes when another process keeps
# the filesystem's dirty data high, for each roux binary given (syncfs vs per-file fsync, see
# docs/design.md "Files are written atomically"). Prints one line per binary and case:
#   NAME idle|load SECONDS
# Usage: bench/sync_under_load.sh FILES ROUX...   (run as root or not; scratch under /var/tmp)
set -euo pipefail
n=$1
shift
work=$(mktemp -d /var/tmp/roux-syncbench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/cookbooks/b/recipes"
printf 'name: b\nversion: 1.0.0\n' >"$work/cookbooks/b/metadata.yaml"
body=$(head -c 3000 /dev/zero | tr '\0' x)
{
  echo "resources:"
  for i in $(seq 1 "$n"); do printf '  - file: /d/f%05d\n    content: "%s %d\\n"\n' "$i" "$body" "$i"; done
} >"$work/cookbooks/b/recipes/default.yaml"
printf 'name: bench\nsources:\n  - cookbooks\nrun_list:\n  - b\n' >"$work/policy.yaml"
for roux in "$@"; do
  for case in idle load idle load; do
    rm -rf "$work/root" "$work/big"
    mkdir -p "$work/root/d"
    sync
    pid=
    if [ "$case" = load ]; then
      dd if=/dev/zero of="$work/big" bs=1M count=2048 status=none &
      pid=$!
      sleep 2  # the writer has dirtied ~1 GiB by now
    fi
    t0=$(date +%s.%N)
    XDG_CACHE_HOME="$work/cache" "$roux" converge --policy "$work" --root "$work/root" --quiet >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    echo "$(basename "$roux") $case $(echo "$t1 - $t0" | bc)"
  done
done
