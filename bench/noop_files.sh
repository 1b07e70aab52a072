#!/usr/bin/env bash
# bench/noop_files.sh N [ROUX]: a policy of N file resources (content + mode) spread over N/100
# folders, converged once into a temporary root; then the no-op re-run is timed (best of 5) with
# wall time, CPU time and peak RSS, and its process spawns counted. Prints figures; not a test.
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
best=""
for i in 1 2 3 4 5; do
  out=$( { /usr/bin/time -f '%e %U %S %M' "$ROUX" converge --policy "$work/policy.yaml" --root "$work/root" >/dev/null; } 2>&1 ) || { echo "no-op run failed: $out"; exit 1; }
  read -r wall user sys rss <<<"$(echo "$out" | tail -1)"
  if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; bu=$user; bs=$sys; brss=$rss; fi
done
spawns=$(strace -f -e trace=execve -c -o "$work/strace.txt" "$ROUX" converge --policy "$work/policy.yaml" --root "$work/root" >/dev/null 2>&1; awk '/execve/ {s += $4} END {print s-1}' "$work/strace.txt")
echo "noop_files N=$N: wall ${best}s cpu $(awk "BEGIN{print $bu+$bs}")s (user ${bu}s sys ${bs}s) peak_rss $((brss / 1024)) MB, processes spawned by roux: $spawns"
