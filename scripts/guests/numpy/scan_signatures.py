"""scripts/guests/numpy/scan_signatures.py: C functions that CPython would
call with a parameter count they do not have (a developer aid, not a build
step; patches/numpy-04-call-signatures.patch fixes what it found).

Usage: scan_signatures.py SOURCE_DIR   (e.g. numpy's unpacked tree)

WebAssembly checks every indirect call's type: a function called through a
pointer with more or fewer parameters than it has traps the whole guest,
where x86-64 and arm64 ignore an extra argument. So a PyMethodDef whose
flags promise (self, args, kwds) for a function of (self, args), a
PyGetSetDef getter without its closure parameter, or a type slot cast to a
pointer type of another arity is harmless natively and fatal in the guest.
This finds those by counting parameters in the source text: a heuristic
(it sees definitions at the start of a line only), one line per suspect.
"""
import os
import re
import sys

SUFFIXES = ('.c', '.c.src', '.cpp', '.h', '.h.src', '.inc.src', '.inc')
METHOD = re.compile(r'\{\s*"(\w+)"\s*,\s*(?:\(\s*(?:PyCFunction|PyCFunctionWithKeywords'
                    r'|void\s*\*)\s*\)\s*)?(\w+)\s*,\s*([A-Z_ |\n\t]+)')
GETSET = re.compile(r'\{\s*"(\w+)"\s*,\s*\(\s*getter\s*\)\s*(\w+)\s*,\s*'
                    r'(?:\(\s*setter\s*\)\s*(\w+)|NULL)')
SLOT = re.compile(r'\.((?:tp|nb|sq|mp|bf)_\w+)\s*=\s*\(\s*(\w+)\s*\)\s*(\w+)')
# parameters each pointer type is called with
ARITY = {'getter': 2, 'setter': 3, 'reprfunc': 1, 'hashfunc': 1, 'destructor': 1,
         'richcmpfunc': 3, 'getiterfunc': 1, 'iternextfunc': 1, 'ternaryfunc': 3,
         'binaryfunc': 2, 'unaryfunc': 1, 'inquiry': 1, 'lenfunc': 1,
         'ssizeargfunc': 2, 'ssizeobjargproc': 3, 'objobjargproc': 3,
         'objobjproc': 2, 'getattrofunc': 2, 'setattrofunc': 3, 'initproc': 3,
         'newfunc': 3, 'allocfunc': 2, 'freefunc': 1, 'getbufferproc': 3,
         'releasebufferproc': 2, 'traverseproc': 3, 'descrgetfunc': 3,
         'descrsetfunc': 3, 'vectorcallfunc': 4}


def read_tree(root):
    src = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(SUFFIXES):
                p = os.path.join(d, f)
                with open(p, errors='replace') as fh:
                    src[p] = fh.read()
    return src


def arity(text, func):
    """The parameter count of func's definition in text, or None."""
    for m in re.finditer(r'(?m)^\s*(?:\w[\w\s\*]*\s)?\**' + re.escape(func) + r'\s*\(', text):
        i = j = m.end()
        depth = 1
        while depth and j < len(text):
            depth += (text[j] == '(') - (text[j] == ')')
            j += 1
        if not text[j:j + 40].lstrip().startswith('{'):
            continue                            # a declaration or a call
        params = text[i:j - 1]
        if params.strip() in ('', 'void'):
            return 0
        depth, n = 0, 1
        for c in params:
            depth += (c == '(') - (c == ')')
            n += c == ',' and depth == 0
        return n
    return None


def method_arity(flags):
    if 'METH_FASTCALL' in flags:
        return 4 if 'METH_KEYWORDS' in flags else 3
    return 3 if 'METH_KEYWORDS' in flags else 2


def suspects(src):
    for path, t in src.items():
        for m in METHOD.finditer(t):
            flags = re.sub(r'\s', '', m.group(3))
            yield path, m.group(1), m.group(2), method_arity(flags), flags
        for m in GETSET.finditer(t):
            yield path, m.group(1), m.group(2), 2, 'getter'
            if m.group(3):
                yield path, m.group(1), m.group(3), 3, 'setter'
        for m in SLOT.finditer(t):
            if m.group(2) in ARITY:
                yield path, m.group(1), m.group(3), ARITY[m.group(2)], m.group(2)


def main():
    src = read_tree(sys.argv[1])
    text = "\n".join(src.values())
    seen, found = set(), 0
    for path, name, func, want, how in suspects(src):
        have = arity(text, func)
        if have is not None and have != want and func not in seen:
            seen.add(func)
            found += 1
            print("%s: %s -> %s(): called as %s with %d parameters, has %d"
                  % (path, name, func, how, want, have))
    print("%d suspect(s)" % found)


if __name__ == "__main__":
    main()
