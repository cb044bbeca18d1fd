// driver.js: wasmbox's JavaScript session kernel (runs inside qjs.wasm
// with --std). Same protocol as driver.py: requests "<nonce> <nbytes>\n"
// + source on stdin; each is evaluated as a global script with
// std.evalScript, so top-level declarations persist between steps; the
// completion value, when not undefined, is printed. Control lines on
// stdout frame each step: "\x1eWBGO <nonce>\n" once the request is read,
// "\x1eWBEND <nonce> {json}\n" at its end.
import * as std from "std";
import * as os from "os";

os.chdir("/work");
function show(v) {
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "function") return String(v);
    try {
        const s = JSON.stringify(v);
        if (s !== undefined) return s;
    } catch (e) { }
    return String(v);
}
std.out.puts("\x1eWBREADY\n");
std.out.flush();
for (;;) {
    const hdr = std.in.getline();
    if (hdr === null) break;
    const parts = hdr.trim().split(" ");
    if (parts.length !== 2) break;
    const n = parseInt(parts[1], 10);
    const src = n > 0 ? std.in.readAsString(n) : "";
    std.out.puts("\x1eWBGO " + parts[0] + "\n");
    std.out.flush();
    let status = "ok", code = 0;
    try {
        const v = std.evalScript(src);
        if (v !== undefined) std.out.puts(show(v) + "\n");
    } catch (e) {
        status = "error";
        code = 1;
        std.out.flush();
        std.err.puts((e && e.stack) ? String(e) + "\n" + e.stack : String(e) + "\n");
    }
    std.out.flush();
    std.err.flush();
    std.out.puts("\x1eWBEND " + parts[0] + " " +
                 JSON.stringify({ status: status, exit_code: code }) + "\n");
    std.out.flush();
}
