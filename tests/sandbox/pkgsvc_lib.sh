# Helpers for the package/service sandbox scenarios (sourced INSIDE the sandbox by tests/e2e/pkgsvc_*.sh).
# Every scenario re-executes itself through tests/sandbox/run.sh when it is not yet inside.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

# write_policy DIR ENSURE VERSION GREETING [EXTRA_RESOURCES_YAML]
# A policy with one cookbook "rouxd": package rouxd (ENSURE, optional VERSION pin) + librouxd via
# dependency, package rouxtool, a template of /etc/rouxd.conf notifying service[rouxd], and the
# service running + enabled.
write_policy() {
  local dir=$1 ensure=$2 version=$3 greeting=$4 extra=${5:-}
  mkdir -p "$dir/cookbooks/rouxd/recipes" "$dir/cookbooks/rouxd/templates"
  cat > "$dir/policy.yaml" <<P
name: pkgsvc
sources:
  - cookbooks
run_list:
  - rouxd
attributes:
  rouxd:
    greeting: "$greeting"
P
  printf 'name: rouxd\nversion: 1.0.0\ndescription: sandbox fixture\n' > "$dir/cookbooks/rouxd/metadata.yaml"
  printf 'greeting = {{attr.rouxd.greeting}}\n' > "$dir/cookbooks/rouxd/templates/rouxd.conf.mustache"
  {
    echo "resources:"
    echo "  - package: rouxd"
    echo "    ensure: $ensure"
    [ -n "$version" ] && echo "    version: \"$version\""
    echo "  - package: rouxtool"
    echo "  - template: /etc/rouxd.conf"
    echo "    source: rouxd.conf.mustache"
    echo "    mode: \"0644\""
    echo "    requires: package[rouxd]"
    echo "    notify: service[rouxd]"
    echo "  - service: rouxd"
    echo "    running: true"
    echo "    enabled: true"
    printf '%s' "$extra"
  } > "$dir/cookbooks/rouxd/recipes/default.yaml"
}

# changes REPORT_JSON -> one line per change: "id property: before -> after", sorted.
changes() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
out = []
for res in r["resources"]:
    for c in res["changes"]:
        out.append(f'{res["id"]} {c["property"]}: {c["before"]} -> {c["after"]}')
print("\n".join(sorted(out)))
PY
}

# field REPORT_JSON PYEXPR (r = report) -> prints the expression's value.
field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }

# run_roux MODE POLICY_DIR REPORT -> runs roux, prints its text output, returns its exit code.
run_roux() {
  local mode=$1 dir=$2 report=$3 rc=0
  "$ROUX" "$mode" --policy "$dir" --report "$report" --no-color > "$report.txt" 2>&1 || rc=$?
  cat "$report.txt"
  return $rc
}

# expect_rc WANT CMD... : runs CMD, fails unless it exits WANT.
expect_rc() {
  local want=$1 rc=0; shift
  "$@" || rc=$?
  [ "$rc" = "$want" ] || fail "expected exit $want, got $rc: $*"
}

# snapshot -> everything plan must not change: the file tree (path, type, mode, owner, size,
# mtime; not /tmp, where the test keeps its reports, nor roux's state folder /var/lib/roux),
# the package list, and the init-script status of every service.
snapshot() {
  # Under systemd (tests/sandbox/nspawn.sh), agetty creates /run/agetty.reload about a second after
  # boot, whenever it gets to it: that file and the size/mtime of /run itself are not ours to judge.
  # /var/log/journal: journald stores every log record there, roux's own closing record of a plan
  # included (docs/output.md): a log line, not a change of the host's state.
  find / -xdev \( -path /var/lib/roux -o -path /tmp -o -path /roux -o -path /run/agetty.reload \
    -o -path /var/log/journal \) -prune \
    -o -path /run -printf '%p %y %m %u\n' -o -printf '%p %y %m %u %s %T@\n' 2>/dev/null | sort
  dpkg-query -W -f='${Package} ${Version} ${Status}\n' | sort
  for s in /etc/init.d/*; do echo "$(basename "$s") $("$s" status >/dev/null 2>&1; echo $?)"; done
}

service_running() { /etc/init.d/"$1" status >/dev/null 2>&1; }
service_enabled() { ls /etc/rc2.d/ | grep -q "^S[0-9][0-9]$1\$"; }
pkg_version() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'; }
