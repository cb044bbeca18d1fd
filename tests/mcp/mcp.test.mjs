// mcp.test.mjs: drives `wasmbox mcp` with the official MCP TypeScript SDK
// (stdio and Streamable HTTP), plus raw malformed JSON-RPC over stdio.
// Prints PASS/FAIL/SKIP per case and "N passed, N failed, N skipped".
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";

const build = resolve(process.env.WB_BUILD || join(import.meta.dirname, "../../build"));
const wasmbox = join(build, "wasmbox");
const guests = process.env.WASMBOX_GUESTS || join(build, "guests");
const have = {
  python: existsSync(join(guests, "python/python.wasm")),
  js: existsSync(join(guests, "js/qjs.wasm")),
  sqlite: existsSync(join(guests, "sqlite/sqlite3.wasm")),
  shell: existsSync(join(guests, "shell/dash.wasm")),
};
const state = mkdtempSync(join(tmpdir(), "wb-mcp-test-"));
const policy = join(state, "policy.yaml");
writeFileSync(policy, [
  "version: 1",
  "budget:",
  `  timeout: ${process.env.WB_MCP_TIMEOUT || "3s"}`,   // longer for sanitizer builds
  "  memory: 512M",
  "session:",
  "  idle_expiry: 1h",
  "  languages: [python, javascript, sql, lua, shell]",
  "",
].join("\n"));
const env = { ...process.env, WASMBOX_STATE_DIR: state, WASMBOX_GUESTS: guests };

let passed = 0, failed = 0, skipped = 0;
async function test(name, needs, fn) {
  const missing = needs.filter((n) => !have[n]);
  if (missing.length) {
    skipped++;
    console.log(`SKIP ${name}: guest runtime not built (${missing.join(", ")}; run 'make guests')`);
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

async function stdioClient(extra = []) {
  const transport = new StdioClientTransport({
    command: wasmbox, args: ["mcp", "--policy", policy, ...extra], env, stderr: "pipe",
  });
  const client = new Client({ name: "wasmbox-test", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

const text = (r) => r.content.map((c) => c.text).join("");
const call = (c, name, args) => c.callTool({ name, arguments: args });

// --- stdio, through the SDK ------------------------------------------------
let client;
await test("stdio: initialize", [], async () => {
  client = await stdioClient();
  const info = client.getServerVersion();
  assert.equal(info.name, "wasmbox");
  assert.ok(client.getServerCapabilities().tools);
});

await test("stdio: tools/list", [], async () => {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const n of ["run_python", "run_javascript", "run_sql", "run_lua", "run_shell",
                   "write_file", "read_file", "list_files", "reset_session",
                   "fork_session"])
    assert.ok(names.includes(n), `missing ${n} in ${names}`);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, "object");
    assert.ok(t.description.length > 40, `${t.name} needs a description`);
  }
});

await test("run_python prints", ["python"], async () => {
  const r = await call(client, "run_python", { code: "print('hello', 6 * 7)" });
  assert.equal(r.isError, false);
  assert.equal(r.structuredContent.stdout, "hello 42\n");
  assert.equal(r.structuredContent.outcome, "exited");
  assert.equal(r.structuredContent.exit_code, 0);
  assert.equal(r.structuredContent.stdout_truncated, false);
  // which tier ran: native when the cache holds python.wasm's code
  // (tests/http/native.sh checks that case), else interp
  assert.ok(["native", "interp"].includes(r.structuredContent.tier),
            `tier ${r.structuredContent.tier}`);
  assert.match(text(r), /hello 42/);
});

await test("run_python keeps a variable across calls", ["python"], async () => {
  let r = await call(client, "run_python", { code: "x = 41" });
  assert.equal(r.isError, false);
  r = await call(client, "run_python", { code: "print(x + 1)" });
  assert.equal(r.structuredContent.stdout, "42\n");
  assert.equal(r.structuredContent.state_kept, true);
});

await test("run_python exception is an error result", ["python"], async () => {
  const r = await call(client, "run_python", { code: "1/0" });
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.exit_code, 1);
  assert.match(r.structuredContent.stderr, /ZeroDivisionError/);
  const again = await call(client, "run_python", { code: "x" });
  assert.equal(again.structuredContent.stdout, "41\n");   // state survived
});

// issue 19: the session's Python kernel is the root of a process tree
// (docs/processes.md, "Session kernels"): subprocess starts child guests
await test("run_python: subprocess starts a child in the kernel", ["python", "shell"], async () => {
  const code = [
    "import subprocess",
    "r = subprocess.run(['echo', '7'], capture_output=True)",
    "print('ran', r.stdout)",
  ].join("\n");
  const r = await call(client, "run_python", { code });
  assert.equal(r.isError, false, text(r));
  assert.equal(r.structuredContent.stdout, "ran b'7\\n'\n");
  assert.equal(r.structuredContent.processes.started, 2);
  const again = await call(client, "run_python", { code: "print(x)" });
  assert.equal(again.structuredContent.stdout, "41\n");   // the kernel lives on
});

await test("run_python: subprocess.run(['ls', '-l']) and os.system(grep | tee) on /work", ["python", "shell"], async () => {
  let r = await call(client, "run_python", { code: [
    "import os, subprocess",
    "open('data.txt', 'w').write('ax\\nb\\nxx\\n')",
    "r = subprocess.run(['ls', '-l'], capture_output=True)",
    "print(r.returncode, r.stdout.decode())",
  ].join("\n") });
  assert.equal(r.isError, false, text(r));
  assert.match(r.structuredContent.stdout, /^0 .* data\.txt\n/s);
  r = await call(client, "run_python", { code: "print(os.system('grep -c x data.txt | tee n'))" });
  assert.equal(r.structuredContent.stdout, "2\n0\n", text(r));
  assert.equal(r.structuredContent.processes.started, 4, text(r));   // sh, grep, tee
  r = await call(client, "run_python", { code: "print(open('n').read(), end='')" });
  assert.equal(r.structuredContent.stdout, "2\n", text(r));
  assert.equal(r.structuredContent.processes, undefined);
  r = await call(client, "run_shell", { code: "cat n" });
  assert.equal(r.structuredContent.stdout, "2\n", text(r));
});

await test("run_python: a child left running is killed when the call returns", ["python", "shell"], async () => {
  let r = await call(client, "run_python", { code:
    "p = subprocess.Popen(['sh', '-c', 'sleep 4; echo late > late1.txt'])" });
  assert.equal(r.isError, false, text(r));
  assert.ok(r.structuredContent.wall_time_ms < 4000, text(r));
  await new Promise((res) => setTimeout(res, 5000));
  r = await call(client, "run_python", { code: "print(p.poll(), os.path.exists('late1.txt'))" });
  assert.equal(r.structuredContent.stdout, "-9 False\n", text(r));
});

// the step's deadline (the policy's timeout) ends the child with it
const stepS = parseFloat(process.env.WB_MCP_TIMEOUT || "3s");
await test("run_python: a child sleeping past the deadline ends with the step", ["python", "shell"], async () => {
  const t0 = Date.now();
  let r = await call(client, "run_python", { code:
    `x = 0\nsubprocess.run(['sh', '-c', 'sleep ${stepS + 2}; echo late > late2.txt'])` });
  assert.equal(r.structuredContent.outcome, "timeout", text(r));
  assert.equal(r.structuredContent.rolled_back, true, text(r));
  await new Promise((res) => setTimeout(res, Math.max(0, t0 + (stepS + 3) * 1000 - Date.now())));
  r = await call(client, "run_python", { code: "print(x, os.path.exists('late2.txt'))" });
  assert.equal(r.structuredContent.stdout, "41 False\n", text(r));
});

await test("run_python: spawning in a loop ends at max_processes", ["python", "shell"], async () => {
  let r = await call(client, "run_python", { code: [
    "ps = []",
    "try:",
    "    while True:",
    "        ps.append(subprocess.Popen(['sleep', '30']))",
    "except OSError as e:",
    "    print(len(ps), e.errno, type(e).__name__)",
  ].join("\n") });
  assert.equal(r.isError, false, text(r));
  assert.equal(r.structuredContent.stdout, "15 6 BlockingIOError\n", text(r));
  const p = r.structuredContent.processes;
  assert.ok(p.started === 16 && p.max_live === 16 && p.refused >= 1, JSON.stringify(p));
  assert.match(text(r), /processes: 16 started, at most 16 at once, \d+ refused \(the session's max_processes\)/);
  r = await call(client, "run_python", { code: "print(sorted(set(p.wait() for p in ps)), x)" });
  assert.equal(r.structuredContent.stdout, "[-9] 41\n", text(r));
});

// issue 19: one session's files, seen by both languages
await test("run_python writes a file, run_shell greps it and answers", ["python", "shell"], async () => {
  let r = await call(client, "run_python",
                     { code: "open('/work/found.txt', 'w').write('alpha\\nbeta x\\ngamma x\\n')" });
  assert.equal(r.isError, false);
  r = await call(client, "run_shell",
                 { code: "grep -c x found.txt && wc -l < found.txt && echo made by sh > shell.txt" });
  assert.equal(r.isError, false, JSON.stringify(r.structuredContent));
  assert.equal(r.structuredContent.stdout, "2\n3\n");
  r = await call(client, "run_python", { code: "print(open('/work/shell.txt').read(), end='')" });
  assert.equal(r.structuredContent.stdout, "made by sh\n");
});

await test("run_shell: a missing command is status 127", ["shell"], async () => {
  const r = await call(client, "run_shell", { code: "nosuchtool --help" });
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.exit_code, 127);
  assert.match(r.structuredContent.stderr, /nosuchtool: not found/);
});

await test("write_file then read it from Python", ["python"], async () => {
  let r = await call(client, "write_file", { path: "notes/a.txt", content: "first line\n" });
  assert.equal(r.isError, false);
  r = await call(client, "run_python", { code: "print(open('notes/a.txt').read().strip())" });
  assert.equal(r.structuredContent.stdout, "first line\n");
});

await test("Python writes a file, read_file reads it", ["python"], async () => {
  let r = await call(client, "run_python", { code: "open('/work/out.csv', 'w').write('a,b\\n1,2\\n')" });
  assert.equal(r.isError, false);
  r = await call(client, "read_file", { path: "out.csv" });
  assert.equal(r.isError, false);
  assert.equal(text(r), "a,b\n1,2\n");
  r = await call(client, "list_files", {});
  const paths = r.structuredContent.files.map((f) => f.path);
  assert.ok(paths.includes("out.csv") && paths.includes("notes/a.txt"), paths.join(","));
});

await test("binary files round-trip as base64", [], async () => {
  const data = Buffer.from([0, 255, 1, 128, 10]).toString("base64");
  let r = await call(client, "write_file", { path: "bin.dat", content: data, encoding: "base64" });
  assert.equal(r.isError, false);
  r = await call(client, "read_file", { path: "/work/bin.dat" });
  assert.equal(r.structuredContent.encoding, "base64");
  assert.equal(r.structuredContent.content, data);
});

await test("path outside the workspace is a clean error", [], async () => {
  for (const path of ["../../etc/passwd", "/etc/passwd", "a/../../x"]) {
    const r = await call(client, "read_file", { path });
    assert.equal(r.isError, true, path);
    assert.match(text(r), /outside the workspace/, path);
  }
  const w = await call(client, "write_file", { path: "/tmp/evil", content: "x" });
  assert.equal(w.isError, true);
});

await test("symlink out of the workspace is refused", ["python"], async () => {
  await call(client, "run_python", { code: "import os\ntry:\n  os.symlink('/etc/passwd', 'link')\nexcept OSError as e:\n  print(e)" });
  const r = await call(client, "read_file", { path: "link" });
  assert.equal(r.isError, true);
});

await test("a timeout after x = 1 rolls back to x == 1 (a worker's checkpoint)", ["python"], async () => {
  let r = await call(client, "run_python", { code: "x = 1" });
  assert.equal(r.isError, false, text(r));
  r = await call(client, "run_python", { code: "x = 2\nwhile True: pass" });
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.outcome, "timeout");
  assert.equal(r.structuredContent.rolled_back, true);
  assert.equal(r.structuredContent.state_lost, false);
  const live = r.structuredContent.live_step;
  assert.ok(Number.isInteger(live) && live >= 1, `live_step ${live}`);
  assert.match(r.structuredContent.note, /rolled back to its state after step/);
  const next = await call(client, "run_python", { code: "print(x == 1)" });
  assert.equal(next.structuredContent.stdout, "True\n");
  assert.equal(next.structuredContent.rolled_back, false);
  // a second failure rolls back again, to the step after the first one
  r = await call(client, "run_python", { code: "x = 3\n1 / 0" });
  r = await call(client, "run_python", { code: "x = 4\nwhile True: pass" });
  assert.equal(r.structuredContent.rolled_back, true);
  assert.equal(r.structuredContent.live_step, live + 2);
  const again = await call(client, "run_python", { code: "print(x)" });
  assert.equal(again.structuredContent.stdout, "3\n");
  // files survive the rollback
  const f = await call(client, "run_python", { code: "print(open('out.csv').readline().strip())" });
  assert.equal(f.structuredContent.stdout, "a,b\n");
});

await test("run_javascript keeps globals", ["js"], async () => {
  let r = await call(client, "run_javascript", { code: "let n = 20; function twice(v) { return 2 * v; }" });
  assert.equal(r.isError, false, text(r));
  r = await call(client, "run_javascript", { code: "console.log(twice(n) + 2)" });
  assert.equal(r.structuredContent.stdout, "42\n");
});

await test("run_sql against a workspace database", ["sqlite"], async () => {
  let r = await call(client, "run_sql", { sql: "create table t(a int); insert into t values (2),(40);" });
  assert.equal(r.isError, false, text(r));
  r = await call(client, "run_sql", { sql: "select sum(a) as s from t;" });
  assert.equal(r.structuredContent.stdout, "s\n42\n");
  r = await call(client, "run_sql", { sql: "select * from nope;" });
  assert.equal(r.isError, true);
});

await test("invalid tool arguments are a JSON-RPC error", [], async () => {
  await assert.rejects(call(client, "run_python", {}), /-32602|required/);
  await assert.rejects(call(client, "no_such_tool", {}), /-32602|Unknown tool/);
});

await test("stdio: close", [], async () => { await client.close(); });

// --- persistence across a process restart ----------------------------------
await test("session persists across a server restart", ["python"], async () => {
  const id = "restart-test";
  let c = await stdioClient(["--session", id]);
  let r = await call(c, "run_python", { code: "y = 5\nopen('keep.txt', 'w').write('still here')" });
  assert.equal(r.structuredContent.session_id, id);
  await c.close();
  c = await stdioClient(["--session", id]);
  r = await call(c, "read_file", { path: "keep.txt" });
  assert.equal(text(r), "still here");
  r = await call(c, "run_python", { code: "print(y)" });
  assert.equal(r.structuredContent.stdout, "5\n", text(r));
  assert.match(r.structuredContent.note, /restored from its checkpoint on disk/);
  await c.close();
  const list = await runCapture(["session", "list"]);
  assert.match(list, /restart-test/);
});

// --- fork_session: a new session from this one --------------------------------
await test("fork_session: the fork diverges without touching its parent", ["python"], async () => {
  const id = "fork-parent";
  const c = await stdioClient(["--session", id]);
  let r = await call(c, "run_python", { code: "x = 1\nopen('f.txt', 'w').write('one')" });
  assert.equal(r.isError, false, text(r));
  r = await call(c, "fork_session", {});
  assert.equal(r.isError, false, text(r));
  const fid = r.structuredContent.fork_id;
  assert.equal(r.structuredContent.session_id, id);
  assert.ok(fid && fid !== id, text(r));
  const f = await stdioClient(["--session", fid]);
  r = await call(f, "run_python", { code: "print(x, open('f.txt').read())" });
  assert.equal(r.structuredContent.stdout, "1 one\n", text(r));
  r = await call(f, "run_python", { code: "x = 2\nopen('f.txt', 'w').write('two')" });
  r = await call(c, "run_python", { code: "print(x, open('f.txt').read())" });
  assert.equal(r.structuredContent.stdout, "1 one\n", text(r));
  r = await call(c, "run_python", { code: "x = 3" });
  r = await call(f, "run_python", { code: "print(x, open('f.txt').read())" });
  assert.equal(r.structuredContent.stdout, "2 two\n", text(r));
  // the fork's budget holds (the policy's 3 s), and it rolls back
  r = await call(f, "run_python", { code: "y = 9\nwhile True: pass" });
  assert.equal(r.structuredContent.outcome, "timeout", text(r));
  r = await call(f, "run_python", { code: "print(x, 'y' in globals())" });
  assert.equal(r.structuredContent.stdout, "2 False\n", text(r));
  await assert.rejects(call(c, "fork_session", { to: "x" }), /-32602|unexpected/);
  await f.close();
  await c.close();
});

// kill -9: the checkpoint on disk is written (temp file, fsync, rename)
// after each step's answer, before the next step runs
async function killed(c) {
  const p = c._transport._process;
  const gone = new Promise((res) => p.once("close", res));
  p.kill("SIGKILL");
  await gone;
}
const ckptFile = (id) => join(state, "sessions", id, "ckpt", "python.snap");

await test("kill -9 of wasmbox mcp: the next call goes on from the checkpoint", ["python"], async () => {
  const id = "kill9-test";
  let c = await stdioClient(["--session", id]);
  let r = await call(c, "run_python", { code: "x = 1\nopen('k.txt', 'w').write('kept')" });
  assert.equal(r.isError, false, text(r));
  r = await call(c, "run_python", { code: "pass" });   // x = 1's copy is on disk
  await killed(c);
  c = await stdioClient(["--session", id]);
  r = await call(c, "run_python", { code: "print(x == 1, open('k.txt').read())" });
  assert.equal(r.structuredContent.stdout, "True kept\n", text(r));
  assert.equal(r.structuredContent.state_kept, true);
  assert.match(r.structuredContent.note, /restored from its checkpoint on disk/);
  r = await call(c, "run_python", { code: "x += 1" });
  r = await call(c, "run_python", { code: "print(x)" });
  assert.equal(r.structuredContent.stdout, "2\n");
  await killed(c);
  c = await stdioClient(["--session", id]);
  r = await call(c, "run_python", { code: "print(x)" });
  assert.equal(r.structuredContent.stdout, "2\n", text(r));
  await c.close();
});

await test("a damaged or truncated checkpoint on disk is refused with one line", ["python"], async () => {
  const id = "kill9-test";
  const f = ckptFile(id);
  const { openSync, readSync, writeSync, closeSync, truncateSync, statSync } = await import("node:fs");
  const flip = (at) => {
    const fd = openSync(f, "r+");
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 1;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
  };
  const cases = [
    ["a bit flipped in its memory", () => flip(statSync(f).size - 70000), /snapshot refused: damaged/],
    ["truncated", () => truncateSync(f, 4096), /snapshot refused: truncated|snapshot refused: .*size/],
  ];
  for (const [what, spoil, why] of cases) {
    let c = await stdioClient(["--session", id]);
    let r = await call(c, "run_python", { code: "x = 7" });
    r = await call(c, "run_python", { code: "pass" });
    await c.close();
    assert.ok(existsSync(f), `${what}: no checkpoint file`);
    spoil();
    c = await stdioClient(["--session", id]);
    r = await call(c, "run_python", { code: "print('x' in globals())" });
    assert.equal(r.isError, false, text(r));
    assert.equal(r.structuredContent.stdout, "False\n", `${what}: ${text(r)}`);
    assert.match(r.structuredContent.note, /checkpoint on disk was refused \(/, what);
    assert.match(r.structuredContent.note, why, what);
    assert.ok(!r.structuredContent.note.includes("\n"), `${what}: one line`);
    await c.close();
  }
});

// --- malformed JSON-RPC over stdio -------------------------------------------
function runCapture(args, input = "") {
  return new Promise((res, rej) => {
    const p = spawn(wasmbox, args, { env });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("error", rej);
    p.on("close", (code) => (code === 0 ? res(out) : rej(new Error(`exit ${code}: ${out}`))));
    p.stdin.on("error", () => {});
    p.stdin.end(input);
  });
}

await test("malformed JSON-RPC never crashes the server", [], async () => {
  const lines = [
    "this is not json",
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":",
    "[]",
    "42",
    "{\"id\":2,\"method\":\"ping\"}",
    "{\"jsonrpc\":\"2.0\",\"id\":3}",
    "{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"ping\"}",
    "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"no/such\"}",
    "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{}}",
    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":[1]}",
    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\",\"params\":{}}",
    "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"read_file\",\"arguments\":{\"path\":7}}}",
    "\u00ff\u00fe garbage \u0000",
    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
    "[{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"},{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"nope\"}]",
    "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"ping\"}",
  ];
  const out = await runCapture(["mcp"], lines.join("\n") + "\n");
  const resp = out.trim().split("\n").map((l) => JSON.parse(l));
  const codes = resp.map((r) => Array.isArray(r) ? r.map((x) => x.error ? x.error.code : "ok").join("+")
                                                  : r.error ? r.error.code : "ok");
  assert.deepEqual(codes, [-32700, -32700, -32600, -32600, -32600, -32600, -32600,
                           -32601, -32602, -32602, -32602, -32602, -32700,
                           "ok+-32601", "ok"]);
  assert.equal(resp.at(-1).id, 11);
  assert.equal(resp[0].id, null);
});

// An error message cut in the middle of a character (a long path) keeps the
// result's structured part, repaired as its text is.
await test("an error about a long non-ASCII path keeps structuredContent", [], async () => {
  const lines = [
    { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18" } },
    { jsonrpc: "2.0", id: 1, method: "tools/call",
      params: { name: "write_file", arguments: { path: "\u20ac".repeat(171) + "/x", content: "x" } } },
  ].map((m) => JSON.stringify(m));
  const out = await runCapture(["mcp"], lines.join("\n") + "\n");
  const r = JSON.parse(out.trim().split("\n")[1]).result;
  assert.equal(r.isError, true);
  assert.ok(r.structuredContent, "no structuredContent");
  assert.match(r.structuredContent.error, /^path '\u20ac+/);
});

// A batch of read_file calls of one 1 MB file: each answer is bounded, but
// their sum was not (one 16 MiB message could ask for terabytes). Past 64
// MiB of answers the batch's other requests are answered -32000, not run.
await test("a batch's answers are bounded (64 MiB), not their count", [], async () => {
  const msg = (id, method, params) => ({ jsonrpc: "2.0", id, method, params });
  const reads = [];
  for (let i = 0; i < 70; i++)
    reads.push(msg(i + 2, "tools/call", { name: "read_file", arguments: { path: "big.txt" } }));
  const lines = [
    msg(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {},
                           clientInfo: { name: "raw", version: "1" } }),
    msg(1, "tools/call", { name: "write_file", arguments: { path: "big.txt", content: "a".repeat(1000000) } }),
    reads,
  ].map((m) => JSON.stringify(m));
  const out = await runCapture(["mcp"], lines.join("\n") + "\n");
  const resp = out.trim().split("\n");
  assert.equal(resp.length, 3);
  assert.ok(resp[2].length < 70e6, `the batch's answer has ${resp[2].length} bytes`);
  const batch = JSON.parse(resp[2]);
  assert.deepEqual(batch.map((r) => r.id), reads.map((r) => r.id));
  const done = batch.filter((r) => r.result && !r.result.isError).length;
  assert.ok(done >= 30, `only ${done} reads were run`);
  assert.ok(batch.slice(done).every((r) => r.error && r.error.code === -32000));
  assert.ok(done < 70, "every read was run");
});

// --- Streamable HTTP, through the SDK -----------------------------------------
await test("Streamable HTTP: initialize, tools, state", ["python"], async () => {
  const srv = spawn(wasmbox, ["mcp", "--policy", policy, "--http", "127.0.0.1:0"], { env });
  try {
    const port = await new Promise((res, rej) => {
      let err = "";
      srv.stderr.on("data", (d) => {
        err += d;
        const m = /127\.0\.0\.1:(\d+)\/mcp/.exec(err);
        if (m) res(m[1]);
      });
      srv.on("close", (c) => rej(new Error(`server exited ${c}: ${err}`)));
    });
    const c = new Client({ name: "wasmbox-http-test", version: "1.0.0" });
    await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
    const { tools } = await c.listTools();
    assert.ok(tools.some((t) => t.name === "run_python"));
    await call(c, "run_python", { code: "z = 6" });
    const r = await call(c, "run_python", { code: "z * 7" });
    assert.equal(r.structuredContent.stdout, "42\n");
    await c.close();
  } finally {
    srv.kill("SIGTERM");
  }
});

// --- Streamable HTTP, raw: limits, races, shutdown -----------------------------
// A server of its own (its own state directory when `dir` is given).
async function startHttp(extra = [], dir = null, pol = policy) {
  const e = dir ? { ...env, WASMBOX_STATE_DIR: dir } : env;
  const srv = spawn(wasmbox, ["mcp", "--policy", pol, "--http", "127.0.0.1:0", ...extra], { env: e });
  let log = "";
  const exited = new Promise((res) => srv.on("close", (code, signal) => res({ code, signal, log })));
  const port = await new Promise((res, rej) => {
    srv.stderr.on("data", (d) => {
      log += d;
      const m = /127\.0\.0\.1:(\d+)\/mcp/.exec(log);
      if (m) res(m[1]);
    });
    exited.then(({ code }) => rej(new Error(`server exited ${code}: ${log}`)));
  });
  return { srv, port, exited };
}

// POST one JSON-RPC message; resolves to {status, sid, body}.
function post(port, msg, { sid, from } = {}) {
  return new Promise((res, rej) => {
    const headers = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };
    if (sid) headers["Mcp-Session-Id"] = sid;
    const req = http.request({ host: "127.0.0.1", port, path: "/mcp", method: "POST", headers,
                               localAddress: from, agent: false }, (r) => {
      let b = "";
      r.on("data", (d) => (b += d));
      r.on("end", () => res({ status: r.statusCode, sid: r.headers["mcp-session-id"],
                              body: b ? JSON.parse(b) : null }));
    });
    req.on("error", rej);
    req.end(JSON.stringify(msg));
  });
}

function del(port, sid) {
  return new Promise((res, rej) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/mcp", method: "DELETE",
                               headers: { "Mcp-Session-Id": sid }, agent: false }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode));
    });
    req.on("error", rej);
    req.end();
  });
}

const initMsg = { jsonrpc: "2.0", id: 1, method: "initialize",
                  params: { protocolVersion: "2025-06-18", capabilities: {},
                            clientInfo: { name: "raw", version: "1" } } };
const toolMsg = (id, name, args) => ({ jsonrpc: "2.0", id, method: "tools/call",
                                       params: { name, arguments: args } });
const sessionsIn = (dir) => existsSync(join(dir, "sessions")) ? readdirSync(join(dir, "sessions")) : [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await test("Streamable HTTP: initialize creates nothing on disk; a failed one gets no session", [], async () => {
  const dir = mkdtempSync(join(tmpdir(), "wb-mcp-disk-"));
  const { srv, port } = await startHttp([], dir);
  try {
    const bad = await post(port, { ...initMsg, params: {} });
    assert.equal(bad.body.error.code, -32602);
    assert.equal(bad.sid, undefined);
    const ok = await post(port, initMsg);
    assert.equal(ok.status, 200);
    assert.ok(ok.sid);
    assert.deepEqual(sessionsIn(dir), [], "nothing on disk before a tool call");
    const w = await post(port, toolMsg(2, "write_file", { path: "a.txt", content: "x" }), { sid: ok.sid });
    assert.equal(w.body.result.isError, false);
    assert.deepEqual(sessionsIn(dir), [ok.sid]);
  } finally {
    srv.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

await test("Streamable HTTP: session caps per client and in all, idle expiry", [], async () => {
  const { srv, port } = await startHttp(["--max-sessions", "3", "--max-sessions-per-client", "2",
                                         "--idle-timeout", "2s"]);
  try {
    for (let i = 0; i < 2; i++)
      assert.equal((await post(port, initMsg)).status, 200);
    const third = await post(port, initMsg);
    assert.equal(third.status, 429);
    assert.match(third.body.error.message, /--max-sessions-per-client/);
    assert.equal((await post(port, initMsg, { from: "127.0.0.2" })).status, 200);
    const full = await post(port, initMsg, { from: "127.0.0.3" });
    assert.equal(full.status, 503);
    assert.match(full.body.error.message, /--max-sessions\b/);
    await sleep(3500);                       // all idle past 2 s: closed
    assert.equal((await post(port, initMsg)).status, 200);
  } finally {
    srv.kill("SIGKILL");
  }
});

await test("Streamable HTTP: idle sessions expire while the server runs", [], async () => {
  // every quarter of session.idle_expiry (at least 1 s): not only at start-up
  const dir = mkdtempSync(join(tmpdir(), "wb-mcp-expiry-"));
  const pol = join(dir, "policy.yaml");
  writeFileSync(pol, "session:\n  idle_expiry: 2s\n  languages: [lua]\n");
  const { srv, port } = await startHttp(["--idle-timeout", "1s"], dir, pol);
  try {
    const { sid } = await post(port, initMsg);
    const w = await post(port, toolMsg(2, "write_file", { path: "a.txt", content: "x" }), { sid });
    assert.equal(w.body.result.isError, false);
    assert.deepEqual(sessionsIn(dir), [sid]);
    let left = [sid];
    for (let i = 0; i < 100 && left.length; i++) {
      await sleep(100);
      left = sessionsIn(dir);
    }
    assert.deepEqual(left, [], "the idle session is deleted within 10 s");
  } finally {
    srv.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

await test("Streamable HTTP: two concurrent resumes of one session id share one connection", ["js"], async () => {
  const { srv, port } = await startHttp();
  try {
    const { sid } = await post(port, initMsg);
    await post(port, toolMsg(2, "write_file", { path: "keep.txt", content: "x" }), { sid });
    for (let round = 0; round < 3; round++) {
      assert.equal(await del(port, sid), 200);   // closed; the files stay
      const [a, b] = await Promise.all([
        post(port, toolMsg(3, "run_javascript", { code: "var a = 1" }), { sid }),
        post(port, toolMsg(4, "run_javascript", { code: "var b = 2" }), { sid }),
      ]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const r = await post(port, toolMsg(5, "run_javascript", { code: "console.log(typeof a, typeof b)" }), { sid });
      assert.equal(r.body.result.structuredContent.stdout, "number number\n", `round ${round}`);
    }
  } finally {
    srv.kill("SIGKILL");
  }
});

await test("Streamable HTTP: SIGTERM lets a tool call in flight finish", ["js"], async () => {
  const { srv, port, exited } = await startHttp();
  const { sid } = await post(port, initMsg);
  const call = post(port, toolMsg(2, "run_javascript", {
    code: "std.open('started', 'w').close(); let t0 = Date.now();" +
          " while (Date.now() - t0 < 1500) {} console.log('finished')" }), { sid });
  const started = join(state, "sessions", sid, "work", "started");
  for (let i = 0; i < 600 && !existsSync(started); i++)
    await sleep(50);                           // the call is running
  assert.ok(existsSync(started), "the tool call did not start");
  srv.kill("SIGTERM");
  const r = await call;
  assert.equal(r.status, 200);
  assert.equal(r.body.result.structuredContent.stdout, "finished\n");
  const { code, log } = await exited;
  assert.equal(code, 0, log);
  assert.match(log, /draining/);
});

rmSync(state, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
