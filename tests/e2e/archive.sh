#!/usr/bin/env bash
# archive into a --root tree: a cookbook tarball (strip_components, owner, a link and a hard link)
# and a zip and a tar.xz from file:// URLs with their sha256. Plan writes nothing and lists what
# converge does (same changes); the second converge changes nothing and reads no archive (the
# digest record in STATE/archive matches); `creates` skips; a new archive over a hand-edited file
# fails with overwrite: false (nothing written) and replaces it with overwrite: true; hostile
# archives (../x, an absolute name, a symlink out then a file through it, too many entries) are
# refused with nothing unpacked; bad input is a compile error at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/opt/guarded" "$work/srv"
touch "$root/opt/guarded/installed"
cat >"$work/mk.py" <<'PY'
# mk.py KIND OUT [ARG]: writes a test archive.
import io, sys, tarfile, zipfile
kind, out = sys.argv[1], sys.argv[2]
def add(t, name, data=b"", mode=0o644, typ=tarfile.REGTYPE, link=""):
    i = tarfile.TarInfo(name); i.type = typ; i.mode = mode; i.linkname = link; i.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
if kind in ("app", "app2"):
    with tarfile.open(out, "w:gz") as t:
        add(t, "app-1.0/", typ=tarfile.DIRTYPE, mode=0o755)
        add(t, "app-1.0/bin/run", b"#!/bin/sh\necho run\n", 0o755)
        add(t, "app-1.0/etc/app.conf", b"level = 1\n" if kind == "app" else b"level = 2\n", 0o640)
        add(t, "app-1.0/etc/copy.conf", typ=tarfile.LNKTYPE, link="app-1.0/etc/app.conf")
        add(t, "app-1.0/current", typ=tarfile.SYMTYPE, link="bin/run")
elif kind == "zip":
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "zipped\n")
        z.writestr("doc/notes.txt", "notes\n")
elif kind == "xz":
    with tarfile.open(out, "w:xz") as t:
        add(t, "data/x.txt", b"xz\n")
elif kind == "dotdot":
    with tarfile.open(out, "w:gz") as t:
        add(t, "ok.txt", b"ok\n"); add(t, "../x", b"evil\n")
elif kind == "absolute":
    with tarfile.open(out, "w:gz") as t:
        add(t, "ok.txt", b"ok\n"); add(t, "/etc/evil", b"evil\n")
elif kind == "linkout":
    with tarfile.open(out, "w:gz") as t:
        add(t, "ok.txt", b"ok\n"); add(t, "l", typ=tarfile.SYMTYPE, link="/etc"); add(t, "l/evil", b"evil\n")
elif kind == "throughlink":
    with tarfile.open(out, "w:gz") as t:
        add(t, "d/", typ=tarfile.DIRTYPE, mode=0o755); add(t, "l", typ=tarfile.SYMTYPE, link="d"); add(t, "l/evil", b"evil\n")
elif kind == "many":
    with tarfile.open(out, "w:gz") as t:
        for i in range(int(sys.argv[3])): add(t, "f%d" % i, b"")
PY
cb="$work/cookbooks/app/files"
mkdir -p "$cb"
python3 "$work/mk.py" app "$cb/app.tar.gz"
python3 "$work/mk.py" zip "$work/srv/site.zip"
python3 "$work/mk.py" xz "$work/srv/data.tar.xz"
zsum=$(sha256sum "$work/srv/site.zip" | cut -d' ' -f1)
xsum=$(sha256sum "$work/srv/data.tar.xz" | cut -d' ' -f1)
asum=$(sha256sum "$cb/app.tar.gz" | cut -d' ' -f1)
owner=""
[ "$(id -u)" = 0 ] && owner='    owner: "4321"
    group: "4322"'
policy() {  # policy OVERWRITE
  write_policy "$work" app <<EOF
resources:
  - directory: /opt
  - archive: /opt/app
    source: app.tar.gz
    strip_components: 1
    overwrite: $1
$owner
  - archive: /opt/site
    source: file://$work/srv/site.zip
    checksum: sha256:$zsum
    mode: "0750"
  - archive: /opt/data
    source: file://$work/srv/data.tar.xz
    checksum: sha256:$xsum
  - archive: /opt/guarded
    source: app.tar.gz
    creates: /opt/guarded/installed
EOF
}
policy false

plan_then_converge "$work" "$root"
want="archive[/opt/app]	ensure	absent	directory
archive[/opt/app]	mode		0755
archive[/opt/app]	unpack	not recorded	sha256:${asum:0:12} (6 created, 0 replaced, 0 mode/owner, 0 unchanged)
archive[/opt/site]	ensure	absent	directory
archive[/opt/site]	mode		0750
archive[/opt/site]	unpack	not recorded	sha256:${zsum:0:12} (3 created, 0 replaced, 0 mode/owner, 0 unchanged)
archive[/opt/data]	ensure	absent	directory
archive[/opt/data]	mode		0755
archive[/opt/data]	unpack	not recorded	sha256:${xsum:0:12} (2 created, 0 replaced, 0 mode/owner, 0 unchanged)"
got=$(json_changes "$work/c1.json" | grep -v '	owner	\|	group	' || true)
[ "$got" = "$want" ] || fail "changes:
$got
want:
$want"
detail=$(json_get "$work/c1.json" '[c["diff"] for x in r["resources"] if x["id"]=="archive[/opt/app]" for c in x["changes"] if c["property"]=="unpack"][0]')
[ "$detail" = "+ bin (folder)
+ bin/run (file)
+ etc (folder)
+ etc/app.conf (file)
+ etc/copy.conf (file)
+ current (link)" ] || fail "unpack detail: $detail"
[ "$(cat "$root/opt/app/bin/run")" = $'#!/bin/sh\necho run' ] || fail "bin/run content"
[ "$(stat -c %a "$root/opt/app/bin/run")" = 755 ] || fail "bin/run mode"
[ "$(stat -c %a "$root/opt/app/etc/app.conf")" = 640 ] || fail "app.conf mode"
[ "$(readlink "$root/opt/app/current")" = bin/run ] || fail "current link"
cmp -s "$root/opt/app/etc/app.conf" "$root/opt/app/etc/copy.conf" || fail "hard link copy"
[ ! -e "$root/opt/app/app-1.0" ] || fail "strip_components ignored"
if [ -n "$owner" ]; then
  [ "$(stat -c %u:%g "$root/opt/app" "$root/opt/app/bin" "$root/opt/app/bin/run" "$root/opt/app/etc/copy.conf" | sort -u)" = 4321:4322 ] ||
    fail "owner: $(stat -c '%n %u:%g' "$root"/opt/app/* "$root"/opt/app/*/*)"
fi
[ "$(cat "$root/opt/site/doc/notes.txt")" = notes ] || fail "zip content"
[ "$(stat -c %a "$root/opt/site")" = 750 ] || fail "site mode"
[ "$(cat "$root/opt/data/data/x.txt")" = xz ] || fail "xz content"
[ "$(ls "$root/opt/guarded")" = installed ] || fail "creates did not guard"
rec="$root/var/lib/roux/archive/$(printf %s /opt/app | sha256sum | cut -d' ' -f1)"
[ "$(head -2 "$rec")" = "/opt/app
$asum" ] || fail "digest record: $(cat "$rec" 2>&1)"

# Second converge: nothing changes, and no archive is read (the zip may vanish).
mv "$work/srv/site.zip" "$work/srv/site.zip.away"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
[ -z "$(json_changes <(printf '%s\n' "$OUT"))" ] || fail "second converge changed something"
mv "$work/srv/site.zip.away" "$work/srv/site.zip"

# A new archive over a hand-edited file: overwrite: false refuses, writing nothing.
python3 "$work/mk.py" app2 "$cb/app.tar.gz"
asum2=$(sha256sum "$cb/app.tar.gz" | cut -d' ' -f1)
echo "mine" >"$root/opt/app/bin/run"
before=$(tree_checksum "$root" var/lib/roux)
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 4 "overwrite: false"
printf '%s\n' "$OUT" >"$work/c2.json"
err=$(resource_field "$work/c2.json" "archive[/opt/app]" error)
[ "$err" = "3 entries differ from the archive on the host ($root/opt/app/bin/run (file), $root/opt/app/etc/app.conf (file), $root/opt/app/etc/copy.conf (file)); nothing was unpacked: set overwrite: true to replace them" ] ||
  [ "$err" = "3 entries differ from the archive on the host (/opt/app/bin/run (file), /opt/app/etc/app.conf (file), /opt/app/etc/copy.conf (file)); nothing was unpacked: set overwrite: true to replace them" ] ||
  fail "overwrite: false error: $err"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a refused unpack changed the tree"

policy true
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan overwrite"
printf '%s\n' "$OUT" >"$work/plan3.json"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "plan changed the tree"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge overwrite"
printf '%s\n' "$OUT" >"$work/c3.json"
diff <(json_changes "$work/plan3.json") <(json_changes "$work/c3.json") || fail "overwrite: plan and converge differ"
[ "$(json_changes "$work/c3.json")" = "archive[/opt/app]	unpack	sha256:${asum:0:12}	sha256:${asum2:0:12} (0 created, 3 replaced, 0 mode/owner, 3 unchanged)" ] ||
  fail "overwrite changes: $(json_changes "$work/c3.json")"
[ "$(cat "$root/opt/app/bin/run")" = $'#!/bin/sh\necho run' ] || fail "hand edit not replaced"
[ "$(cat "$root/opt/app/etc/copy.conf")" = "level = 2" ] || fail "new content"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "converge after overwrite"

# Hostile archives: each refused with the reason, nothing unpacked (plan and converge alike).
for k in dotdot absolute linkout throughlink many; do
  python3 "$work/mk.py" $k "$cb/$k.tar.gz" 2001
done
write_policy "$work" app <<'EOF'
resources:
  - directory: /opt
  - archive: /opt/h1
    source: dotdot.tar.gz
  - archive: /opt/h2
    source: absolute.tar.gz
  - archive: /opt/h3
    source: linkout.tar.gz
  - archive: /opt/h4
    source: throughlink.tar.gz
  - archive: /opt/h5
    source: many.tar.gz
    max_entries: 2000
EOF
before=$(tree_checksum "$root" var/lib/roux)
for cmd in plan converge; do
  run_roux $cmd --policy "$work" --root "$root" --format json
  expect_rc 4 "hostile $cmd"
  printf '%s\n' "$OUT" >"$work/h.json"
  for pair in 'h1|entry "../x": path contains ".."' 'h2|entry "/etc/evil": absolute path' \
    'h3|entry "l": symlink to "/etc" points outside the destination' \
    'h4|entry "l/evil": would be written through symlink "l"' 'h5|more than 2000 entries (limit)'; do
    id="archive[/opt/${pair%%|*}]"
    want="$id: unsafe archive refused: ${pair#*|}; nothing was unpacked"
    [ "$(resource_field "$work/h.json" "$id" error)" = "$want" ] || fail "$cmd $id: $(resource_field "$work/h.json" "$id" error)"
  done
  [ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "a hostile archive changed the tree ($cmd)"
done

# Bad input.
write_policy "$work" app <<'EOF'
resources:
  - archive: /opt/x
    source: http://127.0.0.1:1/x.tgz
  - archive: /opt/y
    source: nothere.tgz
    strip_components: many
EOF
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad input"
grep -q 'recipes/default.yaml:2:5: archive\[/opt/x\]: checksum: is required with a URL: sha256:HEX' <<<"$ERR" || fail "missing checksum: $ERR"
grep -q 'recipes/default.yaml:5:13: archive\[/opt/y\]: source: cookbook app has no file files/nothere.tgz' <<<"$ERR" || fail "missing file: $ERR"
grep -q 'recipes/default.yaml:6:23: archive\[/opt/y\]: strip_components:' <<<"$ERR" || fail "bad strip_components: $ERR"
echo "PASS: archive: cookbook tarball, zip and tar.xz by URL, plan == converge, idempotent, creates, overwrite, hostile archives, bad input"
