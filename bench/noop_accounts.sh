#!/usr/bin/env bash
# Benchmark (not a test): a no-op converge of 20 users (with password hashes), 5 groups and 20
# cron entries (10 in /etc/cron.d, 10 in user crontabs), inside the sandbox (tests/sandbox/run.sh),
# at two sizes (N and N/2 of each), to show that the number of processes spawned is a constant
# (counted with strace -f -e trace=execve) and to time the run (median of 7).
# Usage: ROUX=build/roux bench/noop_accounts.sh     (root; builds/uses the golden sandbox image)
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then
  HERE=$(cd "$(dirname "$0")/.." && pwd)
  : "${ROUX:=$HERE/build/roux}"; export ROUX
  exec "$HERE/tests/sandbox/run.sh" "$0"
fi
command -v strace >/dev/null || { echo "strace missing in the sandbox image"; exit 1; }

# policy DIR USERS GROUPS CRONS: writes a policy of that size into DIR.
policy() {
  local P=$1 users=$2 groups=$3 crons=$4 i
  mkdir -p "$P/cookbooks/bench/recipes"
  printf 'name: bench\nversion: 1.0.0\n' >"$P/cookbooks/bench/metadata.yaml"
  printf 'name: bench\nsources:\n  - cookbooks\nrun_list:\n  - bench\n' >"$P/policy.yaml"
  {
    echo "resources:"
    for i in $(seq 1 "$groups"); do printf '  - group: bgrp%s\n' "$i"; done
    for i in $(seq 1 "$users"); do
      printf '  - user: buser%s\n    groups: [bgrp%s]\n    shell: /bin/sh\n    home: /home/buser%s\n    manage_home: true\n' \
        "$i" $(((i - 1) % groups + 1)) "$i"
      printf "    password: '\$y\$j9T\$benchsalt%s\$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'\n" "$i"
    done
    for i in $(seq 1 "$crons"); do
      if [ $((i % 2)) = 0 ]; then
        printf '  - cron: bjob%s\n    schedule: "%s * * * *"\n    user: buser%s\n    command: /usr/bin/true %s\n    environment:\n      MAILTO: ""\n' \
          "$i" $((i % 60)) $(((i - 1) % users + 1)) "$i"
      else
        printf '  - cron: bjob%s\n    target: crontab\n    schedule: "*/%s * * * *"\n    user: buser%s\n    command: /usr/bin/true %s\n' \
          "$i" $((i % 30 + 1)) $(((i - 1) % users + 1)) "$i"
      fi
    done
  } >"$P/cookbooks/bench/recipes/default.yaml"
}

measure() {
  local P=$1 label=$2 rc
  rc=0; "$ROUX" converge --policy "$P" --no-color >/tmp/first.txt 2>&1 || rc=$?
  [ $rc = 2 ] || { cat /tmp/first.txt; echo "first converge exited $rc"; exit 1; }
  rc=0; "$ROUX" converge --policy "$P" --no-color >/tmp/noop.txt 2>&1 || rc=$?
  [ $rc = 0 ] || { cat /tmp/noop.txt; echo "second converge was not a no-op (exit $rc)"; exit 1; }
  strace -f -qq -e trace=execve -e signal=none -o /tmp/strace.txt "$ROUX" converge --policy "$P" --no-color >/dev/null 2>&1
  local total; total=$(grep -c 'execve(' /tmp/strace.txt)
  echo "$label: execve during a no-op converge (roux + descendants, excluding roux's own exec): $((total - 1))"
  grep 'execve(' /tmp/strace.txt | tail -n +2 | sed -E 's/^([0-9]+) +execve\("([^"]+)".*/    \2/' | sort | uniq -c
  strace -f -c -e trace=execve -o /tmp/strace-c.txt "$ROUX" converge --policy "$P" --no-color >/dev/null 2>&1
  echo "    strace -c: $(grep -E ' execve$' /tmp/strace-c.txt | awk '{print $4 " calls"}')"
  local times=() i t0 t1
  for i in 1 2 3 4 5 6 7; do
    t0=$(date +%s%N); "$ROUX" converge --policy "$P" --no-color >/dev/null 2>&1; t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  echo "    no-op wall ms (7 runs, sorted): $(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')median $(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p)"
}

policy /tmp/bench-small 10 5 10
measure /tmp/bench-small "10 users, 5 groups, 10 cron entries"
policy /tmp/bench-full 20 5 20
measure /tmp/bench-full "20 users, 5 groups, 20 cron entries"
