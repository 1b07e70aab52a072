#!/usr/bin/env bash
# The state folder's report (last_run.json and its copy in reports/) is written in pieces, never
# held whole: a first converge of 1,500 files, 30 commands given a secret and 30 files named with
# it makes a report of several 64 KiB pieces; both files are the same bytes, valid JSON, the
# --report document minus the resources nothing happened to (same fields otherwise), and the
# secret's plaintext appears in none of them: masked as "(secret)" in each name, wherever it falls.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
S=pieces-Secret-Tk83x
run_roux secret keygen --out "$work/host"
expect_rc 0 "keygen"
enc=$("$ROUX" secret encrypt --key "$work/host.pub" --value "$S")
{
  echo "resources:"
  echo "  - directory: /srv/p"
  for i in $(seq 1 1500); do
    printf '  - file: /srv/p/f%04d\n    content: "line one of file %d, long enough to fill the report\\nline two %d\\n"\n' "$i" "$i" "$i"
    if [ $((i % 50)) = 0 ]; then
      printf '  - exec: show-%d\n    command: echo "token $TOKEN at %d"\n    environment:\n      TOKEN: "%s"\n' "$i" "$i" "$enc"
      printf '  - file: /srv/p/named-%s-%d\n    content: "x\\n"\n' "$S" "$i"
    fi
  done
} | write_policy "$work" app
run_roux converge --policy "$work" --root "$root" --secret-key "$work/host.key" --report "$work/full.json"
expect_rc 2 "first converge"
state=$root/var/lib/roux
last=$state/last_run.json
copy=$(ls "$state"/reports/*.json)
[ "$(echo "$copy" | wc -l)" = 1 ] || fail "expected one per-run report, got: $copy"
size=$(stat -c %s "$last")
[ "$size" -gt $((4 * 65536)) ] || fail "the report is too small ($size bytes) to be written in several pieces"
cmp -s "$last" "$copy" || fail "last_run.json and reports/$(basename "$copy") differ"
[ "$(stat -c %a "$last")" = 600 ] || fail "last_run.json is not 0600"
[ "$(tail -c 1 "$last" | od -An -c | tr -d ' ')" = '\n' ] || fail "last_run.json does not end in a newline"
[ "$(wc -l <"$last")" = 1 ] || fail "last_run.json is not one line"
for f in "$last" "$copy" "$work/full.json"; do
  ! grep -q "$S" "$f" || fail "the secret's plaintext is in $f"
done
python3 - "$last" "$work/full.json" <<'PY' || fail "last_run.json does not match the --report document"
import json, sys
last, full = (json.load(open(p)) for p in sys.argv[1:3])
assert last.pop("unchanged_not_listed") == 0, "a first converge changes every resource"
assert "unchanged_not_listed" not in full
assert last == full, "the compact report differs from the full one"
rs = last["resources"]
assert len(rs) == 1 + 1500 + 60 and last["totals"]["total"] == 1561, (len(rs), last["totals"])
files = [r for r in rs if r["type"] == "file"]
assert [r["name"] for r in files if "named-" not in r["name"]] == [f"/srv/p/f{i:04d}" for i in range(1, 1501)], "order"
assert all(r["status"] == "changed" and r["action"] == "create" for r in files)
execs = [r for r in rs if r["type"] == "exec"]
assert len(execs) == 30, len(execs)
text = open(sys.argv[1]).read()
named = [r for r in files if r["name"].startswith("/srv/p/named-")]
assert len(named) == 30 and all(r["name"].startswith("/srv/p/named-(secret)-") for r in named), named[:2]
assert text.count("(secret)") >= 60, ("the secret masked in each named file's name and id", text.count("(secret)"))
PY
