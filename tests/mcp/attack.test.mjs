// attack.test.mjs: `wasmbox mcp` against a hostile client and hostile
// guest code (tests/attack/README.md, round 3), raw JSON-RPC without the
// SDK. Each case crosses a boundary: every answer must be one JSON-RPC
// error or tool error, the server must go on serving, memory and disk
// must stay bounded, nothing outside the workspace may be touched.
// Prints PASS/FAIL/SKIP per case and "N passed, N failed, N skipped".
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";

const build = resolve(process.env.WB_BUILD || join(import.meta.dirname, "../../build"));
const wasmbox = join(build, "wasmbox");
const guests = process.env.WASMBOX_GUESTS || join(build, "guests");
const have = {
  python: existsSync(join(guests, "python/python.wasm")),
  shell: existsSync(join(guests, "shell/dash.wasm")),
};
const state = mkdtempSync(join(tmpdir(), "wb-mcp-attack-"));
const policy = join(state, "policy.yaml");
writeFileSync(policy, [
  "version: 1",
  "budget:",
  `  timeout: ${process.env.WB_MCP_TIMEOUT || "3s"}`,
  "  memory: 512M",
  "session:",
  "  idle_expiry: 1h",
  "  languages: [python, shell]",
  "",
].join("\n"));
const env = { ...process.env, WASMBOX_STATE_DIR: state, WASMBOX_GUESTS: guests };
// peak RSS bounds: sanitizer builds (whose harnesses set WB_MCP_TIMEOUT)
// add shadow memory to every byte touched
const ramSlack = process.env.WB_MCP_TIMEOUT ? 4 : 1;

let passed = 0, failed = 0, skipped = 0;
async function test(name, needs, fn) {
  const missing = needs.filter((n) => !have[n]);
  if (missing.length) {
    skipped++;
    console.log(`SKIP ${name}: guest runtime not built (${missing.join(", ")})`);
    return;
  }
  try {
    await fn();
    passed++;
    console.log(`PASS ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split("\n").slice(0, 4).join("\n  ") : e}`);
  }
}

const rpc = (id, method, params) => ({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
const tool = (id, name, args) => rpc(id, "tools/call", { name, arguments: args });
const init = rpc(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {},
                                    clientInfo: { name: "attack", version: "1" } });

// A stdio server fed `chunks` (strings or Buffers, written in order);
// resolves to its exit code, its answers (parsed lines), stderr and the
// peak RSS in kB it reached (VmHWM, read once the answers are all in).
function stdio(chunks, { args = [], answers = null } = {}) {
  return new Promise((res, rej) => {
    const p = spawn(wasmbox, ["mcp", "--policy", policy, ...args], { env });
    let out = "", err = "", hwm = 0;
    const peak = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"));
        if (m) hwm = Math.max(hwm, +m[1]);
      } catch { /* gone */ }
    };
    p.stdout.on("data", (d) => {
      out += d;
      // the peak before stdin closes: the process is still there
      if (answers && out.split("\n").length - 1 >= answers) {
        peak();
        p.stdin.end();
      }
    });
    p.stderr.on("data", (d) => (err += d));
    p.on("error", rej);
    p.on("close", (code) => res({
      code, err, hwm,
      lines: out.split("\n").filter((l) => l).map((l) => JSON.parse(l)),
    }));
    p.stdin.on("error", () => {});
    (async () => {
      for (const c of chunks)
        if (!p.stdin.write(c))
          await new Promise((r) => p.stdin.once("drain", r));
      if (!answers)
        p.stdin.end();
    })();
  });
}
const line = (m) => (typeof m === "string" ? m : JSON.stringify(m)) + "\n";
const codeOf = (r) => (r.error ? r.error.code : "ok");

// --- messages ------------------------------------------------------------------
// Fixed: the stdio server read a line of any length (getline): a 300 MB
// line held 300 MB and more while jansson parsed it. A line is held up to
// 16 MiB, as an HTTP body is; past it one error, then the next line.
await test("stdio: a line past 16 MiB is one error, not held; the next is served", [], async () => {
  const big = JSON.stringify(rpc(1, "ping", { pad: "a".repeat(20 << 20) }));
  const r = await stdio([big + "\n", line(rpc(2, "ping"))], { answers: 2 });
  assert.equal(r.code, 0);
  assert.deepEqual(r.lines.map(codeOf), [-32600, "ok"]);
  assert.equal(r.lines[0].id, null);
  assert.match(r.lines[0].error.message, /longer than 16777216 bytes/);
  assert.ok(r.hwm < 120000 * ramSlack, `peak RSS ${r.hwm} kB`);
});

await test("stdio: a line without a newline at the end of input", [], async () => {
  const r = await stdio([JSON.stringify(rpc(1, "ping"))]);
  assert.deepEqual(r.lines.map((x) => x.id), [1]);
});

// Fixed: jansson spends 50 to 250 bytes on each value, so 16 MiB of
// "[{},{},...]" held 1.3 GB while parsed (per HTTP connection at once).
// A message of more than 100000 values is refused before parsing.
await test("stdio: 16 MiB of tiny JSON values is refused before parsing", [], async () => {
  const many = "[" + Array(5_000_000).fill("{}").join(",") + "]";
  const r = await stdio([line(many), line(rpc(2, "ping"))], { answers: 2 });
  assert.deepEqual(r.lines.map(codeOf), [-32600, "ok"]);
  assert.match(r.lines[0].error.message, /more than 100000 JSON values/);
  assert.ok(r.hwm < 250000 * ramSlack, `peak RSS ${r.hwm} kB`);
});

await test("stdio: a batch of 20000 pings (under the bound) is answered", [], async () => {
  const batch = Array.from({ length: 20000 }, (_, i) => rpc(i, "ping"));
  const r = await stdio([line(batch)]);
  assert.equal(r.lines.length, 1);
  assert.equal(r.lines[0].length, 20000);
});

await test("stdio: hostile messages: one error each, then still serving", [], async () => {
  const cases = [
    ["[".repeat(100000) + "]".repeat(100000), -32700],      // past jansson's depth
    ['{"jsonrpc":"2.0","id":1e400,"method":"ping"}', -32700],
    ['{"jsonrpc":"2.0","id":99999999999999999999999,"method":"ping"}', -32700],
    ['{"jsonrpc":"2.0","id":1.5,"method":"ping"}', -32600],
    ['{"jsonrpc":"2.0","id":true,"method":"ping"}', -32600],
    ['{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600],
    ['{"jsonrpc":"2.0","id":"a","id":"b","method":"ping"}', -32700],
    ['{"jsonrpc":"2.0","id":"a\\u0000b","method":"ping"}', -32700],
    ['{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}', -32700],
    ['{"jsonrpc":"2.0","id":"a\u0000b","method":"ping"}', -32700],   // a raw NUL
    ['{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":7}}', -32602],
    ['{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_file","arguments":[]}}', -32602],
    ['{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"read_file","arguments":{"path":{}}}}', -32602],
    ['{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"run_shell","arguments":{"code":"x","cwd":"/"}}}', -32602],
    ['{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"write_file","arguments":{"path":"a","content":"x","encoding":"utf-16"}}}', -32602],
    ['{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"../../bin/sh"}}', -32602],
    // each tool takes only its own arguments (fixed: one list served all)
    ['{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"run_shell","arguments":{"code":"x","path":"/"}}}', -32602],
    ['{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"a","content":"x"}}}', -32602],
    ['{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"fork_session","arguments":{"path":"a"}}}', -32602],
    ['{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"list_files","arguments":{"pat":"a"}}}', -32602],
    ['{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}', null],
    ['[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]', null],  // no answer
    ['{"jsonrpc":"2.0","id":8,"method":"ping"}', "ok"],
  ];
  const chunks = [Buffer.from(cases.map((c) => c[0]).join("\n") + "\n", "utf8"),
                  Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a])];   // invalid UTF-8
  const r = await stdio(chunks);
  assert.equal(r.code, 0);
  const want = cases.filter((c) => c[1] !== null).map((c) => c[1]).concat([-32700]);
  assert.deepEqual(r.lines.map(codeOf), want);
});

// Fixed: tools/call ran before initialize; over HTTP a batch of a failed
// initialize and a tool call made a session on disk whose id nobody got.
await test("stdio: tools/call before initialize is -32600 and makes nothing", [], async () => {
  const dir = mkdtempSync(join(state, "noinit-"));
  const w = (i) => line(tool(i, "write_file", { path: "f", content: "x" }));
  const p = spawnSync(wasmbox, ["mcp", "--policy", policy],
                      { env: { ...env, WASMBOX_STATE_DIR: dir }, encoding: "utf8",
                        input: w(1) + line(rpc(2, "tools/list")) + line(init) + w(3) });
  const r = p.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(r.map(codeOf), [-32600, "ok", "ok", "ok"]);
  assert.match(r[0].error.message, /before initialize/);
  assert.equal(r[3].result.isError, false);
});

// Fixed: --session with an id longer than 63 characters was cut to 63,
// a session other than the one asked for (created if need be).
await test("stdio: --session with a bad or too long id: one line, exit 2", [], async () => {
  for (const id of ["../x", "a/b", "", ".hidden", "x".repeat(64)]) {
    const r = spawnSync(wasmbox, ["mcp", "--policy", policy, "--session", id],
                        { env, input: line(rpc(1, "ping")), encoding: "utf8" });
    assert.equal(r.status, 2, `--session '${id}': ${r.status} ${r.stdout}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /not a session id/);
  }
  assert.ok(!readdirSync(join(state, "sessions")).some((d) => d.startsWith("xxx")));
});

await test("stdio: stdin closed while a step runs: its answer still comes, exit 0", ["shell"], async () => {
  const r = await stdio([line(init), line(tool(1, "run_shell", { code: "sleep 1; echo done" })),
                         line({ jsonrpc: "2.0", method: "notifications/cancelled",
                                params: { requestId: 1 } })]);
  assert.equal(r.code, 0);
  assert.equal(r.lines.at(-1).result.structuredContent.stdout, "done\n");
});

// Fixed: list_files of an empty workspace passed qsort a NULL array
// (undefined behaviour: the sanitizer build's server died of it).
await test("list_files of an empty workspace, twice: the server lives on", [], async () => {
  const r = await stdio([line(init), line(tool(1, "list_files", {})), line(tool(2, "list_files", { path: "/work" })),
                         line(rpc(3, "ping"))]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.lines.slice(1).map(codeOf), ["ok", "ok", "ok"]);
  assert.deepEqual(r.lines[1].result.structuredContent.files, []);
  assert.doesNotMatch(r.err, /runtime error|Sanitizer/);
});

// Fixed: with stdout closed (the client gone or not reading answers) the
// server went on running every request left in stdin, answering nobody.
await test("stdio: stdout closed: the requests after it are not run", [], async () => {
  const dir = mkdtempSync(join(state, "epipe-"));
  const p = spawn(wasmbox, ["mcp", "--policy", policy, "--session", "epipe"],
                  { env: { ...env, WASMBOX_STATE_DIR: dir } });
  p.stdout.destroy();
  let err = "";
  p.stderr.on("data", (d) => (err += d));
  const code = await new Promise((res) => {
    p.on("close", res);
    p.stdin.on("error", () => {});
    const w = (i) => line(tool(i, "write_file", { path: `f${i}`, content: "x" }));
    p.stdin.write(line(init));
    setTimeout(() => p.stdin.end(w(1) + w(2) + w(3)), 200);
  });
  assert.equal(code, 0);
  assert.match(err, /stdout is closed/);
  assert.ok(!existsSync(join(dir, "sessions/epipe/work/f2")), "f2 was written");
});

// --- files and guest code ---------------------------------------------------------
await test("file tools: path tricks are tool errors; nothing outside is written", ["shell"], async () => {
  const outside = join(state, "outside.txt");
  const paths = ["/etc/passwd", "/work/../../etc/passwd", "../outside.txt", "a/../../x",
                 "x".repeat(300), "a/".repeat(3000) + "x", outside, "/work2/x"];
  const msgs = [line(init)];
  let id = 1;
  for (const p of paths) {
    msgs.push(line(tool(id++, "read_file", { path: p })));
    msgs.push(line(tool(id++, "write_file", { path: p, content: "pwned" })));
    msgs.push(line(tool(id++, "list_files", { path: p })));
  }
  // guest code: links (refused by the WASI layer: EPERM) and a FIFO
  const guestId = id;
  msgs.push(line(tool(id++, "run_shell", { code: "ln -s /etc d; ln -s .. up; mkfifo f; ls -l" })));
  for (const p of ["d/passwd", "up/outside.txt", "f"])
    msgs.push(line(tool(id++, "read_file", { path: p })));
  msgs.push(line(tool(id++, "write_file", { path: "up/outside.txt", content: "pwned" })));
  msgs.push(line(rpc(id++, "ping")));
  const r = await stdio(msgs);
  assert.equal(r.code, 0);
  for (const a of r.lines.slice(1, -2))
    if (a.id !== guestId)
      assert.equal(a.result && a.result.isError, true, JSON.stringify(a).slice(0, 300));
  const ls = r.lines.find((a) => a.id === guestId).result.structuredContent;
  assert.doesNotMatch(ls.stdout, /->/, "the guest made a symlink");
  assert.equal(codeOf(r.lines.at(-1)), "ok");
  assert.ok(!existsSync(outside) && !existsSync("/etc/x") && !existsSync("/etc/passwd/x"));
});

// --- sessions on disk ---------------------------------------------------------------
const sessionsIn = (dir) => existsSync(join(dir, "sessions"))
  ? readdirSync(join(dir, "sessions")).filter((d) => !d.startsWith(".")) : [];

// Fixed: fork_session in a loop made sessions on disk without end (30
// forks of a 30 MB workspace wrote 900 MB in 2 s).
await test("fork_session stops at --max-stored-sessions; the parent goes on", [], async () => {
  const dir = mkdtempSync(join(state, "forks-"));
  const msgs = [line(init), line(tool(1, "write_file", { path: "a.txt", content: "x".repeat(100000) }))];
  for (let i = 0; i < 6; i++)
    msgs.push(line(tool(10 + i, "fork_session", {})));
  msgs.push(line(tool(20, "read_file", { path: "a.txt" })));
  const p = spawnSync(wasmbox, ["mcp", "--policy", policy, "--max-stored-sessions", "4"],
                      { env: { ...env, WASMBOX_STATE_DIR: dir }, input: msgs.join(""), encoding: "utf8" });
  assert.equal(p.status, 0, p.stderr);
  const r = p.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const forks = r.filter((a) => a.id >= 10 && a.id < 20).map((a) => a.result);
  assert.deepEqual(forks.map((f) => f.isError), [false, false, false, true, true, true]);
  assert.match(forks[3].structuredContent.error, /holds 4 sessions.*--max-stored-sessions 4/);
  assert.equal(sessionsIn(dir).length, 4);
  assert.equal(r.at(-1).result.structuredContent.bytes, 100000);
});

// HTTP, raw: a server of its own in `dir`: its port, and stop(), which
// ends it with SIGTERM and checks that it exits 0 with no sanitizer report.
async function startHttp(dir, extra = []) {
  const srv = spawn(wasmbox, ["mcp", "--policy", policy, "--http", "127.0.0.1:0", ...extra],
                    { env: { ...env, WASMBOX_STATE_DIR: dir } });
  let log = "";
  const exited = new Promise((res) => srv.on("close", (code) => res(code)));
  const port = await new Promise((res, rej) => {
    srv.stderr.on("data", (d) => {
      log += d;
      const m = /127\.0\.0\.1:(\d+)\/mcp/.exec(log);
      if (m) res(+m[1]);
    });
    exited.then((code) => rej(new Error(`server exited ${code}: ${log}`)));
  });
  const stop = async () => {
    srv.kill("SIGTERM");
    const code = await exited;
    assert.equal(code, 0, log);
    assert.doesNotMatch(log, /Sanitizer|runtime error/, log);
  };
  return { srv, port, stop };
}

// One request; resolves to {status, sid, body (parsed when JSON)}.
function request(port, { method = "POST", body = "", headers = {} } = {}) {
  return new Promise((res, rej) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/mcp", method, agent: false,
                               headers: { "Content-Type": "application/json",
                                          Accept: "application/json, text/event-stream", ...headers } },
                             (r) => {
      let b = "";
      r.on("data", (d) => (b += d));
      r.on("end", () => {
        let j = b;
        try { j = JSON.parse(b); } catch { /* text */ }
        res({ status: r.statusCode, sid: r.headers["mcp-session-id"], body: j });
      });
    });
    req.on("error", rej);
    req.end(typeof body === "string" ? body : JSON.stringify(body));
  });
}

// Fixed: over HTTP, initialize + one tool call + DELETE, again and
// again, left a session on disk each time.
await test("HTTP: new sessions on disk stop at --max-stored-sessions; resuming one still works", [], async () => {
  const dir = mkdtempSync(join(state, "http-"));
  const { port, stop } = await startHttp(dir, ["--max-stored-sessions", "2"]);
  try {
    const sids = [], codes = [];
    for (let i = 0; i < 3; i++) {
      const a = await request(port, { body: init });
      sids.push(a.sid);
      const b = await request(port, { body: tool(1, "write_file", { path: "f", content: "x" }),
                                      headers: { "Mcp-Session-Id": a.sid } });
      codes.push(b.body.error ? b.body.error.code : "ok");
      if (i === 2)
        assert.match(b.body.error.message, /--max-stored-sessions 2/);
      assert.equal((await request(port, { method: "DELETE", headers: { "Mcp-Session-Id": a.sid } })).status, 200);
    }
    assert.deepEqual(codes, ["ok", "ok", -32603]);
    assert.equal(sessionsIn(dir).length, 2);
    const again = await request(port, { body: tool(2, "read_file", { path: "f" }),
                                        headers: { "Mcp-Session-Id": sids[0] } });
    assert.equal(again.body.result.structuredContent.content, "x");
  } finally {
    await stop();
  }
});

// Fixed: the Host header was not looked at; a name rebound to 127.0.0.1
// reached the server under its own name (Origin was checked).
await test("HTTP: a Host or Origin that is not loopback gets 403; hostile headers and bodies", [], async () => {
  const dir = mkdtempSync(join(state, "hdr-"));
  const { port, stop } = await startHttp(dir);
  try {
    const st = async (headers, body = init) => (await request(port, { body, headers })).status;
    for (const h of ["evil.example", `evil.example:${port}`, `127.0.0.1.evil.example:${port}`,
                     "127.0.0.1:80x", "[::1", "0x7f000001", "localhost:"])
      assert.equal(await st({ Host: h }), 403, `Host: ${h}`);
    for (const h of [`127.0.0.1:${port}`, "localhost", `LOCALHOST:${port}`, "[::1]:1", "127.9.9.9"])
      assert.equal(await st({ Host: h }), 200, `Host: ${h}`);
    for (const o of ["null", "http://evil.example", "http://localhost.evil.example",
                     "http://127.0.0.1.evil.example", "file://"])
      assert.equal(await st({ Origin: o }), 403, `Origin: ${o}`);
    assert.equal(await st({ Origin: `http://localhost:${port}` }), 200);
    // session ids: unknown, path-like, over-long: 404 (nothing made)
    for (const sid of ["../../etc", "sessions", "a/b", "x".repeat(200), "."])
      assert.equal(await st({ "Mcp-Session-Id": sid }, rpc(1, "ping")), 404, sid);
    assert.equal(await st({}, rpc(1, "ping")), 400);
    assert.equal(await st({}, "[" + Array(200000).fill("1").join(",") + "]"), 400);
    const a = await request(port, { body: init });
    const big = await request(port, { body: "[" + Array(200000).fill("{}").join(",") + "]",
                                      headers: { "Mcp-Session-Id": a.sid } });
    assert.equal(big.body.error.code, -32600);
    const huge = await request(port, { body: "x".repeat(17 << 20), headers: { "Mcp-Session-Id": a.sid } });
    assert.equal(huge.status, 413);
    assert.equal((await request(port, { method: "GET", headers: { "Mcp-Session-Id": a.sid } })).status, 405);
    assert.equal((await request(port, { body: rpc(2, "ping"), headers: { "Mcp-Session-Id": a.sid } })).status, 200);
    const badInit = await request(port, { body: [rpc(1, "initialize", {}),
                                                 tool(2, "write_file", { path: "f", content: "x" })] });
    assert.equal(badInit.sid, undefined);
    assert.deepEqual(badInit.body.map(codeOf), [-32602, -32600]);
    assert.deepEqual(sessionsIn(dir), []);
  } finally {
    await stop();
  }
});

// Fixed: a DELETE while a tool call ran let the next request with that id
// open the session a second time beside the running one (two
// interpreters on one workspace); it now gets 409 until the call answered.
await test("HTTP: DELETE while a call runs: that id gets 409 until the call answered", ["shell"], async () => {
  const dir = mkdtempSync(join(state, "del-"));
  const { port, stop } = await startHttp(dir);
  try {
    const a = await request(port, { body: init });
    const hdr = { "Mcp-Session-Id": a.sid };
    const slow = request(port, { body: tool(1, "run_shell", { code: "sleep 1.5; echo slow" }), headers: hdr });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await request(port, { method: "DELETE", headers: hdr })).status, 200);
    const mid = await request(port, { body: tool(2, "run_shell", { code: "echo mid" }), headers: hdr });
    assert.equal(mid.status, 409, JSON.stringify(mid.body));
    assert.match(mid.body.error.message, /closed \(DELETE\) while a tool call ran/);
    assert.equal((await slow).body.result.structuredContent.stdout, "slow\n");
    const after = await request(port, { body: tool(3, "run_shell", { code: "echo after" }), headers: hdr });
    assert.equal(after.body.result.structuredContent.stdout, "after\n");
  } finally {
    await stop();
  }
});

// Fixed: tool calls of all sessions ran at once: 16 sessions printing
// 16 MiB each held 1.4 GB of answers in the server (256 sessions: ~23
// GB). --workers bounds them; pings do not wait.
await test("HTTP: --workers 1: another session's call waits its turn, a ping does not", ["shell"], async () => {
  const dir = mkdtempSync(join(state, "workers-"));
  const { port, stop } = await startHttp(dir, ["--workers", "1"]);
  try {
    const a = (await request(port, { body: init })).sid;
    const b = (await request(port, { body: init })).sid;
    const t0 = Date.now();
    const slow = request(port, { body: tool(1, "run_shell", { code: "sleep 1.5" }),
                                 headers: { "Mcp-Session-Id": a } }).then(() => Date.now() - t0);
    await new Promise((r) => setTimeout(r, 300));
    const ping = await request(port, { body: rpc(2, "ping"), headers: { "Mcp-Session-Id": b } });
    assert.equal(ping.status, 200);
    assert.ok(Date.now() - t0 < 1200, `the ping took ${Date.now() - t0} ms`);
    const fast = await request(port, { body: tool(3, "run_shell", { code: "echo b" }),
                                       headers: { "Mcp-Session-Id": b } });
    const fastAt = Date.now() - t0;
    assert.equal(fast.body.result.structuredContent.stdout, "b\n");
    const slowAt = await slow;
    assert.ok(fastAt >= slowAt, `b answered at ${fastAt} ms, before a's end at ${slowAt} ms`);
  } finally {
    await stop();
  }
});

rmSync(state, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
