#!/usr/bin/env bash
# bench/facts.sh [ROUX]: how long fact gathering takes. Prints the in-process figure (mean of
# facts::gather() over many calls, measured by the unit test) when roux_tests is beside roux,
# and the wall time of a whole `roux facts --format json` process (best of 20), and checks that
# it spawns no process. Not a test.
set -euo pipefail
ROUX=${1:-$(dirname "$0")/../build/roux}
TESTS=$(dirname "$ROUX")/roux_tests
if [ -x "$TESTS" ]; then
  "$TESTS" -tc="facts: gathering takes well under 10 ms" -s 2>&1 | grep -o 'facts::gather() mean: .*' || true
fi
best=""
for i in $(seq 20); do
  t0=$(date +%s%N)
  "$ROUX" facts --format json >/dev/null
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000 ))
  if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
done
printf 'roux facts (whole process, best of 20): %d.%03d ms\n' $((best / 1000)) $((best % 1000))
if command -v strace >/dev/null; then
  t=$(mktemp); strace -f -e trace=execve -o "$t" "$ROUX" facts >/dev/null 2>&1 || true; n=$(grep -c "execve(" "$t" || true); rm -f "$t"
  echo "execve calls: $n (1 = roux itself; no commands spawned)"
fi
