#!/usr/bin/env bash
# Report handlers from the client config, each against a real receiver: history (rotated by size;
# `roux history`, `roux report RUN_ID`, reports kept with retention), json_file (atomic), webhook
# (a local HTTP server that accepts, one that answers 500, one that hangs, a refused port: the run
# neither fails nor waits beyond the timeout), prometheus textfile (parsed), syslog (a datagram
# socket listener).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"

# Receivers: python3 on 127.0.0.1 only.
cat >"$work/recv.py" <<'PY'
import http.server, os, socket, sys, threading, time
work = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        mode = self.server.mode
        with open(os.path.join(work, "hits-" + mode), "a") as f: f.write("hit\n")
        if mode == "hang":
            time.sleep(60); return
        if mode == "ok":
            with open(os.path.join(work, "webhook-body.json"), "wb") as f: f.write(body)
        self.send_response(200 if mode == "ok" else 500); self.end_headers(); self.wfile.write(b"x")
ports = {}
for mode in ("ok", "fail", "hang"):
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H); s.mode = mode; s.daemon_threads = True
    ports[mode] = s.server_address[1]
    threading.Thread(target=s.serve_forever, daemon=True).start()
# A port nobody listens on: bind, note it, close.
r = socket.socket(); r.bind(("127.0.0.1", 0)); ports["refused"] = r.getsockname()[1]; r.close()
# syslog: a unix datagram socket.
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.bind(os.path.join(work, "log.sock"))
def syslog():
    while True:
        d = u.recv(65536)
        with open(os.path.join(work, "syslog.txt"), "ab") as f: f.write(d + b"\n")
threading.Thread(target=syslog, daemon=True).start()
with open(os.path.join(work, "ports"), "w") as f:
    f.write(" ".join(str(ports[m]) for m in ("ok", "fail", "hang", "refused")) + "\n")
time.sleep(300)
PY
python3 "$work/recv.py" "$work" &
recv_pid=$!
trap 'kill $recv_pid 2>/dev/null; _e2e_cleanup' EXIT
wait_until 60 test -s "$work/ports" || fail "the test receivers did not start"
read -r p_ok p_fail p_hang p_refused <"$work/ports"

cat >"$work/client.yaml" <<EOF
handlers:
  - type: history
    max_bytes: 1500
    keep_reports: 2
  - type: json_file
    path: /var/log/roux/last.json
  - type: json_file
    path: /var/log/fleet/reports/last.json
  - type: webhook
    url: http://127.0.0.1:$p_ok/roux
  - type: webhook
    url: http://127.0.0.1:$p_fail/roux
    timeout: 2
    retries: 2
  - type: webhook
    url: http://127.0.0.1:$p_hang/roux
    timeout: 1
  - type: webhook
    url: http://127.0.0.1:$p_refused/roux
    timeout: 1
  - type: prometheus
    path: /var/lib/node-exporter
  - type: syslog
    path: $work/log.sock
EOF
mkdir -p "$root/var/log/roux" "$root/var/lib/node-exporter"
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/motd
    content: "hello\n"
  - exec: boom
    command: exit 3
EOF
t0=$(date +%s%N)
run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml"
t1=$(date +%s%N)
expect_rc 6 "converge with handlers (a change and a failure)"
elapsed_ms=$(( (t1 - t0) / 1000000 ))
# hang (1 s) + 500 (within 2 s) + refused (fast): the run ends well before a hung server would.
[ "$elapsed_ms" -lt 6000 ] || fail "handlers delayed the run: ${elapsed_ms} ms"
echo "$ERR" | grep -q "handler webhook: .*127.0.0.1:$p_hang" || fail "the hung webhook was not reported: $ERR"
echo "$ERR" | grep -q "handler webhook: .*HTTP status 500" || fail "the 500 webhook was not reported: $ERR"
[ "$(wc -l <"$work/hits-fail")" = 3 ] || fail "the 500 webhook was not tried 1 + 2 times: $(wc -l <"$work/hits-fail")"
python3 - "$work/webhook-body.json" <<'PY' || fail "webhook body is not the JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit_code"] == 6 and r["totals"]["failed"] == 1, r["totals"]
PY
python3 - "$root/var/log/roux/last.json" <<'PY' || fail "json_file report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit_code"] == 6 and any(x["id"] == "exec[boom]" for x in r["resources"])
PY
ls "$root/var/log/roux" | grep -v '^last.json$' && fail "json_file left a temp file"
# A folder that was not there is made (owner only), not an error.
cmp -s "$root/var/log/roux/last.json" "$root/var/log/fleet/reports/last.json" || fail "json_file into a new folder"
[ "$(stat -c %a "$root/var/log/fleet/reports")" = 700 ] || fail "json_file's new folder is not 0700"
# Prometheus text format: parsed line by line.
python3 - "$root/var/lib/node-exporter/roux.prom" <<'PY' || fail "prometheus textfile"
import re, sys
metrics = {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("#"):
        assert re.match(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$", line), line
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+]+)$', line)
    assert m, "bad sample line: " + line
    metrics[m.group(1) + (m.group(2) or "")] = float(m.group(4))
assert metrics['roux_last_run_success{policy="e2e"}'] == 0
assert metrics['roux_resources{policy="e2e",status="failed"}'] == 1
assert metrics['roux_resources{policy="e2e",status="changed"}'] == 1
assert metrics['roux_last_run_duration_seconds{policy="e2e"}'] >= 0
assert metrics['roux_last_run_timestamp_seconds{policy="e2e"}'] > 1.6e9
PY
# syslog: one line for the run, at LOG_ERR (daemon.err = <27>) because a resource failed.
wait_until 30 test -s "$work/syslog.txt" || true
grep -q '^<27>roux\[[0-9]*\]: run .* apply policy e2e: 1 changed, 0 unchanged, 1 failed' "$work/syslog.txt" ||
  fail "syslog line: $(cat "$work/syslog.txt" 2>/dev/null)"

# History: several runs, rotated past max_bytes; `roux history` lists them; `roux report` shows one;
# only the newest keep_reports reports stay.
for _ in 1 2 3 4 5 6; do
  run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml"
done
[ -f "$root/var/lib/roux/history.jsonl.1" ] || fail "history was not rotated"
[ "$(stat -c %s "$root/var/lib/roux/history.jsonl")" -le 1500 ] || fail "history grew past max_bytes"
run_roux history --root "$root"
expect_rc 0 "roux history"
[ "$(echo "$OUT" | grep -c ' apply ')" -ge 4 ] || fail "roux history lists too few runs: $OUT"
[ "$(ls "$root/var/lib/roux/reports" | wc -l)" = 2 ] || fail "report retention: $(ls "$root/var/lib/roux/reports")"
last=$(echo "$OUT" | tail -1 | awk '{print $1}')
run_roux report "$last" --root "$root"
expect_rc 0 "roux report"
echo "$OUT" | grep -q "exec\[boom\]: failed" || fail "roux report: $OUT"
run_roux report nope-123 --root "$root"
expect_rc 1 "roux report of an unknown run"
# Syslog without failures is not at error level.
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/motd
    content: "hello\n"
EOF
: >"$work/syslog.txt"
run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml"
expect_rc 0 "clean run"
wait_until 30 test -s "$work/syslog.txt" || true
grep -q '^<29>roux' "$work/syslog.txt" || fail "clean run syslog priority: $(cat "$work/syslog.txt")"
echo "ok"
