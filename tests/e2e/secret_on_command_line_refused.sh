#!/usr/bin/env bash
# A secret on a command line is readable by every user of the host (ps, /proc/PID/cmdline), so
# roux refuses it at compile time, with file:line:col and how to do it instead: an ENC value or an
# interpolated secret attribute in an exec's command (or its name), a guard (only_if / not_if), a
# cron command or environment (its /etc/cron.d file is world-readable), a verify command. Nothing is applied, and the message holds no secret. The way
# that works: the exec's environment: map, read as "$TOKEN" by the command and by its guards.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
S=cmdline-Secret-6Tr2

run_roux secret keygen --out "$work/host"
expect_rc 0 "keygen"
enc=$("$ROUX" secret encrypt --key "$work/host.pub" --value "$S")
mkdir -p "$work/cookbooks/app"
printf 'app:\n  token: "%s"\n' "$enc" >"$work/cookbooks/app/attributes.yaml"

# refused LABEL LINE COL: the recipe on stdin must be refused, pointing at LINE:COL.
refused() {
  local label=$1 line=$2 col=$3
  write_policy "$work" app
  run_roux converge --policy "$work" --root "$root" --secret-key "$work/host.key"
  expect_rc 1 "$label: converge"
  grep -q "recipes/default.yaml:$line:$col: .*a secret .* is readable by every user" <<<"$ERR" ||
    fail "$label: no clear error at $line:$col: $ERR"
  grep -q 'environment: map\|a script instead\|in a file instead' <<<"$ERR" || fail "$label: the error does not say how to do it instead: $ERR"
  if grep -qF -- "$S" <<<"$OUT$ERR"; then fail "$label: the error shows the secret"; fi
  [ ! -e "$root/etc/marker" ] || fail "$label: something was applied"
  # validate (no key) refuses it too.
  run_roux validate "$work"
  [ "$RC" != 0 ] || fail "$label: validate accepted it"
}

refused "exec command (ENC)" 5 14 <<EOF
resources:
  - file: /etc/marker
    content: "x\n"
  - exec: login
    command: "curl -u admin:$enc https://example.invalid/"
EOF
refused "exec command (attribute)" 5 14 <<'EOF'
resources:
  - file: /etc/marker
    content: "x\n"
  - exec: login
    command: "curl -u admin:{{attr.app.token}} https://example.invalid/"
EOF
refused "exec name as command" 4 11 <<'EOF'
resources:
  - file: /etc/marker
    content: "x\n"
  - exec: "echo {{attr.app.token}}"
EOF
refused "only_if on a file" 4 14 <<'EOF'
resources:
  - file: /etc/marker
    content: "x\n"
    only_if: "test {{attr.app.token}} = x"
EOF
refused "not_if list on an exec" 6 9 <<'EOF'
resources:
  - file: /etc/marker
    content: "x\n"
  - exec: true
    not_if:
      - "test {{attr.app.token}} = x"
EOF
refused "cron command" 5 14 <<'EOF'
resources:
  - file: /etc/marker
    content: "x\n"
  - cron: nightly
    command: "backup --password {{attr.app.token}}"
    schedule: "5 * * * *"
EOF
refused "cron environment (a world-readable cron.d file)" 8 14 <<'EOF'
resources:
  - file: /etc/marker
    content: "x\n"
  - cron: nightly
    command: "backup"
    schedule: "5 * * * *"
    environment:
      TOKEN: "{{attr.app.token}}"
EOF
refused "verify command" 5 14 <<'EOF'
resources:
  - file: /etc/marker
    content: "x\n"
verify:
  - command: "check --token {{attr.app.token}}"
EOF

# The way that works: the secret in the exec's environment, read by the command and its guard.
write_policy "$work" app <<'EOF'
resources:
  - exec: use-token
    command: 'printf %s "$TOKEN" | sha256sum >"$ROUX_ROOT/etc/token.sha"'
    environment:
      TOKEN: "{{attr.app.token}}"
    only_if: 'test -n "$TOKEN"'
    not_if: 'test "$TOKEN" = wrong'
EOF
run_roux converge --policy "$work" --root "$root" --secret-key "$work/host.key"
expect_rc 2 "the secret through the environment"
[ "$(cut -c1-64 "$root/etc/token.sha")" = "$(printf '%s' "$S" | sha256sum | cut -c1-64)" ] ||
  fail "the exec (or its guard) did not get the secret from its environment: $OUT"
if grep -qF -- "$S" <<<"$OUT$ERR"; then fail "the secret is shown"; fi
echo "ok"
