#!/usr/bin/env bash
# The sandbox harness (tests/sandbox/run.sh) runs real dpkg/apt/init scripts as root and nothing
# reaches the host: files, packages, daemons and hostname changes vanish; only loopback exists.
set -euo pipefail
SB=$ROUX_SOURCE_DIR/tests/sandbox/run.sh
marker=/etc/roux-sandbox-marker-$$
script=$(mktemp); trap 'rm -f "$script"' EXIT
cat > "$script" <<EOS
set -euo pipefail
touch $marker
[ "\$(hostname)" = roux-sandbox ]
[ "\$(ip -o link | awk -F': ' '{print \$2}' | tr '\n' ' ')" = "lo " ] || { echo "unexpected links"; ip -o link; exit 1; }
[ -x "\$ROUX" ] && [ -f /roux/src/CMakeLists.txt ]
if touch /roux/src/x 2>/dev/null; then echo "repo is writable"; exit 1; fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q rouxd >/dev/null
dpkg -s rouxd | grep -q '^Status: install ok installed'
service rouxd status
kill -0 "\$(cat /run/rouxd.pid)"
echo SANDBOX-OK
EOS
rc=0; out=$("$SB" "$script" 2>&1) || rc=$?
[ $rc = 77 ] && { echo "$out"; exit 77; }
[ $rc = 0 ] || { echo "$out"; echo "FAIL: sandbox script rc=$rc"; exit 1; }
grep -q SANDBOX-OK <<<"$out" || { echo "$out"; echo "FAIL: no OK"; exit 1; }
[ ! -e "$marker" ] || { echo "FAIL: $marker leaked to the host"; rm -f "$marker"; exit 1; }
if dpkg -s rouxd >/dev/null 2>&1; then echo "FAIL: rouxd installed on host"; exit 1; fi
[ "$(hostname)" != roux-sandbox ] || { echo "FAIL: hostname leaked"; exit 1; }
echo "PASS: sandbox isolation"
