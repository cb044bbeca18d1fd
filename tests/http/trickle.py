#!/usr/bin/env python3
"""trickle.py: clients that send their request one byte at a time.

usage: trickle.py PORT KEY GIVE_UP_SECONDS

Opens four connections to 127.0.0.1:PORT at once: three trickle their
headers, one sends its headers and trickles its body, each one byte every
0.5 s (often enough to keep an idle timeout from ever firing). Prints one
line per connection: "closed after N.N s" when the server closed it, or
"still open after N s" when it did not within GIVE_UP_SECONDS. Exits 0
when the server closed all of them.
"""
import socket
import sys
import threading
import time

port, key, give_up = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
HEAD = ("POST /v1/run HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer %s\r\nContent-Type: application/json\r\n" % key)


def closed_by_server(s):
    """Did the server close s (EOF or reset)? Waits up to 0.5 s."""
    s.settimeout(0.5)
    try:
        return s.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def client(body, out, i):
    s = socket.create_connection(("127.0.0.1", port))
    t0 = time.monotonic()
    if body:
        s.sendall((HEAD + "Content-Length: 100000\r\n\r\n").encode())
        data = b"{" + b" " * 99999
    else:
        data = (HEAD + "X-Padding: " + "a" * 400 + "\r\n\r\n").encode()
    closed = False
    try:
        for b in data:
            if time.monotonic() - t0 > give_up:
                break
            s.send(bytes([b]))
            if closed_by_server(s):
                closed = True
                break
    except OSError:
        closed = True
    out[i] = time.monotonic() - t0 if closed else None
    s.close()


out = [None] * 4
threads = [threading.Thread(target=client, args=(i == 3, out, i))
           for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for t in out:
    print("closed after %.1f s" % t if t is not None
          else "still open after %g s" % give_up)
sys.exit(0 if all(t is not None for t in out) else 1)
