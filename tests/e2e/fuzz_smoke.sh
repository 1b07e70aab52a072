#!/usr/bin/env bash
# Fuzz smoke: builds the libFuzzer targets (fuzz/build.sh: clang, ASan, UBSan) and runs each for a
# few seconds over its seed corpus (fuzz/corpus/NAME) and what it finds. A crash, a leak, a
# sanitizer report or a timeout fails the test. SKIP (77) when clang or libFuzzer is missing.
# The long runs are bench/fuzz.sh MINUTES. FUZZ_SECONDS (default 8) per target.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

build=${FUZZ_BUILD_DIR:-$ROUX_SOURCE_DIR/build-fuzz}
rc=0
buildlog="$(e2e_tmpdir)/build.log"
"$ROUX_SOURCE_DIR/fuzz/build.sh" "$build" >"$buildlog" 2>&1 || rc=$?
[ $rc = 77 ] && skip "clang with libFuzzer is not installed (fuzz/build.sh)"
# The log goes with the temp folder: its end is shown, so a failed build can be told apart.
[ $rc = 0 ] || { tail -40 "$buildlog" >&2; fail "fuzz/build.sh failed (exit $rc)"; }
work=$(e2e_tmpdir)
failed=()
for src in "$ROUX_SOURCE_DIR"/fuzz/*_fuzz.cc; do
  t=$(basename "$src" _fuzz.cc)
  mkdir -p "$work/$t/corpus" "$work/$t/out"
  rc=0
  ( cd "$work/$t/out" && TMPDIR="$work/$t/out" "$build/fuzz_$t" -max_total_time="${FUZZ_SECONDS:-8}" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 "$work/$t/corpus" "$ROUX_SOURCE_DIR/fuzz/corpus/$t" ) >"$work/$t.log" 2>&1 || rc=$?
  if [ $rc != 0 ]; then
    failed+=("$t")
    echo "--- $t (exit $rc):" >&2
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$work/$t.log" | head -20 >&2 || tail -20 "$work/$t.log" >&2
  else
    echo "ok: $t $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t.log" 2>/dev/null | grep -o '[0-9]*$' || true) execs"
  fi
done
[ ${#failed[@]} = 0 ] || fail "fuzz targets with findings: ${failed[*]}"
echo "PASS: every fuzz target ran clean"
