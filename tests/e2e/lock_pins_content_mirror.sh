#!/usr/bin/env bash
# Locks pin content, not places (#12 part 2): a lockfile made against one git remote keeps working
# when the policy switches to a mirror (another remote with the same tags) and the origin is gone;
# `roux lock` keeps every existing pin (a newer tag is not picked up) and resolves only what is new;
# `roux update` needs cookbook names or --all and prints each version change; lock/update/fetch take
# the run lock (refused while another run holds it, with the holder's pid).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git/fixture.sh"
work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/roux-e2e"
git_fixture "$work"
git_release "$work" base 1.0.0
git_release "$work" web 1.0.0 "base: ~> 1.0"
git_policy "$work" "web base"
run_roux lock --policy "$work/policy" --root "$root"
expect_rc 0 "roux lock"
[ "$(lock_field "$work" base version)" = 1.0.0 ] || fail "lock chose base $(lock_field "$work" base version)"
base_sha=$(lock_field "$work" base sha256)

# A new tag upstream: `roux lock` keeps the pin (it used to re-resolve and move base).
git_release "$work" base 1.1.0
run_roux lock --policy "$work/policy" --root "$root"
expect_rc 0 "roux lock with a newer tag upstream"
[ "$(lock_field "$work" base version)" = 1.0.0 ] || fail "roux lock moved the pinned base to $(lock_field "$work" base version)"
run_roux update --policy "$work/policy" --root "$root"
expect_rc 1 "roux update without names"
[[ "$ERR" == *"roux update: name the cookbooks to re-resolve, or pass --all for every one"* ]] || fail "update without names: $ERR"

# The mirror: a clone of the remote (same tags, same content); the policy now names only it, and
# the origin disappears. The cache is emptied so the cookbooks must come from the mirror.
git clone -q --mirror "$work/remote.git" "$work/mirror.git"
mv "$work/remote.git" "$work/origin-gone.git"
sed -i "s|git+file://$work/remote.git|git+file://$work/mirror.git|" "$work/policy/policy.yaml"
rm -rf "$root/var/lib/roux/cache"
run_roux converge --policy "$work/policy" --root "$root"
expect_rc 2 "converge from the mirror with the old lockfile"
[ "$(cat "$root/etc/roux-e2e/base.txt")" = "base 1.0.0" ] || fail "not the pinned base from the mirror"
[ "$(lock_field "$work" base sha256)" = "$base_sha" ] || fail "the lockfile changed"
# `roux lock` after the switch keeps the pins too.
run_roux lock --policy "$work/policy" --root "$root"
expect_rc 0 "roux lock after the mirror switch"
[ "$(lock_field "$work" base version)" = 1.0.0 ] || fail "roux lock after the switch moved base"
[ "$(lock_field "$work" base sha256)" = "$base_sha" ] || fail "roux lock after the switch changed base's content"
# A "mirror" with OTHER content under the same versions (a different repository whose tags have
# the same names) is refused: the content digest, not the place, is what the lock pins.
git_fixture "$work/evil"
git_release "$work/evil" base 1.0.0
echo "# other content" >> "$work/evil/src/base/recipes/default.yaml"
git -C "$work/evil/src" commit -qam other && git -C "$work/evil/src" tag -f base-v1.0.0 >/dev/null
git -C "$work/evil/src" push -q --force origin HEAD:refs/heads/main refs/tags/base-v1.0.0
git_release "$work/evil" web 1.0.0 "base: ~> 1.0"
sed -i "s|git+file://$work/mirror.git|git+file://$work/evil/remote.git|" "$work/policy/policy.yaml"
mv "$work/mirror.git" "$work/mirror.away"   # the lockfile's own source (since the last lock) is gone too
rm -rf "$root/var/lib/roux/cache"
run_roux converge --policy "$work/policy" --root "$root"
[ "$RC" = 1 ] || fail "a source with other content for base 1.0.0 was accepted (exit $RC)"
[[ "$ERR" == *"cookbook base 1.0.0 (sha256 $base_sha) is not in the cache"*"has other content"* ]] || fail "the refusal does not say why: $ERR"
sed -i "s|git+file://$work/evil/remote.git|git+file://$work/mirror.git|" "$work/policy/policy.yaml"
mv "$work/mirror.away" "$work/mirror.git"

# update --all moves and says so.
git clone -q --mirror "$work/origin-gone.git" "$work/mirror2.git"
sed -i "s|git+file://$work/mirror.git|git+file://$work/mirror2.git|" "$work/policy/policy.yaml"
run_roux update --all --policy "$work/policy" --root "$root"
expect_rc 0 "roux update --all"
[ "$(lock_field "$work" base version)" = 1.1.0 ] || fail "update --all did not move base"
[[ "$OUT" == *"base 1.1.0"*"(was 1.0.0)"* ]] || fail "update --all did not print the change: $OUT"

# The run lock: hold it the way a converge does (an fcntl lock on STATE/run.lock) and try each command.
python3 - "$root/var/lib/roux/run.lock" "$work/held" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(30)
PY
holder=$!
wait_until 20 test -s "$work/held" || fail "could not hold the run lock"
for cmd in lock "update base" fetch; do
  # shellcheck disable=SC2086
  run_roux $cmd --policy "$work/policy" --root "$root"
  expect_rc 1 "roux $cmd while a run holds the lock"
  [[ "$ERR" == *"another roux run (pid $holder) holds"* ]] || fail "roux $cmd under the lock: $ERR"
done
kill $holder 2>/dev/null; wait $holder 2>/dev/null || true
run_roux fetch --policy "$work/policy" --root "$root"
expect_rc 0 "roux fetch once the lock is free"
echo "ok"
