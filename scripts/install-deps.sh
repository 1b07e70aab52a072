#!/usr/bin/env bash
# Installs what roux needs to build and test, from Debian 12 packages only. Idempotent; quick
# when everything is already there. Run as root.
set -euo pipefail
BUILD_DEPS=(cmake ninja-build g++ pkg-config
  libyaml-cpp-dev libgit2-dev libssl-dev nlohmann-json3-dev libcli11-dev libarchive-dev
  doctest-dev libcurl4-openssl-dev libkainjow-mustache-dev)
# Tests: schema checks (python3-jsonschema, python3-yaml), git fixtures, .deb fixtures and the
# sandbox (dpkg-dev, debootstrap, util-linux for unshare), loopback HTTP servers (python3).
TEST_DEPS=(python3 python3-jsonschema python3-yaml git dpkg-dev util-linux procps strace time debootstrap iproute2 openssl systemd-container
  nginx)  # nginx: the bench_fleet_smoke scenario runs bench/fleet.sh against it
# The .deb (scripts/package.sh; tests/e2e/package_deb.sh and the sandbox install tests): debhelper,
# lintian, groff (man page checks), ccache (the tests build the package twice: a second version
# of the same tree). (systemd-analyze, for the units, comes with systemd-container.)
PACKAGE_DEPS=(debhelper lintian groff-base dpkg-dev ccache)
# The scale bench (bench/fleet.sh): one nginx on 127.0.0.1 that the bench starts itself, with its
# own config (Debian's package also enables its own service on port 80: stop it if unwanted).
BENCH_DEPS=(nginx)
want=("${BUILD_DEPS[@]}")
[ "${1:-}" = "--with-tests" ] && want+=("${TEST_DEPS[@]}" "${PACKAGE_DEPS[@]}")
[ "${1:-}" = "--with-package" ] && want+=("${PACKAGE_DEPS[@]}")
[ "${1:-}" = "--with-bench" ] && want+=("${BENCH_DEPS[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi
