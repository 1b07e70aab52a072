# Shared helpers for the end-to-end scenarios in tests/e2e/ (sourced, never run).
# Each scenario drives the real binary ($ROUX) against cookbooks it writes into a temp folder and
# converges into a temporary --root; nothing here touches the real host.
#
#   source "$(dirname "$0")/lib.sh"
#   work=$(e2e_tmpdir)                       # removed on exit
#   write_policy "$work" app <<'EOF'          # cookbook "app" (recipe default) + policy.yaml
#   resources:
#     - file: /etc/x
#       content: "x\n"
#   EOF
#   run_roux converge --policy "$work" --root "$work/root"   # sets RC, OUT, ERR

set -euo pipefail

: "${ROUX:?set ROUX to the built roux binary}"
: "${ROUX_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export NO_COLOR=1
# Every run not under the journal sends its closing record to syslog (docs/output.md); the
# scenarios keep the host's syslog out of it unless they name a receiver of their own.
: "${ROUX_SYSLOG_SOCKET:=/nonexistent/roux-e2e-syslog}"
export ROUX_SYSLOG_SOCKET

# fail MESSAGE...: print to stderr and exit 1 (the test failed).
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# skip REASON: exit 77, which ctest reports as skipped.
skip() {
  echo "SKIP: $*"
  exit 77
}

# e2e_tmpdir: a fresh temp folder, removed when the script exits; prints its path. Works from a
# command substitution (`d=$(e2e_tmpdir)`): the folders to remove are listed in a file.
_E2E_REGISTRY=$(mktemp /tmp/roux-e2e-reg.XXXXXX)
_e2e_cleanup() {
  local d
  while read -r d; do
    [ -n "$d" ] && [ -d "$d" ] && rm -rf -- "$d"
  done <"$_E2E_REGISTRY"
  rm -f -- "$_E2E_REGISTRY"
  return 0
}
trap _e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
e2e_tmpdir() {
  local d
  d=$(mktemp -d /tmp/roux-e2e.XXXXXX)
  echo "$d" >>"$_E2E_REGISTRY"
  echo "$d"
}

# Each scenario gets its own XDG_CACHE_HOME: a --root run keeps roux's trusted records there
# (parsed recipes, the supermarket serials it verified), and loopback ports are reused between
# scenarios, so a record from another scenario's server must not meet this one's.
XDG_CACHE_HOME=$(e2e_tmpdir)
export XDG_CACHE_HOME

# write_cookbook DIR NAME [RECIPE] [VERSION]: writes DIR/cookbooks/NAME with metadata.yaml and
# recipes/RECIPE.yaml (default "default") from stdin.
write_cookbook() {
  local dir=$1 name=$2 recipe=${3:-default} version=${4:-1.0.0}
  mkdir -p "$dir/cookbooks/$name/recipes"
  [ -f "$dir/cookbooks/$name/metadata.yaml" ] ||
    printf 'name: %s\nversion: %s\n' "$name" "$version" >"$dir/cookbooks/$name/metadata.yaml"
  cat >"$dir/cookbooks/$name/recipes/$recipe.yaml"
}

# write_policy DIR NAME: cookbook NAME (recipe from stdin) and DIR/policy.yaml running it.
write_policy() {
  local dir=$1 name=$2
  write_cookbook "$dir" "$name"
  printf 'name: e2e\nsources:\n  - cookbooks\nrun_list:\n  - %s\n' "$name" >"$dir/policy.yaml"
}

# run_roux ARGS...: runs $ROUX; sets RC (exit code), OUT and ERR (captured text). Never fails.
run_roux() {
  local out err
  [ -n "${_E2E_SCRATCH:-}" ] || { _E2E_SCRATCH=$(mktemp -d /tmp/roux-e2e.XXXXXX); echo "$_E2E_SCRATCH" >>"$_E2E_REGISTRY"; }
  out="$_E2E_SCRATCH/run.out"
  err="$_E2E_SCRATCH/run.err"
  RC=0
  "$ROUX" "$@" >"$out" 2>"$err" || RC=$?
  OUT=$(cat "$out")
  ERR=$(cat "$err")
}

# expect_rc WANT WHAT: fails with the captured output unless RC == WANT.
expect_rc() {
  if [ "$RC" != "$1" ]; then
    echo "--- stdout:" >&2
    echo "$OUT" >&2
    echo "--- stderr:" >&2
    echo "$ERR" >&2
    fail "$2: exit $RC, want $1"
  fi
}

# tree_checksum ROOT [EXCLUDE_PREFIX]: one digest of the whole tree: every entry's relative path,
# type, mode, owner, group, mtime (ns), size, symlink target and file content. Entries under
# EXCLUDE_PREFIX (a path relative to ROOT, e.g. var/lib/roux) are left out.
tree_checksum() {
  tree_listing "$@" | sha256sum | cut -d' ' -f1
}

# tree_listing ROOT [EXCLUDE_PREFIX]: the lines tree_checksum digests (for diagnostics).
tree_listing() {
  local root=$1 exclude=${2:-}
  (
    cd "$root"
    find . -mindepth 1 -printf '%P\t%y\t%m\t%U\t%G\t%T@\t%s\t%l\n' | LC_ALL=C sort |
      while IFS=$'\t' read -r p y m u g t s l; do
        if [ -n "$exclude" ] && { [ "$p" = "$exclude" ] || [[ "$p" == "$exclude"/* ]]; }; then continue; fi
        sum=-
        [ "$y" = f ] && sum=$(sha256sum <"$p" | cut -d' ' -f1)
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$y" "$m" "$u" "$g" "$t" "$s" "$l" "$sum"
      done
  )
}

# json_changes FILE: one line per change in a JSON report: "ID<TAB>PROPERTY<TAB>BEFORE<TAB>AFTER",
# in report order. Statuses other than changed/would_change are ignored.
json_changes() {
  python3 - "$1" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
for r in rep["resources"]:
    if r["status"] not in ("changed", "would_change"):
        continue
    for c in r["changes"]:
        print("\t".join([r["id"], c["property"], c["before"], c["after"]]))
PY
}

# plan_then_converge WORK ROOT: a plan of the policy in WORK against ROOT that exits 2 and leaves
# ROOT as it was, then a converge that exits 2 and makes exactly the plan's changes. Their JSON
# reports are left in WORK/plan.json and WORK/c1.json; `before` keeps the tree's checksum before.
plan_then_converge() {
  local w=$1 r=$2
  before=$(tree_checksum "$r")
  run_roux plan --policy "$w" --root "$r" --format json
  expect_rc 2 "plan"
  printf '%s\n' "$OUT" >"$w/plan.json"
  [ "$(tree_checksum "$r")" = "$before" ] || fail "plan changed the tree"
  run_roux converge --policy "$w" --root "$r" --format json
  expect_rc 2 "converge"
  printf '%s\n' "$OUT" >"$w/c1.json"
  diff <(json_changes "$w/plan.json") <(json_changes "$w/c1.json") || fail "plan and converge differ"
}

# json_get FILE EXPR: evaluates a Python expression over the report bound to `r`, prints it.
#   json_get report.json 'r["totals"]["changed"]'
json_get() {
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}

# resource_field FILE ID FIELD: a field of one resource of a JSON report ("" when absent).
resource_field() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
for r in rep["resources"]:
    if r["id"] == sys.argv[2]:
        v = r.get(sys.argv[3], "")
        print(json.dumps(v) if isinstance(v, (dict, list, bool)) else v)
        break
else:
    sys.exit("no resource " + sys.argv[2] + " in " + sys.argv[1])
PY
}

# wait_until SECONDS CMD...: runs CMD until it succeeds, for up to SECONDS of wall-clock time; returns
# 1 at the deadline. A deadline, never a count of tries: on a loaded machine each try is slower, and
# a count of tries would give up early.
#   wait_until 60 test -e "$root/started" || fail "the slow converge never started"
wait_until() {
  local deadline=$(( $(date +%s) + $1 ))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
