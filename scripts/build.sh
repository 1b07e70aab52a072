#!/usr/bin/env bash
# Configures and builds roux (and its tests) into ./build. Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${ROUX_BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build build -j"$(nproc)"
