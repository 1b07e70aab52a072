#!/usr/bin/env bash
# systemd reads unit files AND /etc/fstab (its .mount and .swap units come from fstab) at a
# daemon-reload: systemd_unit, mount and swap_file share one batch, so a run that changes a unit,
# a mount's fstab line and a swap file's fstab line asks for ONE daemon-reload, after the last of
# those edits, naming all of them. Under --root there is no running systemd: the reload is not made
# and the first changed member's output says so, once, listing what changed (the live case,
# with the `daemon_reload` change, is tests/e2e/systemd_nspawn_mount.sh). A swap file alone also
# asks for it (it edits fstab). Second converge: 0 changes; plan == converge.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc/systemd/system" "$root/srv/data" "$root/mnt/data"
printf '# fstab\n' >"$root/etc/fstab"
write_policy "$work" sd <<'EOF'
resources:
  - systemd_unit: app.service
    verify: false
    content: |
      [Service]
      ExecStart=/bin/true
  - mount: /mnt/data
    device: /srv/data
    fstype: none
    options: bind
    ensure: enabled
  - swap_file: /swapfile
    size: 64K
EOF
plan_then_converge "$work" "$root"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
# The first converge's report: one "no daemon-reload" notice, naming the unit and fstab.
rm -rf "$root"
mkdir -p "$root/etc/systemd/system" "$root/srv/data" "$root/mnt/data"
printf '# fstab\n' >"$root/etc/fstab"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "first converge"
printf '%s' "$OUT" | python3 -c '
import json, sys
rep = json.load(sys.stdin)
notes = [(r["id"], r.get("output", "")) for r in rep["resources"] if "no daemon-reload" in r.get("output", "")]
assert len(notes) == 1, f"want one daemon-reload notice for the run, got {notes}"
rid, text = notes[0]
assert rid == "systemd_unit[app.service]", rid
assert "(/etc/fstab, app.service take effect when systemd starts)" in text, text
swap = [r for r in rep["resources"] if r["id"] == "swap_file[/swapfile]"][0]
assert any(c["property"] == "fstab" for c in swap.get("changes", [])), swap
' || fail "one reload for the unit and both fstab edits"
# A swap file alone: its fstab edit asks for the reload too.
write_policy "$work" sd <<'EOF'
resources:
  - swap_file: /swapfile2
    size: 64K
EOF
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "swap file alone"
printf '%s' "$OUT" | python3 -c '
import json, sys
rep = json.load(sys.stdin)
r = [r for r in rep["resources"] if r["id"] == "swap_file[/swapfile2]"][0]
assert "no running systemd: no daemon-reload (/etc/fstab take effect when systemd starts)" in r.get("output", ""), r
' || fail "a swap file fstab edit does not ask for a daemon-reload"
echo ok
