#!/usr/bin/env bash
# ssh_authorized_key under --root (the tree's own /etc/passwd gives each user's home): a key added
# to an existing authorized_keys keeps the foreign lines byte for byte and updates its own line's
# options in place; a user without .ssh gets .ssh 0700 and authorized_keys 0600, owned by the
# user; ensure: absent drops a key. Plan lists exactly what converge does and changes nothing;
# the second converge changes nothing. Hostile homes: a .ssh that is a symlink (to the tree's
# /root/.ssh) and a home that is a symlink are refused and nothing is written through them; the
# other keys still converge. Bad input (unknown type, a key whose blob names another type, an
# unquoted option value) is a compile error at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (files are chowned to the tree's users)"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/home/alice/.ssh" "$root/home/bob" "$root/home/mallory" "$root/root/.ssh" "$root/elsewhere"
cat >"$root/etc/passwd" <<'EOF2'
root:x:0:0:root:/root:/bin/bash
alice:x:1001:1001::/home/alice:/bin/sh
bob:x:1002:1002::/home/bob:/bin/sh
mallory:x:1003:1003::/home/mallory:/bin/sh
eve:x:1004:1004::/home/eve:/bin/sh
EOF2
printf 'root:x:0:\nalice:x:1001:\nbob:x:1002:\nmallory:x:1003:\neve:x:1004:\n' >"$root/etc/group"
ED=AAAAC3NzaC1lZDI1NTE5AAAAIPRwkXUt0hMwy2oIphr5rwCYrcbP0xFJmDsivE3zdLpN
EC=AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHJnkRA5RZ6dGsh5alvqJ/ZRVifFIhd0hwjPup5MguEuElu9o1/W7hW2WdTUTzCwGvydUocxbe9WftSCRya+P4g=
# alice: a comment, a foreign key, our key with old options, a line roux cannot parse, an old key.
printf '# managed by hand\necdsa-sha2-nistp256 %s carol\nno-pty ssh-ed25519 %s old-comment\nthis is not a key\nssh-ecdsa-junk\n' \
  "$EC" "$ED" >"$root/home/alice/.ssh/authorized_keys"
chown -R 1001:1001 "$root/home/alice"; chmod 700 "$root/home/alice/.ssh"; chmod 600 "$root/home/alice/.ssh/authorized_keys"
chown 1002:1002 "$root/home/bob"
# mallory's .ssh points at root's; eve's home is a link to a folder she "owns" elsewhere.
echo "root-only" >"$root/root/.ssh/authorized_keys"
chown 1003:1003 "$root/home/mallory"; ln -s /root/.ssh "$root/home/mallory/.ssh"
ln -s /elsewhere "$root/home/eve"

write_policy "$work" app <<EOF2
resources:
  - ssh_authorized_key: alice-laptop
    user: alice
    type: ssh-ed25519
    key: $ED
    options: ['from="10.0.0.0/8"', 'command="/usr/bin/backup --x \\"y z\\""', no-pty]
  - ssh_authorized_key: bob-ci
    user: bob
    type: ssh-ed25519
    key: $ED
    comment: ci@builder
  - ssh_authorized_key: carol
    user: alice
    type: ecdsa-sha2-nistp256
    key: $EC
    ensure: absent
EOF2
plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json")" = "ssh_authorized_key[alice-laptop]	key	differs	present
ssh_authorized_key[bob-ci]	ssh_dir	absent	/home/bob/.ssh 0700 1002:1002
ssh_authorized_key[bob-ci]	key	absent	present
ssh_authorized_key[carol]	key	present	absent" ] || fail "changes: $(json_changes "$work/c1.json")"
want_alice="# managed by hand
from=\"10.0.0.0/8\",command=\"/usr/bin/backup --x \\\"y z\\\"\",no-pty ssh-ed25519 $ED alice-laptop
this is not a key
ssh-ecdsa-junk"
[ "$(cat "$root/home/alice/.ssh/authorized_keys")" = "$want_alice" ] ||
  fail "alice's file: $(cat "$root/home/alice/.ssh/authorized_keys")"
[ "$(cat "$root/home/bob/.ssh/authorized_keys")" = "ssh-ed25519 $ED ci@builder" ] || fail "bob's file"
[ "$(stat -c '%a %u:%g %F' "$root/home/bob/.ssh")" = "700 1002:1002 directory" ] || fail "bob's .ssh: $(stat -c '%a %u:%g' "$root/home/bob/.ssh")"
[ "$(stat -c '%a %u:%g' "$root/home/bob/.ssh/authorized_keys")" = "600 1002:1002" ] || fail "bob's file mode"
[ "$(stat -c '%a %u:%g' "$root/home/alice/.ssh/authorized_keys")" = "600 1001:1001" ] || fail "alice's file mode"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"

# Drift: a mode changed behind roux's back is put right, and planned the same.
chmod 644 "$root/home/bob/.ssh/authorized_keys"
run_roux plan --policy "$work" --root "$root" --format json
printf '%s\n' "$OUT" >"$work/plan2.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "mode drift"
printf '%s\n' "$OUT" >"$work/c2.json"
diff <(json_changes "$work/plan2.json") <(json_changes "$work/c2.json") || fail "plan and converge differ (drift)"
[ "$(json_changes "$work/c2.json")" = "ssh_authorized_key[bob-ci]	file mode	0644 1002:1002	0600 1002:1002" ] ||
  fail "drift: $(json_changes "$work/c2.json")"

# Hostile homes: refused, nothing written through the links, the other key still converges.
write_policy "$work" app <<EOF2
resources:
  - ssh_authorized_key: m
    user: mallory
    type: ssh-ed25519
    key: $ED
  - ssh_authorized_key: e
    user: eve
    type: ssh-ed25519
    key: $ED
  - ssh_authorized_key: bob-ci
    user: bob
    type: ssh-ed25519
    key: $ED
    comment: ci@builder2
EOF2
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 6 "hostile homes (bob changed, two failed)"
printf '%s\n' "$OUT" >"$work/c3.json"
[ "$(resource_field "$work/c3.json" 'ssh_authorized_key[m]' error)" = "/home/mallory/.ssh is a symlink; refusing to follow it (a user could point it anywhere)" ] ||
  fail "mallory: $(resource_field "$work/c3.json" 'ssh_authorized_key[m]' error)"
[ "$(resource_field "$work/c3.json" 'ssh_authorized_key[e]' error)" = "home /home/eve of user eve is a symlink; refusing to follow it (a user could point it anywhere)" ] ||
  fail "eve: $(resource_field "$work/c3.json" 'ssh_authorized_key[e]' error)"
[ "$(cat "$root/root/.ssh/authorized_keys")" = "root-only" ] || fail "written through mallory's link"
[ -z "$(ls -A "$root/elsewhere")" ] || fail "written through eve's home link"
[ "$(cat "$root/home/bob/.ssh/authorized_keys")" = "ssh-ed25519 $ED ci@builder2" ] || fail "bob's comment not updated"

# Bad input: compile errors at file:line:col, nothing runs.
write_policy "$work" app <<EOF2
resources:
  - ssh_authorized_key: x
    user: alice
    type: ssh-foo
    key: $ED
  - ssh_authorized_key: y
    user: alice
    type: ssh-rsa
    key: $ED
  - ssh_authorized_key: z
    user: alice
    type: ssh-ed25519
    key: $ED
    options: [from=10.0.0.1]
EOF2
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad input"
grep -q 'recipes/default.yaml:4:11: ssh_authorized_key\[x\]: type: unknown key type "ssh-foo"' <<<"$ERR" || fail "bad type: $ERR"
grep -q 'recipes/default.yaml:9:10: ssh_authorized_key\[y\]: key: is a key of type "ssh-ed25519", not "ssh-rsa"' <<<"$ERR" ||
  fail "mismatched key: $ERR"
grep -q 'recipes/default.yaml:14:14: ssh_authorized_key\[z\]: options: "from=10.0.0.1": must be NAME or NAME="VALUE"' <<<"$ERR" ||
  fail "bad option: $ERR"
echo "PASS: ssh_authorized_key: foreign lines kept, options in place, .ssh/file modes, absent, plan == converge, idempotent, hostile homes refused, bad input"
