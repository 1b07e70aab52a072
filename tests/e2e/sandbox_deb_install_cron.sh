#!/usr/bin/env bash
# The .deb as a user installs it, in the sandbox (tests/sandbox/run.sh) on the blank golden image
# with the build tree unmounted: `apt-get install ./roux_V.deb` puts roux on PATH at /usr/bin and
# prints V; /var/lib/roux is 0700 root, /var/log/roux 0750 root:adm; the timer is not enabled;
# unconfigured, a bare `roux converge` changes nothing (exit 1, "no policy"). An admin's edits
# to /etc/roux/client.yaml survive a reinstall and an upgrade to a newer .deb (V+test1). Then the
# shipped cron.d line, changed only in its schedule (every minute) and uncommented as docs say,
# runs under the real cron daemon: within ~70 s (the host name is chosen so the fixed --splay
# delay is under 5 s) roux converges the policy named in client.yaml and its output is in
# /var/log/roux/roux.log. Prints the install time. Skips (77) without the sandbox or the tools.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rc=0; deb1=$(bash "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh") || rc=$?
[ $rc = 77 ] && skip "cannot build the .deb here"
[ $rc = 0 ] || fail "building the .deb failed"
deb2=$(bash "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh" "" +test1) || fail "building the +test1 .deb failed"
script=$(mktemp /tmp/roux-sb-deb.XXXXXX)
trap 'rm -f "$script"' EXIT
cat >"$script" <<'EOS'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
# No build tree: the sandbox binds it by default; this scenario is a host that never saw one.
umount /roux/build /roux/src
unset ROUX ROUX_SOURCE_DIR
command -v roux >/dev/null && fail "roux is on the blank image already"
deb1=$(ls /debs/v1/roux_*.deb); deb2=$(ls /debs/v2/roux_*.deb)
v1=$(dpkg-deb -f "$deb1" Version); v2=$(dpkg-deb -f "$deb2" Version)
export DEBIAN_FRONTEND=noninteractive
t0=$(date +%s.%N)
apt-get install -y -q "$deb1" </dev/null >/tmp/apt1.log 2>&1 || { cat /tmp/apt1.log; fail "apt-get install $deb1"; }
t1=$(date +%s.%N)
echo "INSTALL-SECONDS $(echo "$t1 - $t0" | bc 2>/dev/null || python3 -c "print(round($t1-$t0,2))")"
[ "$(command -v roux)" = /usr/bin/roux ] || fail "roux is not /usr/bin/roux: $(command -v roux)"
[ "$(roux --version)" = "roux $v1" ] || fail "roux --version: $(roux --version), want $v1"
[ "$(stat -c '%a %U %G' /var/lib/roux)" = "700 root root" ] || fail "/var/lib/roux: $(stat -c '%a %U %G' /var/lib/roux)"
[ "$(stat -c '%a %U %G' /var/log/roux)" = "750 root adm" ] || fail "/var/log/roux: $(stat -c '%a %U %G' /var/log/roux)"
ls /etc/systemd/system/timers.target.wants/roux.timer 2>/dev/null && fail "the timer was enabled by the install"
[ -f /usr/share/bash-completion/completions/roux ] && [ -f /usr/share/man/man1/roux.1.gz ] || fail "completion or man page missing"
rc=0; roux converge >/tmp/unconf.out 2>&1 || rc=$?
[ $rc = 1 ] && grep -q 'no policy' /tmp/unconf.out || fail "unconfigured converge: rc $rc: $(cat /tmp/unconf.out)"

# The admin configures the host: a policy in /etc/roux, client.yaml edited (a conffile).
mkdir -p /etc/roux/policy/cookbooks/crontest/recipes
printf 'name: crontest\nversion: 1.0.0\n' >/etc/roux/policy/cookbooks/crontest/metadata.yaml
printf 'resources:\n  - file: /var/tmp/roux-cron-proof\n    content: "converged by cron\\n"\n' \
  >/etc/roux/policy/cookbooks/crontest/recipes/default.yaml
printf 'name: cron\nsources:\n  - cookbooks\nrun_list:\n  - crontest\n' >/etc/roux/policy/policy.yaml
sed -i 's|^#policy: /etc/roux/policy/policy.yaml$|policy: /etc/roux/policy|' /etc/roux/client.yaml
echo "# edited by the admin" >>/etc/roux/client.yaml
grep -qx 'policy: /etc/roux/policy' /etc/roux/client.yaml || fail "could not set policy: in client.yaml"
edited=$(sha256sum /etc/roux/client.yaml)
apt-get install -y -q --reinstall "$deb1" </dev/null >/tmp/apt2.log 2>&1 || { cat /tmp/apt2.log; fail "reinstall"; }
[ "$(sha256sum /etc/roux/client.yaml)" = "$edited" ] || fail "reinstall clobbered client.yaml"
apt-get install -y -q "$deb2" </dev/null >/tmp/apt3.log 2>&1 || { cat /tmp/apt3.log; fail "upgrade to $v2"; }
[ "$(roux --version)" = "roux $v2" ] || fail "after the upgrade: $(roux --version), want $v2"
[ "$(sha256sum /etc/roux/client.yaml)" = "$edited" ] || fail "the upgrade clobbered client.yaml"
[ "$(stat -c '%a' /var/lib/roux)" = 700 ] || fail "upgrade changed /var/lib/roux's mode"

# The cron line. --splay 3600 waits FNV-1a(fqdn) % 3600 s (src/cli/converge.cc): pick a host name
# whose delay is under 5 s (the fqdn is the host name when /etc/hosts does not name it).
read -r name s < <(python3 -c '
for i in range(100000):
    name = "cron-%d" % i
    h = 2166136261
    for c in name.encode(): h = ((h ^ c) * 16777619) & 0xffffffff
    if h % 3600 < 5:
        print(name, h % 3600); break')
hostname "$name"
fqdn=$(roux facts --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fqdn"])')
[ "$fqdn" = "$name" ] || fail "fqdn $fqdn, want the host name $name"
echo "host $fqdn: splay ${s}s"
line=$(grep '^#17 3 \* \* \* root ' /etc/cron.d/roux) || fail "shipped cron.d line not found"
sed -i 's|^#17 3 \* \* \* root |* * * * * root |' /etc/cron.d/roux   # enable it, every minute
grep -q '^\* \* \* \* \* root test -x /usr/bin/roux' /etc/cron.d/roux || fail "could not enable the cron line"
[ "$(grep -c '^[^#]*roux converge' /etc/cron.d/roux)" = 1 ] || fail "cron.d should hold exactly one active line"
rm -f /var/log/roux/roux.log /var/tmp/roux-cron-proof
/usr/sbin/cron || fail "cron did not start"
deadline=$(( $(date +%s) + 130 ))
until [ -f /var/tmp/roux-cron-proof ] && grep -q '^converge: ' /var/log/roux/roux.log 2>/dev/null; do
  [ "$(date +%s)" -lt "$deadline" ] || { cat /var/log/roux/roux.log 2>/dev/null; ps ax; fail "cron did not run roux within 130 s"; }
  sleep 1
done
echo "--- /var/log/roux/roux.log:"; cat /var/log/roux/roux.log
grep -q '^== .*: roux converge started by cron$' /var/log/roux/roux.log || fail "no 'started by cron' line in the log"
[ "$(cat /var/tmp/roux-cron-proof)" = "converged by cron" ] || fail "proof file: $(cat /var/tmp/roux-cron-proof)"
roux history --format json >/tmp/history.json || fail "roux history"
python3 -c 'import json,sys; h=json.load(open("/tmp/history.json")); print("history:", h if not isinstance(h, list) else h[-1])'
echo SANDBOX-DEB-CRON-OK
EOS
rc=0
out=$("$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$script" --bind "$(dirname "$deb1"):/debs/v1" --bind "$(dirname "$deb2"):/debs/v2" 2>&1) || rc=$?
[ $rc = 77 ] && { echo "$out"; exit 77; }
echo "$out"
[ $rc = 0 ] || fail "sandbox scenario rc=$rc"
grep -q SANDBOX-DEB-CRON-OK <<<"$out" || fail "no OK line"
[ -e /usr/bin/roux ] && [ "$(readlink -f /usr/bin/roux)" != "$(readlink -f "$ROUX")" ] && dpkg -s roux >/dev/null 2>&1 && fail "roux got installed on the host"
echo "PASS: .deb installs in the sandbox, conffile edits survive reinstall and upgrade, the cron line runs roux"
