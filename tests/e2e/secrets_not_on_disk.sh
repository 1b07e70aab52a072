#!/usr/bin/env bash
# roux writes no secret in clear to disk beyond the recipe file itself: after a plan, two
# converges and a targeted run of recipes holding a URL with a password (a remote_file's source
# and an attribute) and an ENC[] secret (an exec's environment, a template through an
# attribute), no file under the state folder (last_run, history, reports, pending notifications,
# sensitive names, lock, backups' names) nor the parsed-recipe cache holds the URL password, the
# decrypted secret, or their base64. The parse cache skips a recipe file that holds a URL
# password (it would be a second clear copy), and still caches the others.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
export XDG_CACHE_HOME="$work/cache"
PW=Url-Passw0rd-Zq81; S=Enc-Secret-Kx47; APW=Attr-Url-Pw-Lm52
"$ROUX" secret keygen --out "$work/host" >/dev/null
enc=$("$ROUX" secret encrypt --key "$work/host.pub" --value "$S")
mkdir -p "$work/cookbooks/app/templates"
printf 'token = {{attr.app.token}}\nmirror = {{attr.app.mirror}}\n' >"$work/cookbooks/app/templates/app.conf.mustache"
printf 'app:\n  token: "%s"\n  mirror: "https://mirror:%s@127.0.0.1:9/pub"\n' "$enc" "$APW" >"$work/cookbooks/app/attributes.yaml"
write_policy "$work" app <<EOF
resources:
  - remote_file: /etc/tool.bin
    source: https://deploy:$PW@127.0.0.1:9/tool.bin
    checksum: "sha256:0000000000000000000000000000000000000000000000000000000000000000"
    ignore_failure: true
  - template: /etc/app.conf
    source: app.conf.mustache
    mode: "0600"
    notify: exec[reload]
  - exec: reload
    command: 'echo reloaded >> "\$ROUX_ROOT/etc/reloads"'
    environment:
      TOKEN: "$enc"
    refresh_only: true
EOF
# A second cookbook without secrets: its recipe is still cached.
write_cookbook "$work" plain <<'EOF'
resources:
  - file: /etc/plain
    content: "plain\n"
EOF
printf 'name: e2e\nsources:\n  - cookbooks\nrun_list:\n  - app\n  - plain\n' >"$work/policy.yaml"
args=(--policy "$work" --root "$root" --secret-key "$work/host.key")
"$ROUX" plan "${args[@]}" >"$work/plan.out" 2>&1 || true
"$ROUX" converge "${args[@]}" --format json >"$work/c1.json" 2>"$work/c1.err" || true
grep -q "token = $S" "$root/etc/app.conf" || fail "the template did not get the decrypted secret: $(cat "$work/c1.err")"
"$ROUX" converge "${args[@]}" --format json >"$work/c2.json" 2>"$work/c2.err" || true
"$ROUX" converge "${args[@]}" --only 'template[/etc/app.conf]' >"$work/c3.out" 2>&1 || true
state="$root/var/lib/roux"
[ -f "$state/last_run.json" ] || fail "no last_run.json in $state"
ls "$work/cache/roux/parsed/"* >/dev/null 2>&1 || fail "the parse cache is empty: the plain recipe should be cached"
leaks=0
for s in "$PW" "$S" "$APW"; do
  b64=$(printf '%s' "$s" | base64)
  b64core=${b64:0:12}
  while IFS= read -r -d '' f; do
    if grep -aqF -- "$s" "$f" || grep -aqF -- "$b64core" "$f"; then
      echo "secret $s written to $f" >&2
      leaks=$((leaks + 1))
    fi
  done < <(find "$state" "$work/cache" -type f -print0)
  if find "$state" "$work/cache" | grep -qF -- "$s"; then fail "secret in a file name"; fi
done
[ "$leaks" = 0 ] || fail "$leaks secret(s) written to disk in clear"
echo ok
