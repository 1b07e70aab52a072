#!/usr/bin/env bash
# Inside the namespace sandbox (tests/sandbox/run.sh), on its live root: users made in roux's one
# locked pass (resources/account_batch.cc) are indistinguishable from useradd's. The same policy
# (plain users with homes from /etc/skel, an explicit uid, a named primary group, supplementary
# groups, a system user, a comment and password hash, a home whose parent is missing) is
# made once by useradd (the useradd/groupadd/chpasswd commands roux ran before the one pass, by
# hand: the previous head's binary makes them in one pass too, so it is no reference) and, after
# the account files and homes are put back, once by this build; then every passwd, shadow,
# group and gshadow line, /etc/subuid and /etc/subgid, and each home's listing (names, types,
# modes, owners, sizes, contents, link targets, modification times) must be equal, with a
# skeleton holding a folder tree, links into the skeleton (useradd points them into the home),
# out of it and relative, all with old times (useradd lchowns links and keeps every time); pwck -r and grpck -r say the same for both. Then:
# plan changes nothing and lists what converge makes; the 2nd converge makes 0 changes; two new
# users asking for one uid: the first is made, the second fails with the uid's owner named (plan
# says the same); /etc/.pwd.lock held by another process (lckpwdf's lock) -> the users fail after
# a bounded wait, naming the holder's pid, nothing written. Skips (77) when the sandbox is
# unavailable.
set -euo pipefail
SB=$ROUX_SOURCE_DIR/tests/sandbox/run.sh
script=$(mktemp /tmp/roux-sb-onepass.XXXXXX)
trap 'rm -rf "$script"' EXIT
cat >"$script" <<'EOS_INNER'
set -euo pipefail
source /roux/src/tests/e2e/lib.sh
P=/tmp/policy
write_policy $P accounts <<'EOF'
resources:
  - group: opg1
  - group: opg2
    gid: 4920
  - user: opu1
    manage_home: true
    shell: /bin/bash
  - user: opu2
    manage_home: true
  - user: opu3
    uid: 4931
    groups: [opg1, opg2]
    manage_home: true
    comment: Op User Three
  - user: opu4
    group: opg2
    home: /srv/ophomes/opu4
    manage_home: true
  - user: opsys
    system: true
  - user: opu5
    password: '$6$OnePassSalt$OnePassHashValueXyZ0123456789abcdefghijklmnopqrstuvwxyzABCDEF'
    manage_home: true
EOF
names="opu1 opu2 opu3 opu4 opu5 opsys opg1 opg2"
# The skeleton: a folder tree, links into it, out of it and relative, every time in the past.
mkdir -p /etc/skel/.config/app
echo 'setting = 1' >/etc/skel/.config/app/app.conf
echo 'notes' >/etc/skel/notes.txt
chmod 0600 /etc/skel/notes.txt
ln -s /etc/skel/.bashrc /etc/skel/.bashrc-link
ln -s /etc/skel/.config /etc/skel/config-dir
ln -s /etc/hostname /etc/skel/outside-link
ln -s .config/app/app.conf /etc/skel/relative-link
touch -d @1500000100 /etc/skel/.bashrc /etc/skel/.config/app/app.conf /etc/skel/notes.txt
touch -d '@1500000150.123456789' /etc/skel/.profile
touch -h -d @1500000000 /etc/skel/.bashrc-link /etc/skel/config-dir /etc/skel/outside-link /etc/skel/relative-link
touch -d @1500000200 /etc/skel/.config/app /etc/skel/.config
mkdir -p /tmp/pristine
cp -a /etc/passwd /etc/shadow /etc/group /etc/gshadow /etc/subuid /etc/subgid /tmp/pristine/
restore() {
  for f in passwd shadow group gshadow subuid subgid; do cp -a /tmp/pristine/$f /etc/$f; rm -f /etc/$f-; done
  rm -rf /home/opu1 /home/opu2 /home/opu3 /home/opu5 /srv/ophomes /var/lib/roux
}
capture() {  # everything useradd made, as text
  for db in passwd shadow group gshadow; do
    for n in $names; do getent $db $n || echo "$db $n: none"; done
  done
  for f in subuid subgid; do echo "== $f"; cat /etc/$f; done
  for h in /home/opu1 /home/opu2 /home/opu3 /home/opu5 /srv/ophomes /srv/ophomes/opu4; do
    echo "== $h"
    find "$h" -printf '%P\t%y\t%m\t%u\t%g\t%s\t%l\n' | LC_ALL=C sort
    find "$h" -type f -exec sha256sum {} + | LC_ALL=C sort
  done
  # What came from the skeleton keeps its time (the homes themselves are new).
  for h in /home/opu1 /home/opu2 /home/opu3 /home/opu5 /srv/ophomes/opu4; do
    echo "== $h times"
    find "$h" -mindepth 1 -printf '%P\t%T@\n' | LC_ALL=C sort
  done
  for f in passwd shadow group gshadow subuid subgid; do echo "== /etc/$f mode"; stat -c '%a %U %G' /etc/$f /etc/$f-; done
  echo "== pwck"; pwck -r 2>&1 | LC_ALL=C sort || true; echo "pwck rc ${PIPESTATUS[0]}"
  echo "== grpck"; grpck -r 2>&1 | LC_ALL=C sort || true; echo "grpck rc ${PIPESTATUS[0]}"
}

# 1. useradd's accounts: the shadow tools run by hand with the arguments roux gave them before
# the one pass
groupadd opg1 && groupadd -g 4920 opg2
useradd -m -s /bin/bash opu1 && useradd -m opu2
useradd -u 4931 -G opg1,opg2 -m -c "Op User Three" opu3
useradd -g opg2 -d /srv/ophomes/opu4 -m opu4
useradd -M --system opsys
useradd -m opu5 && echo 'opu5:$6$OnePassSalt$OnePassHashValueXyZ0123456789abcdefghijklmnopqrstuvwxyzABCDEF' | chpasswd -e
capture >/tmp/by-useradd
restore

# 2. this build: plan first (changes nothing), then converge (the same changes)
snap() { sha256sum /etc/passwd /etc/shadow /etc/group /etc/gshadow /etc/subuid /etc/subgid; ls -la /etc /home /srv; }
s0=$(snap)
run_roux plan --policy $P --format json
expect_rc 2 "plan"
printf '%s\n' "$OUT" >/tmp/plan.json
[ "$(snap)" = "$s0" ] || fail "plan changed the host"
run_roux converge --policy $P --format json
expect_rc 2 "converge"
printf '%s\n' "$OUT" >/tmp/c1.json
diff <(json_changes /tmp/plan.json) <(json_changes /tmp/c1.json) || fail "plan and converge differ"
[ "$(json_changes /tmp/c1.json | grep -c '^user.*	ensure	absent	present')" = 6 ] || { json_changes /tmp/c1.json; fail "want 6 users made"; }
capture >/tmp/by-pass
diff /tmp/by-useradd /tmp/by-pass || fail "the one pass made accounts unlike useradd's"
grep -q '^pwck rc 0$' /tmp/by-pass || { cat /tmp/by-pass; fail "pwck -r is not clean"; }
grep -q '^grpck rc 0$' /tmp/by-pass || fail "grpck -r is not clean"
grep -q '^opu5:\$6\$OnePassSalt' /etc/shadow || fail "opu5's hash is not in /etc/shadow"
[ -f /etc/passwd- ] && [ -f /etc/shadow- ] || fail "no - backups"

# 3. second converge: nothing to do
run_roux converge --policy $P --format json
expect_rc 0 "second converge (want 0 changes)"

# 4. two new users asking for one uid: the first is made, the second fails naming the owner
Q=/tmp/policy2
write_policy $Q clash <<'EOF'
resources:
  - user: opc1
    uid: 4950
  - user: opc2
    uid: 4950
EOF
run_roux plan --policy $Q --format json
expect_rc 6 "plan of a uid clash (changes and a failure)"
printf '%s\n' "$OUT" >/tmp/plan2.json
grep -q 'uid: 4950 is already used by user \\"opc1\\"' /tmp/plan2.json || { cat /tmp/plan2.json; fail "plan does not name the clash"; }
run_roux converge --policy $Q --format json
expect_rc 6 "converge of a uid clash (changes and a failure)"
printf '%s\n' "$OUT" >/tmp/c2.json
grep -q 'uid: 4950 is already used by user \\"opc1\\"' /tmp/c2.json || { cat /tmp/c2.json; fail "converge does not name the clash"; }
[ "$(getent passwd opc1 | cut -d: -f3)" = 4950 ] || fail "opc1 was not made"
getent passwd opc2 >/dev/null && fail "opc2 was made"
diff <(json_changes /tmp/plan2.json) <(json_changes /tmp/c2.json) || fail "plan and converge of the clash differ"

# 5. lckpwdf's lock held by another process: bounded wait, the holder named, nothing written
R=/tmp/policy3
write_policy $R locked <<'EOF'
resources:
  - user: oplk1
  - user: oplk2
  - user: oplk3
EOF
python3 -c 'import fcntl,os,time,sys; f=open("/etc/.pwd.lock","w"); fcntl.lockf(f, fcntl.LOCK_EX); open("/tmp/locked","w").close(); time.sleep(60)' &
holder=$!
wait_until 20 test -e /tmp/locked || fail "the lock holder never started"
s1=$(snap)
t0=$(date +%s)
run_roux converge --policy $R --format json
t1=$(date +%s)
kill $holder 2>/dev/null || true
expect_rc 4 "converge while /etc/.pwd.lock is held (failures)"
grep -q "pid $holder" <<<"$OUT" || { echo "$OUT"; fail "the holder's pid is not named"; }
grep -q 'holds /etc/.pwd.lock' <<<"$OUT" || fail "the lock file is not named"
# one bounded wait (15 s) for the whole pass, not one per user
[ $((t1 - t0)) -lt 40 ] || fail "waited $((t1 - t0)) s for the lock"
[ "$(grep -c 'holds /etc/.pwd.lock' <<<"$OUT")" -ge 3 ] || fail "not every user names the lock"
[ "$(snap)" = "$s1" ] || fail "the account files changed while locked"
run_roux converge --policy $R --format json
expect_rc 2 "converge once the lock is free"
getent passwd oplk2 >/dev/null || fail "oplk2 not made after the lock was released"
echo SANDBOX-ONE-PASS-OK
EOS_INNER
rc=0; out=$("$SB" "$script" 2>&1) || rc=$?
[ $rc = 77 ] && { echo "$out"; exit 77; }
[ $rc = 0 ] || { echo "$out"; echo "FAIL: sandbox scenario rc=$rc"; exit 1; }
grep -q SANDBOX-ONE-PASS-OK <<<"$out" || { echo "$out"; echo "FAIL: no OK line"; exit 1; }
getent passwd opu1 >/dev/null && { echo "FAIL: opu1 leaked to the host"; exit 1; }
echo "PASS: users made in one pass are useradd's"
