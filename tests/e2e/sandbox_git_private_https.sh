#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): a private git repository over http(s) from cron's point of view
# (no terminal, no agent). A real `git http-backend` behind basic auth on 127.0.0.1
# (tests/e2e/git/http_backend.py). roux logs in with the netrc file named by client.yaml
# `git: {netrc: FILE}`, with the running user's ~/.netrc, or with a git credential helper command;
# the password is never in the URL, the lockfile, a report or any output. Each failure names what
# to fix: no credentials, a missing credentials file, a file others can read, a refused password.
# A password inside the URL (still accepted) is stripped from every channel: stdout (text and
# JSON), stderr (also as journald lines), --report, the state folder (last_run.json, history, reports), the lockfile, the
# cache (the bare clone), the json_file and prometheus handlers' files.
# Then over TLS with a self-signed CA: refused without `ca_bundle:`, accepted with it.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
source /roux/src/tests/e2e/lib.sh
source /roux/src/tests/e2e/git/fixture.sh
source /roux/src/tests/e2e/git/remote_lib.sh
export HOME=/root
command -v git >/dev/null || skip "git is not in the sandbox image"

PASS='Pr1vate-Git-Pass-93k'
work=$(e2e_tmpdir)
git_fixture "$work"
git_release "$work" base 1.0.0
mkdir -p /etc/roux

# start_backend NAME [CERT KEY]: serves $work over http(s); sets PORT.
start_backend() {
  local name=$1
  rm -f "$work/$name.port"
  python3 /roux/src/tests/e2e/git/http_backend.py "$work/$name.port" "$work" deploy "$PASS" "${@:2}" \
    2>"$work/$name.log" &
  for _ in $(seq 100); do [ -s "$work/$name.port" ] && break; sleep 0.05; done
  [ -s "$work/$name.port" ] || fail "the $name git backend did not start: $(cat "$work/$name.log")"
  PORT=$(cat "$work/$name.port")
}
start_backend http
HTTP_PORT=$PORT

# policy DIR URL: a policy using the git source at URL, run list: base.
policy() {
  mkdir -p "$1"
  printf 'name: private\nsources:\n  - %s\nrun_list:\n  - base\n' "$2" >"$1/policy.yaml"
}
# lock_in N [CONFIG]: `roux lock` of $work/pN into a fresh root $work/rN (its own cache).
lock_in() {
  local n=$1 cfg=${2:-/nonexistent/client.yaml}
  mkdir -p "$work/r$n/etc/roux-e2e"
  run_roux lock --policy "$work/p$n" --root "$work/r$n" --config "$cfg"
}
URL="git+http://127.0.0.1:$HTTP_PORT/remote.git"

# 1. No credentials anywhere: the error says where roux looked and what to add.
policy "$work/p1" "$URL"
lock_in 1
expect_rc 1 "lock with no credentials"
[[ "$ERR" == *"the server asks for a login and none was found for 127.0.0.1 (looked in /root/.netrc)"* ]] ||
  fail "no credentials: unclear error: $ERR"
[[ "$ERR" == *'add "machine 127.0.0.1 login USER password PASSWORD" to the file named by git: {netrc: FILE}'* ]] ||
  fail "no credentials: the error does not say what to add: $ERR"

# 2. The credentials file named by client.yaml is missing.
printf 'git:\n  netrc: /etc/roux/missing.netrc\n' >"$work/missing.yaml"
policy "$work/p2" "$URL"
lock_in 2 "$work/missing.yaml"
expect_rc 1 "lock with a missing credentials file"
[[ "$ERR" == *"the credentials file (client config git: {netrc: ...}) /etc/roux/missing.netrc: No such file or directory"* ]] ||
  fail "missing credentials file: unclear error: $ERR"

# 3. A credentials file other users can read is refused.
printf 'machine 127.0.0.1 login deploy password %s\n' "$PASS" >/etc/roux/git.netrc
chmod 644 /etc/roux/git.netrc
printf 'git:\n  netrc: /etc/roux/git.netrc\n' >"$work/client.yaml"
policy "$work/p3" "$URL"
lock_in 3 "$work/client.yaml"
expect_rc 1 "lock with a world-readable credentials file"
[[ "$ERR" == *"/etc/roux/git.netrc can be read or written by other users (mode 0644); make it the owner's only: chmod 600 /etc/roux/git.netrc"* ]] ||
  fail "world-readable credentials file: unclear error: $ERR"

# 4. A wrong password: the server's refusal names the login and the file.
printf 'machine 127.0.0.1 login deploy password wrong-password-1\n' >/etc/roux/git.netrc
chmod 600 /etc/roux/git.netrc
policy "$work/p4" "$URL"
lock_in 4 "$work/client.yaml"
expect_rc 1 "lock with a wrong password"
[[ "$ERR" == *'the server refused the login "deploy" of /etc/roux/git.netrc (machine 127.0.0.1)'* ]] ||
  fail "wrong password: unclear error: $ERR"

# 5. The right password from the client.yaml netrc: lock, converge, converge again (no change).
printf '# deploy token\nmachine 127.0.0.1\n  login deploy\n  password %s\n' "$PASS" >/etc/roux/git.netrc
policy "$work/p5" "$URL"
lock_in 5 "$work/client.yaml"
expect_rc 0 "lock with git.netrc"
run_roux converge --policy "$work/p5" --root "$work/r5" --config "$work/client.yaml" --format json
expect_rc 2 "converge with git.netrc"
[ "$(cat "$work/r5/etc/roux-e2e/base.txt")" = "base 1.0.0" ] || fail "the private cookbook was not converged"
run_roux converge --policy "$work/p5" --root "$work/r5" --config "$work/client.yaml" --format json
expect_rc 0 "second converge with git.netrc"

# 6. The running user's ~/.netrc, no client config.
printf 'machine 127.0.0.1 login deploy password %s\n' "$PASS" >/root/.netrc
chmod 600 /root/.netrc
policy "$work/p6" "$URL"
lock_in 6
expect_rc 0 "lock with ~/.netrc"
rm /root/.netrc

# 7. A git credential helper (gitcredentials(7) protocol) named in client.yaml.
cat >/usr/local/bin/roux-test-cred <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 0
input=\$(cat)
case "\$input" in *host=127.0.0.1:$HTTP_PORT*) ;; *) echo "unexpected request: \$input" >&2; exit 1 ;; esac
echo username=deploy
echo password=$PASS
EOF
chmod 755 /usr/local/bin/roux-test-cred
printf 'git:\n  credential_helper: /usr/local/bin/roux-test-cred\n' >"$work/helper.yaml"
policy "$work/p7" "$URL"
lock_in 7 "$work/helper.yaml"
expect_rc 0 "lock with a credential helper"

# 8. The password inside the URL (compatibility): works, and appears in no channel.
mkdir -p "$work/out" "$work/r8/etc/roux-e2e" "$work/r8/var/tmp/prometheus"
policy "$work/p8" "git+http://deploy:$PASS@127.0.0.1:$HTTP_PORT/remote.git"
cat >"$work/handlers.yaml" <<EOF
handlers:
  - type: json_file
    path: /var/tmp/roux-report.json
  - type: prometheus
    path: /var/tmp/prometheus
EOF
"$ROUX" lock --policy "$work/p8" --root "$work/r8" >"$work/out/lock.out" 2>"$work/out/lock.err" ||
  fail "lock with the password in the URL: $(cat "$work/out/lock.err")"
rc=0
"$ROUX" converge --policy "$work/p8" --root "$work/r8" --config "$work/handlers.yaml" --format json \
  --report "$work/out/report.json" >"$work/out/converge.json" 2>"$work/out/converge.err" || rc=$?
[ $rc = 2 ] || fail "converge with the password in the URL: exit $rc: $(cat "$work/out/converge.err")"
"$ROUX" converge --policy "$work/p8" --root "$work/r8" --config "$work/handlers.yaml" \
  >"$work/out/converge.txt" 2>"$work/out/converge2.err" || fail "second converge: $(cat "$work/out/converge2.err")"
"$ROUX" history --root "$work/r8" >"$work/out/history.txt" 2>&1 || true
python3 - "$work/out/converge.json" "$HTTP_PORT" <<'PY' || fail "the JSON report does not name the source without its password"
import json, sys
r = json.load(open(sys.argv[1]))
srcs = {c.get("source") for c in r.get("cookbooks", [])}
assert "git+http://127.0.0.1:%s/remote.git" % sys.argv[2] in srcs, srcs
PY
# A wrong password in the URL: the error says so, without the password.
policy "$work/p9" "git+http://deploy:Wr0ng-Url-Pass-55@127.0.0.1:$HTTP_PORT/remote.git"
mkdir -p "$work/r9"
"$ROUX" lock --policy "$work/p9" --root "$work/r9" >"$work/out/wrong.out" 2>"$work/out/wrong.err" &&
  fail "a wrong password in the URL was accepted"
grep -q "the server refused the credentials in the source URL" "$work/out/wrong.err" ||
  fail "wrong password in the URL: unclear error: $(cat "$work/out/wrong.err")"
# A warning as logged under systemd (stderr is the journal: "<PRIORITY>roux: ..." lines): the
# host's own state (no --root), a clone cached by a good run, then a wrong password in the URL.
policy "$work/p12" "git+http://deploy:$PASS@127.0.0.1:$HTTP_PORT/remote.git"
"$ROUX" lock --policy "$work/p12" >/dev/null 2>"$work/out/p12.err" || fail "lock into /var/lib/roux: $(cat "$work/out/p12.err")"
policy "$work/p12" "git+http://deploy:Wr0ng-Url-Pass-55@127.0.0.1:$HTTP_PORT/remote.git"
: >"$work/out/journal.err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$work/out/journal.err") \
  "$ROUX" fetch --policy "$work/p12" >/dev/null 2>>"$work/out/journal.err" || fail "fetch from the cached clone: $(cat "$work/out/journal.err")"
grep -q '^<4>roux: .*the server refused the credentials in the source URL.*using the clone cached' "$work/out/journal.err" ||
  fail "no journald-style warning: $(cat "$work/out/journal.err")"
leaks=0
while IFS= read -r -d '' f; do
  for s in "$PASS" "Wr0ng-Url-Pass-55" "deploy:"; do
    if grep -qaF -- "$s" "$f"; then echo "LEAK: $s in $f: $(grep -aF -- "$s" "$f" | head -2)" >&2; leaks=1; fi
  done
done < <(find "$work/out" "$work/r8" "$work/r9" "$work/p8" "$work/p9" "$work/p12" /var/lib/roux -type f ! -name policy.yaml -print0)
[ $leaks = 0 ] || fail "the URL's password leaked"
[ -f "$work/p8/policy.lock.json" ] || fail "no lockfile was written"
# (handler paths are inside --root, so their files were among those grepped)
[ -s "$work/r8/var/tmp/roux-report.json" ] && [ -s "$work/r8/var/tmp/prometheus/roux.prom" ] ||
  fail "the handlers wrote nothing to check: $(find "$work/r8/var/tmp")"

# 9. TLS with a private CA: refused without ca_bundle, accepted with it.
tls=$work/tls
private_ca "$tls"
start_backend https "$tls/srv.pem" "$tls/srv.key"
TLS_URL="git+https://127.0.0.1:$PORT/remote.git"
policy "$work/p10" "$TLS_URL"
lock_in 10 "$work/client.yaml"
expect_rc 1 "lock over TLS signed by an unknown CA"
[[ "$ERR" == *"the TLS certificate of 127.0.0.1 is not trusted (not signed by a CA of the system's CA store"* ]] ||
  fail "unknown CA: unclear error: $ERR"
printf 'ca_bundle: /etc/roux/no-such-ca.pem\ngit:\n  netrc: /etc/roux/git.netrc\n' >"$work/noca.yaml"
policy "$work/p13" "$TLS_URL"
lock_in 13 "$work/noca.yaml"
expect_rc 1 "lock with a missing ca_bundle"
[[ "$ERR" == *"ca_bundle /etc/roux/no-such-ca.pem"* ]] || fail "missing ca_bundle: the error does not name it: $ERR"
printf 'ca_bundle: %s\ngit:\n  netrc: /etc/roux/git.netrc\n' "$tls/ca.pem" >"$work/tls.yaml"
policy "$work/p11" "$TLS_URL"
lock_in 11 "$work/tls.yaml"
expect_rc 0 "lock over TLS with ca_bundle"
run_roux converge --policy "$work/p11" --root "$work/r11" --config "$work/tls.yaml" --format json
expect_rc 2 "converge over TLS with ca_bundle"
[ "$(cat "$work/r11/etc/roux-e2e/base.txt")" = "base 1.0.0" ] || fail "the cookbook over TLS was not converged"
echo "ok"
