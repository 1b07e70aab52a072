#!/usr/bin/env bash
# A sensitive file's replaced content is not kept under the state folder (as Chef leaves backups
# off for sensitive files): rewriting or removing a `sensitive: true` file leaves no backup of the
# old secret, nor does replacing the content of a file that was sensitive in an earlier run
# (STATE/sensitive-paths) once the recipe drops `sensitive:`. A public file keeps its backups (5 by
# default); an explicit `backup: N` on a sensitive file is honoured, 0600 in a 0700 folder. No
# backup anywhere is readable by group or others.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
S1=old-secret-Qw71; S2=new-secret-Er82; S3=kept-secret-Ty93; S4=retired-secret-Ui04
gen() {  # gen GENERATION SECRET_A SECRET_B SECRET_C RETIRED_SENSITIVE
  write_policy "$work" app <<EOF
resources:
  - file: /etc/app.secret
    content: "key = $2\n"
    mode: "0600"
    sensitive: true
  - file: /etc/gone.secret
    ensure: $([ "$1" = 1 ] && echo present || echo absent)
    content: "gone = $2\n"
    sensitive: true
  - file: /etc/kept.secret
    content: "kept = $3\n"
    mode: "0644"
    sensitive: true
    backup: 2
  - file: /etc/retired
    content: "$4\n"
    sensitive: $5
  - file: /etc/public
    content: "public $1\n"
EOF
}
backup_dir() { echo "$root/var/lib/roux/backup/$(printf %s "$1" | sha256sum | cut -c1-32)-${1##*/}"; }
converge() {
  "$ROUX" converge --format json --policy "$work" --root "$root" --config /dev/null >"$work/apply$1.json" 2>"$work/apply$1.err" &&
    rc=0 || rc=$?
  [ "$rc" = 2 ] || fail "converge $1: exit $rc, want 2: $(cat "$work/apply$1.err")"
}

gen 1 "$S1" "$S3" "$S4" true
converge 1
gen 2 "$S2" "$S2" "public-now" false
converge 2
[ "$(cat "$root/etc/app.secret")" = "key = $S2" ] || fail "the sensitive file was not rewritten"
[ ! -e "$root/etc/gone.secret" ] || fail "the sensitive file was not removed"
[ "$(cat "$root/etc/retired")" = "public-now" ] || fail "the retired file was not rewritten"

for p in /etc/app.secret /etc/gone.secret /etc/retired; do
  [ ! -e "$(backup_dir $p)" ] || fail "a backup of sensitive $p: $(ls -l "$(backup_dir $p)")"
done
# The public file: one backup, as before.
[ "$(ls "$(backup_dir /etc/public)" | grep -c 'Z$')" = 1 ] || fail "public file: $(ls -l "$(backup_dir /etc/public)")"
# backup: 2 asked for on a sensitive file: kept, root-only.
kept=$(backup_dir /etc/kept.secret)
b=$(ls -d "$kept"/*Z) || fail "no backup of the sensitive file with backup: 2"
grep -qx "kept = $S3" "$b" || fail "the kept backup does not hold the old content"
[ "$(stat -c %a "$b")" = 600 ] || fail "kept backup mode $(stat -c %a "$b"), want 600"
[ "$(stat -c %a "$kept")" = 700 ] || fail "kept backup folder mode $(stat -c %a "$kept"), want 700"
# No file under backup/ readable by group or others, and no old secret anywhere else in the state.
bad=$(find "$root/var/lib/roux/backup" -type f -perm /077)
[ -z "$bad" ] || fail "backups readable by others: $bad"
for s in "$S1" "$S4"; do
  if grep -rlF -- "$s" "$root/var/lib/roux"; then fail "the old secret $s is kept under the state folder"; fi
done
echo ok
