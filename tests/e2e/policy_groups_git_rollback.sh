#!/usr/bin/env bash
# A git policy repository rewound to an older, genuinely signed group pointer must not roll a host
# back: every publish and promotion bumps the pointer's signed serial, a host records the highest
# serial it verified per repository, policy and group (in its trusted records, outside --root), and
# refuses an older one with exit 1, as a supermarket index rollback (supermarket_rollback_refused.sh),
# and one with the same serial but other content; a forward promotion is accepted. The repository is created by the test; cookbooks come from a
# supermarket on 127.0.0.1.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
source "$(dirname "$0")/supermarket/groups_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"
command -v git >/dev/null || skip "git is needed to create and rewind the policy repository"

serial_of() {  # serial_of GROUP: the serial of GROUP's pointer at main
  git -C "$work/policies.git" show "main:policies/web/groups/$1.json" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("serial", "none"))'
}

work=$(e2e_tmpdir)
groups_market "$work"
git init -q --bare --initial-branch=main "$work/policies.git"
REPO="git+file://$work/policies.git"
run_roux supermarket publish-policy "$work/policy-prod" --to "$REPO" --key "$work/team.key" --group production
expect_rc 0 "publish the production lock into git"
[ "$(serial_of production)" = 1 ] || fail "a new group's pointer has serial 1, got $(serial_of production)"
old=$(git -C "$work/policies.git" rev-parse main)
run_roux supermarket publish-policy "$work/policy" --to "$REPO" --key "$work/team.key" --group staging
expect_rc 0 "publish the staging lock into git"
[ "$(serial_of staging)" = 1 ] || fail "staging serial: $(serial_of staging)"

host=$(e2e_tmpdir)
run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$host"
expect_rc 2 "bootstrap production from git"
[ ! -e "$host/etc/site.version" ] || fail "production runs site 1.0.0 first"
cfg=$(host_config "$host" "$work")

# A forward promotion: serial 2, accepted by the host.
run_roux promote web --from staging --to production --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" --root "$(e2e_tmpdir)"
expect_rc 0 "promote staging -> production"
[ "$(serial_of production)" = 2 ] || fail "a promotion bumps the target's serial to 2, got $(serial_of production)"
[ "$(serial_of staging)" = 1 ] || fail "the source group's serial is unchanged"
new=$(git -C "$work/policies.git" rev-parse main)
run_roux converge --root "$host" --config "$cfg" --format json
expect_rc 2 "production converges to the promoted lock"
[ "$(cat "$host/etc/site.version")" = 1.1.0 ] || fail "the promoted lock was not applied"

# The repository is rewound (a force-push of an old main): its production pointer is genuine,
# signed, and older. Refused by converge and plan; nothing changes on the host.
git -C "$work/policies.git" update-ref refs/heads/main "$old"
before=$(tree_checksum "$host" var/lib/roux)
run_roux converge --root "$host" --config "$cfg" --format json
expect_rc 1 "converge from a rewound repository"
[[ "$ERR" == *"policies/web/groups/production.json: pointer rollback refused: the signed pointer has serial 1, older than serial 2 verified from this repository before"* ]] ||
  fail "the rewind was not refused clearly: $ERR"
[ "$(cat "$host/etc/site.version")" = 1.1.0 ] || fail "the host was rolled back"
[ "$(tree_checksum "$host" var/lib/roux)" = "$before" ] || fail "a refused pointer changed the host's state"
run_roux plan --root "$host" --config "$cfg"
expect_rc 1 "plan from a rewound repository"
[[ "$ERR" == *"pointer rollback refused"* ]] || fail "plan did not refuse the rewind: $ERR"

# A pointer without a serial (as written before serials), genuinely signed: refused once a
# serial was seen; accepted by a host that never saw one (migration).
git clone -q -b main "$work/policies.git" "$work/edit"
(cd "$work/edit" &&
  python3 - policies/web/groups/production.json <<'PY'
import json, sys
p = sys.argv[1]
j = json.load(open(p))
del j["serial"]
open(p, "w").write(json.dumps(j, indent=2) + "\n")
PY
)
run_roux supermarket sign "$work/edit/policies/web/groups/production.json" --key "$work/team.key"
expect_rc 0 "re-sign the serial-less pointer"
(cd "$work/edit" && git -c user.name=m -c user.email=m@x commit -qam "no serial" && git push -qf origin HEAD:main) ||
  fail "push the serial-less pointer"
run_roux converge --root "$host" --config "$cfg" --format json
expect_rc 1 "converge from a serial-less pointer after serial 2"
[[ "$ERR" == *"pointer rollback refused: the signed pointer has no serial, but serial 2 was verified"* ]] ||
  fail "the serial-less pointer was not refused clearly: $ERR"
fresh=$(e2e_tmpdir)
XDG_CACHE_HOME="$fresh/xdg" run_roux bootstrap --source "$REPO" --policy web --group production --trust "$work/team.pub" --root "$fresh"
expect_rc 2 "a fresh host (its own trusted records) accepts a serial-less pointer"

# The repository restored and moved forward: accepted again (serial 3 from the restored pointer).
git -C "$work/policies.git" update-ref refs/heads/main "$new"
run_roux converge --root "$host" --config "$cfg" --format json
expect_rc 0 "the restored repository: accepted, nothing to change"
run_roux promote web --from production --to staging --source "$REPO" --key "$work/team.key" --trust "$work/team.pub" --root "$(e2e_tmpdir)"
expect_rc 0 "promote production -> staging (same lock: nothing to do)"
[ "$(serial_of staging)" = 1 ] || fail "a promotion that moves nothing does not bump the serial"

# The same serial with other content: the repository rewound to serial 1 of production and another
# lock published on top gets serial 2 again, genuinely signed, but not the serial-2 pointer this
# host verified. Refused like a rollback, naming both content digests; nothing changes on the host.
seen_content=$(git -C "$work/policies.git" show main:policies/web/groups/production.json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["content_sha256"])')
git -C "$work/policies.git" update-ref refs/heads/main "$old"
cp -r "$work/policy-prod" "$work/policy-fork"
printf '# forked\n' >>"$work/policy-fork/policy.yaml"
run_roux supermarket publish-policy "$work/policy-fork" --to "$REPO" --key "$work/team.key" --group production
expect_rc 0 "publish another lock on the rewound repository"
[ "$(serial_of production)" = 2 ] || fail "the forked pointer has serial 2, got $(serial_of production)"
fork_content=$(git -C "$work/policies.git" show main:policies/web/groups/production.json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["content_sha256"])')
[ "$fork_content" != "$seen_content" ] || fail "the forked pointer names other content"
before=$(tree_checksum "$host" var/lib/roux)
run_roux converge --root "$host" --config "$cfg" --format json
expect_rc 1 "converge from a pointer with the same serial and other content"
[[ "$ERR" == *"policies/web/groups/production.json: pointer refused: the signed pointer has serial 2 with content sha256:$fork_content, but serial 2 with content sha256:$seen_content verified from this repository before"* ]] ||
  fail "the same-serial pointer was not refused clearly: $ERR"
[ "$(cat "$host/etc/site.version")" = 1.1.0 ] || fail "the host was moved to the forked lock"
[ "$(tree_checksum "$host" var/lib/roux)" = "$before" ] || fail "a refused pointer changed the host's state"
echo "PASS: git policy group pointers carry a serial; a rewound repository is refused, a forward promotion accepted, the same serial with other content refused"
