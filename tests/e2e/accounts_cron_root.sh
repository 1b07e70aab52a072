#!/usr/bin/env bash
# user + group + cron (cron.d and a user crontab) converged into a --root tree by the real shadow
# tools (useradd --root ...): plan on a fresh tree predicts the user so files owned by it plan
# cleanly and changes nothing; converge; 2nd converge = 0 changes; drift (shell edited by hand, a
# foreign crontab line added, the managed entry altered) -> plan lists exactly those drifts and
# changes nothing; converge applies exactly them; foreign lines survive byte for byte; the password
# hash never appears in any output. Needs root (useradd --root chroots).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "useradd --root needs root"
command -v useradd >/dev/null || skip "no useradd (package passwd)"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/var/spool/cron/crontabs"
cp -a /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/login.defs /etc/default /etc/skel "$root/etc/"
for n in e2eapp e2eops; do
  grep -q "^$n:" "$root/etc/passwd" "$root/etc/group" && fail "$n already exists in the copied /etc"
done
getent group crontab >/dev/null || groupadd --root "$root" --system crontab
chgrp "$(awk -F: '$1=="crontab"{print $3}' "$root/etc/group")" "$root/var/spool/cron/crontabs"
chmod 1730 "$root/var/spool/cron/crontabs"
HASH='$y$j9T$LeakCanaryE2eSalt$Zq0wLeakCanaryHashValue0123456789abcdef'

write_policy "$work" accounts <<'EOF'
resources:
  - group: e2eops
    gid: 4710
  - user: e2eapp
    uid: 4711
    group: e2eops
    groups: [e2eops]
    home: /home/e2eapp
    manage_home: true
    shell: /bin/sh
    comment: E2E app
    password: '$y$j9T$LeakCanaryE2eSalt$Zq0wLeakCanaryHashValue0123456789abcdef'
  - file: /home/e2eapp/app.conf
    content: "port = 8080\n"
    owner: e2eapp
    group: e2eops
    mode: "0640"
  - cron: e2e-rotate
    schedule: "15 3 * * mon-fri"
    user: e2eapp
    command: /usr/bin/true rotate
    environment:
      MAILTO: ops@example.com
      PATH: /usr/bin:/bin
  - cron: e2e-ping
    target: crontab
    user: e2eapp
    schedule: "*/5 * * * *"
    command: /usr/bin/true ping
  - cron: e2e-daily
    target: crontab
    user: e2eapp
    schedule: "@daily"
    command: /usr/bin/true daily
EOF

outs=()
keep() { local f="$work/out.$1"; printf '%s\n%s\n' "$OUT" "$ERR" >"$f"; outs+=("$f"); }

# 1. Plan on the fresh tree: every resource would change, including the file owned by the user
#    that does not exist yet; nothing changes.
before=$(tree_checksum "$root")
run_roux plan --policy "$work" --root "$root" --format json
keep plan0
expect_rc 2 "plan on a fresh tree"
echo "$OUT" >"$work/plan0.json"
[ "$(json_get "$work/plan0.json" 'r["totals"]["would_change"]')" = 6 ] || { echo "$OUT"; fail "plan0: want 6 resources to change"; }
[ "$(tree_checksum "$root")" = "$before" ] || fail "plan changed the tree"

# 2. Converge, then the second converge makes no change.
run_roux converge --policy "$work" --root "$root" --report "$work/apply1.json"
keep apply1
expect_rc 2 "first converge"
grep -q '^e2eapp:x:4711:4710:E2E app:/home/e2eapp:/bin/sh$' "$root/etc/passwd" || fail "passwd line: $(grep e2eapp "$root/etc/passwd")"
grep -q '^e2eops:x:4710:e2eapp$' "$root/etc/group" || fail "group line: $(grep e2eops "$root/etc/group")"
grep -qF "e2eapp:$HASH:" "$root/etc/shadow" || fail "the password hash was not set"
[ "$(stat -c '%u:%g %a' "$root/home/e2eapp/app.conf")" = "4711:4710 640" ] || fail "app.conf owner/mode"
[ "$(stat -c '%u' "$root/home/e2eapp")" = 4711 ] || fail "home not created for the user"
crond="$root/etc/cron.d/e2e-rotate"
[ "$(cat "$crond")" = "# Managed by roux: cron[e2e-rotate]. Local changes will be overwritten.
MAILTO=ops@example.com
PATH=/usr/bin:/bin
15 3 * * mon-fri e2eapp /usr/bin/true rotate" ] || fail "cron.d content: $(cat "$crond")"
[ "$(stat -c '%a %u %g' "$crond")" = "644 0 0" ] || fail "cron.d mode/owner"
tab="$root/var/spool/cron/crontabs/e2eapp"
[ "$(tail -n +4 "$tab")" = "# roux: e2e-ping
*/5 * * * * /usr/bin/true ping
# roux: e2e-daily
@daily /usr/bin/true daily" ] || fail "crontab content: $(cat "$tab")"
crontab_gid=$(awk -F: '$1=="crontab"{print $3}' "$root/etc/group")
[ "$(stat -c '%a %u %g' "$tab")" = "600 4711 $crontab_gid" ] || fail "crontab mode/owner $(stat -c '%a %u %g' "$tab")"

run_roux converge --policy "$work" --root "$root"
keep apply2
expect_rc 0 "second converge (want 0 changes)"

# 3. Drift by hand: the shell, a foreign crontab line (with odd spacing and no final newline
#    after it), and the managed entry altered.
sed -i 's#^\(e2eapp:.*\):/bin/sh$#\1:/bin/bash#' "$root/etc/passwd"
python3 - "$tab" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("*/5 * * * * /usr/bin/true ping", "*/7 * * * * /usr/bin/true ping")
head, rest = s.split("# roux: e2e-ping\n", 1)  # keep roux's 3-line header on top
open(p, "w").write(head + "MAILTO=\"\"\n  1  2 * * *\t/usr/bin/foreign --keep   \n# roux: e2e-ping\n" + rest +
                   "# trailing foreign comment")
PY
chmod 600 "$tab"
foreign_head=$(head -c 47 "$tab")
before=$(tree_checksum "$root")
run_roux plan --policy "$work" --root "$root" --format json
keep plan1
expect_rc 2 "plan after drift"
echo "$OUT" >"$work/plan1.json"
json_changes "$work/plan1.json" >"$work/plan1.changes"
printf '%s\n' "user[e2eapp]	shell	/bin/bash	/bin/sh" \
  "cron[e2e-ping]	entry	*/7 * * * * /usr/bin/true ping	*/5 * * * * /usr/bin/true ping" >"$work/want.changes"
diff -u "$work/want.changes" "$work/plan1.changes" || fail "plan lists other changes than the drift"
[ "$(tree_checksum "$root")" = "$before" ] || fail "plan changed the tree (passwd/shadow/group/crontab)"

run_roux converge --policy "$work" --root "$root" --format json
keep apply3
expect_rc 2 "converge after drift"
echo "$OUT" >"$work/apply3.json"
json_changes "$work/apply3.json" >"$work/apply3.changes"
diff -u "$work/plan1.changes" "$work/apply3.changes" || fail "converge did not make exactly the planned changes"
grep -q ':/home/e2eapp:/bin/sh$' "$root/etc/passwd" || fail "shell not restored"
[ "$(head -c 47 "$tab")" = "$foreign_head" ] || fail "foreign head lines changed"
[ "$(tail -n +4 "$tab")" = "MAILTO=\"\"
  1  2 * * *	/usr/bin/foreign --keep   
# roux: e2e-ping
*/5 * * * * /usr/bin/true ping
# roux: e2e-daily
@daily /usr/bin/true daily
# trailing foreign comment" ] || fail "crontab after converge: $(cat -A "$tab")"
run_roux converge --policy "$work" --root "$root"
keep apply4
expect_rc 0 "converge after the repair (want 0 changes)"

# 4. Absent: the cron entries go, foreign lines stay, the user and group go.
write_policy "$work" accounts <<'EOF'
resources:
  - cron: e2e-rotate
    ensure: absent
  - cron: e2e-ping
    target: crontab
    user: e2eapp
    ensure: absent
  - user: e2eapp
    ensure: absent
    remove_home: true
    requires: cron[e2e-ping]
  - group: e2eops
    ensure: absent
    requires: user[e2eapp]
EOF
run_roux converge --policy "$work" --root "$root"
keep apply5
expect_rc 2 "converge absent"
[ ! -e "$crond" ] || fail "cron.d file not removed"
grep -q "e2e-ping" "$tab" && fail "crontab entry not removed"
grep -q "foreign --keep" "$tab" || fail "foreign line lost"
grep -q '^e2eapp:' "$root/etc/passwd" && fail "user not removed"
grep -q '^e2eops:' "$root/etc/group" && fail "group not removed"
[ ! -e "$root/home/e2eapp" ] || fail "home not removed"

# 5. The hash never shows: text, JSON, reports, history.
for f in "${outs[@]}" "$work/apply1.json" "$root/var/lib/roux/last_run.json" "$root/var/lib/roux/history.jsonl"; do
  [ -f "$f" ] || continue
  grep -qF "LeakCanary" "$f" && fail "password hash leaked into $f"
done
grep -q '"property": *"password"' "$work/apply1.json" || grep -q 'password' "$work/apply1.json" || fail "apply1 report has no password change"
echo "PASS: accounts and cron in a --root tree"
