#!/usr/bin/env bash
# Malicious cookbook tarballs, correctly signed by a trusted key (so only the unpacker stands in
# the way): absolute path, ../ path, a symlink out of the cookbook then a file written through it,
# a relative symlink escaping, a hard link to /etc/passwd, a device node, a FIFO, 100,000 tiny
# entries, and a 10 GiB zero-filled file compressed to ~10 MB. Each is refused with its reason,
# exit 1; nothing is written outside a temporary folder, nothing enters the cache, the root is
# untouched.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed to build the fixtures"

work=$(e2e_tmpdir)
outside=$(e2e_tmpdir)   # where an escaping entry would land
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
mkdir -p "$work/policy"

# case KIND EXPECTED_MESSAGE
case_() {
  local kind=$1 want=$2 market root before t0 t1
  market="$work/market-$kind"
  mkdir -p "$market"
  python3 "$SM_HELPERS_DIR/evil_archive.py" "$kind" "$market/evil-1.0.0.tar.gz" "$outside" ||
    fail "$kind: fixture"
  python3 - "$market" <<'PY'
import hashlib, json, sys
d = sys.argv[1]
sha = hashlib.sha256(open(d + "/evil-1.0.0.tar.gz", "rb").read()).hexdigest()
u = {"evil": {"1.0.0": {"download_url": "evil-1.0.0.tar.gz", "dependencies": {},
                        "sha256": sha, "content_sha256": "a" * 64}}}
open(d + "/universe", "w").write(json.dumps(u, indent=2) + "\n")
PY
  "$ROUX" supermarket sign "$market/evil-1.0.0.tar.gz" --key "$work/team.key" >/dev/null
  "$ROUX" supermarket sign "$market/universe" --key "$work/team.key" >/dev/null
  printf 'name: m\nsources:\n  - file://%s\nrun_list:\n  - evil\n' "$market" >"$work/policy/policy.yaml"
  root=$(e2e_tmpdir)
  mkdir -p "$root/etc" "$root/var/lib/roux"  # the state folder is roux's own; the rest must not change
  before=$(tree_checksum "$root" var/lib/roux)
  t0=$(date +%s%N)
  run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
  t1=$(date +%s%N)
  expect_rc 1 "$kind"
  grep -qF -- "unsafe archive refused" <<<"$ERR" || fail "$kind: not refused as unsafe: $ERR"
  grep -qF -- "$want" <<<"$ERR" || fail "$kind: want '$want', got: $ERR"
  [ -z "$(ls -A "$outside")" ] || fail "$kind: wrote outside: $(ls -A "$outside")"
  [ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "$kind: root changed"
  [ -z "$(ls -A "$root/var/lib/roux/cache/cookbooks" 2>/dev/null)" ] || fail "$kind: entered the cache"
  [ -z "$(ls -A "$root/var/lib/roux/cache/tmp" 2>/dev/null)" ] || fail "$kind: leftovers in the cache's work folder"
  echo "ok: $kind refused in $(((t1 - t0) / 1000000)) ms"
}

case_ absolute "absolute path"
case_ dotdot 'path contains ".."'
case_ symlink_escape "points outside the cookbook"
case_ symlink_write_through 'would be written through symlink "files/d"'
case_ symlink_relative_escape "points outside the cookbook"
case_ hardlink_escape "hard link target: absolute path"
case_ device "device files are not allowed"
case_ fifo "FIFOs are not allowed"
case_ many_entries "more than 10000 entries"
case_ zero_bomb "unpacked size would exceed the limit of 268435456 bytes"
echo "all malicious archives refused"
