#!/usr/bin/env bash
# Hostile files of a --root tree that roux read loosely, each proved through the binary: plan and
# converge agree, nothing is written that the file did not ask for, never a crash.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
pristine() {
  rm -rf "$root"
  mkdir -p "$root/etc/default"
  printf 'root:x:0:0:root:/root:/bin/bash\n' >"$root/etc/passwd"
  printf 'root:x:0:\nusers:x:100:\n' >"$root/etc/group"
  printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
  printf 'root:*::\nusers:*::\n' >"$root/etc/gshadow"
  chmod 600 "$root/etc/shadow" "$root/etc/gshadow"
}

# 1. /etc/default/useradd's SHELL= and HOME= go into new users' passwd lines. A ':' there made
# glibc's putpwent refuse the line: the old binary reported user[newu] changed, wrote a blank line
# to /etc/passwd and newu's line to /etc/shadow only (a shadow entry with no account). Now such a
# value is ignored with a warning naming file:line, for useradd's default.
write_policy "$work" ua <<'EOF'
resources:
  - user: newu
EOF
pristine
printf 'SHELL=/bin/sh:0:0\nHOME=/h:x\n' >"$root/etc/default/useradd"
for mode in plan converge; do
  run_roux "$mode" --policy "$work" --root "$root" --config /dev/null --format json
  expect_rc 2 "$mode with SHELL=/bin/sh:0:0"
  grep -qx "roux: warning: /etc/default/useradd:1: SHELL=/bin/sh:0:0 holds a ':' or a control character, which a passwd line cannot: ignored (new users get /bin/bash)" <<<"$ERR" ||
    fail "$mode: no SHELL= warning: $ERR"
  grep -q "/etc/default/useradd:2: HOME=/h:x holds a ':'" <<<"$ERR" || fail "$mode: no HOME= warning: $ERR"
  python3 - "$OUT" "$mode" <<'EOF' || fail "$mode report: $OUT"
import json, sys
r = {x["id"]: x for x in json.loads(sys.argv[1])["resources"]}
want = "would_change" if sys.argv[2] == "plan" else "changed"
assert r["user[newu]"]["status"] == want, r["user[newu]"]
EOF
done
grep -qx 'newu:x:1000:100::/home/newu:/bin/bash' "$root/etc/passwd" || fail "passwd: $(cat -A "$root/etc/passwd")"
! grep -q '^$' "$root/etc/passwd" || fail "a blank line in passwd: $(cat -A "$root/etc/passwd")"
grep -q '^newu:!:' "$root/etc/shadow" || fail "shadow: no newu"
run_roux converge --policy "$work" --root "$root" --config /dev/null --format json
expect_rc 0 "second converge"
[ "$(grep -c '^newu:' "$root/etc/shadow")" = 1 ] || fail "newu twice in shadow"

echo "hostile_root_files: ok"
