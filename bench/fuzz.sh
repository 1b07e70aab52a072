#!/usr/bin/env bash
# bench/fuzz.sh MINUTES [TARGET...]: fuzzes each libFuzzer target (default: all of fuzz/) for
# MINUTES of wall time on one core, one after another, building them first (fuzz/build.sh).
# New inputs go to BUILD/corpus/NAME (the seeds in fuzz/corpus/NAME are only read); crashes are
# saved as BUILD/findings/NAME/crash-* and listed at the end. Prints the CPU-minutes spent.
# Not a test (tests/e2e/fuzz_smoke.sh is the short CI run).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:?usage: bench/fuzz.sh MINUTES [TARGET...]}
shift
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
"$src/fuzz/build.sh" "$build" >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(cd "$src/fuzz" && ls *_fuzz.cc | sed 's/_fuzz\.cc$//'))
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
total_cpu=0
found=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  findings="$build/findings/$t"
  mkdir -p "$corpus" "$findings"
  log="$build/findings/$t.log"
  t0=$(date +%s)
  rc=0
  scratch=$(mktemp -d)  # the unpack target's output folders
  ( cd "$findings" && TMPDIR="$scratch" "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$corpus" "$src/fuzz/corpus/$t" ) >"$log" 2>&1 || rc=$?
  t1=$(date +%s)
  rm -rf "$scratch"
  total_cpu=$((total_cpu + t1 - t0))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  printf '%-20s %4ds  %10s execs  %-10s %s\n' "$t" $((t1 - t0)) "$execs" "$cov" "$([ $rc = 0 ] && echo ok || echo "FINDING (exit $rc)")"
  for f in "$findings"/crash-* "$findings"/leak-* "$findings"/timeout-* "$findings"/oom-*; do
    [ -e "$f" ] && found+=("$f")
  done
done
printf 'fuzzed %d.%02d CPU-minutes (one core per target)\n' $((total_cpu / 60)) $((total_cpu % 60 * 100 / 60))
if [ ${#found[@]} -gt 0 ]; then
  printf 'findings (reproduce: BUILD/fuzz_NAME FILE):\n'
  printf '  %s\n' "${found[@]}"
  exit 1
fi
