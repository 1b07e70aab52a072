#!/usr/bin/env bash
# The parse cache (parsed recipes kept between runs) makes runs faster, never different:
# - with --root its entries live in the invoking user's $XDG_CACHE_HOME/roux/parsed, never inside
#   the tree; an entry planted in the tree's own state folder is never read (an image must not
#   steer which commands run), even one forged with the current recipe's digest;
# - plan and a run with a compile error write no entry; a clean converge does;
# - an edited recipe is compiled from its new text (the stale entry is not used);
# - a corrupted entry is ignored: the run parses the text and converges the same.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
export XDG_CACHE_HOME="$work/xdg"
cache="$XDG_CACHE_HOME/roux/parsed"
mkdir -p "$root/etc"
recipe="$work/cookbooks/app/recipes/default.yaml"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/motd
    content: "one\n"
EOF2
entries() { find "$cache" -name '*.cbor' 2>/dev/null | wc -l; }

run_roux plan --policy "$work" --root "$root"
expect_rc 2 "plan"
[ "$(entries)" = 0 ] || fail "plan wrote a parse cache entry"

run_roux converge --policy "$work" --root "$root"
expect_rc 2 "first converge"
[ "$(entries)" = 1 ] || fail "converge did not cache the recipe ($(entries) entries)"
[ ! -e "$root/var/lib/roux/cache/parsed" ] || fail "a --root run cached parsed recipes inside the tree"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "second converge"

# Edit the recipe, and plant in the tree's state folder the old tree relabelled with the new
# text's digest: a run that read it would write "one" again.
cat >"$recipe" <<'EOF2'
resources:
  - file: /etc/motd
    content: "two\n"
EOF2
mkdir -p "$root/var/lib/roux/cache/parsed"
version=$("$ROUX" --version | awk '{print $2}')
/usr/bin/python3 - "$cache" "$root/var/lib/roux/cache/parsed" "$version" "$recipe" <<'PY2'
import hashlib, os, sys
cache, planted, version, recipe = sys.argv[1:]
def digest(text): return hashlib.sha256(f"roux parse cache 3 {version}\n".encode() + text).hexdigest().encode()
(name,) = os.listdir(cache)
old = open(os.path.join(cache, name), "rb").read()
old_text = b'resources:\n  - file: /etc/motd\n    content: "one\\n"\n'
assert digest(old_text) in old, "the entry does not hold the digest this test computes"
forged = old.replace(digest(old_text), digest(open(recipe, "rb").read()))
open(os.path.join(planted, name), "wb").write(forged)
PY2
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge after the edit"
[ "$(cat "$root/etc/motd")" = two ] || fail "the edited recipe was not used (a stale or planted parse cache entry was)"

# A corrupted entry is ignored.
for f in "$cache"/*.cbor; do printf 'garbage' >"$f"; done
echo "three" >"$root/etc/motd"
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge with a corrupted cache entry"
[ "$(cat "$root/etc/motd")" = two ] || fail "wrong content after a corrupted cache entry"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "no-op after the entry was rewritten"

# A compile error writes no entry.
rm -rf "$cache"
cat >"$recipe" <<'EOF2'
resources:
  - file: /etc/motd
    contnet: "typo\n"
EOF2
run_roux converge --policy "$work" --root "$root"
expect_rc 1 "converge with a compile error"
[ "$(entries)" = 0 ] || fail "a failed compile wrote a parse cache entry"
echo "PASS: parse cache outside the tree (a planted, forged entry is never read), plan and errors write none, edits and corruption handled"
