#!/usr/bin/env bash
# A crash must not dump plaintext: once roux holds a private key (and so decrypted secrets), its
# soft core limit is 0 and it is not dumpable (prctl PR_SET_DUMPABLE 0). The limit is checked
# from inside the run: an exec reads its parent's (roux's) /proc/PID/limits. The dumpable flag is
# not visible in /proc from another process, so src/base/secret_test.cc checks it with
# PR_GET_DUMPABLE after PrivateKey::load. A run without secrets leaves the limit alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
ulimit -S -c 4096 2>/dev/null || skip "cannot raise the soft core limit here"
run_roux secret keygen --out "$work/host"
expect_rc 0 "keygen"
enc=$("$ROUX" secret encrypt --key "$work/host.pub" --value core-dump-Secret-2Vb)

# probe NAME [ENC]: a recipe whose exec records its parent's (roux's) core limit; with ENC, the
# exec holds that secret in its environment, so the run decrypts it.
probe() {
  {
    printf 'resources:\n  - exec: %s\n' "$1"
    printf '    command: '\''grep "^Max core file size" /proc/$PPID/limits >"$ROUX_ROOT/etc/core-limit"'\''\n'
    if [ -n "${2:-}" ]; then printf '    environment:\n      TOKEN: "%s"\n' "$2"; fi
  } | write_policy "$work" app
}
soft_limit() {
  local _a _b _c _d soft _rest
  read -r _a _b _c _d soft _rest <"$root/etc/core-limit"
  echo "$soft"
}

probe without-secret
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "converge without secrets"
[ "$(soft_limit)" != 0 ] || fail "a run without secrets set the core limit to 0: $(cat "$root/etc/core-limit")"

probe with-secret "$enc"
run_roux converge --policy "$work" --root "$root" --secret-key "$work/host.key"
expect_rc 2 "converge with a secret"
[ "$(soft_limit)" = 0 ] || fail "roux's soft core limit is not 0 while it holds secrets: $(cat "$root/etc/core-limit")"
echo "ok"
