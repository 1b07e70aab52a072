#!/usr/bin/env bash
# --report FILE and the cookbook lockfile are written by one atomic writer: a fresh temp name made
# with O_EXCL|O_NOFOLLOW beside the target, fsync, rename. A symlink planted at FILE.tmp (the old
# fixed temp name) or at FILE itself is never written through.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$work/out"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/app.conf
    content: "app\n"
EOF2
printf 'precious\n' >"$work/victim"
printf 'precious too\n' >"$work/victim2"
ln -s "$work/victim" "$work/out/report.json.tmp"
ln -s "$work/victim2" "$work/out/report.json"

run_roux converge --policy "$work" --root "$root" --report "$work/out/report.json"
expect_rc 2 "converge with --report"
[ "$(cat "$work/victim")" = precious ] || fail "the report was written through the planted FILE.tmp symlink"
[ "$(cat "$work/victim2")" = "precious too" ] || fail "the report was written through a symlink at FILE"
[ -f "$work/out/report.json" ] && [ ! -L "$work/out/report.json" ] || fail "report is not a regular file"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/out/report.json" || fail "report is not JSON"
[ "$(stat -c %a "$work/out/report.json")" = 600 ] || fail "report mode $(stat -c %a "$work/out/report.json"), want 600"
# Nothing else appeared beside it (no temp left behind): only the planted link and the report.
[ "$(ls -A "$work/out" | LC_ALL=C sort | tr '\n' ' ')" = "report.json report.json.tmp " ] ||
  fail "left in the report folder: $(ls -A "$work/out")"
echo ok
