#!/usr/bin/env bash
# bench/fleet.sh with 3 clients and 3 cookbooks against a real nginx on 127.0.0.1: every client
# run succeeds, a cold run makes 2 + 2 x 3 requests, a run with nothing changed exactly one (a
# 304), a run after a publish 4 (index, signature, the new tarball and its signature).
source "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || skip "nginx is not installed (scripts/install-deps.sh --with-bench)"
command -v python3 >/dev/null || skip "python3 is needed to pick a free port"

out=$(COOKBOOKS=3 BLOB_KB=4 ROUX="$ROUX" bash "$ROUX_SOURCE_DIR/bench/fleet.sh" 3 2>&1) || fail "fleet.sh failed: $out"
python3 - "$out" <<'PY' || fail "bench figures: $out"
import sys
rows = {}
for line in sys.argv[1].splitlines():
    f = line.split()
    if len(f) == 11 and f[0] == "3":
        rows[f[1]] = f
assert set(rows) == {"cold", "noop", "publish"}, rows
want = {"cold": ("8.00", "24", "0"), "noop": ("1.00", "0", "3"), "publish": ("4.00", "12", "0")}
for phase, (per_run, ok200, ok304) in want.items():
    r = rows[phase]
    assert r[3] == "0", (phase, "failures", r)
    assert r[4] == per_run, (phase, "requests per run", r)
    assert r[8] == "0", (phase, "other statuses", r)
    assert r[6] == ok200, (phase, "200s", r)
    assert r[7] == ok304, (phase, "304s", r)
assert int(rows["noop"][5]) < 400, ("a 304 carries no body", rows["noop"])
PY
echo "ok"
