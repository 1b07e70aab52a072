#!/usr/bin/env bash
# verify: a recipe's checks (http, tcp, command, file_contains) run after converge with timeout
# and retries: a service that needs 2 s to come up does not fail the run; results are in the
# report; a failed check fails the run (exit 4 or 6) and is named; plan lists the checks without
# running them; `roux verify` runs them alone; a bad check is a compile error at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The "service" the recipe starts: an HTTP server that only listens after 2 seconds.
cat >"$work/slow_server.py" <<'PY'
import http.server, os, sys, time
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(2)
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 500); self.end_headers(); self.wfile.write(b"all good\n")
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
stop_server() { [ -s "$work/server.pid" ] && kill "$(cat "$work/server.pid")" 2>/dev/null; _e2e_cleanup; }
trap stop_server EXIT
write_policy "$work" app <<EOF
resources:
  - file: /etc/app.conf
    content: "listen $port\n"
  - exec: start-app
    command: (python3 $work/slow_server.py $port $work/server.pid >/dev/null 2>&1 &) ; echo started
    creates: /etc/app.started
  - file: /etc/app.started
    content: "yes\n"
    requires: exec[start-app]
verify:
  - http: http://127.0.0.1:$port/health
    contains: all good
    timeout: 1
    retries: 8
    retry_delay: 1
  - tcp: 127.0.0.1:$port
    retries: 3
  - command: grep -q "listen $port" "\$ROUX_ROOT/etc/app.conf"
    name: config-mentions-port
  - file_contains: /etc/app.conf
    contains: "listen $port"
EOF
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan"
echo "$OUT" >"$work/plan.json"
[ "$(json_get "$work/plan.json" '[v["status"] for v in r["verify"]]')" = '["planned", "planned", "planned", "planned"]' ] ||
  fail "plan should list the checks, not run them: $(json_get "$work/plan.json" 'r["verify"]')"
[ ! -e "$root/etc/app.conf" ] || fail "plan changed the host"

run_roux converge --policy "$work" --root "$root" --format json
echo "$OUT" >"$work/r1.json"
expect_rc 2 "converge with a service that needs 2 s to come up"
[ "$(json_get "$work/r1.json" '[v["status"] for v in r["verify"]]')" = '["passed", "passed", "passed", "passed"]' ] ||
  fail "verify results: $(json_get "$work/r1.json" 'r["verify"]')"
[ "$(json_get "$work/r1.json" 'r["verify"][0]["attempts"] > 1')" = true ] || fail "the http check did not need retries?"
[ "$(json_get "$work/r1.json" 'r["verify"][2]["name"]')" = config-mentions-port ] || fail "check name"

run_roux verify --policy "$work" --root "$root"
expect_rc 0 "roux verify alone"
echo "$OUT" | grep -q "verify: 4 passed, 0 failed" || fail "roux verify output: $OUT"

# A failing check fails the run and is named; the host is converged anyway (exit 4: no changes).
write_policy "$work" app <<EOF
resources:
  - file: /etc/app.conf
    content: "listen $port\n"
verify:
  - http: http://127.0.0.1:$port/missing
    timeout: 1
  - file_contains: /etc/app.conf
    contains: "listen 1"
    name: wrong-port
EOF
run_roux converge --policy "$work" --root "$root"
expect_rc 4 "failed verify checks"
echo "$OUT" | grep -qF "verify http[http://127.0.0.1:$port/missing]: failed: status 500, want 200" || fail "http failure: $OUT"
echo "$OUT" | grep -qF 'verify wrong-port: failed: does not contain "listen 1"' || fail "file_contains failure: $OUT"
run_roux verify --policy "$work" --root "$root"
expect_rc 4 "roux verify with a failing check"

# A malformed check is a compile error at its place; nothing runs.
write_policy "$work" app <<'EOF'
resources: []
verify:
  - tcp: localhost
  - ping: 127.0.0.1
EOF
run_roux converge --policy "$work" --root "$root"
expect_rc 1 "bad verify checks"
echo "$ERR" | grep -qF 'recipes/default.yaml:3:5: verify tcp[localhost]: tcp: expected host:port, got "localhost"' ||
  fail "tcp error: $ERR"
echo "$ERR" | grep -qF 'recipes/default.yaml:4:5: verify: unknown check "ping" (known: http, tcp, command, file_contains)' ||
  fail "unknown check error: $ERR"
echo "ok"
