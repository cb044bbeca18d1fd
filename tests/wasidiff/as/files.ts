// RUN as_files: --dir $T/d:/work -- $WASM
// SETUP: mkdir -p d/sub && printf 'seed\n' > d/seed.txt
// AssemblyScript calling preview1 directly (the shim's bindings): it finds
// its preopen by name, opens with the rights the preopen reports (and once
// with every right there is, as a toolchain that knows nothing of the
// parent's rights would), reads, writes, seeks, lists, renames and
// removes, printing each errno.
import {
  fd_prestat_get, fd_prestat_dir_name, fd_fdstat_get, path_open, fd_write, fd_read,
  fd_seek, fd_close, fd_readdir, fd_filestat_get, path_create_directory, path_rename,
  path_unlink_file, path_remove_directory, path_filestat_get, fdstat, filestat,
  prestat, oflags, whence, lookupflags
} from "bindings/wasi_snapshot_preview1";

function show(label: string, rc: i32): void {
  console.log(label + " " + rc.toString());
}

function str(s: string): ArrayBuffer { return String.UTF8.encode(s); }

function findPreopen(want: string): i32 {
  const ps = memory.data(8);
  const name = memory.data(64);
  for (let fd: u32 = 3; fd < 16; fd++) {
    if (fd_prestat_get(fd, changetype<prestat>(ps)) != 0) continue;
    const len = load<u32>(ps, 4);
    if (len > 64 || fd_prestat_dir_name(fd, name, len) != 0) continue;
    if (String.UTF8.decodeUnsafe(name, len) == want) return <i32>fd;
  }
  return -1;
}

function open(dir: u32, path: string, oflag: u16, rights: u64, inherit: u64 = 0): i32 {
  const p = str(path);
  const out = memory.data(4);
  const rc = path_open(dir, lookupflags.SYMLINK_FOLLOW, changetype<usize>(p), p.byteLength,
                       oflag, rights, inherit, 0, out);
  show("open " + path + " oflags " + oflag.toString() + " rights 0x" + rights.toString(16), rc);
  return rc == 0 ? <i32>load<u32>(out) : -1;
}

function write(fd: u32, s: string): void {
  const b = str(s);
  const iov = memory.data(8);
  store<u32>(iov, changetype<usize>(b));
  store<u32>(iov, b.byteLength, 4);
  const n = memory.data(4);
  show("write", fd_write(fd, iov, 1, n));
  console.log("  wrote " + load<u32>(n).toString());
}

function readAll(fd: u32): string {
  const buf = new ArrayBuffer(256);
  const iov = memory.data(8);
  store<u32>(iov, changetype<usize>(buf));
  store<u32>(iov, 256, 4);
  const n = memory.data(4);
  const rc = fd_read(fd, iov, 1, n);
  show("read", rc);
  return rc == 0 ? String.UTF8.decodeUnsafe(changetype<usize>(buf), load<u32>(n)) : "";
}

function listing(fd: u32): string {
  const buf = new ArrayBuffer(1024);
  const used = memory.data(4);
  const rc = fd_readdir(fd, changetype<usize>(buf), 1024, 0, used);
  show("readdir", rc);
  const names = new Array<string>();
  let off: usize = 0;
  const base = changetype<usize>(buf);
  const n = <usize>load<u32>(used);
  while (off + 24 <= n) {
    const len = <usize>load<u32>(base + off, 16);
    const name = String.UTF8.decodeUnsafe(base + off + 24, len);
    if (name != "." && name != "..") names.push(name + ":" + load<u8>(base + off, 20).toString());
    off += 24 + len;
  }
  names.sort();
  return names.join(" ");
}

const dir = findPreopen("/work");
console.log("preopen found " + (dir >= 3 ? "yes" : "no"));
const st = memory.data(24);
show("fdstat", fd_fdstat_get(dir, changetype<fdstat>(st)));
console.log("  type " + load<u8>(st).toString() + " base 0x" + load<u64>(st, 8).toString(16) +
            " inheriting 0x" + load<u64>(st, 16).toString(16));
const dirRights = load<u64>(st, 8), fileRights = load<u64>(st, 16);
const all: u64 = 0xffffffffffffffff;
const every = open(dir, "seed.txt", 0, all);
if (every >= 0) fd_close(every);
const seedFd = open(dir, "seed.txt", 0, fileRights);
console.log("  seed [" + readAll(seedFd).trim() + "]");
show("close", fd_close(seedFd));
const f = open(dir, "sub/out.txt", oflags.CREAT | oflags.TRUNC, fileRights);
write(f, "written by AssemblyScript\n");
const pos = memory.data(8);
show("seek", fd_seek(f, 8, whence.SET, pos));
console.log("  at " + load<u64>(pos).toString());
console.log("  rest [" + readAll(f).trim() + "]");
const fst = memory.data(64);
show("filestat", fd_filestat_get(f, changetype<filestat>(fst)));
console.log("  size " + load<u64>(fst, 32).toString() + " type " + load<u8>(fst, 16).toString());
show("close", fd_close(f));
show("close again", fd_close(f));
const again = open(dir, "sub/out.txt", oflags.CREAT | oflags.EXCL, fileRights);
const d = open(dir, "sub", oflags.DIRECTORY, dirRights, fileRights);
console.log("  sub: " + listing(d));
const nd = str("made");
show("mkdir", path_create_directory(dir, changetype<usize>(nd), nd.byteLength));
const from = str("sub/out.txt"), to = str("made/moved.txt");
show("rename", path_rename(dir, changetype<usize>(from), from.byteLength, dir,
                           changetype<usize>(to), to.byteLength));
const w = open(dir, ".", oflags.DIRECTORY, dirRights, fileRights);
console.log("  top: " + listing(w));
const mv = str("made/moved.txt");
show("stat moved", path_filestat_get(dir, 0, changetype<usize>(mv), mv.byteLength, changetype<filestat>(fst)));
console.log("  size " + load<u64>(fst, 32).toString());
show("rmdir nonempty", path_remove_directory(dir, changetype<usize>(nd), nd.byteLength));
show("unlink", path_unlink_file(dir, changetype<usize>(mv), mv.byteLength));
show("rmdir", path_remove_directory(dir, changetype<usize>(nd), nd.byteLength));
const up = str("../escape");
show("mkdir outside", path_create_directory(dir, changetype<usize>(up), up.byteLength));
process.exit(again < 0 ? 0 : 1);
