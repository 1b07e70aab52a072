#!/usr/bin/env bash
# A path the kernel refuses (longer than PATH_MAX: ENAMETOOLONG, or a symlink loop) given to
# --policy, --config or `roux validate`, or built from a recipe, is an error with a message and
# exit 1, never an abort. Before the fix the
# throwing std::filesystem overloads escaped every handler: "terminate called after throwing an
# instance of 'std::filesystem::filesystem_error'" and SIGABRT. (Any exception that still escapes
# a command now ends it with "roux: internal error ..." and exit 1: src/cli/cli.cc.)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
mkdir -p "$work/root"
long=$work/$(printf 'a%.0s' $(seq 5000))
check() {  # WHAT: exit 1, no signal, a message on stderr, no internal error
  (( RC < 128 )) || fail "$1: roux died of signal $((RC - 128)): $(head -c 300 <<<"$ERR")"
  expect_rc 1 "$1"
  grep -q "File name too long" <<<"$ERR" || fail "$1: no clear message: $(head -c 300 <<<"$ERR")"
  ! grep -q "internal error" <<<"$ERR" || fail "$1: reached the last-resort handler: $(head -c 300 <<<"$ERR")"
}
run_roux plan --policy "$long" --root "$work/root"
check "plan --policy LONG"
run_roux converge --policy "$long" --root "$work/root"
check "converge --policy LONG"
run_roux lock --policy "$long"
check "lock --policy LONG"
write_policy "$work" app <<'EOF2'
resources: []
EOF2
run_roux plan --policy "$work" --root "$work/root" --config "$long"
(( RC < 128 )) || fail "--config LONG: roux died of signal $((RC - 128))"
# From a recipe: a template source and a run-list recipe name longer than PATH_MAX, and a symlink
# loop among the source's cookbook folders: compile errors at file:line:col, never an abort.
name=$(printf 'a%.0s' $(seq 5000))
write_policy "$work" app <<EOF2
resources:
  - template: /etc/x
    source: $name
EOF2
ln -s loop "$work/cookbooks/loop"
run_roux plan --policy "$work" --root "$work/root"
(( RC < 128 )) || fail "template source LONG: roux died of signal $((RC - 128))"
expect_rc 1 "template source LONG"
grep -qE "default.yaml:3:13: template\[/etc/x\]: source: (cookbook app has no template|open .*: File name too long)" <<<"$ERR" ||
  fail "template source LONG: $(head -c 300 <<<"$ERR")"
printf 'name: e2e\nsources:\n  - cookbooks\nrun_list:\n  - app::%s\n' "$name" >"$work/policy.yaml"
run_roux plan --policy "$work" --root "$work/root"
(( RC < 128 )) || fail "run-list recipe LONG: roux died of signal $((RC - 128))"
expect_rc 1 "run-list recipe LONG"
grep -qE "cookbook app has no recipe|is not cookbook or cookbook::recipe" <<<"$ERR" || fail "run-list recipe LONG: $(head -c 300 <<<"$ERR")"
run_roux validate "$long"
(( RC < 128 )) || fail "validate LONG: roux died of signal $((RC - 128))"
expect_rc 1 "validate LONG"
echo "PASS: paths the kernel refuses are errors, never aborts"
