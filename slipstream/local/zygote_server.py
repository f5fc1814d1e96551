"""The zygote's loop and a forked job's start (see zygote_launcher.py): standard library only, Python 3.10.

`python zygote_server.py SOCKET MODULE...`: imports MODULE..., listens on SOCKET, prints one JSON line when
ready, then forks a child per accepted request. Single-threaded by design (a fork copies only the forking
thread); it exits, killing its children, when its stdin (a pipe from the process that started it) closes.

`python zygote_server.py SOCKET --gevent MODULE...` is the model servers' zygote: it monkey-patches the standard
library with gevent first, as gunicorn's gevent worker does before the app imports anything, so the preloads
hold gevent's locks, thread-locals and sleeps exactly as in the image's workers. Its loop then runs on gevent's
hub: os.fork is gevent's (the child gets a fresh hub) and each child's end is awaited by a greenlet of its own
(gevent reaps SIGCHLD itself, so no wakeup pipe).
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import ctypes.util
import importlib
import importlib.machinery
import io
import json
import os
import selectors
import signal
import socket
import sys
import traceback
import types

from zygote_launcher import _MAX_MESSAGE, _interpreter_state, import_signature

_PR_SET_PDEATHSIG = 1
_PRCTL = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl


def _decline(request: dict, own_env: dict[str, str], added: dict[str, str]) -> str:
    job, own = import_signature(request["env"]), import_signature(own_env)
    # What a preload set for itself by setdefault (scikit-learn's KMP_*): a job without it, or with the same
    # value, loads that library exactly as the zygote did (e.g. a job started by a forked toolkit that has it).
    job = {name: value for name, value in job.items() if not (name in added and added[name] == value)}
    if job != own:
        names = sorted(name for name in {*job, *own} if job.get(name) != own.get(name))
        return f"the job's import-time environment differs from the zygote's in {', '.join(names)}"
    if request["state"][:3] != _interpreter_state()[:3]:
        return "the job's interpreter options differ from the zygote's"
    return ""


def _fresh_main(**attributes: object) -> types.ModuleType:
    main = types.ModuleType("__main__")
    main.__dict__.update(__builtins__=builtins, __annotations__={}, **attributes)
    sys.modules["__main__"] = main
    return main


def _exec(target: dict[str, str], argv: list[str]) -> None:
    """The interpreter's own three ways in, with sys.argv as it sets them."""
    if "c" in target:
        sys.argv = ["-c", *argv]
        main = _fresh_main(__loader__=importlib.machinery.BuiltinImporter, __spec__=None, __package__=None)
        exec(compile(target["c"], "<string>", "exec"), main.__dict__)
    elif "m" in target:
        sys.argv = ["-m", *argv]
        _fresh_main()
        import runpy

        runpy._run_module_as_main(target["m"], alter_argv=True)  # type: ignore[attr-defined]  # python -m's own
    else:
        sys.argv = [target["path"], *argv]
        path = os.path.abspath(target["path"])  # __file__ and tracebacks name the script by its full path
        loader = importlib.machinery.SourceFileLoader("__main__", path)
        main = _fresh_main(__file__=path, __cached__=None, __loader__=loader, __spec__=None, __package__=None)
        with io.open_code(path) as source:
            code = compile(source.read(), path, "exec")
        exec(code, main.__dict__)


def _exit_code(exit: SystemExit) -> int:
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code
    print(exit.code, file=sys.stderr)
    return 1


def _finish(code: int) -> int:
    """What Py_FinalizeEx does before the process ends: join threads, atexit, flush stdio (failure -> 120)."""
    import atexit
    import threading

    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = 120
    return code


_SELF = __file__


def _report_uncaught() -> None:
    """The traceback as the interpreter prints it: from the job's first frame, not the zygote's."""
    kind, value, trace = sys.exc_info()
    while trace is not None and trace.tb_frame.f_code.co_filename == _SELF:
        trace = trace.tb_next
    if value is not None:
        value.__traceback__ = trace  # the builtin hook prints the exception's own traceback
    sys.excepthook(kind, value, trace)  # type: ignore[arg-type]


def _run_job(target: dict[str, str], argv: list[str]) -> int:
    try:
        _exec(target, argv)
    except SystemExit as exit:
        return _finish(_exit_code(exit))
    except KeyboardInterrupt:
        _report_uncaught()
        _finish(1)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the interpreter ends by SIGINT, as a shell expects
        os.kill(os.getpid(), signal.SIGINT)
        return 1
    except BaseException:
        _report_uncaught()
        return _finish(1)
    return _finish(0)


def _reseed() -> None:
    import random
    import tempfile

    random.seed()
    tempfile.tempdir = None
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()


def _become_job(request: dict, fds: list[int], zygote: int, base_path: list[str], added: dict[str, str]) -> None:
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != zygote:
        os._exit(1)
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    sys.stdout.reconfigure(line_buffering=os.isatty(1))  # type: ignore[union-attr]
    os.chdir(request["cwd"])
    os.environ.clear()
    # What the preloads set by setdefault at import (KMP_* of scikit-learn, joblib and threadpoolctl), as a
    # fresh job importing them sets it: every image job does (the toolkit passes them on to train.py, which does).
    os.environ.update({**added, **request["env"]})
    sys.orig_argv = request["orig_argv"]
    sys.executable = request["state"][3]
    target = request["target"]
    first = "" if "c" in target else os.getcwd() if "m" in target else os.path.dirname(os.path.realpath(target["path"]))
    extra = [entry for entry in request["env"].get("PYTHONPATH", "").split(os.pathsep) if entry]
    sys.path[:] = [first, *extra, *base_path]
    _reseed()


GEVENT = "--gevent"


class Zygote:
    def __init__(self, socket_path: str, env: dict[str, str], added: dict[str, str], cooperative: bool) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(socket_path)
        self.listener.listen(64)
        self.cooperative = cooperative  # on gevent's hub (GEVENT)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, self._accept)
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, self._stdin)
        self.wake_read = -1
        if not cooperative:
            self.wake_read, wake_write = os.pipe()
            os.set_blocking(wake_write, False)
            signal.set_wakeup_fd(wake_write)
            signal.signal(signal.SIGCHLD, lambda *_: None)
            self.selector.register(self.wake_read, selectors.EVENT_READ, self._reap)
        self.children: dict[int, socket.socket] = {}
        self.base_path = list(sys.path)
        self.env = env
        self.added = added
        self.running = True

    def serve(self) -> None:
        while self.running or self.children:
            # Closing, the last children's ends come to greenlets, not to the selector: look again now and then.
            for key, _ in self.selector.select(None if self.running or not self.cooperative else 0.2):
                key.data(key.fileobj)

    def _accept(self, _listener: object) -> None:
        conn, _ = self.listener.accept()
        try:
            message, fds, _flags, _addr = socket.recv_fds(conn, _MAX_MESSAGE, 3)
            request = json.loads(message)
        except (OSError, ValueError):
            conn.close()
            return
        reason = _decline(request, self.env, self.added) if len(fds) == 3 else "no stdio"
        print(json.dumps({"target": request["target"], "declined": reason}), file=sys.stderr, flush=True)
        if reason:
            for fd in fds:
                os.close(fd)
            conn.send(json.dumps({"declined": reason}).encode())
            conn.close()
            return
        self._fork(conn, request, fds)

    def _fork(self, conn: socket.socket, request: dict, fds: list[int]) -> None:
        zygote = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                self.selector.close()
                for sock in (self.listener, conn, *self.children.values()):
                    sock.close()
                if self.wake_read >= 0:
                    os.close(self.wake_read)
                _become_job(request, fds, zygote, self.base_path, self.added)
            except BaseException:
                traceback.print_exc()
                os._exit(70)
            os._exit(_run_job(request["target"], request["argv"]))
        for fd in fds:
            os.close(fd)
        self.children[pid] = conn
        self.selector.register(conn, selectors.EVENT_READ, self._client_gone)
        conn.send(json.dumps({"pid": pid}).encode())
        if self.cooperative:
            import gevent

            gevent.spawn(self._await, pid)

    def _await(self, pid: int) -> None:
        _, status = os.waitpid(pid, 0)  # gevent's: this greenlet waits, the loop goes on
        self._ended(pid, status)

    def _client_gone(self, conn: socket.socket) -> None:
        """The stand-in process ended (killed: SIGKILL cannot be forwarded): its job must not outlive it."""
        self.selector.unregister(conn)
        for pid, owner in self.children.items():
            if owner is conn:
                os.kill(pid, signal.SIGKILL)

    def _reap(self, _wake: object) -> None:
        os.read(self.wake_read, 4096)
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._ended(pid, status)

    def _ended(self, pid: int, status: int) -> None:
        conn = self.children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(KeyError):  # its stand-in may have gone already
                self.selector.unregister(conn)
            with contextlib.suppress(OSError):  # ... and then nobody waits for this status
                conn.send(json.dumps({"status": status}).encode())
            conn.close()

    def _stdin(self, fd: int) -> None:
        if os.read(fd, 4096):
            return
        self.running = False  # the process that owns this zygote ended or closed it
        self.selector.unregister(fd)
        self.selector.unregister(self.listener)
        for pid in self.children:
            os.kill(pid, signal.SIGKILL)


def serve(socket_path: str, modules: list[str]) -> None:
    cooperative = modules[:1] == [GEVENT]
    if cooperative:
        from gevent import monkey

        monkey.patch_all()  # gunicorn's GeventWorker.patch(), before any preload
        modules = modules[1:]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's ^C is for the job and the run, not the zygote
    before = dict(os.environ)
    failed = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # a preload the image lacks only costs its job the import
            failed.append(name)
    added = {name: value for name, value in os.environ.items() if before.get(name) != value}
    zygote = Zygote(socket_path, before, added, cooperative)
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 1
    import threading

    ready = {"ready": os.getpid(), "failed": failed, "threads": threads, "python_threads": threading.active_count()}
    print(json.dumps(ready), flush=True)
    zygote.serve()
    os.unlink(socket_path)


if __name__ == "__main__":
    del sys.path[0]  # this folder (slipstream/local) must not shadow anything the preloads or the jobs import
    serve(sys.argv[1], sys.argv[2:])
