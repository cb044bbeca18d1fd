// node_run.mjs: run a WASI preview1 command module under node:wasi with the
// arguments of `wasmbox run`, so tests/wasidiff/run.sh can run the same
// command line under both. Understood: --dir HOST[:GUEST] (":ro" is refused:
// node:wasi has no read-only preopens), --env NAME=VALUE, --stdin FILE,
// --argv0 NAME; budget and report options are accepted and ignored. The
// exit status is the guest's; a trap exits 134 as under wasmbox.
// Run with `node --no-warnings` (node:wasi prints an ExperimentalWarning).
import { readFileSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';

const IGNORED = new Set(['--timeout', '--fuel', '--max-memory', '--max-output',
    '--max-disk', '--max-files', '--max-stack', '--report']);
const argv = process.argv.slice(2);
const preopens = {};
const env = {};
let stdin = null, argv0 = null, i = 0;

function usage(msg) {
    process.stderr.write(`node_run: ${msg}\n`);
    process.exit(2);
}

for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (!a.startsWith('--')) break;
    if (a === '--x-resolve-walk') continue;
    if (i + 1 >= argv.length) usage(`${a} needs a value`);
    const v = argv[++i];
    if (a === '--dir') {
        const parts = v.split(':');
        if (parts.at(-1) === 'ro') usage(`--dir ${v}: read-only grants are not supported`);
        preopens[parts[1] ?? parts[0]] = parts[0];
    } else if (a === '--env') {
        const eq = v.indexOf('=');
        if (eq < 0) usage(`--env ${v}: NAME=VALUE only`);
        env[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (a === '--stdin') {
        stdin = v;
    } else if (a === '--argv0') {
        argv0 = v;
    } else if (!IGNORED.has(a)) {
        usage(`unknown option ${a}`);
    }
}
if (i >= argv.length) usage('no module');
const module = argv[i];
const args = [argv0 ?? basename(module), ...argv.slice(i + 1)];
const wasi = new WASI({
    version: 'preview1', args, env, preopens, returnOnExit: true,
    stdin: openSync(stdin ?? '/dev/null', 'r'), stdout: 1, stderr: 2,
});
let code;
try {
    const mod = await WebAssembly.compile(readFileSync(module));
    const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
    code = wasi.start(inst);
} catch (e) {
    process.stderr.write(`node_run: trap: ${e && e.message}\n`);
    code = 134;
}
process.exitCode = code;
