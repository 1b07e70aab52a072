#!/usr/bin/env bash
# A converge of 5,000 files (content v1 -> v2) killed with SIGKILL at random moments, 20 trials:
# after each kill every managed file is exactly v1 or exactly v2 (never partial, never empty), no
# temp file is left once the next converge has run, that converge completes with every file at its
# target version, and a further converge reports 0 changes. Trials alternate direction
# (v1 -> v2, then v2 -> v1) so each trial costs one converge.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=${ROUX_KILL_FILES:-5000}
TRIALS=${ROUX_KILL_TRIALS:-20}
work=$(e2e_tmpdir)
# The root lives in memory when it can (/dev/shm): a SIGKILL (unlike a power cut) loses nothing in
# the page cache, so what is under test is the temp-file + rename protocol, and the fsyncs, which
# would dominate on a disk, cost nothing here. This keeps 20 trials of 5,000 files fast.
root="$work/root"
if [ -d /dev/shm ] && [ -w /dev/shm ] && shm=$(mktemp -d /dev/shm/roux-e2e-kill.XXXXXX 2>/dev/null); then
  echo "$shm" >>"$_E2E_REGISTRY"
  root="$shm/root"
fi
mkdir "$root"
python3 - "$work" "$N" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
cb = os.path.join(work, "cookbooks", "many")
os.makedirs(os.path.join(cb, "recipes"))
open(os.path.join(cb, "metadata.yaml"), "w").write("name: many\nversion: 1.0.0\n")
for v in (1, 2):
    with open(os.path.join(cb, "recipes", f"v{v}.yaml"), "w") as f:
        f.write("resources:\n")
        for d in range(50):
            f.write(f"  - directory: /data/d{d:02}\n")
        for i in range(n):
            # v2 is longer than v1, so a truncated v2 is never mistaken for v1.
            body = f"v1 file {i}\\n" if v == 1 else f"v2 file {i} " + "x" * (i % 200) + "\\n"
            # backup: 0 keeps the trial on the atomic-write path (backups have their own test).
            f.write(f"  - file: /data/d{i % 50:02}/f{i:05}\n    content: \"{body}\"\n    mode: \"0644\"\n"
                    "    backup: 0\n")
    with open(os.path.join(work, f"v{v}.yaml"), "w") as f:
        f.write(f"name: kill-v{v}\nsources:\n  - cookbooks\nrun_list:\n  - many::v{v}\n")
PY

# check_tree WANT: WANT is "either" (after a kill), "v1" or "v2". Prints counts.
check_tree() {
  python3 - "$root/data" "$N" "$1" <<'PY'
import os, sys
data, n, want = sys.argv[1], int(sys.argv[2]), sys.argv[3]
counts = {"v1": 0, "v2": 0, "missing": 0}
bad = []
for i in range(n):
    p = os.path.join(data, f"d{i % 50:02}", f"f{i:05}")
    v1 = f"v1 file {i}\n".encode()
    v2 = (f"v2 file {i} " + "x" * (i % 200) + "\n").encode()
    try:
        b = open(p, "rb").read()
    except FileNotFoundError:
        counts["missing"] += 1
        continue
    if b == v1: counts["v1"] += 1
    elif b == v2: counts["v2"] += 1
    else: bad.append(f"{p}: {b[:60]!r}")
tmps = [os.path.join(d, f) for d, _, fs in os.walk(data) for f in fs if f.endswith(".roux-tmp")]
print(f"v1={counts['v1']} v2={counts['v2']} missing={counts['missing']} bad={len(bad)} tmp={len(tmps)}")
if bad:
    print("partial or foreign content:", *bad[:10], sep="\n  ")
    sys.exit(1)
if counts["missing"]:
    sys.exit("files missing")
if want != "either" and (counts[want] != n or tmps):
    sys.exit(f"want every file at {want} and no temp file left: {tmps[:5]}")
PY
}

t0=$(date +%s%N)
run_roux converge --policy "$work/v1.yaml" --root "$root"
expect_rc 2 "initial converge to v1"
create_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_tree v1 >/dev/null || fail "initial converge"
t0=$(date +%s%N)
run_roux converge --policy "$work/v2.yaml" --root "$root"
expect_rc 2 "measured converge v1 -> v2"
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_tree v2 >/dev/null || fail "measured converge"
# A plan of the same change observes everything and writes nothing (a figure for the log).
t0=$(date +%s%N)
run_roux plan --policy "$work/v1.yaml" --root "$root"
expect_rc 2 "measured plan v2 -> v1"
plan_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "measured: create $N files ${create_ms} ms; rewrite v1 -> v2 ${dur_ms} ms; plan ${plan_ms} ms"

target=v1
mixed=0  # trials whose kill landed mid-write (some files v1, some v2)
for trial in $(seq "$TRIALS"); do
  # The first trial kills at once (before the lock, in the compile). The others kill right after
  # the run has written file k, k spread over the whole run (plus a random offset), so the kills
  # land mid-write whatever the machine's speed or load. Files are written in declaration order.
  "$ROUX" converge --policy "$work/$target.yaml" --root "$root" >/dev/null 2>&1 &
  pid=$!
  t_start=$(date +%s%N)
  if [ "$trial" = 1 ]; then
    sleep "0.0$((RANDOM % 10))"
    what="at once"
  else
    k=$(( (N * (trial - 2)) / (TRIALS - 1) + RANDOM % (N / TRIALS) ))
    f="$root/data/d$(printf %02d $((k % 50)))/f$(printf %05d "$k")"
    while kill -0 "$pid" 2>/dev/null; do
      line=""
      read -r line <"$f" 2>/dev/null || true
      [[ "$line" == "$target file $k"* ]] && break
      sleep 0.002
    done
    what="after file $k"
  fi
  kill -KILL "$pid" 2>/dev/null || true
  kill_ms=$(( ($(date +%s%N) - t_start) / 1000000 ))
  wait "$pid" 2>/dev/null || true
  counts=$(check_tree either) || { echo "$counts" >&2; fail "trial $trial: a file is partial after SIGKILL $what"; }
  run_roux converge --policy "$work/$target.yaml" --root "$root"
  [ "$RC" = 2 ] || [ "$RC" = 0 ] || expect_rc 2 "trial $trial: converge after the kill"
  check_tree "$target" >/dev/null || fail "trial $trial: the converge after the kill did not finish the job"
  run_roux converge --policy "$work/$target.yaml" --root "$root"
  expect_rc 0 "trial $trial: a further converge"
  echo "trial $trial: killed $what (${kill_ms} ms) towards $target: $counts"
  [[ "$counts" =~ v1=0\  || "$counts" =~ v2=0\  ]] || mixed=$((mixed + 1))
  target=$([ "$target" = v1 ] && echo v2 || echo v1)
done
# Trials whose kill came before the first write or after the last prove little: require some
# that really interrupted the writing.
[ "$mixed" -ge $((TRIALS / 2)) ] || fail "only $mixed of $TRIALS kills landed mid-write; the kill times miss the write phase"
echo "ok: $mixed of $TRIALS kills landed mid-write"
