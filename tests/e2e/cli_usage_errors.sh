#!/usr/bin/env bash
# Every usage error reads the same way (issue #14, 4; error text is API): "roux: error: WHAT;
# `roux help COMMAND` lists the options", exit 1, for a value that is not a choice or out of
# range, a missing value, a word too many, a missing required option; an unknown option is found
# (with its nearest name) after any flag, not only first (a flag such as -v or --no-color was
# taken to read a value, so the next word went unexamined); a single unknown short option gets no
# guessed suggestion (every letter is one edit from -h).
source "$(dirname "$0")/lib.sh"

check() {  # check WANT ARGS...: roux ARGS exits 1 with exactly WANT on stderr, nothing on stdout
  local want=$1
  shift
  run_roux "$@"
  [ "$RC" = 1 ] || fail "roux $*: exit $RC, want 1 ($ERR)"
  [ "$ERR" = "$want" ] || fail "roux $*: stderr
$ERR
want
$want"
  [ -z "$OUT" ] || fail "roux $*: stdout: $OUT"
}

check 'roux: error: --log-level: loud not in {debug,info,warn,warning,error}; `roux help plan` lists the options' \
  plan --log-level loud
check 'roux: error: --log-level: loud not in {debug,info,warn,warning,error}; `roux help plan` lists the options' \
  --log-level loud plan
check 'roux: error: --color: sometimes not in {auto,always,never}; `roux help converge` lists the options' \
  converge --color sometimes
check 'roux: error: --jobs: Value 0 not in range 1 to 256; `roux help converge` lists the options' converge --jobs 0
check 'roux: error: --policy: 1 required TEXT missing; `roux help plan` lists the options' plan --policy
check 'roux: error: Could not convert: --limit = abc; `roux help history` lists the options' history --limit abc
check 'roux: error: The following argument was not expected: extra; `roux help plan` lists the options' plan extra
check 'roux: error: --out is required; `roux help keygen` lists the options' keygen
check 'roux: error: --to: 1 required TEXT missing; `roux help supermarket mirror` lists the options' \
  supermarket mirror --from file:///nowhere --to
# An option's value that happens to be a command's name is not taken for the command.
check 'roux: error: --jobs: Value 0 not in range 1 to 256; `roux help plan` lists the options' \
  plan --policy converge --jobs 0

# Unknown options after flags: named, with the nearest option.
check "roux: error: unknown option --polcy for 'plan'; did you mean --policy?" plan -v --polcy x
check "roux: error: unknown option --polcy for 'plan'; did you mean --policy?" plan --no-color --polcy x
check "roux: error: unknown option --polcy for 'converge'; did you mean --policy?" converge -q -n --polcy x
check "roux: error: unknown option --plan-max-ag for 'converge'; did you mean --plan-max-age?" \
  converge --only 'file[/x]' --plan-max-ag 5
# A single short option: no guess.
check "roux: error: unknown option -x for 'plan'; \`roux help plan\` lists the options" plan -x
check "roux: error: unknown option -x for 'plan'; \`roux help plan\` lists the options" plan -v -x
echo "ok"
