#!/usr/bin/env bash
# Backups of any path that can exist: a deep path whose name with "/" escaped would pass 255 bytes,
# and a 240-byte file name, are created, then updated with a backup, as plan said they would be.
# Two paths that the old %2F scheme mapped to one folder (/etc/a/b and /etc/a%2Fb) keep their
# backups apart. Each backup folder names its path in a `path` file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
deep=/srv$(printf '/d%02d' $(seq 1 45))        # 4 + 45*4 = 184 bytes of folders
long=$(printf 'n%.0s' $(seq 1 240))            # a 240-byte file name
mkdir -p "$root$deep" "$root/etc/a" "$root/etc/long"
recipe() {
  write_policy "$work" app <<EOF2
resources:
  - file: $deep/file.conf
    content: "deep $1\n"
    backup: 2
  - file: /etc/long/$long
    content: "long $1\n"
    backup: 2
  - file: /etc/a/b
    content: "slash $1\n"
    backup: 1
  - file: /etc/a%2Fb
    content: "percent $1\n"
    backup: 1
EOF2
}
# backup_of PATH: the backup folder whose `path` file names PATH.
backup_of() {
  local d
  for d in "$root"/var/lib/roux/backup/*/; do
    [ "$(cat "$d/path" 2>/dev/null)" = "$1" ] && { echo "${d%/}"; return 0; }
  done
  return 1
}

recipe 1
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "create"
recipe 2
run_roux plan --policy "$work" --root "$root"
expect_rc 2 "plan of the update"
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "update with backups"
[ "$(cat "$root$deep/file.conf")" = "deep 2" ] || fail "deep file not updated"
[ "$(cat "$root/etc/long/$long")" = "long 2" ] || fail "long-named file not updated"
for p in "$deep/file.conf:deep" "/etc/long/$long:long" "/etc/a/b:slash" "/etc/a%2Fb:percent"; do
  path=${p%:*} word=${p##*:}
  d=$(backup_of "$path") || fail "no backup folder for $path"
  n=$(find "$d" -maxdepth 1 -name '*Z' -type f | wc -l)
  [ "$n" = 1 ] || fail "$path: $n backups, want 1"
  [ "$(cat "$d"/*Z)" = "$word 1" ] || fail "$path: backup holds '$(cat "$d"/*Z)', want '$word 1'"
  name=$(basename "$d")
  [ "${#name}" -le 100 ] || fail "backup folder name of ${#name} bytes"
done
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "third converge"
echo ok
