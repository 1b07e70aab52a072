#!/usr/bin/env bash
# A git transfer has a deadline (client.yaml http: {timeout: N}): libgit2 1.5 has no network
# timeout of its own, so a git server that accepts the connection and then stalls (sends nothing,
# or trickles a byte a second) used to hold `roux lock` / converge forever. Now the run stops
# after the timeout with an error that names it. Two stalling servers on 127.0.0.1: one silent,
# one trickling an endless ref advertisement.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback servers"

work=$(e2e_tmpdir)
cat >"$work/stall.py" <<'PY'
import socket, sys, threading, time
mode, port_file = sys.argv[1], sys.argv[2]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
open(port_file, "w").write(str(srv.getsockname()[1]))
def serve(c):
    c.recv(65536)
    if mode == "trickle":
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement\r\n"
                  b"Content-Length: 1000000\r\n\r\n")
        while True:
            c.sendall(b"0")
            time.sleep(1)
    time.sleep(3600)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
printf 'http:\n  timeout: 3\n' >"$work/client.yaml"

for mode in silent trickle; do
  python3 "$work/stall.py" "$mode" "$work/$mode.port" &
  pid=$!
  for _ in $(seq 100); do [ -s "$work/$mode.port" ] && break; sleep 0.05; done
  port=$(cat "$work/$mode.port")
  mkdir -p "$work/$mode/policy" "$work/$mode/root"
  printf 'name: t\nsources:\n  - git+http://127.0.0.1:%s/repo.git\nrun_list:\n  - base\n' "$port" \
    >"$work/$mode/policy/policy.yaml"
  t0=$(date +%s)
  RC=0
  timeout 60 "$ROUX" lock --policy "$work/$mode/policy" --root "$work/$mode/root" --config "$work/client.yaml" \
    >"$work/$mode/out" 2>"$work/$mode/err" || RC=$?
  took=$(( $(date +%s) - t0 ))
  kill "$pid" 2>/dev/null || true
  [ "$RC" != 124 ] || fail "$mode server: roux lock was still waiting after 60 s (no deadline)"
  [ "$RC" = 1 ] || fail "$mode server: exit $RC, want 1: $(cat "$work/$mode/err")"
  [ "$took" -le 15 ] || fail "$mode server: the 3 s deadline took $took s"
  grep -q "the git transfer did not finish within 3 s (client config http: {timeout: N})" "$work/$mode/err" ||
    fail "$mode server: the error does not name the deadline: $(cat "$work/$mode/err")"
  echo "$mode server: stopped after $took s"
done
echo "ok"
