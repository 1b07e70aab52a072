#!/usr/bin/env bash
# bench/speed.sh [ROUX]: the file part of the peer benchmark (1 + 20 folders, N files of 216 bytes,
# mode 0640; bench/speed_workload.py) converged into a fresh --root under a temporary folder on
# the same filesystem. Prints, per N: the first converge (wall, CPU, peak RSS, fsync/fdatasync/
# syncfs calls counted by strace), the no-op (wall, CPU, peak RSS, per file), the floor program
# (bench/floor_pb.c, built here with cc -O2: only the stat/open/read calls a check needs) on the
# same tree and the ratio no-op/floor, the per-resource cost, and the no-op's instructions
# (valgrind callgrind; the machine is shared, so wall times are noisy). Not a test.
# Environment: ROUNDS (3), FIRST_NS ("1000 5000"), NOOP_NS ("1000 5000 10000 50000"),
# CALLGRIND_MAX (5000: instructions are counted up to this N), BENCH_TMP (/tmp), BASELINE (another
# roux binary, e.g. the previous build: measured round by round with ROUX, and the ratios printed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROUX=$(realpath "${1:-$here/../build/roux}")
work=$(mktemp -d "${BENCH_TMP:-/tmp}/roux-speed.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/floor_pb" "$here/floor_pb.c"
/usr/bin/python3 "$here/speed.py" --roux "$ROUX" --floor "$work/floor_pb" --work "$work" \
  --rounds "${ROUNDS:-3}" --first "${FIRST_NS-1000 5000}" --noop "${NOOP_NS-1000 5000 10000 50000}" \
  --callgrind-max "${CALLGRIND_MAX:-5000}" ${BASELINE:+--baseline "$(realpath "$BASELINE")"}
