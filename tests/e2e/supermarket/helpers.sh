# Helpers for the supermarket scenarios (sourced after ../lib.sh).
#
#   start_server DIR NAME [CERT KEY]
#                                serves DIR on 127.0.0.1 (HTTPS with CERT and KEY); sets NAME_PORT
#                                and NAME_LOG (request log)
#   SM_SERVER=trickle.py start_server DIR NAME PATTERN
#                                the same with another server script of this folder (trickle.py:
#                                files matching PATTERN are sent one byte per second)
#   make_cookbook DIR NAME VERSION [DEP CONSTRAINT]...
#                                a cookbook whose recipe writes /etc/NAME.conf = "NAME VERSION"
#   sm_index_edit DIR PYTHON     edits DIR/universe with a Python snippet over `u` (the dict)

_SM_PIDS=()
_sm_cleanup() {
  local p
  for p in "${_SM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${_SM_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  _e2e_cleanup
}
trap _sm_cleanup EXIT

SM_HELPERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

start_server() {
  local dir=$1 name=$2 portfile log i
  shift 2
  portfile=$(mktemp -u /tmp/roux-e2e-port.XXXXXX)
  log=$(e2e_tmpdir)/requests.log
  : >"$log"
  python3 "$SM_HELPERS_DIR/${SM_SERVER:-serve.py}" "$dir" "$portfile" "$log" "$@" &
  _SM_PIDS+=($!)
  for i in $(seq 1 200); do
    [ -s "$portfile" ] && break
    sleep 0.05
  done
  [ -s "$portfile" ] || fail "http server for $dir did not start"
  printf -v "${name}_PORT" '%s' "$(cat "$portfile")"
  printf -v "${name}_LOG" '%s' "$log"
  rm -f "$portfile"
}

make_cookbook() {
  local dir=$1 name=$2 version=$3
  shift 3
  mkdir -p "$dir/$name/recipes"
  {
    printf 'name: %s\nversion: %s\ndescription: the %s cookbook\n' "$name" "$version" "$name"
    if [ $# -gt 0 ]; then
      echo "depends:"
      while [ $# -gt 0 ]; do
        printf '  %s: "%s"\n' "$1" "$2"
        shift 2
      done
    fi
  } >"$dir/$name/metadata.yaml"
  cat >"$dir/$name/recipes/default.yaml" <<YAML
resources:
  - file: /etc/$name.conf
    content: "$name $version\n"
YAML
}

sm_index_edit() {
  python3 - "$1/universe" "$2" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
u = json.load(open(path))
exec(code)
open(path, "w").write(json.dumps(u, indent=2, sort_keys=True) + "\n")
PY
}

# flip_byte FILE OFFSET: XORs one byte of FILE (negative OFFSET counts from the end).
flip_byte() {
  python3 - "$1" "$2" <<'PY'
import sys
path, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, "rb").read())
b[off] ^= 0x01
open(path, "wb").write(bytes(b))
PY
}
