#!/usr/bin/env bash
# The random differential test of plan against converge (tests/difftest/difftest.py), file family,
# over a fixed set of 100 seeds: plan changes nothing, its exit code matches its report, it predicts
# exactly the changes and statuses converge then reports, a second converge is a no-op, and the tree
# matches the policy. A failing seed prints its one-line summary; the reproductions are kept in a
# folder DIFFTEST_KEEP names, if set (or rebuild one: `difftest.py --roux ROUX --setup SEED --out DIR`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "no python3"
keep=()
[ -z "${DIFFTEST_KEEP:-}" ] || keep=(--keep-failures "$DIFFTEST_KEEP")
rc=0
python3 "$ROUX_SOURCE_DIR/tests/difftest/difftest.py" --roux "$ROUX" --seeds 1000-1099 --family file -j 2 \
  "${keep[@]}" || rc=$?
if [ "$rc" != 0 ]; then
  [ -n "${DIFFTEST_KEEP:-}" ] || echo "(DIFFTEST_KEEP=DIR keeps each failing seed's policy, root and reports)" >&2
  fail "plan and converge disagree on some seeds (above)"
fi
echo "ok"
