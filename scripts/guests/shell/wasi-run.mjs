// wasi-run.mjs: a developer aid, not a test of record. Runs a shell image
// (dash.wasm, busybox.wasm) under Node.js's node:wasi with a stand-in for
// the host module wasmbox_proc that can do no process work: fork, exec,
// spawn, pipe and dup fail with ENOSYS, wait finds no child, the process
// is pid 1 and starts in the directory given by --cwd. Enough for tools
// that do not start others, and for dash running builtins only.
//
//   node wasi-run.mjs [--dir HOST:GUEST]... [--cwd DIR] IMAGE ARGV0 [ARG...]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const ENOSYS = 52, ECHILD = 12, ERANGE = 68;
const preopens = {};
let cwd = '/', i = 2;
for (; i < process.argv.length && process.argv[i].startsWith('--'); i += 2) {
  const [opt, val] = [process.argv[i], process.argv[i + 1]];
  if (opt === '--dir') {
    const [host, guest] = val.split(':');
    preopens[guest || host] = host;
  } else if (opt === '--cwd') {
    cwd = val;
  } else {
    console.error(`wasi-run: unknown option ${opt}`);
    process.exit(2);
  }
}
const [image, ...args] = process.argv.slice(i);
if (!image || args.length === 0) {
  console.error('usage: node wasi-run.mjs [--dir HOST:GUEST]... [--cwd DIR] IMAGE ARGV0 [ARG...]');
  process.exit(2);
}
const wasi = new WASI({ version: 'preview1', args, env: process.env, preopens,
                        returnOnExit: true });
let memory;
const view = () => new DataView(memory.buffer);
const proc = {
  fork: () => -ENOSYS,
  exec: () => ENOSYS,
  spawn: () => ENOSYS,
  wait: () => -ECHILD,
  kill: (pid, sig) => (pid === 1 && sig === 0 ? 0 : ENOSYS),
  getpid: () => 1,
  getppid: () => 0,
  cwd: (buf, cap, lenOut) => {
    const bytes = new TextEncoder().encode(cwd);
    if (bytes.length > cap) return ERANGE;
    new Uint8Array(memory.buffer, buf, bytes.length).set(bytes);
    view().setUint32(lenOut, bytes.length, true);
    return 0;
  },
  pipe: () => ENOSYS,
  dup: () => ENOSYS,
  dup2: () => ENOSYS,
  cloexec: () => 0,
};
const module = await WebAssembly.compile(readFileSync(image));
const instance = await WebAssembly.instantiate(module, {
  wasi_snapshot_preview1: wasi.wasiImport, wasmbox_proc: proc });
memory = instance.exports.memory;
process.exitCode = wasi.start(instance);
