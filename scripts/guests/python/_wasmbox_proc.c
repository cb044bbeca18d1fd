/* _wasmbox_proc: the host's process import module (wasmbox_proc,
 * docs/processes.md) as a built-in CPython module. CPython on WASI has
 * no fork, exec, pipe or wait; this module gives Python the calls the
 * host offers instead (spawn a child guest, wait for it, pipes and fd
 * duplication) under the names and conventions of the os module, and
 * os.py installs them at start-up (patches/pyimage-02-processes.patch).
 * subprocess's fork_exec is built on spawn in wasmbox/_subprocess.py.
 *
 * Every function only moves arguments into guest memory, calls the host
 * and turns its errno into the OSError CPython would raise. Nothing here
 * calls the host at import, so the module is valid in a snapshot taken
 * at the ready point (docs/snapshots.md) and in any run restored from
 * it. Linked into python.wasm by scripts/guests/python.sh. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char *__wasilibc_cwd;        /* wasi-libc's cwd (getcwd.c) */

#define WB_PROC(name) \
    __attribute__((import_module("wasmbox_proc"), import_name(name)))

WB_PROC("spawn") int32_t wb_proc_spawn(
    const char *path, uint32_t path_len, const char *argv, uint32_t argv_len,
    const char *env, uint32_t env_len, const char *cwd, uint32_t cwd_len,
    const int32_t *fds, int32_t *pid_out);
WB_PROC("wait") int32_t wb_proc_wait(int32_t pid, int32_t options,
                                     int32_t *status_out);
WB_PROC("kill") int32_t wb_proc_kill(int32_t pid, int32_t sig);
WB_PROC("getpid") int32_t wb_proc_getpid(void);
WB_PROC("getppid") int32_t wb_proc_getppid(void);
WB_PROC("cwd") int32_t wb_proc_cwd(char *buf, uint32_t cap,
                                   uint32_t *len_out);
WB_PROC("pipe") int32_t wb_proc_pipe(int32_t *fds_out);
WB_PROC("dup") int32_t wb_proc_dup(int32_t fd, int32_t min, int32_t *fd_out);
WB_PROC("dup2") int32_t wb_proc_dup2(int32_t fd, int32_t to);

extern char **environ;

/* The wait status, Linux's encoding (as the host stores it). */
#define WB_WNOHANG 1
#define WB_WTERMSIG(s) ((s) & 0x7f)
#define WB_WEXITSTATUS(s) (((s) & 0xff00) >> 8)
#define WB_WIFEXITED(s) (WB_WTERMSIG(s) == 0)
#define WB_WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#define WB_WIFSIGNALED(s) (!WB_WIFEXITED(s) && !WB_WIFSTOPPED(s))
#define WB_WIFCONTINUED(s) ((s) == 0xffff)
#define WB_WCOREDUMP(s) (((s) & 0x80) != 0)

/* wasi-libc's errno values are WASI's, so the host's errno is errno. */
static PyObject *os_error(int32_t rc, PyObject *filename)
{
    errno = rc;
    return filename ? PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError,
                                                           filename)
                    : PyErr_SetFromErrno(PyExc_OSError);
}

/* A growing buffer of NUL-terminated strings: the ABI's string list. */
typedef struct {
    char *p;
    size_t len, cap;
} strbuf;

static int strbuf_add(strbuf *b, const char *s, size_t n)
{
    if (memchr(s, 0, n)) {
        PyErr_SetString(PyExc_ValueError, "embedded null byte");
        return -1;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = PyMem_Realloc(b->p, cap);
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->p[b->len + n] = 0;
    b->len += n + 1;
    return 0;
}

/* Appends one str, bytes or os.PathLike, encoded as os.fsencode does. */
static int strbuf_add_obj(strbuf *b, PyObject *item)
{
    PyObject *bytes = NULL;
    if (!PyUnicode_FSConverter(item, &bytes))
        return -1;
    int r = strbuf_add(b, PyBytes_AS_STRING(bytes), PyBytes_GET_SIZE(bytes));
    Py_DECREF(bytes);
    return r;
}

static int strbuf_add_seq(strbuf *b, PyObject *seq, const char *what)
{
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast)
        return -1;
    int r = 0;
    for (Py_ssize_t i = 0; r == 0 && i < PySequence_Fast_GET_SIZE(fast); i++)
        r = strbuf_add_obj(b, PySequence_Fast_GET_ITEM(fast, i));
    Py_DECREF(fast);
    return r;
}

/* The C library's environment, which os.environ keeps up to date
 * (os.putenv): what a child gets when no env is given. */
static int strbuf_add_environ(strbuf *b)
{
    for (char **e = environ; e && *e; e++)
        if (strbuf_add(b, *e, strlen(*e)) < 0)
            return -1;
    return 0;
}

/* wasi-libc keeps the working directory in the guest's memory, where
 * the host cannot see it: a child starts where its parent is only if
 * the parent says so. */
static int strbuf_add_cwd(strbuf *b)
{
    char dir[PATH_MAX];
    if (!getcwd(dir, sizeof dir)) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return strbuf_add(b, dir, strlen(dir));
}

static int u32_len(size_t n)
{
    if (n > UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "argument list too long");
        return 0;
    }
    return 1;
}

/* The host call; a buffer's trailing NUL is not part of path and cwd. */
static int32_t call_spawn(strbuf *path, strbuf *argv, strbuf *env,
                          strbuf *cwd, const int32_t fds[3], int32_t *pid)
{
    return wb_proc_spawn(path->p, (uint32_t)path->len - 1, argv->p,
                         (uint32_t)argv->len, env->p, (uint32_t)env->len,
                         cwd->p, (uint32_t)cwd->len - 1, fds, pid);
}

static void strbufs_free(strbuf *b, int n)
{
    for (int i = 0; i < n; i++)
        PyMem_Free(b[i].p);
}

/* spawn(path, argv, env=None, cwd=None, fds=(0, 1, 2)) -> pid.
 * env None: this process's environment; cwd None: its working
 * directory; fds: the parent's fds that become the child's 0, 1 and 2
 * (-1: closed in the child). A failure raises the OSError of its errno
 * with path as the file name (FileNotFoundError for a missing image). */
static PyObject *wb_spawn(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = { "path", "argv", "env", "cwd", "fds", NULL };
    PyObject *path, *argv, *env = Py_None, *cwd = Py_None;
    int32_t fds[3] = { 0, 1, 2 };
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OO(iii):spawn", names,
                                     &path, &argv, &env, &cwd, &fds[0],
                                     &fds[1], &fds[2]))
        return NULL;
    strbuf b[4] = { { 0 } };   /* path, argv, env, cwd */
    int ok = strbuf_add_obj(&b[0], path) == 0 &&
             strbuf_add_seq(&b[1], argv, "argv must be a sequence") == 0 &&
             (env == Py_None ? strbuf_add_environ(&b[2])
                             : strbuf_add_seq(&b[2], env,
                                              "env must be a sequence")) == 0 &&
             (cwd == Py_None ? strbuf_add_cwd(&b[3])
                             : strbuf_add_obj(&b[3], cwd)) == 0;
    for (int i = 0; ok && i < 4; i++)
        ok = u32_len(b[i].len);
    PyObject *ret = NULL;
    if (ok) {
        int32_t pid = 0, rc = call_spawn(&b[0], &b[1], &b[2], &b[3], fds, &pid);
        ret = rc ? os_error(rc, path) : PyLong_FromLong(pid);
    }
    strbufs_free(b, 4);
    return ret;
}

/* waitpid(pid, options) -> (pid, status), as os.waitpid: (0, 0) with
 * WNOHANG and no child ended yet; ChildProcessError (ECHILD) when pid
 * is no child of this process. */
static PyObject *wb_waitpid(PyObject *self, PyObject *args)
{
    int pid, options;
    if (!PyArg_ParseTuple(args, "ii:waitpid", &pid, &options))
        return NULL;
    int32_t status = 0, r = wb_proc_wait(pid, options, &status);
    if (r < 0)
        return os_error(-r, NULL);
    return Py_BuildValue("(ii)", (int)r, r ? (int)status : 0);
}

/* wait() -> (pid, status): any child, as os.wait. */
static PyObject *wb_wait(PyObject *self, PyObject *noargs)
{
    int32_t status = 0, r = wb_proc_wait(-1, 0, &status);
    if (r < 0)
        return os_error(-r, NULL);
    return Py_BuildValue("(ii)", (int)r, (int)status);
}

/* kill(pid, sig): any sig but 0 ends the process (no handlers run in a
 * guest); ProcessLookupError (ESRCH) for no such process. */
static PyObject *wb_kill(PyObject *self, PyObject *args)
{
    int pid, sig;
    if (!PyArg_ParseTuple(args, "ii:kill", &pid, &sig))
        return NULL;
    int32_t rc = wb_proc_kill(pid, sig);
    if (rc)
        return os_error(rc, NULL);
    Py_RETURN_NONE;
}

static PyObject *wb_getpid(PyObject *self, PyObject *noargs)
{
    return PyLong_FromLong(wb_proc_getpid());
}

static PyObject *wb_getppid(PyObject *self, PyObject *noargs)
{
    return PyLong_FromLong(wb_proc_getppid());
}

/* pipe() -> (read_fd, write_fd). */
static PyObject *wb_pipe(PyObject *self, PyObject *noargs)
{
    int32_t fds[2] = { -1, -1 };
    int32_t rc = wb_proc_pipe(fds);
    if (rc)
        return os_error(rc, NULL);
    return Py_BuildValue("(ii)", (int)fds[0], (int)fds[1]);
}

/* dup(fd) -> the lowest free fd referring to fd's open file. */
static PyObject *wb_dup(PyObject *self, PyObject *args)
{
    int fd;
    if (!PyArg_ParseTuple(args, "i:dup", &fd))
        return NULL;
    int32_t out = -1, rc = wb_proc_dup(fd, 0, &out);
    if (rc)
        return os_error(rc, NULL);
    return PyLong_FromLong(out);
}

/* dup2(fd, fd2, inheritable=True) -> fd2. Every fd is inheritable in
 * the sense that matters here: a child gets exactly the three fds its
 * spawn names, whatever their flags. */
static PyObject *wb_dup2(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = { "fd", "fd2", "inheritable", NULL };
    int fd, fd2, inheritable = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "ii|p:dup2", names, &fd, &fd2,
                                     &inheritable))
        return NULL;
    int32_t rc = wb_proc_dup2(fd, fd2);
    if (rc)
        return os_error(rc, NULL);
    return PyLong_FromLong(fd2);
}

/* start_cwd() -> bytes: the directory the host started this process in. */
static PyObject *wb_start_cwd(PyObject *self, PyObject *noargs)
{
    char dir[PATH_MAX];
    uint32_t len = 0;
    int32_t rc = wb_proc_cwd(dir, sizeof dir, &len);
    if (rc)
        return os_error(rc, NULL);
    return PyBytes_FromStringAndSize(dir, len < sizeof dir ? len : sizeof dir);
}

/* Waits for pid, retrying if the host is interrupted. */
static int32_t wait_for(int32_t pid, int32_t *status)
{
    int32_t r;
    do
        r = wb_proc_wait(pid, 0, status);
    while (r == -EINTR);
    return r;
}

/* system(command) -> wait status: /bin/sh -c command with this
 * process's stdin, stdout, stderr, environment and working directory,
 * as os.system. A shell that cannot be started raises the OSError
 * (C's system() would return -1, which os.system passes on silently). */
static PyObject *wb_system(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *names[] = { "command", NULL };
    PyObject *cmd;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:system", names, &cmd))
        return NULL;
    if (PySys_Audit("os.system", "(O)", cmd) < 0)
        return NULL;
    static const char sh[] = "/bin/sh";
    strbuf b[4] = { { 0 } };
    int ok = strbuf_add(&b[0], sh, sizeof sh - 1) == 0 &&
             strbuf_add(&b[1], "sh", 2) == 0 &&
             strbuf_add(&b[1], "-c", 2) == 0 &&
             strbuf_add_obj(&b[1], cmd) == 0 &&
             strbuf_add_environ(&b[2]) == 0 && strbuf_add_cwd(&b[3]) == 0;
    for (int i = 0; ok && i < 4; i++)
        ok = u32_len(b[i].len);
    PyObject *ret = NULL;
    if (ok) {
        static const int32_t fds[3] = { 0, 1, 2 };
        int32_t pid = 0, status = 0;
        int32_t rc = call_spawn(&b[0], &b[1], &b[2], &b[3], fds, &pid);
        int32_t r = rc ? -rc : wait_for(pid, &status);
        if (r < 0) {
            PyObject *name = PyUnicode_FromString(sh);
            ret = name ? os_error(-r, name) : NULL;
            Py_XDECREF(name);
        } else {
            ret = PyLong_FromLong(status);
        }
    }
    strbufs_free(b, 4);
    return ret;
}

/* The W* macros of os over Linux's wait status encoding. */
#define STATUS_FN(name, expr)                                         \
    static PyObject *wb_##name(PyObject *self, PyObject *arg)         \
    {                                                                 \
        int s = _PyLong_AsInt(arg);                                   \
        if (s == -1 && PyErr_Occurred())                              \
            return NULL;                                              \
        return expr;                                                  \
    }
STATUS_FN(WIFEXITED, PyBool_FromLong(WB_WIFEXITED(s)))
STATUS_FN(WEXITSTATUS, PyLong_FromLong(WB_WEXITSTATUS(s)))
STATUS_FN(WIFSIGNALED, PyBool_FromLong(WB_WIFSIGNALED(s)))
STATUS_FN(WTERMSIG, PyLong_FromLong(WB_WTERMSIG(s)))
STATUS_FN(WIFSTOPPED, PyBool_FromLong(WB_WIFSTOPPED(s)))
STATUS_FN(WSTOPSIG, PyLong_FromLong(WB_WEXITSTATUS(s)))
STATUS_FN(WIFCONTINUED, PyBool_FromLong(WB_WIFCONTINUED(s)))
STATUS_FN(WCOREDUMP, PyBool_FromLong(WB_WCOREDUMP(s)))

/* waitstatus_to_exitcode(status): the exit code, or -signal. */
static PyObject *wb_waitstatus_to_exitcode(PyObject *self, PyObject *args,
                                           PyObject *kw)
{
    static char *names[] = { "status", NULL };
    int s;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "i:waitstatus_to_exitcode",
                                     names, &s))
        return NULL;
    if (WB_WIFEXITED(s))
        return PyLong_FromLong(WB_WEXITSTATUS(s));
    if (WB_WIFSIGNALED(s))
        return PyLong_FromLong(-WB_WTERMSIG(s));
    return PyErr_Format(PyExc_ValueError, "invalid wait status: %i", s);
}

/* Enters the directory the host started this process in (spawn's cwd)
 * before Python starts, as a child's working directory is its parent's
 * choice: wasi-libc starts every process at "/". A constructor, run by
 * _start after wasi-libc's own (its preopens, priority 50), so that a
 * script path or sys.path entry relative to it resolves there. A run
 * restored from python.snap runs no constructors; only a root starts
 * from it (a child runs _start: src/proc/start.c), in "/". */
__attribute__((constructor)) static void wb_enter_start_cwd(void)
{
    char dir[PATH_MAX];
    uint32_t len = 0;
    if (wb_proc_cwd(dir, sizeof dir - 1, &len) != 0 || len >= sizeof dir)
        return;
    dir[len] = 0;
    if (strcmp(dir, "/") != 0 && chdir(dir) != 0) {
        static const char msg[] = "python: cannot enter the working "
                                  "directory given by the parent\n";
        (void)!write(2, msg, sizeof msg - 1);
        /* keep its name (a removed directory, as Linux keeps it): in "/"
         * a relative name would be the root's (tests/attack/README.md,
         * round 2: `rm -rf g` from a removed directory emptied /g) */
        char *keep = dir[0] == '/' ? strdup(dir) : NULL;
        if (keep)
            __wasilibc_cwd = keep;
    }
}

#define KW (PyCFunction)(void (*)(void))
static PyMethodDef wb_methods[] = {
    { "spawn", KW wb_spawn, METH_VARARGS | METH_KEYWORDS,
      "spawn(path, argv, env=None, cwd=None, fds=(0, 1, 2)) -> pid" },
    { "waitpid", wb_waitpid, METH_VARARGS,
      "waitpid(pid, options) -> (pid, status)" },
    { "wait", wb_wait, METH_NOARGS, "wait() -> (pid, status)" },
    { "kill", wb_kill, METH_VARARGS, "kill(pid, signal)" },
    { "getpid", wb_getpid, METH_NOARGS, "getpid() -> this process's id" },
    { "getppid", wb_getppid, METH_NOARGS, "getppid() -> its parent's id" },
    { "pipe", wb_pipe, METH_NOARGS, "pipe() -> (read_fd, write_fd)" },
    { "dup", wb_dup, METH_VARARGS, "dup(fd) -> new fd" },
    { "dup2", KW wb_dup2, METH_VARARGS | METH_KEYWORDS,
      "dup2(fd, fd2, inheritable=True) -> fd2" },
    { "start_cwd", wb_start_cwd, METH_NOARGS,
      "start_cwd() -> the directory the host started this process in" },
    { "system", KW wb_system, METH_VARARGS | METH_KEYWORDS,
      "system(command) -> wait status of /bin/sh -c command" },
    { "waitstatus_to_exitcode", KW wb_waitstatus_to_exitcode,
      METH_VARARGS | METH_KEYWORDS,
      "waitstatus_to_exitcode(status) -> exit code or -signal" },
#define W(name) { #name, wb_##name, METH_O, #name "(status)" }
    W(WIFEXITED), W(WEXITSTATUS), W(WIFSIGNALED), W(WTERMSIG),
    W(WIFSTOPPED), W(WSTOPSIG), W(WIFCONTINUED), W(WCOREDUMP),
#undef W
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef wb_module = {
    PyModuleDef_HEAD_INIT, "_wasmbox_proc",
    "Child processes through the wasmbox host (docs/processes.md).",
    0, wb_methods,
};

PyMODINIT_FUNC PyInit__wasmbox_proc(void)
{
    PyObject *m = PyModule_Create(&wb_module);
    if (m && (PyModule_AddIntConstant(m, "WNOHANG", WB_WNOHANG) < 0 ||
              PyModule_AddIntConstant(m, "WUNTRACED", 2) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
