#!/usr/bin/env bash
# The phase times a run reports (`phases_ms`, `-vv`'s "phase converge: N ms") are the walk's own:
# the time spent writing its output (a slow terminal, a full pipe, -vv's line per unchanged
# resource) is a "print" phase of its own, after "converge". Here the -vv output goes into a pipe
# nobody reads for 2 s: the walk's phase stays short, the print phase holds the wait, and -vv
# still prints one line per unchanged resource, as before.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root"
n=3000
# Long names: n lines of -vv output (~200 bytes each) overflow a pipe's 64 KiB buffer many times.
long=$(printf 'p%.0s' $(seq 1 160))
{
  echo "resources:"
  echo "  - directory: /srv/d"
  for ((i = 0; i < n; i++)); do printf '  - file: /srv/d/%s%d\n    content: "x"\n' "$long" "$i"; done
} | write_policy "$work" big
common=(--policy "$work" --root "$root" --config /dev/null)
run_roux converge "${common[@]}"
expect_rc 2 "first converge"

# The no-op with -vv, its stderr into a pipe that is read only after 3 s.
mkfifo "$work/pipe"
(exec <"$work/pipe"; sleep 3; cat >"$work/err.txt") &
reader=$!
rc=0
"$ROUX" converge "${common[@]}" -vv --report "$work/report.json" 2>"$work/pipe" >"$work/out.txt" || rc=$?
wait "$reader"
[ "$rc" = 0 ] || fail "no-op: exit $rc: $(cat "$work/err.txt")"
unchanged=$(grep -c ': unchanged$' "$work/err.txt" || true)
[ "$unchanged" = $((n + 1)) ] || fail "-vv: $unchanged lines 'ID: unchanged', want $((n + 1))"
python3 - "$work/report.json" <<'EOF' || fail "phase times: $(grep phase "$work/err.txt")"
import json, sys
ph = json.load(open(sys.argv[1]))["phases_ms"]
assert list(ph)[list(ph).index("converge") + 1] == "print", f"no print phase after converge: {list(ph)}"
# The 3 s the pipe was not read are the print phase's, not the walk's.
assert ph["print"] >= 1500, f"print {ph['print']} ms < 1500 ms"
assert ph["converge"] < 1500, f"converge {ph['converge']} ms holds the printing"
EOF
grep -qE '^roux: debug: phase converge: [0-9.]+ ms$' "$work/err.txt" || fail "-vv: no 'phase converge' line"
grep -qE '^roux: debug: phase print: [0-9.]+ ms$' "$work/err.txt" || fail "-vv: no 'phase print' line"

# --format json prints nothing as it goes: no print phase.
run_roux converge "${common[@]}" --format json
expect_rc 0 "no-op --format json"
python3 -c 'import json, sys; ph = json.loads(sys.stdin.read())["phases_ms"]; assert "print" not in ph and "converge" in ph, ph' <<<"$OUT" ||
  fail "json: phases_ms"
echo "verbose_phase_times: ok"
