#!/usr/bin/env python3
"""openapi_check.py: check a running `wasmbox serve` against docs/openapi.json.

usage: openapi_check.py BASE_URL API_KEY OPENAPI.json ROUTES_FILE

ROUTES_FILE is the output of `wasmbox serve --list-routes`. Checks:
  - the document's (method, path) pairs and the server's routes are the
    same set (nothing served is undocumented, nothing documented is missing);
  - for every operation, a request built from the document's example gets
    a status the operation lists, and a JSON answer has the required fields
    of the documented schema (recursively, through $ref and allOf);
  - every operation that needs a key answers 401 (documented) without one.
Prints one line per check ("ok ..." / "FAIL ..."); exits 1 on a failure.
"""
import json
import sys
import urllib.error
import urllib.request

base, key, doc_path, routes_path = sys.argv[1:5]
doc = json.load(open(doc_path))
failures = 0


def say(ok, what):
    global failures
    if not ok:
        failures += 1
    print(("ok   " if ok else "FAIL ") + what)


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/")
        cur = doc
        for part in ref[2:].split("/"):
            cur = cur[part]
        node = cur
    return node


def check_required(schema, value, where):
    """Required fields of schema present in value (recursively)."""
    schema = resolve(schema)
    problems = []
    for sub in schema.get("allOf", []):
        problems += check_required(sub, value, where)
    if schema.get("type") == "object" or "properties" in schema:
        if not isinstance(value, dict):
            return problems + ["%s: expected an object" % where]
        for name in schema.get("required", []):
            if name not in value:
                problems.append("%s: missing required field '%s'" % (where, name))
        for name, sub in schema.get("properties", {}).items():
            if name in value and value[name] is not None:
                problems += check_required(sub, value[name], where + "." + name)
    if schema.get("type") == "array" and isinstance(value, list):
        for i, item in enumerate(value):
            problems += check_required(schema.get("items", {}), item,
                                       "%s[%d]" % (where, i))
    return problems


def request(method, url, body=None, ctype=None, auth=True):
    req = urllib.request.Request(base + url, data=body, method=method)
    if ctype:
        req.add_header("Content-Type", ctype)
    if auth:
        req.add_header("Authorization", "Bearer " + key)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


# 1. documented routes == served routes
served = set()
for line in open(routes_path):
    if line.strip():
        m, p = line.split()
        served.add((m.upper(), p))
documented = set()
for p, item in doc["paths"].items():
    for m in item:
        if m in ("get", "put", "post", "delete", "patch", "head", "options"):
            documented.add((m.upper(), p))
for m, p in sorted(served - documented):
    say(False, "served but not documented: %s %s" % (m, p))
for m, p in sorted(documented - served):
    say(False, "documented but not served: %s %s" % (m, p))
say(served == documented, "documented routes == served routes (%d)" % len(served))

# 2. every operation, with the document's example
status, _, body = request("POST", "/v1/sessions", b"{}", "application/json")
sid = json.loads(body)["id"] if status == 201 else "missing"
order = {"post": 0, "put": 1, "get": 2, "delete": 3}
ops = []
for p, item in doc["paths"].items():
    for m, op in item.items():
        if m in order:
            ops.append((p.count("{") == 1 and m == "delete", order[m], p, m, op))
ops.sort(key=lambda t: (t[0], t[1], t[2]))
for _, _, p, m, op in ops:
    url = p.replace("{id}", sid).replace("{path}", "conf/a.txt")
    body = ctype = None
    rb = op.get("requestBody")
    if rb:
        ctype, media = next(iter(rb["content"].items()))
        ex = media.get("example", {})
        body = (json.dumps(ex).encode() if ctype == "application/json"
                else str(ex).encode())
    secured = op.get("security", doc.get("security")) != []
    if secured:
        st, _, _ = request(m.upper(), url, body, ctype, auth=False)
        say(st == 401 and "401" in op["responses"],
            "%s %s without a key -> %d" % (m.upper(), p, st))
    st, rtype, rbody = request(m.upper(), url, body, ctype)
    listed = str(st) in op["responses"]
    say(listed, "%s %s -> %d (documented: %s)" % (m.upper(), p, st,
                                                 ", ".join(op["responses"])))
    if not listed:
        continue
    resp = resolve(op["responses"][str(st)])
    content = resp.get("content", {})
    if "application/json" in content:
        try:
            value = json.loads(rbody)
        except ValueError:
            say(False, "%s %s: the answer is not JSON" % (m.upper(), p))
            continue
        probs = check_required(content["application/json"].get("schema", {}),
                               value, "response")
        say(not probs and rtype.startswith("application/json"),
            "%s %s: JSON answer has the documented fields%s" %
            (m.upper(), p, ": " + "; ".join(probs) if probs else ""))
    elif content:
        want = next(iter(content))
        say(rtype.split(";")[0] == want.split(";")[0],
            "%s %s: content type %s" % (m.upper(), p, rtype))

sys.exit(1 if failures else 0)
