#!/usr/bin/env bash
# "(notified by X)" is said once per refreshed resource in plan and converge text: an exec's change
# line already ends in "(notified by X)", so its header does not repeat it; when the change line
# is cut short (a long command), the header says it. The JSON report keeps both (notified_by and
# the change's after).
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
mkdir -p "$work/root/etc"
long=$(printf 'true %0.s' $(seq 40))
write_policy "$work" app <<EOF
resources:
  - file: /etc/a.conf
    content: "x\n"
    notify: exec[reload]
  - file: /etc/b.conf
    content: "y\n"
    notify: exec[long]
  - exec: reload
    command: "true"
    refresh_only: true
  - exec: long
    command: "$long"
    refresh_only: true
EOF

# count TEXT FILE: how many times TEXT occurs in FILE.
count() { grep -oF "$1" "$2" | wc -l; }

for cmd in plan converge; do
  "$ROUX" $cmd --policy "$work" --root "$work/root" --config /dev/null >"$work/$cmd.txt" 2>&1 && rc=0 || rc=$?
  [ "$rc" = 2 ] || fail "$cmd: exit $rc, want 2 (changes): $(cat "$work/$cmd.txt")"
  n=$(count "notified by file[/etc/a.conf]" "$work/$cmd.txt")
  [ "$n" = 1 ] || fail "$cmd: \"notified by file[/etc/a.conf]\" $n times:
$(cat "$work/$cmd.txt")"
  grep -qx "  ~ exec\[reload\]" "$work/$cmd.txt" || fail "$cmd: exec[reload]'s header: $(cat "$work/$cmd.txt")"
  grep -qxF "      run: (none) -> true (notified by file[/etc/a.conf])$([ $cmd = plan ] && echo ' (predicted)')" "$work/$cmd.txt" ||
    fail "$cmd: exec[reload]'s change line: $(cat "$work/$cmd.txt")"
  # The long command's change line is cut at 120 characters: the header names who notified.
  n=$(count "notified by file[/etc/b.conf]" "$work/$cmd.txt")
  [ "$n" = 1 ] || fail "$cmd: \"notified by file[/etc/b.conf]\" $n times: $(cat "$work/$cmd.txt")"
  grep -qxF "  ~ exec[long]  (notified by file[/etc/b.conf])" "$work/$cmd.txt" || fail "$cmd: exec[long]'s header: $(cat "$work/$cmd.txt")"
  rm -f "$work/root/etc/a.conf" "$work/root/etc/b.conf"
done

# The JSON report keeps who notified as data.
"$ROUX" plan --format json --policy "$work" --root "$work/root" --config /dev/null >"$work/plan.json" 2>/dev/null || true
python3 - "$work/plan.json" <<'PY' || fail "JSON notified_by"
import json, sys
rep = json.load(open(sys.argv[1]))
r = {x["id"]: x for x in rep["resources"]}
assert r["exec[reload]"]["notified_by"] == ["file[/etc/a.conf]"], r["exec[reload]"]
assert r["exec[reload]"]["changes"][0]["after"] == "true (notified by file[/etc/a.conf])", r["exec[reload]"]
PY
echo ok
