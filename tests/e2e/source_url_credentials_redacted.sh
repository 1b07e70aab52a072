#!/usr/bin/env bash
# Credentials in a source URL (https://user:password@host/...) are used to fetch and never
# written or shown: not in the lockfile, the report's cookbook sources (--format json, --report,
# last_run.json, reports/), history, the cache, nor any message (an unreachable source's error).
# A webhook URL carries its token in the path or query: a failed POST's warning shows
# scheme://host:port/... only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$work/out"
USER_=roux-bot; PASS=Cr3d-Pass-77xQ; HOOK_TOKEN=hook-T0ken-5Ws; QUERY_TOKEN=query-T0ken-1Lp

run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish"
start_server "$work/market" SRV
# A port nobody listens on.
refused=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

mkdir -p "$work/policy"
printf 'name: t\nsources:\n  - http://%s:%s@127.0.0.1:%s\nrun_list:\n  - base\n' "$USER_" "$PASS" "$SRV_PORT" \
  >"$work/policy/policy.yaml"
cat >"$work/client.yaml" <<EOF
handlers:
  - type: webhook
    url: http://127.0.0.1:$refused/hooks/$HOOK_TOKEN?key=$QUERY_TOKEN
    timeout: 2
EOF

"$ROUX" lock --policy "$work/policy" --root "$root" --trust "$work/team.pub" >"$work/out/lock.stdout" 2>"$work/out/lock.stderr" ||
  fail "lock: $(cat "$work/out/lock.stderr")"
rc=0
"$ROUX" converge --policy "$work/policy" --root "$root" --trust "$work/team.pub" --config "$work/client.yaml" \
  --format json --report "$work/out/converge.report.json" >"$work/out/converge.stdout" 2>"$work/out/converge.stderr" || rc=$?
[ "$rc" = 2 ] ||
  fail "converge from the source with credentials: $(cat "$work/out/converge.stderr")"
[ "$(cat "$root/etc/base.conf")" = "base 1.0.0" ] || fail "the cookbook was not converged"
grep -q "127.0.0.1:$SRV_PORT" "$work/out/converge.stdout" || fail "the report lost the source: $(cat "$work/out/converge.stdout")"

# An unreachable source with credentials: its error names it without them.
mkdir -p "$work/policy2"
printf 'name: t\nsources:\n  - http://%s:%s@127.0.0.1:%s/market\nrun_list:\n  - base\n' "$USER_" "$PASS" "$refused" \
  >"$work/policy2/policy.yaml"
"$ROUX" converge --policy "$work/policy2" --root "$root" --trust "$work/team.pub" --format json \
  >"$work/out/unreachable.stdout" 2>"$work/out/unreachable.stderr" && fail "an unreachable source converged"
grep -q "127.0.0.1:$refused" "$work/out/unreachable.stderr" || fail "the error does not name the source: $(cat "$work/out/unreachable.stderr")"

leaks=0
while IFS= read -r -d '' f; do
  for s in "$PASS" "$USER_:" "$HOOK_TOKEN" "$QUERY_TOKEN"; do
    if grep -qF -- "$s" "$f"; then
      echo "LEAK: $s in $f: $(grep -F -- "$s" "$f" | head -2)" >&2
      leaks=1
    fi
  done
done < <(find "$work/out" "$work/policy" "$work/policy2" "$root/var/lib/roux" -type f ! -name policy.yaml -print0)
[ "$leaks" = 0 ] || fail "credentials leaked"
grep -q "handler webhook: .*http://127.0.0.1:$refused/\.\.\." "$work/out/converge.stderr" ||
  fail "the failed webhook is not named by scheme://host:port/...: $(cat "$work/out/converge.stderr")"
ls "$work/policy"/*.lock* >/dev/null 2>&1 || ls "$work/policy" | grep -qi lock || fail "no lockfile was written: $(ls "$work/policy")"
echo "ok"
