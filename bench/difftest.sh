#!/usr/bin/env bash
# bench/difftest.sh N [ROUX] [FIRST]: runs N seeds (default 1000) of the plan-vs-converge differential
# test (tests/difftest/difftest.py, file family) from seed FIRST (default 0) with -j2, and prints its
# figures: seeds per second, the median roux run, mismatches by check and by category, failing seeds by
# starting state. Failing seeds' reproductions are kept in ./difftest-failures unless DIFFTEST_KEEP
# names another folder. Not a test: exits 0 whatever it finds.
set -euo pipefail
N=${1:-1000}
ROUX=${2:-$(dirname "$0")/../build/roux}
FIRST=${3:-0}
keep=${DIFFTEST_KEEP:-difftest-failures}
out=$(mktemp /tmp/roux-difftest.XXXXXX)
trap 'rm -f "$out"' EXIT
start=$(date +%s.%N)
python3 "$(dirname "$0")/../tests/difftest/difftest.py" --roux "$ROUX" --seeds "$FIRST-$((FIRST + N - 1))" -j 2 \
  --keep-failures "$keep" >"$out" || true
end=$(date +%s.%N)
mkdir -p "$keep"
cp "$out" "$keep/difftest.out"   # every failing seed's line
grep '^difftest:' "$out"
printf 'difftest bench: %d seeds, %.1f s wall; reproductions in %s\n' "$N" "$(python3 -c "print($end - $start)")" "$keep"
