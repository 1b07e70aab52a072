#!/usr/bin/env bash
# converge -v --jobs: a worker's command output is printed as it comes, each line named by its
# resource ("  exec[x] | line"), not held back until the resource's block. exec[slow] prints a
# line, sleeps 2 s and prints another; exec[quick] (beside it) prints after 1 s. Lines are
# timestamped as they reach the pipe: slow's first line comes about 2 s before its second,
# quick's line between them, and slow's block after its second line; the blocks keep the serial
# order. On a terminal (script's pty) the status line names both running resources.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$(e2e_tmpdir)
write_policy "$work" app <<'POLICY'
resources:
  - exec: slow
    command: "echo first; sleep 2; echo second"
    parallel: true
  - exec: quick
    command: "sleep 1; echo quick-line"
    parallel: true
POLICY
mkdir -p "$work/root"
# Each line of stdout with the time it arrived.
python3 - "$ROUX" "$work" >"$work/lines.json" <<'PY' || fail "converge -v --jobs 4 failed: $(cat "$work/lines.json")"
import json, subprocess, sys, time
roux, work = sys.argv[1], sys.argv[2]
p = subprocess.Popen([roux, "converge", "-v", "--jobs", "4", "--policy", work, "--root", work + "/root",
                      "--config", "/dev/null"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
t0, lines = time.monotonic(), []
for line in p.stdout:
    lines.append([round(time.monotonic() - t0, 3), line.rstrip("\n")])
rc = p.wait()
json.dump({"rc": rc, "lines": lines}, sys.stdout)
sys.exit(0 if rc == 2 else 1)
PY
python3 - "$work/lines.json" <<'PY' || fail "streamed output: $(cat "$work/lines.json")"
import json, sys
got = json.load(open(sys.argv[1]))["lines"]
def when(pred, what):
    hits = [t for t, l in got if pred(l)]
    assert len(hits) == 1, f"{what}: {len(hits)} lines"
    return hits[0]
first = when(lambda l: l == "  exec[slow] | first", "slow's first line")
second = when(lambda l: l == "  exec[slow] | second", "slow's second line")
quick = when(lambda l: l == "  exec[quick] | quick-line", "quick's line")
# A block names its resource and is not an output line.
slow_block = when(lambda l: "exec[slow]" in l and " | " not in l, "slow's block")
quick_block = when(lambda l: "exec[quick]" in l and " | " not in l, "quick's block")
assert second - first >= 1.5, f"slow's first line came only {second - first:.2f}s before its second (held back?)"
assert first < quick < second, f"quick's line ({quick}) not between slow's lines ({first}, {second})"
assert slow_block >= second, "slow's block before its last output line"
# Blocks in the serial order: slow (declared first) before quick, though quick finished first.
order = [l for _, l in got if " | " not in l and "exec[" in l]
assert order.index(next(l for l in order if "exec[slow]" in l)) < order.index(next(l for l in order if "exec[quick]" in l)), order
print(f"first {first}s, quick {quick}s, second {second}s, blocks {slow_block}s/{quick_block}s")
PY

# On a terminal: both running resources on the status line.
if command -v script >/dev/null; then
  rm -rf "$work/root" && mkdir -p "$work/root"
  script -qec "$ROUX converge --jobs 4 --policy $work --root $work/root --config /dev/null" /dev/null >"$work/tty.txt" </dev/null || true
  grep -qaE $'\r\033\\[K  \\.\\.\\. 2 running: exec\\[slow\\] [0-9.]+s; exec\\[quick\\] [0-9.]+s' "$work/tty.txt" ||
    fail "no status line naming both running resources: $(cat -v "$work/tty.txt")"
fi
echo "parallel_streamed_output: ok"
