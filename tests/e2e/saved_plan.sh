#!/usr/bin/env bash
# A saved plan (`roux plan --out PLAN`, `roux converge --plan PLAN`): applied exactly; a no-op plan
# applies as a no-op; refused, changing nothing, on drift after the plan, on a policy change, on an
# edited plan file (a byte flipped, a change removed), on a plan older than --plan-max-age, and
# with --only; the JSON report names the plan applied. Error texts are API: checked verbatim.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/motd
    content: "hello\n"
    mode: "0600"
  - file: /etc/app.conf
    content: "port 80\n"
EOF2
common=(--policy "$work" --root "$root")
plan=$work/plan.json

# 1. Converged host: a plan with no change applies as a no-op (exit 0, nothing written).
run_roux converge "${common[@]}"
expect_rc 2 "first converge"
run_roux plan "${common[@]}" --out "$plan"
expect_rc 0 "no-op plan --out"
[ "$(stat -c %a "$plan")" = 600 ] || fail "plan file mode $(stat -c %a "$plan"), want 600"
[ "$(stat -c %a "$root/var/lib/roux/plan.key")" = 600 ] || fail "plan key is not 0600"
before=$(tree_checksum "$root" var/lib/roux)
run_roux converge "${common[@]}" --plan "$plan" --format json
expect_rc 0 "converge --plan of an empty plan"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "an empty plan changed the host"

# 2. Drift, planned, applied: exactly the planned changes; the report names the plan.
echo old >"$root/etc/motd"
chmod 0644 "$root/etc/motd"
rm "$root/etc/app.conf"
run_roux plan "${common[@]}" --out "$plan"
expect_rc 2 "plan --out with drift"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$plan")
grep -q "^plan saved to $plan (digest ${digest:0:12}); apply exactly it with: roux converge --plan $plan\$" <<<"$OUT" ||
  fail "plan --out does not say where the plan went: $OUT"
python3 - "$plan" <<'PY' || fail "the plan file does not hold the changes and befores"
import json, sys
p = json.load(open(sys.argv[1]))
got = [(c["id"], c["property"], c["before"], c["after"]) for c in p["changes"]]
assert got[0][:2] == ("file[/etc/motd]", "content") and got[0][2].startswith("sha256:"), got
assert ("file[/etc/motd]", "mode", "0644", "0600") in got, got
assert ("file[/etc/app.conf]", "ensure", "absent", "file") in got, got
for k in ("policy_digest", "lock_digest", "host", "created", "roux_version", "hmac"):
    assert p[k], k
PY
run_roux converge "${common[@]}" --plan "$plan" --format json --report "$work/applied.json"
expect_rc 2 "converge --plan"
[ "$(cat "$root/etc/motd")" = hello ] || fail "motd not converged"
[ "$(stat -c %a "$root/etc/motd")" = 600 ] || fail "motd mode not converged"
[ "$(cat "$root/etc/app.conf")" = "port 80" ] || fail "app.conf not created"
[ "$(json_get "$work/applied.json" 'r["saved_plan"]["digest"]')" = "$digest" ] || fail "report does not name the plan"
[ "$(json_get "$work/applied.json" 'r["saved_plan"]["file"]')" = "$plan" ] || fail "report does not name the plan file"
[ "$(json_get "$work/applied.json" 'r["totals"]["changed"]')" = 2 ] || fail "want 2 changed"

# 3. Drift after the plan: refused, exit 1, naming what moved; nothing changed.
echo old >"$root/etc/motd"
run_roux plan "${common[@]}" --out "$plan"
expect_rc 2 "plan before drift"
echo newer >"$root/etc/motd"
before=$(tree_checksum "$root" var/lib/roux)
run_roux converge "${common[@]}" --plan "$plan"
expect_rc 1 "converge --plan after drift"
want="roux: error: saved plan $plan: file[/etc/motd] content: before is now sha256:$(printf 'newer\n' | sha256sum | cut -c1-12) (6 bytes); the plan saw sha256:$(printf 'old\n' | sha256sum | cut -c1-12) (4 bytes)
roux: error: saved plan $plan no longer matches (1 difference); nothing was changed; make a new plan"
[ "$ERR" = "$want" ] || fail "drift refusal text: got
$ERR
want
$want"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a refused plan changed the host"

# 4. Policy change after the plan: refused.
run_roux plan "${common[@]}" --out "$plan"
expect_rc 2 "plan before policy change"
sed -i 's/port 80/port 81/' "$work/cookbooks/app/recipes/default.yaml"
run_roux converge "${common[@]}" --plan "$plan"
expect_rc 1 "converge --plan after a policy change"
grep -q "^roux: error: saved plan $plan: the policy changed since the plan (policy digest [0-9a-f]\{12\}, the plan's [0-9a-f]\{12\})\$" <<<"$ERR" ||
  fail "policy change refusal: $ERR"
[ "$(cat "$root/etc/motd")" = newer ] || fail "a refused plan changed motd"
sed -i 's/port 81/port 80/' "$work/cookbooks/app/recipes/default.yaml"

# 5. An edited plan file: one byte flipped, then a change removed (digest and hmac recomputed
# would need the host's key: here the digest is even recomputed, the hmac cannot be).
run_roux plan "${common[@]}" --out "$plan"
expect_rc 2 "plan before edits"
# One byte of the first change's after value (a hex digit of the content digest) flipped.
python3 - "$plan" "$work/flipped.json" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.index(b'"after": "sha256:') + len(b'"after": "sha256:')
data[i] = ord("0") if data[i] != ord("0") else ord("1")
open(sys.argv[2], "wb").write(data)
PY
cmp -s "$plan" "$work/flipped.json" && fail "the test did not flip a byte"
want_edit="modified after it was written, or was made on another host (its signature does not match this host's plan key); make a new plan"
run_roux converge "${common[@]}" --plan "$work/flipped.json"
expect_rc 1 "converge --plan of a flipped plan"
[ "$ERR" = "roux: error: $work/flipped.json: the plan file was $want_edit" ] || fail "flipped plan: $ERR"
python3 - "$plan" "$work/removed.json" <<'PY'
import hashlib, json, sys
p = json.load(open(sys.argv[1]))
del p["changes"][0]
hmac = p.pop("hmac"); p.pop("digest")
p["digest"] = hashlib.sha256(json.dumps(p, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
p["hmac"] = hmac
json.dump(p, open(sys.argv[2], "w"), indent=2)
PY
run_roux converge "${common[@]}" --plan "$work/removed.json"
expect_rc 1 "converge --plan with a change removed"
[ "$ERR" = "roux: error: $work/removed.json: the plan file was $want_edit" ] || fail "removed change: $ERR"
[ "$(cat "$root/etc/motd")" = newer ] || fail "an edited plan changed motd"

# 6. Too old, and --only with --plan: refused before anything is compiled.
sleep 2
run_roux converge "${common[@]}" --plan "$plan" --plan-max-age 1
expect_rc 1 "converge --plan of an old plan"
grep -q "^roux: error: saved plan $plan refused: it is [0-9]*s old (made .*), older than --plan-max-age 1s; make a new plan; nothing was changed\$" <<<"$ERR" ||
  fail "old plan: $ERR"
run_roux converge "${common[@]}" --plan "$plan" --only 'file[/etc/motd]'
expect_rc 1 "converge --plan --only"
[ "$ERR" = "roux: error: --only and --tags cannot be given with --plan: the saved plan holds its own selection" ] ||
  fail "--only with --plan: $ERR"

# 7. Still applicable after all the refusals: the plan is applied, then stale.
run_roux converge "${common[@]}" --plan "$plan"
expect_rc 2 "converge --plan after refusals"
[ "$(cat "$root/etc/motd")" = hello ] || fail "motd not converged by the plan"
run_roux converge "${common[@]}" --plan "$plan"
expect_rc 1 "the same plan twice"
grep -q "file\[/etc/motd\] content: no longer needed (sha256:" <<<"$ERR" || fail "applied plan again: $ERR"
# 8. A sensitive file: its values never in the plan file; a drift of it is still caught (the
# fingerprint), named without its value. A targeted plan applies only its selection.
cat >>"$work/cookbooks/app/recipes/default.yaml" <<'EOF2'
  - file: /etc/secret
    content: "hunter22\n"
    mode: "0600"
    sensitive: true
EOF2
echo opensesame >"$root/etc/secret"
run_roux plan "${common[@]}" --out "$plan"
expect_rc 2 "plan with a sensitive change"
! grep -q "hunter22\|opensesame" "$plan" || fail "a secret is in the plan file"
echo opensesamf >"$root/etc/secret"
run_roux converge "${common[@]}" --plan "$plan" --format json
expect_rc 1 "converge --plan after a sensitive drift"
printf '%s\n' "$OUT" >"$work/refused.json"
want="roux: error: saved plan $plan: file[/etc/secret] content: the value moved since the plan (not shown: sensitive)
roux: error: saved plan $plan no longer matches (1 difference); nothing was changed; make a new plan"
[ "$ERR" = "$want" ] || fail "sensitive drift: $ERR"
! grep -q "hunter22\|opensesam" <<<"$OUT$ERR" || fail "a secret in the refusal"
[ "$(json_get "$work/refused.json" 'r["saved_plan"]["file"]')" = "$plan" ] || fail "the refusal report does not name the plan"
echo changed >"$root/etc/motd"
run_roux plan "${common[@]}" --only 'file[/etc/motd]' --out "$plan"
expect_rc 2 "targeted plan --out"
run_roux converge "${common[@]}" --plan "$plan" --format json --report "$work/targeted.json"
expect_rc 2 "converge --plan of a targeted plan"
[ "$(cat "$root/etc/motd")" = hello ] || fail "the targeted plan did not converge motd"
[ "$(cat "$root/etc/secret")" = opensesamf ] || fail "the targeted plan converged outside its selection"
[ "$(json_get "$work/targeted.json" 'r["selection"]["only"]')" = '["file[/etc/motd]"]' ] || fail "targeted plan selection"
echo "saved_plan: ok"
