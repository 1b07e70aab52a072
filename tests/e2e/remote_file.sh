#!/usr/bin/env bash
# remote_file from an HTTP server on 127.0.0.1 (into a --root tree): plan downloads nothing to the
# tree and lists what converge then does; the file is verified against its sha256 before it is
# written; the second converge makes no request at all (the digest on disk matches); a file
# changed by hand is downloaded again; `checksum: none` (warned) downloads conditionally with the
# kept ETag: the server answers 304, nothing is transferred or changed; new content on the server
# is then fetched; a mismatching digest fails the resource and writes nothing; bad input is a
# compile error at file:line:col.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/opt/app" "$work/srv"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/server.py" <<'PY'
# Serves DIR; ETag = sha256 of the content; If-None-Match -> 304; logs "path status" per request.
import hashlib, http.server, os, sys
root, log = sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        p = os.path.join(root, self.path.lstrip("/"))
        if not os.path.isfile(p):
            status, body, tag = 404, b"", None
        else:
            body = open(p, "rb").read()
            tag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            status = 304 if self.headers.get("If-None-Match") == tag else 200
        open(log, "a").write("%s %d\n" % (self.path, status))
        self.send_response(status)
        if tag: self.send_header("ETag", tag)
        self.send_header("Content-Length", str(len(body) if status == 200 else 0))
        self.end_headers()
        if status == 200: self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/server.py" "$port" "$work/srv" "$work/requests.log" &
server=$!
trap 'kill $server 2>/dev/null; _e2e_cleanup' EXIT
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break; sleep 0.1; done
printf 'tool v1\n' >"$work/srv/tool"
printf 'feed v1\n' >"$work/srv/feed"
sha=$(sha256sum "$work/srv/tool" | cut -d' ' -f1)
write_policy "$work" app <<EOF
resources:
  - remote_file: /opt/app/tool
    source: http://127.0.0.1:$port/tool
    checksum: sha256:$sha
    mode: "0755"
  - remote_file: /opt/app/feed
    source: http://127.0.0.1:$port/feed
    checksum: none
EOF
requests() { [ -f "$work/requests.log" ] && wc -l <"$work/requests.log" || echo 0; }

before=$(tree_checksum "$root")
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan"
printf '%s\n' "$OUT" >"$work/plan.json"
[ "$(tree_checksum "$root")" = "$before" ] || fail "plan changed the tree"
echo "$ERR" | grep -q 'checksum: none: the download is not verified' || fail "no warning for checksum: none"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge"
printf '%s\n' "$OUT" >"$work/c1.json"
diff <(json_changes "$work/plan.json") <(json_changes "$work/c1.json") || fail "plan and converge differ"
[ "$(json_changes "$work/c1.json" | cut -f1-4 | head -1)" = "remote_file[/opt/app/tool]	ensure	absent	sha256:${sha:0:12} (8 bytes)" ] ||
  fail "changes: $(json_changes "$work/c1.json")"
cmp -s "$work/srv/tool" "$root/opt/app/tool" || fail "tool content"
[ "$(stat -c %a "$root/opt/app/tool")" = 755 ] || fail "tool mode"
cmp -s "$work/srv/feed" "$root/opt/app/feed" || fail "feed content"

# Second converge: the checksum matches (no request for tool); feed is asked with its ETag: 304.
n=$(requests)
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 0 "second converge"
[ -z "$(json_changes <(printf '%s\n' "$OUT"))" ] || fail "second converge changed something"
[ "$(tail -n +$((n + 1)) "$work/requests.log")" = "/feed 304" ] ||
  fail "second converge requests: $(tail -n +$((n + 1)) "$work/requests.log")"

# A hand-edited file is fetched again; new content on the server (checksum: none) is fetched.
echo tampered >"$root/opt/app/tool"
printf 'feed v2\n' >"$work/srv/feed"
run_roux plan --policy "$work" --root "$root" --format json
expect_rc 2 "plan of drift"
printf '%s\n' "$OUT" >"$work/plan2.json"
run_roux converge --policy "$work" --root "$root" --format json
expect_rc 2 "converge of drift"
printf '%s\n' "$OUT" >"$work/c2.json"
diff <(json_changes "$work/plan2.json") <(json_changes "$work/c2.json") || fail "drift: plan and converge differ"
[ "$(json_changes "$work/c2.json" | cut -f1,2)" = "remote_file[/opt/app/tool]	content
remote_file[/opt/app/feed]	content" ] || fail "drift changes: $(json_changes "$work/c2.json")"
cmp -s "$work/srv/tool" "$root/opt/app/tool" && cmp -s "$work/srv/feed" "$root/opt/app/feed" || fail "drift not repaired"

# The server's tool changes but the recipe's checksum does not: the resource fails, the file stays.
echo "tampered" >"$root/opt/app/tool"
printf 'tool v2 (evil)\n' >"$work/srv/tool"
run_roux converge --policy "$work" --root "$root"
expect_rc 4 "checksum mismatch"
grep -q "downloaded content has sha256 $(sha256sum "$work/srv/tool" | cut -d' ' -f1), expected $sha (nothing was written)" <<<"$OUT$ERR" ||
  fail "mismatch not reported: $OUT$ERR"
[ "$(cat "$root/opt/app/tool")" = tampered ] || fail "a mismatching download was written"

# Bad input.
write_policy "$work" app <<'EOF'
resources:
  - remote_file: /opt/app/x
    source: http://127.0.0.1:1/x
  - remote_file: /opt/app/y
    source: http://127.0.0.1:1/y
    checksum: md5:0123
EOF
run_roux plan --policy "$work" --root "$root"
expect_rc 1 "bad input"
echo "$ERR" | grep -q 'recipes/default.yaml:2:5: remote_file\[/opt/app/x\]: checksum: is required: sha256:HEX' || fail "missing checksum: $ERR"
echo "$ERR" | grep -q 'recipes/default.yaml:6:15: remote_file\[/opt/app/y\]: checksum: expected sha256:HEX (64 hex digits) or none' || fail "bad checksum: $ERR"
echo "PASS: remote_file: verified download, no request when the digest matches, ETag 304, drift, mismatch, bad input"
