#!/bin/sh
# scripts/guests/numpy/ldshared.sh: numpy's build "links" each extension
# module with this instead of a shared-library linker (WASI preview1 has no
# dlopen). The extension's objects go into a static archive at the path the
# build asked for (the *.so name), and the -L/-l options it passed are kept
# beside it in OUTPUT.libs (directories made absolute), for numpy.sh's
# final link of python.wasm.
# Usage (as distutils calls LDSHARED): ldshared.sh OBJ... -o OUTPUT [-L.. -l..]
set -eu
out='' objs='' libs=''
while [ $# -gt 0 ]; do
    case $1 in
    -o) out=$2; shift ;;
    *.o) objs="$objs $1" ;;
    # absolute, for a link made from another directory
    -L/*|-l*) libs="$libs $1" ;;
    -L*) libs="$libs -L$(cd "${1#-L}" && pwd)" ;;
    /*.a) libs="$libs $1" ;;
    *.a) libs="$libs $PWD/$1" ;;
    esac
    shift
done
[ -n "$out" ] || { echo "ldshared.sh: no -o" >&2; exit 2; }
rm -f "$out"
# shellcheck disable=SC2086   # word lists on purpose
"${WB_AR:?}" rcs "$out" $objs
echo "$libs" > "$out.libs"
