#!/usr/bin/env bash
# A run killed mid-way can leave temp files (".NAME.roux-tmp") in the state folder, its backup and
# report folders, and beside a managed file. The next converge removes them: only roux's own temp
# names, only in roux's own folders and beside the files it manages; nothing else is touched.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
state="$root/var/lib/roux"
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/app.conf
    content: "v1\n"
EOF2
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "first converge"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/app.conf
    content: "v2\n"
EOF2
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "second converge (a backup and a per-run report)"
bdir=$(dirname "$(find "$state/backup" -mindepth 2 -maxdepth 2 -type f -name '*Z' | head -1)")
[ -d "$bdir" ] || fail "no backup folder"

# A run killed in the middle (SIGKILL: nothing of it can clean up).
mkdir -p "$work/slow"
write_policy "$work/slow" slow <<'EOF2'
resources:
  - exec: hold
    command: touch "$ROUX_ROOT/started"; exec sleep 300
EOF2
"$ROUX" converge --policy "$work/slow" --root "$root" >/dev/null 2>&1 &
slow=$!
deadline=$(( $(date +%s) + 30 ))
until [ -e "$root/started" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "the slow converge never started"
  sleep 0.05
done
kill -9 "$slow"
wait "$slow" 2>/dev/null || true
# What such a run leaves when killed between a temp file's creation and its rename:
leftovers=("$state/.last_run.json.roux-tmp" "$state/reports/.20261130T000000Z-1.json.roux-tmp"
           "$bdir/.20261130T000000.000000Z.roux-tmp" "$root/etc/.app.conf.roux-tmp")
mkdir -p "$state/reports"
for f in "${leftovers[@]}"; do printf 'partial' >"$f"; done
# Not roux's: must stay.
keep=("$state/backup/notes.txt" "$bdir/.hidden" "$root/etc/.other.conf.roux-tmp" "$state/reports/x.roux-tmp")
for f in "${keep[@]}"; do printf 'mine' >"$f"; done

run_roux converge --policy "$work" --root "$root"
expect_rc 0 "converge after the killed run (nothing to change)"
for f in "${leftovers[@]}"; do [ ! -e "$f" ] || fail "stale temp not removed: ${f#$root}"; done
for f in "${keep[@]}"; do [ "$(cat "$f")" = mine ] || fail "removed or changed what is not roux's temp: ${f#$root}"; done
[ "$(cat "$root/etc/app.conf")" = v2 ] || fail "managed file changed"
echo ok
