#!/usr/bin/env bash
# line and ini edit files roux does not own, in a --root tree: plan changes nothing and lists
# exactly the changes converge then makes (two resources editing the same file in one run: the
# plan's second edit sees the first); foreign lines and comments are kept byte for byte, the
# file keeps its mode and owner; the second converge makes no change; a hand edit is put back;
# a missing file fails that resource alone; bad input is a compile error at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/ssh" "$root/etc/php"
printf '# sshd_config\n#PermitRootLogin prohibit-password\nPasswordAuthentication yes\nX11Forwarding yes\n' >"$root/etc/ssh/sshd_config"
chmod 600 "$root/etc/ssh/sshd_config"
printf '; php.ini\n[PHP]\n; memory\nmemory_limit = 128M\n\n[Date]\n;date.timezone =\n' >"$root/etc/php/php.ini"
write_policy "$work" app <<'EOF'
resources:
  - line: sshd root
    path: /etc/ssh/sshd_config
    text: PermitRootLogin no
    match: '^#?PermitRootLogin\b'
  - line: sshd dns
    path: /etc/ssh/sshd_config
    text: UseDNS no
    after: '^PermitRootLogin'
  - line: /etc/ssh/sshd_config
    match: '^X11Forwarding'
    ensure: absent
  - ini: php memory
    path: /etc/php/php.ini
    section: PHP
    key: memory_limit
    value: 256M
  - ini: php tz
    path: /etc/php/php.ini
    section: Date
    key: date.timezone
    value: UTC
  - ini: opcache
    path: /etc/php/php.ini
    section: opcache
    key: opcache.enable
    value: "1"
EOF
plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json" | wc -l)" = 6 ] || fail "expected one content change per resource: $(json_changes "$work/c1.json")"
# The plan shows the minimal diff: one line replaced.
python3 - "$work/plan.json" <<'PY' || fail "plan diff of sshd root"
import json, sys
r = json.load(open(sys.argv[1]))
d = next(c["diff"] for x in r["resources"] if x["id"] == "line[sshd root]" for c in x["changes"])
assert "-#PermitRootLogin prohibit-password\n+PermitRootLogin no\n" in d, d
changed = [l for l in d.splitlines() if l[:1] in "+-" and l[:3] not in ("+++", "---")]
assert len(changed) == 2, d
PY
diff - "$root/etc/ssh/sshd_config" <<'X' || fail "sshd_config"
# sshd_config
PermitRootLogin no
UseDNS no
PasswordAuthentication yes
X
diff - "$root/etc/php/php.ini" <<'X' || fail "php.ini"
; php.ini
[PHP]
; memory
memory_limit = 256M

[Date]
;date.timezone =
date.timezone = UTC

[opcache]
opcache.enable = 1
X
[ "$(stat -c %a "$root/etc/ssh/sshd_config")" = 600 ] || fail "mode not kept"

run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
[ -z "$(json_changes <(printf '%s\n' "$OUT"))" ] || fail "second converge changed something"

# A hand edit is put back, plan first.
sed -i 's/^memory_limit = 256M/memory_limit=64M/' "$root/etc/php/php.ini"
echo "X11Forwarding no" >>"$root/etc/ssh/sshd_config"
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan of drift"
printf '%s\n' "$OUT" >"$work/plan2.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge of drift"
printf '%s\n' "$OUT" >"$work/c2.json"
diff <(json_changes "$work/plan2.json") <(json_changes "$work/c2.json") || fail "drift: plan and converge differ"
[ "$(json_changes "$work/c2.json" | cut -f1)" = "line[/etc/ssh/sshd_config]
ini[php memory]" ] || fail "drift changes: $(json_changes "$work/c2.json")"

# A missing file fails its resource alone.
write_policy "$work" app <<'EOF'
resources:
  - line: /etc/missing.conf
    text: a
  - ini: ok
    path: /etc/php/php.ini
    key: engine
    value: "On"
EOF
run_roux converge --policy "$work" --root "$root"
expect_rc 6 "missing file"
grep -q '/etc/missing.conf does not exist (line edits an existing file; create it with a file resource)' <<<"$OUT$ERR" ||
  fail "missing file error: $OUT$ERR"
head -2 "$root/etc/php/php.ini" | tail -1 | grep -qx 'engine = On' || fail "global ini key not added after the top comment: $(head -3 "$root/etc/php/php.ini")"

# Bad input: compile errors at file:line:col, nothing changed.
write_policy "$work" app <<'EOF'
resources:
  - line: /etc/x
    text: a
    match: '([a-z'
  - ini: bad
    path: /etc/php/php.ini
    key: "a=b"
    value: 1
EOF
before=$(tree_checksum "$root" var/lib/roux)
run_roux converge --policy "$work" --root "$root"
expect_rc 1 "bad input"
echo "$ERR" | grep -q 'recipes/default.yaml:4:12: line\[/etc/x\]: match: is not a valid regular expression (ECMAScript)' || fail "regex error: $ERR"
echo "$ERR" | grep -q 'recipes/default.yaml:7:10: ini\[bad\]: key: "a=b" is not a key' || fail "ini key error: $ERR"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "bad input changed the tree"
echo "PASS: line and ini: plan == converge, minimal diff, idempotent, drift, missing file, bad input"
