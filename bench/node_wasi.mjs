// node_wasi.mjs: run a wasm32-wasi command module under Node's WASI
// (preview1), for the benchmark comparison.
//   node --no-warnings bench/node_wasi.mjs MODULE.wasm [ARGS...]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { argv, exit } from 'node:process';

const path = argv[2];
if (!path) {
  console.error('usage: node --no-warnings node_wasi.mjs MODULE.wasm [ARGS...]');
  exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [path, ...argv.slice(3)],
  env: {},
  returnOnExit: true,
});
const module = await WebAssembly.compile(readFileSync(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance) ?? 0);
