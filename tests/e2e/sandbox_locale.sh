#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh; the golden image has the locales package, so the real locale-gen
# and `locale -a`): locale sets LANG and LC_TIME in /etc/default/locale, enables en_US.UTF-8,
# en_GB.UTF-8 and de_DE.UTF-8 in /etc/locale.gen and runs locale-gen once, after which `locale -a`
# lists the three and a program can use them. Plan lists the same changes as converge (the
# locale-gen one marked predicted) and changes nothing; the second converge makes none; a locale
# archive removed behind roux's back is rebuilt alone; a name SUPPORTED does not list fails the
# resource before anything is written.
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
command -v locale-gen >/dev/null || fail "the golden image has no locale-gen (locales package)"
has() { locale -a | grep -qx "$1"; }
for l in en_US.utf8 en_GB.utf8 de_DE.utf8; do ! has $l || fail "$l is already in locale -a before the test"; done
P=/tmp/p; mkdir -p $P/cookbooks/app/recipes
printf 'name: s\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
cat > $P/cookbooks/app/recipes/default.yaml <<'R'
resources:
  - locale: system
    lang: en_US.UTF-8
    lc: {LC_TIME: en_GB.UTF-8}
    generate: [de_DE.UTF-8]
R
rm -f /etc/default/locale
cp /etc/locale.gen /tmp/locale.gen.before
snap() { { cat /etc/locale.gen; ls -l --time-style=+%s.%N /usr/lib/locale/; locale -a; ls /etc/default; } | sha256sum; }
before=$(snap)
expect_rc 2 run_roux plan $P /tmp/plan.json
[ "$(snap)" = "$before" ] || fail "plan changed the host"
[ "$(field /tmp/plan.json '[c["predicted"] for x in r["resources"] for c in x["changes"] if c["property"] == "generated"]')" = "[True]" ] ||
  fail "the plan's locale-gen change is not marked predicted: $(cat /tmp/plan.json)"
expect_rc 2 run_roux converge $P /tmp/c1.json
diff <(changes /tmp/plan.json) <(changes /tmp/c1.json) || fail "plan and converge differ"
cat > /tmp/want <<'W'
locale[system] default: absent -> LANG=en_US.UTF-8 LC_TIME=en_GB.UTF-8
locale[system] generated: missing en_US.UTF-8, en_GB.UTF-8, de_DE.UTF-8 -> en_US.UTF-8, en_GB.UTF-8, de_DE.UTF-8
locale[system] locale_gen:  -> enabled en_US.UTF-8, en_GB.UTF-8, de_DE.UTF-8
W
diff /tmp/want <(changes /tmp/c1.json) || fail "changes"
for l in en_US.utf8 en_GB.utf8 de_DE.utf8; do has $l || fail "$l not in locale -a after converge: $(locale -a | tr '\n' ' ')"; done
[ "$(printf '%s\n' "$(cat /etc/default/locale)")" = "$(printf 'LANG=en_US.UTF-8\nLC_TIME=en_GB.UTF-8')" ] || fail "/etc/default/locale: $(cat /etc/default/locale)"
diff <(grep -v '^#' /etc/locale.gen | grep .) <(printf 'de_DE.UTF-8 UTF-8\nen_GB.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n') || fail "/etc/locale.gen"
[ "$(diff /tmp/locale.gen.before /etc/locale.gen | grep -c '^[<>]')" = 6 ] || fail "locale.gen: more than three lines changed"
# A program can use them: the German month name, through the generated archive.
[ "$(LC_ALL=de_DE.UTF-8 date -d 2024-03-01 +%B 2>&1)" = "März" ] || fail "de_DE.UTF-8 not usable: $(LC_ALL=de_DE.UTF-8 date -d 2024-03-01 +%B 2>&1)"
expect_rc 0 run_roux converge $P /tmp/c2.json
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"
# The archive removed behind roux's back: plan and converge see the three missing, locale-gen runs alone.
rm -f /usr/lib/locale/locale-archive
expect_rc 2 run_roux plan $P /tmp/plan3.json
expect_rc 2 run_roux converge $P /tmp/c3.json
diff <(changes /tmp/plan3.json) <(changes /tmp/c3.json) || fail "plan and converge differ (archive removed)"
[ "$(changes /tmp/c3.json)" = "locale[system] generated: missing en_US.UTF-8, en_GB.UTF-8, de_DE.UTF-8 -> en_US.UTF-8, en_GB.UTF-8, de_DE.UTF-8" ] ||
  fail "archive removed: $(changes /tmp/c3.json)"
has en_US.utf8 || fail "en_US.utf8 not rebuilt"
# A locale SUPPORTED does not list: the resource fails before anything is written.
sed -i 's/^    generate: .*/    generate: [xx_YY.UTF-8]/' $P/cookbooks/app/recipes/default.yaml
before=$(snap)
expect_rc 4 run_roux converge $P /tmp/c4.json
[ "$(field /tmp/c4.json '[x["error"] for x in r["resources"]][0]')" = "locale xx_YY.UTF-8 is not in /usr/share/i18n/SUPPORTED (the names locale-gen can build; en_US.UTF-8, not en_US.utf8)" ] ||
  fail "unsupported: $(cat /tmp/c4.json.txt)"
[ "$(snap)" = "$before" ] || fail "an unsupported locale changed the host"
echo "PASS: locale in the sandbox: real locale-gen, locale -a lists the three, plan == converge (predicted), idempotent, archive rebuilt, unsupported name"
