#!/usr/bin/env python3
"""A deliberately slow static file server on 127.0.0.1 (http_slow_source_deadline.sh).

Usage: trickle.py DIR PORT_FILE LOG_FILE PATTERN
Serves DIR; a file whose name matches the regular expression PATTERN is sent one byte per second
(headers first, with its full Content-Length), as a stalled or hostile server would. Other files
are served at full speed. Binds an ephemeral port and writes it to PORT_FILE; logs one line per
request to LOG_FILE.
"""
import http.server
import os
import re
import sys
import time

root, port_file, log_file, pattern = sys.argv[1], sys.argv[2], sys.argv[3], re.compile(sys.argv[4])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = os.path.basename(self.path)
        path = os.path.join(root, name)
        with open(log_file, "a") as f:
            f.write("GET %s\n" % self.path)
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not pattern.search(name):
            self.wfile.write(data)
            return
        try:
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
