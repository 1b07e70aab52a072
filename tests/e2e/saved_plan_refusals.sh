#!/usr/bin/env bash
# The saved plan's other refusals and combinations (saved_plan.sh has apply, drift, policy change,
# edited file, age, --only): the lockfile moved, a plan for another --root, a plan made on
# another host (a private UTS namespace with another hostname; needs root), --tags with --plan;
# `converge --plan PLAN --dry-run` checks the plan against the host and says it still applies,
# changing nothing (it used to print "plan saved to PLAN", as if it had written one); a plan
# with failures is not saved; `converge --plan PLAN` alone applies the plan's own policy file. Each refusal exits 1 and changes nothing. Texts are API: verbatim.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/motd
    content: "hello\n"
EOF
run_roux lock --policy "$work" --root "$root"
expect_rc 0 "lock"
common=(--policy "$work" --root "$root" --config /dev/null)
plan=$work/p.plan
run_roux plan --out "$plan" "${common[@]}"
expect_rc 2 "plan --out"
before=$(tree_checksum "$root" var/lib/roux)

# --dry-run with --plan: the checks of converge --plan, then the plan; nothing written, the
# plan file untouched; the JSON report says checked.
cp "$plan" "$work/p.orig"
run_roux converge --plan "$plan" --dry-run "${common[@]}"
expect_rc 2 "converge --plan --dry-run"
digest=$(json_get "$plan" 'r["digest"]')
[ "$(tail -n 1 <<<"$OUT")" = "saved plan $plan (digest ${digest:0:12}) still applies: converge --plan would make exactly these changes; nothing was changed" ] ||
  fail "converge --plan --dry-run: $OUT"
grep -q "plan saved to" <<<"$OUT" && fail "converge --plan --dry-run claims to have saved a plan: $OUT"
grep -q '^  + file\[/etc/motd\]$' <<<"$OUT" || fail "converge --plan --dry-run does not show the plan: $OUT"
cmp -s "$plan" "$work/p.orig" || fail "converge --plan --dry-run rewrote the plan file"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "converge --plan --dry-run changed the host"
run_roux converge --plan "$plan" -n --format json "${common[@]}"
expect_rc 2 "converge --plan -n --format json"
[ "$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["saved_plan"]["checked"])' <<<"$OUT")" = True ] ||
  fail "the JSON report of a checked plan: $OUT"
# ... and once the host moved, the check refuses as converge --plan would.
echo moved >"$root/etc/motd"
run_roux converge --plan "$plan" --dry-run "${common[@]}"
expect_rc 1 "converge --plan --dry-run after drift"
grep -qx "roux: error: saved plan $plan no longer matches (3 differences); nothing was changed; make a new plan" <<<"$ERR" ||
  fail "checked plan after drift: $ERR"
grep -qx "roux: error: saved plan $plan: file\[/etc/motd\] ensure: no longer needed (absent -> file is in the plan)" <<<"$ERR" ||
  fail "checked plan after drift, the change that moved: $ERR"
rm "$root/etc/motd"
before=$(tree_checksum "$root" var/lib/roux)

# The lockfile moved after the plan: refused, naming both digests.
cp "$work/policy.lock.json" "$work/lock.orig"
python3 - "$work/policy.lock.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["cookbooks"][0]["note"] = "moved"
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
run_roux converge --plan "$plan" "${common[@]}"
expect_rc 1 "converge --plan after the lockfile moved"
grep -qx "roux: error: saved plan $plan: the lockfile changed since the plan ([0-9a-f]\{12\}, the plan's [0-9a-f]\{12\})" <<<"$ERR" ||
  fail "lockfile refusal: $ERR"
grep -qx "roux: error: saved plan $plan no longer matches (1 difference); nothing was changed; make a new plan" <<<"$ERR" ||
  fail "lockfile refusal summary: $ERR"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || { tree_listing "$root" var/lib/roux >&2; fail "a refused plan changed the host"; }
cp "$work/lock.orig" "$work/policy.lock.json"

# A plan made for another --root (the same host key copied there): refused before compiling.
cp -a "$root" "$work/other"
run_roux converge --plan "$plan" --policy "$work" --root "$work/other" --config /dev/null
expect_rc 1 "converge --plan for another root"
[ "$ERR" = "roux: error: saved plan $plan refused: it was made for --root $root, this run is for $work/other; nothing was changed" ] ||
  fail "another root: $ERR"
[ -e "$work/other/etc/motd" ] && fail "a plan for another root changed it"

# plan --out where no plan file can be written: refused before the plan is made (it was shown,
# then refused).
run_roux plan --out "$work/nope/p.plan" "${common[@]}"
expect_rc 1 "plan --out into a missing folder"
[ "$ERR" = "roux: error: --out $work/nope/p.plan: no folder $work/nope to write the plan in" ] || fail "--out missing folder: $ERR"
grep -q 'file\[/etc/motd\]' <<<"$OUT" && fail "a plan that cannot be saved was shown: $OUT"
mkdir "$work/adir"
run_roux plan --out "$work/adir" "${common[@]}"
expect_rc 1 "plan --out a folder"
[ "$ERR" = "roux: error: --out $work/adir: is a folder; name the plan file to write" ] || fail "--out a folder: $ERR"

# --tags with --plan: the plan holds its own selection.
run_roux converge --plan "$plan" --tags app "${common[@]}"
expect_rc 1 "converge --plan --tags"
[ "$ERR" = "roux: error: --only and --tags cannot be given with --plan: the saved plan holds its own selection" ] ||
  fail "--tags with --plan: $ERR"

# A plan with a failure is not saved (it could never be applied as shown); exit as the plan's.
write_cookbook "$work" app <<'EOF'
resources:
  - file: /etc/motd
    content: "hello\n"
  - file: /nowhere/x
    content: "x\n"
EOF
run_roux plan --out "$work/failing.plan" --policy "$work" --root "$root" --config /dev/null
expect_rc 1 "plan --out with a failure (the lockfile pins the old cookbook digest)"
run_roux lock --policy "$work" --root "$root"
run_roux plan --out "$work/failing.plan" --policy "$work" --root "$root" --config /dev/null
expect_rc 6 "plan --out with a failure"
grep -qx "roux: error: plan not saved to $work/failing.plan: 1 resource(s) would fail; fix them and plan again" <<<"$ERR" ||
  fail "failing plan: $ERR"
[ -e "$work/failing.plan" ] && fail "a plan with a failure was saved"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "the refusals changed the host"

# converge --plan PLAN alone (no --policy, no policy: in the client config): the plan's own
# policy file is compiled (and checked against the plan's digest, as always).
write_cookbook "$work" app <<'EOF'
resources:
  - file: /etc/motd
    content: "hello\n"
EOF
cp "$work/lock.orig" "$work/policy.lock.json"
run_roux plan --out "$plan" "${common[@]}"
expect_rc 2 "plan --out again"
run_roux converge --plan "$plan" --root "$root" --config /dev/null
expect_rc 2 "converge --plan without --policy"
[ "$(cat "$root/etc/motd")" = hello ] || fail "converge --plan without --policy did not apply the plan"
grep -qx "applied the saved plan $plan (digest [0-9a-f]\{12\})" <<<"$OUT" || fail "converge --plan without --policy: $OUT"
rm "$root/etc/motd"
before=$(tree_checksum "$root" var/lib/roux)

# A plan made on another host: the same root, key and policy, another hostname (a private UTS
# namespace). Needs root (unshare).
if [ "$(id -u)" != 0 ] || ! unshare --uts true 2>/dev/null; then
  skip "another host: needs root for unshare --uts (the other refusals passed)"
fi
run_roux plan --out "$plan" "${common[@]}"
expect_rc 2 "plan --out again"
made_on=$(json_get "$plan" 'r["host"]')
RC=0
unshare --uts sh -c 'hostname roux-other-host.example && exec "$@"' sh "$ROUX" converge --plan "$plan" "${common[@]}" \
  >"$work/uts.out" 2>"$work/uts.err" || RC=$?
[ "$RC" = 1 ] || fail "a plan from another host: exit $RC: $(cat "$work/uts.err")"
[ "$(cat "$work/uts.err")" = "roux: error: saved plan $plan refused: it was made on host $made_on, this is roux-other-host.example; nothing was changed" ] ||
  fail "another host: $(cat "$work/uts.err")"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a plan from another host changed the host"
echo "ok"
