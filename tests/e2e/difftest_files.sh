#!/usr/bin/env bash
# The random differential test of plan against converge (tests/difftest/difftest.py), file family,
# over a fixed set of 100 seeds: plan changes nothing, its exit code matches its report, it predicts
# exactly the changes and statuses converge then reports, a second converge is a no-op, and the tree
# matches the policy. A failing seed prints its one-line summary; the reproductions are kept in a
# folder named on stderr (rebuild one with `difftest.py --roux ROUX --setup SEED --out DIR`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "no python3"
work=$(e2e_tmpdir)
keep=${DIFFTEST_KEEP:-$work/failures}
rc=0
python3 "$ROUX_SOURCE_DIR/tests/difftest/difftest.py" --roux "$ROUX" --seeds 1000-1099 --family file -j 2 \
  --keep-failures "$keep" || rc=$?
if [ "$rc" != 0 ]; then
  [ -n "${DIFFTEST_KEEP:-}" ] || echo "(set DIFFTEST_KEEP=DIR to keep the failing seeds' policies and roots)" >&2
  fail "plan and converge disagree on some seeds (above)"
fi
echo "ok"
