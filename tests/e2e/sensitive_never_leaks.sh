#!/usr/bin/env bash
# A `sensitive: true` file, a sensitive template fed a secret variable, a sensitive exec that fails
# printing its secret, a sensitive file that fails, and a sensitive guard: no secret plaintext (nor
# its diff) ever appears in text output, JSON output, --report, last_run.json, history.jsonl,
# backup names, or any error message, in plan or converge.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
S1=hunter2-file-Zq81; S1B=hunter3-rotated-Kx02; S2=tmpl-pass-Vv93; S3=exec-token-Pp44; S4=fail-key-Mm55; S5=guard-pw-Gg66
mkdir -p "$work/cookbooks/app/templates"
printf 'user = app\npassword = {{password}}\n' >"$work/cookbooks/app/templates/db.conf.mustache"
gen_recipe() {
  write_policy "$work" app <<EOF2
resources:
  - file: /etc/app.secret
    content: "api_key = $1\n"
    mode: "0600"
    backup: 3
    sensitive: true
  - template: /etc/db.conf
    source: db.conf.mustache
    variables:
      password: $S2
    sensitive: true
  - exec: rotate
    command: echo "token $S3"; echo "token $S3" >&2; exit 1
    sensitive: true
  - file: /etc/blocker
    content: "plain\n"
  - file: /etc/blocker/key
    content: "$S4\n"
    sensitive: true
    requires: file[/etc/blocker]
  - file: /etc/guarded
    content: "$S5\n"
    only_if: test "$S5" = nope
    sensitive: true
EOF2
}
gen_recipe "$S1"

outputs=()
capture() {  # capture NAME ARGS...: runs roux, keeps stdout and stderr under $work/out
  local name=$1
  shift
  mkdir -p "$work/out"
  "$ROUX" "$@" >"$work/out/$name.stdout" 2>"$work/out/$name.stderr" || true
}
capture plan1 plan --policy "$work" --root "$root"
capture plan1j plan --policy "$work" --root "$root" --format json
capture apply1 converge --policy "$work" --root "$root" --report "$work/out/apply1.report.json"
[ "$(cat "$root/etc/app.secret")" = "api_key = $S1" ] || fail "the sensitive file was not written"
grep -q "password = $S2" "$root/etc/db.conf" || fail "the template did not render the secret"
# Rotate the secret: a content diff between two secrets, and a backup of the old one.
gen_recipe "$S1B"
capture plan2 plan --policy "$work" --root "$root"
capture plan2j plan --policy "$work" --root "$root" --format json
capture apply2 converge --policy "$work" --root "$root" --format json --report "$work/out/apply2.report.json"
capture apply3 converge --policy "$work" --root "$root"
[ "$(cat "$root/etc/app.secret")" = "api_key = $S1B" ] || fail "the rotated secret was not written"

# The runs did what they should (so the grep below checks real output, not empty files).
grep -q 'file\[/etc/app.secret\]' "$work/out/plan2.stdout" || fail "plan2 does not list the secret file"
grep -q 'content: (sensitive) -> (sensitive)' "$work/out/plan2.stdout" || fail "plan2: redacted content line missing"
grep -q '! exec\[rotate\]: failed' "$work/out/apply1.stdout" || fail "exec[rotate] did not fail"
grep -q '! file\[/etc/blocker/key\]: failed' "$work/out/apply1.stdout" || fail "file[/etc/blocker/key] did not fail"
grep -q 'file\[/etc/guarded\]: skipped: only_if `(sensitive)`' "$work/out/apply1.stdout" || fail "guard not redacted"
bdir="$root/var/lib/roux/backup/$(printf %s /etc/app.secret | sha256sum | cut -c1-32)-app.secret"
[ -d "$bdir" ] || fail "no backup of the replaced secret file"
backup=$(ls -d "$bdir"/*Z)
grep -q "$S1" "$backup" || fail "the backup does not hold the old content"
[ "$(stat -c %a "$backup")" = 600 ] || fail "backup mode $(stat -c %a "$backup"), want 600"

ls -R "$root/var/lib/roux" >"$work/out/state-names.txt"
leaks=0
for f in "$work"/out/* "$root/var/lib/roux/last_run.json" "$root/var/lib/roux/history.jsonl"; do
  for s in "$S1" "$S1B" "$S2" "$S3" "$S4" "$S5"; do
    if grep -qF -- "$s" "$f"; then
      echo "LEAK: $s in $f:" >&2
      grep -nF -- "$s" "$f" >&2
      leaks=1
    fi
  done
done
[ "$leaks" = 0 ] || fail "secrets leaked"
echo "ok"
