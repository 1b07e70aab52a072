#!/usr/bin/env bash
# The host family of the plan/converge differential test (tests/difftest/hostdiff.py) on a fixed set
# of 20 seeds, in one sandbox start (tests/sandbox/run.sh): packages, a service and its notified
# restarts/reloads, users, groups, cron.d and crontab entries, owned files; blank, converged and
# drifted starts. Every seed: plan writes nothing, plan == converge (changes, statuses, exit codes),
# the host ends as the policy says, a second converge makes no change. bench/difftest.sh --host
# runs hundreds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "the sandbox needs root"
rc=0
python3 "$ROUX_SOURCE_DIR/tests/difftest/hostdiff.py" --roux "$ROUX" --seeds 0-19 || rc=$?
[ $rc = 77 ] && skip "sandbox unavailable"
[ $rc = 0 ] || fail "hostdiff: mismatches (rerun one seed with --seeds N -v, or --keep-failures DIR)"
echo "PASS: 20 host seeds, plan == converge"
