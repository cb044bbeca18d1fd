// RUN as_args_env: --env ALPHA=1 --env "BETA=two words" --env EMPTY= -- $WASM first "second arg" ""
// AssemblyScript through its WASI shim: arguments, environment, clocks,
// random bytes, stdout and stderr, and the exit status.
const argv = process.argv;
console.log("argc " + argv.length.toString());
for (let i = 1; i < argv.length; i++) console.log("arg " + i.toString() + " [" + argv[i] + "]");
const keys = process.env.keys();
keys.sort();
for (let i = 0; i < keys.length; i++) console.log("env " + keys[i] + "=[" + process.env.get(keys[i]) + "]");
console.log("realtime after 2020: " + (Date.now() > 1577836800000 ? "yes" : "no"));
const t0 = process.hrtime();
const t1 = process.hrtime();
console.log("monotonic does not go back: " + (t1 >= t0 ? "yes" : "no"));
const bytes = new Uint8Array(64);
crypto.getRandomValues(bytes);
let nonzero = 0;
for (let i = 0; i < bytes.length; i++) if (bytes[i] != 0) nonzero++;
console.log("random bytes not all zero: " + (nonzero > 0 ? "yes" : "no"));
console.error("to stderr");
process.exit(3);
