#!/usr/bin/env bash
# A roux stopped by SIGTERM (or SIGINT) stops what it started before it dies: the exec's shell and
# everything in its process group are gone by the time the run lock is free. A roux killed by
# SIGKILL cannot clean up, but its direct child still dies with it (PR_SET_PDEATHSIG).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
pids() { cat "$root"/*.pid 2>/dev/null || true; }
kill_leftovers() {
  local p
  for p in $(pids); do kill -9 "$p" 2>/dev/null || true; done
  _e2e_cleanup
}
trap kill_leftovers EXIT

write_policy "$work" app <<'EOF2'
resources:
  - exec: long job
    command: echo $$ > "$ROUX_ROOT/sh.pid"; sleep 300 & echo $! > "$ROUX_ROOT/bg.pid"; sleep 300
EOF2
mkdir -p "$work/quick"
write_policy "$work/quick" quick <<'EOF2'
resources:
  - file: /etc/quick
    content: "quick\n"
EOF2

# running PID: the process exists and is not a zombie (a killed orphan stays a zombie until its
# reaper, maybe a lazy PID 1, collects it: it runs nothing).
running() {
  local st
  st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# wait_for FILE: up to 30 s for FILE to exist and be non-empty.
wait_for() {
  local deadline=$(( $(date +%s) + 30 ))
  until [ -s "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$1 never appeared"
    sleep 0.05
  done
}
# all_gone: every recorded child pid has exited (waits up to 10 s).
all_gone() {
  local deadline=$(( $(date +%s) + 10 )) p alive
  while :; do
    alive=""
    for p in $(pids); do running "$p" && alive="$alive $p"; done
    [ -z "$alive" ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || { echo "still running:$alive" >&2; return 1; }
    sleep 0.1
  done
}

for sig in TERM INT; do
  rm -f "$root"/*.pid
  # A background job of a script starts with SIGINT ignored (and roux keeps an ignored signal
  # ignored, like nohup): give it the default disposition, as a terminal's Ctrl-C would find it.
  env --default-signal=INT "$ROUX" converge --policy "$work" --root "$root" >"$work/out" 2>&1 &
  roux_pid=$!
  wait_for "$root/sh.pid"
  wait_for "$root/bg.pid"
  kill -s "$sig" "$roux_pid"
  rc=0
  wait "$roux_pid" || rc=$?
  [ "$rc" -gt 128 ] || fail "roux on SIG$sig exited $rc, want death by the signal"
  # The moment roux is gone (lock free), its children must be gone too: no grace period here.
  alive=""
  for p in $(pids); do running "$p" && alive="$alive $p"; done
  [ -z "$alive" ] || fail "after SIG$sig roux is gone but its children still run:$alive"
  run_roux converge --policy "$work/quick" --root "$root" --lock-wait 0
  [ "$RC" = 0 ] || [ "$RC" = 2 ] || fail "lock not free after SIG$sig: exit $RC: $ERR"
done

# SIGKILL: no handler runs; the direct child (here the command itself, via exec) dies with roux.
write_policy "$work" app <<'EOF2'
resources:
  - exec: long job
    command: echo $$ > "$ROUX_ROOT/sh.pid"; exec sleep 300
EOF2
rm -f "$root"/*.pid
"$ROUX" converge --policy "$work" --root "$root" >"$work/out" 2>&1 &
roux_pid=$!
wait_for "$root/sh.pid"
kill -9 "$roux_pid"
wait "$roux_pid" 2>/dev/null || true
all_gone || fail "after SIGKILL the exec's process outlived roux"
echo ok
