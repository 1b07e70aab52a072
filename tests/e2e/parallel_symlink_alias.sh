#!/usr/bin/env bash
# converge --jobs: two managed paths naming one file through a symbolic link run one after the
# other, in the serial order, with the serial walk's result (engine/concurrency.h).
# 1. /srv/link -> /srv/real exists before the run (nobody manages it): file /srv/link/a and file
#    /srv/real/a are one file. Their guards log start/end around a 1 s sleep: the two never
#    overlap, A (declared first) runs first, while two unrelated files do overlap.
# 2. A link the run itself makes (link /srv/made -> /srv/real2, 1 s guard) and, after it,
#    file /srv/made/x then file /srv/real2/x: the later one waits for the earlier although the
#    link does not exist yet when the walk looks, so the later one's content wins, as in --jobs 1.
# Each run with --jobs 8 and --jobs 1 into two roots: the same files and the same JSON reports
# except durations.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$(e2e_tmpdir)

guard() { printf "'echo start-%s >> \"\$ROUX_ROOT/log\"; sleep 1; echo end-%s >> \"\$ROUX_ROOT/log\"'" "$1" "$1"; }
normalize() {
  python3 - "$1" <<'PY'
import json, sys
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if "duration" not in k and not k.endswith("_at") and not k.endswith("_time")
                and k not in ("started", "finished", "run_id", "phases", "phases_ms", "elapsed_ms", "elapsed_s", "root",
                              "time", "timestamp")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
print(json.dumps(strip(json.load(open(sys.argv[1]))), indent=1, sort_keys=True))
PY
}
# The line of the log where a label sits.
at() { grep -n -x "$1" "$2" | cut -d: -f1; }

# --- 1. A link nobody manages.
write_policy "$work/p1" app <<POLICY
resources:
  - file: /srv/link/a
    content: "through the link\n"
    only_if: $(guard A)
  - file: /srv/real/a
    content: "by its real path\n"
    only_if: $(guard B)
  - file: /srv/real/c
    content: "c\n"
    only_if: $(guard C)
  - file: /srv/real/d
    content: "d\n"
    only_if: $(guard D)
POLICY
for j in 8 1; do
  r="$work/p1/root$j"
  mkdir -p "$r/srv/real"
  ln -s /srv/real "$r/srv/link"
  run_roux converge --jobs $j --policy "$work/p1" --root "$r" --format json --report "$work/p1/r$j.json"
  expect_rc 2 "aliased files, --jobs $j"
done
log="$work/p1/root8/log"
[ "$(at end-A "$log")" -lt "$(at start-B "$log")" ] ||
  fail "file /srv/link/a and file /srv/real/a overlapped (or ran out of order): $(tr '\n' ' ' <"$log")"
# The pool did run unrelated work together meanwhile.
[ "$(at start-D "$log")" -lt "$(at end-C "$log")" ] || fail "c and d did not overlap: $(tr '\n' ' ' <"$log")"
[ "$(cat "$work/p1/root8/srv/real/a")" = "by its real path" ] || fail "a: $(cat "$work/p1/root8/srv/real/a")"
[ -L "$work/p1/root8/srv/link" ] || fail "the link was replaced"
for f in srv/real/a srv/real/c srv/real/d; do
  cmp -s "$work/p1/root1/$f" "$work/p1/root8/$f" || fail "$f differs from --jobs 1"
done
[ "$(normalize "$work/p1/r1.json")" = "$(normalize "$work/p1/r8.json")" ] ||
  fail "reports differ: $(diff <(normalize "$work/p1/r1.json") <(normalize "$work/p1/r8.json"))"

# --- 2. A link the run makes.
write_policy "$work/p2" app <<POLICY
resources:
  - link: /srv/made
    to: /srv/real2
    only_if: $(guard L)
  - file: /srv/made/x
    content: "through the new link\n"
    only_if: $(guard X)
  - file: /srv/real2/x
    content: "by its real path\n"
    only_if: $(guard Y)
POLICY
for j in 8 1; do
  r="$work/p2/root$j"
  mkdir -p "$r/srv/real2"
  run_roux converge --jobs $j --policy "$work/p2" --root "$r" --format json --report "$work/p2/r$j.json"
  expect_rc 2 "a file through a link the run makes, --jobs $j"
done
log="$work/p2/root8/log"
[ "$(at end-X "$log")" -lt "$(at start-Y "$log")" ] ||
  fail "file /srv/made/x and file /srv/real2/x overlapped (or ran out of order): $(tr '\n' ' ' <"$log")"
[ "$(cat "$work/p2/root8/srv/real2/x")" = "by its real path" ] ||
  fail "x: $(cat "$work/p2/root8/srv/real2/x") (the serial walk's later write must win)"
cmp -s "$work/p2/root1/srv/real2/x" "$work/p2/root8/srv/real2/x" || fail "x differs from --jobs 1"
[ "$(normalize "$work/p2/r1.json")" = "$(normalize "$work/p2/r8.json")" ] ||
  fail "reports differ: $(diff <(normalize "$work/p2/r1.json") <(normalize "$work/p2/r8.json"))"
echo "parallel_symlink_alias: ok"
