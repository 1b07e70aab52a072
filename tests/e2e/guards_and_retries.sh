#!/usr/bin/env bash
# Guards: only_if / not_if commands decide whether a resource is converged (skipped with the guard
# as reason otherwise; a skip by guard is not a failure, exit stays 0/2), in plan as in converge.
# Retries: a resource that fails twice then succeeds converges with retries: 2; with retries: 1 it
# fails after two attempts.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/var"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/only-if-true
    content: "a\n"
    only_if: "true"
  - file: /etc/only-if-false
    content: "b\n"
    only_if: test -e /nonexistent-roux-guard
  - file: /etc/not-if-true
    content: "c\n"
    not_if: "true"
  - file: /etc/not-if-false
    content: "d\n"
    not_if: ["false", "exit 3"]
  - exec: flaky
    command: n=$(cat "$ROUX_ROOT/var/tries" 2>/dev/null || echo 0); echo $((n + 1)) > "$ROUX_ROOT/var/tries"; [ $n -ge 2 ]
    creates: /var/flaky-done
    retries: 2
    retry_delay: 0
  - file: /var/flaky-done
    content: ""
    requires: exec[flaky]
EOF2
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan"
printf '%s\n' "$OUT" >"$work/plan.json"
[ "$(resource_field "$work/plan.json" 'file[/etc/only-if-false]' status)" = skipped ] || fail "plan: only_if false"
[ ! -e "$root/var/tries" ] || fail "plan ran the exec"
run_roux converge --policy "$work" --root "$root" --report "$work/r.json"
expect_rc 2 "converge"
[ -f "$root/etc/only-if-true" ] && [ -f "$root/etc/not-if-false" ] || fail "guards that pass did not converge"
[ ! -e "$root/etc/only-if-false" ] && [ ! -e "$root/etc/not-if-true" ] || fail "guards that skip did converge"
[ "$(resource_field "$work/r.json" 'file[/etc/only-if-false]' skip_reason)" = 'only_if `test -e /nonexistent-roux-guard` exited 1' ] ||
  fail "only_if reason: $(resource_field "$work/r.json" 'file[/etc/only-if-false]' skip_reason)"
[ "$(resource_field "$work/r.json" 'file[/etc/not-if-true]' skip_reason)" = 'not_if `true` exited 0' ] ||
  fail "not_if reason: $(resource_field "$work/r.json" 'file[/etc/not-if-true]' skip_reason)"
[ "$(cat "$root/var/tries")" = 3 ] || fail "flaky ran $(cat "$root/var/tries") times, want 3"
[ "$(resource_field "$work/r.json" 'exec[flaky]' status)" = changed ] || fail "flaky status"
[ "$(resource_field "$work/r.json" 'file[/var/flaky-done]' status)" = changed ] || fail "dependent of retried exec"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "second converge (guarded skips are not changes)"

# Not enough retries: two attempts, then the failure.
rm -f "$root/var/tries" "$root/var/flaky-done"
sed -i 's/retries: 2/retries: 1/' "$work/cookbooks/app/recipes/default.yaml"
run_roux converge --policy "$work" --root "$root" --report "$work/r2.json"
expect_rc 4 "converge with too few retries"
[ "$(cat "$root/var/tries")" = 2 ] || fail "retries: 1 made $(cat "$root/var/tries") attempts, want 2"
[ "$(resource_field "$work/r2.json" 'exec[flaky]' status)" = failed ] || fail "flaky should fail"
echo "ok"
