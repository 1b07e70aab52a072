#!/usr/bin/env bash
# The fleet report handlers, each against a real receiver on 127.0.0.1: statsd (a UDP listener: the
# DogStatsD lines with policy/host/config tags; plain statsd without tags; a unix datagram socket),
# events (an HTTP receiver: a Datadog event with the DD-API-KEY header from key_file, a Grafana
# annotation with a Bearer token; nothing posted for a no-op run; a hung endpoint bounded by the
# timeout and never failing the run; the key never in any output or report). Then the Prometheus
# `policy` label stays the policy's name when a later run fails to compile.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/var/lib/node-exporter"

cat >"$work/recv.py" <<'PY'
import http.server, json, os, socket, sys, threading, time
work = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.mode == "hang":
            time.sleep(60); return
        rec = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": json.loads(body)}
        with open(os.path.join(work, "events.jsonl"), "a") as f: f.write(json.dumps(rec) + "\n")
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
ports = {}
for mode in ("ok", "hang"):
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H); s.mode = mode; s.daemon_threads = True
    ports[mode] = s.server_address[1]
    threading.Thread(target=s.serve_forever, daemon=True).start()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0)); ports["udp"] = udp.getsockname()[1]
uds = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); uds.bind(os.path.join(work, "statsd.sock"))
def listen(sock, name):
    while True:
        d = sock.recv(65536)
        with open(os.path.join(work, name), "ab") as f: f.write(d + b"\n")
threading.Thread(target=listen, args=(udp, "statsd-udp.txt"), daemon=True).start()
threading.Thread(target=listen, args=(uds, "statsd-uds.txt"), daemon=True).start()
with open(os.path.join(work, "ports"), "w") as f:
    f.write(" ".join(str(ports[m]) for m in ("ok", "hang", "udp")) + "\n")
time.sleep(300)
PY
python3 "$work/recv.py" "$work" &
recv_pid=$!
trap 'kill $recv_pid 2>/dev/null; _e2e_cleanup' EXIT
wait_until 60 test -s "$work/ports" || fail "the test receivers did not start"
read -r p_ok p_hang p_udp <"$work/ports"
key=dd-key-$RANDOM$RANDOM
printf '%s\n' "$key" >"$work/dd.key"; chmod 600 "$work/dd.key"
printf 'grafana-token-%s\n' "$RANDOM$RANDOM" >"$work/gf.key"; chmod 600 "$work/gf.key"
gf=$(cat "$work/gf.key")

cat >"$work/client.yaml" <<EOF
handlers:
  - type: statsd
    address: 127.0.0.1:$p_udp
    tags:
      env: staging
  - type: statsd
    path: $work/statsd.sock
    format: statsd
    prefix: ops.roux
  - type: events
    url: http://127.0.0.1:$p_ok/api/v1/events
    key_file: $work/dd.key
    tags:
      env: staging
  - type: events
    format: grafana
    url: http://127.0.0.1:$p_ok/api/annotations
    key_file: $work/gf.key
  - type: events
    url: http://127.0.0.1:$p_hang/api/v1/events
    timeout: 1
  - type: prometheus
    path: /var/lib/node-exporter
EOF
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/motd
    content: "hello\n"
  - exec: boom
    command: exit 3
EOF
t0=$(date +%s%N)
run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml" --format json
t1=$(date +%s%N)
expect_rc 6 "converge with the fleet handlers (a change and a failure)"
[ $(( (t1 - t0) / 1000000 )) -lt 5000 ] || fail "a hung events endpoint delayed the run beyond its timeout"
echo "$ERR" | grep -qF "handler events: POST http://127.0.0.1:$p_hang/...: Timeout" || fail "the hung endpoint was not reported: $ERR"
for f in "$OUT" "$ERR" "$(cat "$root"/var/lib/roux/history.jsonl)" "$(cat "$root"/var/lib/roux/reports/*.json)"; do
  case "$f" in *"$key"*|*"$gf"*) fail "an API key reached an output or a report";; esac
done
wait_until 20 test -s "$work/statsd-udp.txt" || fail "no statsd datagram"
wait_until 20 test -s "$work/statsd-uds.txt" || fail "no statsd datagram on the unix socket"
host=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hostname"])' <(echo "$OUT") | tr -c 'A-Za-z0-9_./\n-' '_')
tags="|#policy:e2e,host:$host,env:staging"
for want in "roux.run.exit_code:6|g$tags" "roux.run.failed:1|g$tags" "roux.run.count:1|c$tags" \
            "roux.resources.changed:1|g$tags" "roux.resources.failed:1|g$tags"; do
  grep -qxF "$want" "$work/statsd-udp.txt" || fail "statsd line missing: $want; got: $(cat "$work/statsd-udp.txt")"
done
grep -Eq "^roux\.run\.duration:[0-9]+\|ms\|#policy:e2e," "$work/statsd-udp.txt" || fail "statsd duration"
grep -qxF "ops.roux.resources.failed:1|g" "$work/statsd-uds.txt" || fail "plain statsd line: $(cat "$work/statsd-uds.txt")"
wait_until 20 test -s "$work/events.jsonl" || fail "no event posted"
python3 - "$work/events.jsonl" "$key" "$gf" <<'PY' || fail "events: $(cat "$work/events.jsonl")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
dd = [r for r in recs if r["path"] == "/api/v1/events"]
gf = [r for r in recs if r["path"] == "/api/annotations"]
assert len(dd) == 1 and len(gf) == 1, recs
d = dd[0]
assert d["headers"]["dd-api-key"] == sys.argv[2]
b = d["body"]
assert b["title"].endswith(": 1 changed, 1 failed (policy e2e)"), b["title"]
assert b["alert_type"] == "error" and b["source_type_name"] == "roux"
assert "changed file[/etc/motd]" in b["text"] and "failed exec[boom]" in b["text"], b["text"]
assert "policy:e2e" in b["tags"] and "env:staging" in b["tags"], b["tags"]
g = gf[0]
assert g["headers"]["authorization"] == "Bearer " + sys.argv[3]
assert g["body"]["timeEnd"] >= g["body"]["time"] and "roux" in g["body"]["tags"]
PY

# A no-op run posts no event (on: changes), still sends its metrics.
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/motd
    content: "hello\n"
EOF
: >"$work/events.jsonl"; : >"$work/statsd-udp.txt"
run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml"
expect_rc 0 "no-op with handlers"
wait_until 20 test -s "$work/statsd-udp.txt" || fail "no statsd datagram for the no-op run"
sleep 0.5
[ ! -s "$work/events.jsonl" ] || fail "a no-op run posted an event: $(cat "$work/events.jsonl")"

# A run that fails to compile keeps the policy label (the policy's name, not "").
cat >>"$work/cookbooks/app/recipes/default.yaml" <<'EOF'
  - file: /etc/bad
    mode: "0999"
EOF
run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml"
expect_rc 1 "a compile error"
grep -q '^roux_last_run_exit_code{policy="e2e"} 1$' "$root/var/lib/node-exporter/roux.prom" \
  || fail "prometheus policy label after a compile error: $(grep exit_code "$root/var/lib/node-exporter/roux.prom")"
# Even when the policy file itself is unreadable: the last run's name.
echo "name: [broken" >"$work/policy.yaml"
run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml"
expect_rc 1 "a broken policy file"
grep -q '^roux_last_run_exit_code{policy="e2e"} 1$' "$root/var/lib/node-exporter/roux.prom" \
  || fail "prometheus policy label after a broken policy file: $(grep exit_code "$root/var/lib/node-exporter/roux.prom")"

# Bad handler config: clear errors.
printf 'handlers:\n  - type: statsd\n    address: example.com:8125\n' >"$work/bad.yaml"
run_roux converge --policy "$work" --root "$root" --config "$work/bad.yaml"
expect_rc 1 "statsd with a host name"
echo "$ERR" | grep -q 'bad.yaml:3:.*address "example.com:8125": not a numeric IP address (names are not looked up)' || fail "bad statsd address error: $ERR"
printf 'handlers:\n  - type: events\n    url: https://user:pw@example.com/x\n' >"$work/bad.yaml"
run_roux converge --policy "$work" --root "$root" --config "$work/bad.yaml"
expect_rc 1 "events url with credentials"
echo "$ERR" | grep -q 'credentials in the url' || fail "events url credentials error: $ERR"
echo "$ERR" | grep -q 'pw@' && fail "the url password was echoed: $ERR"
echo "ok"
