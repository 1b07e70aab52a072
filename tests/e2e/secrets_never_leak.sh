#!/usr/bin/env bash
# Secrets: `roux secret keygen/encrypt/decrypt`; an ENC[roux,...] value in attributes (used by a
# template) and in a recipe (an exec's environment and command) is decrypted on the host with
# --secret-key / secret_key:, converges, and its plaintext or base64 never appears in stdout,
# stderr, the JSON report, --report, last_run.json, history, per-run reports, a diff or a backup
# name, in plan or converge. A wrong key fails the compile with a clear message and no secret.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$work/out"
S1=tmpl-attr-Secret-7Hq2; S2=exec-env-Secret-9Pw4; S3=rotated-Secret-3Kz8
S2_SHA=$(printf '%s' "$S2" | sha256sum | cut -c1-64)

run_roux secret keygen --out "$work/host"
expect_rc 0 "keygen"
[ "$(stat -c %a "$work/host.key")" = 600 ] || fail "private key is not 0600"
run_roux secret keygen --out "$work/other"
expect_rc 0 "keygen other"
run_roux secret keygen --out "$work/host"
expect_rc 1 "keygen refuses to overwrite"

enc1=$("$ROUX" secret encrypt --key "$work/host.pub" --value "$S1")
enc2=$(printf '%s' "$S2" | "$ROUX" secret encrypt --key "$work/host.pub")
enc3=$("$ROUX" secret encrypt --key "$work/host.pub" --value "$S3")
case "$enc1" in ENC\[roux,v1,*\]) ;; *) fail "encrypt output: $enc1" ;; esac
[ "$(printf '%s' "$enc2" | "$ROUX" secret decrypt --key "$work/host.key")" = "$S2" ] || fail "decrypt round trip"
printf '%s' "$enc2" | "$ROUX" secret decrypt --key "$work/other.key" >/dev/null 2>"$work/out/wrongdec.err" &&
  fail "decrypt with the wrong key succeeded"

mkdir -p "$work/cookbooks/app/templates"
printf 'user = app\npassword = {{attr.app.db_password}}\n' >"$work/cookbooks/app/templates/db.conf.mustache"
gen() {  # gen ENC_FOR_ATTRIBUTE
  printf 'app:\n  db_password: "%s"\n' "$1" >"$work/cookbooks/app/attributes.yaml"
  write_policy "$work" app <<EOF
resources:
  - template: /etc/db.conf
    source: db.conf.mustache
    mode: "0600"
    backup: 3
  - exec: use-token
    command: '[ "\$(printf %s "\$TOKEN" | sha256sum | cut -c1-64)" = "$S2_SHA" ] && echo "token is \$TOKEN" && echo "token \$TOKEN" >&2 && exit 3' 
    environment:
      TOKEN: "$enc2"
  - file: /etc/inline
    content: "{{attr.app.db_password}}\n"
EOF
}
gen "$enc1"
capture() {  # capture NAME ARGS...
  local name=$1
  shift
  "$ROUX" "$@" >"$work/out/$name.stdout" 2>"$work/out/$name.stderr" || true
}
capture plan1 plan --policy "$work" --root "$root" --secret-key "$work/host.key"
capture plan1j plan --policy "$work" --root "$root" --secret-key "$work/host.key" --format json
capture apply1 converge --policy "$work" --root "$root" --secret-key "$work/host.key" --report "$work/out/apply1.report.json"
grep -qx "password = $S1" "$root/etc/db.conf" || fail "the template did not render the decrypted secret"
grep -qx "$S1" "$root/etc/inline" || fail "interpolation did not get the decrypted secret"
grep -q 'command exited 3' "$work/out/apply1.report.json" ||
  fail "the exec did not see the decrypted token in its environment (want exit 3 on purpose)"
# Rotate: a new secret means a content diff and a backup of the old file.
gen "$enc3"
printf 'secret_key: %s\n' "$work/host.key" >"$work/client.yaml"
capture plan2 plan --policy "$work" --root "$root" --config "$work/client.yaml"
capture apply2 converge --policy "$work" --root "$root" --config "$work/client.yaml" --format json
grep -qx "password = $S3" "$root/etc/db.conf" || fail "the rotated secret was not applied (client config secret_key:)"
# A wrong key: a clear error, nothing applied, no secret.
capture wrong converge --policy "$work" --root "$root" --secret-key "$work/other.key"
grep -q 'secret: cannot decrypt with key' "$work/out/wrong.stderr" || fail "wrong key message: $(cat "$work/out/wrong.stderr")"
grep -q 'attributes.app.db_password' "$work/out/wrong.stderr" || fail "wrong key message does not name the attribute"
capture nokey converge --policy "$work" --root "$root" --config /nonexistent
grep -q 'no key to decrypt it' "$work/out/nokey.stderr" || fail "missing key message: $(cat "$work/out/nokey.stderr")"

ls "$root/var/lib/roux/reports/"*.json >/dev/null || fail "no per-run reports"
for s in "$S1" "$S2" "$S3"; do
  b64=$(printf '%s' "$s" | base64)
  b64core=${b64%%=*}
  b64core=${b64core:0:16}
  for f in "$work"/out/* "$root"/var/lib/roux/*.json* "$root"/var/lib/roux/reports/*; do
    if grep -qF -- "$s" "$f" || grep -qF -- "$b64core" "$f"; then
      fail "secret leaked into $f: $(grep -F -- "$s" "$f" | head -3)"
    fi
  done
  if find "$root/var/lib/roux" | grep -qF -- "$s"; then fail "secret in a file name under the state folder"; fi
done
# The reports still say what happened, without the values.
grep -q 'template\[/etc/db.conf\]' "$work/out/apply1.stdout" || fail "the text report lost the resource"
grep -q '"sensitive": true' "$work/out/plan1j.stdout" || fail "the template is not marked sensitive"
echo "ok"
