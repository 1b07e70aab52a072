#!/usr/bin/env bash
# bench/difftest_host.sh N [ROUX] [FIRST]: runs N seeds (default 300) of the host family of the
# plan-vs-converge differential test (tests/difftest/hostdiff.py) from seed FIRST (default 1000), all
# in one sandbox start (needs root and namespaces), and prints its figures: mismatches by check,
# seconds per seed, wall time. Failing seeds' policies and reports are kept in
# ./difftest-host-failures unless DIFFTEST_KEEP names another folder. Not a test: exits 0.
set -euo pipefail
N=${1:-300}
ROUX=${2:-$(dirname "$0")/../build/roux}
FIRST=${3:-1000}
keep=${DIFFTEST_KEEP:-difftest-host-failures}
out=$(mktemp /tmp/roux-hostdiff.XXXXXX)
trap 'rm -f "$out"' EXIT
start=$(date +%s.%N)
python3 "$(dirname "$0")/../tests/difftest/hostdiff.py" --roux "$ROUX" --seeds "$FIRST-$((FIRST + N - 1))" \
  --keep-failures "$keep" >"$out" || true
end=$(date +%s.%N)
mkdir -p "$keep"
cp "$out" "$keep/hostdiff.out"
grep '^seed' "$out" || true
grep '^hostdiff:' "$out" || { echo "hostdiff did not finish:"; tail -5 "$out"; }
printf 'difftest host bench: %d seeds, %.1f s wall; reproductions in %s\n' "$N" "$(python3 -c "print($end - $start)")" "$keep"
