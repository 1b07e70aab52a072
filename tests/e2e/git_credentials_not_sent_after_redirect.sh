#!/usr/bin/env bash
# A login from client.yaml `git: {netrc: FILE}` goes only to the host it is written for. The git
# source names 127.0.0.1, which redirects (as libgit2 follows on the first request) to
# "localhost" on another port, which asks for a login: roux looks up a login for localhost (there
# is none), says so, and the 127.0.0.1 password never reaches the other server.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback servers"
getent hosts localhost >/dev/null || skip "localhost does not resolve"

work=$(e2e_tmpdir)
PASS='Only-For-127-Pass-31z'
cat >"$work/servers.py" <<'PY'
import http.server, sys, threading
port_file, log = sys.argv[1], sys.argv[2]

class Other(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log, "a") as f:
            f.write("other: %s auth=%s\n" % (self.path, self.headers.get("Authorization", "-")))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="other"')
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass

other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Other)
other_port = other.server_address[1]

class Origin(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log, "a") as f:
            f.write("origin: %s auth=%s\n" % (self.path, self.headers.get("Authorization", "-")))
        self.send_response(301)
        self.send_header("Location", "http://localhost:%d%s" % (other_port, self.path))
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass

origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
threading.Thread(target=other.serve_forever, daemon=True).start()
open(port_file, "w").write(str(origin.server_address[1]))
origin.serve_forever()
PY
python3 "$work/servers.py" "$work/port" "$work/requests.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; _e2e_cleanup' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")

printf 'machine 127.0.0.1 login deploy password %s\n' "$PASS" >"$work/git.netrc"
chmod 600 "$work/git.netrc"
printf 'git:\n  netrc: %s\n' "$work/git.netrc" >"$work/client.yaml"
mkdir -p "$work/policy" "$work/root"
printf 'name: t\nsources:\n  - git+http://127.0.0.1:%s/remote.git\nrun_list:\n  - base\n' "$port" >"$work/policy/policy.yaml"
HOME=$work run_roux lock --policy "$work/policy" --root "$work/root" --config "$work/client.yaml"
expect_rc 1 "lock through a redirect to a server that asks for a login"
grep -q "^other: " "$work/requests.log" || fail "libgit2 did not follow the redirect: $(cat "$work/requests.log")"
[[ "$ERR" == *"the server asks for a login and none was found for localhost"* ]] ||
  fail "the login was not looked up for the server asking: $ERR"
expected_auth=$(printf 'deploy:%s' "$PASS" | base64)
if grep -q "auth=Basic $expected_auth" "$work/requests.log"; then
  fail "the 127.0.0.1 login was sent to another server: $(cat "$work/requests.log")"
fi
echo "ok"
