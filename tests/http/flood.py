#!/usr/bin/env python3
"""flood.py: idle TCP connections must not lock clients out of a server.

usage: flood.py serve PORT PID KEY CAP HEADER_SECONDS
       flood.py mcp PORT PID CAP HEADER_SECONDS
       flood.py per-client PORT CAP

serve, mcp: opens 300 connections to 127.0.0.1:PORT that send nothing
(the server runs with --max-connections CAP, CAP well under 300): at
most about CAP stay open (mcp: and as many threads). Then a child
process goes on opening more (500 a second) while a client
  serve: asks GET /healthz, GET /v1/sessions with KEY, and creates a
         session with KEY;
  mcp:   initializes a session before the flood, then calls tools/list
         in it, and initializes a new one;
every answer must come (within 5 s) and be right; the flood's first
connections are pushed out by its later ones, the server still holds
about CAP (serve: its /metrics; mcp: its threads). Last, connections
that never send a request are closed within HEADER_SECONDS (plus 2 s:
the sweep runs each second).

per-client: 100 connections from 127.0.0.2 to a server with
--max-connections-per-client CAP: at most CAP stay open, and a client
from 127.0.0.3 is served.

One line per check ("ok   ..." or "FAIL ..."); exit status 1 if any
failed.
"""
import http.client
import json
import os
import signal
import socket
import sys
import time

FLOOD = 300
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""))
    if not ok:
        failed += 1


def connect(port, src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.settimeout(None)            # closed_by_server's MSG_DONTWAIT decides
    return s


def closed_by_server(s):
    """Has the server closed s (EOF or reset)? Does not wait."""
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def still_open(socks):
    return sum(1 for s in socks if not closed_by_server(s))


def settled(socks, at_most, wait=5.0):
    """How many of socks are open, once at most `at_most` are (or `wait`
    seconds passed: a slow server may not have accepted them all yet)."""
    end = time.monotonic() + wait
    while True:
        n = still_open(socks)
        if n <= at_most or time.monotonic() > end:
            return n
        time.sleep(0.1)


def request(port, method, path, body=None, headers=None):
    """(status, headers, body) of one request on a new connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.headers, r.read()
    finally:
        c.close()


def fill(port):
    """FLOOD idle connections."""
    socks = []
    for _ in range(FLOOD):
        try:
            socks.append(connect(port))
        except OSError:
            pass
    return socks


class Churn:
    """A child process that goes on flooding: it keeps FLOOD idle
    connections of its own, replacing its oldest by a new one every 2 ms
    for up to 15 s, and writes a byte to a pipe for each one made. (A
    process, not a thread: the clients here must not wait for the
    flooder's turn between connecting and sending their request.)"""

    def __init__(self, port, inherited):
        r, w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(r)
            for s in inherited:
                s.close()
            self.run(port, w)
        os.close(w)
        os.set_blocking(r, False)
        self.r, self.made = r, 0

    @staticmethod
    def run(port, w):
        try:
            socks, end = [], time.monotonic() + 15
            while time.monotonic() < end:
                try:
                    socks.append(connect(port))
                except OSError:
                    time.sleep(0.01)
                    continue
                if len(socks) > FLOOD:
                    socks.pop(0).close()
                os.write(w, b"x")
                time.sleep(0.002)
            time.sleep(60)              # until stopped
        finally:
            os._exit(0)

    def count(self):
        try:
            while True:
                b = os.read(self.r, 65536)
                if not b:
                    break
                self.made += len(b)
        except BlockingIOError:
            pass
        return self.made

    def wait_made(self, n, wait=20.0):
        end = time.monotonic() + wait
        while self.count() < n and time.monotonic() < end:
            time.sleep(0.05)
        return self.made

    def stop(self):
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.count()
        os.close(self.r)


def threads_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def header_deadline(port, header_s, label):
    socks = [connect(port) for _ in range(10)]
    time.sleep(header_s + 2)
    n = still_open(socks)
    check("%s: connections that send no request are closed after "
          "--header-timeout (%d of 10 still open after %g s)"
          % (label, n, header_s + 2), n == 0)
    for s in socks:
        s.close()


def pushed_out(socks, ch, cap, label):
    """Once the churn has made 2 * cap more, the flood's first
    connections (older than any of them) must all be closed."""
    ch.wait_made(2 * cap)
    n = settled(socks, 0)
    check("%s: the flood's older connections are pushed out first "
          "(%d of %d still open)" % (label, n, len(socks)), n == 0)
    for s in socks:
        s.close()


def metric(text, name):
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    return -1


def flood_serve(port, pid, key, cap, header_s):
    auth = {"Authorization": "Bearer " + key}
    socks = fill(port)
    n = settled(socks, cap + 8)
    check("serve: %d idle connections, at most the cap (%d) kept: %d"
          % (len(socks), cap, n), 0 < n <= cap + 8)
    ch = Churn(port, socks)
    try:
        ch.wait_made(cap)
        st, _, _ = request(port, "GET", "/healthz")
        check("serve: /healthz answers during the flood", st == 200, str(st))
        st, _, body = request(port, "GET", "/v1/sessions", headers=auth)
        check("serve: an API key's GET /v1/sessions is served during the "
              "flood", st == 200, "%s %r" % (st, body[:200]))
        st, _, body = request(port, "POST", "/v1/sessions", body=b"{}",
                              headers=auth)
        check("serve: and POST /v1/sessions", st == 201,
              "%s %r" % (st, body[:200]))
        pushed_out(socks, ch, cap, "serve")
        st, _, body = request(port, "GET", "/metrics", headers=auth)
        op = metric(body, "wasmbox_http_connections_open")
        ev = metric(body, "wasmbox_http_connections_evicted_total")
        check("serve: /metrics during the flood: %d connections open (cap "
              "%d), %d evicted" % (op, cap, ev),
              st == 200 and 0 < op <= cap + 8 and ev >= FLOOD)
    except OSError as e:
        check("serve: requests during the flood", False, repr(e))
    finally:
        ch.stop()
    header_deadline(port, header_s, "serve")


def mcp_post(port, msg, sid=None):
    h = {"Content-Type": "application/json",
         "Accept": "application/json, text/event-stream"}
    if sid:
        h["Mcp-Session-Id"] = sid
    st, hdr, body = request(port, "POST", "/mcp", json.dumps(msg).encode(), h)
    return st, hdr.get("Mcp-Session-Id"), body


def mcp_init(port):
    st, sid, body = mcp_post(port, {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "flood", "version": "1"}}})
    if st == 200 and sid:
        mcp_post(port, {"jsonrpc": "2.0",
                        "method": "notifications/initialized"}, sid)
    return st, sid


def flood_mcp(port, pid, cap, header_s):
    st, sid = mcp_init(port)
    check("mcp: a session before the flood", st == 200 and sid, str(st))
    base = threads_of(pid)
    bound = base + cap + cap // 8 + 8   # a thread each; the cap's slack
    socks = fill(port)
    n = settled(socks, cap + 8)
    threads = threads_of(pid)
    check("mcp: %d idle connections, at most the cap (%d) kept: %d"
          % (len(socks), cap, n), 0 < n <= cap + 8)
    check("mcp: connection threads stay bounded (%d threads, %d before)"
          % (threads, base), threads <= bound)
    ch = Churn(port, socks)
    try:
        ch.wait_made(cap)
        st, _, body = mcp_post(port, {"jsonrpc": "2.0", "id": 2,
                                      "method": "tools/list"}, sid)
        ok = st == 200 and b"run_lua" in body
        check("mcp: the established session is served during the flood",
              ok, "%s %r" % (st, body[:200]))
        st, sid2 = mcp_init(port)
        check("mcp: a new client can initialize during the flood",
              st == 200 and sid2, str(st))
        pushed_out(socks, ch, cap, "mcp")
        threads = threads_of(pid)
        check("mcp: and its threads stay bounded (%d threads after %d "
              "connections)" % (threads, FLOOD + ch.count()),
              threads <= bound)
    except OSError as e:
        check("mcp: requests during the flood", False, repr(e))
    finally:
        ch.stop()
    header_deadline(port, header_s, "mcp")


def per_client(port, cap):
    socks = []
    for _ in range(100):
        try:
            socks.append(connect(port, "127.0.0.2"))
        except OSError:
            pass
    n = settled(socks, cap)
    check("serve --max-connections-per-client %d: %d of 100 connections "
          "from one address kept" % (cap, n), 0 < n <= cap)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5,
                                   source_address=("127.0.0.3", 0))
    try:
        c.request("GET", "/healthz")
        st = c.getresponse().status
    except OSError as e:
        st = repr(e)
    check("serve: another address is served meanwhile", st == 200, str(st))
    for s in socks:
        s.close()


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "serve":
        flood_serve(port, int(sys.argv[3]), sys.argv[4], int(sys.argv[5]),
                    float(sys.argv[6]))
    elif mode == "mcp":
        flood_mcp(port, int(sys.argv[3]), int(sys.argv[4]),
                  float(sys.argv[5]))
    else:
        per_client(port, int(sys.argv[3]))
    sys.exit(1 if failed else 0)


main()
