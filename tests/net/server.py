#!/usr/bin/env python3
"""tests/net/server.py: the HTTP and HTTPS test servers of tests/net/run.sh.

    server.py LOG HTTP_PORT HTTPS_PORT CERT KEY

Listens on 127.0.0.1 only (inside the test's network namespace). Every
accepted connection appends a line "conn PORT" to LOG, so a test can
tell that a refused request never reached it. Paths:
  /hello              "hello"
  /echo               the request body back (POST, PUT)
  /headers            the request's X-Test header
  /redirect?to=URL    302 to URL
  /loop?n=N           302 to /loop?n=N+1, forever
  /big?n=N            N bytes of 'x'
  /slow?s=S           waits S seconds, then "late"
"""
import http.server
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

LOG = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with open(LOG, "a") as f:
            f.write("conn %d\n" % self.server.server_address[1])

    def log_message(self, *args):
        pass

    def send(self, code, body, extra=None):
        self.send_response(code)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        if u.path == "/hello":
            self.send(200, b"hello")
        elif u.path == "/headers":
            self.send(200, (self.headers.get("X-Test") or "none").encode())
        elif u.path == "/redirect":
            self.send(302, b"", {"Location": q["to"]})
        elif u.path == "/loop":
            n = int(q.get("n", "0")) + 1
            self.send(302, b"", {"Location": "/loop?n=%d" % n})
        elif u.path == "/big":
            self.send(200, b"x" * int(q["n"]))
        elif u.path == "/slow":
            time.sleep(float(q["s"]))
            self.send(200, b"late")
        else:
            self.send(404, b"not found")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        if self.path.startswith("/redirect"):
            return self.do_GET()
        self.send(200, b"echo:" + body)

    do_PUT = do_POST


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(port, ctx=None):
    s = Server(("127.0.0.1", port), Handler)
    if ctx:
        s.socket = ctx.wrap_socket(s.socket, server_side=True)
    threading.Thread(target=s.serve_forever, daemon=True).start()


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[4], sys.argv[5])
serve(int(sys.argv[2]))
serve(int(sys.argv[3]), ctx)
print("ready", flush=True)
threading.Event().wait()
