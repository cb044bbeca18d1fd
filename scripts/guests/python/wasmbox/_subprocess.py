"""subprocess's fork_exec for a guest: children are started by the host.

A guest cannot fork (Python runs as native code, and WASI has no fork);
the host's spawn (docs/processes.md) starts a child guest from an image
path with its argv, environment, working directory and three fds. The
guest's subprocess.py (patch scripts/guests/patches/pyimage-02-
processes.patch) calls fork_exec() below where CPython's own calls
_posixsubprocess.fork_exec(), with the same arguments, and everything
else -- pipes, communicate(), timeouts, text mode, check=True -- stays
CPython's code over os.pipe/os.waitpid/os.kill, which os takes from
_wasmbox_proc.

What differs from a fork and exec:

- spawn fails in the parent, so a missing program raises its OSError
  (FileNotFoundError naming the program) here, directly, rather than
  through the error pipe a forked child would write into;
- a child gets exactly three fds (its stdin, stdout and stderr) and the
  sandbox's grants: close_fds is always in effect, and pass_fds is
  refused;
- no Python code runs in the child (preexec_fn is refused), there are
  no users or groups to switch to (user, group, extra_groups refused),
  and no signal dispositions, sessions, process groups or umask to set
  up (restore_signals, start_new_session, process_group and umask have
  nothing to act on and are ignored);
- a script whose first line is "#!interpreter [arg]" is started as the
  kernel's execve would, by spawning the interpreter.
"""
import errno
import os
import stat

import _wasmbox_proc

# errnos after which execvp's search goes on with the next directory
_SEARCH_ON = (errno.ENOENT, errno.ENOTDIR)
_SHEBANG_MAX = 256  # bytes of a script's first line read (Linux: 256)


def fork_exec(args, executable_list, close_fds, fds_to_keep, cwd, env_list,
              p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite,
              errpipe_read, errpipe_write, restore_signals,
              start_new_session, process_group, gid, gids, uid, umask,
              preexec_fn, allow_vfork):
    """Start the child; return its pid. Arguments as CPython 3.11's
    _posixsubprocess.fork_exec (the error pipe stays unused: errors are
    raised here)."""
    _refuse_unsupported(fds_to_keep, errpipe_write, gid, gids, uid,
                        preexec_fn)
    argv = [os.fsencode(a) for a in args]
    workdir = _child_cwd(cwd)
    fds = (_fd_or_inherit(p2cread, 0), _fd_or_inherit(c2pwrite, 1),
           _fd_or_inherit(errwrite, 2))
    return _spawn_first(executable_list, argv, env_list, workdir, fds)


def _refuse_unsupported(fds_to_keep, errpipe_write, gid, gids, uid,
                        preexec_fn):
    if preexec_fn is not None:
        raise RuntimeError("preexec_fn is not supported in the wasmbox "
                           "sandbox: a child runs no code of its parent")
    if uid is not None or gid is not None or gids is not None:
        raise PermissionError(errno.EPERM, "the wasmbox sandbox has no "
                              "users or groups to switch to")
    if set(fds_to_keep) - {errpipe_write}:
        raise OSError(errno.ENOTSUP, "pass_fds is not supported in the "
                      "wasmbox sandbox: a child gets only its stdin, "
                      "stdout and stderr")


def _child_cwd(cwd):
    """The child's working directory as an absolute path (the host knows
    no guest's cwd: wasi-libc keeps it in the guest's memory); a missing
    one raises its OSError naming cwd, as a child's failed chdir does."""
    if cwd is None:
        return os.getcwd()
    path = os.path.abspath(os.fsdecode(cwd))
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise OSError(e.errno, os.strerror(e.errno), cwd) from None
    if not stat.S_ISDIR(mode):
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), cwd)
    return path


def _fd_or_inherit(fd, own):
    """The fd a child gets: the pipe or file subprocess chose, else this
    process's own (closed in the child if it is closed here)."""
    if fd != -1:
        return fd
    try:
        os.fstat(own)
    except OSError:
        return -1
    return own


def _spawn_first(executable_list, argv, env_list, workdir, fds):
    """Spawn the first candidate of the PATH search that exists, as
    _posixsubprocess's child tries each with execve; the error reported
    is the first other than 'not found', else the last."""
    saved = None
    last = None
    for exe in executable_list:
        exe = os.fsencode(exe)
        path = exe if exe.startswith(b"/") else os.path.join(
            os.fsencode(workdir), exe)
        try:
            return _spawn(path, argv, env_list, workdir, fds)
        except OSError as e:
            last = e
            if e.errno not in _SEARCH_ON and saved is None:
                saved = e
    err = saved or last
    code = err.errno if err else errno.ENOENT
    raise OSError(code, os.strerror(code),
                  _program_name(executable_list, argv))


def _program_name(executable_list, argv):
    """The name CPython's error gives: the program as the caller wrote
    it, so the bare name when it was searched along PATH."""
    if not executable_list:
        return os.fsdecode(argv[0]) if argv else ""
    first = os.fsencode(executable_list[0])
    base = os.path.basename(first)
    searched = len(executable_list) > 1 or (
        argv and b"/" not in argv[0] and argv[0] == base)
    return os.fsdecode(base if searched else first)


def _spawn(path, argv, env_list, workdir, fds):
    try:
        return _wasmbox_proc.spawn(path, argv, env_list, workdir, fds)
    except OSError as e:
        if e.errno != errno.ENOEXEC:
            raise
        interp = _shebang(path)
        if interp is None:
            raise
    return _wasmbox_proc.spawn(interp[0], interp + [path] + argv[1:],
                               env_list, workdir, fds)


def _shebang(path):
    """[interpreter, optional argument] of a "#!" script, else None."""
    try:
        with open(path, "rb") as f:
            head = f.read(_SHEBANG_MAX)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    line = head[2:].split(b"\n", 1)[0].strip()
    if not line:
        return None
    parts = line.split(None, 1)
    return [p.strip() for p in parts]
