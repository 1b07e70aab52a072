#!/usr/bin/env bash
# roux upgrades itself, in the sandbox on the blank golden image (build tree unmounted): roux V is
# installed from its .deb; a local apt repository (flat, file:) offers V+test1; a policy with
# `package: roux, ensure: latest` is planned (V -> V+test1, nothing changed) and converged by the
# installed roux: dpkg replaces /usr/bin/roux under the running process, the run finishes, exits 2
# and reports the upgrade (JSON report and history); the next `roux --version` is V+test1 and the
# next converge, by the new binary, changes nothing. Skips (77) without the sandbox or the tools.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rc=0; deb1=$(bash "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh") || rc=$?
[ $rc = 77 ] && skip "cannot build the .deb here"
[ $rc = 0 ] || fail "building the .deb failed"
deb2=$(bash "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh" "" +test1) || fail "building the +test1 .deb failed"
repo=$(e2e_tmpdir)
cp "$deb2" "$repo/"
(cd "$repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null && gzip -9kf Packages) || fail "dpkg-scanpackages"
script=$(mktemp /tmp/roux-sb-selfup.XXXXXX)
trap 'rm -f "$script"' EXIT
cat >"$script" <<'EOS'
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
umount /roux/build /roux/src
unset ROUX ROUX_SOURCE_DIR
export DEBIAN_FRONTEND=noninteractive
deb1=$(ls /debs/v1/roux_*.deb); v1=$(dpkg-deb -f "$deb1" Version)
v2=$(sed -n 's/^Version: //p' /srv/roux-repo/Packages)
apt-get install -y -q "$deb1" </dev/null >/tmp/apt1.log 2>&1 || { cat /tmp/apt1.log; fail "install $deb1"; }
[ "$(roux --version)" = "roux $v1" ] || fail "installed: $(roux --version)"
echo 'deb [trusted=yes] file:/srv/roux-repo ./' >/etc/apt/sources.list.d/roux-upgrade.list
apt-get update -q >/tmp/update.log 2>&1 || { cat /tmp/update.log; fail "apt-get update"; }
grep -q "Candidate: $v2" <<<"$(apt-cache policy roux)" || fail "apt does not offer $v2: $(apt-cache policy roux)"

P=/etc/roux/policy
mkdir -p $P/cookbooks/selfupgrade/recipes
printf 'name: selfupgrade\nversion: 1.0.0\n' >$P/cookbooks/selfupgrade/metadata.yaml
printf 'resources:\n  - package: roux\n    ensure: latest\n' >$P/cookbooks/selfupgrade/recipes/default.yaml
printf 'name: selfupgrade\nsources:\n  - cookbooks\nrun_list:\n  - selfupgrade\n' >$P/policy.yaml
changes() { python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for res in r["resources"]:
    for c in res["changes"]:
        print(res["id"], c["property"] + ":", c["before"], "->", c["after"])' "$1"; }

rc=0; roux plan --policy $P --format json >/tmp/plan.json 2>/tmp/plan.err || rc=$?
[ $rc = 2 ] || { cat /tmp/plan.err; fail "plan: exit $rc, want 2"; }
[ "$(changes /tmp/plan.json)" = "package[roux] ensure: $v1 -> $v2" ] || fail "plan: $(changes /tmp/plan.json)"
[ "$(roux --version)" = "roux $v1" ] || fail "plan upgraded roux"

t0=$(date +%s.%N)
rc=0; roux converge --policy $P --format json --report /tmp/report.json >/tmp/c1.json 2>/tmp/c1.err || rc=$?
t1=$(date +%s.%N)
[ $rc = 2 ] || { cat /tmp/c1.err /tmp/c1.json; fail "self-upgrading converge: exit $rc, want 2"; }
[ "$(changes /tmp/c1.json)" = "package[roux] ensure: $v1 -> $v2" ] || fail "converge: $(changes /tmp/c1.json)"
[ "$(changes /tmp/report.json)" = "package[roux] ensure: $v1 -> $v2" ] || fail "--report FILE: $(changes /tmp/report.json)"
python3 -c 'import json, sys; sys.exit(json.load(open("/tmp/c1.json"))["roux_version"] != sys.argv[1])' "$v1" ||
  fail "the upgrading run should report the old binary's version $v1"
[ "$(roux --version)" = "roux $v2" ] || fail "after the upgrade: $(roux --version), want $v2"
dpkg-query -W -f='${Status} ${Version}\n' roux | grep -qx "install ok installed $v2" || fail "dpkg: $(dpkg-query -W -f='${Status} ${Version}' roux)"
roux history --format json >/tmp/history.json || fail "roux history (new binary) failed"
python3 - "$(python3 -c 'import json; print(json.load(open("/tmp/c1.json"))["run_id"])')" <<'PY' || fail "history does not record the upgrading run: $(cat /tmp/history.json)"
import json, sys
runs = json.load(open("/tmp/history.json"))
last = runs[-1]
assert last["run_id"] == sys.argv[1] and last["exit_code"] == 2 and last["changed"] == ["package[roux]"], last
PY
rc=0; roux converge --policy $P --format json >/tmp/c2.json 2>/tmp/c2.err || rc=$?
[ $rc = 0 ] || { cat /tmp/c2.err; fail "converge by the new binary: exit $rc, want 0: $(changes /tmp/c2.json)"; }
echo "SELF-UPGRADE-SECONDS $(python3 -c "print(round($t1-$t0,2))")"
echo SANDBOX-DEB-SELF-UPGRADE-OK
EOS
rc=0
out=$("$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$script" --bind "$(dirname "$deb1"):/debs/v1" --bind "$repo:/srv/roux-repo" 2>&1) || rc=$?
[ $rc = 77 ] && { echo "$out"; exit 77; }
echo "$out"
[ $rc = 0 ] || fail "sandbox scenario rc=$rc"
grep -q SANDBOX-DEB-SELF-UPGRADE-OK <<<"$out" || fail "no OK line"
echo "PASS: roux upgraded itself from a local apt repository and reported the run"
