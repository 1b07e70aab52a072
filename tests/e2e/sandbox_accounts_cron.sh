#!/usr/bin/env bash
# Inside the namespace sandbox (tests/sandbox/run.sh), on its live root with the real cron package:
# roux creates a group, a user (password hash, supplementary group, home) and cron entries (cron.d
# and the user's crontab); the 2nd converge makes 0 changes; then drift by the host's own tools
# (usermod -s, `crontab -u USER -` adding a foreign line and altering the managed one) -> plan lists
# exactly those drifts and changes nothing (passwd/shadow/group/gshadow/crontab/cron.d bytes
# identical), converge applies exactly them, foreign lines survive byte for byte, `crontab -l`
# reads the result; an exec with `user:` gets the user's supplementary groups; the password hash
# never appears in any output. Skips (77) with the reason when the sandbox is unavailable.
set -euo pipefail
SB=$ROUX_SOURCE_DIR/tests/sandbox/run.sh
script=$(mktemp /tmp/roux-sb-accounts.XXXXXX)
trap 'rm -f "$script"' EXIT
cat >"$script" <<'EOS_INNER'
set -euo pipefail
source /roux/src/tests/e2e/lib.sh
command -v crontab >/dev/null || fail "cron is not installed in the sandbox image"
getent passwd sbapp >/dev/null && fail "sbapp already exists"
P=/tmp/policy
write_policy $P accounts <<'EOF'
resources:
  - group: sbops
    gid: 4810
  - user: sbapp
    uid: 4811
    groups: [sbops]
    home: /home/sbapp
    manage_home: true
    shell: /bin/sh
    password: '$6$CanarySalt$SbLeakCanaryHashValueXyZ0123456789abcdefghijklmnopqrstuvwxyzAB'
  - file: /home/sbapp/.profile-roux
    content: "export APP=1\n"
    owner: sbapp
  - cron: sb-report
    schedule: "0 6 1 * *"
    command: /usr/bin/true report
    environment:
      MAILTO: ""
  - cron: sb-ping
    target: crontab
    user: sbapp
    schedule: "*/10 * * * *"
    command: /usr/bin/true ping
  - exec: sb-ids
    command: id -Gn > /tmp/sb-ids
    user: sbapp
    creates: /tmp/sb-ids
EOF
tab=/var/spool/cron/crontabs/sbapp
snapshot() { sha256sum /etc/passwd /etc/shadow /etc/group /etc/gshadow /etc/cron.d/* /var/spool/cron/crontabs/* 2>/dev/null; ls -la --time-style=full-iso /var/spool/cron/crontabs /etc/cron.d /home; }
outs=()
keep() { local f=/tmp/out.$1; printf '%s\n%s\n' "$OUT" "$ERR" >"$f"; outs+=("$f"); }

s0=$(snapshot)
run_roux plan --policy $P --format json; keep plan0
expect_rc 2 "plan on the fresh sandbox"
[ "$(snapshot)" = "$s0" ] || fail "plan changed the host"
getent passwd sbapp >/dev/null && fail "plan created the user"

run_roux converge --policy $P --format json; keep apply1
expect_rc 2 "first converge"
[ "$(getent passwd sbapp)" = "sbapp:x:4811:4811::/home/sbapp:/bin/sh" ] || fail "passwd: $(getent passwd sbapp)"
id -nG sbapp | grep -qw sbops || fail "sbapp not in sbops: $(id -nG sbapp)"
grep -qw sbops /tmp/sb-ids || fail "exec user: supplementary group missing: $(cat /tmp/sb-ids)"
[ "$(crontab -u sbapp -l)" = "# roux: sb-ping
*/10 * * * * /usr/bin/true ping" ] || fail "crontab -l: $(crontab -u sbapp -l)"
[ "$(stat -c '%a %U %G' $tab)" = "600 sbapp crontab" ] || fail "crontab file $(stat -c '%a %U %G' $tab)"
[ "$(tail -1 /etc/cron.d/sb-report)" = "0 6 1 * * root /usr/bin/true report" ] || fail "cron.d: $(cat /etc/cron.d/sb-report)"

run_roux converge --policy $P; keep apply2
expect_rc 0 "second converge (want 0 changes)"

# Drift with the host's own tools.
usermod -s /bin/bash sbapp
{ echo 'MAILTO=""'; echo '# a comment of the admin  '; echo '30 4 * * 1	/usr/bin/foreign   --flag'; crontab -u sbapp -l | sed 's#^\*/10 \* \* \* \* /usr/bin/true ping$#*/3 * * * * /usr/bin/true ping#'; } | crontab -u sbapp -
grep -q '^\*/3 ' $tab || fail "could not alter the managed line"
foreign_before=$(grep -v -e '^# roux: ' -e 'true ping$' $tab)
s1=$(snapshot)
run_roux plan --policy $P --format json; keep plan1
expect_rc 2 "plan after drift"
echo "$OUT" >/tmp/plan1.json
json_changes /tmp/plan1.json >/tmp/plan1.changes
printf '%s\n' "user[sbapp]	shell	/bin/bash	/bin/sh" \
  "cron[sb-ping]	entry	*/3 * * * * /usr/bin/true ping	*/10 * * * * /usr/bin/true ping" >/tmp/want.changes
diff -u /tmp/want.changes /tmp/plan1.changes || fail "plan lists other changes than the drift"
[ "$(snapshot)" = "$s1" ] || fail "plan changed passwd/shadow/group/crontab"

run_roux converge --policy $P --format json; keep apply3
expect_rc 2 "converge after drift"
echo "$OUT" >/tmp/apply3.json
json_changes /tmp/apply3.json >/tmp/apply3.changes
diff -u /tmp/plan1.changes /tmp/apply3.changes || fail "converge did not make exactly the planned changes"
[ "$(getent passwd sbapp | cut -d: -f7)" = /bin/sh ] || fail "shell not restored"
[ "$(grep -v -e '^# roux: ' -e 'true ping$' $tab)" = "$foreign_before" ] || fail "foreign crontab lines changed"
crontab -u sbapp -l | grep -qx '\*/10 \* \* \* \* /usr/bin/true ping' || fail "crontab -l does not show the repaired entry"
crontab -u sbapp -l | grep -qx '30 4 \* \* 1	/usr/bin/foreign   --flag' || fail "foreign line lost"
run_roux converge --policy $P; keep apply4
expect_rc 0 "converge after repair (want 0 changes)"

for f in "${outs[@]}" /var/lib/roux/last_run.json /var/lib/roux/history.jsonl; do
  [ -f "$f" ] || continue
  grep -qF SbLeakCanary "$f" && fail "password hash leaked into $f"
done
grep -qF SbLeakCanary /etc/shadow || fail "the hash was not set in /etc/shadow"
echo SANDBOX-ACCOUNTS-OK
EOS_INNER
rc=0; out=$("$SB" "$script" 2>&1) || rc=$?
[ $rc = 77 ] && { echo "$out"; exit 77; }
[ $rc = 0 ] || { echo "$out"; echo "FAIL: sandbox scenario rc=$rc"; exit 1; }
grep -q SANDBOX-ACCOUNTS-OK <<<"$out" || { echo "$out"; echo "FAIL: no OK line"; exit 1; }
getent passwd sbapp >/dev/null && { echo "FAIL: sbapp leaked to the host"; exit 1; }
echo "PASS: accounts and cron in the sandbox"
