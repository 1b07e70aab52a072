#!/usr/bin/env bash
# apt_repository into a --root tree (files only; the refresh is the package's, see
# sandbox_apt_repository.sh): the .sources file and the key (armored from files/, binary from a
# file:// key_url checked against key_sha256); plan changes nothing and lists exactly what converge
# then does; the second converge makes no change and downloads nothing (the key URL is gone by
# then); drift (a hand edit, a wrong mode) is put back; ensure: absent removes both files; a key
# whose SHA-256 differs is never installed; bad input is a compile error at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/apt/sources.list.d"
printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZtest\n-----END PGP PUBLIC KEY BLOCK-----\n' >"$work/armored.asc"
printf '\x99\x01\x0dbinary key bytes' >"$work/vendor.gpg"
sha=$(sha256sum "$work/vendor.gpg" | cut -d' ' -f1)
write_policy "$work" app <<EOF
resources:
  - apt_repository: internal
    uri: [https://apt.example.com/debian/, https://mirror.example.com/debian/]
    suite: bookworm
    components: [main, contrib]
    architectures: amd64
    key: armored.asc
  - apt_repository: vendor
    uri: file:/srv/vendor
    suite: ./
    key_url: file://$work/vendor.gpg
    key_sha256: $sha
EOF
mkdir -p "$work/cookbooks/app/files"
cp "$work/armored.asc" "$work/cookbooks/app/files/"

plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json" | cut -f1,2,4 | tr '\t' ' ')" = "apt_repository[internal] key sha256:$(sha256sum "$work/armored.asc" | cut -c1-12) ($(stat -c%s "$work/armored.asc") bytes)
apt_repository[internal] sources present
apt_repository[vendor] key sha256:${sha:0:12} ($(stat -c%s "$work/vendor.gpg") bytes)
apt_repository[vendor] sources present" ] || fail "unexpected changes: $(json_changes "$work/c1.json")"
diff - "$root/etc/apt/sources.list.d/internal.sources" <<'X' || fail "internal.sources"
# Managed by roux: apt_repository[internal]. Local changes will be overwritten.
Types: deb
URIs: https://apt.example.com/debian/ https://mirror.example.com/debian/
Suites: bookworm
Components: main contrib
Architectures: amd64
Signed-By: /etc/apt/keyrings/internal.asc
X
grep -qx 'Signed-By: /etc/apt/keyrings/vendor.gpg' "$root/etc/apt/sources.list.d/vendor.sources" || fail "vendor Signed-By"
cmp -s "$work/vendor.gpg" "$root/etc/apt/keyrings/vendor.gpg" || fail "vendor key (binary, downloaded)"
cmp -s "$work/armored.asc" "$root/etc/apt/keyrings/internal.asc" || fail "internal key (armored, from files/)"
[ "$(stat -c %a "$root/etc/apt/keyrings" "$root/etc/apt/keyrings/vendor.gpg")" = "755
644" ] || fail "keyring folder/key modes"

# Second converge: nothing to do, and the key URL is not read (it is gone).
mv "$work/vendor.gpg" "$work/vendor.gpg.away"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
[ "$(json_get <(printf '%s\n' "$OUT") 'r["totals"]["changed"]')" = 0 ] || fail "second converge changed"

# Drift: a hand edit and a mode are put back, plan first (exact), then converge.
echo "Trusted: yes" >>"$root/etc/apt/sources.list.d/internal.sources"
chmod 600 "$root/etc/apt/keyrings/vendor.gpg"
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan of drift"
printf '%s\n' "$OUT" >"$work/plan2.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge of drift"
printf '%s\n' "$OUT" >"$work/c2.json"
diff <(json_changes "$work/plan2.json") <(json_changes "$work/c2.json") || fail "drift: plan and converge differ"
c2=$(json_changes "$work/c2.json" | cut -f1,2 | tr '\t' ' ')
grep -qx 'apt_repository\[vendor\] key mode' <<<"$c2" || fail "mode not restored"
grep -q Trusted "$root/etc/apt/sources.list.d/internal.sources" && fail "hand edit kept"

# A key whose digest differs: the resource fails, nothing is installed.
mv "$work/vendor.gpg.away" "$work/vendor.gpg"
sed -i "s/key_sha256: .*/key_sha256: $(printf '%064d' 1)/; s/apt_repository: vendor/apt_repository: other/" \
  "$work/cookbooks/app/recipes/default.yaml"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 4 "wrong key digest"
grep -q "sha256 is $sha, expected 0000" <<<"$ERR$OUT" || fail "digest mismatch not reported"
[ ! -e "$root/etc/apt/keyrings/other.gpg" ] && [ ! -e "$root/etc/apt/sources.list.d/other.sources" ] ||
  fail "a key with the wrong digest was installed"

# ensure: absent removes the source and its key; plan first.
write_policy "$work" app <<'EOF'
resources:
  - apt_repository: internal
    ensure: absent
EOF
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan absent"
printf '%s\n' "$OUT" >"$work/plan3.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge absent"
printf '%s\n' "$OUT" >"$work/c3.json"
diff <(json_changes "$work/plan3.json") <(json_changes "$work/c3.json") || fail "absent: plan and converge differ"
[ ! -e "$root/etc/apt/sources.list.d/internal.sources" ] && [ ! -e "$root/etc/apt/keyrings/internal.asc" ] ||
  fail "absent left files"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "absent again"

# Bad input: a compile error at file:line:col, nothing changed.
write_policy "$work" app <<'EOF'
resources:
  - apt_repository: bad
    uri: "http://x/ [trusted=yes]"
    suite: bookworm
    key_url: https://k.example/key.asc
EOF
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad input"
for want in 'recipes/default.yaml:3:10: apt_repository\[bad\]: uri: "http://x/ \[trusted=yes\]" is not a URI' \
            'recipes/default.yaml:2:5: apt_repository\[bad\]: components: is required' \
            'recipes/default.yaml:2:5: apt_repository\[bad\]: key_sha256: is required with key_url'; do
  echo "$ERR" | grep -q "$want" || fail "missing error: $want; got: $ERR"
done
echo "PASS: apt_repository files, plan == converge, idempotent without download, drift, absent, digest, bad input"
