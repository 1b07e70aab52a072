#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): apt_repository + package from a local repository signed with
# this test's own throwaway gpg key, then `monitoring_agent: datadog` installing a fake
# datadog-agent from a second signed repository (served over http on 127.0.0.1) that the recipe
# names with a key URL + sha256.
#  1. apt_repository (armored key from the cookbook, file: URI, flat) + package: plan changes
#     nothing on the sandbox and lists the key, the .sources file, ONE apt_update (refresh) and
#     the install; converge makes exactly those changes; the second converge makes none.
#  2. client.yaml apt_update: {max_age: 1s}: once the last refresh is older, a package that needs
#     candidates (ensure: latest) refreshes again, in plan and converge alike; a no-op otherwise.
#  3. datadog: binary key from key_url (checked against key_sha256), the agent installed from
#     the repository, its check config written, its service running; plan == converge; 2nd = 0.
#  4. bad input: a key file that is not a key is a compile error at file:line:col; a key_url
#     whose content does not match key_sha256 fails the resource and installs nothing.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then
  # Outside: build both repositories and sign them with a throwaway key (gpg runs on the host,
  # in a private GNUPGHOME; the sandbox only has gpgv, which apt uses to verify).
  command -v gpg >/dev/null || { echo "SKIP: gpg is not installed"; exit 77; }
  command -v dpkg-scanpackages >/dev/null || { echo "SKIP: dpkg-scanpackages (dpkg-dev) is not installed"; exit 77; }
  W=$(mktemp -d /tmp/roux-aptrepo.XXXXXX)
  trap 'GNUPGHOME=$W/g gpgconf --kill all 2>/dev/null || true; rm -rf "$W"' EXIT
  chmod 755 "$W"
  export GNUPGHOME=$W/g
  mkdir -m 700 "$GNUPGHOME"
  gpg -q --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'roux test <roux@example.invalid>' ed25519 sign never 2>/dev/null
  gpg -q --armor --export > "$W/key.asc"
  gpg -q --export > "$W/key.gpg"
  deb() { # dir name version
    mkdir -p "$1/DEBIAN"
    printf 'Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: roux tests <roux@example.invalid>\nDescription: roux test fixture\n' \
      "$2" "$3" > "$1/DEBIAN/control"
  }
  d=$W/b/rouxhello; mkdir -p "$d/usr/bin"; deb "$d" rouxhello 1.0-1
  printf '#!/bin/sh\necho hello from rouxhello\n' > "$d/usr/bin/rouxhello"; chmod 755 "$d/usr/bin/rouxhello"
  mkdir -p "$W/repo1" "$W/repo2"
  dpkg-deb --root-owner-group --build "$d" "$W/repo1/rouxhello_1.0-1_all.deb" >/dev/null
  # A fake datadog-agent: the layout roux's datadog expansion writes into (conf.d/<check>.d/),
  # a daemon with a SysV init script its postinst starts, as the real package does.
  d=$W/b/dd; mkdir -p "$d/opt/datadog-agent/bin" "$d/etc/init.d" "$d/etc/datadog-agent/conf.d/tcp_check.d" \
    "$d/etc/datadog-agent/conf.d/http_check.d"
  deb "$d" datadog-agent 1:7.50.0-1
  touch "$d/etc/datadog-agent/conf.d/tcp_check.d/conf.yaml.example" "$d/etc/datadog-agent/conf.d/http_check.d/conf.yaml.example"
  printf '#!/bin/sh\ntrap "exit 0" TERM\nwhile :; do sleep 1 & wait $!; done\n' > "$d/opt/datadog-agent/bin/agent"
  chmod 755 "$d/opt/datadog-agent/bin/agent"
  cat > "$d/etc/init.d/datadog-agent" <<'X'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          datadog-agent
# Required-Start:    $local_fs
# Required-Stop:     $local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: fake datadog agent (roux tests)
### END INIT INFO
. /lib/lsb/init-functions
PID=/run/datadog-agent.pid
do_start() { start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PID --startas /bin/sh -- /opt/datadog-agent/bin/agent; }
do_stop() { start-stop-daemon --stop --quiet --retry TERM/5 --remove-pidfile --pidfile $PID; }
case "$1" in
  start) do_start; rc=$?; [ $rc = 1 ] && rc=0; exit $rc ;;
  stop) do_stop; rc=$?; [ $rc = 1 ] && rc=0; exit $rc ;;
  restart|force-reload|reload) do_stop; do_start ;;
  status) status_of_proc -p $PID /bin/sh datadog-agent; exit $? ;;
  *) exit 2 ;;
esac
X
  chmod 755 "$d/etc/init.d/datadog-agent"
  printf '#!/bin/sh\nset -e\nupdate-rc.d datadog-agent defaults >/dev/null\ninvoke-rc.d datadog-agent start || true\n' > "$d/DEBIAN/postinst"
  printf '#!/bin/sh\ninvoke-rc.d datadog-agent stop || true\n' > "$d/DEBIAN/prerm"
  chmod 755 "$d/DEBIAN/postinst" "$d/DEBIAN/prerm"
  dpkg-deb --root-owner-group --build "$d" "$W/repo2/datadog-agent_7.50.0-1_all.deb" >/dev/null
  for r in repo1 repo2; do
    ( cd "$W/$r" && dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null && gzip -9kf Packages
      { echo "Origin: roux-test"; echo "Label: roux-test $r"; echo "Suite: stable"; echo "Codename: roux-$r"
        echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"; echo "SHA256:"
        for f in Packages Packages.gz; do echo " $(sha256sum $f | cut -d' ' -f1) $(stat -c%s $f) $f"; done; } > Release
      gpg -q --batch --yes --clearsign -o InRelease Release )
  done
  cp "$W/key.gpg" "$W/repo2/key.gpg"
  rc=0; "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0" --bind "$W:/srv/t" || rc=$?
  exit $rc
fi

. /roux/src/tests/sandbox/pkgsvc_lib.sh
KEY_SHA=$(sha256sum /srv/t/key.gpg | cut -d' ' -f1)

# policy DIR RECIPE_YAML [FILE...]: cookbook "app" with files/ copied from FILE...
policy() {
  local dir=$1; rm -rf "$dir"; mkdir -p "$dir/cookbooks/app/recipes" "$dir/cookbooks/app/files"
  printf 'name: apt\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > "$dir/policy.yaml"
  printf 'name: app\nversion: 1.0.0\n' > "$dir/cookbooks/app/metadata.yaml"
  printf '%s' "$2" > "$dir/cookbooks/app/recipes/default.yaml"
  shift 2
  for f in "$@"; do cp "$f" "$dir/cookbooks/app/files/"; done
}
# run MODE POLICY REPORT [ARGS...]: roux with the JSON report; prints the text output.
run() {
  local mode=$1 dir=$2 report=$3 rc=0; shift 3
  "$ROUX" "$mode" --policy "$dir" --report "$report" --no-color "$@" > "$report.txt" 2>&1 || rc=$?
  cat "$report.txt"
  return $rc
}
plan_equals_converge() { # PLAN.json CONVERGE.json
  diff <(changes "$1") <(changes "$2") || fail "plan and converge differ (< plan, > converge)"
}

# ---- 1. apt_repository + package from it ----
P=/tmp/p1
policy $P '
resources:
  - apt_repository: rouxtest
    uri: file:/srv/t/repo1
    suite: ./
    key: key.asc
  - package: rouxhello
    requires: apt_repository[rouxtest]
' /srv/t/key.asc
before=$(snapshot)
expect_rc 2 run plan $P /tmp/plan1.json
[ "$(snapshot)" = "$before" ] || { diff <(echo "$before") <(snapshot) | head -20; fail "plan changed the sandbox"; }
changes /tmp/plan1.json | tee /tmp/plan1.changes
grep -qx 'apt_repository\[rouxtest\] sources: absent -> present' /tmp/plan1.changes || fail "plan lacks the .sources file"
grep -q '^apt_repository\[rouxtest\] key: absent -> sha256:' /tmp/plan1.changes || fail "plan lacks the key"
grep -qx 'package\[rouxhello\] apt_update: an apt_repository changed in this run -> refreshed' /tmp/plan1.changes ||
  fail "plan lacks the refresh of apt's lists"
grep -qx 'package\[rouxhello\] ensure: absent -> 1.0-1' /tmp/plan1.changes || fail "plan cannot see the repository's package"
[ "$(field /tmp/plan1.json 'sum(1 for r in r["resources"] for c in r["changes"] if c["property"]=="apt_update")')" = 1 ] ||
  fail "not exactly one refresh planned"

expect_rc 2 run converge $P /tmp/c1.json
plan_equals_converge /tmp/plan1.json /tmp/c1.json
[ "$(pkg_version rouxhello)" = 1.0-1 ] || fail "rouxhello not installed"
[ "$(rouxhello)" = "hello from rouxhello" ] || fail "rouxhello does not run"
cmp -s /etc/apt/keyrings/rouxtest.asc /srv/t/key.asc || fail "key not installed as rouxtest.asc"
[ "$(stat -c '%a %U:%G' /etc/apt/keyrings/rouxtest.asc /etc/apt/sources.list.d/rouxtest.sources)" = "644 root:root
644 root:root" ] || fail "key or sources file not 0644 root:root"
diff - /etc/apt/sources.list.d/rouxtest.sources <<'X' || fail "unexpected .sources content"
# Managed by roux: apt_repository[rouxtest]. Local changes will be overwritten.
Types: deb
URIs: file:/srv/t/repo1
Suites: ./
Signed-By: /etc/apt/keyrings/rouxtest.asc
X
[ -f /var/lib/roux/apt-update.stamp ] || fail "no refresh stamp"
expect_rc 0 run converge $P /tmp/c2.json
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"
expect_rc 0 run plan $P /tmp/plan2.json

# ---- 2. apt_update: {max_age} ----
sed -i 's/  - package: rouxhello/  - package: rouxhello\n    ensure: latest/' $P/cookbooks/app/recipes/default.yaml
printf 'apt_update:\n  max_age: 1h\n' > /tmp/client.yaml
expect_rc 0 run converge $P /tmp/c3.json --config /tmp/client.yaml   # refreshed just now: not due
printf 'apt_update:\n  max_age: 1s\n' > /tmp/client.yaml
sleep 1.2
expect_rc 2 run plan $P /tmp/plan4.json --config /tmp/client.yaml
expect_rc 2 run converge $P /tmp/c4.json --config /tmp/client.yaml
[ "$(changes /tmp/c4.json)" = 'package[rouxhello] apt_update: the last refresh is older than 1s -> refreshed' ] ||
  fail "max_age refresh: $(changes /tmp/c4.json)"
plan_equals_converge /tmp/plan4.json /tmp/c4.json
printf 'apt_update:\n  max_age: soon\n' > /tmp/client.yaml
expect_rc 1 run converge $P /tmp/bad.json --config /tmp/client.yaml
grep -q '/tmp/client.yaml:2:12: .*apt_update: max_age: expected a duration such as 30m, 12h, 1d' /tmp/bad.json.txt ||
  fail "bad max_age not reported at file:line:col"

# ---- 3. monitoring_agent: datadog from a repository the recipe names ----
cd /srv/t/repo2 && python3 -m http.server --bind 127.0.0.1 18777 >/tmp/http.log 2>&1 &
HTTP=$!
trap 'kill $HTTP 2>/dev/null || true' EXIT
for _ in $(seq 50); do python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:18777/Release")' 2>/dev/null && break; sleep 0.1; done
D=/tmp/p3
policy $D "
resources:
  - monitoring_agent: datadog
    repository:
      uri: http://127.0.0.1:18777/
      suite: ./
      key_url: http://127.0.0.1:18777/key.gpg
      key_sha256: $KEY_SHA
    checks:
      - {name: ssh, type: tcp, host: 127.0.0.1, port: 22}
"
before=$(snapshot)
expect_rc 2 run plan $D /tmp/plan5.json
[ "$(snapshot)" = "$before" ] || { diff <(echo "$before") <(snapshot) | head -20; fail "datadog plan changed the sandbox"; }
changes /tmp/plan5.json | tee /tmp/plan5.changes
grep -qx 'package\[datadog-agent\] ensure: absent -> 1:7.50.0-1' /tmp/plan5.changes || fail "plan lacks the agent install"
expect_rc 2 run converge $D /tmp/c5.json
plan_equals_converge /tmp/plan5.json /tmp/c5.json
[ "$(pkg_version datadog-agent)" = 1:7.50.0-1 ] || fail "datadog-agent not installed"
cmp -s /etc/apt/keyrings/datadog.gpg /srv/t/key.gpg || fail "binary key not installed as datadog.gpg"
grep -q '"port": 22' /etc/datadog-agent/conf.d/tcp_check.d/conf.yaml || fail "tcp check not configured"
service_running datadog-agent || fail "datadog-agent not running"
expect_rc 0 run converge $D /tmp/c6.json
[ -z "$(changes /tmp/c6.json)" ] || fail "second datadog converge changed: $(changes /tmp/c6.json)"

# ---- 4. bad input ----
policy /tmp/p7 '
resources:
  - apt_repository: junk
    uri: file:/srv/t/repo1
    suite: ./
    key: policy.yaml
' /tmp/p1/policy.yaml
expect_rc 1 run plan /tmp/p7 /tmp/p7.json
grep -q 'cookbooks/app/recipes/default.yaml:6:10: apt_repository\[junk\]: key: files/policy.yaml is not an OpenPGP public key' /tmp/p7.json.txt ||
  fail "bad key not a compile error at file:line:col: $(cat /tmp/p7.json.txt)"
policy /tmp/p8 "
resources:
  - apt_repository: wrongsum
    uri: http://127.0.0.1:18777/
    suite: ./
    key_url: http://127.0.0.1:18777/key.gpg
    key_sha256: $(printf '%064d' 0)
"
expect_rc 4 run converge /tmp/p8 /tmp/p8.json
grep -q "sha256 is $KEY_SHA, expected 0000" /tmp/p8.json.txt || fail "sha256 mismatch not reported"
[ ! -e /etc/apt/sources.list.d/wrongsum.sources ] && [ ! -e /etc/apt/keyrings/wrongsum.gpg ] || fail "a key with the wrong sha256 was installed"
echo "PASS: apt_repository + refresh + package; max_age; datadog from a signed repository; bad input"
