#!/usr/bin/env bash
# The pass that creates users in one go (resources/account_batch.cc), killed at EACH of its file
# renames in turn (strace injects SIGKILL at the Kth renameat, K = 1, 2, ... until a run gets
# through): after every kill, the next converge finishes the job with exactly the files an
# uninterrupted run leaves, and a further converge changes nothing. The kill that lands between
# /etc/group and /etc/passwd used to leave each new user's group without its user, and every later
# converge failed ("group "kuN" exists: name it as the user's group"): e2e.accounts_kill_midway
# caught it about once in 20 runs. The pass's journal (/etc/.roux-account-pass) lets the next
# pass put the half-replaced files back from their FILE- copies and start again.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "no strace"
strace -f -o /dev/null -e trace=renameat -e inject=renameat:signal=KILL:when=1000 true 2>/dev/null ||
  skip "strace cannot inject signals here (no ptrace)"

N=4
work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc" "$work/pristine" "$work/final"
printf 'root:x:0:0:root:/root:/bin/bash\nold1:x:1000:1000::/home/old1:/bin/sh\n' >"$root/etc/passwd"
printf 'root:*:19000:0:99999:7:::\nold1:!:19000:0:99999:7:::\n' >"$root/etc/shadow"
printf 'root:x:0:\nusers:x:100:\nold1:x:1000:\n' >"$root/etc/group"
printf 'root:*::\nusers:*::\nold1:!::\n' >"$root/etc/gshadow"
printf 'old1:100000:65536\n' >"$root/etc/subuid"
printf 'old1:100000:65536\n' >"$root/etc/subgid"
printf 'UID_MIN 1000\nUID_MAX 60000\nGID_MIN 1000\nGID_MAX 60000\nUSERGROUPS_ENAB yes\n' >"$root/etc/login.defs"
chmod 600 "$root/etc/shadow" "$root/etc/gshadow"
files="passwd shadow group gshadow subuid subgid"
for f in $files; do cp -a "$root/etc/$f" "$work/pristine/$f"; done
{
  echo "resources:"
  for i in $(seq 1 $N); do printf '  - user: ku%s\n' "$i"; done
} | write_policy "$work" many
common=(--policy "$work" --root "$root" --config /dev/null)
reset_root() {
  for f in $files; do cp -a "$work/pristine/$f" "$root/etc/$f"; rm -f "$root/etc/$f-"; done
  rm -rf "$root/var/lib/roux" "$root/etc/.roux-account-pass"
}

run_roux converge "${common[@]}"
expect_rc 2 "uninterrupted converge"
for f in $files; do cp "$root/etc/$f" "$work/final/$f"; done
[ "$(grep -c '^ku' "$work/final/passwd")" = $N ] || fail "the uninterrupted run did not make $N users"
[ "$(grep -c '^ku' "$work/final/group")" = $N ] || fail "the uninterrupted run did not make $N groups"

killed_between=0
for k in $(seq 1 60); do
  reset_root
  rc=0
  # (in a subshell whose stderr is dropped: bash's "Killed" notice, not the run's output)
  (strace -f -o /dev/null -e trace=renameat -e inject=renameat:signal=KILL:when=$k \
    "$ROUX" converge "${common[@]}" >"$work/killed.out" 2>&1; exit $?) 2>/dev/null || rc=$?
  if [ "$rc" != 137 ]; then
    [ "$k" -gt 1 ] || fail "no rename to kill at: exit $rc: $(cat "$work/killed.out")"
    break  # the run got past its last rename: every kill point was tried
  fi
  grep -q '^ku' "$root/etc/group" && ! grep -q '^ku' "$root/etc/passwd" && killed_between=$((killed_between + 1))
  run_roux converge "${common[@]}"
  [ "$RC" = 2 ] || [ "$RC" = 0 ] || expect_rc 2 "killed at rename $k: the next converge"
  for f in $files; do
    cmp -s "$root/etc/$f" "$work/final/$f" ||
      fail "killed at rename $k: /etc/$f differs from the uninterrupted run's after the next converge: $(diff "$work/final/$f" "$root/etc/$f")"
  done
  [ ! -e "$root/etc/.roux-account-pass" ] || fail "killed at rename $k: the journal is left"
  run_roux converge "${common[@]}"
  expect_rc 0 "killed at rename $k: a further converge"
done
[ "$killed_between" -ge 1 ] || fail "no kill landed between /etc/group and /etc/passwd (the case this test is for)"
echo "accounts_kill_each_rename: ok ($((k - 1)) kill points, $killed_between between group and passwd)"
