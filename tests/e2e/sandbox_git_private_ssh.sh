#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): a private git repository over ssh, as cron and systemd run roux:
# no ssh agent, a key file and a known_hosts file named in client.yaml `git:`. A real OpenSSH
# sshd on 127.0.0.1 (ports 22 and 2222, its own ed25519 host key, key-only login for user git)
# serves a bare repository. Checked: ssh:// with a port and scp-style git@127.0.0.1:PATH both
# lock and converge; a passphrase-protected key with `ssh_passphrase_file`; and each refusal
# names the file to fix: a key the server does not know, a host missing from known_hosts (with
# the offered key's SHA256 fingerprint, as ssh-keygen -lf prints it), a host whose key changed,
# a missing key file. Hashed known_hosts names work. No agent is running (SSH_AUTH_SOCK unset).
# Last, git:// from a real `git daemon` on 127.0.0.1.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
source /roux/src/tests/e2e/lib.sh
source /roux/src/tests/e2e/git/fixture.sh
source /roux/src/tests/e2e/git/remote_lib.sh
trap '_e2e_cleanup; [ -f /tmp/sshd.log ] && sed "s/^/sshd: /" /tmp/sshd.log | tail -20 >&2' EXIT
export HOME=/root
unset SSH_AUTH_SOCK
command -v /usr/sbin/sshd >/dev/null || skip "openssh-server is not in the sandbox image"

# The git user and its repository (built with the git CLI, served by the real sshd).
git_ssh_user
work=/home/git/w
mkdir -p "$work"
git_fixture "$work"
git_release "$work" base 1.0.0
git_release "$work" base 1.1.0
chown -R git:git /home/git

# sshd: its own host key, key-only login, 127.0.0.1:22 and :2222; the deploy key (no passphrase).
start_test_sshd
hostkey=$SSHD_HOSTKEY
# A second key with a passphrase.
ssh-keygen -q -t ed25519 -N 'correct horse 42' -C roux-deploy-pp -f /etc/roux/pp_key
printf 'correct horse 42\n' >/etc/roux/pp_key.pass
chmod 600 /etc/roux/pp_key.pass
cat /etc/roux/pp_key.pub >>/home/git/.ssh/authorized_keys
fingerprint=$(ssh-keygen -lf /etc/ssh/roux_test_host_key.pub | cut -d' ' -f2)

# config FILE KEY [KNOWN_HOSTS] [PASSPHRASE_FILE]
config() {
  {
    printf 'git:\n  ssh_key: %s\n  known_hosts: %s\n' "$2" "${3:-/etc/roux/known_hosts}"
    if [ -n "${4:-}" ]; then printf '  ssh_passphrase_file: %s\n' "$4"; fi
  } >"$1"
}
# try N URL CONFIG: `roux lock` of a policy on URL into a fresh root (its own cache).
try() {
  local n=$1 url=$2 cfg=$3
  mkdir -p "/tmp/p$n" "/tmp/r$n/etc/roux-e2e"
  printf 'name: private\nsources:\n  - %s\nrun_list:\n  - base\n' "$url" >"/tmp/p$n/policy.yaml"
  run_roux lock --policy "/tmp/p$n" --root "/tmp/r$n" --config "$cfg"
}
SSH_URL="git+ssh://git@127.0.0.1:2222/home/git/w/remote.git"
SCP_URL="git@127.0.0.1:w/remote.git"

# 1. ssh:// with a port, key file, known_hosts: lock, converge, converge again.
config /tmp/ok.yaml /etc/roux/deploy_key
try 1 "$SSH_URL" /tmp/ok.yaml
expect_rc 0 "lock over ssh://"
run_roux converge --policy /tmp/p1 --root /tmp/r1 --config /tmp/ok.yaml --format json
expect_rc 2 "converge over ssh://"
[ "$(cat /tmp/r1/etc/roux-e2e/base.txt)" = "base 1.1.0" ] || fail "the cookbook over ssh was not converged"
run_roux converge --policy /tmp/p1 --root /tmp/r1 --config /tmp/ok.yaml --format json
expect_rc 0 "second converge over ssh://"
python3 - /tmp/p1/policy.lock.json "$SSH_URL" <<'PY' || fail "the lockfile does not name the ssh source as written"
import json, sys
assert {c["source"] for c in json.load(open(sys.argv[1]))["cookbooks"]} == {sys.argv[2]}
PY

# 1b. known_hosts with hashed host names (ssh-keygen -H, HashKnownHosts yes).
cp /etc/roux/known_hosts /etc/roux/known_hosts.hashed
ssh-keygen -q -H -f /etc/roux/known_hosts.hashed >/dev/null 2>&1
grep -q '^|1|' /etc/roux/known_hosts.hashed && ! grep -q 127.0.0.1 /etc/roux/known_hosts.hashed ||
  fail "ssh-keygen -H did not hash the names: $(cat /etc/roux/known_hosts.hashed)"
config /tmp/hashed.yaml /etc/roux/deploy_key /etc/roux/known_hosts.hashed
try 10 "$SSH_URL" /tmp/hashed.yaml
expect_rc 0 "lock with hashed known_hosts"

# 2. scp-style git@HOST:PATH (port 22, path relative to the git user's home).
try 2 "$SCP_URL" /tmp/ok.yaml
expect_rc 0 "lock over scp-style URL"
run_roux converge --policy /tmp/p2 --root /tmp/r2 --config /tmp/ok.yaml --format json
expect_rc 2 "converge over scp-style URL"
[ "$(cat /tmp/r2/etc/roux-e2e/base.txt)" = "base 1.1.0" ] || fail "the cookbook over scp-style ssh was not converged"

# 3. A key with a passphrase, read from ssh_passphrase_file.
config /tmp/pp.yaml /etc/roux/pp_key /etc/roux/known_hosts /etc/roux/pp_key.pass
try 3 "$SSH_URL" /tmp/pp.yaml
expect_rc 0 "lock with a passphrase-protected key"

# 4. A key the server does not know.
ssh-keygen -q -t ed25519 -N '' -f /etc/roux/other_key
config /tmp/wrongkey.yaml /etc/roux/other_key
try 4 "$SSH_URL" /tmp/wrongkey.yaml
expect_rc 1 "lock with an unknown key"
[[ "$ERR" == *"the ssh server refused the key /etc/roux/other_key (client config git: {ssh_key: ...}) for user git; add its public key to that user's authorized_keys on the server"* ]] ||
  fail "wrong key: unclear error: $ERR"

# 5. The host is not in known_hosts: the error names the file and the offered key's fingerprint.
# (the same key under another host name: libssh2, unlike OpenSSH, also lets a plain "HOST" line
# match HOST on another port, so the entry must be for another host)
printf 'git.example.com %s\n' "$hostkey" >/etc/roux/known_hosts.otherhost
config /tmp/unknownhost.yaml /etc/roux/deploy_key /etc/roux/known_hosts.otherhost
try 5 "$SSH_URL" /tmp/unknownhost.yaml
expect_rc 1 "lock with the host missing from known_hosts"
[[ "$ERR" == *"ssh host [127.0.0.1]:2222 is not in the known_hosts file /etc/roux/known_hosts.otherhost (client config git: {known_hosts: ...}); it offered the ssh-ed25519 key $fingerprint"* ]] ||
  fail "unknown host: unclear error (want fingerprint $fingerprint): $ERR"
[[ "$ERR" == *"ssh-keyscan -p 2222 127.0.0.1"* ]] || fail "unknown host: no hint how to get the key: $ERR"

# 6. The host's key changed (known_hosts holds another ed25519 key for it).
ssh-keygen -q -t ed25519 -N '' -f /tmp/old_host_key
printf '[127.0.0.1]:2222 %s\n' "$(cut -d' ' -f1,2 /tmp/old_host_key.pub)" >/etc/roux/known_hosts.changed
config /tmp/changed.yaml /etc/roux/deploy_key /etc/roux/known_hosts.changed
try 6 "$SSH_URL" /tmp/changed.yaml
expect_rc 1 "lock with a changed host key"
[[ "$ERR" == *"the ssh host key of [127.0.0.1]:2222 does not match its entry in the known_hosts file /etc/roux/known_hosts.changed (client config git: {known_hosts: ...}): the host offered the ssh-ed25519 key $fingerprint"* ]] ||
  fail "changed host key: unclear error: $ERR"

# 7. A missing key file.
config /tmp/nokey.yaml /etc/roux/no_such_key
try 7 "$SSH_URL" /tmp/nokey.yaml
expect_rc 1 "lock with a missing key file"
[[ "$ERR" == *"the ssh key (client config git: {ssh_key: ...}) /etc/roux/no_such_key: No such file or directory"* ]] ||
  fail "missing key file: unclear error: $ERR"

# 8. No key configured and no agent (as under cron): the error says to configure a key file.
printf 'git:\n  known_hosts: /etc/roux/known_hosts\n' >/tmp/agent.yaml
try 8 "$SSH_URL" /tmp/agent.yaml
expect_rc 1 "lock with no key and no agent"
[[ "$ERR" == *"no ssh key for user git: set git: {ssh_key: FILE} in the client config"* ]] || fail "no key, no agent: unclear error: $ERR"

# 9. git:// (the git daemon protocol, no login), read-only public mirrors.
git daemon --reuseaddr --export-all --base-path=/home/git/w --listen=127.0.0.1 --port=9418 \
  --user=git --group=git --detach --pid-file=/run/roux-test-git-daemon.pid /home/git/w
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/9418) 2>/dev/null && break; sleep 0.05; done
try 9 "git://127.0.0.1/remote.git" /tmp/ok.yaml
expect_rc 0 "lock over git://"
run_roux converge --policy /tmp/p9 --root /tmp/r9 --config /tmp/ok.yaml --format json
expect_rc 2 "converge over git://"
[ "$(cat /tmp/r9/etc/roux-e2e/base.txt)" = "base 1.1.0" ] || fail "the cookbook over git:// was not converged"
echo "ok"
