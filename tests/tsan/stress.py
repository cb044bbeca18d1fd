#!/usr/bin/env python3
"""stress.py: a short concurrent load on `wasmbox serve` and
`wasmbox mcp --http`, on loopback, for the ThreadSanitizer build
(tests/tsan/run.sh). Several clients at once run one-shot steps in each
language, session steps with a fuel limit (state must survive), steps
that time out, file PUT/GET, a session deleted under its other clients,
several MCP clients over HTTP; then each server gets SIGTERM with
requests in flight.

    stress.py WASMBOX GUESTS WORKDIR [--rounds N]

Prints "ok"/"FAIL" per check and ends with "N passed, N failed"; exit
status 1 if anything failed. Languages whose guest image is missing are
left out (and said so). The checks are about answers (status, output,
state): the sanitizer's reports are collected by run.sh."""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

lock = threading.Lock()
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    with lock:
        if ok:
            passed += 1
            print("ok   " + name, flush=True)
        else:
            failed += 1
            print("FAIL %s %s" % (name, detail[:400]), flush=True)


def start(cmd, log, pattern, timeout=120):
    """Start a server; return (process, port) once its log names the port."""
    out = open(log, "w")
    p = subprocess.Popen(cmd, stdout=out, stderr=out)
    end = time.time() + timeout
    while time.time() < end:
        m = re.search(pattern, open(log).read())
        if m:
            return p, int(m.group(1))
        if p.poll() is not None:
            break
        time.sleep(0.05)
    p.kill()
    p.wait()
    sys.exit("server did not start: %s\n%s" % (" ".join(cmd), open(log).read()))


class Client:
    """One keep-alive HTTP/1.1 connection (reopened after an error)."""

    def __init__(self, port, headers=None):
        self.port, self.headers, self.c = port, headers or {}, None

    def req(self, method, path, body=None, headers=None, timeout=300):
        h = dict(self.headers)
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port,
                                                    timeout=timeout)
            self.c.request(method, path, body=body, headers=h)
            r = self.c.getresponse()
            data = r.read()
            return r.status, data, r
        except (OSError, http.client.HTTPException) as e:
            if self.c:
                self.c.close()
            self.c = None
            return 0, str(e).encode(), None


def jloads(data):
    try:
        return json.loads(data)
    except ValueError:
        return {}


# ---- HTTP API scenarios ----------------------------------------------------
ONE_SHOT = {
    "python": ("print(6 * 7)", "42\n"),
    "javascript": ("console.log(6 * 7)", "42\n"),
    "lua": ("print(6 * 7)", "42\n"),
    "sql": ("select 6 * 7 as a;", "a\n42\n"),
}
COUNTER = {   # (initialise, increment and show)
    "python": ("n = 0", "n += 1\nprint(n)"),
    "javascript": ("var n = 0;", "n += 1; console.log(n);"),
}
SPIN = {"python": "while True: pass", "javascript": "for (;;) {}"}


def one_shots(port, langs, rounds):
    c = Client(port, AUTH)
    for i in range(rounds):
        for lang in langs:
            code, want = ONE_SHOT[lang]
            st, data, _ = c.req("POST", "/v1/run", {"language": lang, "code": code})
            j = jloads(data)
            check("one-shot %s (%d)" % (lang, i),
                  st == 200 and j.get("stdout") == want, "%d %s" % (st, data))


def session_steps(port, lang, rounds):
    """State survives fuel-limited steps; files go in and out."""
    c = Client(port, AUTH)
    st, data, _ = c.req("POST", "/v1/sessions", {})
    sid = jloads(data).get("id")
    check("%s session created" % lang, st == 201 and sid, "%d %s" % (st, data))
    if not sid:
        return
    base = "/v1/sessions/" + sid
    init, inc = COUNTER[lang]
    st, data, _ = c.req("POST", base + "/exec", {"language": lang, "code": init})
    check("%s session init" % lang, st == 200, "%d %s" % (st, data))
    for i in range(1, rounds + 1):
        st, data, _ = c.req("POST", base + "/exec", {
            "language": lang, "code": inc, "limits": {"fuel": 10 ** 11}})
        j = jloads(data)
        check("%s session step %d keeps state under a fuel limit" % (lang, i),
              st == 200 and j.get("stdout") == "%d\n" % i and
              j.get("state", {}).get("kept") is True,
              "%d %s" % (st, data))
        name = "f%d.txt" % i
        st, data, _ = c.req("PUT", base + "/files/" + name, "x" * (i * 1000))
        st2, data2, _ = c.req("GET", base + "/files/" + name)
        check("%s session file %d put/get" % (lang, i),
              st == 200 and st2 == 200 and data2 == b"x" * (i * 1000),
              "%d %d" % (st, st2))
    st, data, _ = c.req("DELETE", base)
    check("%s session deleted" % lang, st == 200, "%d %s" % (st, data))


def timeouts(port, langs):
    c = Client(port, AUTH)
    for lang in langs:
        st, data, _ = c.req("POST", "/v1/run", {
            "language": lang, "code": SPIN[lang], "limits": {"timeout": 0.3}})
        check("one-shot %s timeout" % lang,
              st == 200 and jloads(data).get("outcome") == "timeout",
              "%d %s" % (st, data))
        st, data, _ = c.req("POST", "/v1/sessions", {})
        sid = jloads(data).get("id")
        if not sid:
            check("%s timeout session" % lang, False, "%d %s" % (st, data))
            continue
        base = "/v1/sessions/" + sid
        st, data, _ = c.req("POST", base + "/exec", {
            "language": lang, "code": SPIN[lang], "limits": {"timeout": 0.3}})
        j = jloads(data)
        check("%s session step timeout loses the state" % lang,
              st == 200 and j.get("outcome") == "timeout" and
              j.get("state", {}).get("lost_after") is True,
              "%d %s" % (st, data))
        init, _ = COUNTER[lang]
        st, data, _ = c.req("POST", base + "/exec", {"language": lang, "code": init})
        check("%s session runs again after a timeout" % lang,
              st == 200 and jloads(data).get("outcome") == "exited",
              "%d %s" % (st, data))
        c.req("DELETE", base)


def delete_under_clients(port, lang):
    """Clients keep using a session while another deletes it: every answer
    is 200 (before) or 404 (after), nothing else."""
    c = Client(port, AUTH)
    st, data, _ = c.req("POST", "/v1/sessions", {})
    sid = jloads(data).get("id")
    if not sid:
        check("shared session created", False, "%d %s" % (st, data))
        return
    base = "/v1/sessions/" + sid
    bad = []
    stop = threading.Event()

    def user(k):
        u = Client(port, AUTH)
        i = 0
        while not stop.is_set():
            i += 1
            for m, p, b in (
                    ("POST", base + "/exec",
                     {"language": lang, "code": ONE_SHOT[lang][0]}),
                    ("PUT", base + "/files/u%d.txt" % k, "data %d" % i),
                    ("GET", base + "/files/u%d.txt" % k, None),
                    ("GET", base + "/files", None),
                    ("GET", base, None)):
                st, data, _ = u.req(m, p, b)
                if st == 404:
                    return
                if st != 200:
                    bad.append("%s %s -> %d %s" % (m, p, st, data[:200]))

    users = [threading.Thread(target=user, args=(k,)) for k in range(3)]
    for t in users:
        t.start()
    time.sleep(1.0)
    st, data, _ = c.req("DELETE", base)
    check("delete a session in use -> 200", st == 200, "%d %s" % (st, data))
    stop.set()
    for t in users:
        t.join()
    check("its other clients got 200 or 404", not bad, "; ".join(bad[:3]))
    st, _, _ = c.req("GET", base)
    check("the deleted session is gone", st == 404, str(st))


# ---- MCP over HTTP ---------------------------------------------------------
def mcp_open(port):
    """A client and its initialize: (client, status, body, session id)."""
    c = Client(port, {"Accept": "application/json, text/event-stream"})
    st, data, r = c.req("POST", "/mcp", {
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-03-26", "capabilities": {},
            "clientInfo": {"name": "stress", "version": "1"}}})
    return c, st, data, r.getheader("Mcp-Session-Id") if r else None


def mcp_client(port, k, langs, rounds):
    c, st, data, sid = mcp_open(port)
    check("mcp client %d initialize" % k, st == 200 and sid, "%d %s" % (st, data))
    if not sid:
        return
    h = {"Mcp-Session-Id": sid}
    st, data, _ = c.req("POST", "/mcp", {
        "jsonrpc": "2.0", "method": "notifications/initialized"}, h)
    check("mcp client %d initialized" % k, st == 202, "%d %s" % (st, data))
    rid = 1

    def call(tool, args):
        nonlocal rid
        rid += 1
        st, data, _ = c.req("POST", "/mcp", {
            "jsonrpc": "2.0", "id": rid, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}, h)
        return st, jloads(data).get("result", {}), data

    if "python" in langs:
        call("run_python", {"code": "x = %d" % k})
    for i in range(rounds):
        st, res, data = call("write_file", {"path": "m%d.txt" % i,
                                            "content": "mcp %d %d" % (k, i)})
        st2, res2, data2 = call("read_file", {"path": "m%d.txt" % i})
        check("mcp client %d file %d" % (k, i),
              st == 200 and st2 == 200 and
              "mcp %d %d" % (k, i) in json.dumps(res2), str(data2[:300]))
        if "python" in langs:
            st, res, data = call("run_python", {"code": "x += 1\nprint(x)"})
            check("mcp client %d python %d keeps state" % (k, i),
                  st == 200 and res.get("structuredContent", {}).get("stdout")
                  == "%d\n" % (k + i + 1), str(data[:300]))
        if "javascript" in langs:
            st, res, data = call("run_javascript", {"code": "console.log(%d)" % i})
            check("mcp client %d javascript %d" % (k, i),
                  st == 200 and res.get("structuredContent", {}).get("stdout")
                  == "%d\n" % i, str(data[:300]))
    st, data, _ = c.req("DELETE", "/mcp", None, h)
    check("mcp client %d delete" % k, st == 200, "%d %s" % (st, data))


# ---- SIGTERM with requests in flight --------------------------------------
SLEEP = {"python": 'import time; time.sleep(1); print("done")',
         "javascript": 'os.sleep(1000); console.log("done")',
         "lua": 'local t = os.clock() while os.clock() - t < 1 do end print("done")'}


def sigterm_serve(proc, port, lang):
    got = []

    def slow():
        st, data, _ = Client(port, AUTH).req("POST", "/v1/run", {
            "language": lang, "code": SLEEP[lang]})
        got.append((st, jloads(data).get("stdout")))

    ts = [threading.Thread(target=slow) for _ in range(3)]
    for t in ts:
        t.start()
    wait_in_flight(port, 3)
    proc.send_signal(signal.SIGTERM)
    for t in ts:
        t.join()
    check("serve: SIGTERM lets the requests in flight finish",
          len(got) == 3 and all(g == (200, "done\n") for g in got), str(got))
    try:
        rc = proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = "hung"
    check("serve: exits 0 after SIGTERM", rc == 0, str(rc))


def wait_in_flight(port, n, timeout=60):
    """Until /metrics shows n requests in flight besides itself."""
    c = Client(port, AUTH)
    end = time.time() + timeout
    while time.time() < end:
        st, data, _ = c.req("GET", "/metrics")
        m = re.search(rb"^wasmbox_http_requests_in_flight (\d+)", data, re.M)
        if m and int(m.group(1)) >= n + 1:
            time.sleep(0.2)
            return
        time.sleep(0.05)


def sigterm_mcp(proc, port, lang):
    """SIGTERM with MCP requests in flight: the server exits 0; requests
    that were answered are complete answers."""
    got = []

    def slow(k):
        c, st, data, sid = mcp_open(port)
        if not sid:
            got.append(("no session", st))
            return
        tool = "run_" + lang
        st, data, _ = c.req("POST", "/mcp", {
            "jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": tool, "arguments": {"code": SLEEP[lang]}}},
            {"Mcp-Session-Id": sid})
        got.append((st, data))

    ts = [threading.Thread(target=slow, args=(k,)) for k in range(3)]
    for t in ts:
        t.start()
    time.sleep(1.5)        # initialized and running (no /metrics to ask)
    proc.send_signal(signal.SIGTERM)
    for t in ts:
        t.join()
    try:
        rc = proc.wait(120)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = "hung"
    check("mcp --http: exits 0 after SIGTERM with requests in flight",
          rc == 0, str(rc))
    broken = [g for g in got if g[0] == 200 and b'"result"' not in g[1]]
    check("mcp --http: every answer sent was complete", not broken,
          str(broken[:2]))
    answered = sum(1 for g in got if g[0] == 200)
    print("     (%d of 3 MCP requests in flight were answered)" % answered)


AUTH = {}


def main():
    global AUTH
    ap = argparse.ArgumentParser()
    ap.add_argument("wasmbox")
    ap.add_argument("guests")
    ap.add_argument("workdir")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    images = {"python": "python/python.wasm", "javascript": "js/qjs.wasm",
              "lua": "lua/lua.wasm", "sql": "sqlite/sqlite3.wasm"}
    langs = [l for l, img in images.items()
             if os.path.exists(os.path.join(a.guests, img))]
    for l in images:
        if l not in langs:
            print("     (no %s guest image: left out)" % l)
    kernels = [l for l in langs if l in COUNTER]
    if not kernels:
        check("a python or javascript guest image", False, a.guests)
        return
    w = a.workdir
    policy = os.path.join(w, "policy.yaml")
    with open(policy, "w") as f:
        f.write("budget:\n  memory: 256M\n  timeout: 60s\n  output: 1M\n"
                "  disk: 64M\nsession:\n  idle_expiry: 1h\n"
                "  languages: [%s]\n" % ", ".join(langs))
    key = "stress-" + os.urandom(16).hex()
    keys = os.path.join(w, "keys")
    with open(keys, "w") as f:
        f.write("stress:%s\n" % key)
    os.chmod(keys, 0o600)
    AUTH = {"Authorization": "Bearer " + key}
    env_guests = ["--guests", a.guests]
    serve, sport = start(
        [a.wasmbox, "serve", "--listen", "127.0.0.1:0", "--policy", policy,
         "--api-keys", keys, "--workers", "4", "--max-concurrent-per-key", "64",
         "--state-dir", os.path.join(w, "serve-state")] + env_guests,
        os.path.join(w, "serve.log"), r"listening on http://127\.0\.0\.1:(\d+)")
    mcp, mport = start(
        [a.wasmbox, "mcp", "--http", "127.0.0.1:0", "--policy", policy,
         "--state-dir", os.path.join(w, "mcp-state")] + env_guests,
        os.path.join(w, "mcp.log"), r"listening on http://127\.0\.0\.1:(\d+)")

    jobs = [(one_shots, (sport, langs, a.rounds)),
            (timeouts, (sport, kernels)),
            (delete_under_clients, (sport, kernels[0]))]
    jobs += [(session_steps, (sport, l, a.rounds)) for l in kernels]
    jobs += [(mcp_client, (mport, k, kernels, a.rounds)) for k in range(3)]
    ts = [threading.Thread(target=f, args=args) for f, args in jobs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()

    sigterm_serve(serve, sport, kernels[0])
    sigterm_mcp(mcp, mport, kernels[0])


if __name__ == "__main__":
    main()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
