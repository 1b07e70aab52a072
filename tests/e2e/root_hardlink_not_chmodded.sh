# Mode and owner are never applied through a hard link: a managed file in the --root tree that is
# a hard link to a file outside it (the host's /etc/shadow, say) gets a new inode with the wanted
# mode (and owner), renamed over its name; the outside file keeps its mode, owner and content.
source "$(dirname "$0")/lib.sh"
work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$work/outside"
printf 'secret\n' >"$work/outside/shadow"
chmod 0600 "$work/outside/shadow"
ln "$work/outside/shadow" "$root/etc/app.conf"
ln "$work/outside/shadow" "$root/etc/owned.conf"
outside_before=$(stat -c '%a %u %g %h' "$work/outside/shadow")

# Same content: only the mode differs, so the old code chmodded the shared inode in place.
write_policy "$work" app <<'YAML'
resources:
  - file: /etc/app.conf
    content: "secret\n"
    mode: "0644"
YAML
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge a hard-linked file's mode"
[ "$(stat -c '%a' "$work/outside/shadow")" = 600 ] || fail "the outside file's mode was changed through the link"
[ "$(stat -c '%a' "$root/etc/app.conf")" = 644 ] || fail "the managed file did not get its mode"
[ "$(stat -c '%i' "$root/etc/app.conf")" != "$(stat -c '%i' "$work/outside/shadow")" ] ||
  fail "the managed file still shares the outside file's inode"
[ "$(cat "$root/etc/app.conf")" = secret ] || fail "the managed file's content changed"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "second converge: nothing to change"

# Owner: needs root to chown.
if [ "$(id -u)" = 0 ]; then
  printf 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  cat >"$work/cookbooks/app/recipes/default.yaml" <<'YAML'
resources:
  - file: /etc/owned.conf
    content: "secret\n"
    mode: "0600"
    owner: nobody
    group: nogroup
YAML
  run_roux converge --policy "$work" --root "$root"
  expect_rc 2 "converge a hard-linked file's owner"
  [ "$(stat -c '%u %g' "$root/etc/owned.conf")" = "65534 65534" ] || fail "the managed file did not get its owner"
fi
[ "$(stat -c '%a %u %g' "$work/outside/shadow")" = "$(cut -d' ' -f1-3 <<<"$outside_before")" ] ||
  fail "the outside file's mode or owner changed: $(stat -c '%a %u %g' "$work/outside/shadow")"
[ "$(cat "$work/outside/shadow")" = secret ] || fail "the outside file's content changed"
echo "ok"
