#!/usr/bin/env bash
# The plan's diffs at their edges (issue #14, 1; docs/output.md "Diffs"), checked verbatim: a file
# without a final newline ("\ No newline at end of file", as diff -u), CRLF lines (the CR shown
# escaped, not sent to the terminal), binary content, the cap on shown lines with the count of
# what was cut, a sensitive file never diffed. And colour as a terminal user gets it (a pty from
# script(1)): --color auto colours on a terminal, not with NO_COLOR set to any non-empty value
# (no-color.org), not with --no-color or --color never, and never when piped.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc" "$work/cookbooks/app/files"
printf 'a\nb\nc' >"$root/etc/nonl"
printf 'a\r\nb\r\nc\r\n' >"$root/etc/crlf"
printf 'x\0y' >"$root/etc/bin"
seq 1 500 >"$root/etc/long"
printf 'old secret\n' >"$root/etc/secret"
write_policy "$work" app <<'EOF'
resources:
  - file: /etc/nonl
    content: "a\nb\nc\nd"
  - file: /etc/crlf
    content: "a\r\nB\r\nc\r\n"
  - file: /etc/bin
    content: "x y"
  - file: /etc/long
    content: ""
  - file: /etc/secret
    content: "new secret\n"
    sensitive: true
EOF
common=(--policy "$work" --root "$root" --config /dev/null)
run_roux plan "${common[@]}"
expect_rc 2 "plan"

block() {  # block ID: the lines of one resource's block in $OUT
  awk -v id="$1" '$0 ~ /^  [-+~!=\/]+ / || /^plan: / { on = (index($0, " " id) > 0) } on' <<<"$OUT"
}
want_nonl='  ~ file[/etc/nonl]
      content: sha256:ea7fb08b7a2d (5 bytes) -> sha256:f729ae0cbcc8 (7 bytes)
        --- a/etc/nonl
        +++ b/etc/nonl
        @@ -1,3 +1,4 @@
         a
         b
        -c
        \ No newline at end of file
        +c
        +d
        \ No newline at end of file'
[ "$(block 'file[/etc/nonl]')" = "$want_nonl" ] || fail "no final newline: $(block 'file[/etc/nonl]')"
want_crlf='  ~ file[/etc/crlf]
      content: sha256:a21249681e0c (9 bytes) -> sha256:301f6bd30737 (9 bytes)
        --- a/etc/crlf
        +++ b/etc/crlf
        @@ -1,3 +1,3 @@
         a\x0d
        -b\x0d
        +B\x0d
         c\x0d'
[ "$(block 'file[/etc/crlf]')" = "$want_crlf" ] || fail "CRLF: $(block 'file[/etc/crlf]')"
want_bin='  ~ file[/etc/bin]
      content: sha256:ce3890a816f5 (3 bytes) -> sha256:887fcea6a803 (3 bytes)
        (binary content differs)'
[ "$(block 'file[/etc/bin]')" = "$want_bin" ] || fail "binary: $(block 'file[/etc/bin]')"
long=$(block 'file[/etc/long]')
# 500 removed lines: 200 diff lines shown (the hunk header and 199 removed lines), the other 301 counted.
[ "$(sed -n 6p <<<"$long")" = '        -1' ] || fail "long diff start: $(head -8 <<<"$long")"
[ "$(grep -c '^        -[0-9]' <<<"$long")" = 199 ] || fail "long diff: $(grep -c '^        -[0-9]' <<<"$long") lines shown"
[ "$(tail -n 1 <<<"$long")" = '        ... 301 more diff lines not shown' ] || fail "long diff cap: $(tail -n 3 <<<"$long")"
want_secret='  ~ file[/etc/secret]
      content: (sensitive) -> (sensitive)'
[ "$(block 'file[/etc/secret]')" = "$want_secret" ] || fail "sensitive: $(block 'file[/etc/secret]')"
grep -q 'old secret\|new secret' <<<"$OUT" && fail "a secret's text in the plan: $OUT"
grep -q $'\r' <<<"$OUT" && fail "a raw CR reached the output"

# Colour on a terminal.
command -v script >/dev/null || skip "script(1) is missing: the terminal checks need a pty (the diff checks passed)"
esc=$'\e['
on_tty() {  # on_tty ENV... -- ARGS...: roux ARGS on a pty, under env ENV; prints what it wrote
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local cmd="$ROUX"
  for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
  # The pty ends lines in CR LF; the status line (stderr, the same pty) is cleared by ESC[K
  # before each block: both are taken out to compare the lines.
  { env -u NO_COLOR "${envs[@]}" script -qec "$cmd" /dev/null </dev/null 2>&1 || true; } | tr -d '\r' | sed 's/.*\x1b\[K//'
}
tty_out=$(on_tty TERM=xterm -- plan "${common[@]}")
grep -qxF "  ${esc}33m~${esc}0m file[/etc/nonl]" <<<"$tty_out" || fail "no yellow ~ on a terminal: $tty_out"
grep -qxF "        ${esc}31m-c${esc}0m" <<<"$tty_out" || fail "no red removed line on a terminal: $tty_out"
grep -qxF "        ${esc}32m+d${esc}0m" <<<"$tty_out" || fail "no green added line on a terminal: $tty_out"
grep -qxF "        ${esc}36m@@ -1,3 +1,4 @@${esc}0m" <<<"$tty_out" || fail "no cyan hunk header on a terminal: $tty_out"
for v in 1 0 yes; do
  tty_out=$(on_tty NO_COLOR=$v TERM=xterm -- plan "${common[@]}")
  grep -q "file\[/etc/nonl\]" <<<"$tty_out" || fail "NO_COLOR=$v: no plan: $tty_out"
  grep -q $'\e\\[3[0-9]m' <<<"$tty_out" && fail "NO_COLOR=$v still colours: $tty_out"
done
# NO_COLOR empty is as unset (no-color.org: "present and not an empty string").
tty_out=$(on_tty NO_COLOR= TERM=xterm -- plan "${common[@]}")
grep -qF "${esc}33m~" <<<"$tty_out" || fail "NO_COLOR empty: no colour: $tty_out"
for flag in --no-color "--color=never"; do
  tty_out=$(on_tty TERM=xterm -- plan "$flag" "${common[@]}")
  grep -q "file\[/etc/nonl\]" <<<"$tty_out" || fail "$flag: no plan: $tty_out"
  grep -q $'\e\\[3[0-9]m' <<<"$tty_out" && fail "$flag still colours: $tty_out"
done
# Piped (stdout not a terminal), even with NO_COLOR unset: no colour.
piped=$(env -u NO_COLOR "$ROUX" plan "${common[@]}" 2>&1 | cat || true)
grep -qF "${esc}" <<<"$piped" && fail "colour when piped: $piped"
echo "ok"
