#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh: its own UTS namespace, checked here, so the machine's own name is
# never touched; the outer half checks the machine's name is unchanged afterwards): hostname sets
# /etc/hostname, the 127.0.1.1 line of /etc/hosts (every other line kept) and the live name
# (/proc/sys/kernel/hostname, written in place). Plan lists the three and changes none of them;
# converge makes exactly those changes; the second converge makes none; a live name changed behind
# roux's back is set again alone; a bad name is a compile error at file:line:col.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then
  before=$(cat /proc/sys/kernel/hostname)
  ROUX_OUTER_UTS=$(readlink /proc/self/ns/uts); export ROUX_OUTER_UTS
  rc=0; "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0" || rc=$?
  [ "$(cat /proc/sys/kernel/hostname)" = "$before" ] || { echo "FAIL: the machine's own name changed" >&2; exit 1; }
  exit $rc
fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
[ -n "${ROUX_OUTER_UTS:-}" ] || fail "ROUX_OUTER_UTS not passed into the sandbox"
[ "$(readlink /proc/self/ns/uts)" != "$ROUX_OUTER_UTS" ] || fail "the sandbox shares the machine's UTS namespace"
K=/proc/sys/kernel/hostname
hostname roux-old
printf 'roux-old\n' > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\troux-old\n\n# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\n10.1.2.3 db.internal db\n' > /etc/hosts
cp /etc/hosts /tmp/hosts.before
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
printf 'resources:\n  - hostname: web1.example.com\n' > $P/cookbooks/app/recipes/default.yaml
expect_rc 2 run_roux plan $P /tmp/plan.json
[ "$(cat $K)" = roux-old ] || fail "plan set the live name"
[ "$(cat /etc/hostname)" = roux-old ] && cmp -s /etc/hosts /tmp/hosts.before || fail "plan wrote a file"
expect_rc 2 run_roux converge $P /tmp/c1.json
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
cat > /tmp/want <<'W'
hostname[web1.example.com] file: roux-old -> web1.example.com
hostname[web1.example.com] hosts: 127.0.1.1 roux-old -> 127.0.1.1 web1.example.com web1
hostname[web1.example.com] live: roux-old -> web1.example.com
W
diff /tmp/want <(changes /tmp/c1.json) || fail "changes"
[ "$(cat $K)" = web1.example.com ] && [ "$(hostname)" = web1.example.com ] || fail "live name not set: $(cat $K)"
[ "$(cat /etc/hostname)" = web1.example.com ] || fail "/etc/hostname"
diff <(sed 's/^127.0.1.1\troux-old$/127.0.1.1\tweb1.example.com web1/' /tmp/hosts.before) /etc/hosts || fail "/etc/hosts: foreign lines not kept"
expect_rc 0 run_roux converge $P /tmp/c2.json
hostname drifted
expect_rc 2 run_roux converge $P /tmp/c3.json
[ "$(changes /tmp/c3.json)" = 'hostname[web1.example.com] live: drifted -> web1.example.com' ] || fail "drift: $(changes /tmp/c3.json)"
printf 'resources:\n  - hostname: web_1\n' > $P/cookbooks/app/recipes/default.yaml
expect_rc 1 run_roux plan $P /tmp/bad.json
grep -q 'recipes/default.yaml:2:5: hostname\[web_1\]: invalid hostname "web_1"' /tmp/bad.json.txt || fail "bad name: $(cat /tmp/bad.json.txt)"
echo "PASS: hostname: files + live name in the sandbox's own UTS namespace; plan == converge; idempotent; drift; bad name"
