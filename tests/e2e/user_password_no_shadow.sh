#!/usr/bin/env bash
# A user with a password in a --root that has no /etc/shadow (a bare image): chpasswd would put the
# hash into /etc/passwd, which roux can neither read back nor plan (the plan predicted a chpasswd
# failure, converge then succeeded, and every later run failed). Now plan and converge both fail
# the user the same way, naming /etc/shadow, and nothing is made; with an /etc/shadow the same
# policy converges and a second converge makes 0 changes. Needs root (useradd --root chroots).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "useradd --root needs root"
command -v useradd >/dev/null || skip "no useradd (package passwd)"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
write_policy "$work" noshadow <<'EOF2'
resources:
  - user: nsapp
    home: /home/nsapp
    manage_home: true
    password: "$6$e2esalt$e2eHashValueNotARealOne"
EOF2
want='user[nsapp]: failed: password: cannot read /etc/shadow of the managed root (roux must run as root, and the root needs an /etc/shadow)'
run_roux plan --policy "$work" --root "$root"
expect_rc 4 "plan of a password without /etc/shadow"
grep -qF "$want" <<<"$OUT" || fail "plan's error: $OUT"
run_roux converge --policy "$work" --root "$root"
expect_rc 4 "converge of a password without /etc/shadow"
grep -qF "$want" <<<"$OUT" || fail "converge's error: $OUT"
grep -q '^nsapp:' "$root/etc/passwd" && fail "the user was made without its password"
[ -e "$root/home/nsapp" ] && fail "the home was made"
# With a shadow file the same policy converges, then makes 0 changes.
printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
printf 'root:*::\n' >"$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge with /etc/shadow"
grep -q '^nsapp:\$6\$e2esalt\$' "$root/etc/shadow" || fail "hash not in /etc/shadow"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "second converge"
echo ok
