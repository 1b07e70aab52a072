#!/usr/bin/env bash
# A locked policy whose supermarket later serves an index that fails its signature check: the run
# says the source FAILED VERIFICATION (not "unreachable": nobody should debug the network while
# someone tampers with the mirror), uses nothing from it, and converges from the cache, where every
# cookbook is checked against the lockfile's digest.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
make_cookbook "$work/src" base 1.0.0
serve="$work/served"
run_roux supermarket publish "$work/src/base" --to "$serve" --key "$work/team.key"
expect_rc 0 "publish"
start_server "$serve" SRV
mkdir -p "$work/policy"
printf 'name: t\nsources:\n  - http://127.0.0.1:%s\nrun_list:\n  - base\ncookbooks:\n  base: "= 1.0.0"\n' "$SRV_PORT" \
  >"$work/policy/policy.yaml"
root=$(e2e_tmpdir)
mkdir -p "$root/etc"
run_roux lock --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 0 "lock"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 2 "first converge"

# The index is altered after signing.
python3 - "$serve/universe" <<'PY'
import json, sys
u = json.load(open(sys.argv[1]))
u["base"]["1.0.0"]["dependencies"] = {"evil": ">= 0.0.0"}
open(sys.argv[1], "w").write(json.dumps(u))
PY
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub"
expect_rc 0 "converge from the verified cache"
grep -qF "FAILED VERIFICATION" <<<"$ERR" || fail "no verification warning: $ERR"
grep -qF "signature" <<<"$ERR" || fail "the warning does not say which check failed: $ERR"
! grep -qF "is unreachable" <<<"$ERR" || fail "a tampered index reported as unreachable: $ERR"
echo "PASS: tampered index of a locked source: loud verification warning, converge from the verified cache"
