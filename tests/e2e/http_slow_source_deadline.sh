# A stalled or trickling server cannot hold a run: every download has a whole-transfer deadline
# and a low-speed limit (client.yaml http:), and a transfer stopped by them is not retried. Two
# cookbooks served at 1 byte/s used to take ~16 minutes (120 s x 4 attempts each); here, with
# limits of a few seconds, the run fails in seconds with a message naming the limits, and nothing
# is applied. A trickled index is cut off the same way.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
make_cookbook "$work/src" base 1.0.0
make_cookbook "$work/src" web 1.0.0 base ">= 1.0"
for cb in base web; do
  run_roux supermarket publish "$work/src/$cb" --to "$work/market" --key "$work/team.key"
  expect_rc 0 "publish $cb"
done

SM_SERVER=trickle.py start_server "$work/market" SLOW '\.tar\.gz$'
mkdir -p "$work/policy" "$work/root/etc"
printf 'name: slow\nsources:\n  - http://127.0.0.1:%s\nrun_list:\n  - web\n' "$SLOW_PORT" >"$work/policy/policy.yaml"

timed_converge() {
  local start end
  start=$(date +%s)
  run_roux converge --policy "$work/policy" --root "$work/root" --trust "$work/team.pub" --config "$work/client.yaml"
  end=$(date +%s)
  ELAPSED=$((end - start))
}

# The low-speed limit: fewer than 1000 bytes/s for 2 s aborts the tarball download.
printf 'http:\n  timeout: 60\n  low_speed_limit: 1000\n  low_speed_time: 2\n' >"$work/client.yaml"
timed_converge
expect_rc 1 "converge from a trickling supermarket (low-speed limit)"
[ "$ELAPSED" -lt 20 ] || fail "the low-speed limit did not stop the transfer soon: ${ELAPSED}s"
[[ "$ERR" == *"transfer limits"*"client.yaml http:"* ]] || fail "the error does not name the transfer limits: $ERR"
[ ! -e "$work/root/etc/web.conf" ] && [ ! -e "$work/root/etc/base.conf" ] || fail "something was applied"
[ -z "$(grep 'tar.gz$' "$SLOW_LOG" | sort | uniq -d)" ] || fail "a stopped transfer was retried: $(cat "$SLOW_LOG")"

# The whole-transfer deadline alone (low-speed check off): 3 s, then the run stops.
: >"$SLOW_LOG"
printf 'http:\n  timeout: 3\n  low_speed_limit: 0\n' >"$work/client.yaml"
timed_converge
expect_rc 1 "converge from a trickling supermarket (deadline)"
[ "$ELAPSED" -lt 20 ] || fail "the deadline did not stop the transfer: ${ELAPSED}s"
[[ "$ERR" == *"transfer limits: connect 10 s, whole transfer 3 s"* ]] || fail "the error does not name the deadline: $ERR"
[ -z "$(grep 'tar.gz$' "$SLOW_LOG" | sort | uniq -d)" ] || fail "a stopped transfer was retried: $(cat "$SLOW_LOG")"

# A trickled index is cut off too.
SM_SERVER=trickle.py start_server "$work/market" SLOWIDX '^universe$'
printf 'name: slow\nsources:\n  - http://127.0.0.1:%s\nrun_list:\n  - web\n' "$SLOWIDX_PORT" >"$work/policy/policy.yaml"
timed_converge
expect_rc 1 "converge from a supermarket trickling its index"
[ "$ELAPSED" -lt 20 ] || fail "the deadline did not stop the index transfer: ${ELAPSED}s"
[[ "$ERR" == *"universe"*"transfer limits"* ]] || fail "the error does not name the index and the limits: $ERR"

# Bad values are refused at the config's line.
printf 'http:\n  timeout: soon\n' >"$work/client.yaml"
timed_converge
expect_rc 1 "a non-numeric timeout"
[[ "$ERR" == *"client.yaml:2:"*"timeout: expected a whole number of seconds"* ]] || fail "unclear config error: $ERR"
echo "ok"
