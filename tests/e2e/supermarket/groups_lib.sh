# Helpers for the policy group scenarios (sourced after ../lib.sh, helpers.sh, bootstrap_lib.sh).
#
#   groups_market WORK           bootstrap_market WORK (cookbooks base 1.0.0 and site 1.0.0 served at
#                                URL, policy web locked and published to group default), then:
#                                WORK/policy-prod, a copy of that policy and lock (site 1.0.0);
#                                site 1.1.0 published (another index.html, one more file) and
#                                WORK/policy re-locked to it with `roux update site` (the staging lock)
#   host_config ROOT WORK        writes WORK/host-NAME.yaml: ROOT's client.yaml with its key path
#                                as this process sees it (ROOT/etc/roux/trusted/team.pub); prints it
#   lock_sha FILE                sha256 of FILE

groups_market() {
  local work=$1
  bootstrap_market "$work"
  cp -r "$work/policy" "$work/policy-prod"
  sed -i 's|<h1>rebuilt by roux</h1>|<h1>staging</h1>|' "$work/src/site/recipes/default.yaml"
  sed -i 's|^resources:$|resources:\n  - file: /etc/site.version\n    content: "1.1.0\\n"|' "$work/src/site/recipes/default.yaml"
  sed -i 's/^version: 1.0.0/version: 1.1.0/' "$work/src/site/metadata.yaml"
  run_roux supermarket publish "$work/src/site" --to "$work/market" --key "$work/team.key"
  expect_rc 0 "publish site 1.1.0"
  run_roux update site --policy "$work/policy" --trust "$work/team.pub" --root "$(e2e_tmpdir)"
  expect_rc 0 "update the staging lock to site 1.1.0"
}

host_config() {
  local root=$1 work=$2 out
  out="$work/host-$(basename "$root").yaml"
  sed "s|/etc/roux/trusted/team.pub|$root/etc/roux/trusted/team.pub|" "$root/etc/roux/client.yaml" >"$out"
  echo "$out"
}

lock_sha() { sha256sum "$1" | cut -d' ' -f1; }
