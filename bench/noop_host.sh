#!/usr/bin/env bash
# Benchmark (not a test): a no-op converge of 30 installed packages and 5 SysV services
# (rouxd, cron, monit, prometheus-node-exporter, collectd), inside the sandbox
# (tests/sandbox/run.sh). Prints how many processes the run spawns (execve, counted with
# strace -f: by roux itself and in total with descendants) and its wall time (median of 7).
# Usage: ROUX=build/roux bench/noop_host.sh     (root; builds/uses the golden sandbox image)
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then
  HERE=$(cd "$(dirname "$0")/.." && pwd)
  : "${ROUX:=$HERE/build/roux}"; export ROUX
  exec "$HERE/tests/sandbox/run.sh" "$0"
fi
command -v strace >/dev/null || { echo "strace missing in the sandbox image"; exit 1; }
P=/tmp/bench; mkdir -p $P/cookbooks/bench/recipes
printf 'name: bench\nversion: 1.0.0\ndescription: bench\n' > $P/cookbooks/bench/metadata.yaml
printf 'name: bench\nsources:\n  - cookbooks\nrun_list:\n  - bench\n' > $P/policy.yaml
services="rouxd cron monit prometheus-node-exporter collectd"
# 30 packages: the 5 daemons plus 25 already-installed ones of the base image.
pkgs="$services $(dpkg-query -W -f='${Package}\n' | grep -vxE 'rouxd|cron|monit|prometheus-node-exporter|collectd' | head -25 | tr '\n' ' ')"
{
  echo "resources:"
  for p in $pkgs; do echo "  - package: $p"; done
  for s in $services; do printf '  - service: %s\n    running: true\n    enabled: true\n' "$s"; done
} > $P/cookbooks/bench/recipes/default.yaml
echo "packages: $(echo $pkgs | wc -w), services: $(echo $services | wc -w)"
"$ROUX" converge --policy $P --no-color > /tmp/first.txt 2>&1 || { rc=$?; [ $rc = 2 ] || { cat /tmp/first.txt; exit 1; }; }
rc=0; "$ROUX" converge --policy $P --no-color > /tmp/noop.txt 2>&1 || rc=$?
[ $rc = 0 ] || { cat /tmp/noop.txt; echo "second converge was not a no-op (exit $rc)"; exit 1; }
strace -f -qq -e trace=execve -e signal=none -o /tmp/strace.txt "$ROUX" converge --policy $P --no-color >/dev/null 2>&1
total=$(grep -c 'execve(' /tmp/strace.txt)
roux_pid=$(head -1 /tmp/strace.txt | awk '{print $1}')
echo "execve total (roux + every descendant): $((total - 1)) (excluding roux's own exec)"
echo "every execve of the run (pid program argv):"
awk -v p="$roux_pid" '$1!=p' /tmp/strace.txt | grep 'execve(' | sed -E 's/^([0-9]+) +execve\("([^"]+)", \[([^]]*)\].*/\1 \2 \3/' | cut -c1-140
times=()
for i in 1 2 3 4 5 6 7; do
  t0=$(date +%s%N); "$ROUX" converge --policy $P --no-color >/dev/null 2>&1; t1=$(date +%s%N)
  times+=($(( (t1 - t0) / 1000000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
echo "no-op converge wall ms (7 runs, sorted): $sorted"
echo "median: $(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p) ms"
# Context on a loaded machine: what the init scripts' own status checks and a bare roux start cost.
t0=$(date +%s%N); for s in $services; do /etc/init.d/$s status >/dev/null 2>&1; done; t1=$(date +%s%N)
echo "for comparison: the 5 init scripts' status alone: $(( (t1 - t0) / 1000000 )) ms"
t0=$(date +%s%N); "$ROUX" --version >/dev/null 2>&1; t1=$(date +%s%N)
echo "for comparison: roux --version: $(( (t1 - t0) / 1000000 )) ms; load: $(cut -d' ' -f1-3 /proc/loadavg)"
