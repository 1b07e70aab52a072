#!/usr/bin/env bash
# roux supermarket publish: validates the cookbook first (a bad recipe publishes nothing), packs a
# reproducible tarball (same content -> same bytes, whatever the mtimes, in any folder), signs it,
# adds it to the index; re-publishing identical content is a no-op, different content under the
# same version is refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/k"
expect_rc 0 "keygen"
[ "$(stat -c %a "$work/k.key")" = 600 ] || fail "private key mode"
run_roux keygen --out "$work/k"
expect_rc 1 "keygen refuses to overwrite a key"

make_cookbook "$work/src" web 1.0.0
mkdir -p "$work/src/web/files" && echo hi >"$work/src/web/files/index.html"
run_roux supermarket publish "$work/src/web" --to "$work/m1" --key "$work/k.key"
expect_rc 0 "publish"
grep -q "published web 1.0.0" <<<"$OUT" || fail "publish output: $OUT"
for f in universe universe.sig web-1.0.0.tar.gz web-1.0.0.tar.gz.sig; do
  [ -f "$work/m1/$f" ] || fail "missing $f"
done
ls -A "$work/m1" | grep -q -- '-tmp\|\.publish-' && fail "temp files left: $(ls -A "$work/m1")"
sha=$(sha256sum <"$work/m1/web-1.0.0.tar.gz" | cut -d' ' -f1)
python3 - "$work/m1/universe" "$sha" <<'PY' || fail "index entry"
import json, sys
e = json.load(open(sys.argv[1]))["web"]["1.0.0"]
assert e["sha256"] == sys.argv[2] and e["download_url"] == "web-1.0.0.tar.gz", e
PY
if command -v python3 >/dev/null && python3 -c 'import jsonschema' 2>/dev/null; then
  python3 - "$ROUX_SOURCE_DIR/schemas/supermarket_index.schema.json" "$work/m1/universe" <<'PY' || fail "index violates its schema"
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
PY
fi

# Reproducible: new mtimes, another folder, same bytes; gzip carries no timestamp.
cp -a "$work/src/web" "$work/copy"
touch -d '2001-02-03 04:05:06' "$work/copy/metadata.yaml" "$work/copy/files/index.html"
chmod 0600 "$work/copy/recipes/default.yaml"
sleep 1
run_roux supermarket publish "$work/copy" --to "$work/m2" --key "$work/k.key"
expect_rc 0 "publish the copy"
cmp "$work/m1/web-1.0.0.tar.gz" "$work/m2/web-1.0.0.tar.gz" || fail "same content gave different bytes"
[ "$(od -An -tx1 -j4 -N4 "$work/m1/web-1.0.0.tar.gz" | tr -d ' ')" = 00000000 ] || fail "gzip header has a timestamp"
tar -tzvf "$work/m1/web-1.0.0.tar.gz" | grep -v ' root/root ' && fail "owner is not root/root"
tar -tzf "$work/m1/web-1.0.0.tar.gz" | LC_ALL=C sort -c || fail "entries are not sorted"

# Identical content again: nothing to do, nothing rewritten.
before=$(tree_checksum "$work/m1" .publish.lock)
run_roux supermarket publish "$work/src/web" --to "$work/m1" --key "$work/k.key"
expect_rc 0 "republish identical"
grep -q "already published with this content" <<<"$OUT" || fail "identical republish: $OUT"
[ "$(tree_checksum "$work/m1" .publish.lock)" = "$before" ] || fail "identical republish rewrote files"

# Different content, same version: refused, nothing changes.
idx_before=$(sha256sum <"$work/m1/universe")
tar_before=$(sha256sum <"$work/m1/web-1.0.0.tar.gz")
echo changed >"$work/src/web/files/index.html"
run_roux supermarket publish "$work/src/web" --to "$work/m1" --key "$work/k.key"
expect_rc 1 "republish different content"
grep -q "already published in .* with different content" <<<"$ERR" || fail "conflict message: $ERR"
[ "$(sha256sum <"$work/m1/universe")" = "$idx_before" ] || fail "index changed"
[ "$(sha256sum <"$work/m1/web-1.0.0.tar.gz")" = "$tar_before" ] || fail "tarball changed"

# A bad recipe is reported at file:line:col and nothing is published.
make_cookbook "$work/src" broken 1.0.0
printf 'resources:\n  - file: /etc/x\n    colour: blue\n' >"$work/src/broken/recipes/default.yaml"
run_roux supermarket publish "$work/src/broken" --to "$work/m1" --key "$work/k.key"
expect_rc 1 "publish a broken cookbook"
grep -q "default.yaml:3:5" <<<"$ERR" || fail "error location: $ERR"
[ ! -e "$work/m1/broken-1.0.0.tar.gz" ] || fail "broken cookbook was published"
python3 -c 'import json,sys; assert "broken" not in json.load(open(sys.argv[1]))' "$work/m1/universe" || fail "broken in index"
echo ok
