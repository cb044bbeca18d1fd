#!/bin/bash
# tests/guests/numpy.sh: numpy in the Python guest (issue 20; the opt-in
# image of scripts/guests/numpy.sh, `make guests-numpy`).
#
# Cases: the built-in C modules import; arithmetic and reductions;
# reshape, transpose and matmul; sort and argsort; linalg.solve on a
# 200x200 system whose solution is known; np.save/np.load through a
# granted writable directory; numpy.random with a seed (the same numbers
# on every run, and those of numpy 1.24's PCG64 and MT19937 streams); FFT;
# a C extension module the image cannot load fails with one clear
# ImportError; and a missing numpy C module is named.
#
# The image is looked up in $WASMBOX_NUMPY_GUESTS, else $WB_BUILD/guests-
# numpy, else build/guests-numpy; without it every case is skipped (one
# SKIP line). WB_BUILD, WASMBOX as in tests/guests/run.sh. Last line:
# "N passed, N failed, N skipped".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
B=${WB_BUILD:-$root/build}
W=${WASMBOX:-$B/wasmbox}
G=${WASMBOX_NUMPY_GUESTS:-}
if [ -z "$G" ]; then
    G=$B/guests-numpy
    [ -f "$G/python/python.wasm" ] || G=$root/build/guests-numpy
fi
if [ ! -f "$G/python/python.wasm" ] || [ ! -x "$W" ]; then
    echo "SKIP numpy: no numpy image ($G/python/python.wasm; make guests-numpy) or no $W"
    skip "numpy: every case (image not built)"
    summary
    exit
fi
export WASMBOX_GUESTS=$G
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/w"

# py NAME WANT_RC WANT_STDOUT_SUBSTRING WANT_STDERR_SUBSTRING PROGRAM:
# the numpy image runs PROGRAM (-c) with $tmp/w granted writable at /w.
py() {
    local rc=0
    "$W" python --timeout 120s --dir "$tmp/w:/w" -c "$5" \
        >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    expect "$1" "$2" "$3" "$4" "$rc" "$tmp/out" "$tmp/err"
}

py "numpy imports; its C modules are built in" 0 "1.24.2 built-in" "" '
import numpy as np, numpy.core._multiarray_umath as m
print(np.__version__, m.__spec__.origin)'

py "arithmetic and reductions" 0 "ok" "" '
import numpy as np
a = np.arange(1, 11, dtype=np.float64)
assert a.sum() == 55 and a.prod() == 3628800
assert np.allclose(a.mean(), 5.5) and np.allclose(a.std(), 2.8722813232690143)
assert (a * 2 - 1)[-1] == 19 and np.allclose(np.sqrt(a ** 2), a)
assert np.allclose(np.exp(np.log(a)), a) and np.allclose(np.sin(np.pi / 2), 1)
i = np.arange(10, dtype=np.int64)
assert (i // 3).tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
assert (i % 3).sum() == 9 and np.int8(127) + np.int8(1) == -128
assert np.float32(1) / np.float32(3) == np.float32(0.33333334)
print("ok")'

py "reshape, transpose, matmul" 0 "66 [[ 80  92 104 116]" "" '
import numpy as np
a = np.arange(12).reshape(3, 4)
print(a.sum(), a.T @ a)
assert a.reshape(2, 6)[1, 0] == 6 and a.ravel()[-1] == 11
assert (a[:, 1] == [1, 5, 9]).all() and a.T.shape == (4, 3)
assert np.array_equal(np.concatenate([a, a]).shape, (6, 4))
assert np.vdot([1, 2], [3, 4]) == 11  # patches/numpy-04: trapped before
assert np.dot([1, 2], [3, 4]) == 11 and np.inner([1, 2], [3, 4]) == 11'

py "sort, argsort, unique" 0 "ok" "" '
import numpy as np
x = np.array([5, 3, 9, 1, 7, 3])
assert np.sort(x).tolist() == [1, 3, 3, 5, 7, 9]
assert np.argsort(x, kind="stable").tolist() == [3, 1, 5, 0, 4, 2]
assert np.unique(x).tolist() == [1, 3, 5, 7, 9]
r = np.arange(100000)[::-1].astype(np.float64)
assert (np.sort(r) == np.arange(100000)).all()
s = np.array(["pear", "apple", "fig"]); assert np.sort(s).tolist() == ["apple", "fig", "pear"]
print("ok")'

# A diagonally dominant 200x200 system built from a known x: solve()
# (numpy's lapack_lite, no BLAS) must give x back.
py "linalg.solve 200x200, det, inv" 0 "ok" "" '
import numpy as np
n = 200
i = np.arange(n)
A = 1.0 / (1.0 + np.abs(i[:, None] - i[None, :])) + n * np.eye(n)
x = np.cos(i)
b = A @ x
got = np.linalg.solve(A, b)
assert np.max(np.abs(got - x)) < 1e-12, np.max(np.abs(got - x))
assert np.allclose(np.linalg.inv(A) @ A, np.eye(n))
assert np.allclose(np.linalg.det(np.eye(3) * 2), 8)
assert np.allclose(np.linalg.solve(np.eye(3) * 2, np.ones(3)), 0.5)
w = np.linalg.eigvalsh(np.diag([3.0, 1.0, 2.0])); assert np.allclose(w, [1, 2, 3])
print("ok")'

py "np.save / np.load round trip in /w" 0 "ok" "" '
import numpy as np
a = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7
np.save("/w/a.npy", a)
np.savez("/w/ab.npz", a=a, b=np.array(["x", "yz"]))
b = np.load("/w/a.npy"); z = np.load("/w/ab.npz")
assert b.dtype == a.dtype and (b == a).all() and z["b"].tolist() == ["x", "yz"]
print("ok")'
if [ -f "$tmp/w/a.npy" ] && head -c 6 "$tmp/w/a.npy" | grep -q NUMPY; then
    pass "the .npy file is on the host"
else
    fail "the .npy file is on the host: $tmp/w/a.npy missing or not .npy"
fi

# The expected numbers are numpy 1.24's streams for these seeds (the
# same on every platform: PCG64 and MT19937 are defined bit for bit).
py "random with a seed" 0 "ok" "" '
import numpy as np
g = np.random.default_rng(12345)
v = g.integers(0, 1000, size=5).tolist()
assert v == [699, 227, 788, 316, 204], v
np.random.seed(0)
assert np.random.randint(0, 100, 5).tolist() == [44, 47, 64, 67, 67]
assert abs(np.random.RandomState(1).normal() - 1.6243453636632417) < 1e-15
print("ok", v)'

py "fft" 0 "ok" "" '
import numpy as np
assert np.allclose(np.fft.fft(np.ones(4)), [4, 0, 0, 0])
t = np.arange(64); s = np.sin(2 * np.pi * 5 * t / 64)
assert np.argmax(np.abs(np.fft.rfft(s))) == 5
assert np.allclose(np.fft.ifft(np.fft.fft(s)).real, s)
print("ok")'

# A package whose C extension (a .so built for some other platform) the
# image cannot load: one ImportError naming the module and the file.
mkdir -p "$tmp/w/pkgs/fastthing"
echo 'from ._speedups import go' > "$tmp/w/pkgs/fastthing/__init__.py"
printf '\177ELF' > "$tmp/w/pkgs/fastthing/_speedups.cpython-311-x86_64-linux-gnu.so"
py "a C extension the image cannot load: clear ImportError" 1 "" \
    "ImportError: fastthing._speedups is a C extension module" '
import sys; sys.path.insert(0, "/w/pkgs")
import fastthing'
if grep -q "the native packages available are: numpy" "$tmp/err"; then
    pass "the ImportError lists the native packages"
else
    fail "the ImportError lists the native packages"; head -3 "$tmp/err"
fi

py "a pure-Python package still imports from a granted dir" 0 "42" "" '
import sys, os; sys.path.insert(0, "/w/pkgs")
os.makedirs("/w/pkgs/plain", exist_ok=True)
open("/w/pkgs/plain/__init__.py", "w").write("X = 42\n")
import plain; print(plain.X)'

summary
