#!/usr/bin/env bash
# A file or template that holds a secret but sets no mode is created 0644, readable by every user
# of the host. roux does not change the mode on its own (a service user may need to read the
# file); it warns at the resource, every run, until a mode is set. The warning holds no secret.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
S=world-readable-Secret-3Hx
run_roux secret keygen --out "$work/host"
expect_rc 0 "keygen"
enc=$("$ROUX" secret encrypt --key "$work/host.pub" --value "$S")
mkdir -p "$work/cookbooks/app/templates"
printf 'password = {{attr.app.pw}}\n' >"$work/cookbooks/app/templates/db.conf.mustache"
printf 'app:\n  pw: "%s"\n' "$enc" >"$work/cookbooks/app/attributes.yaml"
write_policy "$work" app <<EOF
resources:
  - template: /etc/db.conf
    source: db.conf.mustache
  - file: /etc/token
    content: "$enc"
  - file: /etc/private
    content: "$enc"
    mode: "0600"
  - file: /etc/public
    content: "nothing secret\n"
EOF
run_roux converge --policy "$work" --root "$root" --secret-key "$work/host.key"
expect_rc 2 "converge"
grep -q 'recipes/default.yaml:2:5: template\[/etc/db.conf\]: holds a secret but sets no mode' <<<"$ERR" ||
  fail "no warning for the template without a mode: $ERR"
grep -q 'recipes/default.yaml:4:5: file\[/etc/token\]: holds a secret but sets no mode.*mode: "0600"' <<<"$ERR" ||
  fail "no warning for the file without a mode: $ERR"
if grep -q '/etc/private\]\|/etc/public\]' <<<"$ERR"; then fail "a warning for a file with a mode, or without a secret: $ERR"; fi
if grep -qF -- "$S" <<<"$OUT$ERR"; then fail "the warning shows the secret"; fi
echo "ok"
