#!/usr/bin/env bash
# A FIFO or a device node at a managed file path is never opened: plan and converge refuse it
# ("is a special file") from its lstat, without blocking on the FIFO or running a device driver's
# open. Observable for the FIFO: a writer blocked opening it is released only if a reader opens it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
mkfifo "$root/etc/fifo.conf"
have_dev=0
if mknod "$root/etc/dev.conf" c 1 3 2>/dev/null; then have_dev=1; fi   # like /dev/null (root only)
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/fifo.conf
    content: "x\n"
  - template: /etc/fifo-tpl.conf
    source: t.mustache
  - file: /etc/dev.conf
    content: "x\n"
  - file: /etc/ok.conf
    content: "ok\n"
EOF2
mkdir -p "$work/cookbooks/app/templates"
echo "t" >"$work/cookbooks/app/templates/t.mustache"
mkfifo "$root/etc/fifo-tpl.conf"
[ "$have_dev" = 1 ] || printf 'x\n' >"$root/etc/dev.conf"

# The witness: a writer that blocks in open() until someone opens the FIFO for reading.
(exec 3>"$root/etc/fifo.conf"; echo opened >"$work/fifo-opened") &
witness=$!
stop_witness() { kill "$witness" 2>/dev/null || true; _e2e_cleanup; }
trap stop_witness EXIT

for cmd in plan converge; do
  RC=0
  timeout 30 "$ROUX" "$cmd" --policy "$work" --root "$root" --format json --report "$work/$cmd.json" \
    >"$work/out" 2>"$work/err" || RC=$?
  [ "$RC" != 124 ] || fail "$cmd blocked on a FIFO at a managed path"
  [ "$RC" = 6 ] || { cat "$work/err" >&2; fail "$cmd: exit $RC, want 6 (failures and changes)"; }
  for id in "file[/etc/fifo.conf]" "template[/etc/fifo-tpl.conf]"; do
    [ "$(resource_field "$work/$cmd.json" "$id" status)" = failed ] || fail "$cmd: $id not failed"
    err=$(resource_field "$work/$cmd.json" "$id" error)
    grep -q "special file" <<<"$err" || fail "$cmd: $id error: $err"
  done
  if [ "$have_dev" = 1 ]; then
    [ "$(resource_field "$work/$cmd.json" "file[/etc/dev.conf]" status)" = failed ] || fail "$cmd: device not refused"
  fi
  [ -p "$root/etc/fifo.conf" ] && [ -p "$root/etc/fifo-tpl.conf" ] || fail "$cmd replaced a FIFO"
done
[ "$(cat "$root/etc/ok.conf")" = ok ] || fail "the other file was not converged"
sleep 0.2
[ ! -e "$work/fifo-opened" ] || fail "roux opened the FIFO at a managed path"
# The device node: no open() of it at all (seen with strace, when there is one).
if [ "$have_dev" = 1 ] && command -v strace >/dev/null; then
  strace -f -qq -e trace=open,openat,openat2 -o "$work/trace" "$ROUX" plan --policy "$work" --root "$root" >/dev/null 2>&1 || true
  [ -s "$work/trace" ] || fail "strace recorded nothing"
  if grep -q 'dev\.conf' "$work/trace"; then grep 'dev\.conf' "$work/trace" >&2; fail "roux opened the device node"; fi
fi
echo ok
