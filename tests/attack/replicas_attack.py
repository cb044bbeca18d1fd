#!/usr/bin/env python3
# tests/attack/replicas_attack.py WASMBOX DIR PHASE...: run by
# replicas_attack.sh (round 4 of tests/attack/README.md); ad hoc, prints
# what it saw, checks little itself.
import http.client, json, os, random, signal, subprocess, sys, threading, time
W, T = sys.argv[1], sys.argv[2]
PHASES = sys.argv[3:]
PORTS = [18091, 18092, 18093]
KA = "Bearer " + open(os.path.join(T, "key-a")).read().strip()
KB = "Bearer " + open(os.path.join(T, "key-b")).read().strip()
STATE = os.path.join(T, "state")
procs = [None] * 3
def start(i, extra=()):
    log = open(os.path.join(T, "r%d.log" % i), "ab")
    procs[i] = subprocess.Popen([W, "serve", "--listen", "127.0.0.1:%d" % PORTS[i], "--state-dir", STATE,
        "--policy", os.path.join(T, "policy.yaml"), "--api-keys", os.path.join(T, "keys"),
        "--shared-state", "--lease-wait", "1s", *extra], stderr=log, stdout=subprocess.DEVNULL)
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
def tryreq(*a, **k):
    try: return req(*a, **k)
    except Exception as e: return (0, {}, repr(e))
def P(*a): print(*a); sys.stdout.flush()
def mk(i=0):
    st, _, j = req(i, "POST", "/v1/sessions", {}); return j["id"]
def leases(sid):
    d = os.path.join(STATE, "sessions", sid)
    return sorted(f for f in os.listdir(d) if f.startswith("lease"))
ttl = os.environ.get("TTL")
extra = (["--lease-ttl", ttl] if ttl else []) + os.environ.get("EXTRA", "").split()
for i in range(3): assert start(i, extra), i

if "hostile" in PHASES:
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    P("step", req(1, "POST", E, py("x = 52"))[0])
    d = os.path.join(STATE, "sessions", sid)
    rec = open(os.path.join(d, leases(sid)[-1])).read()
    p = os.path.join(d, "lease.999999999999999999")
    open(p, "w").write(rec.replace("expires ", "expires 1"[:0] + "expires ").replace(rec.split("expires ")[1].split()[0], "0"))
    os.utime(p, (time.time() - 100, time.time() - 100))
    P("A 18-digit released lease:", tryreq(2, "POST", E, py("print(x)"))[:3:2], leases(sid))
    os.unlink(p)
    n = max(int(f.split(".")[1]) for f in leases(sid) if f.split(".")[1].isdigit())
    os.symlink("/etc/passwd", os.path.join(d, "lease.%d" % (n + 1)))
    P("B symlink lease:", tryreq(2, "POST", E, py("print(x)"))[:3:2], leases(sid))
    time.sleep(2)
    P("B symlink lease after 2s:", tryreq(2, "POST", E, py("print(x)"))[:3:2])
    os.unlink(os.path.join(d, "lease.%d" % (n + 1)))
    os.mkdir(os.path.join(d, "lease.%d" % (n + 5)))
    os.utime(os.path.join(d, "lease.%d" % (n + 5)), (time.time() - 100, time.time() - 100))
    P("C dir lease:", tryreq(2, "POST", E, py("print(x)"))[:3:2], leases(sid))
    # serve.json swapped to a symlink / hand-made
    sid2 = mk(1)
    d2 = os.path.join(STATE, "sessions", sid2)
    os.rename(os.path.join(d2, "serve.json"), os.path.join(T, "sj"))
    os.symlink(os.path.join(T, "sj"), os.path.join(d2, "serve.json"))
    P("D serve.json symlink (fresh replica 2):", tryreq(2, "GET", "/v1/sessions/" + sid2)[:3:2])
    os.unlink(os.path.join(d2, "serve.json"))
    sj = json.load(open(os.path.join(T, "sj"))); sj["owner"] = "bob"
    json.dump(sj, open(os.path.join(d2, "serve.json"), "w"))
    P("E serve.json owner rewritten to bob, key A:", tryreq(2, "GET", "/v1/sessions/" + sid2)[:3:2])
    # session dir symlinked
    os.symlink(d, os.path.join(STATE, "sessions", "s-link"))
    P("F symlinked session dir:", tryreq(0, "GET", "/v1/sessions/s-link")[:3:2])
    # workspace symlink in the session dir planted
    os.symlink("/etc", os.path.join(d, "work", "etc"))
    P("G work/etc -> /etc, read via files:", tryreq(0, "GET", "/v1/sessions/%s/files/etc/passwd" % sid)[:3:2])
    P("G2 guest read:", tryreq(0, "POST", E, py("print(open('/work/etc/passwd').read()[:30])"))[:3:2])
    for i in range(3): P("alive", i, procs[i].poll())

if "keys" in PHASES:
    sid = mk(0); base = "/v1/sessions/" + sid
    req(0, "POST", base + "/exec", py("open('/work/f','w').write('secret')"))
    for i in range(3):
        for m, p, b in [("GET", base, None), ("POST", base + "/exec", py("print(1)")),
                        ("GET", base + "/files/f", None), ("PUT", base + "/files/g", b"x"),
                        ("POST", base + "/fork", {}), ("DELETE", base, None)]:
            st = tryreq(i, m, p, b, key=KB)
            P("key B", i, m, p[-12:], st[0], str(st[2])[:80])
    P("list B", [tryreq(i, "GET", "/v1/sessions", key=KB)[2] for i in range(3)])
    P("A still ok", tryreq(2, "GET", base + "/files/f")[:3:2])

if "longstep" in PHASES:   # run with TTL=1s
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    req(0, "POST", E, py("n = 0"))
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("a", tryreq(0, "POST", E, py("import time\nn += 1\ntime.sleep(8)\nprint(n)"))))
    t.start(); time.sleep(1.5)
    others = [tryreq(1 + k % 2, "POST", E, py("n += 100\nprint(n)"))[0] for k in range(6)]
    t.join()
    P("long step", res["a"][0], res["a"][2].get("stdout") if isinstance(res["a"][2], dict) else res["a"][2], "others", others)
    P("after", tryreq(1, "POST", E, py("print(n)"))[2])

if "stop" in PHASES:   # SIGSTOP the holder past the TTL; TTL=1s
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    req(0, "POST", E, py("n = 0"))
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("a", tryreq(0, "POST", E, py("import time\ntime.sleep(2)\nn += 1\nopen('/work/a','w').write('A%d' % n)\nprint(n)"))))
    t.start(); time.sleep(0.5)
    os.kill(procs[0].pid, signal.SIGSTOP)
    time.sleep(4)
    b = tryreq(1, "POST", E, py("n += 10\nopen('/work/b','w').write('B%d' % n)\nprint(n)"))
    P("B during stop:", b[0], b[2])
    os.kill(procs[0].pid, signal.SIGCONT)
    t.join()
    P("A after cont:", res["a"][0], res["a"][2])
    P("then n =", tryreq(2, "POST", E, py("import os\nprint(n, sorted(os.listdir('/work')))"))[2])
    P("leases", leases(sid))

if "kill" in PHASES:   # counter invariant with SIGKILLs; DUR seconds
    dur = float(os.environ.get("DUR", "120"))
    sids = [mk(0) for _ in range(3)]
    for s in sids: req(0, "POST", "/v1/sessions/%s/exec" % s, py("n = 0"))
    log = {s: [] for s in sids}; bad = []; stop = threading.Event(); stats = {}
    def load(s, k):
        i = k
        while not stop.is_set():
            i = (i + 1) % 3
            st, _, j = tryreq(i, "POST", "/v1/sessions/%s/exec" % s,
                              py("import os\nn += 1\nopen('/work/c%d' % n, 'w').write(str(n) * 1000)\nprint(n)"), timeout=30)
            stats[st] = stats.get(st, 0) + 1
            if st == 200 and isinstance(j, dict) and j.get("outcome") == "exited":
                v = int(j["stdout"]); L = log[s]
                if L and v <= L[-1]: bad.append((s, L[-3:], v))
                L.append(v)
            elif st in (0, 409, 503, 500): time.sleep(0.05)
            else: bad.append((s, st, str(j)[:100]))
    ts = [threading.Thread(target=load, args=(s, k)) for k, s in enumerate(sids)]
    for t in ts: t.start()
    end = time.time() + dur; kills = 0
    while time.time() < end:
        time.sleep(random.uniform(0.3, 2.5))
        i = random.randrange(3)
        procs[i].send_signal(signal.SIGKILL); procs[i].wait(); kills += 1
        start(i, extra)
    stop.set()
    for t in ts: t.join()
    # files never half-written: each c<k> holds str(k)*1000
    half = []
    for s in sids:
        w = os.path.join(STATE, "sessions", s, "work")
        for f in os.listdir(w):
            v = open(os.path.join(w, f)).read()
            if f.startswith("c") and v != f[1:] * 1000: half.append((s, f, len(v)))
    final = {s: tryreq(0, "POST", "/v1/sessions/%s/exec" % s, py("print(n)"))[2] for s in sids}
    P("kills", kills, "stats", stats, "steps", {s: len(v) for s, v in log.items()})
    P("backwards/repeats", bad[:10], len(bad))
    P("half-written", half[:10])
    P("final", {s: (final[s].get("stdout", "").strip() if isinstance(final[s], dict) else final[s], log[s][-1:] if log[s] else None) for s in sids})

if "stopall" in PHASES:   # SIGSTOP the holder and its workers; TTL=1s
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    req(0, "POST", E, py("n = 0"))
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("a", tryreq(0, "POST", E, py("import time\ntime.sleep(2)\nn += 1\nopen('/work/a','w').write('A%d' % n)\nprint(n)"))))
    t.start(); time.sleep(0.5)
    fam = subprocess.run(["pgrep", "-P", str(procs[0].pid)], capture_output=True, text=True).stdout.split()
    fam2 = []
    for c in fam: fam2 += subprocess.run(["pgrep", "-P", c], capture_output=True, text=True).stdout.split()
    allp = [procs[0].pid] + [int(x) for x in fam + fam2]
    P("stopping", allp)
    for q in allp: os.kill(q, signal.SIGSTOP)
    time.sleep(4)
    b = tryreq(1, "POST", E, py("n += 10\nopen('/work/b','w').write('B%d' % n)\nprint(n)"))
    P("B during stop:", b[0], b[2].get("stdout") if isinstance(b[2], dict) else b[2])
    for q in allp: os.kill(q, signal.SIGCONT)
    t.join()
    P("A after cont:", res["a"][0], res["a"][2].get("stdout") if isinstance(res["a"][2], dict) else res["a"][2])
    time.sleep(0.5)
    P("then n =", tryreq(2, "POST", E, py("import os\nprint(n, sorted(os.listdir('/work')))"))[2].get("stdout"))

if "race" in PHASES:
    dur = float(os.environ.get("DUR", "40"))
    stats = {}; bad = []; stop = threading.Event(); mu = threading.Lock()
    def note(k, st, j):
        with mu: stats[(k, st)] = stats.get((k, st), 0) + 1
        if st in (0,) or st >= 500: bad.append((k, st, str(j)[:150]))
    def worker(w):
        rnd = random.Random(w)
        while not stop.is_set():
            sid = mk(w % 3); base = "/v1/sessions/" + sid
            note("step0", *tryreq(w % 3, "POST", base + "/exec", py("n = 0"))[::2])
            deleted = False
            for _ in range(rnd.randrange(5, 15)):
                i = rnd.randrange(3); op = rnd.random()
                if op < 0.45:
                    st, _, j = tryreq(i, "POST", base + "/exec", py("n += 1\nopen('/work/u%d' % n, 'w').write('x' * 5000)\nprint(n)"))
                    note("exec", st, j)
                    if deleted and st == 200: bad.append(("exec after delete", sid))
                elif op < 0.65:
                    st, _, j = tryreq(i, "PUT", base + "/files/up%d" % rnd.randrange(3), os.urandom(20000)); note("put", st, j)
                elif op < 0.8:
                    st, _, j = tryreq(i, "POST", base + "/fork", {}); note("fork", st, j)
                    if st == 201:
                        f = j["id"]; st2, _, j2 = tryreq((i + 1) % 3, "POST", "/v1/sessions/%s/exec" % f, py("print(n)")); note("forkstep", st2, j2)
                        tryreq(i, "DELETE", "/v1/sessions/" + f)
                elif op < 0.9:
                    st, _, j = tryreq(i, "DELETE", base); note("delete", st, j)
                    if st == 200: deleted = True
                else:
                    st, _, j = tryreq(i, "GET", base + "/files/up0"); note("get", st, j)
            if deleted:
                for i in range(3):
                    st, _, j = tryreq(i, "GET", base)
                    if st != 404: bad.append(("alive after delete", i, st))
            else: tryreq(0, "DELETE", base)
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in ts: t.start()
    # the same session hammered by all from 3 replicas
    time.sleep(dur); stop.set()
    for t in ts: t.join()
    P("race stats", sorted(stats.items()))
    P("race bad", len(bad), bad[:8])
    for i in range(3): P("alive", i, procs[i].poll())
    P("leftover sessions", len(os.listdir(os.path.join(STATE, "sessions"))))

if "same" in PHASES:
    sid = mk(0); base = "/v1/sessions/" + sid
    req(0, "POST", base + "/exec", py("n = 0"))
    got = {i: [] for i in range(3)}; errs = []
    def hammer(i):
        for _ in range(int(os.environ.get("N", "60"))):
            st, _, j = tryreq(i, "POST", base + "/exec", py("n += 1\nprint(n)"))
            if st == 200: got[i].append(int(j["stdout"]))
            elif st != 409: errs.append((i, st, str(j)[:100]))
    ts = [threading.Thread(target=hammer, args=(i,)) for i in range(3)]
    for t in ts: t.start()
    for t in ts: t.join()
    allv = sorted(sum(got.values(), []))
    P("same: ok steps", len(allv), "distinct", len(set(allv)), "contiguous", allv == list(range(1, len(allv) + 1)), "errs", errs[:5])
    P("final", tryreq(1, "POST", base + "/exec", py("print(n)"))[2].get("stdout"))

if "links" in PHASES:
    out = os.path.join(T, "outside"); os.makedirs(out)
    for what in ["ckpt", "session.json", "work", "ckpt/python.snap"]:
        sid = mk(0); base = "/v1/sessions/" + sid; d = os.path.join(STATE, "sessions", sid)
        P(what, "step0", tryreq(0, "POST", base + "/exec", py("n = 5\nopen('/work/k','w').write('k')"))[0])
        tgt = os.path.join(out, what.replace("/", "_")); p = os.path.join(d, what)
        if os.path.isdir(p):
            os.rename(p, tgt)
        elif os.path.exists(p):
            os.rename(p, tgt)
        else:
            open(tgt, "w").write("x")
        os.symlink(tgt, p)
        before = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in os.listdir(out)}
        before_ls = {f: sorted(os.listdir(os.path.join(out, f))) if os.path.isdir(os.path.join(out, f)) else None for f in os.listdir(out)}
        for i in (1, 2, 0):
            st, _, j = tryreq(i, "POST", base + "/exec", py("n += 1\nprint(n, open('/work/k').read())"))
            P(" ", what, "replica", i, st, (j.get("stdout") or j.get("stderr", "")[-120:]) if isinstance(j, dict) else j)
        st, _, j = tryreq(1, "POST", base + "/fork", {}); P(" ", what, "fork", st, str(j)[:150])
        st, _, j = tryreq(2, "PUT", base + "/files/z", b"zz"); P(" ", what, "put", st, str(j)[:150])
        st, _, j = tryreq(2, "DELETE", base); P(" ", what, "delete", st, str(j)[:150])
        after = {f: os.stat(os.path.join(out, f)).st_mtime_ns for f in os.listdir(out)}
        after_ls = {f: sorted(os.listdir(os.path.join(out, f))) if os.path.isdir(os.path.join(out, f)) else None for f in os.listdir(out)}
        P(" ", what, "outside changed:", before != after or before_ls != after_ls, before_ls, after_ls)
    for i in range(3): P("alive", i, procs[i].poll())

if "drain" in PHASES:
    sid = mk(0); E = "/v1/sessions/%s/exec" % sid
    res = []
    ts = [threading.Thread(target=lambda i=i: res.append((i, tryreq(i, "POST", "/v1/run", py("import time\ntime.sleep(2)\nprint(7)"))[:3:2]))) for i in range(3)]
    for t in ts: t.start()
    time.sleep(0.7)
    procs[1].send_signal(signal.SIGTERM)
    time.sleep(0.2)
    P("healthz during drain", tryreq(1, "GET", "/healthz")[:3:2], "livez", tryreq(1, "GET", "/livez")[:3:2])
    P("new step during drain", tryreq(1, "POST", E, py("print(1)"))[:3:2])
    for t in ts: t.join()
    P("runs", sorted(res, key=lambda r: r[0]), "rc", procs[1].wait(timeout=30))
for p in procs:
    if p and p.poll() is None: p.send_signal(signal.SIGTERM); p.wait(timeout=30)
for i in range(3):
    P("== r%d.log" % i); os.system("tail -n 8 %s/r%d.log" % (T, i))
