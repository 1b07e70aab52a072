#!/usr/bin/env bash
# Users created together in one pass (resources/account_batch.cc) in a --root tree, through the
# real binary: plan changes nothing and lists what converge makes (a file owned by a new user
# plans cleanly); the 2nd converge makes 0 changes; the account files are rewritten once each
# (one `-` backup holding the files as they were before the run); a saved plan made while one of
# the users existed is refused whole once that user has been removed (nothing written); a fresh
# saved plan is applied exactly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (homes are owned by the new users)"
command -v useradd >/dev/null || skip "no useradd (package passwd)"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
cp -a /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/login.defs /etc/default /etc/skel "$root/etc/"
cp -a /etc/subuid /etc/subgid "$root/etc/" 2>/dev/null || true
for n in opr1 opr2 opr3; do grep -q "^$n:" "$root/etc/passwd" && fail "$n already exists in the copied /etc"; done
cp -a "$root/etc/passwd" "$work/passwd.before"
write_policy "$work" accounts <<'EOF'
resources:
  - user: opr1
    manage_home: true
  - user: opr2
    uid: 4971
    manage_home: true
  - user: opr3
  - file: /home/opr1/app.conf
    content: "x = 1\n"
    owner: opr1
EOF
plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json" | grep -c '^user\[.*	ensure	absent	present')" = 3 ] || fail "want 3 users made"
cmp -s "$root/etc/passwd-" "$work/passwd.before" || fail "/etc/passwd- is not the file as it was before the run"
[ "$(grep -c '^opr' "$root/etc/passwd")" = 3 ] || fail "users missing from /etc/passwd"
[ "$(stat -c %U "$root/home/opr1/app.conf" 2>/dev/null || stat -c %u "$root/home/opr1/app.conf")" != root ] || fail "app.conf is root's"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge (want 0 changes)"

# A saved plan made while opr2 existed does not hold opr2's creation: once opr2 is removed the
# converge of that plan is refused whole (nothing written); a fresh saved plan is applied exactly.
cat >"$work/cookbooks/accounts/recipes/default.yaml" <<'EOF'
resources:
  - user: opr4
  - user: opr2
    uid: 4971
  - user: opr5
EOF
run_roux plan --policy "$work" --root "$root" --out "$work/saved.plan" --format json
expect_rc 2 "plan --out"
userdel --root "$root" opr2
cp -a "$root/etc/passwd" "$work/passwd.mid"
run_roux converge --policy "$work" --root "$root" --plan "$work/saved.plan" --format json
expect_rc 1 "converge --plan of a plan that no longer matches"
grep -q 'user\[opr2\] ensure: needed now, not in the plan' <<<"$ERR" || fail "the refusal does not name user[opr2]"
cmp -s "$root/etc/passwd" "$work/passwd.mid" || fail "/etc/passwd changed though the plan was refused"
run_roux plan --policy "$work" --root "$root" --out "$work/saved2.plan" --format json
expect_rc 2 "a fresh plan --out"
printf '%s\n' "$OUT" >"$work/plan2.json"
run_roux converge --policy "$work" --root "$root" --plan "$work/saved2.plan" --format json
expect_rc 2 "converge --plan of the fresh plan"
printf '%s\n' "$OUT" >"$work/c3.json"
diff <(json_changes "$work/plan2.json") <(json_changes "$work/c3.json") || fail "the saved plan and its converge differ"
for n in opr2 opr4 opr5; do grep -q "^$n:" "$root/etc/passwd" || fail "$n not made"; done
echo "PASS: users in one pass under --root: plan == converge, idempotent, one backup, saved plans"
