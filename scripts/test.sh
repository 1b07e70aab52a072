#!/usr/bin/env bash
# Every test: install build and test dependencies, build, run unit and end-to-end tests.
# Tests that need root or namespaces skip (with the reason) where those are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-tests
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
