#!/usr/bin/env bash
# The run's records: --format json prints one JSON document with the run's fields and every resource;
# --report FILE writes the same document; converge writes STATE/last_run.json (0600; compact: the
# unchanged resources counted, not listed) and, unless the run was a no-op, its copy in
# STATE/reports/, and appends one
# line per run to STATE/history.jsonl; plan writes neither; a text-format run prints a summary line
# and no colour when stdout is not a tty.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/a
    content: "a\n"
  - directory: /etc/d
EOF2
run_roux plan --policy "$work" --root "$root" --format json --report "$work/plan-report.json"
expect_rc 2 "plan"
printf '%s\n' "$OUT" >"$work/plan-stdout.json"
[ ! -e "$root/var/lib/roux/last_run.json" ] && [ ! -e "$root/var/lib/roux/history.jsonl" ] || fail "plan recorded a run"
python3 - "$work/plan-stdout.json" "$work/plan-report.json" <<'PY'
import json, sys
out, rep = (json.load(open(p)) for p in sys.argv[1:3])
assert out == rep, "--report differs from --format json output"
for k in ("run_id", "roux_version", "mode", "policy", "start_time", "end_time", "duration_ms", "exit_code",
          "totals", "cookbooks", "errors", "resources", "hostname", "root"):
    assert k in out, "missing key " + k
assert out["mode"] == "plan" and out["exit_code"] == 2 and out["policy"] == "e2e", out
assert out["cookbooks"] == [{"name": "app", "version": "1.0.0", "source": out["cookbooks"][0]["source"]}], out["cookbooks"]
assert out["totals"] == {"total": 2, "changed": 0, "would_change": 2, "unchanged": 0, "failed": 0, "skipped": 0,
                         "add": 2, "change": 0, "destroy": 0, "replace": 0}, out["totals"]
for r in out["resources"]:
    for k in ("type", "name", "id", "status", "duration_ms", "changes"):
        assert k in r, (k, r)
    assert r["status"] == "would_change" and r["changes"] and r["action"] == "create", r
    assert r["id"] == r["type"] + "[" + r["name"] + "]", r
assert out["start_time"] <= out["end_time"]
PY

for i in 1 2; do
  run_roux converge --policy "$work" --root "$root" --report "$work/apply$i.json"
  [ "$RC" = $(( i == 1 ? 2 : 0 )) ] || expect_rc 2 "converge $i"
  [[ "$OUT" != *$'\033'* ]] || fail "colour codes on a non-tty"
  grep -q "^converge: $(( i == 1 ? 2 : 0 )) added, 0 changed, 0 destroyed, 0 failed; $(( i == 1 ? 0 : 2 )) unchanged" <<<"$OUT" || fail "summary: $OUT"
done
state="$root/var/lib/roux"
[ "$(stat -c %a "$state/last_run.json")" = 600 ] || fail "last_run.json mode"
[ "$(stat -c %a "$state")" = 700 ] || fail "state folder mode"
python3 - "$state/last_run.json" "$work/apply2.json" "$state/history.jsonl" "$state/reports" "$work/apply1.json" <<'PY'
import json, os, sys
last, rep2 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert last["run_id"] == rep2["run_id"], "last_run.json is not the last run"
# The state copy is compact: the unchanged resources of the no-op are counted, not listed; --report
# lists every resource.
assert len(rep2["resources"]) == 2 and all(r["status"] == "unchanged" for r in rep2["resources"]), rep2["resources"]
assert "unchanged_not_listed" not in rep2, "--report is the whole report"
assert last["resources"] == [] and last["unchanged_not_listed"] == 2, last
assert last["totals"] == rep2["totals"], (last["totals"], rep2["totals"])
# The kept report of the first run lists its changed resources as --report did.
rep1 = json.load(open(sys.argv[5]))
kept1 = json.load(open(os.path.join(sys.argv[4], rep1["run_id"] + ".json")))
assert kept1["resources"] == rep1["resources"] and kept1["unchanged_not_listed"] == 0, kept1
# The no-op (exit 0) keeps no per-run report: its history line and last_run.json say it all.
assert os.listdir(sys.argv[4]) == [rep1["run_id"] + ".json"], os.listdir(sys.argv[4])
hist = [json.loads(l) for l in open(sys.argv[3])]
assert len(hist) == 2, "want 2 history lines, got %d" % len(hist)
assert [h["exit_code"] for h in hist] == [2, 0], hist
assert hist[0]["changed"] == ["file[/etc/a]", "directory[/etc/d]"], hist[0]
assert hist[1]["changed"] == [] and hist[1]["mode"] == "apply", hist[1]
assert hist[1]["run_id"] == rep2["run_id"]
PY
echo "ok"
