#!/usr/bin/env bash
# A CLI that helps (error text is API): an unknown command or option is named with the nearest
# right word (edit distance) and exits 1; `roux help [COMMAND]` and bare `roux` list what there
# is; -v/-vv/--quiet/--log-level and the client config's log_level: set what is logged (the splay
# is an info message: shown at -v only); -n means --dry-run (history -n N still works, warned);
# validate --trust opens a signed source.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"

work=$(e2e_tmpdir)

run_roux frobnicate
expect_rc 1 "unknown command"
[ "$ERR" = "roux: error: unknown command 'frobnicate'; \`roux help\` lists the commands" ] || fail "frobnicate: $ERR"
run_roux convrege --policy x
expect_rc 1 "misspelt command"
[ "$ERR" = "roux: error: unknown command 'convrege'; did you mean 'converge'?" ] || fail "convrege: $ERR"
run_roux supermarket publsh x
expect_rc 1 "misspelt subcommand"
[ "$ERR" = "roux: error: unknown command 'supermarket publsh'; did you mean 'supermarket publish'?" ] || fail "publsh: $ERR"
run_roux converge --polcy x
expect_rc 1 "misspelt option"
[ "$ERR" = "roux: error: unknown option --polcy for 'converge'; did you mean --policy?" ] || fail "--polcy: $ERR"
run_roux plan --root /tmp --dry-rnu
expect_rc 1 "an option of another command"
[ "$ERR" = "roux: error: unknown option --dry-rnu for 'plan'; \`roux help plan\` lists the options" ] || fail "--dry-rnu: $ERR"
run_roux history --limt 3
expect_rc 1 "misspelt option of history"
[ "$ERR" = "roux: error: unknown option --limt for 'history'; did you mean --limit?" ] || fail "--limt: $ERR"
# An option's value is never taken for a command or an option.
run_roux converge --policy /nonexistent/policy.yaml --root "$work" --state-dir /state --config /dev/null -v -v
expect_rc 1 "valid words, missing policy"
[[ "$ERR" != *"unknown"* ]] || fail "a value was diagnosed: $ERR"

# help
run_roux help
expect_rc 0 "roux help"
for c in converge plan verify validate history report lock supermarket; do
  grep -qE "^  $c( |$)" <<<"$OUT" || fail "roux help lists no $c: $OUT"
done
run_roux
expect_rc 1 "bare roux"
grep -qE "^  converge " <<<"$OUT" || fail "bare roux prints no command list: $OUT"
run_roux help converge
expect_rc 0 "roux help converge"
grep -qE -- "--policy" <<<"$OUT" && grep -qE -- "--color" <<<"$OUT" && grep -qE -- "--ca-bundle" <<<"$OUT" || fail "help converge: $OUT"
run_roux help supermarket publish
expect_rc 0 "roux help supermarket publish"
grep -qE -- "--expires-days" <<<"$OUT" || fail "help supermarket publish: $OUT"
run_roux help convrege
expect_rc 1 "help for a misspelt command"
[ "$ERR" = "roux: error: unknown command 'convrege'; did you mean 'converge'?" ] || fail "help convrege: $ERR"

# Verbosity: the splay message is info (shown at -v, not by default, nor with --quiet).
root="$work/root"
mkdir -p "$root"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc-x
    content: "x\n"
EOF2
run_roux plan --policy "$work" --root "$root" --config /dev/null --splay 1
expect_rc 2 "plan (default level)"
[ -z "$ERR" ] || fail "default level printed: $ERR"
want_splay='roux: splay: sleeping 0s (this host'"'"'s delay in 0..0s)'
run_roux plan --policy "$work" --root "$root" --config /dev/null --splay 1 -v
expect_rc 2 "plan -v"
[ "$ERR" = "$want_splay" ] || fail "-v: $ERR"
run_roux plan --policy "$work" --root "$root" --config /dev/null --splay 1 --log-level info
[ "$ERR" = "$want_splay" ] || fail "--log-level info: $ERR"
run_roux plan --policy "$work" --root "$root" --config /dev/null --splay 1 --quiet
[ -z "$ERR" ] || fail "--quiet: $ERR"
printf 'log_level: info\n' >"$work/client.yaml"
run_roux plan --policy "$work" --root "$root" --config "$work/client.yaml" --splay 1
[ "$ERR" = "$want_splay" ] || fail "log_level: info in the config: $ERR"
run_roux plan --policy "$work" --root "$root" --config "$work/client.yaml" --splay 1 --log-level warn
[ -z "$ERR" ] || fail "the command line wins over the config: $ERR"
run_roux plan --policy "$work" --root "$root" --config /dev/null --log-level loud
expect_rc 1 "bad --log-level"
grep -q "log-level" <<<"$ERR" || fail "bad level not named: $ERR"
printf 'log_level: chatty\n' >"$work/client.yaml"
run_roux plan --policy "$work" --root "$root" --config "$work/client.yaml"
expect_rc 1 "bad log_level in the config"
grep -qF "client.yaml:1:12: client config: log_level: expected debug, info, warn or error, not \"chatty\"" <<<"$ERR" || fail "config log_level: $ERR"
# --quiet: the summary (and failures) only.
run_roux plan --policy "$work" --root "$root" --config /dev/null --quiet
expect_rc 2 "plan --quiet"
[ "$(grep -c . <<<"$OUT")" = 1 ] && grep -q '^plan: 1 to add, 0 to change, 0 to destroy, 0 failed; 0 unchanged' <<<"$OUT" || fail "quiet: $OUT"

# -n is --dry-run; history -n N still works, with a warning.
run_roux converge -n --policy "$work" --root "$root" --config /dev/null
expect_rc 2 "converge -n"
[ ! -e "$root/etc-x" ] || fail "converge -n changed the host"
run_roux converge --policy "$work" --root "$root" --config /dev/null
run_roux history --root "$root" --limit 1
expect_rc 0 "history --limit"
[ "$(grep -c . <<<"$OUT")" = 2 ] || fail "history --limit 1: $OUT"
run_roux history --root "$root" -n 1
expect_rc 0 "history -n"
[ "$ERR" = "roux: warning: history -n N is deprecated (-n means --dry-run); use --limit N" ] || fail "history -n warning: $ERR"

# validate --trust: a policy whose source is a signed supermarket.
run_roux keygen --out "$work/team"
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish"
mkdir -p "$work/sp"
printf 'name: sp\nsources:\n  - file://%s\nrun_list:\n  - base\n' "$work/market" >"$work/sp/policy.yaml"
XDG_CACHE_HOME="$work/cache" run_roux validate "$work/sp"
expect_rc 1 "validate without the key"
XDG_CACHE_HOME="$work/cache" run_roux validate "$work/sp" --trust "$work/team.pub"
expect_rc 0 "validate --trust"
grep -q "^ok: $work/sp/policy.yaml" <<<"$OUT" || fail "validate --trust: $OUT"
echo ok
