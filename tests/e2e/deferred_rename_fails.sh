#!/usr/bin/env bash
# A written file is put in place later, in one pass with the others (docs/design.md, "Files are
# written atomically"). When that deferred rename fails (here: the name is a mount point, so the
# kernel refuses to rename over it with EBUSY, as it would refuse a full or failing disk), the
# resource that wrote it is FAILED with the error, never reported changed: its dependents are
# skipped, its delayed and immediate notifications are not delivered, the exit code is 6 (changes
# and failures) and no run-level error is left; the file keeps its old content and no temp file
# stays. The other resources are untouched by the failure. Once the mount is gone, the next
# converge writes the files and delivers the notifications. Needs root and unshare.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (bind mounts)"
unshare --mount --propagation private true 2>/dev/null || skip "cannot unshare a mount namespace"
work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/var/log"
write_policy "$work" trust <<'EOF'
resources:
  - file: /etc/ok.conf
    content: "new ok\n"
    backup: 0
    notify: exec[ok-hook]
  - file: /etc/busy.conf
    content: "new busy\n"
    backup: 0
    notify: exec[busy-hook]
  - file: /etc/busy-now.conf
    content: "new busy-now\n"
    backup: 0
    notify: {resource: "exec[now-hook]", timing: immediately}
  - file: /etc/after.conf
    content: "after\n"
    requires: file[/etc/busy.conf]
  - exec: ok-hook
    command: echo ok >> "$ROUX_ROOT/var/log/ok-hook"
    refresh_only: true
  - exec: busy-hook
    command: echo busy >> "$ROUX_ROOT/var/log/busy-hook"
    refresh_only: true
  - exec: now-hook
    command: echo now >> "$ROUX_ROOT/var/log/now-hook"
    refresh_only: true
EOF
for f in ok busy busy-now; do echo "old $f" >"$root/etc/$f.conf"; done
echo "mounted busy" >"$work/busy.src"
echo "mounted busy-now" >"$work/busy-now.src"
export ROUX work root
unshare --mount --propagation private bash -c '
  set -u
  mount --bind "$work/busy.src" "$root/etc/busy.conf" || exit 77
  mount --bind "$work/busy-now.src" "$root/etc/busy-now.conf" || exit 77
  "$ROUX" converge --policy "$work" --root "$root" --format json >"$work/first.json" 2>"$work/first.err"
  echo $? >"$work/first.rc"
  ls -a "$root/etc" >"$work/first.ls"
  ls "$root/var/log" >"$work/first.hooks"
  umount "$root/etc/busy.conf" "$root/etc/busy-now.conf"
  cat "$root/etc/busy.conf" "$root/etc/busy-now.conf" >"$work/first.under"
  "$ROUX" converge --policy "$work" --root "$root" --format json >"$work/second.json" 2>"$work/second.err"
  echo $? >"$work/second.rc"
' || { rc=$?; [ $rc = 77 ] && skip "cannot bind-mount a file"; fail "in the mount namespace (exit $rc)"; }
[ "$(cat "$work/first.rc")" = 6 ] || fail "first converge: exit $(cat "$work/first.rc"), want 6 (changes and failures): $(tail -3 "$work/first.err")"
python3 - "$work" <<'PY' || fail "the first converge's report is not truthful"
import json, os, sys
work = sys.argv[1]
rep = json.load(open(os.path.join(work, "first.json")))
by = {r["id"]: r for r in rep["resources"]}
def want(rid, status):
    got = by.get(rid, {}).get("status")
    assert got == status, f"{rid}: {got}, want {status}: {by.get(rid)}"
want("file[/etc/ok.conf]", "changed")
for rid in ("file[/etc/busy.conf]", "file[/etc/busy-now.conf]"):
    want(rid, "failed")
    err = by[rid].get("error", "")
    assert "rename" in err and "Device or resource busy" in err, err
    assert not by[rid].get("changes"), f"{rid} reports changes that did not land: {by[rid]['changes']}"
want("file[/etc/after.conf]", "skipped")
assert "file[/etc/busy.conf]" in by["file[/etc/after.conf]"].get("skip_reason", ""), by["file[/etc/after.conf]"]
want("exec[ok-hook]", "changed")
assert rep["errors"] == [], f"run errors: {rep['errors']}"
t = rep["totals"]
assert t["failed"] == 2 and t["changed"] == 2, t
print("first converge: ok.conf changed, busy files failed (EBUSY), after.conf skipped, hooks right")
PY
[ "$(cat "$work/first.hooks")" = ok-hook ] || fail "hooks run by the first converge: $(cat "$work/first.hooks"), want only ok-hook (not busy-hook, now-hook: their notifier did not land)"
! grep -qx after.conf "$work/first.ls" || fail "file[/etc/after.conf] was written although its dependency failed"
[ "$(cat "$work/busy.src")" = "mounted busy" ] || fail "the mounted file was written through"
[ "$(cat "$work/first.under")" = "$(printf 'old busy\nold busy-now')" ] || fail "files under the mounts: $(cat "$work/first.under")"
! grep -q 'roux-tmp' "$work/first.ls" || fail "temp files left: $(grep roux-tmp "$work/first.ls")"
[ "$(cat "$work/second.rc")" = 2 ] || fail "after the unmount: exit $(cat "$work/second.rc"), want 2: $(tail -3 "$work/second.err")"
[ "$(cat "$root/etc/busy.conf")" = "new busy" ] || fail "busy.conf not written by the second converge"
[ "$(cat "$root/etc/after.conf")" = "after" ] || fail "after.conf not written by the second converge"
[ -f "$root/var/log/busy-hook" ] && [ -f "$root/var/log/now-hook" ] || fail "the second converge did not notify the hooks"
echo ok
