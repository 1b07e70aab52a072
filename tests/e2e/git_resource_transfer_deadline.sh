#!/usr/bin/env bash
# The `git` resource's fetch has the deadline of git sources (client.yaml http: {timeout: N}, the
# same GitTransferGuard): a server that accepts and then sends nothing fails the resource after
# the timeout, naming it, in plan and in converge, instead of holding the run forever.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback server"

work=$(e2e_tmpdir)
cat >"$work/stall.py" <<'PY'
import socket, sys, threading, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
open(sys.argv[1], "w").write(str(srv.getsockname()[1]))
def serve(c):
    c.recv(65536)
    time.sleep(3600)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$work/stall.py" "$work/port" &
pid=$!
trap 'kill $pid 2>/dev/null || true; _e2e_cleanup' EXIT
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
printf 'http:\n  timeout: 3\n' >"$work/client.yaml"
mkdir -p "$work/root/srv"
write_policy "$work/p" app <<EOF
resources:
  - git: /srv/app
    repository: http://127.0.0.1:$port/repo.git
EOF
for cmd in plan converge; do
  t0=$(date +%s)
  RC=0
  timeout 60 "$ROUX" $cmd --policy "$work/p" --root "$work/root" --config "$work/client.yaml" --format json \
    >"$work/$cmd.json" 2>"$work/$cmd.err" || RC=$?
  took=$(( $(date +%s) - t0 ))
  [ "$RC" != 124 ] || fail "$cmd: still waiting after 60 s (no deadline)"
  [ "$RC" = 4 ] || fail "$cmd: exit $RC, want 4: $(cat "$work/$cmd.err")"
  [ "$took" -le 15 ] || fail "$cmd: the 3 s deadline took $took s"
  err=$(resource_field "$work/$cmd.json" "git[/srv/app]" error)
  [[ "$err" == "http://127.0.0.1:$port/repo.git: fetch: the git transfer did not finish within 3 s (client config http: {timeout: N})"* ]] ||
    fail "$cmd: the error does not name the deadline: $err"
  echo "$cmd: stopped after $took s"
done
echo "ok"
