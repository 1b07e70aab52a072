#!/usr/bin/env bash
# --root given as a relative path (`--root img`, `--root ./img/`) behaves exactly as its absolute
# form: the shadow tools roux runs (groupadd --root) refuse a relative root ("invalid chroot
# path"), so roux passes them the absolute folder. Plan changes nothing, converge makes the group,
# the users (one pass) and a file, the second converge makes 0 changes. Needs root (groupadd
# --root chroots).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "groupadd --root needs root"
command -v groupadd >/dev/null || skip "no groupadd (package passwd)"

work=$(e2e_tmpdir)
mkdir -p "$work/img/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$work/img/etc/passwd"
printf 'root:x:0:\n' >"$work/img/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$work/img/etc/shadow"
printf 'root::\n' >"$work/img/etc/gshadow"
chmod 0640 "$work/img/etc/shadow" "$work/img/etc/gshadow"
write_policy "$work" rel <<'EOF2'
resources:
  - group: relweb
  - user: relapp
    groups: [relweb]
    home: /home/relapp
    manage_home: true
  - file: /etc/rel.conf
    content: "x\n"
    owner: relapp
EOF2
cd "$work"
before=$(tree_checksum img)
run_roux plan --policy . --root img
expect_rc 2 "plan with a relative --root"
[ "$(tree_checksum img)" = "$before" ] || fail "plan changed the tree"
run_roux converge --policy . --root img --format json
expect_rc 2 "converge with a relative --root"
grep -q '^relweb:x:[0-9]*:relapp$' img/etc/group || fail "group relweb not made: $(cat img/etc/group)"
grep -q '^relapp:x:' img/etc/passwd || fail "user relapp not made"
[ -d img/home/relapp ] || fail "home not made"
uid=$(awk -F: '$1=="relapp"{print $3}' img/etc/passwd)
[ "$(stat -c %u img/etc/rel.conf)" = "$uid" ] || fail "rel.conf not owned by relapp's uid $uid"
run_roux converge --policy . --root ./img/
expect_rc 0 "second converge with --root ./img/"
echo ok
