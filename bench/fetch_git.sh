#!/usr/bin/env bash
# Figures for docs/sources-and-lockfile.md: `roux fetch` against an unchanged git remote, and a
# full converge of a locked policy of 20 cookbooks with a warm cache (first apply, then no-op).
#   ROUX=build/roux bench/fetch_git.sh [RUNS]
# Everything lives in a temp folder (a git remote made with the git CLI, a --root tree).
set -euo pipefail
ROUX=${ROUX:-$(cd "$(dirname "$0")/.." && pwd)/build/roux}
RUNS=${1:-10}
work=$(mktemp -d /tmp/roux-bench-git.XXXXXX)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid GIT_COMMITTER_NAME=bench
export GIT_COMMITTER_EMAIL=bench@example.invalid GIT_CONFIG_NOSYSTEM=1

git init -q --bare "$work/remote.git"
git init -q "$work/src"
for i in $(seq -w 1 20); do
  cb="$work/src/cb$i"
  mkdir -p "$cb/recipes" "$cb/files"
  printf 'name: cb%s\nversion: 1.0.0\n' "$i" >"$cb/metadata.yaml"
  {
    echo "resources:"
    echo "  - directory: /etc/bench/cb$i"
    for f in 1 2 3 4 5; do
      printf '  - file: /etc/bench/cb%s/f%s.conf\n    content: "cookbook %s file %s\\n"\n' "$i" "$f" "$i" "$f"
    done
  } >"$cb/recipes/default.yaml"
  head -c 20000 /dev/urandom | base64 >"$cb/files/blob.txt"
done
git -C "$work/src" add -A
git -C "$work/src" commit -q -m "20 cookbooks"
for i in $(seq -w 1 20); do git -C "$work/src" tag "cb$i-v1.0.0"; done
git -C "$work/src" push -q "$work/remote.git" HEAD:refs/heads/main --tags

mkdir -p "$work/policy" "$work/root/etc/bench"
{
  printf 'name: bench\nsources:\n  - git+file://%s/remote.git\nrun_list:\n' "$work"
  for i in $(seq -w 1 20); do echo "  - cb$i"; done
} >"$work/policy/policy.yaml"

ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms); "$ROUX" lock --policy "$work/policy" --root "$work/root" >/dev/null; t1=$(ms)
echo "roux lock (clone + resolve + materialise 20 cookbooks): $((t1 - t0)) ms"

best=999999; total=0
for _ in $(seq "$RUNS"); do
  t0=$(ms); out=$("$ROUX" fetch --policy "$work/policy" --root "$work/root"); t1=$(ms)
  d=$((t1 - t0)); total=$((total + d)); [ "$d" -lt "$best" ] && best=$d
done
echo "roux fetch, unchanged git remote: best $best ms, mean $((total / RUNS)) ms over $RUNS runs ($(echo "$out" | head -1))"

t0=$(ms); rc=0; "$ROUX" converge --policy "$work/policy" --root "$work/root" >/dev/null || rc=$?; t1=$(ms)
echo "converge, locked, 20 cookbooks / 120 resources, warm cache, first apply: $((t1 - t0)) ms (exit $rc)"
best=999999; total=0
for _ in $(seq "$RUNS"); do
  t0=$(ms); rc=0; "$ROUX" converge --policy "$work/policy" --root "$work/root" >/dev/null || rc=$?; t1=$(ms)
  [ "$rc" = 0 ] || { echo "no-op converge exited $rc" >&2; exit 1; }
  d=$((t1 - t0)); total=$((total + d)); [ "$d" -lt "$best" ] && best=$d
done
echo "converge, locked, 20 cookbooks / 120 resources, warm cache, no-op: best $best ms, mean $((total / RUNS)) ms over $RUNS runs"
