#!/usr/bin/env python3
"""A git smart-HTTP server for tests: `git http-backend` (CGI) behind HTTP basic auth on 127.0.0.1.

usage: http_backend.py PORT_FILE PROJECT_ROOT USER PASSWORD [CERT_PEM KEY_PEM]

Serves every repository under PROJECT_ROOT at /NAME.git, only to USER:PASSWORD (401 otherwise);
with CERT_PEM and KEY_PEM, over TLS. Writes the port it listens on to PORT_FILE, then serves until
killed. One line per request on stderr: method, path, status (never the Authorization header).

With GIT_BACKEND_BEFORE_PUSH=SCRIPT in the environment, SCRIPT (when it exists) runs before each
answer to a push's first request (GET info/refs?service=git-receive-pack): a test's stand-in for
another publisher pushing between a client's fetch and its push.

With GIT_BACKEND_DROP_PUSH=FILE, while FILE exists, a push's pack (POST git-receive-pack) gets no
answer: the connection is closed instead, after the repository took the push when FILE holds
"after" (the ref is updated, the answer lost), before it when FILE holds "before".
"""
import base64
import http.server
import os
import ssl
import subprocess
import sys

port_file, root, user, password = sys.argv[1:5]
cert = sys.argv[5] if len(sys.argv) > 6 else None
key = sys.argv[6] if len(sys.argv) > 6 else None
want = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, fmt % args))

    def do_GET(self):
        self.cgi()

    def do_POST(self):
        self.cgi()

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def cgi(self):
        data = self.body()
        if self.headers.get("Authorization", "") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        hook = os.environ.get("GIT_BACKEND_BEFORE_PUSH", "")
        if hook and os.path.exists(hook) and self.command == "GET" and query == "service=git-receive-pack":
            subprocess.run(["bash", hook], stdout=sys.stderr)
        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path,
                   QUERY_STRING=query, REQUEST_METHOD=self.command, REMOTE_USER=user,
                   REMOTE_ADDR="127.0.0.1", CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(data)), GIT_CONFIG_NOSYSTEM="1")
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        drop = os.environ.get("GIT_BACKEND_DROP_PUSH", "")
        drop = open(drop).read().strip() if drop and os.path.exists(drop) else ""
        pack = self.command == "POST" and path.endswith("/git-receive-pack")
        if pack and drop == "before":
            self.log_message("%s", "dropped before the push")
            self.close_connection = True
            return
        out = subprocess.run(["git", "http-backend"], input=data, env=env, capture_output=True).stdout
        if pack and drop == "after":
            self.log_message("%s", "dropped after the push")
            self.close_connection = True
            return
        head, _, payload = out.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = out.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
