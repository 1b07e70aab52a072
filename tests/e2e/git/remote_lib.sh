# Shared setup of the tests that reach git over TLS and ssh (sourced after ../lib.sh). private_ca
# runs anywhere (openssl); git_ssh_user and start_test_sshd change the system: only inside
# tests/sandbox/run.sh, as root. Used by policy_groups_git_ca_bundle.sh, sandbox_git_private_https.sh,
# sandbox_git_private_ssh.sh, sandbox_git_resource_private.sh and sandbox_policy_git_remote_ssh.sh.
#
#   private_ca DIR     a private CA (DIR/ca.pem) and a server certificate for 127.0.0.1 signed by it
#                      (DIR/srv.pem, DIR/srv.key): for tests/e2e/git/http_backend.py over TLS
#   git_ssh_user       the user git (home /home/git), with no password but not locked (sshd without
#                      PAM refuses a locked account even with a key)
#   start_test_sshd    a real OpenSSH sshd on 127.0.0.1:22 and :2222 with its own ed25519 host key
#                      (/etc/ssh/roux_test_host_key), key-only login, log /tmp/sshd.log; then the
#                      client's deploy key /etc/roux/deploy_key (no passphrase) in git's
#                      authorized_keys and /etc/roux/known_hosts naming the host key on both ports.
#                      Sets SSHD_HOSTKEY ("ssh-ed25519 BASE64"). Call git_ssh_user first.

private_ca() {
  local tls=$1
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=roux test CA" -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/srv.key" -out "$tls/srv.csr" 2>/dev/null
  printf 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\n' >"$tls/ext"
  openssl x509 -req -in "$tls/srv.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
    -extfile "$tls/ext" -out "$tls/srv.pem" 2>/dev/null
  [ -s "$tls/srv.pem" ] || fail "private_ca: openssl did not make a server certificate"
}

git_ssh_user() {
  useradd -m -s /bin/bash -p '*' git
}

start_test_sshd() {
  mkdir -p /run/sshd /etc/roux
  ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/roux_test_host_key
  cat >/etc/ssh/roux_test_sshd_config <<'CONF'
ListenAddress 127.0.0.1:22
ListenAddress 127.0.0.1:2222
HostKey /etc/ssh/roux_test_host_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
PidFile /run/sshd-roux-test.pid
CONF
  /usr/sbin/sshd -f /etc/ssh/roux_test_sshd_config -E /tmp/sshd.log || fail "sshd did not start: $(cat /tmp/sshd.log)"
  for _ in $(seq 100); do [ -s /run/sshd-roux-test.pid ] && break; sleep 0.05; done
  ssh-keygen -q -t ed25519 -N '' -C roux-deploy -f /etc/roux/deploy_key
  install -d -m 700 -o git -g git /home/git/.ssh
  install -m 600 -o git -g git /etc/roux/deploy_key.pub /home/git/.ssh/authorized_keys
  SSHD_HOSTKEY=$(cut -d' ' -f1,2 /etc/ssh/roux_test_host_key.pub)
  printf '127.0.0.1 %s\n[127.0.0.1]:2222 %s\n' "$SSHD_HOSTKEY" "$SSHD_HOSTKEY" >/etc/roux/known_hosts
}
