#!/usr/bin/env bash
# locale under --root: /etc/default/locale written whole (LANG, then the lc lines in glibc's
# order), /etc/locale.gen with the named locales enabled (a commented line uncommented, a missing
# one added in SUPPORTED's "NAME CHARSET" form, every other line kept); locale-gen is not run under
# --root (the output says so). Plan == converge, plan changes nothing, second converge 0 changes; a
# locale the tree's SUPPORTED does not list fails before anything is written; a malformed name
# and an unknown LC_ variable are compile errors at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc" "$root/usr/share/i18n"
printf 'de_DE.UTF-8 UTF-8\nen_GB.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\nen_US ISO-8859-1\nfr_FR.UTF-8 UTF-8\n' >"$root/usr/share/i18n/SUPPORTED"
printf '# This file lists locales\n\n# de_DE.UTF-8 UTF-8\n# en_GB.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n' >"$root/etc/locale.gen"
policy() { write_policy "$work" app; }
policy <<'EOF2'
resources:
  - locale: system
    lang: en_US.UTF-8
    lc:
      LC_TIME: en_GB.UTF-8
      LANGUAGE: "en_US:en"
      LC_COLLATE: C.UTF-8
    generate: [fr_FR.UTF-8]
EOF2
plan_then_converge "$work" "$root"
[ "$(json_changes "$work/c1.json")" = "locale[system]	locale_gen		enabled en_US.UTF-8, en_GB.UTF-8, fr_FR.UTF-8
locale[system]	default	absent	LANG=en_US.UTF-8 LANGUAGE=en_US:en LC_TIME=en_GB.UTF-8 LC_COLLATE=C.UTF-8" ] ||
  fail "changes: $(json_changes "$work/c1.json")"
[ "$(cat "$root/etc/default/locale")" = "$(printf 'LANG=en_US.UTF-8\nLANGUAGE=en_US:en\nLC_TIME=en_GB.UTF-8\nLC_COLLATE=C.UTF-8')" ] ||
  fail "/etc/default/locale: $(cat "$root/etc/default/locale")"
[ "$(cat "$root/etc/locale.gen")" = "$(printf '# This file lists locales\n\n# de_DE.UTF-8 UTF-8\nen_GB.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8')" ] ||
  fail "/etc/locale.gen: $(cat "$root/etc/locale.gen")"
[ "$(stat -c %a "$root/etc/default/locale")" = 644 ] || fail "mode of /etc/default/locale"
out=$(resource_field "$work/c1.json" 'locale[system]' output)
[[ "$out" == *"locale-gen is not run under --root $root (it would build the running machine's locales, not the tree's)"* ]] ||
  fail "output: $out"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
printf '%s\n' "$OUT" >"$work/c2.json"
[ -z "$(json_changes "$work/c2.json")" ] || fail "second converge changed: $(json_changes "$work/c2.json")"

# LANG changed by hand: only /etc/default/locale is set back (a diff of one line).
sed -i 's/^LANG=.*/LANG=de_DE.UTF-8/' "$root/etc/default/locale"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "drift"
printf '%s\n' "$OUT" >"$work/c3.json"
[ "$(json_changes "$work/c3.json" | cut -f1,2)" = "locale[system]	default" ] || fail "drift: $(json_changes "$work/c3.json")"

# A locale the tree does not support: refused before anything is written.
policy <<'EOF2'
resources:
  - locale: system
    lang: xx_YY.UTF-8
EOF2
before=$(tree_checksum "$root/etc")
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 4 "unsupported locale"
printf '%s\n' "$OUT" >"$work/c4.json"
err=$(resource_field "$work/c4.json" 'locale[system]' error)
[ "$err" = "locale xx_YY.UTF-8 is not in /usr/share/i18n/SUPPORTED (the names locale-gen can build; en_US.UTF-8, not en_US.utf8)" ] ||
  fail "unsupported: $err"
[ "$(tree_checksum "$root/etc")" = "$before" ] || fail "an unsupported locale changed the tree"

# Compile errors at file:line:col.
policy <<'EOF2'
resources:
  - locale: system
    lang: english
    lc: {LC_TIMES: en_GB.UTF-8}
EOF2
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad names"
grep -qF 'recipes/default.yaml:3:11: locale[system]: lang: "english" is not a locale name such as en_US.UTF-8' <<<"$ERR" || fail "bad lang: $ERR"
grep -qF 'locale[system]: lc: "LC_TIMES" is not a locale variable' <<<"$ERR" || fail "bad lc: $ERR"
echo "PASS: locale under --root: /etc/default/locale + locale.gen, no locale-gen (said), idempotent, plan == converge, drift, unsupported name, bad names"
