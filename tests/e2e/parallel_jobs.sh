#!/usr/bin/env bash
# converge --jobs: independent resources run at once, with the serial walk's outcome.
# 1. Three independent `exec` with `parallel: true`, each `sleep 2`: about 2 s with the default
#    jobs, about 6 s with --jobs 1 (judged by the order of their logged starts and ends, not by
#    the clock). Three without `parallel: true` run alone.
# 2. A policy of many files and folders converged with --jobs 1 and --jobs 8 into two roots: the
#    same trees, the same JSON reports except durations, and the same text output.
# 3. A failing resource, its dependents skipped, immediate and delayed notifications: identical
#    reports with --jobs 1 and --jobs 8 (notified_by in the serial order).
# 4. Quick checks (a file that is already right) handed to the workers in chunks: a mostly
#    converged tree of 600 files with drifted files that notify, a file that fails and its
#    dependent, converged with --jobs 1 and --jobs 8: the same report, and -vv shows chunks.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)

# A report without what differs between two runs of the same policy: times and durations.
normalize() {
  python3 - "$1" <<'PY'
import json, sys
DROP = {"duration_ms", "duration_s", "started", "finished", "started_at", "finished_at", "time", "timestamp",
        "run_id", "phases", "phases_ms", "elapsed_ms", "elapsed_s", "start_time", "end_time", "root"}
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in DROP and "duration" not in k and not k.endswith("_at")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
print(json.dumps(strip(json.load(open(sys.argv[1]))), indent=1, sort_keys=True))
PY
}
# The tree without mtimes (two roots are written at different times), the state folder left out.
tree_no_times() {
  tree_listing "$1" var/lib/roux | cut -f1-5,7- | sha256sum | cut -d' ' -f1
}
seconds() { python3 -c "import time; print(time.monotonic())"; }
elapsed() { python3 -c "print(round($(seconds) - $1, 2))"; }

# --- 1. Three parallel sleeps.
mkdir -p "$work/p1"
# Each exec logs its start and its end (one appended line each): the order of those lines shows
# whether they overlapped, whatever the machine's load; the times are printed, not judged.
write_policy "$work/p1" app <<EOF2
resources:
  - exec: sleep a
    command: sh -c 'echo start >> $work/p1/log; sleep 2; echo end >> $work/p1/log'
    parallel: true
  - exec: sleep b
    command: sh -c 'echo start >> $work/p1/log; sleep 2; echo end >> $work/p1/log'
    parallel: true
  - exec: sleep c
    command: sh -c 'echo start >> $work/p1/log; sleep 2; echo end >> $work/p1/log'
    parallel: true
EOF2
order() { tr '\n' ' ' < "$work/p1/log"; rm -f "$work/p1/log"; }
mkdir -p "$work/p1/root"
t0=$(seconds)
run_roux converge --policy "$work/p1" --root "$work/p1/root" --format json --report "$work/p1/default.json"
t_default=$(elapsed "$t0")
expect_rc 2 "three parallel sleeps, default jobs"
o_default=$(order)
t0=$(seconds)
mkdir -p "$work/p1/root1"
run_roux converge --jobs 1 --policy "$work/p1" --root "$work/p1/root1" --format json --report "$work/p1/serial.json"
t_serial=$(elapsed "$t0")
expect_rc 2 "three parallel sleeps, --jobs 1"
o_serial=$(order)
echo "three sleep 2: default jobs ${t_default}s, --jobs 1 ${t_serial}s"
[ "$o_default" = "start start start end end end " ] || fail "default jobs: the three execs did not overlap: $o_default"
[ "$o_serial" = "start end start end start end " ] || fail "--jobs 1: the execs overlapped: $o_serial"
[ "$(normalize "$work/p1/default.json")" = "$(normalize "$work/p1/serial.json")" ] ||
  fail "reports differ: $(diff <(normalize "$work/p1/default.json") <(normalize "$work/p1/serial.json"))"
# Without parallel: true an exec runs alone.
sed -i '/parallel: true/d' "$work/p1/cookbooks/app/recipes/default.yaml"
t0=$(seconds)
mkdir -p "$work/p1/root8"
run_roux converge --jobs 8 --policy "$work/p1" --root "$work/p1/root8" --format json
t_alone=$(elapsed "$t0")
expect_rc 2 "three sleeps without parallel, --jobs 8"
echo "three sleep 2 without parallel: --jobs 8 ${t_alone}s"
o_alone=$(order)
[ "$o_alone" = "start end start end start end " ] || fail "execs without parallel: true overlapped: $o_alone"

# --- 2. Many files and folders.
mkdir -p "$work/p2"
{
  echo "resources:"
  for d in $(seq 1 8); do
    echo "  - directory: /srv/d$d/sub"
    echo "    mode: \"0750\""
    for f in $(seq 1 25); do
      echo "  - file: /srv/d$d/sub/f$f"
      echo "    content: \"dir $d file $f\\n\""
      echo "    mode: \"0640\""
    done
    echo "  - link: /srv/d$d/current"
    echo "    to: /srv/d$d/sub"
  done
  for f in $(seq 1 40); do
    echo "  - file: /etc/flat$f.conf"
    echo "    content: \"flat $f\\n\""
  done
} | write_policy "$work/p2" app
for j in 1 8; do
  mkdir -p "$work/p2/root$j/etc"
  run_roux converge --jobs $j --policy "$work/p2" --root "$work/p2/root$j" --format json --report "$work/p2/r$j.json"
  expect_rc 2 "many files, --jobs $j"
  "$ROUX" converge --jobs $j --policy "$work/p2" --root "$work/p2/root$j" >"$work/p2/text$j.txt" 2>&1 ||
    fail "second converge --jobs $j: $(cat "$work/p2/text$j.txt")"
  run_roux converge --jobs $j --policy "$work/p2" --root "$work/p2/root$j" --format json
  expect_rc 0 "no-op, --jobs $j"
done
[ "$(json_get "$work/p2/r8.json" 'r["totals"]["changed"]')" = 256 ] ||
  fail "changed: $(json_get "$work/p2/r8.json" 'r["totals"]')"
[ "$(tree_no_times "$work/p2/root1")" = "$(tree_no_times "$work/p2/root8")" ] ||
  fail "trees differ: $(diff <(tree_listing "$work/p2/root1" var/lib/roux | cut -f1-5,7-) <(tree_listing "$work/p2/root8" var/lib/roux | cut -f1-5,7-))"
[ "$(normalize "$work/p2/r1.json")" = "$(normalize "$work/p2/r8.json")" ] ||
  fail "reports differ: $(diff <(normalize "$work/p2/r1.json") <(normalize "$work/p2/r8.json") | head -20)"
# The text output (a no-op here) in the same order.
strip_times() { sed -E 's/[0-9]+(\.[0-9]+)? ?(ms|s)\b/T/g' "$1"; }
[ "$(strip_times "$work/p2/text1.txt")" = "$(strip_times "$work/p2/text8.txt")" ] ||
  fail "text differs: $(diff <(strip_times "$work/p2/text1.txt") <(strip_times "$work/p2/text8.txt"))"

# --- 3. Failures, skips, guards, notifications.
mkdir -p "$work/p3"
write_policy "$work/p3" app <<'EOF2'
resources:
  - file: /etc/a.conf
    content: "a\n"
    notify: exec[reload]
  - exec: broken
    command: "echo broken; exit 3"
    parallel: true
  - file: /etc/needs-broken
    content: "x\n"
    requires: exec[broken]
  - file: /etc/b.conf
    content: "b\n"
    notify: exec[reload]
  - exec: guarded
    command: echo never >> "$ROUX_ROOT/var/log/events"
    parallel: true
    only_if: "false"
  - file: /etc/c.conf
    content: "c\n"
    notify:
      - resource: exec[now]
        timing: immediately
  - exec: now
    command: echo now >> "$ROUX_ROOT/var/log/events"
    refresh_only: true
  - file: /etc/d.conf
    content: "d\n"
    notify: exec[reload]
  - exec: reload
    command: echo reload >> "$ROUX_ROOT/var/log/events"
    refresh_only: true
  - exec: flaky
    command: test -e "$ROUX_ROOT/var/log/tried" || { touch "$ROUX_ROOT/var/log/tried"; exit 1; }
    parallel: true
    retries: 1
    retry_delay: 0
EOF2
for j in 1 8; do
  mkdir -p "$work/p3/root$j/etc" "$work/p3/root$j/var/log"
  run_roux converge --jobs $j --policy "$work/p3" --root "$work/p3/root$j" --format json --report "$work/p3/r$j.json"
  expect_rc 6 "failures and notifications, --jobs $j"
done
status() { resource_field "$work/p3/r8.json" "$1" status; }
[ "$(status 'exec[broken]')" = failed ] || fail "exec[broken]: $(status 'exec[broken]')"
[ "$(status 'file[/etc/needs-broken]')" = skipped ] || fail "dependent of a failure: $(status 'file[/etc/needs-broken]')"
[ "$(resource_field "$work/p3/r8.json" 'file[/etc/needs-broken]' skip_reason)" = "dependency exec[broken] failed" ] ||
  fail "skip reason: $(resource_field "$work/p3/r8.json" 'file[/etc/needs-broken]' skip_reason)"
[ "$(status 'exec[guarded]')" = skipped ] || fail "guarded exec: $(status 'exec[guarded]')"
# Its first attempt fails (it leaves var/log/tried), the retry succeeds.
[ "$(status 'exec[flaky]')" = changed ] && [ -e "$work/p3/root8/var/log/tried" ] || fail "flaky: $(status 'exec[flaky]')"
[ "$(resource_field "$work/p3/r8.json" 'exec[reload]' notified_by)" = '["file[/etc/a.conf]", "file[/etc/b.conf]", "file[/etc/d.conf]"]' ] ||
  fail "notified_by: $(resource_field "$work/p3/r8.json" 'exec[reload]' notified_by)"
[ "$(tr '\n' ' ' <"$work/p3/root8/var/log/events")" = "now reload " ] || fail "events: $(cat "$work/p3/root8/var/log/events")"
[ "$(normalize "$work/p3/r1.json")" = "$(normalize "$work/p3/r8.json")" ] ||
  fail "reports differ: $(diff <(normalize "$work/p3/r1.json") <(normalize "$work/p3/r8.json"))"
[ "$(tree_no_times "$work/p3/root1")" = "$(tree_no_times "$work/p3/root8")" ] || fail "trees differ"

# --- 4. Quick checks in chunks.
mkdir -p "$work/p5"
{
  echo "resources:"
  for d in 1 2 3; do
    echo "  - directory: /srv/q$d"
    for f in $(seq 1 200); do
      echo "  - file: /srv/q$d/f$f"
      echo "    content: \"q $d $f\\n\""
      case "$d/$f" in 2/100 | 3/50) echo "    notify: exec[reload]" ;; esac
    done
  done
  echo "  - file: /srv/blocked/x"
  echo "    content: \"x\\n\""
  echo "  - file: /srv/after-blocked"
  echo "    content: \"y\\n\""
  echo "    requires: file[/srv/blocked/x]"
  echo "  - exec: reload"
  echo "    command: echo reload >> \"\$ROUX_ROOT/var/log/events\""
  echo "    refresh_only: true"
} | write_policy "$work/p5" app
for j in 1 8; do
  r="$work/p5/root$j"
  mkdir -p "$r/srv" "$r/var/log"
  echo "a plain file" >"$r/srv/blocked"  # /srv/blocked/x cannot be written: it fails
  run_roux converge --jobs $j --policy "$work/p5" --root "$r" --format json
  expect_rc 6 "600 files, first converge, --jobs $j"
  rm -f "$r/var/log/events"
  echo drift >"$r/srv/q2/f100"
  echo drift >"$r/srv/q3/f50"
  echo drift >"$r/srv/q1/f7"
  run_roux -vv converge --jobs $j --policy "$work/p5" --root "$r" --format json --report "$work/p5/r$j.json"
  expect_rc 6 "600 files, three drifted, --jobs $j"
  [ "$(json_get "$work/p5/r$j.json" 'r["totals"]["changed"]')" = 4 ] || fail "--jobs $j: changed: $(json_get "$work/p5/r$j.json" 'r["totals"]')"
  [ "$(resource_field "$work/p5/r$j.json" 'exec[reload]' notified_by)" = '["file[/srv/q2/f100]", "file[/srv/q3/f50]"]' ] ||
    fail "--jobs $j: notified_by: $(resource_field "$work/p5/r$j.json" 'exec[reload]' notified_by)"
  [ "$(resource_field "$work/p5/r$j.json" 'file[/srv/blocked/x]' status)" = failed ] || fail "--jobs $j: blocked file did not fail"
  [ "$(resource_field "$work/p5/r$j.json" 'file[/srv/after-blocked]' skip_reason)" = "dependency file[/srv/blocked/x] failed" ] ||
    fail "--jobs $j: dependent: $(resource_field "$work/p5/r$j.json" 'file[/srv/after-blocked]' skip_reason)"
  [ "$(cat "$r/var/log/events")" = reload ] || fail "--jobs $j: events: $(cat "$r/var/log/events")"
  [ "$(cat "$r/srv/q1/f7")" = "q 1 7" ] || fail "--jobs $j: drift not repaired"
  [ $j = 1 ] && continue
  walk=$(grep -o 'walk: .*' <<<"$ERR") || fail "-vv printed no walk line: $ERR"
  echo "--jobs 8, 600 files: $walk"
  [[ "$walk" =~ quick\ ones:\ ([0-9]+)\ queued\ in\ ([0-9]+)\ chunks ]] || fail "walk line: $walk"
  [ "${BASH_REMATCH[1]}" -ge 100 ] && [ "${BASH_REMATCH[2]}" -ge 2 ] || fail "quick checks not spread over the workers in chunks: $walk"
done
[ "$(normalize "$work/p5/r1.json")" = "$(normalize "$work/p5/r8.json")" ] ||
  fail "reports differ: $(diff <(normalize "$work/p5/r1.json") <(normalize "$work/p5/r8.json") | head -20)"

# --- A plan walks serially whatever --jobs says, and changes nothing.
mkdir -p "$work/p4/etc"
run_roux plan --jobs 8 --policy "$work/p2" --root "$work/p4" --format json
expect_rc 2 "plan --jobs 8"
[ -z "$(ls -A "$work/p4/etc")" ] || fail "plan --jobs 8 wrote into the root"
run_roux converge --jobs 0 --policy "$work/p2" --root "$work/p4"
[ "$RC" != 0 ] && [ "$RC" != 2 ] || fail "--jobs 0 accepted (rc $RC)"
grep -q -- "--jobs" <<<"$OUT$ERR" || fail "--jobs 0: no error naming the option: $OUT$ERR"
echo "parallel_jobs: ok"
