#!/usr/bin/env bash
# A NUL byte in a string that becomes a path, a name or a command is a compile error (exit 1,
# file:line:col), wherever it came from: a recipe literal ("\0") or an attribute from a -j JSON file
# ("\u0000") interpolated into the recipe. Before, "/etc/passwd\0.bak" planned /etc/passwd.bak and
# converge overwrote /etc/passwd (the system call stops at the NUL). Plan and converge alike leave
# the --root untouched. A NUL in file content stays allowed (content is bytes).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
seed=$work/seed
mkdir -p "$seed/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$seed/etc/passwd"

# refused CASE WANT [ARGS...]: plan and converge of $work/CASE (its policy) with ARGS both exit 1,
# print WANT (a fixed string) on stderr, and leave a copy of the seed root as it was (converge may
# only record the refused run under var/lib/roux).
refused() {
  local case=$1 want=$2 cmd root before
  shift 2
  for cmd in plan converge; do
    root=$work/root.$case.$cmd
    cp -a "$seed" "$root"
    before=$(tree_listing "$root" var)
    run_roux "$cmd" --policy "$work/$case" --root "$root" "$@"
    expect_rc 1 "$case: $cmd"
    grep -qF -- "$want" <<<"$ERR" || fail "$case: $cmd: no \"$want\" in: $ERR"
    [ "$(tree_listing "$root" var)" = "$before" ] || fail "$case: $cmd touched the root: $(tree_listing "$root")"
    cmp -s "$seed/etc/passwd" "$root/etc/passwd" || fail "$case: $cmd changed etc/passwd"
  done
}

# A recipe literal: the name of a file.
write_policy "$work/literal" app <<'YAML'
resources:
  - file: "/etc/passwd\0.bak"
    content: "pwned::0:0::/:/bin/sh\n"
YAML
refused literal 'recipes/default.yaml:2:11: file[/etc/passwd\0.bak]: the name must not contain a NUL byte (\0)'

# The same name from a -j attribute, interpolated.
write_policy "$work/attr_name" app <<'YAML'
resources:
  - file: "{{attr.path}}"
    content: "pwned::0:0::/:/bin/sh\n"
YAML
printf '{"path": "/etc/passwd\\u0000.bak"}\n' >"$work/path.json"
refused attr_name 'recipes/default.yaml:2:11: file[/etc/passwd\0.bak]: the name must not contain a NUL byte (\0)' \
  -j "$work/path.json"

# A command, an owner, a guard and a package name from -j attributes.
write_policy "$work/attr_props" app <<'YAML'
resources:
  - exec: run
    command: "{{attr.cmd}}"
  - file: /etc/motd
    content: "hi\n"
    owner: "{{attr.owner}}"
  - exec: guarded
    command: "true"
    only_if: "{{attr.cmd}}"
  - package: "{{attr.pkg}}"
YAML
printf '{"cmd": "true\\u0000; touch /etc/pwned", "owner": "root\\u0000x", "pkg": "nginx\\u0000"}\n' >"$work/props.json"
refused attr_props 'recipes/default.yaml:3:14: exec[run]: command: must not contain a NUL byte (\0)' -j "$work/props.json"
grep -qF 'recipes/default.yaml:6:12: file[/etc/motd]: owner: must not contain a NUL byte (\0)' <<<"$ERR" ||
  fail "owner: no error in: $ERR"
grep -qF 'recipes/default.yaml:9:14: exec[guarded]: only_if: must not contain a NUL byte (\0)' <<<"$ERR" ||
  fail "only_if: no error in: $ERR"
grep -qF 'package[nginx\0]: the name must not contain a NUL byte (\0)' <<<"$ERR" || fail "package: no error in: $ERR"

# A line break in a path is refused too (it would break every line-based file naming it).
write_policy "$work/newline" app <<'YAML'
resources:
  - file: "{{attr.path}}"
    content: "x\n"
YAML
printf '{"path": "/etc/cron.d/a\\n* * * * * root touch /pwned"}\n' >"$work/newline.json"
refused newline 'path must not contain a NUL byte, a line break or another control character' -j "$work/newline.json"

# Control: a NUL inside file content is data, not a name: still fine.
write_policy "$work/content" app <<'YAML'
resources:
  - file: /etc/blob
    content: "{{attr.blob}}"
YAML
printf '{"blob": "a\\u0000b"}\n' >"$work/blob.json"
root=$work/root.content
cp -a "$seed" "$root"
run_roux converge --policy "$work/content" --root "$root" -j "$work/blob.json"
expect_rc 2 "NUL in content"
[ "$(od -An -c "$root/etc/blob" | tr -d ' \n')" = 'a\0b' ] || fail "content with a NUL not written as is"
echo "ok: NUL bytes refused in names, paths, commands, owners; allowed in content"
