#!/usr/bin/env bash
# roux bootstrap refuses a published policy that does not verify, before a byte is unpacked and
# before the host changes: a tarball altered after signing, a signature by an untrusted key, a
# signed tarball that climbs out of its folder (../), a signed tarball with an extra file, an
# index whose signature does not match. Each refusal names the failed check; nothing is
# converged, no policy is installed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
bootstrap_market "$work"
tar_file="$work/market/policies/web-1.tar.gz"
cp "$tar_file" "$work/good.tar.gz"
cp "$tar_file.sig" "$work/good.tar.gz.sig"
cp "$work/market/universe" "$work/good.universe"
cp "$work/market/universe.sig" "$work/good.universe.sig"
restore() {
  cp "$work/good.tar.gz" "$tar_file"
  cp "$work/good.tar.gz.sig" "$tar_file.sig"
  cp "$work/good.universe" "$work/market/universe"
  cp "$work/good.universe.sig" "$work/market/universe.sig"
}

# expect_refused WHAT PATTERN: a fresh root, bootstrap, exit 1, PATTERN in stderr, nothing built.
expect_refused() {
  local root
  root=$(e2e_tmpdir)
  run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$root"
  expect_rc 1 "$1"
  grep -q -- "$2" <<<"$ERR" || fail "$1: want /$2/ in: $ERR"
  echo "$1: $(head -1 <<<"$ERR")"
  [ ! -e "$root/srv/site" ] && [ ! -e "$root/etc/site.conf" ] || fail "$1: the host was changed"
  [ ! -e "$root/var/lib/roux/cache/policies/web/policy/policy.yaml" ] || fail "$1: a policy was installed"
  grep -q "^  next      " <<<"$OUT" || fail "$1: no next step: $OUT"
}

flip_byte "$tar_file" -5
expect_refused "a tarball altered after signing" "policy web revision 1 (http://127.0.0.1:$UP_PORT/policies/web-1.tar.gz): signature check failed\|signature does not match"
restore

run_roux keygen --out "$work/mallory"
run_roux supermarket sign "$tar_file" --key "$work/mallory.key"
expect_refused "signed by an untrusted key" "which is not trusted"
restore

# Signed by the team key (a compromised publisher, or a bug) but hostile inside: refused by the
# safe unpacker, and an extra file by the policy check. The index is re-signed to match.
resign_policy() {
  local file=$1
  cp "$file" "$tar_file"
  run_roux supermarket sign "$tar_file" --key "$work/team.key"
  local sha
  sha=$(sha256sum "$tar_file" | cut -d' ' -f1)
  sm_index_edit "$work/market" "u['_policies']['web']['revisions']['1']['sha256'] = '$sha'"
  run_roux supermarket sign "$work/market/universe" --key "$work/team.key"
}
python3 - "$work/evil.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    for name, data in (("policy.yaml", b"name: web\n"), ("../../etc/evil", b"owned\n")):
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
PY
resign_policy "$work/evil.tar.gz"
expect_refused "a signed tarball with ../" "\.\./\.\./etc/evil"
[ ! -e "$work/etc/evil" ] && [ ! -e "/etc/evil" ] || fail "../ escaped"
restore

mkdir -p "$work/extra"
tar -xzf "$work/good.tar.gz" -C "$work/extra"
echo hi >"$work/extra/notes.txt"
(cd "$work/extra" && tar -czf "$work/extra.tar.gz" policy.yaml policy.lock.json notes.txt)
resign_policy "$work/extra.tar.gz"
expect_refused "a signed tarball with an extra file" "content check failed\|holds exactly policy.yaml and policy.lock.json"
restore

sm_index_edit "$work/market" "u['_policies']['web']['groups']['default'] = 1; u['_index']['serial'] += 0; u['zz'] = {}"
expect_refused "an index altered after signing" "index signature check failed"
restore

# And the good one still bootstraps.
root=$(e2e_tmpdir)
run_roux bootstrap --source "$URL" --policy web --trust "$work/team.pub" --root "$root"
expect_rc 2 "the untampered policy"
echo "PASS: tampered published policies are refused before anything is unpacked or changed"
