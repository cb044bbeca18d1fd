"""wasmbox's start-up hooks for the Python guest.

Imported at start-up by the line in site-packages/wasmbox-site.pth,
which installs the hooks (2-4), and by the image's sitecustomize.py,
which site imports after that and which calls started() (1). Neither
runs with -S. A pre-initialized start (python.snap) was initialized
before the run's grants existed: its setup() calls started() instead
(src/sandbox/preinit_src.c).

1. A user's packages. `wasmbox python --packages DIR` and the policy key
   python.packages grant DIR read-only at /packages; started() puts it on
   sys.path, just before the image's site-packages (so a user's version
   of one of the image's packages wins; the standard library always
   does). As for PYTHONPATH, its .pth files are not processed, and it
   comes after site has imported sitecustomize: a sitecustomize.py in
   DIR is not run at start-up (a pre-initialized start could not).

2. Honest failures. WASI has no dynamic loading, so a package with C
   extension modules works only when they are linked into python.wasm
   (as built-in modules under their dotted names: the numpy image). When
   no other finder found a module, NativeFinder, last on sys.meta_path,
   makes an import statement fail with a ModuleNotFoundError that says
   why, for a package known to need C extensions (KNOWN_C_PACKAGES) and
   for a module whose compiled file (*.so, *.pyd) is on the path; it
   names the native packages that are available. importlib.util.find_spec
   still answers None for them (code asking whether a module exists gets
   no exception).

3. pip. Nothing can be installed inside the sandbox: `python -m pip ...`
   exits with status 1 and a message saying how to give packages with
   --packages; `import pip` fails saying the same.

4. An uncaught ModuleNotFoundError for any other module is printed as
   usual, followed by one line saying where modules come from.
"""
import os
import sys

PACKAGES = "/packages"

# C-extension packages this image links in, besides those found as
# dotted built-in modules (sys.builtin_module_names): an image that links
# some in under other names adds them here.
NATIVE_PACKAGES = ()

# Well-known packages that cannot work without their C extension modules
# (the top-level import names; packages with a pure-Python fallback, such
# as yaml, markupsafe or msgpack, are left out: they may work).
KNOWN_C_PACKAGES = frozenset("""
    numpy pandas scipy sklearn skimage matplotlib PIL cv2 lxml
    cryptography bcrypt nacl psycopg2 MySQLdb pymssql pyodbc grpc torch
    tensorflow jax jaxlib numba llvmlite h5py tables pyarrow polars duckdb
    shapely pyproj fiona netCDF4 statsmodels zmq gevent greenlet uvloop
    orjson ujson rapidjson regex pydantic_core lz4 zstandard brotli xxhash
    mmh3 cytoolz psutil pycurl _cffi_backend kiwisolver contourpy pywt
    numexpr bottleneck astropy tokenizers tiktoken sentencepiece xgboost
    lightgbm rapidfuzz Levenshtein bitarray pygame setproctitle
""".split())

INSTALL_HINT = ("pure-Python packages can be given to the sandbox with "
                "`wasmbox python --packages DIR` (policy key "
                "python.packages), e.g. a DIR made on the host with "
                "`pip install --target DIR --no-deps PACKAGE`")
PIP_MESSAGE = ("pip: installing packages inside the wasmbox sandbox is not "
               "supported; " + INSTALL_HINT)


def native_packages():
    """The C-extension packages built into this image, sorted."""
    names = {n.partition(".")[0] for n in sys.builtin_module_names
             if "." in n}
    names.update(NATIVE_PACKAGES)
    return sorted(names)


def _only_native():
    return ("only the native packages built into its Python image are "
            "available (%s)" % (", ".join(native_packages()) or "none"))


def _compiled_file(fullname, path):
    """A compiled extension file for fullname on path (sys.path when
    None), from the directory listings the path finders just read."""
    last = fullname.rpartition(".")[2] + "."
    for entry in (sys.path if path is None else path):
        if entry == "":                 # PathFinder's key for it
            try:
                entry = os.getcwd()
            except OSError:
                continue
        names = getattr(sys.path_importer_cache.get(entry), "_path_cache",
                        None)
        for name in names or ():
            if name.startswith(last) and name.endswith((".so", ".pyd")):
                return os.path.join(entry, name)
    return None


def _caller(depth):
    """The function name `depth` frames above find_spec's caller."""
    try:
        return sys._getframe(depth + 2).f_code.co_name
    except ValueError:
        return ""


class _PipLoader:
    """pip as runpy runs it (python -m pip): code that exits with the
    message."""

    @staticmethod
    def get_code(fullname):
        return compile("raise SystemExit(%r)" % PIP_MESSAGE, "<wasmbox>",
                       "exec")

    @staticmethod
    def create_module(spec):
        return None

    @classmethod
    def exec_module(cls, module):
        exec(cls.get_code(module.__name__), module.__dict__)


class NativeFinder:
    """Last on sys.meta_path: asked only for modules nothing else found."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        # frames: 0 _find_spec, 1 its caller (the import statement's
        # _find_and_load_unlocked, or importlib.util.find_spec), 2 the
        # caller's caller (runpy for python -m)
        if fullname == "pip" and _caller(2) == "_get_module_details":
            from importlib.machinery import ModuleSpec
            return ModuleSpec("pip", _PipLoader, origin="<wasmbox>")
        if _caller(1) != "_find_and_load_unlocked":
            return None
        top = fullname.partition(".")[0]
        if top == "pip":
            raise ModuleNotFoundError(PIP_MESSAGE, name=fullname)
        why = None
        if top in KNOWN_C_PACKAGES and top not in native_packages():
            why = "%s needs compiled C extension modules" % top
        else:
            so = _compiled_file(fullname, path)
            if so:
                why = "%s is a compiled C extension module" % so
        if why is None:
            return None
        raise ModuleNotFoundError(
            "No module named %r: %s, which this sandbox cannot load; %s"
            % (fullname, why, _only_native()), name=fullname)


def _excepthook(kind, value, tb):
    sys.__excepthook__(kind, value, tb)
    if isinstance(value, ModuleNotFoundError) and "sandbox" not in str(value):
        sys.stderr.write(
            "wasmbox: the sandbox's Python has its standard library and a "
            "few pure-Python packages; " + INSTALL_HINT + "\n")


def started():
    """The run's start: the user's packages on sys.path. Idempotent."""
    if PACKAGES in sys.path or not os.path.isdir(PACKAGES):
        return
    site = os.path.join(sys.prefix, "lib", "python%d.%d" % sys.version_info[:2],
                        "site-packages")
    at = sys.path.index(site) if site in sys.path else len(sys.path)
    sys.path.insert(at, PACKAGES)


def install():
    if NativeFinder not in sys.meta_path:
        sys.meta_path.append(NativeFinder)
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _excepthook


install()
