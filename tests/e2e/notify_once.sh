#!/usr/bin/env bash
# Notifications: however many resources notify one refresh_only exec, it runs exactly once per run
# (delayed, at the end); it does not run when nothing changed, nor when its only notifier failed;
# `timing: immediately` runs it at once, before the resources that follow.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/var/log" "$root/etc"

# --- Three changed notifiers, one delayed hook: it runs once, after every other resource.
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/a.conf
    content: "a\n"
    notify: exec[reload]
  - file: /etc/b.conf
    content: "b\n"
    notify: exec[reload]
  - exec: reload
    command: echo reload >> "$ROUX_ROOT/var/log/events"
    refresh_only: true
  - file: /etc/c.conf
    content: "c\n"
    notify:
      - resource: exec[reload]
  - exec: last
    command: echo last >> "$ROUX_ROOT/var/log/events"
    creates: /var/log/last-done
  - file: /var/log/last-done
    content: ""
    requires: exec[last]
EOF2
run_roux converge --policy "$work" --root "$root" --report "$work/r1.json"
expect_rc 2 "first converge"
[ "$(grep -c reload "$root/var/log/events")" = 1 ] || fail "reload ran $(grep -c reload "$root/var/log/events") times, want 1"
[ "$(tr '\n' ' ' <"$root/var/log/events")" = "last reload " ] || fail "delayed reload did not run last: $(cat "$root/var/log/events")"
[ "$(resource_field "$work/r1.json" 'exec[reload]' notified_by)" = '["file[/etc/a.conf]", "file[/etc/b.conf]", "file[/etc/c.conf]"]' ] ||
  fail "notified_by: $(resource_field "$work/r1.json" 'exec[reload]' notified_by)"
[ "$(resource_field "$work/r1.json" 'exec[reload]' status)" = changed ] || fail "reload status"

# --- Nothing changed: no notification, no run.
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "second converge"
[ "$(grep -c reload "$root/var/log/events")" = 1 ] || fail "reload ran on a no-op converge"

# --- One drifted notifier: one more run. plan says it would run, and does not run it.
echo drift >"$root/etc/b.conf"
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan after drift"
printf '%s\n' "$OUT" >"$work/plan.json"
[ "$(grep -c reload "$root/var/log/events")" = 1 ] || fail "plan ran the hook"
[ "$(json_get "$work/plan.json" '[x["id"] for x in r["resources"] if x["status"] == "would_change"]')" = '["file[/etc/b.conf]", "exec[reload]"]' ] ||
  fail "plan does not predict the hook run: $(json_get "$work/plan.json" '[x["id"] for x in r["resources"] if x["status"] != "unchanged"]')"
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge after drift"
[ "$(grep -c reload "$root/var/log/events")" = 2 ] || fail "reload after one drift: want 2 runs in total"

# --- The only notifier fails: the hook does not run at all.
work2=$(e2e_tmpdir)
root2="$work2/root"
mkdir -p "$root2/var/log"
write_policy "$work2" app <<'EOF2'
resources:
  - exec: broken
    command: echo half >> "$ROUX_ROOT/var/log/events"; exit 3
    notify: exec[reload]
  - exec: reload
    command: echo reload >> "$ROUX_ROOT/var/log/events"
    refresh_only: true
EOF2
run_roux converge --policy "$work2" --root "$root2" --report "$work2/r.json"
expect_rc 4 "converge with a failing notifier"
grep -q half "$root2/var/log/events" || fail "the failing notifier did not run"
! grep -q reload "$root2/var/log/events" || fail "the hook ran although its only notifier failed"
[ "$(resource_field "$work2/r.json" 'exec[broken]' status)" = failed ] || fail "notifier status"
[ "$(resource_field "$work2/r.json" 'exec[reload]' status)" = unchanged ] || fail "hook status"

# --- Immediate vs delayed: an immediate hook runs before the resources after its notifier.
work3=$(e2e_tmpdir)
root3="$work3/root"
mkdir -p "$root3/var/log" "$root3/etc"
write_policy "$work3" app <<'EOF2'
resources:
  - file: /etc/first.conf
    content: "1\n"
    notify:
      resource: exec[now]
      timing: immediately
  - file: /etc/second.conf
    content: "2\n"
    notify:
      - resource: exec[now]
        timing: immediately
      - resource: exec[later]
        timing: delayed
  - exec: middle
    command: echo middle >> "$ROUX_ROOT/var/log/events"
    creates: /etc/first.conf.done
  - file: /etc/first.conf.done
    content: ""
    requires: exec[middle]
  - exec: now
    command: echo now >> "$ROUX_ROOT/var/log/events"
    refresh_only: true
  - exec: later
    command: echo later >> "$ROUX_ROOT/var/log/events"
    refresh_only: true
EOF2
run_roux converge --policy "$work3" --root "$root3" --report "$work3/r.json"
expect_rc 2 "converge with immediate notifications"
# Immediate: once per notifying resource, at once. Delayed: once, at the end.
[ "$(tr '\n' ' ' <"$root3/var/log/events")" = "now now middle later " ] ||
  fail "event order: $(tr '\n' ' ' <"$root3/var/log/events") (want: now now middle later)"
[ "$(resource_field "$work3/r.json" 'exec[now]' status)" = changed ] ||
  fail "immediately-notified exec reported $(resource_field "$work3/r.json" 'exec[now]' status), want changed"
[ "$(resource_field "$work3/r.json" 'exec[now]' notified_by)" = '["file[/etc/first.conf]", "file[/etc/second.conf]"]' ] ||
  fail "immediate notified_by: $(resource_field "$work3/r.json" 'exec[now]' notified_by)"
run_roux converge --policy "$work3" --root "$root3"
expect_rc 0 "second converge (immediate)"
echo "ok"
