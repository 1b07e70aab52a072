#!/usr/bin/env bash
# HTTPS supermarket: TLS is always verified. A server whose certificate no trusted CA signed is
# refused (exit 1, nothing changed); the same server is accepted once its CA is given as the CA
# bundle, by --ca-bundle or by ca_bundle: in the client config.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTPS server"
command -v openssl >/dev/null || skip "openssl (CLI) is needed to make the test certificate"

work=$(e2e_tmpdir)
openssl req -x509 -newkey ed25519 -nodes -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$work/tls.key" -out "$work/tls.pem" 2>/dev/null || fail "openssl req"
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish"
start_server "$work/market" TLS "$work/tls.pem" "$work/tls.key"
url="https://127.0.0.1:$TLS_PORT"

run_roux supermarket search base --from "$url" --trust "$work/team.pub" --config /dev/null
expect_rc 1 "a certificate no trusted CA signed"
grep -qi "certificate" <<<"$ERR" || fail "TLS refusal should name the certificate: $ERR"
run_roux supermarket search base --from "$url" --trust "$work/team.pub" --ca-bundle "$work/tls.pem" --config /dev/null
expect_rc 0 "with --ca-bundle"
grep -q "^base 1.0.0" <<<"$OUT" || fail "search over https: $OUT"

mkdir -p "$work/policy"
printf 'name: tls\nsources:\n  - %s\nrun_list:\n  - base\n' "$url" >"$work/policy/policy.yaml"
root=$(e2e_tmpdir)
mkdir -p "$root/etc" "$root/var/lib/roux"
run_roux converge --policy "$work/policy" --root "$root" --trust "$work/team.pub" --config /dev/null
expect_rc 1 "converge without the CA"
[ ! -e "$root/etc/base.conf" ] || fail "converged through an unverified TLS server"
run_roux converge -n --policy "$work/policy" --root "$root" --trust "$work/team.pub" --ca-bundle "$work/tls.pem" --config /dev/null
expect_rc 2 "converge -n --ca-bundle (as mirror's)"
printf 'ca_bundle: %s\ntrusted_keys:\n  - %s\n' "$work/tls.pem" "$work/team.pub" >"$work/client.yaml"
run_roux converge --policy "$work/policy" --root "$root" --config "$work/client.yaml"
expect_rc 2 "converge with ca_bundle: and trusted_keys: from the client config"
[ "$(cat "$root/etc/base.conf")" = "base 1.0.0" ] || fail "content over https"
echo ok
