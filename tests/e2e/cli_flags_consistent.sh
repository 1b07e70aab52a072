#!/usr/bin/env bash
# "The same flag means the same thing in every command" (issue #14, 4), checked over every
# command's help: each short option has one meaning everywhere (-p policy, -s source, -j node
# attributes JSON, -n dry run, -g group, -v/-q verbosity, -h help), every command that takes a
# --format takes text|json, every --root means the managed root; and the one place a supermarket
# URL was --from only (supermarket search/show/mirror) also takes -s/--source, as converge and
# bootstrap do, with the same result; every option that reads from a URL (its help says URL; not a
# --to) takes -s/--source; --from/--to name places (supermarket), promote's groups are
# --from-group/--to-group, its old --from/--to kept as aliases (docs/output.md "The command line").
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
# Every command path, from `roux help`.
commands=()
while read -r c; do
  commands+=("$c")
  subs=$("$ROUX" help "$c" | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }')
  for s in $subs; do commands+=("$c $s"); done
done < <("$ROUX" help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }')
[ "${#commands[@]}" -ge 20 ] || fail "too few commands found: ${commands[*]}"

# short -> long name, over all commands: one meaning each.
declare -A meaning
for c in "" "${commands[@]}"; do
  # shellcheck disable=SC2086
  "$ROUX" help $c >"$work/help.txt" || fail "roux help $c"
  while read -r names; do
    short=$(tr ',' '\n' <<<"$names" | grep -x -- '-[a-zA-Z]' | head -n 1 || true)
    [ -n "$short" ] || continue
    # The option's long names; an alias kept for compatibility (--from beside --source) is fine
    # as long as one of them is the meaning the short option has elsewhere.
    longs=$(tr ',' '\n' <<<"$names" | grep -- '^--' | tr '\n' ' ')
    long=${longs%% *}
    for l in $longs; do [ "$l" = "${meaning[$short]:-}" ] && long=$l; done
    if [ -n "${meaning[$short]:-}" ] && [ "${meaning[$short]}" != "$long" ]; then
      fail "$short means ${meaning[$short]} in one command and $long in 'roux $c'"
    fi
    meaning[$short]=$long
  done < <(grep -oE '^  +-[-a-zA-Z,]+' "$work/help.txt" | tr -d ' ')
  # An option read from a URL (its help says so; a --to is written to) is -s/--source, whatever
  # other names it keeps. Each option's entry on one line (a long one wraps its help below it).
  while IFS= read -r entry; do
    names=${entry%% *}
    case ",$names," in *,--to,*) continue ;; esac
    case ",$names," in *,-s,*) ;; *) fail "roux $c: reads a URL but has no -s: $entry" ;; esac
    case ",$names," in *,--source,*) ;; *) fail "roux $c: reads a URL but has no --source: $entry" ;; esac
  done < <(awk '/^  +-/ { if (e != "") print e; sub(/^ +/, ""); e = $0; next }
               /^   +[^ -]/ && e != "" { sub(/^ +/, " "); e = e $0; next }
               { if (e != "") print e; e = "" } END { if (e != "") print e }' "$work/help.txt" | grep -E ' .*\bURL\b')
  if grep -qE '^  +--format' "$work/help.txt"; then
    grep -qE '^  +--format TEXT:\{text,json\}' "$work/help.txt" || fail "roux $c: --format is not text|json: $(grep -- --format "$work/help.txt")"
  fi
done
# --from/--to name places (supermarket folders or URLs) wherever they are an option's first name;
# promote's groups are --from-group/--to-group (its old --from/--to stay as aliases).
for c in "${commands[@]}"; do
  # shellcheck disable=SC2086
  "$ROUX" help $c >"$work/help.txt"
  if grep -qE '^  +--(from|to)([ ,]|$)' "$work/help.txt"; then
    case "$c" in
      "supermarket "*) ;;
      *) fail "roux $c: --from/--to as a first name outside supermarket: $(grep -E '^  +--(from|to)([ ,]|$)' "$work/help.txt")" ;;
    esac
  fi
done
"$ROUX" help promote >"$work/help.txt"
grep -qE '^  +--from-group,--from ' "$work/help.txt" || fail "promote: no --from-group: $(grep -- '--from' "$work/help.txt")"
grep -qE '^  +--to-group,--to ' "$work/help.txt" || fail "promote: no --to-group: $(grep -- '--to' "$work/help.txt")"
# Both spellings reach the same options (checked before anything is read).
for pair in "--from-group g1 --to-group g1" "--from g1 --to g1" "--from-group g1 --to g1"; do
  # shellcheck disable=SC2086
  run_roux promote web $pair --source "$work/none" --key "$work/none.key" --config /dev/null
  expect_rc 1 "promote $pair"
  grep -qx 'roux: error: --from-group and --to-group name the same group g1' <<<"$ERR" || fail "promote $pair: $ERR"
done

want="-g=--group -h=--help -j=--json-attributes -n=--dry-run -p=--policy -q=--quiet -s=--source -v=--verbose"
got=$(for k in "${!meaning[@]}"; do echo "$k=${meaning[$k]}"; done | LC_ALL=C sort | tr '\n' ' ')
[ "$got" = "$want " ] || fail "short options: got '$got', want '$want '"

# supermarket search/show/mirror: -s and --source as --from.
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
mkdir -p "$work/src/base/recipes"
printf 'name: base\nversion: 1.0.0\ndescription: the base web things\n' >"$work/src/base/metadata.yaml"
printf 'resources: []\n' >"$work/src/base/recipes/default.yaml"
run_roux supermarket publish "$work/src/base" --to "$work/market" --key "$work/team.key"
expect_rc 0 "publish"
run_roux supermarket search web --from "file://$work/market" --trust "$work/team.pub" --config /dev/null
expect_rc 0 "search --from"
from_out=$OUT
grep -q base <<<"$from_out" || fail "search --from finds nothing: $OUT"
for flag in -s --source; do
  run_roux supermarket search web "$flag" "file://$work/market" --trust "$work/team.pub" --config /dev/null
  expect_rc 0 "search $flag"
  [ "$OUT" = "$from_out" ] || fail "search $flag differs from --from: $OUT"
  run_roux supermarket show base "$flag" "file://$work/market" --trust "$work/team.pub" --config /dev/null
  expect_rc 0 "show $flag"
  grep -q '1.0.0' <<<"$OUT" || fail "show $flag: $OUT"
  run_roux supermarket mirror "$flag" "file://$work/market" --to "$work/mirror$flag" --trust "$work/team.pub" --config /dev/null
  expect_rc 0 "mirror $flag"
  for f in universe universe.sig base-1.0.0.tar.gz; do
    cmp -s "$work/market/$f" "$work/mirror$flag/$f" || fail "mirror $flag: the mirror's $f differs: $OUT $ERR"
  done
done
echo "ok"
