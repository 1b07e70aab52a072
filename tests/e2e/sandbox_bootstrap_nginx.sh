#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): rebuild a blank host with one command, as a real user would.
# roux is installed into the blank golden image (its .deb with `apt install ./roux_*.deb` when
# tests/sandbox/deb.sh exists to build it, else the built binary copied to /usr/bin/roux); a
# publisher signs two cookbooks and a policy into a supermarket served by the real nginx from
# Debian on 127.0.0.1; `roux bootstrap` on / installs a package from /srv/repo (with its
# dependency), manages a user, a config file and the package's service. The state is checked with
# the system's own tools (dpkg-query, getent, the init script, stat), not through roux; the
# bare `roux converge` that the timer runs then makes no change. Prints the blank-host-to-converged
# time. Skips (77) with the reason when the sandbox is unavailable.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then
  binds=() args=()
  if [ -f "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh" ]; then
    # The package, built on this machine (the image has no build tools), handed in read-only.
    deb=$(bash "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh" "${ROUX_SANDBOX_CACHE:-$(dirname "$(readlink -f "$ROUX")")/sandbox}") || {
      rc=$?; [ $rc = 77 ] && { echo "SKIP: the roux .deb could not be built (tests/sandbox/deb.sh)"; exit 77; }
      echo "FAIL: tests/sandbox/deb.sh failed ($rc)" >&2; exit 1; }
    binds=(--bind "$(dirname "$deb"):/roux/deb")
    args=(-- "$(basename "$deb")")
  fi
  exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0" "${binds[@]}" "${args[@]}"
fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
ms_now() { date +%s%N | cut -c1-13; }

# install_roux_into_sandbox [DEB_NAME]: the .deb from /roux/deb when given, else the build's binary.
install_roux_into_sandbox() {
  if [ -n "${1:-}" ] && [ -f "/roux/deb/$1" ]; then
    cp "/roux/deb/$1" /tmp/
    (cd /tmp && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$1") >/tmp/roux-install.log 2>&1 ||
      { cat /tmp/roux-install.log; fail "apt install ./$1"; }
    dpkg-query -W -f='${Status}' roux | grep -q "install ok installed" || fail "the roux package is not installed"
    INSTALLED_BY="apt install ./$1"
  else
    install -m 0755 /roux/build/roux /usr/bin/roux
    INSTALLED_BY="copy of the built binary"
  fi
  ROUX=/usr/bin/roux
  "$ROUX" --version >/dev/null || fail "roux does not run in the sandbox"
}

command -v nginx >/dev/null || fail "nginx is not in the sandbox image (tests/sandbox/golden.sh)"
[ ! -e /etc/roux/client.yaml ] || fail "the blank image already has /etc/roux/client.yaml"
getent passwd deploy >/dev/null && fail "user deploy already exists"
[ -z "$(pkg_version rouxd)" ] || fail "rouxd is already installed"

t_install0=$(ms_now)
install_roux_into_sandbox "${1:-}"
t_install=$(( $(ms_now) - t_install0 ))

# ---- the publisher: cookbooks and a policy, signed, in a static folder nginx serves ----
M=/srv/market
PUB=/tmp/publisher
mkdir -p $PUB/src/webhost/recipes $PUB/src/baseline/recipes $PUB/policy
cd $PUB
$ROUX keygen --out $PUB/team >/dev/null
printf 'name: baseline\nversion: 1.0.0\n' > src/baseline/metadata.yaml
cat > src/baseline/recipes/default.yaml <<'Y'
resources:
  - file: /etc/motd
    content: "rebuilt by roux bootstrap\n"
    mode: "0644"
  - group: deploy
    gid: 4900
  - user: deploy
    uid: 4900
    group: deploy
    home: /home/deploy
    manage_home: true
    shell: /bin/sh
    requires: group[deploy]
Y
printf 'name: webhost\nversion: 1.0.0\ndepends:\n  baseline: "~> 1.0"\n' > src/webhost/metadata.yaml
cat > src/webhost/recipes/default.yaml <<'Y'
resources:
  - package: rouxd
  - file: /etc/rouxd.conf
    content: "greeting = bootstrapped\n"
    mode: "0644"
    requires: package[rouxd]
    notify: service[rouxd]
  - service: rouxd
    running: true
    enabled: true
verify:
  - command: /etc/init.d/rouxd status
    name: rouxd-running
  - file_contains: /etc/rouxd.conf
    contains: "greeting = bootstrapped"
Y
for cb in baseline webhost; do $ROUX supermarket publish src/$cb --to $M --key team.key >/dev/null; done
cat > /etc/nginx/sites-enabled/default <<'N'
server {
  listen 127.0.0.1:8089;
  root /srv/market;
  access_log /var/log/nginx/market.log;
}
N
nginx -t 2>/dev/null || fail "nginx config"
nginx || fail "nginx does not start"
URL=http://127.0.0.1:8089
printf 'name: web\nsources:\n  - %s\nrun_list:\n  - baseline\n  - webhost\n' $URL > policy/policy.yaml
mkdir -p /tmp/lockroot   # the publisher's cache, not this host's
$ROUX lock --policy policy --trust team.pub --root /tmp/lockroot >/dev/null
$ROUX supermarket publish-policy policy --to $M --key team.key
cp team.pub /tmp/team.pub   # what the operator carries to the blank host
: > /var/log/nginx/market.log

# ---- the blank host: one command ----
cd /
t0=$(ms_now)
rc=0
"$ROUX" bootstrap --source $URL --policy web --trust /tmp/team.pub | tee /tmp/bootstrap.txt || rc=$?
t_boot=$(( $(ms_now) - t0 ))
[ $rc = 2 ] || fail "bootstrap exit $rc, want 2"
grep -q "^  result    converged in 2 passes" /tmp/bootstrap.txt || fail "bootstrap did not settle in 2 passes"
grep -q "^  verify    2 of 2 checks passed" /tmp/bootstrap.txt || fail "verify checks"

# ---- checked with the system's own tools ----
[ -n "$(pkg_version rouxd)" ] || fail "rouxd is not installed"
[ -n "$(pkg_version librouxd)" ] || fail "librouxd (the dependency) is not installed"
service_running rouxd || fail "rouxd is not running"
service_enabled rouxd || fail "rouxd is not enabled (no /etc/rc2.d/S..rouxd)"
[ "$(cat /etc/rouxd.conf)" = "greeting = bootstrapped" ] || fail "/etc/rouxd.conf"
grep -q "conf: greeting = bootstrapped" /var/log/rouxd.log || fail "rouxd did not (re)start with the managed config: $(cat /var/log/rouxd.log)"
[ "$(getent passwd deploy | cut -d: -f3,4,6,7)" = "4900:4900:/home/deploy:/bin/sh" ] || fail "user deploy: $(getent passwd deploy)"
[ "$(stat -c %u:%g /home/deploy)" = 4900:4900 ] || fail "home of deploy"
[ "$(cat /etc/motd)" = "rebuilt by roux bootstrap" ] || fail "/etc/motd"
cmp -s /tmp/team.pub /etc/roux/trusted/team.pub || fail "trusted key"
grep -q "^policy_name: web$" /etc/roux/client.yaml || fail "client.yaml"
grep -q '"GET /policies/web-1.tar.gz HTTP/1.1" 200' /var/log/nginx/market.log || fail "nginx did not serve the policy: $(cat /var/log/nginx/market.log)"

# ---- what the timer runs next: a bare converge, from /etc/roux/client.yaml, changes nothing ----
rc=0
"$ROUX" converge --format json > /tmp/second.json || rc=$?
[ $rc = 0 ] || { cat /tmp/second.json; fail "second converge exit $rc, want 0"; }
[ "$(field /tmp/second.json 'r["totals"]["changed"]')" = 0 ] || fail "second converge changed something"
grep -q '"GET /universe HTTP/1.1" 304' /var/log/nginx/market.log || fail "the second run did not get a 304 for the index"

# ---- and the schedule runs it: the package's cron.d line (enabled, every minute for the test) under
# the real cron daemon converges from /etc/roux/client.yaml and leaves its log (the sandbox has no
# systemd; the timer is tested under nspawn by the package scenarios) ----
if [ -f /etc/cron.d/roux ]; then
  # --splay 3600 waits FNV-1a(fqdn) % 3600 s: a host name whose delay is under 5 s.
  read -r name s < <(python3 -c '
for i in range(100000):
    name = "boot-%d" % i
    h = 2166136261
    for c in name.encode(): h = ((h ^ c) * 16777619) & 0xffffffff
    if h % 3600 < 5:
        print(name, h % 3600); break')
  hostname "$name"
  sed -i 's|^#17 3 \* \* \* root |* * * * * root |' /etc/cron.d/roux
  [ "$(grep -c '^[^#]*roux converge' /etc/cron.d/roux)" = 1 ] || fail "could not enable the shipped cron line"
  runs_before=$(wc -l < /var/lib/roux/history.jsonl)
  /usr/sbin/cron || fail "cron did not start"
  deadline=$(( $(date +%s) + 130 ))
  until grep -q '^converge: ' /var/log/roux/roux.log 2>/dev/null && [ "$(wc -l < /var/lib/roux/history.jsonl)" -gt "$runs_before" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { cat /var/log/roux/roux.log 2>/dev/null; fail "cron did not run roux within 130 s"; }
    sleep 1
  done
  tail -1 /var/lib/roux/history.jsonl | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert r["exit_code"] == 0 and r["policy"] == "web", r' \
    || fail "the cron run: $(tail -1 /var/lib/roux/history.jsonl)"
  echo "the shipped cron line ran roux: $(grep '^converge: ' /var/log/roux/roux.log | tail -1)"
fi

echo "roux installed by: $INSTALLED_BY in ${t_install} ms"
echo "blank host -> converged (roux bootstrap): ${t_boot} ms"
echo "PASS: roux bootstrap on / from a supermarket served by nginx: package, user, file, service; second converge is a no-op"
