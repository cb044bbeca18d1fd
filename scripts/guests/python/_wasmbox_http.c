/* _wasmbox_http: the host's outbound HTTP(S) import module (wasmbox_http,
 * docs/network.md) as a built-in CPython module. It only moves bytes
 * between Python objects and the guest memory the host reads and writes;
 * every call returns the host's result code, and the Python side
 * (wasmbox/http.py) turns codes into exceptions, so the policy lives in
 * one place. Linked into python.wasm by scripts/guests/python.sh. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "wasmbox_http.h"

/* Lengths cross the ABI as u32; refuse anything that would not fit
 * rather than letting the host see a truncated length. */
static int fits_u32(Py_ssize_t n, const char *what)
{
    if ((size_t)n > UINT32_MAX) {
        PyErr_Format(PyExc_OverflowError, "%s is too long", what);
        return 0;
    }
    return 1;
}

/* request(method: bytes, url: bytes, headers: bytes, body: bytes) ->
 * (code, handle) */
static PyObject *wb_request(PyObject *self, PyObject *args)
{
    Py_buffer m, u, h, b;
    if (!PyArg_ParseTuple(args, "y*y*y*y*:request", &m, &u, &h, &b))
        return NULL;
    PyObject *ret = NULL;
    if (fits_u32(m.len, "method") && fits_u32(u.len, "url") &&
        fits_u32(h.len, "headers") && fits_u32(b.len, "body")) {
        uint32_t handle = 0;
        int32_t rc = wb_http_request(m.buf, (uint32_t)m.len, u.buf,
                                     (uint32_t)u.len, h.buf, (uint32_t)h.len,
                                     b.buf, (uint32_t)b.len, &handle);
        ret = Py_BuildValue("(ik)", (int)rc, (unsigned long)handle);
    }
    PyBuffer_Release(&m);
    PyBuffer_Release(&u);
    PyBuffer_Release(&h);
    PyBuffer_Release(&b);
    return ret;
}

/* response(handle) -> (code, status, header_lines: bytes); asks the
 * host for the length first when the first buffer is too small. */
static PyObject *wb_response(PyObject *self, PyObject *args)
{
    unsigned long handle;
    if (!PyArg_ParseTuple(args, "k:response", &handle))
        return NULL;
    uint32_t status = 0, need = 0, cap = 4096;
    for (int tries = 0; tries < 3; tries++) {
        char *buf = PyMem_Malloc(cap);
        if (!buf)
            return PyErr_NoMemory();
        int32_t rc = wb_http_response((uint32_t)handle, &status, buf, cap,
                                      &need);
        if (rc == WB_HTTP_TOOSMALL && need > cap) {
            PyMem_Free(buf);
            cap = need;
            continue;
        }
        PyObject *ret = Py_BuildValue(
            "(iky#)", (int)rc, (unsigned long)status, buf,
            (Py_ssize_t)(rc == 0 && need <= cap ? need : 0));
        PyMem_Free(buf);
        return ret;
    }
    return Py_BuildValue("(iky#)", WB_HTTP_TOOSMALL, (unsigned long)status,
                         "", (Py_ssize_t)0);
}

/* readinto(handle, buffer) -> (code, n): n == 0 at the end of the body. */
static PyObject *wb_readinto(PyObject *self, PyObject *args)
{
    unsigned long handle;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "kw*:readinto", &handle, &buf))
        return NULL;
    uint32_t cap = (size_t)buf.len > UINT32_MAX ? UINT32_MAX : (uint32_t)buf.len;
    uint32_t n = 0;
    int32_t rc = wb_http_read((uint32_t)handle, buf.buf, cap, &n);
    PyBuffer_Release(&buf);
    return Py_BuildValue("(ik)", (int)rc, (unsigned long)(rc ? 0 : n));
}

static PyObject *wb_close(PyObject *self, PyObject *args)
{
    unsigned long handle;
    if (!PyArg_ParseTuple(args, "k:close", &handle))
        return NULL;
    return PyLong_FromLong(wb_http_close((uint32_t)handle));
}

/* last_error() -> str: the host's one-line message (UTF-8, invalid
 * bytes replaced: it may quote a name the guest sent). */
static PyObject *wb_last_error(PyObject *self, PyObject *noargs)
{
    char small[512];
    uint32_t len = 0;
    if (wb_http_last_error(small, sizeof small, &len) != 0)
        return PyUnicode_FromString("");
    if (len <= sizeof small)
        return PyUnicode_DecodeUTF8(small, len, "replace");
    char *big = PyMem_Malloc(len);
    if (!big)
        return PyErr_NoMemory();
    uint32_t len2 = 0;
    PyObject *s = wb_http_last_error(big, len, &len2) == 0
        ? PyUnicode_DecodeUTF8(big, len2 < len ? len2 : len, "replace")
        : PyUnicode_FromString("");
    PyMem_Free(big);
    return s;
}

static PyMethodDef wb_methods[] = {
    { "request", wb_request, METH_VARARGS,
      "request(method, url, headers, body) -> (code, handle)" },
    { "response", wb_response, METH_VARARGS,
      "response(handle) -> (code, status, header_lines)" },
    { "readinto", wb_readinto, METH_VARARGS,
      "readinto(handle, buffer) -> (code, nread)" },
    { "close", wb_close, METH_VARARGS, "close(handle) -> code" },
    { "last_error", wb_last_error, METH_NOARGS,
      "last_error() -> the host's message for the last failed call" },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef wb_module = {
    PyModuleDef_HEAD_INIT, "_wasmbox_http",
    "Outbound HTTP(S) through the wasmbox host (see the wasmbox package).",
    0, wb_methods,
};

PyMODINIT_FUNC PyInit__wasmbox_http(void)
{
    return PyModule_Create(&wb_module);
}
