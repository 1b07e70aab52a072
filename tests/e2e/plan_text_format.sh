#!/usr/bin/env bash
# The plan's text is API (docs/output.md): a header naming the policy and lock, one block per
# resource marked + create, - delete, ~ change, -/+ replace, each property "before -> after"
# ("(none)" for no value), a diff -u of content, and the summary "N to add, N to change, N to
# destroy, N failed; N unchanged". After a converge, a resource whose desired state moved is
# "(policy changed)", one the host moved is "(drift)", and the cookbooks that moved are named.
# The JSON report carries the same: an action per resource, cause, totals by action. No colour
# when piped; --color always colours; NO_COLOR is obeyed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/app"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/app/new.conf
    content: "hello\n"
  - file: /etc/app/main.conf
    content: "a\nb\nc\n"
    mode: "0644"
  - file: /etc/app/old.conf
    ensure: absent
  - link: /etc/app/current
    to: /etc/app/main.conf
    force: true
EOF2
printf 'a\nB\nc\n' >"$root/etc/app/main.conf"
chmod 0644 "$root/etc/app/main.conf"
echo x >"$root/etc/app/old.conf"
echo f >"$root/etc/app/current"

run_roux plan --policy "$work" --root "$root"
expect_rc 2 "plan"
got=$(sed 's/ ([0-9.]* s)$/ (T s)/' <<<"$OUT")
want='roux plan: policy e2e, lock (none: versions resolved now)
  + file[/etc/app/new.conf]
      ensure: absent -> file
        --- a/etc/app/new.conf
        +++ b/etc/app/new.conf
        @@ -0,0 +1 @@
        +hello
      mode: (none) -> 0644
  ~ file[/etc/app/main.conf]
      content: sha256:4c6508965080 (6 bytes) -> sha256:880553fca8fc (6 bytes)
        --- a/etc/app/main.conf
        +++ b/etc/app/main.conf
        @@ -1,3 +1,3 @@
         a
        -B
        +b
         c
  - file[/etc/app/old.conf]
      ensure: file -> absent
  -/+ link[/etc/app/current]
      to: file -> /etc/app/main.conf
plan: 2 to add, 1 to change, 2 to destroy, 0 failed; 0 unchanged (T s)'
[ "$got" = "$want" ] || { diff -u <(echo "$want") <(echo "$got") >&2 || true; fail "plan text"; }
[[ "$OUT" != *$'\033'* ]] || fail "colour on a pipe"

run_roux plan --policy "$work" --root "$root" --format json
printf '%s\n' "$OUT" >"$work/plan.json"
[ "$(json_get "$work/plan.json" '[x["action"] for x in r["resources"]]')" = '["create", "change", "delete", "replace"]' ] ||
  fail "actions: $(json_get "$work/plan.json" '[x["action"] for x in r["resources"]]')"
[ "$(json_get "$work/plan.json" '[r["totals"][k] for k in ("add", "change", "destroy", "replace")]')" = "[2, 1, 2, 1]" ] ||
  fail "totals by action"
[ "$(json_get "$work/plan.json" '[x.get("cause") for x in r["resources"]]')" = '[null, null, null, null]' ] ||
  fail "no cause without a recorded run"

# --color always colours (Terraform's colours); NO_COLOR and --color never do not.
run_roux plan --policy "$work" --root "$root" --color always
grep -qF $'  \033[32m+\033[0m file[/etc/app/new.conf]' <<<"$OUT" || fail "green +: $OUT"
grep -qF $'  \033[31m-\033[0m/\033[32m+\033[0m link[/etc/app/current]' <<<"$OUT" || fail "red-green -/+: $OUT"
grep -qF $'  \033[33m~\033[0m file[/etc/app/main.conf]' <<<"$OUT" || fail "yellow ~: $OUT"
run_roux plan --policy "$work" --root "$root" --color never
[[ "$OUT" != *$'\033'* ]] || fail "colour with --color never"
run_roux plan --policy "$work" --root "$root" --color sometimes
expect_rc 1 "bad --color"

# Converge, then move one desired state (and the cookbook's version) and drift one file by hand.
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge"
sed -i 's/hello/hello world/' "$work/cookbooks/app/recipes/default.yaml"
sed -i 's/1.0.0/1.1.0/' "$work/cookbooks/app/metadata.yaml"
printf 'a\nX\nc\n' >"$root/etc/app/main.conf"
run_roux plan --policy "$work" --root "$root"
expect_rc 2 "plan after drift and policy change"
got=$(sed 's/ ([0-9.]* s)$/ (T s)/' <<<"$OUT")
want='roux plan: policy e2e, lock (none: versions resolved now)
  cookbooks moved since the last run: app 1.0.0 -> 1.1.0
  ~ file[/etc/app/new.conf]  (policy changed)
      content: sha256:5891b5b522d5 (6 bytes) -> sha256:a948904f2f0f (12 bytes)
        --- a/etc/app/new.conf
        +++ b/etc/app/new.conf
        @@ -1 +1 @@
        -hello
        +hello world
  ~ file[/etc/app/main.conf]  (drift)
      content: sha256:29c2172dde0e (6 bytes) -> sha256:880553fca8fc (6 bytes)
        --- a/etc/app/main.conf
        +++ b/etc/app/main.conf
        @@ -1,3 +1,3 @@
         a
        -X
        +b
         c
plan: 0 to add, 2 to change, 0 to destroy, 0 failed; 2 unchanged (T s)'
[ "$got" = "$want" ] || { diff -u <(echo "$want") <(echo "$got") >&2 || true; fail "plan text after converge"; }
run_roux plan --policy "$work" --root "$root" --format json
printf '%s\n' "$OUT" >"$work/plan2.json"
[ "$(json_get "$work/plan2.json" '[x.get("cause") for x in r["resources"]]')" = '["policy", "drift", null, null]' ] ||
  fail "causes: $(json_get "$work/plan2.json" '[x.get("cause") for x in r["resources"]]')"
[ "$(json_get "$work/plan2.json" 'r["cookbooks_moved"]')" = '["app 1.0.0 -> 1.1.0"]' ] || fail "cookbooks_moved"

# A lockfile is named by its digest.
run_roux lock --policy "$work"
expect_rc 0 "lock"
digest=$(sha256sum "$work/policy.lock.json" | cut -c1-12)
run_roux plan --policy "$work" --root "$root"
[ "$(head -1 <<<"$OUT")" = "roux plan: policy e2e, lock sha256:$digest" ] || fail "lock header: $(head -1 <<<"$OUT")"

# A 3,000-line file with 2 changed lines gets its diff, not a refusal.
rm "$work/policy.lock.json"
seq 1 3000 | sed 's/^/line /' >"$work/big"
write_policy "$work" app <<EOF2
resources:
  - file: /etc/app/big.conf
    content: |
$(sed -e 's/^line 10$/line ten/' -e 's/^line 2900$/line 2.9k/' -e 's/^/      /' "$work/big")
EOF2
cp "$work/big" "$root/etc/app/big.conf"
run_roux plan --policy "$work" --root "$root"
expect_rc 2 "plan of the big file"
[ "$(grep -c '^        @@ ' <<<"$OUT")" = 2 ] || fail "big diff hunks: $OUT"
grep -qx '        -line 2900' <<<"$OUT" && grep -qx '        +line 2.9k' <<<"$OUT" || fail "big diff lines: $OUT"
! grep -q 'too large' <<<"$OUT" || fail "refused to diff: $OUT"
echo "ok"
