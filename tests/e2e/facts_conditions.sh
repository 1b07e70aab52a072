#!/usr/bin/env bash
# Facts: `roux facts` reports every group, spawning no process; only_if_fact / not_if_fact decide
# at compile time, a false one is reported `skipped` with its reason (never silently dropped) and
# changes nothing; an unknown fact is a compile error at file:line:col, nothing applied.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"

run_roux facts --format json
expect_rc 0 "roux facts"
echo "$OUT" >"$work/facts.json"
python3 - "$work/facts.json" <<'PY' || fail "facts JSON lacks a group"
import json, sys
f = json.load(open(sys.argv[1]))
for k in ["hostname", "os", "kernel", "cpus", "memory", "interfaces", "init_system", "package_manager",
          "virtualization", "filesystems", "uptime_seconds", "load", "reboot_required", "reboot_required_reason"]:
    assert k in f, k
assert f["init_system"] in ("systemd", "sysv")
assert isinstance(f["reboot_required"], bool) and (f["reboot_required"] == (f["reboot_required_reason"] != ""))
assert any(i["loopback"] for i in f["interfaces"].values()), "no loopback interface"
assert "/" in f["filesystems"] and f["filesystems"]["/"]["size_mb"] > 0
assert not any(fs["type"] in ("proc", "sysfs", "cgroup2") for fs in f["filesystems"].values())
PY
if command -v strace >/dev/null; then
  strace -f -e trace=execve -o "$work/strace.txt" "$ROUX" facts >/dev/null 2>&1 || true
  n=$(grep -c 'execve(' "$work/strace.txt" || true)
  [ "$n" = 1 ] || fail "roux facts spawned processes ($n execve calls)"
fi
os_id=$(json_get "$work/facts.json" 'r["os"]["id"]')
ver=$(json_get "$work/facts.json" 'r["os"]["version_id"]')

write_policy "$work" app <<EOF
resources:
  - file: /etc/matches
    content: "on {{facts.os.id}}\n"
    only_if_fact:
      os.id: "$os_id"
      os.version_id: ["$ver", "never-1"]
  - file: /etc/other-os
    content: "x\n"
    only_if_fact: {os.id: not-this-os}
  - file: /etc/excluded
    content: "x\n"
    not_if_fact: {os.id: "$os_id"}
EOF
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge with fact conditions"
echo "$OUT" >"$work/r.json"
[ "$(cat "$root/etc/matches")" = "on $os_id" ] || fail "the matching resource was not converged"
[ ! -e "$root/etc/other-os" ] || fail "only_if_fact false still applied"
[ ! -e "$root/etc/excluded" ] || fail "not_if_fact true still applied"
[ "$(resource_field "$work/r.json" 'file[/etc/other-os]' status)" = skipped ] || fail "not reported skipped"
reason=$(resource_field "$work/r.json" 'file[/etc/other-os]' skip_reason)
[ "$reason" = "only_if_fact os.id is \"$os_id\", not \"not-this-os\"" ] || fail "skip reason: $reason"
reason=$(resource_field "$work/r.json" 'file[/etc/excluded]' skip_reason)
[ "$reason" = "not_if_fact os.id is \"$os_id\"" ] || fail "skip reason: $reason"
run_roux converge --policy "$work" --root "$root"
expect_rc 0 "second converge"

# A typo in a fact name is an error at its place, and nothing is applied.
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/typo
    content: "x\n"
    only_if_fact: {os.verison_id: "12"}
EOF
run_roux converge --policy "$work" --root "$root"
expect_rc 1 "unknown fact"
echo "$ERR" | grep -qF 'file[/etc/typo]: only_if_fact: unknown fact "os.verison_id"' || fail "unknown fact error: $ERR"
echo "$ERR" | grep -qF 'recipes/default.yaml:4:20:' || fail "unknown fact error location: $ERR"
[ ! -e "$root/etc/typo" ] || fail "applied despite a compile error"
echo "ok"
