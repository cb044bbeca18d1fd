/* preinit_src.c: the Python code of pre-initialized CPython
 * (preinit.h, preinit.c; docs/snapshots.md "Pre-initialized guests"). */
#include "sandbox/preinit.h"

/* The ready point's own code, run once when the snapshot is made, in a
 * dictionary of its own so __main__ stays as a cold start leaves it (no
 * names a script could come to depend on): the imports, and the two
 * functions of a run, compiled now so that a run compiles neither.
 *
 * setup() sets what differs between a run and the ready point before
 * the command, from the bytes the host puts in sys (kernel flag, argv
 * count, argv, environment; NUL-separated): argv as `python3 -c` sets
 * it, sys.path[0] '' as for -c, the run's environment (the C library's
 * was read again just before), stdio as PYTHONIOENCODING makes it at
 * initialization (ENC alone: errors strict; stderr keeps
 * backslashreplace), and fresh seeds for the generators seeded at
 * start-up (random's), and what the image's start-up hook does for the
 * run's grants (_wasmbox_site.started: a --packages directory on
 * sys.path; scripts/guests/python/_wasmbox_site.py). It takes itself,
 * finish and the bytes out of sys first, so the guest never sees them.
 *
 * finish() ends a `python3 -c` run as Py_FinalizeEx would, when nothing
 * can tell the difference, and says whether it did (else the host calls
 * Py_FinalizeEx). What Py_FinalizeEx does that a program can observe:
 * threads joined, atexit functions (run here, as it runs them first),
 * then finalizers while it frees every object of every module (__del__
 * methods and the finalizers of generators, coroutines and files,
 * weakref callbacks, gc.callbacks, audit hooks told of the end, the
 * side effects of a few C types' deallocation: a sqlite3 connection
 * cleans its journal up) and stdout and stderr flushed. Everything the
 * ready point made is the same in every run and its finalization shows
 * nothing (sys.stdout and sys.stderr aside: flushed here); what a run
 * made is in the collector's young generations (gc.freeze() put the
 * ready point's in the permanent one), so finish looks there: any
 * object whose class has a finalizer or comes from a module whose
 * objects act when freed, a weak reference with a callback, a list of
 * callables nothing else refers to, an audit hook added (the ready
 * point's own hook, which does nothing else, notes every
 * sys.addaudithook: the interpreter's list of hooks is hidden from the
 * collector), any collector callback or uncollectable object, threads,
 * another stdout or stderr, objects the run froze (gc.freeze: the count
 * only falls as the ready point's objects die): then it returns
 * False. Otherwise it flushes stdout and stderr and returns True, and
 * the interpreter is not torn down: freeing its objects one by one was
 * most of a restored `python -c pass`, and the pages it wrote most of
 * the copies a run makes. Any exception: False.
 *
 * Then gc.freeze(): the ready point's objects leave the collector's
 * generations, so collections (and the finalization at exit, two thirds
 * of whose instructions they were) no longer walk them, and a collection
 * does not write to their pages. Except __main__, which a copy made after
 * the freeze replaces: at exit the collector must still find a script's
 * module in a cycle and free it while print() and its modules work, as
 * it does in a cold start (which is when a global's __del__ runs). */
const char wb_preinit_warm_src[] =
    "exec(\"\"\"\n"
    "import sys, gc, io, os, _weakref\n"
    "BASE = set(sys.modules)\n"
    "PIC = set(sys.path_importer_cache)\n"
    "import " WB_PREINIT_IMPORTS "\n"
    "def setup():\n"
    "    d = sys.__dict__\n"
    "    d.pop('" WB_PREINIT_SETUP "')\n"
    "    d.pop('" WB_PREINIT_FINISH "')\n"
    "    p = d.pop('" WB_PREINIT_RUN "').split(bytes(1))\n"
    "    K, S = p[0] == b'1', p[0] == b'2'\n"
    "    n = int(p[1])\n"
    "    A, E = p[2:2 + n], p[2 + n:-1]\n"
    "    sys.orig_argv = [a.decode('utf-8', 'surrogateescape') for a in A]\n"
    "    if K:\n"
    "        sys.argv = sys.orig_argv[2:]\n"
    "        main = sys.modules['__main__'].__dict__\n"
    "        main['__file__'] = sys.argv[0]\n"
    "        main['__cached__'] = None\n"
    "    else:\n"
    "        sys.argv = sys.orig_argv[1:] if S else ['-c'] + sys.orig_argv[3:]\n"
    "    env = os.environ._data\n"
    "    env.clear()\n"
    "    for kv in E:\n"
    "        k, _, v = kv.partition(b'=')\n"
    "        env[k] = v\n"
    "    v = env.get(b'PYTHONIOENCODING', b'').decode('utf-8', 'surrogateescape')\n"
    "    if v and not K:\n"
    "        enc, _, err = v.partition(':')\n"
    "        import codecs\n"
    "        kw = {'encoding': codecs.lookup(enc).name} if enc else {}\n"
    "        for f in (sys.stdin, sys.stdout):\n"
    "            f.reconfigure(errors=err or 'strict', **kw)\n"
    "        if enc:\n"
    "            sys.stderr.reconfigure(errors='backslashreplace', **kw)\n"
    "    r = sys.modules.get('random')\n"
    "    if r is not None:\n"
    "        r.seed()\n"
    "    h = sys.modules.get('_wasmbox_site')\n"
    "    if h is not None:\n"
    "        h.started()\n"
    "    if K:\n"
    "        return\n"
    "    pic = sys.path_importer_cache\n"
    "    for k in [k for k in pic if k not in PIC]:\n"
    "        del pic[k]\n"
    "    if S:\n"
    "        return script(sys.argv[0])\n"
    "    sys.path.insert(0, '')\n"
    "    unshadow('')\n"
    "def forget():\n"
    "    for m in EXTRA_ALL:\n"
    "        sys.modules.pop(m, None)\n"
    "def unshadow(p):\n"
    "    try:\n"
    "        names = os.listdir(p or '.')\n"
    "    except OSError:\n"
    "        return\n"
    "    if any(e.partition('.')[0] in EXTRA for e in names):\n"
    "        forget()\n"
    "def importer(f):\n"
    "    cache = sys.path_importer_cache\n"
    "    if f in cache:\n"
    "        return cache[f]\n"
    "    cache[f] = None\n"
    "    for hook in sys.path_hooks:\n"
    "        try:\n"
    "            imp = hook(f)\n"
    "        except ImportError:\n"
    "            continue\n"
    "        except Exception as e:\n"
    "            sys.stderr.write('Failed checking if argv[0] is an import path entry\\\\n')\n"
    "            tb = e.__traceback__ = e.__traceback__.tb_next\n"
    "            sys.last_type, sys.last_value, sys.last_traceback = type(e), e, tb\n"
    "            sys.excepthook(type(e), e, tb)\n"
    "            return None\n"
    "        cache[f] = imp\n"
    "        return imp\n"
    "def path0(f):\n"
    "    try:\n"
    "        link = os.readlink(f)\n"
    "    except (OSError, ValueError):\n"
    "        link = ''\n"
    "    if link[:1] == '/':\n"
    "        f = link\n"
    "    elif '/' in link:\n"
    "        q = f.rfind('/')\n"
    "        f = link if q < 0 else f[:q + 1] + link\n"
    "    q = f.rfind('/')\n"
    "    return f[:q or 1] if q >= 0 else ''\n"
    "def script(a):\n"
    "    f = a\n"
    "    if f[:1] != '/':\n"
    "        try:\n"
    "            cwd = os.getcwd()\n"
    "            f = cwd if f == '.' else cwd + '/' + f\n"
    "        except OSError:\n"
    "            pass\n"
    "    imp = importer(f)\n"
    "    p = f if imp is not None else path0(a)\n"
    "    sys.path.insert(0, p)\n"
    "    if imp is None or os.path.isdir(p):\n"
    "        unshadow(p)\n"
    "    else:\n"
    "        forget()\n"
    "    if imp is not None:\n"
    "        import runpy\n"
    "        return partial(runpy._run_module_as_main, '__main__', False)\n"
    "    sys.audit('cpython.run_file', f)\n"
    "    try:\n"
    "        open(f, 'rb').close()\n"
    "    except OSError as e:\n"
    "        sys.stderr.write(\"python3: can't open file %r: [Errno %d] %s\\\\n\"\n"
    "                         % (f, e.errno, e.strerror))\n"
    "        return 2\n"
    "    return f\n"
    "from builtins import (any, callable, dict, id, issubclass, len, list,\n"
    "                      map, tuple, type, zip)\n"
    "from itertools import chain, compress, repeat\n"
    "from operator import contains, is_, is_not\n"
    "from functools import partial\n"
    "from gc import get_objects, get_referrers, get_freeze_count\n"
    "modules, callbacks, garbage = sys.modules, gc.callbacks, gc.garbage\n"
    "had_atexit = 'atexit' in modules\n"
    "import atexit\n"
    "run_atexit, atexit_count = atexit._run_exitfuncs, atexit._ncallbacks\n"
    "if not had_atexit:\n"
    "    del modules['atexit']\n"
    "del atexit\n"
    "hooked = []\n"
    "def audit(event, args):\n"
    "    if event == 'sys.addaudithook':\n"
    "        hooked.append(1)\n"
    "sys.addaudithook(audit)\n"
    "INERT = (id(io.StringIO), id(io.BytesIO))\n"
    "PROXIES = (_weakref.ProxyType, _weakref.CallableProxyType)\n"
    "ACTING = {'sqlite3', '_sqlite3', 'mmap', 'select', 'socket', '_socket',\n"
    "          'ssl', '_ssl'}\n"
    "mro_of = type.__dict__['__mro__'].__get__\n"
    "dict_of = type.__dict__['__dict__'].__get__\n"
    "module_of = type.__dict__['__module__'].__get__\n"
    "callback_of = _weakref.ref.__dict__['__callback__'].__get__\n"
    "def distinct(xs, but=()):\n"
    "    d = dict(zip(map(id, xs), xs))\n"
    "    for i in but:\n"
    "        d.pop(i, None)\n"
    "    return list(d.values())\n"
    "def plain(kinds):\n"
    "    types = distinct(kinds, INERT)\n"
    "    if any(map(issubclass, types, repeat(PROXIES))):\n"
    "        return False\n"
    "    mros = distinct(list(chain.from_iterable(map(mro_of, types))))\n"
    "    mods = list(map(module_of, mros))\n"
    "    mods = compress(mods, map(is_, map(type, mods), repeat(str)))\n"
    "    return (not any(map(contains, map(dict_of, mros), repeat('__del__')))\n"
    "            and ACTING.isdisjoint(mods))\n"
    "def orphan(l, objs, lists):\n"
    "    refs = get_referrers(l)\n"
    "    if len(refs) > 3:\n"
    "        return False\n"
    "    for r in refs:\n"
    "        if not (r is objs or r is lists or (type(r) is tuple and\n"
    "                                          len(r) == 1 and r[0] is l)):\n"
    "            return False\n"
    "    return True\n"
    "def quiet(objs):\n"
    "    kinds = list(map(type, objs))\n"
    "    if not plain(kinds):\n"
    "        return False\n"
    "    refs = compress(objs, map(issubclass, kinds, repeat(_weakref.ref)))\n"
    "    if any(map(is_not, map(callback_of, refs), repeat(None))):\n"
    "        return False\n"
    "    lists = list(compress(objs, map(is_, kinds, repeat(list))))\n"
    "    lists = list(compress(lists, map(any, map(partial(map, callable),\n"
    "                                               lists))))\n"
    "    if len(lists) > 32:\n"
    "        return False\n"
    "    for l in lists:\n"
    "        if orphan(l, objs, lists):\n"
    "            return False\n"
    "    return True\n"
    "def finish():\n"
    "    try:\n"
    "        if 'threading' in modules:\n"
    "            return False\n"
    "        if atexit_count():\n"
    "            run_atexit()\n"
    "        if (hooked or callbacks or garbage or get_freeze_count() > frozen\n"
    "                or sys.stdout is not sys.__stdout__\n"
    "                or sys.stderr is not sys.__stderr__\n"
    "                or not quiet(get_objects())):\n"
    "            return False\n"
    "        for f in (sys.stdout, sys.stderr, OUT(), ERR()):\n"
    "            if f is not None and not is_closed(f):\n"
    "                f.flush()\n"
    "        return True\n"
    "    except BaseException:\n"
    "        return False\n"
    "sys." WB_PREINIT_SETUP " = setup\n"
    "sys." WB_PREINIT_FINISH " = finish\n"
    "OUT, ERR = _weakref.ref(sys.stdout), _weakref.ref(sys.stderr)\n"
    "def is_closed(f):\n"
    "    try:\n"
    "        return bool(f.closed)\n"
    "    except Exception:\n"
    "        return False\n"
    "EXTRA_ALL = [m for m in sys.modules if m not in BASE]\n"
    "EXTRA = set(m.partition('.')[0] for m in EXTRA_ALL)\n"
    "gc.freeze()\n"
    "frozen = get_freeze_count()\n"
    "main = sys.modules['__main__']\n"
    "fresh = type(sys)('__main__')\n"
    "fresh.__dict__.update(main.__dict__)\n"
    "sys.modules['__main__'] = fresh\n"
    "\"\"\", {'__builtins__': __builtins__})\n";

/* The end of a run whose instance and workspace are thrown away after it
 * (wb_preinit_run_ex, `quick`): what Py_FinalizeEx does that the run's
 * output can show, in its order, and not the teardown of the interpreter
 * (freeing every object of every module: most of a restored run's
 * instructions), which the instance's end makes moot: threads and atexit
 * functions, the collection of cycles, __main__'s globals cleared as
 * finalize_modules clears a module (names with one leading underscore
 * first), a second collection, then stdout and stderr flushed (120 if
 * stdout cannot be, as Py_FinalizeEx fails). Objects left reachable only
 * from other modules are not finalized (docs/snapshots.md, "A run from
 * it"). In a dictionary of its own: __main__ gets no name. */
const char wb_preinit_quick_src[] =
    "exec(\"\"\"\n"
    "import sys, gc\n"
    "for n, f in (('threading', '_shutdown'), ('atexit', '_run_exitfuncs')):\n"
    "    m = sys.modules.get(n)\n"
    "    if m is not None and hasattr(m, f):\n"
    "        getattr(m, f)()\n"
    "gc.collect()\n"
    "main = sys.modules.get('__main__')\n"
    "d = getattr(main, '__dict__', None)\n"
    "if type(d) is dict:\n"
    "    for first in (True, False):\n"
    "        for k in list(d):\n"
    "            if type(k) is str and k != '__builtins__' and \\\n"
    "                    (k[:1] == '_' and k[:2] != '__') == first:\n"
    "                d[k] = None\n"
    "    del d, main\n"
    "gc.collect()\n"
    "ok = True\n"
    "for f in ('stdout', 'stderr'):\n"
    "    try:\n"
    "        getattr(sys, f).flush()\n"
    "    except BaseException:\n"
    "        ok = ok and f != 'stdout'\n"
    "if not ok:\n"
    "    sys.modules['os']._exit(120)\n"
    "\"\"\", {'__builtins__': __builtins__})\n";
