#!/usr/bin/env python3
"""check-deploy.py: a client-side check of deploy/kubernetes/ (make check).

usage: scripts/check-deploy.py [DIR]      (default deploy/kubernetes)

Debian 12's kubectl (1.20) cannot validate without an API server (it asks
the server for its schemas even with --dry-run=client), so this checks
what matters to us without one (python3-yaml):

  - every file parses; each object has apiVersion, kind, metadata.name (a
    DNS-1123 name) and the fields its kind requires, with an apiVersion a
    current cluster serves (autoscaling/v2, policy/v1, ...);
  - kustomization.yaml lists existing files, and every manifest beside it
    except *.example.yaml and optional/;
  - references: the Deployment's selector matches its pod labels, and so do
    the Service's, the PodDisruptionBudget's and the NetworkPolicy's; the
    Service's targetPort is a container port; the HPA targets the
    Deployment; every ConfigMap, Secret and PersistentVolumeClaim the pod
    uses is declared (the Secret by secret-api-keys.example.yaml), and
    the keys it reads exist; the files named by --policy and --api-keys
    are in mounted volumes; the state claim is ReadWriteMany;
  - the server: probe paths are routes of src/server/http_route.c that
    need no key; readiness is /healthz, liveness is not (/healthz is 503
    while draining); a Pods metric of an HPA is one the server exports;
  - the OS sandbox's security context: runAsNonRoot with a non-zero uid,
    read-only root filesystem, no privilege escalation, capabilities
    dropped (ALL) and none added, a RuntimeDefault or Localhost seccomp
    profile, not privileged; every path the server writes is a volume;
  - sizes, from the policy in the ConfigMap: terminationGracePeriodSeconds
    covers --drain-delay + budget.timeout + the server's own drain
    allowance (read from src/server/http.c); /dev/shm holds --workers x
    budget.disk; the memory limit covers the figures deployment.yaml
    cites; --workers equals the CPUs requested; requests <= limits;
  - the example Secret's keys are placeholders the server refuses (shorter
    than 16 characters), so it cannot be deployed by mistake.

Prints "ok   ..." or "FAIL ..." per check, then "N passed, N failed"; exit
status 1 when a check failed, 2 when DIR cannot be read.
"""
import os
import re
import sys

try:
    import yaml
except ImportError:
    print("check-deploy: needs python3-yaml (scripts/setup.sh)")
    print("0 passed, 1 failed")
    sys.exit(1)

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))

# Memory of one replica besides its steps and sessions, and what an open
# session's worker is allowed (deployment.yaml cites where they come from).
BASE_MIB = 86
SESSION_MIB = 20
GRACE_MARGIN_S = 5

API_VERSIONS = {
    "Deployment": {"apps/v1"},
    "Service": {"v1"},
    "ConfigMap": {"v1"},
    "Secret": {"v1"},
    "PersistentVolumeClaim": {"v1"},
    "HorizontalPodAutoscaler": {"autoscaling/v2"},
    "PodDisruptionBudget": {"policy/v1"},
    "NetworkPolicy": {"networking.k8s.io/v1"},
}
# Dotted paths each kind must have.
REQUIRED = {
    "Deployment": ["spec.selector.matchLabels", "spec.template.metadata.labels",
                   "spec.template.spec.containers"],
    "Service": ["spec.selector", "spec.ports"],
    "ConfigMap": ["data"],
    "Secret": [],
    "PersistentVolumeClaim": ["spec.accessModes", "spec.resources.requests.storage"],
    "HorizontalPodAutoscaler": ["spec.scaleTargetRef.kind", "spec.scaleTargetRef.name",
                                "spec.maxReplicas", "spec.metrics"],
    "PodDisruptionBudget": ["spec.selector.matchLabels"],
    "NetworkPolicy": ["spec.podSelector"],
}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

passed = failed = 0


def say(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)
    return ok


def get(obj, path, default=None):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return default
        obj = obj[part]
    return obj


def size_bytes(v, k8s=True):
    """A Kubernetes quantity (1536Mi, 2G) or, k8s False, a policy size
    (64M: the policy's K, M, G are powers of 1024, Kubernetes' of 1000)."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?|k)?\s*", str(v))
    if not m:
        raise ValueError("bad size %r" % v)
    mult = {None: 1, "k": 1000}
    for i, u in enumerate("KMGT", 1):
        mult[u + "i"] = 1024 ** i
        mult[u] = (1000 if k8s else 1024) ** i
    return float(m.group(1)) * mult[m.group(2)]


def cpu_cores(v):
    s = str(v)
    return float(s[:-1]) / 1000 if s.endswith("m") else float(s)


def seconds(v):
    """A duration as the server parses it: ms, s, m, h; a bare number is ms."""
    m = re.fullmatch(r"([0-9]+)(ms|s|m|h)?", str(v).strip())
    if not m:
        raise ValueError("bad duration %r" % v)
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600,
                              None: 0.001}[m.group(2)]


def load(d):
    """{relative path: [objects]}; parse failures are reported."""
    files = {}
    for base, _, names in os.walk(d):
        for n in sorted(names):
            if not n.endswith((".yaml", ".yml")):
                continue
            p = os.path.join(base, n)
            rel = os.path.relpath(p, d)
            try:
                with open(p) as f:
                    docs = [x for x in yaml.safe_load_all(f) if x is not None]
                say(bool(docs), "%s parses (%d objects)" % (rel, len(docs)))
                files[rel] = docs
            except (yaml.YAMLError, OSError) as e:
                say(False, "%s: %s" % (rel, str(e).replace("\n", " ")))
    return files


def check_object(rel, o):
    kind, name = o.get("kind"), get(o, "metadata.name")
    if kind == "Kustomization":
        return
    where = "%s: %s/%s" % (rel, kind, name)
    if not say(kind in API_VERSIONS, "%s: a known kind" % where):
        return
    say(o.get("apiVersion") in API_VERSIONS[kind],
        "%s: apiVersion %s (want %s)" % (where, o.get("apiVersion"),
                                         " or ".join(sorted(API_VERSIONS[kind]))))
    say(isinstance(name, str) and bool(DNS1123.match(name)),
        "%s: metadata.name is a DNS-1123 label" % where)
    missing = [p for p in REQUIRED[kind] if get(o, p) in (None, "", [], {})]
    say(not missing, "%s: required fields%s" % (where, ": missing " + ", ".join(missing)
                                                if missing else ""))


def check_kustomization(d, files):
    k = files.get("kustomization.yaml")
    if not say(bool(k), "kustomization.yaml exists"):
        return
    res = k[0].get("resources") or []
    gone = [r for r in res if not os.path.isfile(os.path.join(d, r))]
    say(not gone, "kustomization.yaml: every resource exists%s" %
        (" (not: %s)" % ", ".join(gone) if gone else ""))
    want = sorted(f for f in files if f != "kustomization.yaml" and
                  not f.endswith(".example.yaml") and os.sep not in f)
    left = [f for f in want if f not in res]
    say(not left, "kustomization.yaml lists every manifest%s" %
        (" (not: %s)" % ", ".join(left) if left else ""))


def routes():
    """{path: needs_key} of GET routes, from src/server/http_route.c."""
    src = open(os.path.join(ROOT, "src/server/http_route.c")).read()
    return {m.group(1): m.group(2) == "true" for m in re.finditer(
        r'\{\s*"GET",\s*"([^"]+)",\s*(true|false)', src)}


def serve_options():
    """The long options of `wasmbox serve` (src/cli/serve.c)."""
    src = open(os.path.join(ROOT, "src/cli/serve.c")).read()
    return set(re.findall(r'\{\s*"([a-z][a-z-]*)",\s*(?:no|required)_argument', src))


def server_drain_allowance():
    """The seconds past budget.timeout the server waits at shutdown."""
    src = open(os.path.join(ROOT, "src/server/http.c")).read()
    m = re.search(r"return \(t \? t : \d+u\) \+ (\d+)u;", src)
    return int(m.group(1)) / 1000 if m else None


def exported_metrics():
    names = set()
    for n in os.listdir(os.path.join(ROOT, "src/server")):
        if n.endswith(".c"):
            names |= set(re.findall(r"# TYPE (wasmbox_[a-z_]+) ",
                                    open(os.path.join(ROOT, "src/server", n)).read()))
    return names


def args_of(c):
    """--opt=value and --opt value pairs of a container's args."""
    out, a = {}, list(c.get("args") or [])
    i = 0
    while i < len(a):
        s = str(a[i])
        if s.startswith("--") and "=" in s:
            k, v = s.split("=", 1)
            out[k] = v
        elif s.startswith("--") and i + 1 < len(a) and not str(a[i + 1]).startswith("--"):
            out[s] = str(a[i + 1])
            i += 1
        elif s.startswith("--"):
            out[s] = True
        i += 1
    return out


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def mount_for(c, path):
    """The volumeMount whose mountPath holds path, and the rest of path."""
    best = None
    for m in c.get("volumeMounts") or []:
        mp = m.get("mountPath", "").rstrip("/")
        if (path == mp or path.startswith(mp + "/")) and (
                not best or len(mp) > len(best[0]["mountPath"].rstrip("/"))):
            best = (m, path[len(mp):].lstrip("/"))
    return best


def check_security(where, pod, c):
    psc, csc = pod.get("securityContext") or {}, c.get("securityContext") or {}
    eff = lambda k: csc.get(k, psc.get(k))
    say(eff("runAsNonRoot") is True, "%s: runAsNonRoot" % where)
    uid = eff("runAsUser")
    say(isinstance(uid, int) and uid > 0, "%s: runAsUser is a non-zero uid" % where)
    say(csc.get("readOnlyRootFilesystem") is True, "%s: read-only root filesystem" % where)
    say(csc.get("allowPrivilegeEscalation") is False, "%s: allowPrivilegeEscalation false" % where)
    say(csc.get("privileged") is not True, "%s: not privileged" % where)
    caps = csc.get("capabilities") or {}
    say("ALL" in (caps.get("drop") or []) and not caps.get("add"),
        "%s: capabilities: drop ALL, add none" % where)
    sp = eff("seccompProfile") or {}
    say(sp.get("type") in ("RuntimeDefault", "Localhost"),
        "%s: seccomp profile RuntimeDefault or Localhost (is %s)" % (where, sp.get("type")))


def check_deployment(rel, dep, objs):
    where = "%s: Deployment/%s" % (rel, get(dep, "metadata.name"))
    pod = get(dep, "spec.template.spec") or {}
    labels = get(dep, "spec.template.metadata.labels") or {}
    say(matches(get(dep, "spec.selector.matchLabels"), labels),
        "%s: selector matches the pod labels" % where)
    cs = pod.get("containers") or []
    c = next((x for x in cs if "serve" in (x.get("args") or [])[:1]), None)
    if not say(c is not None, "%s: a container runs `wasmbox serve`" % where):
        return None
    args = args_of(c)
    vols = {v.get("name"): v for v in pod.get("volumes") or []}
    mounts = c.get("volumeMounts") or []
    say(all(m.get("name") in vols for m in mounts),
        "%s: every volumeMount names a volume" % where)
    byname = lambda kind: {get(o, "metadata.name"): o for o in objs if o.get("kind") == kind}
    cms, secrets, pvcs = byname("ConfigMap"), byname("Secret"), byname("PersistentVolumeClaim")
    for v in vols.values():
        if "configMap" in v:
            say(v["configMap"].get("name") in cms,
                "%s: ConfigMap %s is declared" % (where, v["configMap"].get("name")))
        if "secret" in v:
            say(v["secret"].get("secretName") in secrets,
                "%s: Secret %s is declared" % (where, v["secret"].get("secretName")))
        if "persistentVolumeClaim" in v:
            claim = v["persistentVolumeClaim"].get("claimName")
            say(claim in pvcs, "%s: PersistentVolumeClaim %s is declared" % (where, claim))

    # the files the server reads come from those objects, with those keys
    def file_from(opt, field, objects, kindname):
        path = args.get(opt)
        if not say(isinstance(path, str), "%s: %s is given" % (where, opt)):
            return None
        mf = mount_for(c, path)
        v = vols.get(mf[0].get("name")) if mf else None
        src = (v or {}).get(field) or {}
        obj = objects.get(src.get("name") or src.get("secretName"))
        data = {}
        if obj:
            data.update(obj.get("data") or {})
            data.update(obj.get("stringData") or {})
        ok = say(bool(mf) and obj is not None and mf[1] in data,
                 "%s: %s %s is key '%s' of a mounted %s" %
                 (where, opt, path, mf[1] if mf else "?", kindname))
        return data[mf[1]] if ok else None

    known = serve_options()
    unknown = [k for k in args if k[2:] not in known]
    say(not unknown, "%s: every option is one `wasmbox serve` knows%s" %
        (where, " (not: %s)" % ", ".join(unknown) if unknown else ""))
    many = max([dep["spec"].get("replicas", 1)] +
               [get(h, "spec.maxReplicas", 1) for h in objs
                if h.get("kind") == "HorizontalPodAutoscaler"]) > 1
    if "shared-state" in known:
        say(not many or "--shared-state" in args,
            "%s: replicas share the state directory: --shared-state" % where)
    else:
        say(True, "%s: (this `wasmbox serve` has no --shared-state yet: "
            "replicas sharing a state directory need issue 21's leases)" % where)

    policy_text = file_from("--policy", "configMap", cms, "ConfigMap")
    keys_text = file_from("--api-keys", "secret", secrets, "Secret")
    if keys_text is not None:
        keys = [l.split(":", 1)[-1] for l in keys_text.splitlines()
                if l.strip() and not l.lstrip().startswith("#")]
        say(keys and all(len(k) < 16 for k in keys),
            "%s: the declared Secret holds only placeholders the server refuses" % where)
    state = args.get("--state-dir")
    mf = mount_for(c, state) if isinstance(state, str) else None
    v = vols.get(mf[0].get("name")) if mf else {}
    claim = get(v or {}, "persistentVolumeClaim.claimName")
    say(claim in pvcs and "ReadWriteMany" in (get(pvcs[claim], "spec.accessModes") or []),
        "%s: --state-dir %s is on a ReadWriteMany claim" % (where, state))

    # probes
    rt = routes()
    for probe, want in (("readinessProbe", "/healthz"), ("livenessProbe", None),
                        ("startupProbe", None)):
        p = get(c, probe + ".httpGet.path")
        if probe == "startupProbe" and p is None:
            continue
        say(p in rt and rt[p] is False,
            "%s: %s path %s is a route that needs no key" % (where, probe, p))
        if want:
            say(p == want, "%s: %s is %s (503 while draining)" % (where, probe, want))
        elif probe == "livenessProbe":
            say(p != "/healthz", "%s: livenessProbe is not /healthz (503 while "
                "draining would restart a draining server)" % where)
        port = get(c, probe + ".httpGet.port")
        say(port in [x.get("name") for x in c.get("ports") or []] +
            [x.get("containerPort") for x in c.get("ports") or []],
            "%s: %s port %s is a container port" % (where, probe, port))
    listen = args.get("--listen", "")
    cport = listen.rsplit(":", 1)[-1] if isinstance(listen, str) else ""
    say(cport.isdigit() and int(cport) in [x.get("containerPort") for x in c.get("ports") or []],
        "%s: --listen's port is a containerPort" % where)
    say(isinstance(listen, str) and not listen.startswith("127."),
        "%s: --listen is not loopback (probes and the Service reach it)" % where)

    check_security(where, pod, c)
    # writable paths: the root filesystem is read-only
    for path in ("/tmp", "/dev/shm", state):
        say(bool(mount_for(c, path)) and not mount_for(c, path)[0].get("readOnly"),
            "%s: %s is a writable volume" % (where, path))
    check_sizes(where, pod, c, args, vols, policy_text)
    return c


def check_sizes(where, pod, c, args, vols, policy_text):
    res = c.get("resources") or {}
    for kind in ("requests", "limits"):
        say(all(k in (res.get(kind) or {}) for k in ("cpu", "memory")),
            "%s: resources.%s has cpu and memory" % (where, kind))
    try:
        req, lim = res["requests"], res["limits"]
        say(cpu_cores(req["cpu"]) <= cpu_cores(lim["cpu"]) and
            size_bytes(req["memory"]) <= size_bytes(lim["memory"]),
            "%s: requests <= limits" % where)
        workers = int(args.get("--workers", 0))
        say(workers == cpu_cores(req["cpu"]),
            "%s: --workers %d = the CPUs requested (%s)" % (where, workers, req["cpu"]))
        pol = yaml.safe_load(policy_text or "") or {}
        budget = pol.get("budget") or {}
        mem = size_bytes(budget["memory"], k8s=False)
        disk = size_bytes(budget["disk"], k8s=False)
        timeout = seconds(budget["timeout"])
        say(timeout > 0, "%s: the policy's budget.timeout is not 0 (none): "
            "a drain would have no bound" % where)
        shm = next((v for v in vols.values() if mount_for(c, "/dev/shm") and
                    v.get("name") == mount_for(c, "/dev/shm")[0].get("name")), {})
        shm_size = size_bytes(get(shm, "emptyDir.sizeLimit", "0"))
        say(shm_size >= workers * disk,
            "%s: /dev/shm (%s) holds --workers x budget.disk" %
            (where, get(shm, "emptyDir.sizeLimit")))
        in_memory = get(shm, "emptyDir.medium") == "Memory"
        sessions = int(args.get("--max-sessions", 64))
        need = (BASE_MIB * 2**20 + workers * mem + (shm_size if in_memory else 0) +
                sessions * SESSION_MIB * 2**20)
        say(size_bytes(lim["memory"]) >= need,
            "%s: memory limit %s >= %d MiB (base %d + %d x budget.memory + "
            "/dev/shm + %d sessions x %d)" % (where, lim["memory"], need / 2**20,
                                              BASE_MIB, workers, sessions, SESSION_MIB))
        allowance = server_drain_allowance()
        say(allowance is not None, "%s: the server's drain allowance is found "
            "in src/server/http.c" % where)
        delay = seconds(args.get("--drain-delay", "0"))
        grace = pod.get("terminationGracePeriodSeconds", 30)
        need_s = delay + timeout + (allowance or 0) + GRACE_MARGIN_S
        say(grace >= need_s,
            "%s: terminationGracePeriodSeconds %s >= %g (drain delay %g + "
            "step timeout %g + server allowance %g + %d)" %
            (where, grace, need_s, delay, timeout, allowance or 0, GRACE_MARGIN_S))
    except yaml.YAMLError as e:
        say(False, "%s: the policy in the ConfigMap does not parse: %s" %
            (where, str(e).replace("\n", " ")))
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        say(False, "%s: sizes: %s" % (where, e))


def check_others(objs, dep, c):
    labels = get(dep, "spec.template.metadata.labels") or {}
    name = get(dep, "metadata.name")
    ports = [x.get("name") for x in c.get("ports") or []] + \
            [x.get("containerPort") for x in c.get("ports") or []]
    metrics = exported_metrics()
    for o in objs:
        kind, where = o.get("kind"), "%s/%s" % (o.get("kind"), get(o, "metadata.name"))
        if kind == "Service":
            say(matches(get(o, "spec.selector"), labels), "%s: selector matches the pods" % where)
            say(all(p.get("targetPort") in ports for p in get(o, "spec.ports") or []),
                "%s: targetPort is a container port" % where)
        elif kind == "PodDisruptionBudget":
            say(matches(get(o, "spec.selector.matchLabels"), labels),
                "%s: selector matches the pods" % where)
            say(("minAvailable" in o["spec"]) != ("maxUnavailable" in o["spec"]),
                "%s: minAvailable or maxUnavailable, one of them" % where)
            say(o["spec"].get("maxUnavailable", 1) != 0,
                "%s: maxUnavailable is not 0 (node drains would hang)" % where)
            floor = min([get(h, "spec.minReplicas", 1) for h in objs
                         if h.get("kind") == "HorizontalPodAutoscaler"] or [1])
            ma = o["spec"].get("minAvailable", 0)
            say(not isinstance(ma, int) or ma < floor,
                "%s: minAvailable %s < the HPA's minReplicas %d (else node "
                "drains hang)" % (where, ma, floor))
        elif kind == "NetworkPolicy":
            say(matches(get(o, "spec.podSelector.matchLabels"), labels),
                "%s: podSelector matches the pods" % where)
        elif kind == "HorizontalPodAutoscaler":
            ref = get(o, "spec.scaleTargetRef") or {}
            say(ref.get("kind") == "Deployment" and ref.get("name") == name,
                "%s: targets Deployment/%s" % (where, name))
            say(1 <= get(o, "spec.minReplicas", 1) <= get(o, "spec.maxReplicas", 0),
                "%s: 1 <= minReplicas <= maxReplicas" % where)
            for m in get(o, "spec.metrics") or []:
                if m.get("type") == "Resource":
                    r = get(m, "resource.name")
                    say(r in (get(c, "resources.requests") or {}),
                        "%s: %s utilization has a %s request to compare with" % (where, r, r))
                elif m.get("type") == "Pods":
                    n = get(m, "pods.metric.name")
                    say(n in metrics, "%s: metric %s is exported at /metrics" % (where, n))
                else:
                    say(False, "%s: metric type %s (Resource or Pods)" % (where, m.get("type")))


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "deploy/kubernetes")
    if not os.path.isdir(d):
        print("check-deploy: %s: not a directory" % d)
        return 2
    files = load(d)
    objs = []
    for rel, docs in sorted(files.items()):
        for o in docs:
            if not say(isinstance(o, dict), "%s: an object" % rel):
                continue
            check_object(rel, o)
            o["_file"] = rel
            objs.append(o)
    check_kustomization(d, files)
    main_objs = [o for o in objs if not o["_file"].startswith("optional" + os.sep)]
    deps = [o for o in main_objs if o.get("kind") == "Deployment"]
    if say(len(deps) == 1, "one Deployment (%d)" % len(deps)):
        # a manifest of an unexpected shape (a list where a mapping
        # belongs...) is one failure naming it, not a traceback
        try:
            c = check_deployment(deps[0]["_file"], deps[0], objs)
            if c:
                check_others(objs, deps[0], c)
        except (AttributeError, KeyError, TypeError, ValueError,
                yaml.YAMLError) as e:
            say(False, "the manifests' shape: %s: %s" % (type(e).__name__, e))
    hpas = [o for o in main_objs if o.get("kind") == "HorizontalPodAutoscaler"]
    say(len(hpas) == 1, "one HorizontalPodAutoscaler outside optional/ (%d)" % len(hpas))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
