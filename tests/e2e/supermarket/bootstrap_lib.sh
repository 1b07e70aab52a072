# Helpers for the bootstrap scenarios (sourced after ../lib.sh and helpers.sh).
#
#   bootstrap_market WORK        keygen WORK/team, publish cookbooks "site" 1.0.0 and "base" 1.0.0 to
#                                WORK/market, serve it (sets URL, UP_PORT, UP_LOG), write the policy
#                                WORK/policy (name web, run list base + site) locked against URL
#                                and publish it (group default)
#   publish_and_serve WORK POLICY COOKBOOK...
#                                the same for the cookbooks already in WORK/src (WORK/team.key made)
#
# The policy builds: /srv/site (directory), /srv/site/index.html, /etc/site.conf (0640),
# /etc/site.link -> /srv/site/index.html, /etc/base.conf; verify: file_contains /etc/site.conf.

bootstrap_market() {
  local work=$1
  run_roux keygen --out "$work/team"
  expect_rc 0 "keygen"
  make_cookbook "$work/src" base 1.0.0
  mkdir -p "$work/src/site/recipes"
  printf 'name: site\nversion: 1.0.0\ndepends:\n  base: "~> 1.0"\n' >"$work/src/site/metadata.yaml"
  cat >"$work/src/site/recipes/default.yaml" <<'YAML'
resources:
  - directory: /srv/site
    mode: "0755"
  - file: /srv/site/index.html
    content: "<h1>rebuilt by roux</h1>\n"
  - file: /etc/site.conf
    content: "root /srv/site\n"
    mode: "0640"
  - link: /etc/site.link
    to: /srv/site/index.html
verify:
  - file_contains: /etc/site.conf
    contains: "root /srv/site"
YAML
  publish_and_serve "$work" web base site
}

# publish_and_serve WORK POLICY COOKBOOK...: publishes WORK/src/COOKBOOK... (signed by WORK/team.key)
# to WORK/market, serves it (sets URL, UP_PORT, UP_LOG), writes WORK/policy (name POLICY, run list
# the cookbooks) locked against URL, and publishes it (group default).
publish_and_serve() {
  local work=$1 name=$2 cb
  shift 2
  for cb in "$@"; do
    run_roux supermarket publish "$work/src/$cb" --to "$work/market" --key "$work/team.key"
    expect_rc 0 "publish $cb"
  done
  start_server "$work/market" UP
  URL="http://127.0.0.1:$UP_PORT"
  mkdir -p "$work/policy"
  {
    printf 'name: %s\nsources:\n  - %s\nrun_list:\n' "$name" "$URL"
    for cb in "$@"; do printf '  - %s\n' "$cb"; done
  } >"$work/policy/policy.yaml"
  run_roux lock --policy "$work/policy" --trust "$work/team.pub" --root "$(e2e_tmpdir)"
  expect_rc 0 "lock the policy against the supermarket"
  run_roux supermarket publish-policy "$work/policy" --to "$work/market" --key "$work/team.key"
  expect_rc 0 "publish-policy"
}

# json_get JSON PYTHON_EXPR: prints the expression evaluated over `j` (the parsed JSON).
json_get() {
  python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
