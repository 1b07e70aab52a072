#!/usr/bin/env bash
# A converge creating 40 users in one pass (resources/account_batch.cc) in a --root tree, killed
# with SIGKILL at random moments, 16 trials, each from the pristine account files: after each kill
# every account file (/etc/passwd, shadow, group, gshadow, subuid, subgid) is exactly as it was or
# exactly as an uninterrupted run leaves it (never partial, never a line cut, never some users of
# the pass without the others), no lock is left held; the next converge finishes the job (the same
# files as the uninterrupted run), pwck -r and grpck -r find them clean, and a further converge
# reports 0 changes. Needs root (the homes are chowned to the new users).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (homes are owned by the new users)"
command -v pwck >/dev/null || skip "no pwck (passwd package)"

N=40
TRIALS=${ROUX_KILL_TRIALS:-16}
work=$(e2e_tmpdir)
root="$work/root"
if [ -d /dev/shm ] && [ -w /dev/shm ] && shm=$(mktemp -d /dev/shm/roux-e2e-acctkill.XXXXXX 2>/dev/null); then
  echo "$shm" >>"$_E2E_REGISTRY"
  root="$shm/root"
fi
mkdir -p "$root/etc/default" "$root/home" "$work/pristine"
# A small Debian-like root: its own account files (two users already there), login.defs, skeleton.
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
old1:x:1000:1000::/home/old1:/bin/sh
EOF
printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nold1:!:19000:0:99999:7:::\n' >"$root/etc/shadow"
printf 'root:x:0:\ndaemon:x:1:\nusers:x:100:\nold1:x:1000:\n' >"$root/etc/group"
printf 'root:*::\ndaemon:*::\nusers:*::\nold1:!::\n' >"$root/etc/gshadow"
printf 'old1:100000:65536\n' >"$root/etc/subuid"
printf 'old1:100000:65536\n' >"$root/etc/subgid"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
cp /etc/login.defs "$root/etc/login.defs"
printf 'SHELL=/bin/sh\n' >"$root/etc/default/useradd"
mkdir -p "$root/etc/skel" && printf '# profile\n' >"$root/etc/skel/.profile"
files="passwd shadow group gshadow subuid subgid"
for f in $files; do cp -a "$root/etc/$f" "$work/pristine/$f"; done
{
  echo "resources:"
  for i in $(seq -w 1 $N); do printf '  - user: ku%s\n    manage_home: true\n' "$i"; done
} | write_policy "$work" many

# pwck -r in the tree: nothing but the folders and shells this small tree lacks (those lines are
# about the tree, not the files; every other finding is one, e.g. a shadow line without its user).
pwck_clean() {
  local out
  out=$(pwck -r -R "$root" 2>&1 | grep -v -e "does not exist$" -e '^pwck: no changes$' || true)
  [ -z "$out" ] || { echo "$out" >&2; return 1; }
}

reset_root() {
  for f in $files; do cp -a "$work/pristine/$f" "$root/etc/$f"; rm -f "$root/etc/$f-"; done
  rm -rf "$root/home"/ku* "$root/var/lib/roux"
}

# The uninterrupted run: the files it leaves are the only "new" state.
t0=$(date +%s%N)
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "uninterrupted converge"
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
mkdir -p "$work/final"
for f in $files; do cp "$root/etc/$f" "$work/final/$f"; done
[ "$(grep -c '^ku' "$work/final/passwd")" = $N ] || fail "the uninterrupted run did not make $N users"
pwck_clean || fail "pwck -r after the uninterrupted run"
echo "uninterrupted converge of $N users: ${dur_ms} ms"

check_files() {  # every file exactly old or exactly new; prints "old=N new=M"
  local f old=0 new=0
  for f in $files; do
    if cmp -s "$root/etc/$f" "$work/pristine/$f"; then old=$((old + 1))
    elif cmp -s "$root/etc/$f" "$work/final/$f"; then new=$((new + 1))
    else echo "/etc/$f is neither the old nor the new file:"; cat "$root/etc/$f"; return 1; fi
  done
  echo "old=$old new=$new"
}

mixed=0
for trial in $(seq "$TRIALS"); do
  reset_root
  "$ROUX" converge --policy "$work" --root "$root" >/dev/null 2>&1 &
  pid=$!
  # spread over the whole run: from at once to its measured duration
  delay_ms=$(( (dur_ms * (trial - 1)) / (TRIALS - 1) + RANDOM % 20 ))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  counts=$(check_files) || { echo "$counts" >&2; fail "trial $trial: an account file is partial after SIGKILL at ${delay_ms} ms"; }
  # The lock died with the process: the next run takes it at once and finishes the job.
  run_roux converge --policy "$work" --root "$root"
  [ "$RC" = 2 ] || [ "$RC" = 0 ] || expect_rc 2 "trial $trial: converge after the kill"
  for f in $files; do cmp -s "$root/etc/$f" "$work/final/$f" || fail "trial $trial: /etc/$f differs from the uninterrupted run's after the re-run"; done
  pwck_clean || fail "trial $trial: pwck -r"
  grpck -r -R "$root" >/dev/null 2>&1 || fail "trial $trial: grpck -r"
  run_roux converge --policy "$work" --root "$root"
  expect_rc 0 "trial $trial: a further converge"
  echo "trial $trial: killed at ${delay_ms} ms: $counts"
  [[ "$counts" == "old=6 new=0" || "$counts" == "old=0 new=6" ]] || mixed=$((mixed + 1))
done
echo "ok: account files whole after $TRIALS kills ($mixed caught between two renames)"
