#!/usr/bin/env bash
# A retired secret is never shown as the "before" of the next diff. Run 1 writes a file with
# `sensitive: true` and a template fed an encrypted attribute. Run 2 drops `sensitive:` and
# replaces the attribute with public text: the secrets are no longer known to this run, yet the
# old content must not appear in plan or converge output (text or JSON), --report, last_run.json,
# reports/ or history: roux remembers the paths in STATE/sensitive-paths (0600). Once rewritten
# with public content, run 3's diff shows the (public) before again.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
state="$root/var/lib/roux"
mkdir -p "$root/etc" "$work/out"
S1=retired-file-Secret-4Wq; S2=retired-attr-Secret-8Jn

run_roux secret keygen --out "$work/host"
expect_rc 0 "keygen"
enc2=$("$ROUX" secret encrypt --key "$work/host.pub" --value "$S2")
mkdir -p "$work/cookbooks/app/templates"
printf 'user = app\npassword = {{attr.app.db_password}}\n' >"$work/cookbooks/app/templates/db.conf.mustache"
gen() {  # gen FILE_CONTENT SENSITIVE ATTRIBUTE
  printf 'app:\n  db_password: "%s"\n' "$3" >"$work/cookbooks/app/attributes.yaml"
  write_policy "$work" app <<EOF
resources:
  - file: /etc/app.secret
    content: "$1\n"
    mode: "0600"
    sensitive: $2
  - template: /etc/db.conf
    source: db.conf.mustache
    mode: "0600"
EOF
}
capture() {  # capture NAME ARGS...
  local name=$1
  shift
  "$ROUX" "$@" --secret-key "$work/host.key" >"$work/out/$name.stdout" 2>"$work/out/$name.stderr" || true
}

gen "api_key = $S1" true "$enc2"
capture apply1 converge --policy "$work" --root "$root"
grep -qx "api_key = $S1" "$root/etc/app.secret" || fail "run 1 did not write the secret file"
grep -qx "password = $S2" "$root/etc/db.conf" || fail "run 1 did not render the secret"
cp "$state/sensitive-paths" "$work/sensitive-paths.run1" 2>/dev/null || true
rm -f "$work"/out/apply1.*  # run 1 is covered by the other secret tests; this one is about run 2

# Run 2: nothing is sensitive any more, no secret is known to roux.
gen "public = 1" false "not-a-secret-any-more"
capture plan2 plan --policy "$work" --root "$root"
capture plan2j plan --policy "$work" --root "$root" --format json
capture apply2 converge --policy "$work" --root "$root" --format json --report "$work/out/apply2.report.json"
grep -qx "public = 1" "$root/etc/app.secret" || fail "run 2 did not write the public content"
grep -qx "password = not-a-secret-any-more" "$root/etc/db.conf" || fail "run 2 did not render the public text"
grep -q 'file\[/etc/app.secret\]' "$work/out/plan2.stdout" || fail "plan 2 does not list the file: $(cat "$work/out/plan2.stdout")"
grep -q 'content: (sensitive) -> ' "$work/out/plan2.stdout" || fail "plan 2: the before is not hidden: $(cat "$work/out/plan2.stdout")"
# The new, public content is still shown (the diff keeps its added lines only).
grep -q '+public = 1' "$work/out/plan2.stdout" || fail "plan 2 hides the new public content too: $(cat "$work/out/plan2.stdout")"
grep -q 'removed line hidden: the previous content was sensitive' "$work/out/plan2.stdout" ||
  fail "plan 2 does not say the removed lines are hidden: $(cat "$work/out/plan2.stdout")"
for f in "$work"/out/* "$state/last_run.json" "$state/history.jsonl" "$state"/reports/*; do
  for s in "$S1" "$S2"; do
    if grep -qF -- "$s" "$f"; then fail "the retired secret $s is shown in $f: $(grep -F -- "$s" "$f" | head -3)"; fi
  done
done
# How: run 1 recorded both paths, 0600.
[ -f "$work/sensitive-paths.run1" ] || fail "no $state/sensitive-paths after run 1"
grep -qx /etc/app.secret "$work/sensitive-paths.run1" || fail "sensitive-paths lacks /etc/app.secret: $(cat "$work/sensitive-paths.run1")"
grep -qx /etc/db.conf "$work/sensitive-paths.run1" || fail "sensitive-paths lacks /etc/db.conf"
[ "$(stat -c %a "$state/sensitive-paths")" = 600 ] || fail "sensitive-paths mode $(stat -c %a "$state/sensitive-paths")"
# Rewritten with public content: forgotten, so run 3 diffs normally.
if grep -qx /etc/app.secret "$state/sensitive-paths" 2>/dev/null; then
  fail "/etc/app.secret is still listed after its content became public"
fi
gen "public = 2" false "not-a-secret-any-more"
capture plan3 plan --policy "$work" --root "$root"
grep -q -- '-public = 1' "$work/out/plan3.stdout" || fail "plan 3: the public before is not diffed: $(cat "$work/out/plan3.stdout")"
echo "ok"
