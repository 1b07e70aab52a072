#!/usr/bin/env bash
# Packages under --root: dpkg/apt run maintainer scripts against the running system, not the image,
# so roux refuses them with a message that says why and what to do (run roux inside the image:
# chroot or container). The refusal fails the package resource alone (exit 4 in plan and in
# converge), its dependents are skipped, and everything else in the policy converges; nothing of
# the package manager is touched in the tree.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc" "$root/var/lib/dpkg"
: >"$root/var/lib/dpkg/status"
write_policy "$work" app <<'EOF2'
resources:
  - package: hello
  - file: /etc/hello.conf
    content: "x\n"
    requires: package[hello]
  - file: /etc/motd
    content: "hi\n"
EOF2
want="packages can only be managed on the live root (--root is \"$root\"): dpkg/apt under another root run maintainer scripts against the wrong system; run roux inside that system (chroot, container) instead"
for mode in plan converge; do
  run_roux "$mode" --policy "$work" --root "$root" --format json --report "$work/$mode.json"
  expect_rc 6 "$mode with a package under --root (a failure and a change)"
  python3 - "$work/$mode.json" "$want" <<'PY' || fail "$mode: report"
import json, sys
r = json.load(open(sys.argv[1]))
by = {x["id"]: x for x in r["resources"]}
assert by["package[hello]"]["status"] == "failed", by["package[hello]"]
assert by["package[hello]"]["error"] == sys.argv[2], by["package[hello]"]["error"]
assert by["file[/etc/hello.conf]"]["status"] == "skipped", by["file[/etc/hello.conf]"]
assert by["file[/etc/motd]"]["status"] in ("changed", "would_change"), by["file[/etc/motd]"]
PY
done
[ "$(cat "$root/etc/motd")" = hi ] || fail "the rest of the policy did not converge"
[ ! -e "$root/etc/hello.conf" ] || fail "the package's dependent was converged"
[ ! -s "$root/var/lib/dpkg/status" ] || fail "the image's dpkg status was touched"
echo "PASS: packages under --root refused with the reason, alone"
