#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/*_fuzz.cc) with clang, ASan and UBSan into BUILD_DIR
# (default build-fuzz beside this repo's CMakeLists.txt). Needs clang++ and libclang-rt-14-dev.
#   fuzz/build.sh [BUILD_DIR]        then: BUILD_DIR/fuzz_semver fuzz/corpus/semver
# Exit 77 when clang or libFuzzer is missing (so a CI smoke can skip).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-fuzz}
cxx=${CXX_FUZZ:-clang++}
command -v "$cxx" >/dev/null || { echo "SKIP: $cxx not found" >&2; exit 77; }
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe/p.cc"
"$cxx" -fsanitize=fuzzer,address,undefined "$probe/p.cc" -o "$probe/p" 2>"$probe/err" ||
  { echo "SKIP: $cxx cannot link libFuzzer (install libclang-rt-14-dev): $(head -3 "$probe/err")" >&2; exit 77; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Paths relative to the checkout in ccache's hash: another worktree's build hits the same entries.
export CCACHE_BASEDIR=$src CCACHE_NOHASHDIR=1
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DROUX_FUZZ=ON -DROUX_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target fuzz
