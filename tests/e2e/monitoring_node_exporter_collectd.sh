#!/usr/bin/env bash
# Sandbox: monitoring_agent node_exporter (textfile_directory) and collectd (process + disk checks)
# expand into their package, config and service: the textfile folder exists, node_exporter answers
# on 127.0.0.1:9100/metrics with a metric dropped in that folder, `collectd -t` accepts the
# generated config; a second converge changes nothing.
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh

P=/tmp/policy
mkdir -p "$P/cookbooks/mon/recipes"
printf 'name: mon\nsources: [cookbooks]\nrun_list: [mon]\n' > "$P/policy.yaml"
printf 'name: mon\nversion: 1.0.0\n' > "$P/cookbooks/mon/metadata.yaml"
cat > "$P/cookbooks/mon/recipes/default.yaml" <<'R'
resources:
  - monitoring_agent: node_exporter
    textfile_directory: /var/lib/roux-textfile
  - monitoring_agent: collectd
    checks:
      - name: cron
        type: process
        process: cron
      - name: root
        type: disk
        path: /
        warning: 85
        critical: 95
R
expect_rc 2 run_roux converge $P /tmp/c1.json
field /tmp/c1.json '" ".join(x["id"] for x in r["resources"] if x.get("composite") == "monitoring_agent[node_exporter]")' |
  grep -qx 'package\[prometheus-node-exporter\] directory\[/var/lib/roux-textfile\] file\[/etc/default/prometheus-node-exporter\] service\[prometheus-node-exporter\]' ||
  fail "node_exporter expansion not reported with its composite"
[ -d /var/lib/roux-textfile ] || fail "textfile directory missing"
grep -q -- '--collector.textfile.directory=/var/lib/roux-textfile' /etc/default/prometheus-node-exporter || fail "ARGS not written"
echo 'roux_monitoring_test 42' > /var/lib/roux-textfile/roux.prom
metrics() { python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9100/metrics", timeout=2).read().decode())'; }
ok=""
deadline=$(( $(date +%s) + 60 ))  # a loaded CI machine can take a while to start the exporter
while [ "$(date +%s)" -lt "$deadline" ]; do
  if metrics 2>/dev/null | grep -qx 'roux_monitoring_test 42'; then ok=1; break; fi
  sleep 0.5
done
if [ -z "$ok" ]; then
  metrics 2>&1 | grep -v '^#' | head -5 >&2 || true
  service prometheus-node-exporter status >&2 || true
  pgrep -a prometheus-node >&2 || echo "no prometheus-node-exporter process" >&2
  fail "127.0.0.1:9100/metrics does not answer with the textfile metric within 60 s"
fi
echo "node_exporter: /metrics answers with the textfile metric"

grep -q 'Process "cron"' /etc/collectd/collectd.conf.d/roux.conf || fail "collectd config lacks the process check"
collectd -t -C /etc/collectd/collectd.conf > /tmp/collectd-t.log 2>&1 || { cat /tmp/collectd-t.log; fail "collectd -t rejects the config"; }
echo "collectd: -t accepts the generated config"

expect_rc 0 run_roux converge $P /tmp/c2.json >/dev/null
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"
echo "PASS: node_exporter and collectd composites converge, answer, and are idempotent"
