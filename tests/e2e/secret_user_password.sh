#!/usr/bin/env bash
# A user's password hash stored as a secret (ENC[roux,v1,...] in attributes, interpolated into the
# user resource): converged by the real shadow tools into a --root tree, the hash lands in the
# root's /etc/shadow, and neither the hash nor its base64 appears in stdout, stderr, the JSON
# report, last_run.json, the history or the per-run reports. Needs root (useradd --root chroots).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "useradd --root needs root"
command -v useradd >/dev/null || skip "no useradd (package passwd)"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$work/out"
cp -a /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/login.defs /etc/default /etc/skel "$root/etc/"
grep -q '^e2esecret:' "$root/etc/passwd" && fail "e2esecret already exists in the copied /etc"
HASH='$y$j9T$SecretCanarySalt0$Zq0wSecretCanaryHashValue0123456789abcd'
"$ROUX" secret keygen --out "$work/host" >/dev/null
enc=$(printf '%s' "$HASH" | "$ROUX" secret encrypt --key "$work/host.pub")
printf 'app:\n  password_hash: "%s"\n' "$enc" >"$work/cookbooks-attrs.yaml"
write_policy "$work" accounts <<'EOF'
resources:
  - user: e2esecret
    uid: 4791
    shell: /bin/sh
    password: "{{attr.app.password_hash}}"
EOF
cp "$work/cookbooks-attrs.yaml" "$work/cookbooks/accounts/attributes.yaml"

"$ROUX" plan --policy "$work" --root "$root" --secret-key "$work/host.key" --format json \
  >"$work/out/plan.json" 2>"$work/out/plan.err" || true
"$ROUX" converge --policy "$work" --root "$root" --secret-key "$work/host.key" \
  >"$work/out/apply.txt" 2>"$work/out/apply.err" || true
"$ROUX" converge --policy "$work" --root "$root" --secret-key "$work/host.key" --format json \
  >"$work/out/apply2.json" 2>"$work/out/apply2.err" || true
grep -qF "e2esecret:$HASH:" "$root/etc/shadow" || fail "the decrypted hash is not in the root's /etc/shadow"
[ "$(json_get "$work/out/apply2.json" 'r["totals"]["changed"]')" = 0 ] || fail "second converge changed something"
[ "$(resource_field "$work/out/plan.json" 'user[e2esecret]' sensitive)" = true ] || fail "the user is not sensitive"
b64=$(printf '%s' "$HASH" | base64 -w0)
for f in "$work"/out/* "$root"/var/lib/roux/*.json* "$root"/var/lib/roux/reports/*; do
  grep -qF -- "$HASH" "$f" && fail "the hash leaked into $f"
  grep -qF -- "${b64:0:24}" "$f" && fail "the hash's base64 leaked into $f"
  grep -qF -- 'SecretCanary' "$f" && fail "part of the hash leaked into $f"
done
echo "ok"
