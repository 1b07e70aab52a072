#!/usr/bin/env bash
# deb.sh [CACHE_DIR] [VERSION_SUFFIX] -> prints the path of roux's .deb built from this source tree.
#
# For tests that install roux the way a user does (apt install ./roux_*.deb into the sandbox):
#   deb=$(bash "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh") || exit $?     # 77 = cannot build: skip
#   new=$(bash "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh" "" +test1)      # a newer version, same tree
# Building takes minutes, so each .deb is cached in CACHE_DIR/deb-<key>/, where <key> hashes the
# source tree (tracked and untracked-but-not-ignored files, paths and contents) and the suffix;
# builds run one at a time (flock) in CACHE_DIR/deb-build, a fixed path, so ccache hits across
# builds. CACHE_DIR defaults to $ROUX_SANDBOX_CACHE, else <build dir of $ROUX>/sandbox, like
# run.sh's images. Exit 77 with the reason when the package tools are missing (debhelper,
# dpkg-buildpackage, lintian: scripts/install-deps.sh --with-tests installs them).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CACHE=${1:-}
SUFFIX=${2:-}
if [ -z "$CACHE" ]; then
  if [ -n "${ROUX_SANDBOX_CACHE:-}" ]; then CACHE=$ROUX_SANDBOX_CACHE
  elif [ -n "${ROUX:-}" ]; then CACHE=$(dirname "$(readlink -f "$ROUX")")/sandbox
  else CACHE=$SRC/build/sandbox; fi
fi
for c in dpkg-buildpackage dh lintian dpkg-checkbuilddeps; do
  command -v "$c" >/dev/null || { echo "deb.sh: SKIP: $c missing (scripts/install-deps.sh --with-tests)" >&2; exit 77; }
done
(cd "$SRC" && dpkg-checkbuilddeps) >/dev/null 2>&1 ||
  { echo "deb.sh: SKIP: build dependencies missing: $(cd "$SRC" && dpkg-checkbuilddeps 2>&1 | tail -1)" >&2; exit 77; }

tree_files() {
  if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$SRC" ls-files -z --cached --others --exclude-standard
  else
    (cd "$SRC" && find . \( -path ./.git -o -path './build*' -o -path ./dist \) -prune -o -type f -printf '%P\0')
  fi
}
# Files that never reach the package (tests, docs, benchmarks) are not part of the key, so editing
# a test does not rebuild the package.
key=$( (cd "$SRC" && tree_files | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
          case "$f" in (tests/*|docs/*|bench/*|fuzz/*|*.md) continue ;; esac
          [ -f "$f" ] && printf '%s %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"; done
        echo "suffix=$SUFFIX") | sha256sum | cut -c1-16)
OUT=$CACHE/deb-$key
found() { ls "$OUT"/roux_*.deb 2>/dev/null | head -1; }
if [ -f "$OUT/.complete" ]; then found; exit 0; fi
mkdir -p "$CACHE"
exec 9>"$CACHE/deb.lock"
flock 9
if [ -f "$OUT/.complete" ]; then found; exit 0; fi
echo "deb.sh: building roux .deb (suffix '${SUFFIX}') for tree $key" >&2
deb=$(ROUX_DEB_VERSION_SUFFIX=$SUFFIX bash "$SRC/scripts/package.sh" "$CACHE/deb-build" | tail -1)
rm -rf "$OUT" && mkdir -p "$OUT"
mv "$deb" "$OUT/"
cp "$CACHE/deb-build/.work/lintian.log" "$OUT/lintian.log" 2>/dev/null || true
touch "$OUT/.complete"
# Keep the 6 newest packages; the rest are old trees.
ls -dt "$CACHE"/deb-*/ 2>/dev/null | grep -v '/deb-build/$' | tail -n +7 | xargs -r rm -rf --
found
