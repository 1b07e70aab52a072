#!/usr/bin/env bash
# timezone and hostname under --root. timezone: /etc/localtime (a file in the tree) becomes a link
# to /usr/share/zoneinfo/ZONE and /etc/timezone says ZONE (plan == converge, plan changes nothing,
# second converge 0 changes; a zone changed is two changes); a zone the tree does not have fails
# the resource before anything is written; a bad name is a compile error at file:line:col.
# hostname: only the files (the live name belongs to the running machine: said in the output).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/usr/share/zoneinfo/Europe" "$root/usr/share/zoneinfo/Etc"
printf 'TZif-paris' >"$root/usr/share/zoneinfo/Europe/Paris"
printf 'TZif-utc' >"$root/usr/share/zoneinfo/Etc/UTC"
printf 'TZif-utc' >"$root/etc/localtime"   # a copy, as some images ship it
printf 'Etc/UTC\n' >"$root/etc/timezone"
printf '127.0.0.1 localhost\n10.0.0.9 other\n' >"$root/etc/hosts"
policy() {
  write_policy "$work" app <<EOF2
resources:
  - timezone: $1
  - hostname: web1.example.com
EOF2
}
policy Europe/Paris
plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json")" = "timezone[Europe/Paris]	localtime	a file	/usr/share/zoneinfo/Europe/Paris
timezone[Europe/Paris]	timezone_file	Etc/UTC	Europe/Paris
hostname[web1.example.com]	file	absent	web1.example.com
hostname[web1.example.com]	hosts	(no 127.0.1.1 line)	127.0.1.1 web1.example.com web1" ] ||
  fail "changes: $(json_changes "$work/c1.json")"
[ "$(readlink "$root/etc/localtime")" = /usr/share/zoneinfo/Europe/Paris ] || fail "localtime link"
[ "$(cat "$root/etc/timezone")" = Europe/Paris ] || fail "/etc/timezone"
[ "$(cat "$root/etc/hosts")" = "$(printf '127.0.0.1 localhost\n127.0.1.1\tweb1.example.com web1\n10.0.0.9 other')" ] || fail "hosts: $(cat "$root/etc/hosts")"
out=$(resource_field "$work/c1.json" 'hostname[web1.example.com]' output)
[[ "$out" == *"the live name is not set under --root $root (it belongs to the running machine)"* ]] || fail "hostname output: $out"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
printf '%s\n' "$OUT" >"$work/c2.json"
[ -z "$(json_changes "$work/c2.json")" ] || fail "second converge changed: $(json_changes "$work/c2.json")"

policy Etc/UTC
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan of a zone change"
printf '%s\n' "$OUT" >"$work/plan3.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "zone change"
printf '%s\n' "$OUT" >"$work/c3.json"
diff <(json_changes "$work/plan3.json") <(json_changes "$work/c3.json") || fail "plan and converge differ (zone change)"
[ "$(json_changes "$work/c3.json" | cut -f1,2,4)" = "timezone[Etc/UTC]	localtime	/usr/share/zoneinfo/Etc/UTC
timezone[Etc/UTC]	timezone_file	Etc/UTC" ] || fail "zone change: $(json_changes "$work/c3.json")"

policy Mars/Olympus_Mons
before=$(tree_checksum "$root/etc")
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 4 "missing zone"
printf '%s\n' "$OUT" >"$work/c4.json"
err=$(resource_field "$work/c4.json" 'timezone[Mars/Olympus_Mons]' error)
[ "$err" = "the host has no time zone Mars/Olympus_Mons (/usr/share/zoneinfo/Mars/Olympus_Mons is missing; is tzdata installed?)" ] ||
  fail "missing zone: $err"
[ "$(tree_checksum "$root/etc")" = "$before" ] || fail "a missing zone changed /etc"

policy ../../etc/passwd
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad zone"
grep -qF 'recipes/default.yaml:2:5: timezone[../../etc/passwd]: invalid time zone "../../etc/passwd"' <<<"$ERR" || fail "bad zone: $ERR"
echo "PASS: timezone + hostname under --root: link + /etc/timezone, hosts line, idempotent, plan == converge, missing zone, bad name"
