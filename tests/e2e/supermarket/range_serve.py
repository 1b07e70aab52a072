#!/usr/bin/env python3
"""A static file server on 127.0.0.1 with ranges, validators and cut transfers (mirror scenarios).

Usage: range_serve.py DIR PORT_FILE LOG_FILE [CUT_PATH CUT_BYTES CUT_TIMES]
Binds an ephemeral port and writes it to PORT_FILE. GET only. Serves the files of DIR with a strong
ETag and Last-Modified; If-None-Match (or If-Modified-Since when no If-None-Match) -> 304;
"Range: bytes=N-" -> 206 with Content-Range (N past the end -> 416). The first CUT_TIMES answers
for CUT_PATH announce the whole length but send only CUT_BYTES bytes of the body, then close the
connection (a transfer cut short). Each request is logged to LOG_FILE as one line:
  METHOD PATH STATUS inm=<If-None-Match or -> ims=<If-Modified-Since or -> range=<Range or -> sent=<body bytes>
"""
import email.utils
import http.server
import os
import sys
import threading

root, port_file, log_file = sys.argv[1], sys.argv[2], sys.argv[3]
cut = {"path": sys.argv[4], "bytes": int(sys.argv[5]), "times": int(sys.argv[6])} if len(sys.argv) > 6 else None
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log(self, status, sent):
        with lock, open(log_file, "a") as f:
            f.write("%s %s %s inm=%s ims=%s range=%s sent=%d\n" % (
                self.command, self.path, status, self.headers.get("If-None-Match", "-"),
                self.headers.get("If-Modified-Since", "-"), self.headers.get("Range", "-"), sent))

    def answer(self, status, headers=(), body=b"", send=None):
        self.send_response(status)
        length = len(body)
        for k, v in headers:
            if k == "Content-Length":
                length = int(v)
        self.send_header("Content-Length", str(length))
        for k, v in headers:
            if k != "Content-Length":
                self.send_header(k, v)
        self.end_headers()
        out = body if send is None else body[:send]
        self.wfile.write(out)
        self.wfile.flush()
        self.log(status, len(out))
        if send is not None:
            self.close_connection = True

    def do_GET(self):
        rel = self.path.split("?", 1)[0].lstrip("/")
        path = os.path.realpath(os.path.join(root, rel))
        if not path.startswith(os.path.realpath(root) + os.sep) or not os.path.isfile(path):
            return self.answer(404, body=b"not found\n")
        st = os.stat(path)
        etag = '"%x-%x"' % (st.st_mtime_ns, st.st_size)
        modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        validators = [("ETag", etag), ("Last-Modified", modified)]
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if (inm is not None and inm == etag) or (inm is None and ims == modified):
            return self.answer(304, validators, b"")
        with open(path, "rb") as f:
            data = f.read()
        send = None
        if cut and rel == cut["path"].lstrip("/"):
            with lock:
                if cut["times"] > 0:
                    cut["times"] -= 1
                    send = cut["bytes"]
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-") and rng[6:-1].isdigit():
            start = int(rng[6:-1])
            if start >= len(data):
                return self.answer(416, [("Content-Range", "bytes */%d" % len(data))], b"")
            part = data[start:]
            return self.answer(206, validators + [("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))],
                               part, send)
        return self.answer(200, validators, data, send)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
