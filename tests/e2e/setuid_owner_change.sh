#!/usr/bin/env bash
# mode "4755" with an owner change: the owner is applied first, then the mode, because a chown
# clears the setuid bit. Converge leaves 4755 (what it reports), also when the mode already was
# 4755 and only the owner changes; a second converge changes nothing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to chown"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/usr/local/bin"
printf 'root:x:0:0::/root:/bin/sh\nsvc:x:1234:1234::/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nsvc:x:1234:\n' >"$root/etc/group"
# An existing tool with the right content and mode, owned by root: only the owner is to change.
printf 'tool\n' >"$root/usr/local/bin/tool"
chmod 4755 "$root/usr/local/bin/tool"
# An existing one with the wrong mode and owner: both change.
printf 'other\n' >"$root/usr/local/bin/other"
chmod 0700 "$root/usr/local/bin/other"
write_policy "$work" app <<'EOF2'
resources:
  - file: /usr/local/bin/tool
    content: "tool\n"
    mode: "4755"
    owner: svc
  - file: /usr/local/bin/other
    content: "other\n"
    mode: "6755"
    owner: svc
    group: svc
  - file: /usr/local/bin/new
    content: "new\n"
    mode: "4750"
    owner: svc
    group: svc
EOF2

run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge"
for f in tool:4755:1234 other:6755:1234 new:4750:1234; do
  IFS=: read -r name mode uid <<<"$f"
  got=$(stat -c '%a %u' "$root/usr/local/bin/$name")
  [ "$got" = "$mode $uid" ] || fail "$name: mode/owner $got, want $mode $uid"
done
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "second converge changes nothing"
echo ok
