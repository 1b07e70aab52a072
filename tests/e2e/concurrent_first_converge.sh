#!/usr/bin/env bash
# 20 converges started at once on a fresh --root: every one succeeds. They race to create the
# state folder (/var, /var/lib, /var/lib/roux) before any holds the run lock; a folder another run
# made a moment earlier is success, not "mkdir /var/lib: File exists". Then they take turns.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
write_policy "$work" app <<'EOF2'
resources:
  - file: /motd
    content: "hello\n"
EOF2

N=20
for round in 1 2 3; do
  root="$work/root$round"
  mkdir "$root"
  pids=()
  for i in $(seq "$N"); do
    "$ROUX" converge --policy "$work" --root "$root" --lock-wait 120 >"$work/out.$round.$i" 2>&1 &
    pids+=("$!")
  done
  changed=0
  for i in $(seq "$N"); do
    rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    case "$rc" in
      2) changed=$((changed + 1)) ;;
      0) ;;
      *) fail "round $round: run $i of $N exited $rc: $(cat "$work/out.$round.$i")" ;;
    esac
  done
  [ "$changed" = 1 ] || fail "round $round: $changed runs changed the host, want exactly 1"
  [ "$(cat "$root/motd")" = hello ] || fail "round $round: motd"
  [ "$(stat -c %a "$root/var/lib/roux")" = 700 ] || fail "round $round: state folder mode"
done
echo ok
