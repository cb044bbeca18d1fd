#!/usr/bin/env python3
# tests/attack/fence_attack.py WASMBOX DIR PHASE...: run by
# fence_attack.sh (round 5 of tests/attack/README.md); ad hoc, prints
# what it saw, checks little itself. PHASEs:
#   forge      hand-made names in ckpt/ (high generation as a seal, a
#              directory, garbage; non-numeric, negative, 19 digits,
#              leading zero), then steps on other replicas
#   relink     every lease.N removed by hand (as an operator unsticking a
#              session would), then steps
#   farlease   a well-formed lease record whose expiry is far ahead (a
#              replica of another machine whose clock ran ahead, then
#              crashed), and one of a live PID of this machine
#   bgwriter   SIGSTOP of the holder's server only, while a background
#              shell child of its guest appends to /work/log every 100 ms;
#              another replica takes the session over
#   bgall      the same with the server and its workers stopped, resumed
#              after the takeover
#   forkstop   a fork of a session with a big workspace, server and
#              workers stopped during the copy, another replica steps
#   uploadstop a PUT whose body trickles in, server stopped meanwhile
#   delstep    DELETE on one replica racing steps on the other two
#   modeswitch a session stepped by shared replicas, then by one server
#              without --shared-state on the same directory, then by the
#              shared replicas again
#   seals      many lapsed takeovers (SIGKILL of the holder mid-step):
#              the seals left in ckpt/
import http.client, json, os, random, signal, socket, subprocess, sys, threading, time
W, T = sys.argv[1], sys.argv[2]
PHASES = sys.argv[3:]
PORTS = [18191, 18192, 18193]
KA = "Bearer " + open(os.path.join(T, "key-a")).read().strip()
STATE = os.path.join(T, "state")
TTL = os.environ.get("TTL", "2s")
procs = [None] * 3
def start(i, extra=()):
    log = open(os.path.join(T, "r%d.log" % i), "ab")
    procs[i] = subprocess.Popen([W, "serve", "--listen", "127.0.0.1:%d" % PORTS[i], "--state-dir", STATE,
        "--policy", os.path.join(T, "policy.yaml"), "--api-keys", os.path.join(T, "keys"),
        "--shared-state", "--lease-wait", "1s", "--lease-ttl", TTL, *extra], stderr=log, stdout=subprocess.DEVNULL)
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORTS[i], timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200: return True
        except OSError: time.sleep(0.05)
    return False
def req(i, method, path, body=None, key=KA, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", PORTS[i], timeout=timeout)
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    c.request(method, path, body=data, headers={"Authorization": key})
    r = c.getresponse(); raw = r.read(); c.close()
    try: out = json.loads(raw)
    except ValueError: out = raw
    return r.status, dict(r.getheaders()), out
def py(code): return {"language": "python", "code": code}
def sh(code): return {"language": "shell", "code": code}
def tryreq(*a, **k):
    try: return req(*a, **k)
    except Exception as e: return (0, {}, repr(e))
def short(r):
    st, _, j = r
    if isinstance(j, dict):
        return st, (j.get("stdout", "") or "").strip()[:120] or str(j.get("error", j.get("stderr", j)))[:220]
    return st, str(j)[:220]
def P(*a): print(*a); sys.stdout.flush()
def mk(i=0):
    st, _, j = req(i, "POST", "/v1/sessions", {}); return j["id"]
def sdir(sid): return os.path.join(STATE, "sessions", sid)
def ls(sid, sub=""):
    try: return sorted(os.listdir(os.path.join(sdir(sid), sub)))
    except OSError as e: return repr(e)
def leases(sid): return [f for f in ls(sid) if f.startswith("lease")]
def family(pid):
    out = [pid]; todo = [pid]
    while todo:
        p = todo.pop()
        kids = [int(x) for x in subprocess.run(["pgrep", "-P", str(p)], capture_output=True, text=True).stdout.split()]
        out += kids; todo += kids
    return out
def stop(pids):
    for q in pids: os.kill(q, signal.SIGSTOP)
def cont(pids):
    for q in pids:
        try: os.kill(q, signal.SIGCONT)
        except ProcessLookupError: pass
def alive(): return [procs[i].poll() for i in range(3)]
ttl_s = float(TTL.rstrip("s"))
for i in range(3): assert start(i), i

if "forge" in PHASES:
    variants = [("empty high gen (a seal)", "python.1000.snap", "empty"),
                ("directory high gen", "python.1000.snap", "dir"),
                ("garbage high gen", "python.1000.snap", "garbage"),
                ("fifo high gen", "python.1000.snap", "fifo"),
                ("symlink high gen -> /etc/passwd", "python.1000.snap", "symlink"),
                ("18-digit seal", "python.999999999999999999.snap", "empty"),
                ("19 digits", "python.9999999999999999999.snap", "garbage"),
                ("non-numeric", "python.abc.snap", "garbage"),
                ("negative", "python.-5.snap", "garbage"),
                ("leading zero", "python.0100.snap", "garbage"),
                ("high base only", "python.1000.base.snap", "garbage")]
    for what, name, kind in variants:
        sid = mk(0); E = "/v1/sessions/%s/exec" % sid
        a = short(tryreq(0, "POST", E, py("x = 1\nprint(x)")))
        p = os.path.join(sdir(sid), "ckpt", name)
        if kind == "empty": open(p, "w").close()
        elif kind == "dir": os.mkdir(p)
        elif kind == "garbage": open(p, "wb").write(os.urandom(4096))
        elif kind == "fifo": os.mkfifo(p)
        elif kind == "symlink": os.symlink("/etc/passwd", p)
        t0 = time.time()
        b = short(tryreq(1, "POST", E, py("x += 1\nprint(x)")))
        c = short(tryreq(2, "POST", E, py("x += 1\nprint(x)")))
        d = short(tryreq(1, "POST", E, py("x += 1\nprint(x)")))
        P("forge [%s]: r0 %s r1 %s r2 %s r1 %s (%.1fs)" % (what, a, b, c, d, time.time() - t0))
        P("   ckpt/", ls(sid, "ckpt"), "alive", alive())

if "relink" in PHASES:
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    for k in range(4):
        P("step", k, short(tryreq(k % 3, "POST", E, py("x = %d\nprint(x)" % k))))
    P("  before:", leases(sid), ls(sid, "ckpt"))
    for f in leases(sid): os.unlink(os.path.join(sdir(sid), f))
    for k in range(3):
        P("  after removing the lease files, step on r%d:" % (k % 3), short(tryreq(k % 3, "POST", E, py("x += 10\nprint(x)"))))
    P("  then:", leases(sid), ls(sid, "ckpt"))
    P("  shell step:", short(tryreq(1, "POST", E, sh("echo hi > /work/h; cat /work/h"))), leases(sid))
    for k in range(2):
        P("  python step:", short(tryreq(k % 3, "POST", E, py("x += 10\nprint(x)"))), leases(sid), ls(sid, "ckpt"))

if "farlease" in PHASES:
    boot = open("/proc/sys/kernel/random/boot_id").read().strip()
    pidns = os.readlink("/proc/self/ns/pid")
    def start1():
        s = open("/proc/1/stat").read(); return s[s.rindex(")") + 2:].split()[19]
    for what, host, b, pid, stt, exp in [
            ("another machine, expiry in 2100", "replica-x", "0" * 32, 4242, 1, 4102444800000),
            ("another machine, expiry INT64_MAX", "replica-x", "0" * 32, 4242, 1, 9223372036854775807),
            ("this machine, live pid 1, expiry in 2100", socket.gethostname(), boot, 1, start1(), 4102444800000)]:
        sid = mk(0); E = "/v1/sessions/%s/exec" % sid
        tryreq(0, "POST", E, py("x = 1"))
        n = max(int(f.split(".")[1]) for f in leases(sid))
        rec = "wasmbox-lease 1\nowner 0123456789abcdef\nhost %s\nboot %s\npidns %s\npid %d\nstart %s\nexpires %d\n" % (host, b, pidns, pid, stt, exp)
        p = os.path.join(sdir(sid), "lease.%d" % (n + 1))
        open(p, "w").write(rec)
        os.utime(p, (time.time() - 3600, time.time() - 3600))   # an hour old
        res = [short(tryreq(i, "POST", E, py("print(x)"))) for i in range(3)]
        time.sleep(3 * ttl_s)
        res2 = short(tryreq(1, "POST", E, py("print(x)")))
        P("farlease [%s]: %s; after 3 TTLs: %s" % (what, res, res2))

def bg(stopall):
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    tryreq(0, "POST", E, py("x = 0"))
    logp = os.path.join(sdir(sid), "work", "log")
    code = ("import subprocess, time\n"
            "p = subprocess.Popen(['sh', '-c', 'i=0; while :; do echo A$i >> /work/log || echo FAIL$i >> /work/errs; i=$((i+1)); sleep 0.1; done'])\n"
            "t0 = time.time()\n"
            "n = 0\n"
            "while time.time() - t0 < 8:\n"
            "    try:\n"
            "        open('/work/plog', 'a').write('P%d\\n' % n)\n"
            "    except OSError as e:\n"
            "        print('parent write refused', n, e)\n"
            "        break\n"
            "    n += 1\n"
            "    time.sleep(0.1)\n"
            "x = 'A'\n"
            "print('A done', n)\n")
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("a", tryreq(0, "POST", E, py(code))))
    t.start(); time.sleep(1.5)
    pids = family(procs[0].pid) if stopall else [procs[0].pid]
    stop(pids); ts = time.time()
    P("stopped", len(pids), "processes at", 0.0)
    growth = []; last = -1
    # watch the log until the other replica has taken the session over
    b = None
    def take():
        res["b"] = tryreq(1, "POST", E, py("open('/work/log','a').write('B\\n')\nx = 'B'\nprint('B took over')"))
    tb = None
    while time.time() - ts < 3 * ttl_s + 3:
        sz = os.path.getsize(logp) if os.path.exists(logp) else 0
        if sz != last: growth.append((round(time.time() - ts, 2), sz)); last = sz
        if tb is None and time.time() - ts > ttl_s + 0.2:
            tb = threading.Thread(target=take); tb.start(); tb_t = time.time() - ts
        time.sleep(0.05)
    tb.join()
    P("B answered", short(res["b"]), "(sent at %.2fs)" % tb_t)
    size_b = os.path.getsize(logp)
    P("log growth (s since stop, size):", growth[-6:])
    cont(pids)
    t.join()
    P("A answered", short(res["a"]))
    time.sleep(1.5)
    size_end = os.path.getsize(logp)
    tail = open(logp).read().split()
    P("log size when B answered", size_b, "at end", size_end, "last lines", tail[-4:])
    errs = os.path.join(sdir(sid), "work", "errs")
    P("child's refused writes:", open(errs).read().split()[:3] if os.path.exists(errs) else None)
    P("then:", short(tryreq(2, "POST", E, py("print(x)"))))
    P("alive", alive())

if "bgwriter" in PHASES: bg(False)
if "bgall" in PHASES: bg(True)

if "forkstop" in PHASES:
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    P("fill", short(tryreq(0, "POST", E, py("import os\nfor i in range(20000):\n    open('/work/f%05d' % i, 'w').write('x' * 1000)\nx = 1\nprint(len(os.listdir('/work')))"), timeout=120)))
    before = set(os.listdir(os.path.join(STATE, "sessions")))
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("f", tryreq(0, "POST", "/v1/sessions/%s/fork" % sid, {})))
    t.start()
    # stop when the fork's directory appears (the copy started)
    t0 = time.time(); new = set()
    while time.time() - t0 < 10:
        new = set(os.listdir(os.path.join(STATE, "sessions"))) - before
        if new: break
        time.sleep(0.005)
    pids = family(procs[0].pid); stop(pids)
    nfiles = len(os.listdir(os.path.join(STATE, "sessions", list(new)[0], "work"))) if new else None
    P("stopped after %.2fs, fork dir %s, files copied so far %s" % (time.time() - t0, new, nfiles))
    time.sleep(ttl_s + 0.5)
    P("B step:", short(tryreq(1, "POST", E, py("open('/work/f00000','w').write('B')\nx = 2\nprint(x)"))))
    cont(pids); t.join()
    P("fork answered", short(res["f"]))
    after = set(os.listdir(os.path.join(STATE, "sessions"))) - before
    P("new session dirs left:", after)
    for f in after:
        P("  ", f, "GET", short(tryreq(2, "GET", "/v1/sessions/" + f)), "files", len(ls(f, "work")) if isinstance(ls(f, "work"), list) else ls(f, "work"))
    P("alive", alive())

if "uploadstop" in PHASES:
    sid = mk(0); base = "/v1/sessions/" + sid
    tryreq(0, "POST", base + "/exec", py("x = 1"))
    body = b"A" * 2000000
    s = socket.create_connection(("127.0.0.1", PORTS[0]))
    s.sendall(("PUT %s/files/up HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n" % (base, KA, len(body))).encode())
    s.sendall(body[:1000000]); time.sleep(0.5)
    stop([procs[0].pid]); time.sleep(ttl_s + 0.5)
    P("B upload", short(tryreq(1, "PUT", base + "/files/up", b"B" * 10)))
    cont([procs[0].pid])
    s.sendall(body[1000000:])
    s.settimeout(30)
    ans = b""
    try:
        while b"\r\n\r\n" not in ans: ans += s.recv(4096)
        ans += s.recv(4096)
    except OSError as e: ans += repr(e).encode()
    P("A upload answered:", ans.split(b"\r\n")[0], ans[-200:])
    P("file now:", open(os.path.join(sdir(sid), "work", "up"), "rb").read()[:12], os.path.getsize(os.path.join(sdir(sid), "work", "up")))
    # and one with the server stopped before any byte of the body
    s = socket.create_connection(("127.0.0.1", PORTS[0]))
    s.sendall(("PUT %s/files/up2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\nContent-Length: 5\r\n\r\n" % (base, KA)).encode())
    time.sleep(0.3)
    for k in range(int(3 * ttl_s)):
        P("  while A waits for the body, step on r1:", short(tryreq(1, "POST", base + "/exec", py("print(x)"))))
        time.sleep(1)
    s.sendall(b"AAAAA"); s.settimeout(30)
    P("  A's slow upload:", s.recv(4096).split(b"\r\n")[0])

if "delstep" in PHASES:
    bad = []; stats = {}
    for k in range(25):
        sid = mk(k % 3); base = "/v1/sessions/" + sid
        tryreq(0, "POST", base + "/exec", py("n = 0"))
        out = {}
        def st_(i):
            out[i] = [tryreq(i, "POST", base + "/exec", py("import time\nn += 1\nopen('/work/s%d' % n,'w').write('x')\nprint(n)"))[0] for _ in range(3)]
        def de():
            time.sleep(random.random() * 0.3); out["d"] = tryreq(0, "DELETE", base)[0]
        ts = [threading.Thread(target=st_, args=(i,)) for i in (1, 2)] + [threading.Thread(target=de)]
        for t in ts: t.start()
        for t in ts: t.join()
        for key in out:
            for v in (out[key] if isinstance(out[key], list) else [out[key]]):
                stats[v] = stats.get(v, 0) + 1
        if out["d"] == 200:
            for i in range(3):
                g = tryreq(i, "GET", base)[0]
                if g != 404: bad.append((sid, "alive after delete", i, g))
            if os.path.exists(sdir(sid)): bad.append((sid, "dir left", ls(sid)))
    P("delstep statuses", stats, "bad", bad[:5])
    P("sessions dir:", len(os.listdir(os.path.join(STATE, "sessions"))), "alive", alive())

if "modeswitch" in PHASES:
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    for k in range(3): tryreq(k % 3, "POST", E, py("x = %d" % (k + 1)))
    P("shared: x =", short(tryreq(1, "POST", E, py("print(x)"))), ls(sid, "ckpt"))
    for p in procs: p.send_signal(signal.SIGTERM); p.wait(timeout=30)
    log = open(os.path.join(T, "single.log"), "ab")
    single = subprocess.Popen([W, "serve", "--listen", "127.0.0.1:%d" % PORTS[0], "--state-dir", STATE,
        "--policy", os.path.join(T, "policy.yaml"), "--api-keys", os.path.join(T, "keys")], stderr=log, stdout=subprocess.DEVNULL)
    time.sleep(1.5)
    r = tryreq(0, "POST", E, py("print(x)"))
    P("single server: x =", short(r), "note:", r[2].get("note") if isinstance(r[2], dict) else None)
    P("single server: x = 100 ->", short(tryreq(0, "POST", E, py("x = 100\nprint(x)"))), ls(sid, "ckpt"))
    single.send_signal(signal.SIGTERM); single.wait(timeout=30)
    for i in range(3): assert start(i), i
    r = tryreq(2, "POST", E, py("print(x)"))
    P("shared again: x =", short(r), "note:", r[2].get("note") if isinstance(r[2], dict) else None, ls(sid, "ckpt"))
    os.system("tail -n 3 %s/single.log | cut -c1-300" % T)

if "seals" in PHASES:
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    tryreq(0, "POST", E, py("n = 0"))
    for k in range(int(os.environ.get("KILLS", "10"))):
        th = threading.Thread(target=lambda: tryreq(0, "POST", E, py("import time\nn += 1\ntime.sleep(3)")))
        th.start(); time.sleep(1.0)
        procs[0].kill(); procs[0].wait(); th.join()
        start(0)
        tryreq(1, "POST", E, py("n += 100"))
    P("seals: ckpt/", ls(sid, "ckpt"))
    P("n", short(tryreq(2, "POST", E, py("print(n)"))))

for p in procs:
    if p and p.poll() is None:
        os.kill(p.pid, signal.SIGCONT); p.send_signal(signal.SIGTERM)
        try: p.wait(timeout=30)
        except subprocess.TimeoutExpired: p.kill()
for i in range(3):
    P("== r%d.log" % i); os.system("tail -n 6 %s/r%d.log | cut -c1-300" % (T, i))
