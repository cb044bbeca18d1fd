#!/usr/bin/env python3
"""tests/net/attack_server.py: the servers of tests/net/attacks.sh.

    attack_server.py LOG

Listens on 127.0.0.1 only (inside the test's network namespace): HTTP
on port 8080, and a DNS server on port 53 (UDP) that reads queries and
never answers, so a name not in /etc/hosts keeps the resolver waiting.
Appends to LOG a line "conn" per accepted connection and "req METHOD
PATH host=HOST" per request parsed, so a test can tell whether bytes of
a body were read as a request of their own. Paths: /hello ("hello").
"""
import http.server
import socket
import sys
import threading

LOG = sys.argv[1]


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        log("conn")

    def log_message(self, *args):
        pass

    def do_GET(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        log("req %s %s host=%s" % (self.command, self.path,
                                   self.headers.get("Host")))
        body = b"hello" if self.path == "/hello" else b"not found"
        self.send_response(200 if self.path == "/hello" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


def dns_sink():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 53))
    while True:
        s.recvfrom(2048)


threading.Thread(target=dns_sink, daemon=True).start()
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 8080), Handler)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
