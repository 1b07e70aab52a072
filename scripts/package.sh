#!/usr/bin/env bash
# package.sh [OUT_DIR]: builds the Debian package roux_<version>_<arch>.deb from this source tree
# into OUT_DIR (default ./dist), checks it with lintian, and prints its path (last line).
#
#   bash scripts/package.sh            # -> dist/roux_0.1.0_amd64.deb
#   sudo apt install ./dist/roux_*.deb
#
# The version is the project's (project(roux VERSION ...) in CMakeLists.txt, the one source of
# truth): debian/changelog is written from it here. ROUX_DEB_VERSION_SUFFIX (tests only, e.g.
# "+test1") makes a newer package of the same tree; `roux --version` then prints it too.
# The tree is copied (tracked and untracked-but-not-ignored files; never build folders) to
# OUT_DIR/.work/roux and built there with dpkg-buildpackage, so the checkout stays clean; the
# work folder keeps its path between builds so ccache (used when installed) hits.
# Missing build dependencies are installed with scripts/install-deps.sh --with-package when run
# as root; otherwise the script names them. ROUX_JOBS: parallel jobs (default: nproc).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/dist}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

version=$(sed -n 's/^project(roux VERSION \([0-9][0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$version" ] || { echo "package.sh: no project(roux VERSION x.y.z) in CMakeLists.txt" >&2; exit 1; }
version+=${ROUX_DEB_VERSION_SUFFIX:-}
[[ $version =~ ^[0-9][0-9.]*([+~][0-9A-Za-z.+~]*)?$ ]] || { echo "package.sh: bad version $version" >&2; exit 1; }

need=(dpkg-buildpackage dh lintian)
missing=0
for c in "${need[@]}"; do command -v "$c" >/dev/null || missing=1; done
if [ $missing = 1 ] || ! (cd "$SRC" && dpkg-checkbuilddeps >/dev/null 2>&1); then
  if [ "$(id -u)" = 0 ]; then
    bash "$SRC/scripts/install-deps.sh" --with-package
  else
    echo "package.sh: missing build dependencies; as root run: bash scripts/install-deps.sh --with-package" >&2
    (cd "$SRC" && dpkg-checkbuilddeps) || true
    exit 1
  fi
fi

WORK=$OUT/.work
TREE=$WORK/roux
rm -rf "$TREE" "$WORK"/*.deb "$WORK"/*.changes "$WORK"/*.buildinfo
mkdir -p "$TREE"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$SRC" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
     [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -xf - -C "$TREE"
  date_r=$(git -C "$SRC" log -1 --format=%cD 2>/dev/null || date -R)
else
  (cd "$SRC" && tar --exclude='./build*' --exclude=./dist --exclude=./.git -cf - .) | tar -xf - -C "$TREE"
  date_r=$(date -R)
fi
cat >"$TREE/debian/changelog" <<CL
roux ($version) unstable; urgency=medium

  * roux $version, packaged by scripts/package.sh from the project version
    in CMakeLists.txt.

 -- roux maintainers <roux@example.invalid>  $date_r
CL

# ccache, when installed: CMake takes the launcher from the environment.
# CCACHE_BASEDIR makes the tree's absolute paths relative in ccache's hash, so a copy of the
# tree at another path hits too.
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache CCACHE_BASEDIR=$TREE
fi
export DEB_BUILD_OPTIONS="parallel=${ROUX_JOBS:-$(nproc)} nocheck ${DEB_BUILD_OPTIONS:-}"
t0=$(date +%s)
(cd "$TREE" && dpkg-buildpackage -b -us -uc) >"$WORK/build.log" 2>&1 || {
  tail -40 "$WORK/build.log" >&2
  echo "package.sh: dpkg-buildpackage failed (full log: $WORK/build.log)" >&2
  exit 1
}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=roux_${version}_${arch}.deb
[ -f "$WORK/$deb" ] || { echo "package.sh: $WORK/$deb was not built" >&2; exit 1; }
mv "$WORK/$deb" "$OUT/$deb"
echo "package.sh: built $OUT/$deb in $(( $(date +%s) - t0 )) s ($(du -k "$OUT/$deb" | cut -f1) KB)" >&2

# lintian: no error may remain (the warnings kept are listed, with why, in docs/install.md).
if ! lintian --fail-on error --profile debian "$OUT/$deb" >"$WORK/lintian.log" 2>&1; then
  cat "$WORK/lintian.log" >&2
  echo "package.sh: lintian reports errors" >&2
  exit 1
fi
[ -s "$WORK/lintian.log" ] && sed 's/^/lintian: /' "$WORK/lintian.log" >&2
echo "$OUT/$deb"
