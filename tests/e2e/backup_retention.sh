#!/usr/bin/env bash
# `backup: N` keeps the N newest copies of a replaced file under STATE/backup/<sha256 of the path,
# 32 hex>-<file name>/<UTC timestamp> (mode 0600; the folder's `path` file names the path), older
# ones removed; ensure: absent backs up before removing.
# plan never writes a backup. `backup: 0` keeps nothing; the default keeps 5.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
recipe() {
  write_policy "$work" app <<EOF2
resources:
  - file: /etc/app.conf
    content: "version $1\n"
    backup: 2
  - file: /etc/nobackup.conf
    content: "version $1\n"
    backup: 0
  - file: /etc/default.conf
    content: "version $1\n"
EOF2
}
# bdir PATH: the backup folder of PATH (sha256 of the path, 32 hex digits, then the file name).
bdir() { echo "$root/var/lib/roux/backup/$(printf '%s' "$1" | sha256sum | cut -c1-32)-${1##*/}"; }
app=$(bdir /etc/app.conf)
backups() { ls "$app" 2>/dev/null | grep 'Z$' || true; }

recipe 1
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "create"
[ -z "$(backups)" ] || fail "a backup was made of a file that did not exist"
for v in 2 3 4; do
  recipe "$v"
  run_roux plan --policy "$work" --root "$root"
  expect_rc 2 "plan version $v"
  [ "$(backups | wc -l)" = "$(( v - 2 < 2 ? v - 2 : 2 ))" ] || fail "plan of version $v wrote a backup"
  run_roux converge --policy "$work" --root "$root"
  expect_rc 2 "converge version $v"
done
mapfile -t kept < <(backups | LC_ALL=C sort)
[ "${#kept[@]}" = 2 ] || fail "kept ${#kept[@]} backups, want 2: ${kept[*]}"
[ "$(cat "$app/${kept[0]}")" = "version 2" ] || fail "older kept backup is not version 2"
[ "$(cat "$app/${kept[1]}")" = "version 3" ] || fail "newer kept backup is not version 3"
for k in "${kept[@]}"; do
  [[ "$k" =~ ^[0-9]{8}T[0-9]{6}\.[0-9]{6}Z$ ]] || fail "backup name $k"
  [ "$(stat -c %a "$app/$k")" = 600 ] || fail "backup $k mode"
done
[ "$(cat "$app/path")" = /etc/app.conf ] || fail "the backup folder's path file"
[ "$(stat -c %a "$root/var/lib/roux/backup")" = 700 ] && [ "$(stat -c %a "$app")" = 700 ] ||
  fail "backup folder mode"
[ "$(ls "$(bdir /etc/default.conf)" | grep -c 'Z$')" = 3 ] || fail "default retention: want 3 backups after 3 rewrites"
for k in $(ls "$root/var/lib/roux/backup"); do
  [[ "$k" != *nobackup* ]] || fail "a file with backup: 0 was backed up: $k"
done

# ensure: absent keeps a copy of what it removes.
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/app.conf
    ensure: absent
    backup: 2
EOF2
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "remove"
[ ! -e "$root/etc/app.conf" ] || fail "file not removed"
newest=$(backups | LC_ALL=C sort | tail -1)
[ "$(cat "$app/$newest")" = "version 4" ] || fail "removed file not backed up"
[ "$(backups | wc -l)" = 2 ] || fail "retention after removal"
echo "ok"
