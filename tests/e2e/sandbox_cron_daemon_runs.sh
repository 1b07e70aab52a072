#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh) with the REAL cron daemon: every cron.d entry roux writes and a
# user crontab entry actually run. Each entry runs every minute and records its environment in a
# marker file; the test starts cron after the converge and waits (at most ~75 s) until every
# marker is there. Covers environment values cron would otherwise misread: `MAILTO: ""` (written
# `MAILTO=""`: a bare `MAILTO=` makes Debian's cron ignore the whole file, "bad minute"), blanks
# at the start, a leading quote, a value with spaces, quotes and # inside; and a value cron cannot
# hold (blanks at its end, which cron cuts) is a compile error at file:line:col. Second converge: 0 changes. (The commands avoid
# `%`, which cron turns into a newline.)
set -euo pipefail
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
command -v cron >/dev/null || fail "cron is not installed in the sandbox image"
id cronuser >/dev/null 2>&1 || useradd -m -s /bin/sh cronuser
mkdir -p /tmp/m && chmod 1777 /tmp/m
P=/tmp/p
mkdir -p $P/cookbooks/app/recipes
printf 'name: cron\nsources:\n  - cookbooks\nrun_list:\n  - app\n' > $P/policy.yaml
printf 'name: app\nversion: 1.0.0\n' > $P/cookbooks/app/metadata.yaml
cat > $P/cookbooks/app/recipes/default.yaml <<'EOF'
resources:
  - cron: nomail
    schedule: "* * * * *"
    environment:
      MAILTO: ""
    command: 'echo "[$MAILTO]" > /tmp/m/nomail'
  - cron: padded
    schedule: "* * * * *"
    environment:
      MAILTO: ""
      PAD: "  two leading blanks"
      LEADQ: "\"quoted\" start"
      MID: it's "inside"
      HASH: "a # b"
    command: 'echo "[$PAD][$LEADQ][$MID][$HASH]" > /tmp/m/padded'
  - cron: plain
    schedule: "* * * * *"
    environment:
      PATH: /usr/local/bin:/usr/bin:/bin
    command: 'echo "[$PATH]" > /tmp/m/plain'
  - cron: usertab
    target: crontab
    user: cronuser
    schedule: "* * * * *"
    command: 'id -un > /tmp/m/usertab'
EOF
expect_rc 2 run_roux converge $P /tmp/c1.json
grep -qx 'MAILTO=""' /etc/cron.d/nomail || fail "MAILTO not written as MAILTO=\"\": $(cat /etc/cron.d/nomail)"
expect_rc 0 run_roux converge $P /tmp/c2.json
[ -z "$(changes /tmp/c2.json)" ] || fail "second converge changed: $(changes /tmp/c2.json)"

cron   # daemonises; dies with the sandbox
start=$(date +%s)
want="nomail padded plain usertab"
while :; do
  missing=""
  for f in $want; do [ -s /tmp/m/$f ] || missing="$missing $f"; done
  [ -z "$missing" ] && break
  [ $(( $(date +%s) - start )) -lt 75 ] || fail "cron did not run:$missing within 75 s (cron.d: $(head -20 /etc/cron.d/nomail /etc/cron.d/padded))"
  sleep 1
done
echo "all entries ran after $(( $(date +%s) - start )) s"
[ "$(cat /tmp/m/nomail)" = "[]" ] || fail "MAILTO: $(cat /tmp/m/nomail)"
[ "$(cat /tmp/m/padded)" = "[  two leading blanks][\"quoted\" start][it's \"inside\"][a # b]" ] || fail "padded: $(cat /tmp/m/padded)"
[ "$(cat /tmp/m/plain)" = "[/usr/local/bin:/usr/bin:/bin]" ] || fail "plain: $(cat /tmp/m/plain)"
[ "$(cat /tmp/m/usertab)" = cronuser ] || fail "user crontab ran as $(cat /tmp/m/usertab)"

# A value cron cannot hold: a compile error, nothing written.
cat > $P/cookbooks/app/recipes/default.yaml <<'EOF'
resources:
  - cron: hash
    schedule: "@daily"
    environment:
      X: "two trailing blanks  "
    command: /bin/true
EOF
expect_rc 1 run_roux plan $P /tmp/bad.json
grep -q 'recipes/default.yaml:5:7: cron\[hash\]: environment: value of X: cron cuts the blanks at the end of an environment value' /tmp/bad.json.txt ||
  fail "no compile error for trailing blanks: $(cat /tmp/bad.json.txt)"
echo "PASS: cron ran every cron.d entry (MAILTO=\"\", quoted values) and the user crontab"
