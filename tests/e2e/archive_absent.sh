#!/usr/bin/env bash
# archive ensure: absent removes what that archive laid out, from the entry list the unpack
# recorded: a folder the archive made goes entirely; unpacked into an existing folder, only the
# archive's entries go (a foreign file and the folder stay). Plan writes nothing and lists what
# converge does (same changes); the second converge changes nothing; no source is needed. A file
# edited since the unpack refuses the removal (nothing removed) until overwrite: true; nothing is
# removed through a folder replaced by a link. A record
# of an older roux (no entry list) is removed through the recipe's archive when it is the one
# recorded, and refused with a clear message without a source.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/opt/shared"
echo foreign >"$root/opt/shared/keep.txt"
cb="$work/cookbooks/app/files"
mkdir -p "$cb"
python3 - "$cb/app.tar.gz" <<'PY'
import io, sys, tarfile
def add(t, name, data=b"", mode=0o644, typ=tarfile.REGTYPE, link=""):
    i = tarfile.TarInfo(name); i.type = typ; i.mode = mode; i.linkname = link; i.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
with tarfile.open(sys.argv[1], "w:gz") as t:
    add(t, "app-1.0/", typ=tarfile.DIRTYPE, mode=0o755)
    add(t, "app-1.0/bin/run", b"#!/bin/sh\necho run\n", 0o755)
    add(t, "app-1.0/etc/app.conf", b"level = 1\n", 0o640)
    add(t, "app-1.0/etc/copy.conf", typ=tarfile.LNKTYPE, link="app-1.0/etc/app.conf")
    add(t, "app-1.0/current", typ=tarfile.SYMTYPE, link="bin/run")
PY
asum=$(sha256sum "$cb/app.tar.gz" | cut -d' ' -f1)
policy() {  # policy ENSURE OVERWRITE [SOURCE_LINE]
  write_policy "$work" app <<EOF
resources:
  - archive: /opt/app
    ensure: $1
    overwrite: $2
${3:-    source: app.tar.gz}
    strip_components: 1
  - archive: /opt/shared
    ensure: $1
    overwrite: $2
    source: app.tar.gz
    strip_components: 1
EOF
}
rec() { echo "$root/var/lib/roux/archive/$(printf %s "$1" | sha256sum | cut -d' ' -f1)"; }
n=0
both() {  # both RC: plan then converge, same changes, the plan writes nothing
  n=$((n + 1))
  local before
  before=$(tree_checksum "$root")
  run_roux plan --policy "$work" --root "$root" --format json
  expect_rc "$1" "plan $n"
  printf '%s\n' "$OUT" >"$work/plan$n.json"
  [ "$(tree_checksum "$root")" = "$before" ] || fail "plan $n changed the tree"
  run_roux converge --policy "$work" --root "$root" --format json
  expect_rc "$1" "converge $n"
  C="$work/c$n.json"
  printf '%s\n' "$OUT" >"$C"
  diff <(json_changes "$work/plan$n.json") <(json_changes "$C") || fail "plan $n and converge $n differ"
}
idempotent() {
  run_roux converge --policy "$work" --root "$root" --format json
  expect_rc 0 "second converge after $n"
  [ -z "$(json_changes <(printf '%s\n' "$OUT"))" ] || fail "second converge after $n changed something"
}

# 1. Unpack both, then remove both (no source for /opt/app).
policy present false
both 2
[ -f "$root/opt/app/etc/copy.conf" ] && [ -f "$root/opt/shared/bin/run" ] || fail "not unpacked"
policy absent false "    # no source"
both 2
[ ! -e "$root/opt/app" ] || fail "/opt/app was not removed: $(find "$root/opt/app")"
[ "$(cd "$root/opt/shared" && find . | sort | tr '\n' ' ')" = ". ./keep.txt " ] ||
  fail "/opt/shared: not only the foreign file is left: $(find "$root/opt/shared")"
[ ! -e "$(rec /opt/app)" ] && [ ! -e "$(rec /opt/shared)" ] || fail "the records were kept"
[ "$(json_changes "$C")" = "archive[/opt/app]	unpack	sha256:${asum:0:12}	absent (4 removed)
archive[/opt/shared]	unpack	sha256:${asum:0:12}	absent (4 removed)" ] || fail "changes: $(json_changes "$C")"
idempotent

# 2. A file edited since the unpack: refused, nothing removed; then overwrite: true.
policy present false
both 2
echo mine >"$root/opt/shared/etc/app.conf"
policy absent false
both 6  # one removed, one refused
err=$(resource_field "$C" "archive[/opt/shared]" error)
[ "$err" = "entries of /opt/shared changed since the archive was unpacked (/opt/shared/etc/app.conf (file, edited)); nothing was removed: set overwrite: true to remove them too" ] ||
  fail "edited: $err"
[ -f "$root/opt/shared/etc/app.conf" ] && [ -f "$root/opt/shared/bin/run" ] || fail "a refused removal removed something"
policy absent true
both 2
[ "$(cd "$root/opt/shared" && find . | sort | tr '\n' ' ')" = ". ./keep.txt " ] || fail "overwrite: $(find "$root/opt/shared")"
idempotent

# 2b. A folder of the archive replaced by a link since: nothing is removed through it, even
# with overwrite: true (the file it leads to is identical to the archive's).
policy present false
both 2
mv "$root/opt/shared/etc" "$root/opt/etc.real"
ln -s ../etc.real "$root/opt/shared/etc"
policy absent true
both 2
[ -f "$root/opt/etc.real/app.conf" ] && [ -f "$root/opt/etc.real/copy.conf" ] || fail "removed through a link"
[ -L "$root/opt/shared/etc" ] && [ ! -e "$root/opt/shared/bin" ] || fail "through a link: $(find "$root/opt/shared")"
rm -rf "$root/opt/shared/etc" "$root/opt/etc.real"

# 3. A record without an entry list (an older roux): through the recipe's archive; else refused.
policy present false
both 2
for d in /opt/app /opt/shared; do printf '%s\n%s\n' "$d" "$asum" >"$(rec $d)"; done
policy absent false "    # no source"
both 6  # one removed, one refused
err=$(resource_field "$C" "archive[/opt/app]" error)
[ "$err" = "the record of /opt/app (sha256:${asum:0:12}) lists no entries (unpacked by an older roux); give the same source and checksum so roux knows what it laid out, or remove the folder by other means" ] ||
  fail "legacy record without source: $err"
[ ! -e "$root/opt/shared/bin" ] || fail "legacy record with source: not removed"
policy absent false
both 2
[ ! -e "$root/opt/app/bin" ] && [ -f "$root/opt/shared/keep.txt" ] || fail "legacy record: $(find "$root/opt")"
idempotent

# 4. Bad input.
write_policy "$work" app <<'EOF'
resources:
  - archive: /opt/x
    ensure: gone
EOF
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad ensure"
grep -q "recipes/default.yaml:3:13: archive\[/opt/x\]: ensure:" <<<"$ERR" || fail "bad ensure: $ERR"
echo "PASS: archive ensure: absent: removes what it laid out, plan == converge, idempotent, edits refused then overwritten, older records"
