"""Built-in extension modules under dotted names, and a clear error for
C extensions the image cannot load (installed by scripts/guests/numpy.sh).

python.wasm has numpy's C extension modules linked in (WASI preview1 has
no dynamic loading) and registered in its inittab under their full names,
e.g. "numpy.core._multiarray_umath". CPython's BuiltinImporter only finds
top-level built-in modules, so BuiltinSubmoduleFinder, first on
sys.meta_path, answers for a dotted name the inittab has.

NativeExtensionFinder, last on sys.meta_path, is asked only when nothing
else found a module: if a compiled extension file for it is on the path
(*.so, *.pyd: built for another platform, or needing dlopen), it raises an
ImportError that says so, instead of "No module named ...".
"""
import _imp
import os
import sys
from importlib.machinery import BuiltinImporter, ModuleSpec

# the C extension packages this image has built in
NATIVE_PACKAGES = ("numpy",)


class BuiltinSubmoduleFinder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if "." not in fullname or not _imp.is_builtin(fullname):
            return None
        return ModuleSpec(fullname, BuiltinImporter, origin="built-in")


class NativeExtensionFinder:
    SUFFIXES = (".so", ".pyd")

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        last = fullname.rpartition(".")[2]
        for entry in (sys.path if path is None else path):
            try:
                names = os.listdir(entry or ".")
            except (OSError, TypeError):
                continue
            for name in names:
                if name.startswith(last + ".") and name.endswith(cls.SUFFIXES):
                    raise ImportError(
                        "%s is a C extension module (%s) and this sandbox "
                        "cannot load C extensions; the native packages "
                        "available are: %s" % (fullname, os.path.join(entry, name),
                                               ", ".join(NATIVE_PACKAGES)),
                        name=fullname)
        return None


def install():
    if BuiltinSubmoduleFinder not in sys.meta_path:
        sys.meta_path.insert(0, BuiltinSubmoduleFinder)
    if NativeExtensionFinder not in sys.meta_path:
        sys.meta_path.append(NativeExtensionFinder)


install()
