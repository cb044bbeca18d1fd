#!/usr/bin/env python3
"""tests/http/replicas.py WASMBOX DIR: three `wasmbox serve --shared-state`
replicas on 127.0.0.1 sharing DIR/state, and a small round-robin client in
front of them, as a load balancer would be (run by replicas.sh inside its
own network namespace; DIR holds keys, policy, logs).

The client sends each request to the next replica; a refused or reset
connection (a replica that is stopping or stopped) and a 503 of a draining
replica are retried on the next one, as an ingress retries a request that
no backend started; a 409 (the session is busy on another replica) is
retried after a short pause. Cases: a session moves between replicas with
its variables and files, a stale warm copy is not used, concurrent steps
through different replicas never overlap, a SIGKILL mid-step loses only
that step, a rolling restart under load loses no request, deletion and
fork across replicas, hostile lease files (far expiries too) and
checkpoint names above the lease, a session moved between a shared and a
non-shared server and back, bad options; a replica frozen
(SIGSTOP) past its lease while a step runs commits nothing of it when it
goes on (its step answers 409).
Prints "ok NAME" / "FAIL NAME: why", then "N passed, N failed, N skipped".
"""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

W, T = sys.argv[1], sys.argv[2]
PORTS = [18081, 18082, 18083]
KA = "Bearer " + open(os.path.join(T, "key-a")).read().strip()
KB = "Bearer " + open(os.path.join(T, "key-b")).read().strip()
STATE = os.path.join(T, "state")
passed = failed = 0
procs = [None, None, None]


def check(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why))
    sys.stdout.flush()
    return ok


def start(i, extra=(), log="r%d.log", shared=True):
    log = open(os.path.join(T, log % i), "ab")
    procs[i] = subprocess.Popen(
        [W, "serve", "--listen", "127.0.0.1:%d" % PORTS[i], "--state-dir",
         STATE, "--policy", os.path.join(T, "policy.yaml"), "--api-keys",
         os.path.join(T, "keys"),
         *(["--shared-state", "--lease-wait", "1s"] if shared else []),
         *extra], stderr=log, stdout=subprocess.DEVNULL)
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORTS[i], timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return True
        except OSError:
            time.sleep(0.05)
    return False


def req(i, method, path, body=None, key=KA, timeout=60):
    """One request to replica i: (status, headers, parsed body or text)."""
    c = http.client.HTTPConnection("127.0.0.1", PORTS[i], timeout=timeout)
    data = body if isinstance(body, (bytes, type(None))) else \
        json.dumps(body).encode()
    c.request(method, path, body=data, headers={"Authorization": key})
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        out = json.loads(raw)
    except ValueError:
        out = raw
    return r.status, dict(r.getheaders()), out


class RoundRobin:
    """The load balancer: next replica each request; what no replica
    started (refused, reset before an answer, 503 draining) goes to the
    next; 409 (busy elsewhere) is retried after a pause."""

    def __init__(self):
        self.n = 0
        self.mu = threading.Lock()
        self.moved = 0      # requests retried on another replica
        self.why = {}       # ... by the reason
        self.busy = 0       # 409s retried

    def count(self, why):
        with self.mu:
            self.moved += 1
            self.why[why] = self.why.get(why, 0) + 1

    def next(self):
        with self.mu:
            self.n += 1
            return self.n % 3

    def __call__(self, method, path, body=None, key=KA, deadline=60):
        end = time.time() + deadline
        while time.time() < end:
            i = self.next()
            try:
                st, h, out = req(i, method, path, body, key)
            except (ConnectionRefusedError, ConnectionResetError,
                    http.client.RemoteDisconnected, BrokenPipeError) as e:
                self.count(type(e).__name__)
                continue
            if st == 503:
                self.count("503")
                continue
            if st == 409 and "Retry-After" in h:
                with self.mu:
                    self.busy += 1
                time.sleep(0.05)
                continue
            return st, h, out, i
        return 0, {}, "no replica answered", -1


def py(code):
    return {"language": "python", "code": code}


def out_of(res):
    st, h, j = res[:3]
    return j.get("stdout", "").strip() if isinstance(j, dict) else j


def wait_file(sid, name, secs=20):
    """Until a step of session sid made /work/NAME (it runs now)."""
    p = os.path.join(STATE, "sessions", sid, "work", name)
    end = time.time() + secs
    while not os.path.exists(p) and time.time() < end:
        time.sleep(0.02)
    return os.path.exists(p)


def lease_files(sid):
    d = os.path.join(STATE, "sessions", sid)
    return sorted((int(n[6:]) for n in os.listdir(d)
                   if re.fullmatch(r"lease\.[1-9][0-9]{0,17}", n)))


# ---- start-up ------------------------------------------------------------
for i in range(3):
    if not check("replica %d starts with --shared-state" % i, start(i),
                 open(os.path.join(T, "r%d.log" % i)).read()[-400:]):
        sys.exit(1)
lb = RoundRobin()

# ---- a session moves between replicas -----------------------------------
st, h, j = req(0, "POST", "/v1/sessions", {})
sid = j.get("id", "") if isinstance(j, dict) else ""
check("created through replica 0", st == 201 and sid, "%s %s" % (st, j))
check("X-Wasmbox-Session names it (affinity)",
      h.get("X-Wasmbox-Session") == sid, str(h))
E = "/v1/sessions/%s/exec" % sid
st, h, j = req(0, "POST", E, py(
    "x = 41\nopen('/work/f.txt', 'w').write('from replica 0')"))
check("step 1 on replica 0", st == 200 and j.get("outcome") == "exited",
      "%s %s" % (st, j))
check("a step's answer names its session", h.get("X-Wasmbox-Session") == sid)
st, h, j = req(1, "POST", E, py("x += 1\nprint(x, open('/work/f.txt').read())"))
check("step 2 on replica 1: variable and file intact",
      st == 200 and j.get("stdout") == "42 from replica 0\n",
      "%s %s" % (st, j))
check("replica 1 restored it from its checkpoint",
      "checkpoint" in j.get("note", ""), j.get("note"))
st, _, j = req(2, "PUT", "/v1/sessions/%s/files/g.txt" % sid, b"from 2")
check("a file uploaded through replica 2", st == 200, "%s %s" % (st, j))
st, h, j = req(2, "POST", E, py("x += 1\nprint(x, open('/work/g.txt').read())"))
check("step 3 on replica 2", st == 200 and j.get("stdout") == "43 from 2\n",
      "%s %s" % (st, j))
# replica 0 still holds the interpreter of step 1 (x = 41): stale
st, _, j = req(0, "POST", E, py("print(x)"))
check("replica 0 reloads its stale copy (43, not 41)",
      st == 200 and j.get("stdout") == "43\n", "%s %s" % (st, j))
st, _, j = req(1, "GET", "/v1/sessions/%s/files/g.txt" % sid)
check("the file reads back on replica 1", st == 200 and j == b"from 2",
      "%s %r" % (st, j))
st, _, j = req(0, "GET", "/v1/sessions/%s/files" % sid)
names = sorted(f["path"] for f in j.get("files", [])) \
    if isinstance(j, dict) else []
check("the file list on replica 0", names == ["f.txt", "g.txt"], str(j))
st, _, j = req(2, "GET", "/v1/sessions/%s" % sid)
check("the step count is every replica's (4)",
      st == 200 and j.get("steps") == 4, "%s %s" % (st, j))
st, _, j = req(1, "GET", "/v1/sessions")
ids = [s["id"] for s in j.get("sessions", [])] if isinstance(j, dict) else []
check("listed on a replica that never served it", sid in ids, str(j))
for i, (m, p) in enumerate([("GET", ""), ("POST", "/exec"),
                            ("GET", "/files/f.txt"), ("DELETE", "")]):
    st, _, j = req((i + 1) % 3, m, "/v1/sessions/%s%s" % (sid, p),
                   py("1") if m == "POST" else None, key=KB)
    check("another key: %s %s is 404 on replica %d" % (m, p or "/",
                                                       (i + 1) % 3),
          st == 404, "%s %s" % (st, j))
st, _, j = req(0, "GET", "/v1/sessions", key=KB)
check("another key lists nothing", st == 200 and j.get("sessions") == [],
      str(j))
st, _, j = req(1, "GET", "/v1/sessions/..%2fetc/files")
check("a hostile id is a 404", st in (400, 404), "%s %s" % (st, j))

# ---- concurrent steps through different replicas never overlap ----------
GUARD = ("import os, time\n"
         "fd = os.open('/work/running', os.O_CREAT | os.O_EXCL | os.O_WRONLY)\n"
         "time.sleep(%s)\nx += 1\nos.close(fd)\nos.remove('/work/running')\n"
         "print(x)")
res = {}


def slow(i, secs):
    res[i] = req(i, "POST", E, py(GUARD % secs))


t = threading.Thread(target=slow, args=(0, "2.5"))
t.start()
wait_file(sid, "running")
t0 = time.time()
st, h, j = req(1, "POST", E, py(GUARD % "0"))
waited = time.time() - t0
check("a step while another replica runs one: 409",
      st == 409, "%s %s" % (st, j))
check("... with Retry-After", h.get("Retry-After", "").isdigit(), str(h))
check("... after waiting about --lease-wait (1 s)", 0.8 <= waited < 2.5,
      "%.2f s" % waited)
t.join()
check("the first step finished (44)", res[0][0] == 200 and
      res[0][2].get("stdout") == "44\n", str(res[0]))
# a short one waits instead of failing
t = threading.Thread(target=slow, args=(2, "0.6"))
t.start()
wait_file(sid, "running")
st, _, j = req(1, "POST", E, py(GUARD % "0"))
t.join()
check("a step behind a short one waits for it, then runs (46)",
      st == 200 and j.get("stdout") == "46\n" and res[2][0] == 200,
      "%s %s / %s" % (st, j, res[2]))
# a burst: 6 clients, each step on the next replica; none may see another
results = []


def burst():
    results.append(lb("POST", E, py(GUARD % "0.2")))


ts = [threading.Thread(target=burst) for _ in range(6)]
for t in ts:
    t.start()
for t in ts:
    t.join()
xs = sorted(int(r[2]["stdout"]) for r in results
            if r[0] == 200 and r[2].get("outcome") == "exited")
check("6 concurrent steps through 3 replicas: each ran alone, none lost",
      xs == list(range(47, 53)), "%s" % [(r[0], r[2]) for r in results])

# ---- SIGKILL of a replica in the middle of a step -----------------------
killed = {}


def doomed():
    try:
        killed["r"] = req(0, "POST", E, py(
            "x = 1000\nopen('/work/doomed', 'w').close()\n"
            "import time\ntime.sleep(30)\nx = 2000"))
    except Exception as e:          # the connection dies with the replica
        killed["r"] = e


t = threading.Thread(target=doomed)
t.start()
check("a step runs on replica 0", wait_file(sid, "doomed"))
procs[0].send_signal(signal.SIGKILL)
procs[0].wait()
t.join()
t0 = time.time()
st, _, j = req(1, "POST", E, py("print(x)"))
check("after a SIGKILL mid-step the session goes on on replica 1 (52)",
      st == 200 and j.get("stdout") == "52\n", "%s %s" % (st, j))
check("... at once: the dead replica's lease is seen dead",
      time.time() - t0 < 5, "%.1f s" % (time.time() - t0))
check("... its note says so", "checkpoint" in j.get("note", ""), j.get("note"))
check("replica 0 restarts", start(0))

# ---- deletion and fork across replicas ----------------------------------
st, _, j = req(1, "POST", "/v1/sessions", {})
s2 = j.get("id", "")
req(2, "POST", "/v1/sessions/%s/exec" % s2, py("y = 7"))
req(0, "POST", "/v1/sessions/%s/exec" % s2, py("y += 1"))
st, h, j = req(2, "POST", "/v1/sessions/%s/fork" % s2)
fid = j.get("id", "") if isinstance(j, dict) else ""
check("fork through replica 2 of a session last run on replica 0",
      st == 201 and fid and h.get("X-Wasmbox-Session") == fid,
      "%s %s" % (st, j))
st, _, j = req(1, "POST", "/v1/sessions/%s/exec" % fid, py("y += 10\nprint(y)"))
check("the fork steps on replica 1 from the parent's state (18)",
      st == 200 and j.get("stdout") == "18\n", "%s %s" % (st, j))
st, _, j = req(0, "POST", "/v1/sessions/%s/exec" % s2, py("print(y)"))
check("the parent is not changed (8)", st == 200 and j.get("stdout") == "8\n",
      "%s %s" % (st, j))
# the fork is busy on replica 1: deleting it or uploading to it through
# another replica waits, then is refused; reading it is not
FE = "/v1/sessions/%s" % fid
busy = {}
t = threading.Thread(target=lambda: busy.update(r=req(1, "POST", FE + "/exec",
    py("import time\nopen('/work/busy', 'w').close()\ntime.sleep(3)"))))
t.start()
wait_file(fid, "busy")
st_del, h_del, _ = req(2, "DELETE", FE)
st_put, _, _ = req(0, "PUT", FE + "/files/late.txt", b"late")
st_get, _, _ = req(0, "GET", FE + "/files/busy")
t.join()
check("a deletion while another replica runs a step: 409 + Retry-After",
      st_del == 409 and "Retry-After" in h_del, "%s %s" % (st_del, h_del))
check("an upload meanwhile: 409; a read meanwhile: 200",
      st_put == 409 and st_get == 200, "%s %s" % (st_put, st_get))
st, _, j = req(2, "DELETE", FE)
check("the deletion after the step: 200", st == 200, "%s %s" % (st, j))
st, _, j = req(1, "POST", FE + "/exec", py("1"))
check("the replica that ran its step: 404 now", st == 404, "%s %s" % (st, j))
fid = None
st, _, j = req(1, "DELETE", "/v1/sessions/%s" % s2)
check("delete through replica 1 (replicas 0 and 2 hold copies)",
      st == 200, "%s %s" % (st, j))
gone = [req(i, m, "/v1/sessions/%s%s" % (s2, p), b)[0]
        for i, m, p, b in [(0, "POST", "/exec", py("print(y)")),
                           (2, "GET", "", None), (0, "GET", "/files", None),
                           (2, "DELETE", "", None)]]
check("every replica answers 404 for it now", gone == [404] * 4, str(gone))
check("its directory is gone",
      not os.path.exists(os.path.join(STATE, "sessions", s2)))
st, _, j = req(0, "GET", "/v1/sessions")
ids = [s["id"] for s in j.get("sessions", [])]
check("the list has neither deleted session",
      s2 not in ids and sid in ids and len(ids) == 1, str(ids))

# ---- hostile lease files ------------------------------------------------
d = os.path.join(STATE, "sessions", sid)
top = lease_files(sid)[-1]
rec = open(os.path.join(d, "lease.%d" % top)).read()


def plant(text, mtime=None, n=None):
    p = os.path.join(d, "lease.%d" % (n or lease_files(sid)[-1] + 1))
    with open(p, "w") as f:
        f.write(text)
    if mtime:
        os.utime(p, (mtime, mtime))
    return p


far = int(time.time() * 1000) + 3600_000
rec = re.sub(r"owner \S+", "owner 0123456789abcdef", rec)
foreign = re.sub(r"boot \S+", "boot another-machine",
                 re.sub(r"expires \d+", "expires %d" % far, rec))
plant(foreign)
st, h, j = req(2, "POST", E, py("print(x)"))
check("a live lease of another machine: 409 + Retry-After",
      st == 409 and h.get("Retry-After", "").isdigit(), "%s %s" % (st, j))
plant(re.sub(r"expires \d+", "expires %d" % (far - 7200_000), foreign))
st, _, j = req(2, "POST", E, py("print(x)"))
check("an expired lease of another machine is taken over",
      st == 200 and j.get("stdout") == "52\n", "%s %s" % (st, j))
plant(re.sub(r"pid \d+", "pid 999999", re.sub(r"expires \d+", "expires %d"
                                               % far, rec)))
st, _, j = req(0, "POST", E, py("print(x)"))
check("a live-looking lease of a dead process of this machine is taken",
      st == 200, "%s %s" % (st, j))
plant("garbage\n\x00\xff")
st, _, j = req(1, "POST", E, py("print(x)"))
check("a damaged lease holds for a TTL from its change: 409", st == 409,
      "%s %s" % (st, j))
plant("garbage\n", mtime=time.time() - 60)
st, _, j = req(1, "POST", E, py("print(x)"))
check("a damaged lease older than the TTL is taken", st == 200,
      "%s %s" % (st, j))
plant(foreign, n=10**19)            # 20 digits: not a lease name
os.mkfifo(os.path.join(d, "lease.%d" % (lease_files(sid)[-1] + 1)))
os.utime(os.path.join(d, "lease.%d" % lease_files(sid)[-1]),
         (time.time() - 60, time.time() - 60))
st, _, j = req(2, "POST", E, py("print(x)"))
check("a FIFO as lease and an overlong number hold nothing for ever",
      st == 200 and j.get("stdout") == "52\n", "%s %s" % (st, j))
check("old lease files are swept", len(lease_files(sid)) <= 5,
      str(lease_files(sid)))
link = os.path.join(d, "lease.%d" % (lease_files(sid)[-1] + 1))
os.symlink("/etc/passwd", link)
os.utime(link, (time.time() - 60, time.time() - 60), follow_symlinks=False)
st, _, j = req(0, "POST", E, py("print(x)"))
check("a symlink as lease is damage: free a TTL after its mtime",
      st == 200 and j.get("stdout") == "52\n", "%s %s" % (st, j))
top = plant(re.sub(r"expires \d+", "expires 0", rec), n=10**18 - 1)
st, h, j = req(1, "POST", E, py("print(x)"))
check("the last lease number: a 500 that says so, not a 409 for ever",
      st == 500 and "used up" in str(j) and "Retry-After" not in h,
      "%s %s" % (st, j))
os.unlink(top)
st, _, j = req(2, "POST", E, py("print(x)"))
check("... and the session steps once it is removed",
      st == 200 and j.get("stdout") == "52\n", "%s %s" % (st, j))

# far expiries (a clock hours ahead, a hand-made record): damage, free a
# TTL after the file's last change, whoever it names (issue 21, round 5)
for what, text in [
        ("expiry in 2100, another machine",
         re.sub(r"expires \d+", "expires 4102444800000", foreign)),
        ("expiry INT64_MAX, another machine",
         re.sub(r"expires \d+", "expires 9223372036854775807", foreign)),
        ("expiry in 2100, live PID 1 of this machine with its start time",
         re.sub(r"start \d+", "start %s" % open("/proc/1/stat").read()
                .rsplit(")", 1)[1].split()[19],
                re.sub(r"pid \d+", "pid 1", re.sub(
                    r"expires \d+", "expires 4102444800000", rec))))]:
    p = plant(text, mtime=time.time() - 3600)
    st, h, j = req(1, "POST", E, py("print(x)"))
    check("a lease record with a far %s, an hour old: taken" % what,
          st == 200 and j.get("stdout") == "52\n", "%s %s" % (st, j))
    if st != 200:
        os.unlink(p)                # not to fail the cases below with it

# checkpoint names above the lease number (hand-made, damage, or lease
# files removed by hand): a lease is taken above them, entries that are
# not regular files are ignored; no false "lost the lease" 409
ck = os.path.join(d, "ckpt")
for what, make in [
        ("a directory", os.mkdir), ("a FIFO", os.mkfifo),
        ("a symlink", lambda p: os.symlink("/etc/passwd", p)),
        ("an empty file (a seal)", lambda p: open(p, "w").close()),
        ("the 18-digit seal", None)]:
    g = lease_files(sid)[-1] + 1000
    p = os.path.join(ck, "python.%d.snap" % g)
    if make is None:
        p = os.path.join(ck, "python.999999999999999999.snap")
        open(p, "w").close()
    else:
        make(p)
    res = [req(i, "POST", E, py("x += 1\nprint(x)")) for i in (1, 2, 0)]
    check("ckpt/python.G.snap above the lease, %s: steps go on" % what,
          [(r[0], r[2].get("stdout") if isinstance(r[2], dict) else r[2])
           for r in res] == [(200, "53\n"), (200, "54\n"), (200, "55\n")],
          str([(r[0], r[2]) for r in res]))
    os.unlink(p) if not os.path.isdir(p) or os.path.islink(p) else \
        os.rmdir(p)
    req(0, "POST", E, py("x = 52"))
for f in lease_files(sid):
    os.unlink(os.path.join(d, "lease.%d" % f))
gens = [int(n.split(".")[1]) for n in os.listdir(ck)
        if re.fullmatch(r"python\.[1-9][0-9]*\.snap", n)]
res = [req(i, "POST", E, py("x += 1\nprint(x)")) for i in (1, 2)]
check("lease files removed by hand: steps go on, the lease taken above "
      "the checkpoint (%s)" % max(gens),
      [(r[0], r[2].get("stdout")) for r in res] == [(200, "53\n"),
                                                    (200, "54\n")]
      and lease_files(sid)[-1] > max(gens), str(res) + str(lease_files(sid)))
req(0, "POST", E, py("x = 52"))

# a workspace replaced by a symlink (a compromised replica): not followed
st, _, j = req(0, "POST", "/v1/sessions", {})
s4 = j["id"]
req(0, "POST", "/v1/sessions/%s/exec" % s4, py("n = 1"))
w4, out4 = os.path.join(STATE, "sessions", s4, "work"), os.path.join(T, "o")
os.rename(w4, out4)
os.symlink(out4, w4)
got = [req(i, "POST", "/v1/sessions/%s/exec" % s4,
           py("open('/work/escaped', 'w').write('x')"))[0] for i in (1, 2)]
check("a symlinked workspace is not followed (500, nothing written)",
      got == [500, 500] and os.listdir(out4) == [], "%s %s" % (got,
                                                      os.listdir(out4)))
# ... nor one that names a directory of the server's (root's, when run as
# root): steps, uploads and listings refused, nothing handed to the
# workers' user
os.unlink(w4)
mine = os.path.join(T, "mine")
os.mkdir(mine)
os.symlink(mine, w4)
S4 = "/v1/sessions/%s" % s4
got = [req(1, "POST", S4 + "/exec", py("n += 1"))[0],
       req(2, "PUT", S4 + "/files/f", b"x")[0],
       req(0, "GET", S4 + "/files")[0]]
check("a workspace symlinked to the server's directory: all refused, it "
      "stays the server's", got[0] == 500 and got[1] in (400, 500) and
      got[2] in (400, 500) and os.listdir(mine) == [] and
      os.stat(mine).st_uid == os.geteuid(),
      "%s %s %d" % (got, os.listdir(mine), os.stat(mine).st_uid))
os.unlink(w4)
os.rmdir(mine)
os.rename(out4, w4)

# ---- a rolling restart under steady load --------------------------------
sessions = []
for _ in range(2):
    st, _, j, _ = lb("POST", "/v1/sessions", {})
    sessions.append(j["id"])
    lb("POST", "/v1/sessions/%s/exec" % j["id"], py("n = 0"))
stop = threading.Event()
log = {s: [] for s in sessions}
errors = []


def load(s):
    while not stop.is_set():
        st, _, j, i = lb("POST", "/v1/sessions/%s/exec" % s,
                         py("n += 1\nprint(n)"))
        if st != 200 or j.get("outcome") != "exited":
            errors.append((st, j))
        else:
            log[s].append(int(j["stdout"]))
        # and a one-shot run between steps
        st, _, j, i = lb("POST", "/v1/run", py("print(6 * 7)"))
        if st != 200 or j.get("stdout") != "42\n":
            errors.append((st, j))


ts = [threading.Thread(target=load, args=(s,)) for s in sessions]
for t in ts:
    t.start()
time.sleep(1)
restarted = 0
st, _, j, _ = lb("POST", "/v1/sessions", {})
s3 = j["id"]
drained = []


def in_flight(i):
    drained.append(req(i, "POST", "/v1/sessions/%s/exec" % s3, py(
        "import time\nopen('/work/m%d', 'w').close()\ntime.sleep(0.8)\n"
        "print('done')" % i)))


for i in range(3):
    # a step under way on the replica that is told to stop finishes
    t = threading.Thread(target=in_flight, args=(i,))
    t.start()
    wait_file(s3, "m%d" % i)
    procs[i].send_signal(signal.SIGTERM)
    rc = procs[i].wait(timeout=30)
    t.join()
    time.sleep(0.5)                 # down a while: the load goes elsewhere
    restarted += rc == 0 and start(i)
    time.sleep(0.5)
stop.set()
for t in ts:
    t.join()
check("rolling restart: each replica drained (exit 0) and came back",
      restarted == 3, str(restarted))
check("the step under way on each stopping replica finished",
      [(r[0], r[2].get("stdout")) for r in drained] == [(200, "done\n")] * 3,
      str(drained))
check("no request lost (%d steps, %d moved to another replica: %s; %d "
      "waited for a lease)" % (sum(len(v) for v in log.values()), lb.moved,
                               lb.why, lb.busy),
      not errors and all(log.values()), str(errors[:3]))
check("every step ran exactly once, in order (n = 1, 2, 3, ...)",
      all(v == list(range(1, len(v) + 1)) for v in log.values()),
      str({s: v[:20] for s, v in log.items()}))
check("the load did move between replicas during the restart",
      lb.moved > 0, str(lb.moved))

# ---- a replica full of other replicas' sessions ----------------------
procs[2].send_signal(signal.SIGTERM)
procs[2].wait(timeout=30)
start(2, ["--max-sessions", "2", "--max-sessions-per-key", "2"])
made = [req(2, "POST", "/v1/sessions", {}) for _ in range(3)]
check("--max-sessions 2: idle copies make room for new sessions",
      [m[0] for m in made] == [201] * 3, str(made))
steps = [req(2, "POST", E, py("print(x)"))[0]] + \
    [req(2, "POST", "/v1/sessions/%s/exec" % m[2]["id"], py("1"))[0]
     for m in made]
check("... and every session still steps there", steps == [200] * 4,
      str(steps))

# ---- bad options ----------------------------------------------------------
for opt in (["--lease-ttl", "0"], ["--lease-ttl", "500ms"],
            ["--lease-wait", "2h"], ["--lease-ttl", "soon"]):
    p = subprocess.run([W, "serve", "--listen", "127.0.0.1:0",
                        "--insecure-no-auth", "--shared-state", *opt],
                       capture_output=True, text=True)
    check("%s refused (exit 2, one line)" % " ".join(opt),
          p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr)

for i in range(3):
    procs[i].send_signal(signal.SIGTERM)
    procs[i].wait(timeout=30)

# ---- fencing: a replica frozen past its lease commits nothing -----------
# replicas 0 and 1 again, with a 3 s lease and logs of their own (a lost
# lease is the point here)
for i in (0, 1):
    check("replica %d restarts with --lease-ttl 3s" % i,
          start(i, ["--lease-ttl", "3s"], log="r%d-fence.log"))
st, _, j = req(0, "POST", "/v1/sessions", {})
s5 = j["id"]
X5 = "/v1/sessions/%s/exec" % s5
req(0, "POST", X5, py("v = 'first'\nopen('/work/who', 'w').write('first')"))
frozen = {}


def stalled():
    frozen["r"] = req(0, "POST", X5, py(
        "import time\nv = 'A'\nopen('/work/a-began', 'w').close()\n"
        "time.sleep(8)\nopen('/work/who', 'w').write('A')\nv = 'A2'"))


t = threading.Thread(target=stalled)
t.start()
check("a step runs on replica 0", wait_file(s5, "a-began"))
procs[0].send_signal(signal.SIGSTOP)      # its worker goes on with the step
time.sleep(3.5)                           # past the TTL: the lease lapses
st, _, j = req(1, "POST", X5, py(
    "v = 'B'\nopen('/work/who', 'w').write('B')\nprint(v)"))
check("replica 1 takes the session over from the frozen replica 0",
      st == 200 and j.get("stdout") == "B\n", "%s %s" % (st, j))
time.sleep(6)                        # replica 0's step ends meanwhile
procs[0].send_signal(signal.SIGCONT)
t.join()
st, h, j = frozen["r"]
check("the frozen replica's step answers 409 (lease lost, not committed)",
      st == 409 and "lease" in str(j) and "Retry-After" in h,
      "%s %s" % (st, j))
# replica 0 first: its copy is reloaded, so the variable is the disk's
st, _, j = req(0, "POST", X5, py("print(v, open('/work/who').read())"))
check("the session has replica 1's state, not the late step's (on disk, "
      "read by replica 0)", st == 200 and j.get("stdout") == "B B\n",
      "%s %s" % (st, j))
st, _, j = req(1, "POST", X5, py("print(v, open('/work/who').read())"))
check("... and on replica 1", st == 200 and j.get("stdout") == "B B\n",
      "%s %s" % (st, j))
# frozen past its lease with nobody taking over: the step is not
# committed either (its fence closed before it wrote)
t = threading.Thread(target=stalled)
t.start()
os.unlink(os.path.join(STATE, "sessions", s5, "work", "a-began"))
check("another step runs on replica 0", wait_file(s5, "a-began"))
procs[0].send_signal(signal.SIGSTOP)
time.sleep(9)
procs[0].send_signal(signal.SIGCONT)
t.join()
st, h, j = frozen["r"]
check("... frozen past its lease, nobody else: 409 all the same",
      st == 409 and "lease" in str(j), "%s %s" % (st, j))
st, _, j = req(0, "POST", X5, py("print(v, open('/work/who').read())"))
check("... the session is as before that step",
      st == 200 and j.get("stdout") == "B B\n", "%s %s" % (st, j))
for i in (0, 1):
    procs[i].send_signal(signal.SIGTERM)
    procs[i].wait(timeout=30)
text = open(os.path.join(T, "r0-fence.log")).read()
check("replica 0 logged its lost lease", "lease ran out" in text, text[-600:])

# ---- switching a session between shared and not shared ------------------
# each mode goes on from the other's newest checkpoint, and a step of the
# server that is not shared is not undone by the shared replicas later
check("replica 0 restarts (shared)", start(0, log="r%d-mode.log"))
st, _, j = req(0, "POST", "/v1/sessions", {})
s6 = j["id"]
X6 = "/v1/sessions/%s/exec" % s6
for k in (1, 2, 3):
    req(0, "POST", X6, py("y = %d" % k))
procs[0].send_signal(signal.SIGTERM)
procs[0].wait(timeout=30)
check("a server without --shared-state starts on the same directory",
      start(0, log="single.log%d", shared=False))
st, _, j = req(0, "POST", X6, py("print(y)"))
check("a server without --shared-state goes on from the shared replicas' "
      "checkpoint (3)", st == 200 and j.get("stdout") == "3\n",
      "%s %s" % (st, j))
st, _, j = req(0, "POST", X6, py("y = 100\nprint(y)"))
check("... and steps it (100)", st == 200 and j.get("stdout") == "100\n",
      "%s %s" % (st, j))
procs[0].send_signal(signal.SIGTERM)
procs[0].wait(timeout=30)
check("replica 1 restarts (shared)", start(1, log="r%d-mode.log"))
st, _, j = req(1, "POST", X6, py("print(y)"))
check("back on a shared replica: the other server's step is kept (100)",
      st == 200 and j.get("stdout") == "100\n", "%s %s" % (st, j))
procs[1].send_signal(signal.SIGTERM)
procs[1].wait(timeout=30)
for name in ("single.log0", "r0-mode.log", "r1-mode.log"):
    text = open(os.path.join(T, name)).read()
    check("%s: no sanitizer report" % name,
          "Sanitizer" not in text and "runtime error" not in text,
          text[-600:])

for i in range(3):
    text = open(os.path.join(T, "r%d.log" % i)).read()
    check("replica %d: no sanitizer report" % i,
          "Sanitizer" not in text and "runtime error" not in text,
          text[-600:])
    check("replica %d: no lease lost or left held" % i,
          "lease ran out" not in text and "cannot release" not in text,
          text[-600:])
print("%d passed, %d failed, 0 skipped" % (passed, failed))
sys.exit(1 if failed else 0)
