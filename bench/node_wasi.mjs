// node_wasi.mjs: run a wasm32-wasi command module under Node's WASI
// (preview1), for the benchmark comparison.
//   node --no-warnings bench/node_wasi.mjs [OPTIONS] MODULE.wasm [ARGS...]
// Options (before MODULE):
//   --dir HOST:GUEST   preopen host directory HOST at guest path GUEST
//                      (repeatable; node:wasi has no read-only preopens)
//   --env NAME=VALUE   set a guest environment variable (repeatable)
//   --argv0 NAME       argv[0] seen by the guest (default: MODULE)
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { argv, exit } from 'node:process';

const usage = 'usage: node --no-warnings node_wasi.mjs [--dir HOST:GUEST] ' +
  '[--env NAME=VALUE] [--argv0 NAME] MODULE.wasm [ARGS...]';
const preopens = {};
const env = {};
let argv0 = null;
let i = 2;
for (; i < argv.length && argv[i].startsWith('--'); i += 2) {
  const opt = argv[i], val = argv[i + 1];
  const sep = val === undefined ? -1 : val.indexOf(opt === '--env' ? '=' : ':');
  if (opt === '--argv0' && val !== undefined) {
    argv0 = val;
  } else if ((opt === '--dir' || opt === '--env') && sep > 0) {
    const k = val.slice(0, sep), v = val.slice(sep + 1);
    if (opt === '--dir') preopens[v] = k; else env[k] = v;
  } else {
    console.error(usage);
    exit(2);
  }
}
const path = argv[i];
if (!path) {
  console.error(usage);
  exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [argv0 ?? path, ...argv.slice(i + 1)],
  env,
  preopens,
  returnOnExit: true,
});
const module = await WebAssembly.compile(readFileSync(path));
const imports = wasi.getImportObject();
// Guests built for wasmbox (python.wasm) also import wasmbox's own host
// modules (wasmbox_http, wasmbox_proc), which Node lacks. Each such
// function returns -1, their failure status (python.wasm's start-up asks
// wasmbox_proc.cwd for the parent's directory and stays in "/" without
// it), and its first call says so on stderr, so a workload that relies
// on one does not differ unnoticed.
const told = new Set();
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.kind !== 'function' || imports[imp.module]?.[imp.name]) continue;
  const name = `${imp.module}.${imp.name}`;
  imports[imp.module] ??= {};
  imports[imp.module][imp.name] = () => {
    if (!told.has(name)) {
      told.add(name);
      console.error(`node_wasi.mjs: ${name} is not provided under Node ` +
                    '(returned -1)');
    }
    return -1;
  };
}
const instance = await WebAssembly.instantiate(module, imports);
exit(wasi.start(instance) ?? 0);
