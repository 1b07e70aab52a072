#!/usr/bin/env bash
# -vv (debug) says more than -v (issue #14, 3): roux logged no debug message at all, so -vv and
# --log-level debug were the same as -v. Now at debug: the client config, policy, root and state
# folder used, each phase's time, and each resource no block names ("ID: unchanged"), so the log
# accounts for every resource. Not at -v, nor by default; --log-level debug and the client
# config's log_level: debug are -vv; --quiet keeps stderr empty. Texts are API: checked verbatim.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc"
echo same >"$root/etc/same"
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/same
    content: "same\n"
  - file: /etc/new
    content: "new\n"
EOF
common=(--policy "$work" --root "$root")

run_roux plan -vv "${common[@]}" --config /dev/null
expect_rc 2 "plan -vv"
debug=$(grep '^roux: debug: ' <<<"$ERR" || true)
[ "$(head -n 1 <<<"$debug")" = "roux: debug: client config /dev/null; policy $work; root $root; state folder /var/lib/roux" ] ||
  fail "-vv: the first debug line: $ERR"
for phase in facts lock compile converge; do
  grep -qxE "roux: debug: phase $phase: [0-9]+\.[0-9] ms" <<<"$debug" || fail "-vv: no $phase phase: $ERR"
done
grep -qx 'roux: debug: file\[/etc/same\]: unchanged' <<<"$debug" || fail "-vv: the unchanged resource is not named: $ERR"
grep -q 'file\[/etc/new\]: unchanged' <<<"$debug" && fail "-vv: a changed resource named unchanged: $ERR"
# The plan's text on stdout is the same as without -vv.
vv_out=$OUT
run_roux plan "${common[@]}" --config /dev/null
[ "$(grep -v '^plan: ' <<<"$OUT")" = "$(grep -v '^plan: ' <<<"$vv_out")" ] || fail "-vv changed stdout"
[ -z "$ERR" ] || fail "default level: stderr is not empty: $ERR"

run_roux plan -v "${common[@]}" --config /dev/null
grep -q '^roux: debug:' <<<"$ERR" && fail "-v prints debug: $ERR"
run_roux --log-level debug plan "${common[@]}" --config /dev/null
[ "$(grep -c '^roux: debug: ' <<<"$ERR")" = "$(grep -c . <<<"$debug")" ] || fail "--log-level debug is not -vv: $ERR"
printf 'log_level: debug\n' >"$work/client.yaml"
run_roux plan "${common[@]}" --config "$work/client.yaml"
grep -qx 'roux: debug: file\[/etc/same\]: unchanged' <<<"$ERR" || fail "log_level: debug in the client config: $ERR"
run_roux plan --quiet "${common[@]}" --config "$work/client.yaml"
[ -z "$ERR" ] || fail "--quiet over log_level: debug: $ERR"
echo "ok"
