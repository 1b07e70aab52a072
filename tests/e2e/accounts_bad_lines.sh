#!/usr/bin/env bash
# Hostile account files in a --root: a line of /etc/passwd that is not an entry (a 200 kB line cut
# short: 5 fields of 7) hides a user from every reader. roux names the file and line (a warning),
# and refuses to create or change users while it is there (it could create that user again, or
# give its uid to another): each user resource fails naming file:line, nothing written; group
# resources, which read /etc/group only, go on. A whole 200 kB passwd line (valid, but longer than
# shadow's tools read) is a warning naming it, and roux reads it: the user is seen, not re-created.
# The same for /etc/group and /etc/shadow lines. An id that is not a number in uid_t's range is no
# id (never read as 0, root): a file owned by such a name fails, /etc/default/useradd's GROUP=abc is
# ignored as useradd does. No crash, no silent skip; nothing in the clear.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc"
long=$(head -c 200000 /dev/zero | tr '\0' x)
pristine() {
  printf 'root:x:0:0:root:/root:/bin/bash\nbig:x:1000:1000:%s:/home/big:/bin/sh\nother:x:1001:1001::/home/other:/bin/sh\n' "$long" >"$root/etc/passwd"
  printf 'root:x:0:\nusers:x:100:\nbig:x:1000:\nother:x:1001:\n' >"$root/etc/group"
  printf 'root:*:19000:0:99999:7:::\nbig:!:19000:0:99999:7:::\nother:!:19000:0:99999:7:::\n' >"$root/etc/shadow"
  printf 'root:*::\nusers:*::\nbig:!::\nother:!::\n' >"$root/etc/gshadow"
  chmod 600 "$root/etc/shadow" "$root/etc/gshadow"
}
write_policy "$work" acc <<'EOF'
resources:
  - user: big
  - user: newu
  - group: newg
EOF
common=(--policy "$work" --root "$root" --config /dev/null)

# 1. A whole 200 kB line: read, warned (file and line), the user not re-created.
pristine
run_roux converge "${common[@]}" --format json
expect_rc 2 "converge with a 200 kB passwd line"
grep -qx "roux: warning: /etc/passwd:2: name \"big\": a 200034-byte line; shadow's tools (useradd, usermod, pwck) read at most 32767 and call it corrupt" <<<"$ERR" ||
  fail "no warning naming /etc/passwd:2: $ERR"
python3 - "$OUT" <<'EOF' || fail "report: $OUT"
import json, sys
r = {x["id"]: x for x in json.loads(sys.argv[1])["resources"]}
assert r["user[big]"]["status"] == "unchanged", r["user[big]"]
assert r["user[newu]"]["status"] == "changed", r["user[newu]"]
assert r["group[newg]"]["status"] == "changed", r["group[newg]"]
EOF
[ "$(grep -c '^big:' "$root/etc/passwd")" = 1 ] || fail "user big created again"
grep -q '^newu:x:1002:' "$root/etc/passwd" || fail "newu: $(grep '^newu' "$root/etc/passwd")"

# 2. A line cut short (5 fields of 7): each user resource fails naming it; nothing written.
pristine
printf 'root:x:0:0:root:/root:/bin/bash\nbig:x:1000:1000:%s\n' "$long" >"$root/etc/passwd"
before=$(cat "$root/etc/passwd" "$root/etc/shadow" | sha256sum)
for mode in plan converge; do
  run_roux "$mode" "${common[@]}" --format json
  expect_rc 6 "$mode with a passwd line cut short (failures, and the group made)"
  grep -qx 'roux: warning: /etc/passwd:2: not a passwd entry (5 fields, want 7; name "big"; 200016 bytes)' <<<"$ERR" ||
    fail "$mode: no warning naming /etc/passwd:2: $ERR"
  python3 - "$OUT" <<'EOF' || fail "$mode report: $OUT"
import json, sys
r = {x["id"]: x for x in json.loads(sys.argv[1])["resources"]}
want = ('cannot tell which accounts exist: /etc/passwd:2: not a passwd entry (5 fields, want 7; name "big"; 200016 bytes): '
        'nothing created or changed until it is fixed (pwck -r / grpck -r list such lines)')
for u in ("user[big]", "user[newu]"):
    assert r[u]["status"] == "failed" and r[u]["error"] == want, r[u]
assert r["group[newg]"]["status"] in ("changed", "would_change"), r["group[newg]"]
EOF
done
[ "$(cat "$root/etc/passwd" "$root/etc/shadow" | sha256sum)" = "$before" ] || fail "passwd or shadow changed"

# 3. A shadow line with no fields after the name, and a group line whose gid is not a number:
# named (never the line itself: a shadow line holds a hash); users and groups refused.
pristine
printf 'root:*:19000:0:99999:7:::\nbig\n' >"$root/etc/shadow"
printf 'root:x:0:\nusers:x:100:\nbig:x:10x0:\nother:x:1001:\n' >"$root/etc/group"
run_roux converge "${common[@]}" --format json
expect_rc 4 "converge with a bad shadow and group line"
grep -qx 'roux: warning: /etc/shadow:2: not a shadow entry (1 field, want 2; name "big"; 3 bytes)' <<<"$ERR" || fail "shadow warning: $ERR"
grep -qx 'roux: warning: /etc/group:3: not a group entry (field 3 "10x0" is not a number; name "big"; 11 bytes)' <<<"$ERR" ||
  fail "group warning: $ERR"
python3 - "$OUT" <<'EOF' || fail "report: $OUT"
import json, sys
r = {x["id"]: x for x in json.loads(sys.argv[1])["resources"]}
for i in ("user[big]", "user[newu]", "group[newg]"):
    assert r[i]["status"] == "failed" and "cannot tell which accounts exist: /etc/" in r[i]["error"], r[i]
EOF
grep -q newg "$root/etc/group" && fail "group newg created beside an unreadable line"

# 4. An owner whose line's id is not a number, or past uid_t (read loosely: "abc" is 0, root;
# 4294967296 wraps to 0; "1x5" is 1): no such user or group, the file not created, in plan and
# converge alike; never a file owned by root.
fwork=$(e2e_tmpdir)
write_policy "$fwork" own <<'EOF'
resources:
  - file: /srv/by-user
    content: "x\n"
    owner: evil
  - file: /srv/by-group
    content: "x\n"
    group: evilg
EOF
for uid in abc 4294967296 1x5; do
  pristine
  printf 'evil:x:%s:100::/home/evil:/bin/sh\n' "$uid" >>"$root/etc/passwd"
  printf 'evilg:x:%s:\n' "$uid" >>"$root/etc/group"
  mkdir -p "$root/srv" && rm -f "$root/srv/by-user" "$root/srv/by-group"
  for mode in plan converge; do
    run_roux "$mode" --policy "$fwork" --root "$root" --config /dev/null --format json
    expect_rc 4 "$mode with owner evil of uid \"$uid\""
    python3 - "$OUT" <<'EOF' || fail "$mode report (uid $uid): $OUT"
import json, sys
r = {x["id"]: x for x in json.loads(sys.argv[1])["resources"]}
assert r["file[/srv/by-user]"]["status"] == "failed" and r["file[/srv/by-user]"]["error"] == 'owner: no such user "evil"', r
assert r["file[/srv/by-group]"]["status"] == "failed" and r["file[/srv/by-group]"]["error"] == 'group: no such group "evilg"', r
EOF
  done
  [ ! -e "$root/srv/by-user" ] && [ ! -e "$root/srv/by-group" ] || fail "a file was made for an owner of uid \"$uid\""
done

# 5. /etc/default/useradd's GROUP= (new users' group where login.defs has no USERGROUPS_ENAB yes)
# read loosely made "abc" gid 0: a new user in root's group. Now ignored with a warning, as
# useradd does: group 100.
pristine
mkdir -p "$root/etc/default"
printf 'SHELL=/bin/sh\nGROUP=abc\n' >"$root/etc/default/useradd"
printf 'UID_MIN 1000\nUID_MAX 60000\n' >"$root/etc/login.defs"
gwork=$(e2e_tmpdir)
write_policy "$gwork" grp <<'EOF'
resources:
  - user: newu
EOF
run_roux converge --policy "$gwork" --root "$root" --config /dev/null
expect_rc 2 "converge with GROUP=abc"
grep -q 'GROUP=abc is neither a gid nor a group of the host: ignored' <<<"$ERR" || fail "no GROUP= warning: $ERR"
grep -q '^newu:x:1002:100:' "$root/etc/passwd" || fail "newu's group: $(grep '^newu' "$root/etc/passwd")"
rm -f "$root/etc/default/useradd" "$root/etc/login.defs"
echo "accounts_bad_lines: ok"
