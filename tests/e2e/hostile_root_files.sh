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

# 2. The archive record in the state folder (STATE/archive/<sha256 of the folder>) lists what an
# unpack laid out; ensure: absent removes those entries. An edited record naming "../../etc/victim"
# (with its digest), a link "../../etc/vlink" and a folder "../../etc/emptyd" made the old binary
# remove all three, outside /opt/app (the link and folder needed no digest). Now an entry that is
# not a path inside the folder is ignored with a warning naming the record's line.
awork=$(e2e_tmpdir)
mkdir -p "$awork/cookbooks/app/files"
python3 - "$awork/cookbooks/app/files/a.tar.gz" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    i = tarfile.TarInfo("a.txt"); d = b"hello\n"; i.size = len(d); t.addfile(i, io.BytesIO(d))
EOF
apol() {
  write_policy "$awork" app <<EOF
resources:
  - archive: /opt/app
    ensure: $1
    overwrite: true
    source: a.tar.gz
EOF
}
pristine
mkdir -p "$root/opt"
apol present
run_roux converge --policy "$awork" --root "$root" --config /dev/null --format json
expect_rc 2 "unpack a.tar.gz"
rec="$root/var/lib/roux/archive/$(printf %s /opt/app | sha256sum | cut -d' ' -f1)"
[ -f "$rec" ] || fail "no archive record $rec"
echo victim >"$root/etc/victim"
ln -s /etc/victim "$root/etc/vlink"
mkdir "$root/etc/emptyd"
printf 'f %s ../../etc/victim\nl ../../etc/vlink\nd ../../etc/emptyd\n' "$(sha256sum "$root/etc/victim" | cut -d' ' -f1)" >>"$rec"
line=$(($(wc -l <"$rec") - 2))
apol absent
for mode in plan converge; do
  run_roux "$mode" --policy "$awork" --root "$root" --config /dev/null --format json
  expect_rc 2 "$mode ensure: absent with an edited record"
  grep -qx "roux: warning: ${rec#"$root"}:$line: entry \"../../etc/victim\" is not a path inside /opt/app: ignored (nothing outside the folder is removed)" <<<"$ERR" ||
    fail "$mode: no warning naming the record's line $line: $ERR"
  python3 - "$OUT" <<'EOF' || fail "$mode report: $OUT"
import json, sys
r = {x["id"]: x for x in json.loads(sys.argv[1])["resources"]}
c = {x["property"]: x for x in r["archive[/opt/app]"]["changes"]}
assert c["unpack"]["after"] == "absent (1 removed)" and c["unpack"]["diff"] == "- a.txt\n", c
EOF
done
[ -f "$root/etc/victim" ] && [ -L "$root/etc/vlink" ] && [ -d "$root/etc/emptyd" ] ||
  fail "an entry outside /opt/app was removed: $(ls -la "$root/etc")"
[ ! -e "$root/opt/app" ] || fail "/opt/app left"

# 3. The same for the git resource's record (STATE/git/<sha256 of the folder>): a file of the
# previous commit that the new one dropped is removed while unchanged. An edited record naming
# "../../etc/victim" with its digest made the old binary remove /etc/victim on the next update.
gwork=$(e2e_tmpdir)
export GIT_CONFIG_NOSYSTEM=1
gsrc="$gwork/src"
git init -q -b main "$gsrc"
gc() { git -C "$gsrc" -c user.name=t -c user.email=t@example.invalid "$@" >/dev/null; }
echo one >"$gsrc/a.txt"
gc add -A
gc commit -qm one
write_policy "$gwork" app <<EOF
resources:
  - git: /srv/app
    repository: $gsrc
    revision: main
EOF
pristine
mkdir -p "$root/srv"
run_roux converge --policy "$gwork" --root "$root" --config /dev/null --format json
expect_rc 2 "git checkout"
grec="$root/var/lib/roux/git/$(printf %s /srv/app | sha256sum | cut -d' ' -f1)"
[ -f "$grec" ] || fail "no git record $grec"
echo victim >"$root/etc/victim"
printf '%s ../../etc/victim\n' "$(sha256sum "$root/etc/victim" | cut -d' ' -f1)" >>"$grec"
gline=$(wc -l <"$grec")
echo two >"$gsrc/a.txt"
gc commit -qam two
for mode in plan converge; do
  run_roux "$mode" --policy "$gwork" --root "$root" --config /dev/null --format json
  expect_rc 2 "$mode git update with an edited record"
  grep -qx "roux: warning: ${grec#"$root"}:$gline: entry \"../../etc/victim\" is not a path inside /srv/app: ignored (nothing outside the folder is removed)" <<<"$ERR" ||
    fail "$mode: no warning naming the record's line $gline: $ERR"
  python3 - "$OUT" <<'EOF' || fail "$mode report: $OUT"
import json, sys
r = {x["id"]: x for x in json.loads(sys.argv[1])["resources"]}
c = {x["property"]: x for x in r["git[/srv/app]"]["changes"]}
assert "victim" not in c["revision"].get("diff", ""), c
EOF
done
[ -f "$root/etc/victim" ] || fail "/etc/victim, outside /srv/app, was removed"
[ "$(cat "$root/srv/app/a.txt")" = two ] || fail "a.txt not updated"

# 4. A relative HOME= in /etc/default/useradd: the old binary gave newu the home "xroot/newu" and,
# with manage_home, the host door cut the first character of that relative path: it made /root/newu
# (owned by newu, in root's home) and /root/xroot. Now HOME= must be absolute (else ignored with a
# warning), and the host door refuses any relative path.
write_policy "$work" ua <<'EOF'
resources:
  - user: newu
    manage_home: true
EOF
pristine
mkdir -p "$root/root" "$root/home"
printf 'HOME=xroot\n' >"$root/etc/default/useradd"
for mode in plan converge; do
  run_roux "$mode" --policy "$work" --root "$root" --config /dev/null --format json
  expect_rc 2 "$mode with HOME=xroot"
  grep -qx "roux: warning: /etc/default/useradd:1: HOME=xroot is not an absolute path: ignored (new users get /home)" <<<"$ERR" ||
    fail "$mode: no HOME= warning: $ERR"
  python3 - "$OUT" "$mode" <<'EOF' || fail "$mode report: $OUT"
import json, sys
r = {x["id"]: x for x in json.loads(sys.argv[1])["resources"]}
want = "would_change" if sys.argv[2] == "plan" else "changed"
assert r["user[newu]"]["status"] == want, r["user[newu]"]
EOF
done
grep -qx 'newu:x:1000:100::/home/newu:/bin/bash' "$root/etc/passwd" || fail "passwd: $(cat "$root/etc/passwd")"
[ -d "$root/home/newu" ] || fail "no /home/newu"
[ -z "$(ls -A "$root/root")" ] || fail "something was made in /root: $(ls -la "$root/root")"

echo "hostile_root_files: ok"
