#!/usr/bin/env bash
# Bytes that are not UTF-8 are ordinary on real hosts: a command printing Latin-1, a managed file
# whose old content is Latin-1 (it shows in the diff), a Latin-1 file name. A run that meets them
# converges and records itself like any other: exit 2, a JSON report that is valid JSON (each stray
# byte written as its Latin-1 character: \xe9 -> U+00E9), last_run.json, a history line, a
# json_file handler's copy, and text output with the bytes as they are but control characters
# escaped (docs/security.md, "Output encoding"). Before the fix the JSON dump threw after the
# converge: SIGABRT, no report, no history.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to check the JSON"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/var/tmp"
printf 'caf\351' >"$root/etc/motd"   # old content ends in a Latin-1 byte: the diff carries it
write_policy "$work" app <<'EOF2'
resources:
  - exec: latin1
    command: "printf 'ol\\351 \\033[2J\\n'; printf 'err\\351' >&2"
  - file: /etc/motd
    content: "new\n"
  - exec: fails
    command: "printf 'bad\\351\\033]0;title\\007'; exit 3"
EOF2
# A Latin-1 file name: the recipe file is bytes too (YAML reads them through).
printf 'resources:\n  - file: "/etc/caf\351"\n    content: "x\\n"\n' >"$work/cookbooks/app/recipes/names.yaml"
printf 'name: e2e\nsources:\n  - cookbooks\nrun_list:\n  - app\n  - app::names\n' >"$work/policy.yaml"
cat >"$work/client.yaml" <<C
handlers:
  - type: history
  - type: json_file
    path: /var/tmp/report.json
C

check_json() {  # FILE WHAT: valid JSON (strict: no lone surrogates) holding the Latin-1 text
  python3 - "$1" "$2" <<'PY'
import json, sys
path, what = sys.argv[1:]
raw = open(path, "rb").read()
try:
    text = raw.decode("utf-8")  # strict: a stray byte fails here
except UnicodeDecodeError as e:
    sys.exit(f"{what}: not UTF-8: {e}")
docs = [json.loads(l) for l in text.splitlines() if l.strip()] if path.endswith(".jsonl") else [json.loads(text)]
assert "ol\u00e9" in text or "caf\u00e9" in text, f"{what}: the Latin-1 text is not there"
PY
}

run_roux converge --policy "$work" --root "$root" --format json --report "$work/report.json" --config "$work/client.yaml"
(( RC < 128 )) || fail "roux died of a signal (exit $RC): $ERR"
expect_rc 6 "converge with Latin-1 output (changes and one failed exec)"
printf '%s\n' "$OUT" >"$work/stdout.json"
python3 -m json.tool "$work/stdout.json" >/dev/null || fail "--format json output is not valid JSON"
check_json "$work/stdout.json" "--format json"
check_json "$work/report.json" "--report"
check_json "$root/var/lib/roux/last_run.json" "last_run.json"
check_json "$root/var/lib/roux/history.jsonl" "history.jsonl"
check_json "$root/var/tmp/report.json" "json_file handler"
python3 - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
by = {x["id"]: x for x in r["resources"]}
assert by["exec[latin1]"]["status"] == "changed", by["exec[latin1]"]
assert "ol\u00e9" in by["exec[latin1]"].get("output", ""), by["exec[latin1]"]
motd = by["file[/etc/motd]"]
assert motd["status"] == "changed", motd
assert any("caf\u00e9" in (c.get("before", "") + c.get("diff", "")) for c in motd["changes"]), motd["changes"]
assert by["file[/etc/caf\u00e9]"]["status"] == "changed", list(by)
assert "bad\u00e9" in by["exec[fails]"]["error"], by["exec[fails]"]
PY
[ "$(cat "$root/etc/motd")" = new ] || fail "motd not converged"
[ -f "$root/etc/caf"$'\351' ] || fail "the Latin-1 file name was not created byte for byte"
run_roux history --root "$root"
expect_rc 0 "history"
[ "$(grep -c '^[0-9]' <<<"$OUT")" = 1 ] || fail "history does not list the run: $OUT"
run_roux history --root "$root" --format json
expect_rc 0 "history --format json"
python3 -c 'import json,sys; json.loads(sys.argv[1])' "$OUT" || fail "history --format json is not JSON"

# Text output: the bytes as they are, but no raw control character reaches the terminal.
printf 'caf\351' >"$root/etc/motd"
rm -f "$root/etc/caf"$'\351'
run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml"
(( RC < 128 )) || fail "text run died of a signal (exit $RC): $ERR"
expect_rc 6 "text converge"
grep -q $'bad\351' <<<"$OUT" || fail "text output lost the Latin-1 byte: $OUT"
grep -qF 'bad'$'\351''\x1b]0;title\x07' <<<"$OUT" || fail "control characters not escaped in text output: $OUT"
[[ "$OUT$ERR" != *$'\033'* && "$OUT$ERR" != *$'\007'* ]] || fail "a raw control character reached the terminal"
grep -q $'+new' <<<"$OUT" || fail "no diff in text output: $OUT"
echo "PASS: Latin-1 output, contents and names give valid JSON everywhere and escaped text"
