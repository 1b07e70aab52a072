#!/usr/bin/env bash
# bench/noop_files.sh N [ROUX]: a policy of N file resources (content + mode) spread over N/100
# folders, converged once into a temporary root; then the no-op re-run is timed (bench/measure.py:
# best and median of 7, CPU, peak RSS), again with the parse cache emptied before each run, and
# its process spawns counted. Prints figures; not a test.
set -euo pipefail
N=${1:-1000}
ROUX=${2:-$(dirname "$0")/../build/roux}
work=$(mktemp -d /tmp/roux-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cookbooks/bench/recipes" "$work/root"
printf 'name: bench\nversion: 1.0.0\n' > "$work/cookbooks/bench/metadata.yaml"
python3 - "$N" > "$work/cookbooks/bench/recipes/default.yaml" <<'PY'
import sys
n = int(sys.argv[1])
dirs = max(1, n // 100)
print("resources:")
for d in range(dirs):
    print(f"  - directory: /srv/bench/d{d}\n    mode: \"0755\"")
for i in range(n):
    print(f"  - file: /srv/bench/d{i % dirs}/f{i}.conf\n    content: \"setting_{i} = value {i}\\n\"\n    mode: \"0644\"")
PY
printf 'name: bench\nsources: [cookbooks]\nrun_list: [bench]\n' > "$work/policy.yaml"
"$ROUX" converge --policy "$work/policy.yaml" --root "$work/root" >/dev/null || [ $? -eq 2 ]
pol=(converge --policy "$work/policy.yaml" --root "$work/root")
export XDG_CACHE_HOME=$work/xdg  # with --root, parsed recipes are cached here (not in the tree)
M=$(dirname "$0")/measure.py
# The daily case: nothing changed since the last run (the parsed recipes are in the state cache).
noop=$(/usr/bin/python3 "$M" --runs 7 -- "$ROUX" "${pol[@]}")
# The first no-op after a recipe edit: the parse cache is empty, so the YAML is scanned again.
cold=$(/usr/bin/python3 "$M" --runs 3 --before "rm -rf '$work/xdg/roux/parsed'" -- "$ROUX" "${pol[@]}")
spawns=$(strace -f -e trace=execve -c -o "$work/strace.txt" "$ROUX" converge --policy "$work/policy.yaml" --root "$work/root" >/dev/null 2>&1; awk '/execve/ {s += $4} END {print s-1}' "$work/strace.txt")
echo "noop_files N=$N: no-op converge: $noop; processes spawned by roux: $spawns"
echo "noop_files N=$N: no-op with an empty parse cache (first run after a recipe edit): $cold"
