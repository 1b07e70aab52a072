#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): the `git` resource deploys from private repositories with the
# client config's git settings, the same ones (and the same code, sources/git_auth.h) as git
# sources. A real `git http-backend` behind basic auth (tests/e2e/git/http_backend.py), then over
# TLS with a private CA (`ca_bundle:`); a real sshd with a key file and known_hosts (ssh:// with a
# port, and scp-style USER@HOST:PATH). A submodule with a relative URL comes over the same
# transport with the same login (submodules: init); a file:// submodule of a remote repository is
# refused. Each run: plan == converge, the second converge changes
# nothing. Refusals name the file to fix (no login found, a refused login, an unknown CA, a key
# the server does not know, a host missing from known_hosts). The password (netrc or inside the
# URL) never appears on stdout, stderr, the JSON report, the state folder, the tree or roux's
# git cache.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
source /roux/src/tests/e2e/lib.sh
source /roux/src/tests/e2e/git/fixture.sh
source /roux/src/tests/e2e/git/remote_lib.sh
trap '_e2e_cleanup; [ -f /tmp/sshd.log ] && sed "s/^/sshd: /" /tmp/sshd.log | tail -20 >&2' EXIT
export HOME=/root
unset SSH_AUTH_SOCK
command -v git >/dev/null || skip "git is not in the sandbox image"
command -v /usr/sbin/sshd >/dev/null || skip "openssh-server is not in the sandbox image"

PASS='Pr1vate-Res-Pass-71q'
URLPASS='Url-Res-Pass-38z'
git_ssh_user
work=/home/git/w
mkdir -p "$work" /etc/roux /tmp/out
git_fixture "$work"
git_release "$work" base 1.0.0
# A submodule with a relative URL (../lib.git): fetched over the same transport, with the same login.
git init -q -b main "$work/lib"
echo lib >"$work/lib/lib.txt"
git -C "$work/lib" add -A
git -C "$work/lib" commit -qm lib
git clone -q --bare "$work/lib" "$work/lib.git"
git -C "$work/src" config -f .gitmodules submodule.lib.path vendor/lib
git -C "$work/src" config -f .gitmodules submodule.lib.url ../lib.git
git -C "$work/src" update-index --add --cacheinfo "160000,$(git -C "$work/lib" rev-parse HEAD),vendor/lib"
git -C "$work/src" add .gitmodules
git -C "$work/src" commit -qm "lib as a submodule"
git -C "$work/src" push -q origin HEAD:refs/heads/main
commit=$(git -C "$work/remote.git" rev-parse main)
# A remote repository whose submodule is a repository of this host (file://): refused.
git init -q -b main "$work/evil"
git -C "$work/evil" config -f .gitmodules submodule.x.path x
git -C "$work/evil" config -f .gitmodules submodule.x.url "file://$work/lib.git"
git -C "$work/evil" update-index --add --cacheinfo "160000,$(git -C "$work/lib" rev-parse HEAD),x"
git -C "$work/evil" add .gitmodules
git -C "$work/evil" commit -qm evil
git clone -q --bare "$work/evil" "$work/evil.git"
chown -R git:git /home/git
# (the http backend runs as root over the git user's repository)
git config --global --add safe.directory '*'

# start_backend NAME [CERT KEY]: serves $work over http(s); sets PORT.
start_backend() {
  local name=$1
  rm -f "/tmp/$name.port"
  python3 /roux/src/tests/e2e/git/http_backend.py "/tmp/$name.port" "$work" deploy "$PASS" "${@:2}" 2>"/tmp/$name.log" &
  for _ in $(seq 100); do [ -s "/tmp/$name.port" ] && break; sleep 0.05; done
  [ -s "/tmp/$name.port" ] || fail "the $name git backend did not start: $(cat "/tmp/$name.log")"
  PORT=$(cat "/tmp/$name.port")
}

# deploy N URL CONFIG: plan then converge (JSON) of a git resource at /srv/app from URL into root
# /tmp/rN; sets OUT/ERR/RC of the converge; the plan's changes must equal the converge's.
deploy() {
  local n=$1 url=$2 cfg=$3
  local dir=/tmp/pol$n
  mkdir -p "/tmp/r$n/srv"
  write_policy "$dir" app <<EOF
resources:
  - git: /srv/app
    repository: $url
    revision: main
    submodules: init
EOF
  run_roux plan --policy "$dir" --root "/tmp/r$n" --config "$cfg" --format json --report "/tmp/out/plan$n.json"
  printf '%s\n%s\n' "$OUT" "$ERR" >"/tmp/out/plan$n.txt"
  local plan_rc=$RC
  run_roux converge --policy "$dir" --root "/tmp/r$n" --config "$cfg" --format json --report "/tmp/out/c$n.json"
  printf '%s\n%s\n' "$OUT" "$ERR" >"/tmp/out/c$n.txt"
  [ "$plan_rc" = "$RC" ] || fail "deploy $n: plan exit $plan_rc, converge exit $RC: $OUT $ERR"
  diff <(json_changes "/tmp/out/plan$n.json") <(json_changes "/tmp/out/c$n.json") || fail "deploy $n: plan and converge differ"
}
# deployed N CONFIG: the converge deployed the commit; a second converge changes nothing.
deployed() {
  local n=$1
  expect_rc 2 "deploy $n"
  [ "$(cat "/tmp/r$n/srv/app/base/recipes/default.yaml" | head -1)" = "resources:" ] || fail "deploy $n: no files"
  [ "$(cat "/tmp/r$n/srv/app/vendor/lib/lib.txt")" = lib ] || fail "deploy $n: the submodule was not laid out"
  [ "$(json_changes "/tmp/out/c$n.json" | grep '	revision	')" = "git[/srv/app]	revision	not recorded	${commit:0:7} (main)" ] ||
    fail "deploy $n: changes: $(json_changes "/tmp/out/c$n.json")"
  run_roux converge --policy "/tmp/pol$n" --root "/tmp/r$n" --config "$2" --format json
  expect_rc 0 "second converge $n"
}
# refused N WANT: the converge failed with WANT in the resource's error (JSON report).
refused() {
  expect_rc 4 "deploy $1 (refused)"
  local err
  err=$(resource_field "/tmp/out/c$1.json" "git[/srv/app]" error)
  [[ "$err" == *"$2"* ]] || fail "deploy $1: unclear error (want: $2): $err"
}

start_backend http
HTTP="http://127.0.0.1:$PORT/remote.git"

# 1. No login anywhere: where roux looked and what to add.
deploy 1 "$HTTP" /nonexistent.yaml
refused 1 "http://127.0.0.1:$PORT/remote.git: fetch: the server asks for a login and none was found for 127.0.0.1 (looked in /root/.netrc)"

# 2. A refused login names the netrc file; 3. the right one (client.yaml git: {netrc}) deploys.
printf 'machine 127.0.0.1 login deploy password wrong-pass-1\n' >/etc/roux/git.netrc
chmod 600 /etc/roux/git.netrc
printf 'git:\n  netrc: /etc/roux/git.netrc\n' >/etc/roux/netrc.yaml
deploy 2 "$HTTP" /etc/roux/netrc.yaml
refused 2 'the server refused the login "deploy" of /etc/roux/git.netrc (machine 127.0.0.1)'
printf 'machine 127.0.0.1 login deploy password %s\n' "$PASS" >/etc/roux/git.netrc
deploy 3 "$HTTP" /etc/roux/netrc.yaml
deployed 3 /etc/roux/netrc.yaml

# 3b. A local submodule URL in a remote repository is refused.
deploy 31 "http://127.0.0.1:$PORT/evil.git" /etc/roux/netrc.yaml
refused 31 ".gitmodules: submodule \"x\": url file://$work/lib.git: a local repository, from a remote superproject; nothing was checked out"

# 4. A credential helper (client.yaml git: {credential_helper}).
printf '#!/bin/sh\n[ "$1" = get ] || exit 0\ncat >/dev/null\necho username=deploy\necho password=%s\n' "$PASS" \
  >/usr/local/bin/roux-test-cred
chmod 755 /usr/local/bin/roux-test-cred
printf 'git:\n  credential_helper: /usr/local/bin/roux-test-cred\n' >/etc/roux/helper.yaml
deploy 4 "$HTTP" /etc/roux/helper.yaml
deployed 4 /etc/roux/helper.yaml

# 5. The password inside the URL; 6. a wrong one: refused, said so, never shown.
deploy 5 "http://deploy:$PASS@127.0.0.1:$PORT/remote.git" /nonexistent.yaml
deployed 5 /nonexistent.yaml
deploy 6 "http://deploy:$URLPASS@127.0.0.1:$PORT/remote.git" /nonexistent.yaml
refused 6 "http://127.0.0.1:$PORT/remote.git: fetch: the server refused the credentials in the source URL"

# 7. TLS with a private CA: refused without ca_bundle (the error says to set it), then deployed.
tls=/tmp/tls
private_ca "$tls"
start_backend https "$tls/srv.pem" "$tls/srv.key"
TLS="https://127.0.0.1:$PORT/remote.git"
deploy 7 "$TLS" /etc/roux/netrc.yaml
refused 7 "the TLS certificate of 127.0.0.1 is not trusted (not signed by a CA of the system's CA store; set ca_bundle: FILE in the client config"
printf 'ca_bundle: %s\ngit:\n  netrc: /etc/roux/git.netrc\n' "$tls/ca.pem" >/etc/roux/tls.yaml
deploy 8 "$TLS" /etc/roux/tls.yaml
deployed 8 /etc/roux/tls.yaml

# ssh: sshd with its own host key on 127.0.0.1:22 and :2222, key-only login for user git.
start_test_sshd
ssh-keygen -q -t ed25519 -N '' -f /etc/roux/other_key
hostkey=$SSHD_HOSTKEY
printf 'git.example.com %s\n' "$hostkey" >/etc/roux/known_hosts.otherhost
sshcfg() { printf 'git:\n  ssh_key: %s\n  known_hosts: %s\n' "$2" "$3" >"$1"; }
sshcfg /etc/roux/ssh.yaml /etc/roux/deploy_key /etc/roux/known_hosts
sshcfg /etc/roux/wrongkey.yaml /etc/roux/other_key /etc/roux/known_hosts
sshcfg /etc/roux/unknownhost.yaml /etc/roux/deploy_key /etc/roux/known_hosts.otherhost
SSH="ssh://git@127.0.0.1:2222/home/git/w/remote.git"

# 9. ssh:// with a port; 10. scp-style (port 22, path relative to the git user's home).
deploy 9 "$SSH" /etc/roux/ssh.yaml
deployed 9 /etc/roux/ssh.yaml
deploy 10 "git@127.0.0.1:w/remote.git" /etc/roux/ssh.yaml
deployed 10 /etc/roux/ssh.yaml
# 11. A key the server does not know; 12. a host not in known_hosts: each names the file.
deploy 11 "$SSH" /etc/roux/wrongkey.yaml
refused 11 "the ssh server refused the key /etc/roux/other_key (client config git: {ssh_key: ...}) for user git"
deploy 12 "$SSH" /etc/roux/unknownhost.yaml
refused 12 "ssh host [127.0.0.1]:2222 is not in the known_hosts file /etc/roux/known_hosts.otherhost (client config git: {known_hosts: ...})"

# No channel holds a password: outputs, reports, roots (state folder included), roux's git cache.
leaks=0
while IFS= read -r -d '' f; do
  for s in "$PASS" "$URLPASS"; do
    if grep -qaF -- "$s" "$f"; then echo "LEAK: $s in $f: $(grep -aF -- "$s" "$f" | head -2)" >&2; leaks=1; fi
  done
# (not roux/parsed: the parsed-recipe cache is a copy of the recipe, which holds the URL as written)
done < <(find /tmp/out /tmp/r[0-9]* "$XDG_CACHE_HOME/roux/git" -type f -print0)
[ $leaks = 0 ] || fail "a password leaked"
[ -n "$(find /tmp/r3/var/lib/roux -type f)" ] && [ -d "$XDG_CACHE_HOME/roux/git" ] || fail "nothing was grepped for leaks"
echo "ok"
