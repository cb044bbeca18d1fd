"""scripts/guests/numpy/wb_config.py: CPython's inittab (Modules/config.c of
the wasm32-wasi build) with extra built-in modules under dotted names.

Usage: wb_config.py CONFIG_C OUT_C DOTTED.NAME...

WASI preview1 cannot load extension modules at run time, so numpy's are
linked into python.wasm. Each keeps its own PyInit_<last part> function
(the names do not clash: numpy's extension modules have distinct last
parts, none of them a CPython module's), and its inittab entry carries the
full dotted name, which is what _imp.create_builtin() looks up;
_wasmbox_builtins.py makes the import system ask for it.
"""
import sys

src, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(src).read()
sentinel = "    /* Sentinel */\n    {0, 0}\n};"
if sentinel not in text or "struct _inittab _PyImport_Inittab[] = {" not in text:
    sys.exit("wb_config.py: %s does not look like CPython's config.c" % src)
seen = set()
for name in names:
    last = name.rsplit(".", 1)[-1]
    if last in seen or "PyInit_%s(void)" % last in text:
        sys.exit("wb_config.py: PyInit_%s would be defined twice" % last)
    seen.add(last)
decls = "".join("extern PyObject* PyInit_%s(void);\n" % n.rsplit(".", 1)[-1]
                for n in names)
entries = "".join('    {"%s", PyInit_%s},\n' % (n, n.rsplit(".", 1)[-1])
                  for n in names)
text = text.replace("struct _inittab _PyImport_Inittab[] = {",
                    "/* numpy (scripts/guests/numpy.sh) */\n" + decls +
                    "\nstruct _inittab _PyImport_Inittab[] = {", 1)
text = text.replace(sentinel, "    /* numpy (scripts/guests/numpy.sh) */\n" +
                    entries + "\n" + sentinel, 1)
open(out, "w").write(text)
