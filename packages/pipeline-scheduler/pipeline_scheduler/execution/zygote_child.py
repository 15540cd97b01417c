"""The code a fork server runs (``python -c`` executes this file): wait for runs, fork one child per run.

Interpreter start-up is paid once, here; each run is a ``fork`` of this interpreter, which has
imported nothing beyond what every interpreter loads at start-up (``atexit``, ``gc``, ``select``,
``_socket`` and ``ctypes`` are the additions, and a child drops them from ``sys.modules``). Start-up's
objects are frozen (``gc.freeze``): a child's collections skip them instead of touching every page it
shares with the fork server. The child becomes the run: its own session, stdout
and stderr on the run's log, stdin on ``/dev/null``, the run's directory, environment and
argument list, the script executed as ``__main__``, the script shown in ``ps`` (Linux), and the
run's id stamped into the process's environment block (``PIPELINE_SCHEDULER_RUN``, which the
server's search for leftovers reads). Whenever a warm start could differ from ``python
script.py`` the child ``exec``s a fresh interpreter instead (same pid), and the fork server
itself exits when its start-up no longer matches what a fresh interpreter would see.

A child also ends quicker than an interpreter: it does what an interpreter's exit does that a
program can notice (see :func:`_exit_as_python`) but leaves the start-up modules it shares with
the fork server alone, then calls the C library's ``exit`` (C-level buffers flushed, C ``atexit``
handlers run). Tearing those modules down wrote to every page they share with the fork server,
which the kernel then copied: a trivial run's exit took 2.2-2.4 ms of its 4.2-4.4 ms, now 0.6-0.7 ms.

Not used at all (the server then starts each run cold) when start-up ran hooks whose side effects
belong to each process: a ``sitecustomize`` or ``usercustomize`` module, a ``.pth`` file with an
``import`` line other than packaging's own finders, ``COVERAGE_PROCESS_START``.

Protocol. The server writes frames to stdin: 8 hex digits of length, then NUL-separated fields:
``token``, ``cwd``, ``log path``, ``argc``, the ``argc`` arguments, ``KEY=VALUE`` entries (a run to
fork), or ``T`` and a pid (the server handed a run to that spare). The fork server answers on its
stdout, a Unix socket of packets, one line each: ``R`` (ready) or ``U <reason>`` (unusable) first,
then ``S <token> <pid>`` (started, with the server's end of the run's socket), ``X <token> <reason>``
(start it cold; after ``stale``, token ``-`` when no request asked, the fork server forks no more
and only reports its runs' ends), ``P <pid>`` with the server's end of a socket (a spare: a child
forked ahead that becomes the run whose frame the server writes to that socket, with no round trip
through the fork server), ``E <pid> <exit code>`` (a child ended; negative: the signal). Stdin closed: exit.

Every run also notes ``<pid> <exit code>`` on its own socket (the spare's, or the one sent with ``S``)
as it exits: the server reads it only when the fork server died first and took the exit code with it.
A run notes ``<pid> taken`` just before the script (or a fresh interpreter) starts: a child killed
before that never ran anything of its run, and the server starts the run cold instead.

Keep this compatible with every Python the server may be configured to run (3.8 and later).
"""

import os
import sys

STARTUP_MODULES = set(sys.modules)
import atexit  # only after the start-up modules are known: children drop what the fork server imported
import gc
import select
import struct

import _socket

try:
    import ctypes

    C_EXIT = ctypes.CDLL(None).exit  # the C library's exit(): what an interpreter calls once it is torn down
except (ImportError, OSError, AttributeError):
    C_EXIT = None  # children then end through the interpreter's own exit

HOOK_VARIABLES = ("COVERAGE_PROCESS_START",)  # start-up hooks of tools (coverage's .pth reads it)
STARTUP_VARIABLES = ("LANG", "LANGUAGE", "TZ", "HOME") + HOOK_VARIABLES
STARTUP_PREFIXES = ("PYTHON", "LC_")
NOTES = []  # in a run: its end of the socket it notes its exit code on (see _note_exit)
RUN_MARKER = "PIPELINE_SCHEDULER_RUN"  # started with a placeholder of spaces, stamped with the run's id
PURE_PTH_PREFIXES = ("__editable__", "distutils-precedence", "_virtualenv")  # finders only: state a fork keeps
PURE_PTH_SUFFIXES = ("-nspkg.pth",)
SPARE_AFTER = 0.005  # seconds without a request before the next run's child is forked ahead
INTERRUPTED = "interrupted"  # a script ended by an unhandled KeyboardInterrupt: it dies of SIGINT, as CPython does


def _site_dirs():
    site = sys.modules.get("site")
    if site is None:
        return []
    dirs = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE and site.USER_SITE:
        dirs.append(site.USER_SITE)
    return dirs


def _startup_hooks():
    """Why start-up ran code whose effects a forked run would miss, or ``None``."""
    for name in ("sitecustomize", "usercustomize"):
        if name in sys.modules:
            return "a %s module" % name
    for variable in HOOK_VARIABLES:
        if os.environ.get(variable):
            return variable
    for directory in _site_dirs():
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            if not name.endswith(".pth") or name.startswith(PURE_PTH_PREFIXES) or name.endswith(PURE_PTH_SUFFIXES):
                continue
            try:
                with open(os.path.join(directory, name), "rb") as handle:
                    lines = handle.read().splitlines()
            except OSError:
                continue
            if any(line.startswith((b"import ", b"import\t")) for line in lines):
                return "%s in %s" % (name, directory)
    return None


def _startup_paths():
    """What a fresh interpreter's start-up depends on in the file system: ``sys.path``, the user site."""
    found = {}
    for entry in sys.path + _site_dirs():
        if not entry:
            continue  # the start-up directory of ``-c``: replaced by the script's directory
        try:
            found[entry] = os.stat(entry).st_mtime_ns
        except OSError:
            found[entry] = None
    return found


def _startup_view(environment):
    return {key: value for key, value in environment.items()
            if key in STARTUP_VARIABLES or key.startswith(STARTUP_PREFIXES)}


def _proc_fields():
    fd = os.open("/proc/self/stat", os.O_RDONLY)
    try:
        return os.read(fd, 4096).rsplit(b")", 1)[1].split()
    finally:
        os.close(fd)


def _stamp_marker(memory, fields, value):
    """Write the run's id into the placeholder of ``RUN_MARKER`` in this process's original
    environment block. ``os.environ`` changes only what Python and the programs it starts see;
    ``/proc/<pid>/environ`` (and so the server's search for what a run left running) reads that
    block, which processes forked from this one inherit."""
    start, end = int(fields[47]), int(fields[48])  # env_start, env_end: fields 50 and 51 of proc(5)
    block = os.pread(memory, end - start, start)
    key = b"\0" + RUN_MARKER.encode() + b"="
    at = block.find(key)
    if at < 0:
        return
    slot_start = at + len(key)
    slot_end = block.index(b"\0", slot_start)
    os.pwrite(memory, value.encode()[:slot_end - slot_start].ljust(slot_end - slot_start), start + slot_start)


def _show_command(memory, fields, argv):
    """Make ``ps`` and ``/proc/<pid>/cmdline`` show the run's command (space-separated, cut to the room
    the fork server's own command line leaves) rather than the fork server's, as setproctitle does:
    a last byte that is not NUL tells Linux to read the title up to its first NUL."""
    start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end: fields 48 and 49 of proc(5)
    title = os.fsencode(" ".join(argv))[:end - start - 2]
    os.pwrite(memory, title + b"\0" * (end - start - len(title) - 1) + b" ", start)


def _label(argv, run_id):
    """Stamp the run's id and show its command (Linux only; elsewhere nothing happens)."""
    try:
        fields = _proc_fields()
        memory = os.open("/proc/self/mem", os.O_RDWR)
    except OSError:
        return
    try:
        _stamp_marker(memory, fields, run_id)
        _show_command(memory, fields, argv)
    except (OSError, ValueError, IndexError):
        pass
    finally:
        os.close(memory)


def _exit_code(status):
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _redirect(log_path):
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


class Server:
    def __init__(self):
        self.report = os.dup(1)  # the channel to the server; fd 1 (and 2, from the server) on /dev/null
        self.channel = _socket.socket(fileno=os.dup(self.report))  # the same socket, to send sockets on
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        self.wake_read, self.wake_write = os.pipe()
        self.buffer = b""
        self.spare = None  # the pid of a child forked ahead of the next run, whose socket the server holds
        self.retired = False  # start-up went stale: no more forks, only the ends of the runs it has
        self.startup_env = _startup_view(os.environ)
        self.startup_paths = _startup_paths()

    def say(self, line):
        os.write(self.report, line.encode() + b"\n")

    def hand(self, line, fd):
        """Say ``line`` with a copy of ``fd`` for the server, then close ours."""
        try:
            self.channel.sendmsg([line.encode() + b"\n"], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS,
                                                            struct.pack("i", fd))])
        except OSError:
            os._exit(0)  # the server is gone (a spare ends with its socket)
        os.close(fd)

    def serve(self):
        """Returns in a child, which then becomes the run; exits in the fork server."""
        hooks = _startup_hooks()
        if hooks:
            self.say("U " + hooks.replace("\n", " "))
            os._exit(0)
        os.set_blocking(self.wake_write, False)
        _signal = sys.modules["_signal"]
        _signal.signal(_signal.SIGCHLD, lambda signum, frame: None)
        _signal.set_wakeup_fd(self.wake_write)
        gc.freeze()  # start-up's objects live on in every child: its collections need not visit them
        self.say("R")
        while True:
            wants_spare = self.spare is None and not self.retired
            readable = select.select([0, self.wake_read], [], [], SPARE_AFTER if wants_spare else None)[0]
            if not readable:
                run = self.fork_spare()  # a quiet moment: the next run will not wait for a fork
                if run is not None:
                    return run
            if self.wake_read in readable:
                os.read(self.wake_read, 4096)
                self.reap()
            if 0 in readable:
                chunk = os.read(0, 65536)
                if not chunk:
                    os._exit(0)  # the server is gone or stopped us; running children go on, a spare ends
                self.buffer += chunk
                while len(self.buffer) >= 8 and len(self.buffer) >= 8 + int(self.buffer[:8], 16):
                    size = int(self.buffer[:8], 16)
                    message, self.buffer = self.buffer[8:8 + size], self.buffer[8 + size:]
                    run = self.start(message)
                    if run is not None:
                        return run

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.spare:  # it ended (with a run or without): fork the next one
                self.spare = None
            self.say("E %d %d" % (pid, _exit_code(status)))

    def start(self, message):
        if message.startswith(b"T\0"):  # the server handed a run to this spare
            if int(message[2:]) == self.spare:
                self.spare = None
            if not self.retired and _startup_paths() != self.startup_paths:  # the spare became a fresh interpreter
                self.retire("-")
            return None
        token, cwd, log_path, argv, env = _parse(message)
        if self.retired or _startup_paths() != self.startup_paths:
            self.retire(token)
            return None
        if _startup_view(env) != self.startup_env:
            self.say("X %s environment" % token)
            return None
        server_end, run_end = _socket_pair()
        pid = os.fork()
        if pid:
            os.close(run_end)
            self.hand("S %s %d" % (token, pid), server_end)
            return None
        os.close(server_end)
        self.leave()
        NOTES.append(run_end)
        return cwd, log_path, argv, env, False

    def fork_spare(self):
        """Fork a child ahead of the next run and hand the server the socket it waits on: the fork, the
        child's setting apart and the round trip through this process then cost the run nothing.
        Returns the run in that child, once it has one; ``None`` in the fork server."""
        if _startup_paths() != self.startup_paths:
            self.retire("-")
            return None
        server_end, run_end = _socket_pair()
        pid = os.fork()
        if pid:
            os.close(run_end)
            self.hand("P %d" % pid, server_end)
            self.spare = pid
            return None
        os.close(server_end)
        self.leave()
        message = _read_frame(run_end)
        if message is None:
            os._exit(0)  # the server let it go (it stopped, or has a newer spare)
        NOTES.append(run_end)
        _, cwd, log_path, argv, env = _parse(message)
        changed = _startup_paths() != self.startup_paths or _startup_view(env) != self.startup_env
        return cwd, log_path, argv, env, changed  # changed: a fresh interpreter takes it

    def retire(self, token):
        """Start-up no longer matches what a fresh interpreter would see (a ``pip install``): say so,
        then fork no more; the exit codes of the runs forked so far are still reported, until the
        server closes stdin."""
        self.say("X %s stale" % token)
        self.retired = True

    def leave(self):
        """In a child: drop what belongs to the fork server."""
        _signal = sys.modules["_signal"]
        _signal.set_wakeup_fd(-1)
        _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)
        if self.channel.fileno() >= 0:
            self.channel.close()
        for fd in (self.report, self.wake_read, self.wake_write):
            os.close(fd)
        for name in set(sys.modules) - STARTUP_MODULES:
            del sys.modules[name]


def _parse(message):
    """``token, cwd, log_path, argv, env`` of a request."""
    fields = [os.fsdecode(field) for field in message.split(b"\0")]
    argc = int(fields[3])
    return fields[0], fields[1], fields[2], fields[4:4 + argc], dict(entry.split("=", 1) for entry in fields[4 + argc:])


def _socket_pair():
    """``(server's end, run's end)`` of a new stream socket pair, neither inherited by programs it ``exec``s."""
    server_end, run_end = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    return server_end.detach(), run_end.detach()


def _note_exit(code):
    """Note this run's exit code on its socket: the server reads it should the fork server die first."""
    _note(str(code))


def _note(word):
    for fd in NOTES:
        try:
            os.write(fd, b"%d %s\n" % (os.getpid(), word.encode()))
        except OSError:
            pass


def _read_frame(fd):
    """One frame from a socket, or ``None`` at its end."""
    data = b""
    while len(data) < 8 or len(data) < 8 + int(data[:8], 16):
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        data += chunk
    return data[8:]


def _become(cwd, log_path, argv, env, fresh):
    """Turn this child into ``python script.py`` and run it; its exit code (see :func:`_run`).
    ``fresh``: a fresh interpreter runs it instead, in this process."""
    os.setsid()
    _redirect(log_path)
    try:
        os.chdir(cwd)
    except OSError as error:
        sys.stderr.write("could not start in %s: %s\n" % (cwd, error.strerror))
        os._exit(1)
    script = argv[1]
    code = None if fresh else _compiled(script)
    if code is None:  # a fresh interpreter runs it (and reports a script it cannot read in its own words)
        _note("taken")
        os.execve(argv[0], argv, env)
    for key in list(os.environ):  # not os.environ.clear(): it lists every key again for each one it removes
        del os.environ[key]
    os.environ.update(env)
    _label(argv, env.get(RUN_MARKER, ""))
    sys.argv[:] = argv[1:]
    if hasattr(sys, "orig_argv"):
        sys.orig_argv[:] = argv
    if not getattr(sys.flags, "safe_path", False) and not sys.flags.isolated:
        sys.path[0] = os.path.dirname(os.path.realpath(script))
    main = type(sys)("__main__")
    main.__file__ = code.co_filename
    main.__cached__ = None
    main.__loader__ = sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", code.co_filename)
    main.__builtins__ = sys.modules["builtins"]
    main.__annotations__ = {}
    sys.modules["__main__"] = main
    _note("taken")  # from now on, the end of this process is the run's: before, nothing of the run ran
    return _run(code, main.__dict__)


def _compiled(script):
    """The script's code, or ``None`` when it cannot be read or compiled."""
    try:
        with open(script, "rb") as handle:
            return compile(handle.read(), os.path.abspath(script), "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError):
        return None


def _run(code, namespace):
    """Execute the script; its exit code as ``python script.py`` would have it, or
    ``INTERRUPTED`` when it ended by an unhandled ``KeyboardInterrupt``."""
    try:
        exec(code, namespace)
    except SystemExit as stop:
        return _system_exit_code(stop)
    except BaseException as error:  # report it as the interpreter would: without this frame
        error.__traceback__ = error.__traceback__.tb_next
        sys.last_type, sys.last_value, sys.last_traceback = type(error), error, error.__traceback__
        sys.excepthook(type(error), error, error.__traceback__)
        return INTERRUPTED if isinstance(error, KeyboardInterrupt) else 1
    return 0



def _system_exit_code(stop):
    """The exit code of an uncaught ``SystemExit``; a message is printed as the interpreter prints it."""
    code = stop.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if -(1 << 63) <= code < (1 << 63) else 0xFF
    stderr = sys.stderr
    if stderr is not None:
        stderr.write(str(code) + "\n")
    return 1


def _exits_quickly():
    """Whether this child may skip the interpreter's teardown: not when asked to stay interactive
    or to report on itself at exit (``-i``, ``-X``, dev mode, allocator statistics)."""
    if C_EXIT is None or sys.flags.inspect or sys.flags.dev_mode or sys._xoptions:
        return False
    return not (os.environ.get("PYTHONINSPECT") or os.environ.get("PYTHONMALLOCSTATS"))


def _exit_as_python(code):
    """End the run as an interpreter's exit would, as far as a program can tell, in CPython's order:
    wait for non-daemon threads, run ``atexit`` handlers, flush ``sys.stdout`` and ``sys.stderr``,
    collect garbage, drop the run's modules and clear their globals (objects' ``__del__``, buffered
    files left open written out), collect and flush again; then the C library's ``exit``. The
    start-up modules are left as they are: the process ends in the next instant."""
    threading = sys.modules.get("threading")
    if threading is not None:
        _quietly(threading._shutdown)
    _quietly(atexit._run_exitfuncs)
    failed = _flush_std_streams()
    _quietly(_drop_run_modules)
    failed = _flush_std_streams() or failed
    if code == INTERRUPTED:
        code = _die_of_sigint()
    code = 120 if failed and code == 0 else code
    _note_exit(code)
    C_EXIT(code)


def _die_of_sigint():
    """End by SIGINT, as an interpreter ends on an unhandled ``KeyboardInterrupt``; the exit code if
    that did not end it."""
    _signal = sys.modules["_signal"]
    _note_exit(-_signal.SIGINT)
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    os.kill(os.getpid(), _signal.SIGINT)
    return 128 + _signal.SIGINT


def _quietly(step):
    try:
        step()
    except BaseException:  # an interrupt while exiting: go on exiting
        pass


def _flush_std_streams():
    """Flush ``sys.stdout`` and ``sys.stderr``; whether that failed (the exit code is then 120)."""
    failed = False
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not getattr(stream, "closed", False):
                stream.flush()
        except Exception:
            failed = True
    return failed


def _drop_run_modules():
    """CPython's module teardown, for the modules this run loaded and its ``__main__``: each is held
    while its globals are cleared, the last loaded first, so that what they hold is freed by
    reference counts, in order (a file left open writes its buffer before its raw file closes; a
    garbage collection of a module's cycles may finalize them in any order and lose the buffer)."""
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if getattr(sys, name, None) is not None:
            setattr(sys, name, None)
    for name in ("stdin", "stdout", "stderr"):
        original = getattr(sys, "__%s__" % name, None)
        if getattr(sys, name, None) is not original:
            setattr(sys, name, original)
    names = [name for name in sys.modules if name not in STARTUP_MODULES or name == "__main__"]
    modules = [sys.modules[name] for name in names if isinstance(sys.modules[name], type(sys))]
    for name in names:
        del sys.modules[name]
    for module in reversed(modules):
        _clear_globals(vars(module))
    del modules[:]
    gc.collect()


def _clear_globals(namespace):
    """As CPython clears a module's globals at exit: names with one leading underscore first, then all
    but ``__builtins__``."""
    for name in list(namespace):
        if isinstance(name, str) and name[:1] == "_" and name[1:2] != "_" and namespace.get(name) is not None:
            namespace[name] = None
    for name in list(namespace):
        if name != "__builtins__" and namespace.get(name) is not None:
            namespace[name] = None


def _main():
    server = Server()
    run = server.serve()
    del server
    code = _become(*run)  # returned: no frame of ours holds the run's __main__ while it is torn down
    if _exits_quickly():
        _exit_as_python(code)
    if code == INTERRUPTED:
        code = _die_of_sigint()
    _note_exit(code)  # before the interpreter's own teardown, which may still fail a flush (code 120)
    sys.exit(code)


_main()
