#!/usr/bin/env bash
# Sandbox: the prometheus report handler writes its metrics into node-exporter's textfile folder
# (which roux itself sets up with a node_exporter monitoring_agent), and a real node-exporter
# scrape on 127.0.0.1:9100 serves them: success, resource counts by status, and after a no-op run
# the counts move to "unchanged".
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh

P=/tmp/policy
mkdir -p "$P/cookbooks/mon/recipes" /etc/roux
printf 'name: mon\nsources: [cookbooks]\nrun_list: [mon]\n' > "$P/policy.yaml"
printf 'name: mon\nversion: 1.0.0\n' > "$P/cookbooks/mon/metadata.yaml"
cat > "$P/cookbooks/mon/recipes/default.yaml" <<'R'
resources:
  - monitoring_agent: node_exporter
    textfile_directory: /var/lib/roux-textfile
  - file: /etc/motd
    content: "watched by node-exporter\n"
R
cat > /etc/roux/client.yaml <<'C'
handlers:
  - type: prometheus
    path: /var/lib/roux-textfile
C

metrics() { python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9100/metrics", timeout=2).read().decode())'; }
# scrape_until REGEX: polls the exporter until a line matches (it re-reads the folder per scrape).
scrape_until() {
  local deadline=$(( $(date +%s) + 60 ))  # a loaded CI machine can take a while to start the exporter
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if metrics 2>/dev/null | grep -qE "$1"; then return 0; fi
    sleep 0.5
  done
  metrics 2>&1 | grep -v '^# ' | grep -v '^go_\|^node_\|^process_\|^promhttp_' | head -20 >&2 || true
  pgrep -a prometheus-node >&2 || echo "no prometheus-node-exporter process" >&2
  fail "no scraped line matches: $1"
}

expect_rc 2 run_roux converge $P /tmp/c1.json >/dev/null
[ -f /var/lib/roux-textfile/roux.prom ] || fail "the prometheus handler wrote no roux.prom"
scrape_until '^roux_last_run_success\{policy="mon"\} 1$'
scrape_until '^roux_resources\{policy="mon",status="changed"\} [1-9]'
scrape_until '^roux_last_run_timestamp_seconds\{policy="mon"\} [0-9.e+]+$'
echo "first run: node-exporter serves roux_last_run_success 1 and the changed count"

expect_rc 0 run_roux converge $P /tmp/c2.json >/dev/null
total=$(field /tmp/c2.json 'r["totals"]["unchanged"]')
scrape_until "^roux_resources\\{policy=\"mon\",status=\"unchanged\"\\} $total\$"
scrape_until '^roux_resources\{policy="mon",status="changed"\} 0$'
echo "PASS: the scraped metrics follow the runs (no-op: $total unchanged, 0 changed)"
