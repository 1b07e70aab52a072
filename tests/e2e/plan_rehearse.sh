#!/usr/bin/env bash
# roux plan --rehearse: the real converge runs in a throwaway copy-on-write overlay (private mount,
# pid, net namespaces) and its changes are compared with the plan's.
#  1. A --root tree with a folder, a file, a user (useradd really runs, in the overlay) and an
#     exec: the rehearsal agrees with the plan (text and JSON), the tree is untouched (checksum),
#     and nothing the converge did reached this machine (the exec's marker is absent).
#  2. An exec that writes a file a later resource manages: plan cannot know the command's effect
#     (it shows a create, marked predicted); the rehearsal sees the real content and flags the
#     difference; still nothing written.
# Needs root and namespaces (skips otherwise).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "plan --rehearse needs root"
unshare --mount --pid --net --fork true 2>/dev/null || skip "no mount/pid/net namespaces here"
command -v useradd >/dev/null || skip "no useradd (package passwd)"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
cp -a /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/login.defs /etc/default /etc/skel "$root/etc/"
marker="$work/rehearsal-marker"

write_policy "$work" app <<EOF
resources:
  - directory: /srv/app
  - file: /srv/app/app.conf
    content: "port = 8080\n"
    owner: rehearse
  - user: rehearse
    uid: 4950
  - exec: touch-marker
    command: "touch $marker"
    creates: /srv/app/never
EOF
before=$(tree_checksum "$root")
run_roux plan --rehearse --policy "$work" --root "$root"
expect_rc 2 "plan --rehearse"
grep -q '^rehearsal: the real converge, run in a throwaway overlay, made exactly these' <<<"$OUT" ||
  fail "the rehearsal does not agree: $OUT"
[ "$(tree_checksum "$root")" = "$before" ] || fail "plan --rehearse changed the tree"
[ ! -e "$marker" ] || fail "the rehearsed exec reached this machine ($marker exists)"
run_roux plan --rehearse --policy "$work" --root "$root" --format json
expect_rc 2 "plan --rehearse --format json"
printf '%s\n' "$OUT" >"$work/plan.json"
[ "$(json_get "$work/plan.json" 'r["rehearsal"]["agrees"]')" = true ] || fail "JSON: rehearsal does not agree: $OUT"
[ "$(json_get "$work/plan.json" 'r["rehearsal"]["exit_code"]')" = 2 ] || fail "JSON: rehearsal exit code"
[ "$(tree_checksum "$root")" = "$before" ] || fail "plan --rehearse (json) changed the tree"
[ ! -e "$marker" ] || fail "the rehearsed exec reached this machine ($marker exists)"
echo "ok: the rehearsal agrees with the plan and touches nothing"

# 2. A command's effect the plan cannot know: flagged.
write_policy "$work" app <<EOF
resources:
  - directory: /srv/gen
  - exec: generate
    command: "echo generated > $root/srv/gen/out.conf"
    creates: /srv/gen/out.conf
  - file: /srv/gen/out.conf
    content: "managed\n"
    requires: exec[generate]
EOF
run_roux plan --rehearse --policy "$work" --root "$root"
expect_rc 2 "plan --rehearse, a command's effect"
grep -q 'differs from the plan' <<<"$OUT" || fail "the difference is not flagged: $OUT"
grep -q 'only in the rehearsal: file\[/srv/gen/out.conf\] content:' <<<"$OUT" || fail "the rehearsal's content change is not named: $OUT"
grep -q 'only in the plan: file\[/srv/gen/out.conf\] ensure: absent -> file' <<<"$OUT" || fail "the plan's guess is not named: $OUT"
[ "$(tree_checksum "$root")" = "$before" ] || fail "plan --rehearse changed the tree"
echo "ok: a difference between plan and rehearsal is flagged"

echo "PASS: plan --rehearse"
