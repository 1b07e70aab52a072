#!/usr/bin/env bash
# Sandbox (tests/sandbox/run.sh): a converge on a terminal shows the resource in progress on a
# status line, and a package transaction's progress as apt reports it (APT::Status-Fd) in percent,
# redrawn in place; the progress lines are never printed as output, and a converge whose output is
# not a terminal (piped, cron) shows no status line at all. The terminal is a real pty (script(1)).
if [ -z "${ROUX_SANDBOX:-}" ]; then exec "$ROUX_SOURCE_DIR/tests/sandbox/run.sh" "$0"; fi
. /roux/src/tests/sandbox/pkgsvc_lib.sh
P=/tmp/policy; write_policy $P installed "" hi

# On a pty: script(1) runs roux with stdin, stdout and stderr on a new terminal.
rc=0
script -qfec "$ROUX converge --policy $P --no-color" /tmp/tty.log >/dev/null || rc=$?
[ "$rc" = 2 ] || { cat /tmp/tty.log; fail "converge on a pty: exit $rc, want 2"; }
[ "$(pkg_version rouxd)" = 1.1-1 ] || fail "rouxd not installed"
# The status line: "\r\033[K  ... package[rouxd] apt NN% 0.3s", redrawn in place.
tr '\r' '\n' </tmp/tty.log | sed 's/\x1b\[K//g' >/tmp/tty.lines
grep -qE '^  \.\.\. package\[rouxd\]( \(\+[0-9]+ more\))? [0-9.]+s$' /tmp/tty.lines ||
  { cat -A /tmp/tty.log | head -40; fail "no status line naming package[rouxd]"; }
grep -qE '^  \.\.\. package\[rouxd\]( \(\+[0-9]+ more\))? apt [0-9]{1,3}% [0-9.]+s$' /tmp/tty.lines ||
  { cat -A /tmp/tty.log | head -40; fail "no apt percentage on the status line"; }
# Percentages are apt's (download, then dpkg's phases: each climbs from 0); the status line
# moves through several of them, up to at least 90.
pcts=$(sed -nE 's/^  \.\.\. package\[rouxd\].* apt ([0-9]+)% .*/\1/p' /tmp/tty.lines)
echo "apt progress seen: $(echo $pcts)"
[ "$(sort -un <<<"$pcts" | wc -l)" -ge 3 ] || fail "fewer than 3 distinct apt percentages: $(echo $pcts)"
[ "$(sort -n <<<"$pcts" | tail -1)" -ge 90 ] || fail "apt progress never reached 90%: $(echo $pcts)"
grep -q 'pmstatus:\|dlstatus:' /tmp/tty.lines && fail "apt's raw Status-Fd lines were printed"
# The resource's result line is printed as usual, after the status line was erased.
grep -qE '^  \+ package\[rouxd\]' /tmp/tty.lines || fail "no result line for package[rouxd]"

# Not a terminal (a pipe, as under cron): no status line, no escape sequences.
dpkg --purge rouxd rouxtool librouxd >/dev/null
rc=0
"$ROUX" converge --policy $P --no-color >/tmp/pipe.out 2>/tmp/pipe.err || rc=$?
[ "$rc" = 2 ] || fail "converge through a pipe: exit $rc, want 2"
grep -q $'\033\\[K\\|\r' /tmp/pipe.out /tmp/pipe.err && fail "status-line escapes in piped output"
grep -q 'apt [0-9]*%' /tmp/pipe.out /tmp/pipe.err && fail "apt progress in piped output"
echo "PASS: status line with apt progress on a pty; none when piped"
