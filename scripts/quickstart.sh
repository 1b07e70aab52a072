#!/usr/bin/env bash
# The main job on the bundled example: install build dependencies, build, then plan and converge
# examples/quickstart into a throwaway root folder and print the change reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
root=$(mktemp -d /tmp/roux-quickstart.XXXXXX)
echo "== roux plan --policy examples/quickstart --root $root"
rc=0; ./build/roux plan --policy examples/quickstart --root "$root" || rc=$?
echo "(exit $rc: 2 = changes pending)"
echo "== roux converge --policy examples/quickstart --root $root"
rc=0; ./build/roux converge --policy examples/quickstart --root "$root" || rc=$?
echo "(exit $rc: 2 = changes made)"
echo "== roux converge again: nothing to do"
rc=0; ./build/roux converge --policy examples/quickstart --root "$root" || rc=$?
echo "(exit $rc: 0 = nothing to change)"
echo "converged tree: $root (JSON report: $root/var/lib/roux/last_run.json)"
