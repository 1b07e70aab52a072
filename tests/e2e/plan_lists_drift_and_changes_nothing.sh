#!/usr/bin/env bash
# After drifting one file's content and another's mode by hand, plan exits 2 and lists exactly those
# two changes, and changes nothing (whole-tree checksum: content, modes, owners, mtimes, links);
# converge then makes exactly the changes plan listed, and a third run is a no-op.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir "$root"
write_policy "$work" app <<'EOF2'
resources:
  - directory: /etc/app
    mode: "0755"
  - file: /etc/app/main.conf
    content: "listen = 80\nworkers = 4\n"
    mode: "0644"
  - file: /etc/app/secret.conf
    content: "token = abc\n"
    mode: "0600"
  - file: /etc/app/untouched.conf
    content: "stays\n"
  - link: /etc/app/current.conf
    to: /etc/app/main.conf
EOF2

run_roux converge --policy "$work" --root "$root"
expect_rc 2 "first converge"

# The drift: content of one file, mode of another.
printf 'listen = 81\nworkers = 4\n' >"$root/etc/app/main.conf"
chmod 0644 "$root/etc/app/secret.conf"
# Old mtimes make any rewrite by plan visible in the checksum.
touch -d '2001-02-03 04:05:06' "$root/etc/app/main.conf" "$root/etc/app/secret.conf" "$root/etc/app/untouched.conf"

before=$(tree_checksum "$root")
tree_listing "$root" >"$work/before.txt"
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan after drift"
printf '%s\n' "$OUT" >"$work/plan.json"
tree_listing "$root" >"$work/after.txt"
[ "$(tree_checksum "$root")" = "$before" ] || { diff "$work/before.txt" "$work/after.txt" >&2 || true; fail "plan changed the tree"; }

json_changes "$work/plan.json" | cut -f1,2 >"$work/plan.changes"
printf 'file[/etc/app/main.conf]\tcontent\nfile[/etc/app/secret.conf]\tmode\n' >"$work/want.changes"
diff -u "$work/want.changes" "$work/plan.changes" || fail "plan lists other changes than the two drifts"
[ "$(json_get "$work/plan.json" 'r["mode"]')" = plan ] || fail "plan report mode"
[ "$(json_get "$work/plan.json" 'r["totals"]["would_change"]')" = 2 ] || fail "plan totals.would_change"
[ "$(json_get "$work/plan.json" 'r["totals"]["unchanged"]')" = 3 ] || fail "plan totals.unchanged"
[ "$(json_get "$work/plan.json" '[x["status"] for x in r["resources"] if x["changes"]]')" = '["would_change", "would_change"]' ] ||
  fail "plan statuses"
# The mode change reads before -> after; the content change carries a unified diff.
[ "$(json_get "$work/plan.json" '[c["before"] + "->" + c["after"] for x in r["resources"] for c in x["changes"] if c["property"] == "mode"]')" = '["0644->0600"]' ] ||
  fail "mode change before/after"
diff_text=$(json_get "$work/plan.json" '[c.get("diff", "") for x in r["resources"] for c in x["changes"] if c["property"] == "content"][0]')
grep -q '^-listen = 81' <<<"$diff_text" && grep -q '^+listen = 80' <<<"$diff_text" || fail "content diff: $diff_text"
# plan writes no history, no last report, no lock, no backup.
[ ! -e "$root/var/lib/roux/backup" ] || fail "plan wrote a backup"
hist_lines=$(wc -l <"$root/var/lib/roux/history.jsonl")

# The text output of plan lists the same two resources.
run_roux plan --policy "$work" --root "$root"
expect_rc 2 "plan (text)"
[ "$(grep -c '^  ~ ' <<<"$OUT")" = 2 ] || fail "text plan lists $(grep -c '^  ~ ' <<<"$OUT") resources: $OUT"
# Both were converged by the last run with the same desired state: the host drifted.
grep -qx '  ~ file\[/etc/app/main.conf\]  (drift)' <<<"$OUT" || fail "text plan: drift mark: $OUT"
grep -q 'mode: 0644 -> 0600' <<<"$OUT" || fail "text plan: mode line: $OUT"
grep -q '^plan: 0 to add, 2 to change, 0 to destroy, 0 failed; 3 unchanged (' <<<"$OUT" || fail "text plan summary: $OUT"
[ "$(wc -l <"$root/var/lib/roux/history.jsonl")" = "$hist_lines" ] || fail "plan appended to history"
[ "$(tree_checksum "$root")" = "$before" ] || fail "text plan changed the tree"

# converge makes exactly the changes plan listed (property, before and after).
run_roux converge --policy "$work" --root "$root" --report "$work/apply.json"
expect_rc 2 "converge after plan"
json_changes "$work/plan.json" >"$work/plan.full"
json_changes "$work/apply.json" >"$work/apply.full"
diff -u "$work/plan.full" "$work/apply.full" || fail "converge made other changes than plan listed"
[ "$(cat "$root/etc/app/main.conf")" = "$(printf 'listen = 80\nworkers = 4')" ] || fail "content not restored"
[ "$(stat -c %a "$root/etc/app/secret.conf")" = 600 ] || fail "mode not restored"
[ "$(stat -c %Y "$root/etc/app/untouched.conf")" = "$(date -d '2001-02-03 04:05:06' +%s)" ] || fail "untouched file rewritten"

run_roux converge --policy "$work" --root "$root"
expect_rc 0 "third run"
echo "ok"
