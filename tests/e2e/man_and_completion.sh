#!/usr/bin/env bash
# The man pages and the bash completion are generated from the command line itself
# (`roux doc man`, `roux doc bash-completion`, run by the build into BUILD/doc): roux(1) and one
# page per command (found by walking `--help`, not from the generator), each rendered by groff
# without a warning and containing every text of that command's --help (descriptions, option
# names with their value kinds, subcommand names); the build's copies are what the binary prints
# now; the completion, sourced in bash, completes subcommands, options and --format choices and
# never offers the hidden `doc` command.
source "$(dirname "$0")/lib.sh"
command -v groff >/dev/null || skip "groff is not installed (apt-get install groff-base)"
work=$(e2e_tmpdir)
"$ROUX" doc man --out-dir "$work/man" || fail "roux doc man failed"
"$ROUX" doc bash-completion >"$work/roux.bash" || fail "roux doc bash-completion failed"

# Command paths, from --help alone: the names listed under a "...ommands:" heading.
subcommands_of() {  # PATH... -> names
  "$ROUX" "$@" --help | awk '/^[A-Za-z ]*[Cc]ommands:$/ {on=1; next} /^[^ ]/ {on=0} on && NF {print $1}'
}
paths=("")
queue=("")
while [ ${#queue[@]} -gt 0 ]; do
  p=${queue[0]}; queue=("${queue[@]:1}")
  # shellcheck disable=SC2086
  for s in $(subcommands_of $p); do paths+=("${p:+$p }$s"); queue+=("${p:+$p }$s"); done
done
[ ${#paths[@]} -ge 20 ] || fail "found only ${#paths[@]} commands in --help: ${paths[*]}"
normalize() { tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'; }
checked=0
for p in "${paths[@]}"; do
  page=$work/man/roux${p:+-${p// /-}}.1
  [ -f "$page" ] || fail "no man page for 'roux $p' ($page)"
  warn=$(groff -man -ww -z "$page" 2>&1) || fail "groff failed on $page"
  [ -z "$warn" ] || fail "groff warns on $page: $warn"
  text=$(groff -man -Tascii -rLL=1000n -P-cbou "$page" 2>/dev/null | normalize)
  # shellcheck disable=SC2086
  help=$("$ROUX" $p --help)
  while IFS= read -r line; do
    [[ -z ${line// /} || $line =~ ^[Uu]sage: || $line =~ :$ ]] && continue
    # Each column of the line (columns are separated by 2+ spaces) is one text of the page.
    while IFS= read -r piece; do
      piece=$(normalize <<<"$piece")
      [ -n "$piece" ] || continue
      [[ $text == *"$piece"* ]] || fail "man page of 'roux $p' lacks \"$piece\" (from: $line)"
      checked=$((checked + 1))
    done < <(sed -E 's/ {2,}/\n/g' <<<"$line")
  done <<<"$help"
done
[ $checked -ge 100 ] || fail "only $checked help texts checked"
# roux(1) names every command's page.
top=$(groff -man -Tascii -rLL=1000n -P-cbou "$work/man/roux.1" 2>/dev/null | normalize)
for p in "${paths[@]:1}"; do
  [[ $top == *"roux-${p// /-}(1)"* ]] || fail "roux(1) does not refer to roux-${p// /-}(1)"
done
[ "$(ls "$work/man" | wc -l)" = ${#paths[@]} ] || fail "pages $(ls "$work/man" | tr '\n' ' ') != commands ${paths[*]}"
grep -q 'doc' <<<"$(ls "$work/man")" && fail "the hidden doc command has a page"

# The build's generated copies (installed by the package) are current.
build_doc=$(dirname "$ROUX")/doc
if [ -d "$build_doc/man" ]; then
  diff -r "$build_doc/man" "$work/man" || fail "BUILD/doc/man differs from what roux prints now"
  cmp "$build_doc/roux.bash-completion" "$work/roux.bash" || fail "BUILD/doc/roux.bash-completion is stale"
fi

# Completion, as bash runs it on TAB.
out=$(bash -c '
  source "$1"
  complete -p roux >/dev/null || { echo "no completion registered"; exit 1; }
  c() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _roux; echo "${COMPREPLY[*]}"; }
  echo "1:$(c roux con)"
  echo "2:$(c roux supermarket p)"
  echo "3:$(c roux converge --format "")"
  echo "4:$(c roux converge --format = j)"
  echo "5:$(c roux plan -p /x --no)"
  echo "6:$(c roux "")"
  echo "7:$(c roux d)"
  echo "8:$(c roux secret encrypt --key /x --v)"
' _ "$work/roux.bash") || fail "completion script failed: $out"
want_top=$(printf '%s\n' "${paths[@]:1}" | grep -v ' ' | tr '\n' ' ' | sed 's/ $//')
[ "$out" = "1:converge
2:publish publish-policy
3:text json
4:json
5:--no-color
6:$want_top
7:
8:--value" ] || fail "completion answers:
$out
(top-level commands from --help: $want_top)"
echo "PASS: ${#paths[@]} man pages match --help ($checked texts); completion works"
