#!/usr/bin/env bash
# "(drift)" vs "(policy changed)" (issue #14, 1) must hold for every resource, not only for those
# the last run changed. The state folder keeps a compact report (unchanged resources counted, not
# listed) and a targeted run lists its selection only: a resource missing from that list used to
# read as "new in the policy", so a file drifted after a no-op converge was shown "(policy
# changed)". Now: drift when no resource's desired state moved since the last run (the report's
# desired_set), and no cause at all when the policy moved and the resource was not listed (not
# told, rather than told wrong). Texts are API: checked verbatim.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/a.conf
    content: "a\n"
  - file: /etc/b.conf
    content: "b\n"
  - file: /etc/c.conf
    content: "c\n"
EOF
common=(--policy "$work" --root "$root" --config /dev/null)
run_roux converge "${common[@]}"
expect_rc 2 "first converge"
run_roux converge "${common[@]}"
expect_rc 0 "no-op converge (its state copy lists no resource)"

# The host drifts: b.conf edited by hand. The policy did not move: drift.
echo edited >"$root/etc/b.conf"
run_roux plan "${common[@]}"
expect_rc 2 "plan after a drift"
grep -qx '  ~ file\[/etc/b.conf\]  (drift)' <<<"$OUT" || fail "a drift after a no-op converge is not told as drift: $OUT"
run_roux plan --format json "${common[@]}"
[ "$(python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print([x.get("cause") for x in r["resources"] if x["id"]=="file[/etc/b.conf]"][0])' <<<"$OUT")" = drift ] ||
  fail "JSON cause of the drift: $OUT"

# A targeted converge of a.conf (the only one listed then), then c.conf drifts: still drift.
run_roux converge --only 'file[/etc/a.conf]' "${common[@]}"
expect_rc 0 "targeted converge"
echo edited >"$root/etc/c.conf"
run_roux plan "${common[@]}"
expect_rc 2 "plan after a targeted run"
grep -qx '  ~ file\[/etc/c.conf\]  (drift)' <<<"$OUT" || fail "a drift after a targeted run is not told as drift: $OUT"

# The policy moves (a.conf's content), the host drifts (b.conf, c.conf): a.conf, listed by no
# run, is not claimed either way; b.conf and c.conf neither (not listed, and the policy moved):
# nothing is said rather than a wrong "(policy changed)".
write_cookbook "$work" app <<'EOF'
resources:
  - file: /etc/a.conf
    content: "A\n"
  - file: /etc/b.conf
    content: "b\n"
  - file: /etc/c.conf
    content: "c\n"
EOF
run_roux plan "${common[@]}"
expect_rc 2 "plan after a policy change"
grep -qx '  ~ file\[/etc/b.conf\]' <<<"$OUT" || fail "b.conf: $OUT"
grep -qx '  ~ file\[/etc/c.conf\]' <<<"$OUT" || fail "c.conf: $OUT"
grep -q '(policy changed)' <<<"$OUT" && fail "an unlisted resource told as a policy change: $OUT"
# After a converge that changes all three, each is listed: a new policy change is told exactly.
run_roux converge "${common[@]}"
expect_rc 2 "converge of the new policy"
write_cookbook "$work" app <<'EOF'
resources:
  - file: /etc/a.conf
    content: "A2\n"
  - file: /etc/b.conf
    content: "b\n"
  - file: /etc/c.conf
    content: "c\n"
EOF
echo edited >"$root/etc/b.conf"
run_roux plan "${common[@]}"
expect_rc 2 "plan: one policy change, one drift"
grep -qx '  ~ file\[/etc/a.conf\]  (policy changed)' <<<"$OUT" || fail "a.conf policy change: $OUT"
grep -qx '  ~ file\[/etc/b.conf\]  (drift)' <<<"$OUT" || fail "b.conf drift: $OUT"
echo "ok"
