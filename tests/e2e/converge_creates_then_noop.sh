#!/usr/bin/env bash
# converge creates every managed file, folder and link (exit 2); a second converge changes nothing
# (exit 0, "0 changed") and leaves the tree exactly as it was.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF2'
resources:
  - directory: /srv/app/releases/1
    mode: "0750"
  - file: /srv/app/releases/1/index.html
    content: "<p>hello</p>\n"
    mode: "0640"
  - link: /srv/app/current
    to: /srv/app/releases/1
  - file: /etc/app.conf
    content: "port = 8080\n"
  - directory: /var/log/app
EOF2

run_roux converge --policy "$work" --root "$root" --report "$work/first.json"
expect_rc 2 "first converge"
[ "$(cat "$root/srv/app/releases/1/index.html")" = "<p>hello</p>" ] || fail "index.html content"
[ "$(stat -c %a "$root/srv/app/releases/1/index.html")" = 640 ] || fail "index.html mode"
[ "$(stat -c %a "$root/srv/app/releases/1")" = 750 ] || fail "release folder mode"
[ "$(readlink "$root/srv/app/current")" = /srv/app/releases/1 ] || fail "current link target"
[ "$(cat "$root/etc/app.conf")" = "port = 8080" ] || fail "app.conf content"
[ "$(stat -c %a "$root/etc/app.conf")" = 644 ] || fail "app.conf default mode"
[ -d "$root/var/log/app" ] || fail "log folder"
# Every declared resource is reported changed; the parents of the release folder came along.
[ "$(json_get "$work/first.json" 'r["totals"]["changed"]')" = 5 ] || fail "first converge: want 5 changed"
[ "$(json_get "$work/first.json" 'r["totals"]["failed"]')" = 0 ] || fail "first converge: failures"
grep -qx 'converge: 5 added, 0 changed, 0 destroyed, 0 failed; 0 unchanged ([0-9.]* s)' <<<"$OUT" || fail "summary line: $OUT"
[ "$(grep -c '^  + ' <<<"$OUT")" = 5 ] || fail "every resource is marked + (create): $OUT"

before=$(tree_checksum "$root" var/lib/roux)
run_roux converge --policy "$work" --root "$root" --report "$work/second.json"
expect_rc 0 "second converge"
grep -qx 'converge: 0 added, 0 changed, 0 destroyed, 0 failed; 5 unchanged ([0-9.]* s)' <<<"$OUT" || fail "second summary: $OUT"
[ "$(json_get "$work/second.json" '[x["status"] for x in r["resources"] if x["status"] != "unchanged"]')" = "[]" ] ||
  fail "second converge reported a change"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "second converge modified the tree"
echo "ok"
