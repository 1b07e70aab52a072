#!/usr/bin/env bash
# A file whose folder does not exist (and is not declared) fails; plan must predict that failure
# rather than promise a change converge cannot make (plan == apply). A folder declared earlier in
# the same run, or a parent that exists, is fine in plan and converge alike.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF2'
resources:
  - file: /opt/undeclared/app.conf
    content: "x\n"
  - directory: /srv/declared
  - file: /srv/declared/app.conf
    content: "y\n"
  - file: /etc/exists.conf
    content: "z\n"
EOF2
run_roux plan --policy "$work" --root "$root" --format json
printf '%s\n' "$OUT" >"$work/plan.json"
expect_rc 6 "plan"
run_roux converge --policy "$work" --root "$root" --report "$work/apply.json"
expect_rc 6 "converge"
for id in 'file[/opt/undeclared/app.conf]' 'directory[/srv/declared]' 'file[/srv/declared/app.conf]' 'file[/etc/exists.conf]'; do
  p=$(resource_field "$work/plan.json" "$id" status)
  a=$(resource_field "$work/apply.json" "$id" status)
  case "$p/$a" in
    would_change/changed | failed/failed) ;;
    *) fail "$id: plan said $p, converge did $a" ;;
  esac
done
[ "$(resource_field "$work/apply.json" 'file[/opt/undeclared/app.conf]' status)" = failed ] || fail "undeclared parent"
resource_field "$work/plan.json" 'file[/opt/undeclared/app.conf]' error | grep -q 'parent folder /opt/undeclared does not exist' ||
  fail "plan error: $(resource_field "$work/plan.json" 'file[/opt/undeclared/app.conf]' error)"
[ ! -e "$root/opt" ] || fail "converge created the undeclared folder"
[ "$(cat "$root/srv/declared/app.conf")" = y ] || fail "declared folder's file"
echo "ok"
