#!/usr/bin/env bash
# The Debian package, built from a copy of this tree by scripts/package.sh (through the shared
# cache of tests/sandbox/deb.sh): named roux_<project version>_<arch>.deb; lintian reports no
# error; it holds the binary, the commented client.yaml, the units, the cron.d line, the logrotate
# file, the schemas, the man pages and the completion; the three /etc files are conffiles;
# Depends, computed by dpkg-shlibdeps, names libcurl4, libgit2 and libarchive13 although the
# binary does not link them (it opens them on first use), with the linked ones; the extracted
# binary prints the version; the units pass `systemd-analyze verify`; the maintainer scripts
# never enable or start the timer. Skips (77) when the package tools are missing.
source "$(dirname "$0")/lib.sh"
rc=0
deb=$(bash "$ROUX_SOURCE_DIR/tests/sandbox/deb.sh") || rc=$?
[ $rc = 77 ] && skip "cannot build the .deb here (see above)"
[ $rc = 0 ] || fail "building the .deb failed ($rc)"
version=$(sed -n 's/^project(roux VERSION \([0-9.]*\).*/\1/p' "$ROUX_SOURCE_DIR/CMakeLists.txt")
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "roux_${version}_${arch}.deb" ] || fail "package name $(basename "$deb"), want roux_${version}_${arch}.deb"
[ "$(dpkg-deb -f "$deb" Package)" = roux ] || fail "Package: $(dpkg-deb -f "$deb" Package)"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version: $(dpkg-deb -f "$deb" Version), want $version"

lint=$(lintian --profile debian "$deb" 2>&1) || true
grep -q '^E: ' <<<"$lint" && fail "lintian errors:
$lint"

# Contents.
work=$(e2e_tmpdir)
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's#^\./#/#' >"$work/contents"
for p in /usr/bin/roux /etc/roux/client.yaml /etc/cron.d/roux /etc/logrotate.d/roux \
         /lib/systemd/system/roux.service /lib/systemd/system/roux.timer \
         /usr/share/bash-completion/completions/roux /usr/share/man/man1/roux.1.gz \
         /usr/share/man/man1/roux-converge.1.gz /usr/share/man/man1/roux-supermarket-publish.1.gz \
         /usr/share/roux/schemas/policy.schema.json /usr/share/doc/roux/copyright; do
  grep -qx "$p" "$work/contents" || fail "$p is not in the package"
done
n_schemas=$(cd "$ROUX_SOURCE_DIR/schemas" && find . -name '*.json' | wc -l)
[ "$(grep -c '^/usr/share/roux/schemas/.*\.json$' "$work/contents")" = "$n_schemas" ] || fail "not all $n_schemas schemas packaged"
grep -q '^/usr/share/man/man1/roux-doc' "$work/contents" && fail "the hidden doc command got a man page"
# An editor resolves a schema's relative $refs against its $id: the packaged ids name the packaged files.
id=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/roux/schemas/resources/file.schema.json | grep '"\$id"')
[ "$id" = '  "$id": "file:///usr/share/roux/schemas/resources/file.schema.json",' ] || fail "packaged schema id: $id"
grep -q -e '^/var/lib/roux' -e 'roux_libs_probe' "$work/contents" && fail "state folder or the probe shipped in the package"

# Conffiles: every /etc file, so an upgrade never clobbers an edit.
dpkg-deb -I "$deb" conffiles >"$work/conffiles"
for c in /etc/roux/client.yaml /etc/cron.d/roux /etc/logrotate.d/roux; do
  grep -qx "$c" "$work/conffiles" || fail "$c is not a conffile: $(cat "$work/conffiles")"
done

# Depends: found by dpkg-shlibdeps; the three opened libraries come from the probe.
deps=$(dpkg-deb -f "$deb" Depends)
dpkg-deb -x "$deb" "$work/x"
needed=$(objdump -p "$work/x/usr/bin/roux" | awk '/NEEDED/ {print $2}')
for lib in libcurl libgit2 libarchive; do
  grep -q "^$lib" <<<"$needed" && fail "the binary links $lib (it should open it on first use): $needed"
done
for pkg in 'libcurl4 (>= ' 'libgit2-1.5 (>= ' 'libarchive13 (>= ' 'libyaml-cpp0.7 (>= ' 'libssl3 (>= ' 'libc6 (>= ' 'libstdc++6 (>= '; do
  [[ ", $deps" == *", $pkg"* ]] || fail "Depends lacks $pkg...: $deps"
done

# The binary, the man page and the units.
[ "$("$work/x/usr/bin/roux" --version)" = "roux $version" ] || fail "packaged roux --version: $("$work/x/usr/bin/roux" --version)"
gzip -dc "$work/x/usr/share/man/man1/roux.1.gz" | grep -q '^\.TH ROUX 1 "" "roux '"$version"'"' || fail "roux.1 has no .TH for $version"
grep -q '^ExecStart=/usr/bin/roux converge --splay 3600 ' "$work/x/lib/systemd/system/roux.service" || fail "service does not splay"
grep -q '^#17 3 \* \* \* root .*/usr/bin/roux converge --splay 3600 .*>>/var/log/roux/roux.log 2>&1$' "$work/x/etc/cron.d/roux" ||
  fail "cron.d line changed: $(grep roux "$work/x/etc/cron.d/roux" | tail -1)"
for s in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$s" >"$work/$s" 2>/dev/null || continue
  grep -E 'systemctl (--[a-z-]+ )*(enable|start|restart)|deb-systemd-invoke (start|restart)' "$work/$s" &&
    fail "$s starts a unit"
  # dh_installsystemd re-enables the timer on upgrade only if the admin had enabled it.
  awk '/was-enabled/ {g = NR} /deb-systemd-helper enable/ && NR - g > 3 {bad = 1} END {exit !bad}' "$work/$s" &&
    fail "$s enables a unit unconditionally"
done
if command -v systemd-analyze >/dev/null && [ -d /lib/systemd/system ]; then
  # verify resolves units and ExecStart= inside --root: the package tree plus the host's units.
  cp -an /lib/systemd/system/. "$work/x/lib/systemd/system/"
  out=$(systemd-analyze verify --man=no --root="$work/x" /lib/systemd/system/roux.service /lib/systemd/system/roux.timer 2>&1) ||
    fail "systemd-analyze verify failed: $out"
  [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
  echo "systemd-analyze verify: clean"
else
  echo "systemd-analyze not installed: unit verification skipped"
fi
echo "PASS: $(basename "$deb") ($(du -k "$deb" | cut -f1) KB), lintian: $(grep -c '^W: ' <<<"$lint" || true) warnings, Depends: $deps"
