"""tests/net/guest_server.py [CERT KEY]: the HTTP server tests/net/guests.sh
drives the Python and JavaScript guests against. Listens on 127.0.0.1
only, on an ephemeral port printed as the first line of stdout; with a
certificate and key, also serves HTTPS on a second port (second line).
Run it inside the network namespace the test creates.

GET  /hello        200, text/plain "hello from the test server"
POST /echo         201, JSON {method, content_type, x_test, body}
GET  /status/NNN   status NNN, body "status NNN"
GET  /big/N        N bytes, byte i = i % 251, written in 64 KiB pieces
"""
import http.server
import json
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            return self.reply(200, b"hello from the test server")
        if self.path.startswith("/status/"):
            code = int(self.path[len("/status/"):])
            return self.reply(code, b"status %d" % code)
        if self.path.startswith("/big/"):
            return self.big(int(self.path[len("/big/"):]))
        self.reply(404, b"no such path")

    def big(self, n):
        pattern = bytes(i % 251 for i in range(251 * 261))   # 65511 bytes
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        sent = 0
        while sent < n:
            piece = pattern[:min(len(pattern), n - sent)]
            self.wfile.write(piece)
            sent += len(piece)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        if self.path != "/echo":
            return self.reply(404, b"no such path")
        out = json.dumps({
            "method": self.command,
            "content_type": self.headers.get("Content-Type"),
            "x_test": self.headers.get("X-Test"),
            "body": body,
        }).encode()
        self.reply(201, out, "application/json")


def serve(cert=None, key=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    return server


def main():
    plain = serve()
    if len(sys.argv) == 3:
        tls = serve(sys.argv[1], sys.argv[2])
        threading.Thread(target=tls.serve_forever, daemon=True).start()
    sys.stdout.close()
    plain.serve_forever()


if __name__ == "__main__":
    main()
