#!/usr/bin/env bash
# Numeric ids are checked 32-bit values: owner/group "4294967296" used to wrap to 0 (root), a huge
# number to (uid_t)-1; "-1" and 4294967295 are refused too. Other numbers (timeout, retries,
# returns, mode, backup) are range-checked and must be plain digits. Exit 1 with file:line:col,
# and the --root is untouched, in plan and converge, whether the number was written in the recipe
# or came from a -j attribute. Attribute numbers past 64 bits keep their text (they used to become
# 1e+20 or 9223372036854775807 in a rendered file).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
write_policy "$work" app <<'YAML'
resources:
  - file: /etc/owned
    content: "x\n"
    owner: "{{attr.uid}}"
    group: "4294967295"
  - directory: /etc/dir
    owner: "-1"
  - user: alice
    uid: 4294967295
    group: "99999999999999999999"
  - exec: slow
    command: "true"
    timeout: " 5"
    retries: 101
YAML
printf '{"uid": "4294967296"}\n' >"$work/attrs.json"
for cmd in plan converge; do
  root=$work/root.$cmd
  mkdir -p "$root/etc"
  run_roux "$cmd" --policy "$work" --root "$root" -j "$work/attrs.json"
  expect_rc 1 "$cmd"
  for want in \
    'recipes/default.yaml:4:12: file[/etc/owned]: owner: uid out of range: must be 0-4294967294, got 4294967296' \
    'recipes/default.yaml:5:12: file[/etc/owned]: group: gid out of range: must be 0-4294967294, got 4294967295' \
    'recipes/default.yaml:7:12: directory[/etc/dir]: owner: must be a name or a number, got "-1"' \
    'recipes/default.yaml:9:10: user[alice]: uid: must be between 0 and 4294967294, got 4294967295' \
    'recipes/default.yaml:10:12: user[alice]: group: gid out of range: must be 0-4294967294, got 99999999999999999999' \
    'recipes/default.yaml:13:14: exec[slow]: timeout: expected an integer, got " 5"' \
    'recipes/default.yaml:14:14: exec[slow]: retries: must be between 0 and 100, got 101'; do
    grep -qF -- "$want" <<<"$ERR" || fail "$cmd: no \"$want\" in: $ERR"
  done
  [ ! -e "$root/etc/owned" ] && [ ! -e "$root/etc/dir" ] || fail "$cmd created something"
  left=$(cd "$root" && find . -mindepth 1 -not -path './var*' -not -path ./etc | sort)
  [ -z "$left" ] || fail "$cmd touched the root: $left"
done
# Attribute numbers past 64 bits are not rounded or saturated on their way into a file.
big=$(e2e_tmpdir)
write_policy "$big" app <<'YAML'
resources:
  - file: /etc/numbers
    content: "{{attr.big}} {{attr.neg}} {{attr.huge}}\n"
YAML
printf 'big: 99999999999999999999\nneg: -99999999999999999999\nhuge: 1e999\n' >"$big/cookbooks/app/attributes.yaml"
mkdir -p "$big/root/etc"
run_roux converge --policy "$big" --root "$big/root"
expect_rc 2 "big numbers"
[ "$(cat "$big/root/etc/numbers")" = "99999999999999999999 -99999999999999999999 1e999" ] ||
  fail "attribute numbers changed on the way: $(cat "$big/root/etc/numbers")"
echo "ok: ids and numbers out of range refused at compile time; big attribute numbers kept as written"
