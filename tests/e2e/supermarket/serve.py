#!/usr/bin/env python3
"""A static file server on 127.0.0.1 for the supermarket scenarios.

Usage: serve.py DIR PORT_FILE LOG_FILE [CERT_PEM KEY_PEM]
With CERT_PEM and KEY_PEM it serves HTTPS instead.
Binds an ephemeral port (port 0) and writes it to PORT_FILE. Serves DIR like
`python3 -m http.server`, plus strong ETags (If-None-Match -> 304); If-Modified-Since -> 304 is
http.server's own. Each request is logged to LOG_FILE as one line:
  METHOD PATH STATUS inm=<If-None-Match or -> ims=<If-Modified-Since or ->
"""
import functools
import http.server
import os
import sys

root, port_file, log_file = sys.argv[1], sys.argv[2], sys.argv[3]
tls = sys.argv[4:6]


class Handler(http.server.SimpleHTTPRequestHandler):
    etag = None

    def send_head(self):
        path = self.translate_path(self.path)
        self.etag = None
        if os.path.isfile(path):
            st = os.stat(path)
            self.etag = '"%x-%x"' % (st.st_mtime_ns, st.st_size)
            if self.headers.get("If-None-Match") == self.etag:
                self.send_response(304)
                self.end_headers()
                return None
        return super().send_head()

    def end_headers(self):
        if self.etag:
            self.send_header("ETag", self.etag)
        super().end_headers()

    def log_request(self, code="-", size="-"):
        with open(log_file, "a") as f:
            f.write("%s %s %s inm=%s ims=%s\n" % (
                self.command, self.path, getattr(code, "value", code),
                self.headers.get("If-None-Match", "-"), self.headers.get("If-Modified-Since", "-")))

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
if tls:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls[0], tls[1])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
