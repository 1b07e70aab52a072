#!/usr/bin/env bash
# A resource whose own secret (ENC[roux,...] in the recipe) does not decrypt with the host's key
# fails alone, with a clear message that holds no secret: its dependents are skipped, every other
# resource converges, the exit code is 6, and nothing of the secret (plaintext, base64, the
# encrypted text) reaches any output. With the right key the same policy converges cleanly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
S=db-Password-Wr0ngKey-42
"$ROUX" secret keygen --out "$work/host" >/dev/null
"$ROUX" secret keygen --out "$work/other" >/dev/null
enc=$("$ROUX" secret encrypt --key "$work/host.pub" --value "$S")

write_policy "$work" app <<RECIPE
resources:
  - file: /etc/db.secret
    content: "$enc"
    mode: "0600"
  - file: /etc/after-secret
    content: "depends on the secret\n"
    requires: file[/etc/db.secret]
  - file: /etc/independent
    content: "converges anyway\n"
RECIPE

run_roux converge --policy "$work" --root "$root" --secret-key "$work/other.key" --format json
expect_rc 6 "converge with the wrong key"
json=$OUT
status_of() { printf '%s' "$json" | python3 -c 'import json,sys; r=json.load(sys.stdin); print({x["id"]: x for x in r["resources"]}[sys.argv[1]].get(sys.argv[2], ""))' "$1" "$2"; }
[ "$(status_of 'file[/etc/db.secret]' status)" = failed ] || fail "the resource with the bad secret did not fail"
status_of 'file[/etc/db.secret]' error | grep -q 'cannot decrypt' || fail "unclear error: $(status_of 'file[/etc/db.secret]' error)"
[ "$(status_of 'file[/etc/after-secret]' status)" = skipped ] || fail "its dependent was not skipped"
[ "$(status_of 'file[/etc/after-secret]' skip_reason)" = "dependency file[/etc/db.secret] failed" ] || fail "skip reason"
[ "$(status_of 'file[/etc/independent]' status)" = changed ] || fail "an independent resource did not converge"
[ ! -e "$root/etc/db.secret" ] || fail "the undecryptable resource was written"
[ -f "$root/etc/independent" ] || fail "independent file missing"

b64=$(printf '%s' "$S" | base64); b64=${b64%%=*}
for f in "$_E2E_SCRATCH"/run.* "$root"/var/lib/roux/*.json* "$root"/var/lib/roux/reports/*; do
  [ -f "$f" ] || continue
  for needle in "$S" "${b64:0:16}" "${enc:12:24}"; do
    if grep -qF -- "$needle" "$f"; then fail "secret material leaked into $f"; fi
  done
done

run_roux converge --policy "$work" --root "$root" --secret-key "$work/host.key"
expect_rc 2 "converge with the right key"
[ "$(cat "$root/etc/db.secret")" = "$S" ] || fail "the right key did not write the secret"
run_roux converge --policy "$work" --root "$root" --secret-key "$work/host.key"
expect_rc 0 "second converge"
echo "PASS: a wrong key fails only the resource that owns the secret"
