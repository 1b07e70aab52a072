#!/usr/bin/env bash
# Every kind of tampering with a signed supermarket is refused before a byte is unpacked: the
# message says which check failed, exit 1, nothing enters the cookbook cache, and the --root is
# untouched. Each case starts from a fresh copy of a good supermarket, served over HTTP.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/team"
expect_rc 0 "keygen team"
run_roux keygen --out "$work/evil"
expect_rc 0 "keygen evil"
evil_id=$(sed -n 's/^key id //p' <<<"$OUT")
[ ${#evil_id} = 16 ] || fail "keygen prints the key id: $OUT"
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/good" --key "$work/team.key"
expect_rc 0 "publish base 1.0.0"
make_cookbook "$work/src" base 1.1.0
run_roux supermarket publish "$work/src/base" --to "$work/good" --key "$work/team.key"
expect_rc 0 "publish base 1.1.0"

# The served folder; each case rebuilds it from the good copy, then tampers.
serve="$work/served"
mkdir -p "$serve"
start_server "$serve" SRV
url="http://127.0.0.1:$SRV_PORT"
mkdir -p "$work/policy"
printf 'name: t\nsources:\n  - %s\nrun_list:\n  - base\ncookbooks:\n  base: "= 1.0.0"\n' "$url" >"$work/policy/policy.yaml"

fresh() {
  rm -rf "${serve:?}"/*
  cp -a "$work/good/." "$serve/"
}

# refused NAME EXPECTED_MESSAGE [TRUST_ARGS...]: converge must exit 1 with the message, leave the
# root as it was (the state folder aside) and put nothing in the cache.
refused() {
  local name=$1 want=$2
  shift 2
  local trust=("$@")
  [ ${#trust[@]} -gt 0 ] || trust=(--trust "$work/team.pub")
  local root
  root=$(e2e_tmpdir)
  mkdir -p "$root/etc" "$root/var/lib/roux"  # the state folder is roux's own; the rest must not change
  echo keep >"$root/etc/base.conf"
  local before
  before=$(tree_checksum "$root" var/lib/roux)
  run_roux converge --policy "$work/policy" --root "$root" "${trust[@]}"
  expect_rc 1 "$name"
  grep -qF -- "$want" <<<"$ERR" || fail "$name: want message containing '$want', got: $ERR"
  [ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "$name: the root changed"
  if [ -d "$root/var/lib/roux/cache/cookbooks" ] && [ -n "$(ls -A "$root/var/lib/roux/cache/cookbooks")" ]; then
    fail "$name: something entered the cache: $(ls "$root/var/lib/roux/cache/cookbooks")"
  fi
  if [ -d "$root/var/lib/roux/cache/tmp" ] && [ -n "$(ls -A "$root/var/lib/roux/cache/tmp")" ]; then
    fail "$name: leftovers in the cache's work folder"
  fi
  echo "ok: $name"
}

# Control: the good supermarket converges.
fresh
root=$(e2e_tmpdir)
mkdir -p "$root/etc"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 2 "control: untampered supermarket converges"
[ "$(cat "$root/etc/base.conf")" = "base 1.0.0" ] || fail "control content"

tar=base-1.0.0.tar.gz
fresh; flip_byte "$serve/$tar" 200
refused "flipped byte in the tarball" "signature check failed: the signature does not match the content"

fresh; flip_byte "$serve/$tar.sig" -10
refused "flipped byte in the tarball's signature" "base 1.0.0 ($url/$tar): signature check failed"

fresh; sm_index_edit "$serve" 'u["base"]["1.0.0"]["sha256"] = "0" * 64'
refused "index sha256 altered" "index signature check failed"

fresh; sm_index_edit "$serve" 'u["base"]["1.0.0"]["sha256"] = "0" * 64'
"$ROUX" supermarket sign "$serve/universe" --key "$work/team.key" >/dev/null
refused "index sha256 altered and re-signed by the team key" "sha256 check failed: the tarball's sha256 is"

fresh; "$ROUX" supermarket sign "$serve/$tar" --key "$work/evil.key" >/dev/null
refused "tarball signed by an untrusted key" "signature check failed: signed by key $evil_id, which is not trusted"

fresh; rm "$serve/$tar.sig"
refused "unsigned tarball" "signature check failed: the tarball is unsigned"

fresh; cp "$serve/base-1.1.0.tar.gz" "$serve/$tar"; cp "$serve/base-1.1.0.tar.gz.sig" "$serve/$tar.sig"
refused "tarball and signature swapped for another version's" "sha256 check failed"

fresh; cp "$serve/base-1.1.0.tar.gz" "$serve/$tar"
refused "tarball swapped, signature kept" "signature check failed: the signature does not match"

fresh; rm "$serve/$tar"
refused "index points to a missing file" "download failed: the index points to a missing file"

fresh; truncate -s 100 "$serve/$tar"
refused "truncated tarball" "signature check failed: the signature does not match"

fresh; flip_byte "$serve/universe.sig" -10
refused "index signature tampered" "index signature check failed"

fresh; rm "$serve/universe.sig"
refused "unsigned index" "index signature check failed: the index is unsigned"

fresh; "$ROUX" supermarket sign "$serve/universe" --key "$work/evil.key" >/dev/null
refused "index signed by an untrusted key" "which is not trusted"

fresh; sm_index_edit "$serve" 'u["base"]["1.0.0"]["content_sha256"] = "0" * 64'
"$ROUX" supermarket sign "$serve/universe" --key "$work/team.key" >/dev/null
refused "index content_sha256 altered and re-signed" "content check failed"

fresh
refused "wrong key file: a private key given as trusted" "is a private key" --trust "$work/team.key"
refused "wrong key file: not a key" "not an Ed25519 public key" --trust "$work/policy/policy.yaml"
refused "trusted only an unrelated key" "which is not trusted" --trust "$work/evil.pub"
refused "no trusted keys at all" "no trusted keys configured" --config /dev/null
# The lockfile pins base 1.0.0's content; the same version is then re-published with other content
# and the index re-signed by the team key (a compromised publisher): the lockfile check refuses it.
fresh
lockroot=$(e2e_tmpdir)
run_roux lock --policy "$work/policy" --root "$lockroot" --trust "$work/team.pub"
expect_rc 0 "lock"
printf 'resources:\n  - file: /etc/base.conf\n    content: "replaced\\n"\n' >"$work/src/base/recipes/default.yaml"
printf 'name: base\nversion: 1.0.0\n' >"$work/src/base/metadata.yaml"
run_roux supermarket publish "$work/src/base" --to "$work/other" --key "$work/team.key"
expect_rc 0 "publish the replacement"
cp "$work/other/base-1.0.0.tar.gz" "$work/other/base-1.0.0.tar.gz.sig" "$serve/"
python3 - "$serve/universe" "$work/other/universe" <<'PY'
import json, sys
u, o = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
u["base"]["1.0.0"] = o["base"]["1.0.0"]
open(sys.argv[1], "w").write(json.dumps(u, indent=2, sort_keys=True) + "\n")
PY
"$ROUX" supermarket sign "$serve/universe" --key "$work/team.key" >/dev/null
refused "locked version re-published with other content" "lockfile check failed: the lockfile pins content sha256"
rm -f "$work/policy/policy.lock.json"
echo "all tampering cases refused"
