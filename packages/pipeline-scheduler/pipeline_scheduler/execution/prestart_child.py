"""The code a prestarted interpreter runs (``python -c`` executes this file): wait, then become the run.

It is started before any run needs it, so interpreter start-up is paid ahead of time. It imports
nothing beyond what every interpreter has loaded at start-up, so the script finds the same
interpreter state as under ``python script.py``. When it receives a run (on stdin, closed by the
server; see :mod:`pipeline_scheduler.prestart` for the message) it points stdout and stderr at
the run's log, moves into the run's directory and environment, and executes the script as
``__main__``. Whenever a warm start could differ from a cold one (an environment variable read at
interpreter start-up changed, a directory on ``sys.path`` changed since start-up, the script
cannot be read or compiled) it ``exec``s a fresh interpreter instead: same process, same pid, and
exactly ``python script.py``'s behaviour, errors included. Stdin closed without a message: exit.

Keep this compatible with every Python the server may be configured to run (3.8 and later).
"""

import os
import sys

STARTUP_VARIABLES = ("LANG", "LANGUAGE", "TZ", "HOME")
STARTUP_PREFIXES = ("PYTHON", "LC_")
RUN_MARKER = "PIPELINE_SCHEDULER_RUN"  # started with a placeholder of spaces, stamped with the run's id


def _read_message():
    chunks = []
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _mtimes():
    found = {}
    for entry in sys.path:
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


def _stamp_marker(value):
    """Write the run's id into the placeholder of ``RUN_MARKER`` in this process's original
    environment block. ``os.environ`` changes only what Python and the programs it starts see;
    ``/proc/<pid>/environ`` (and so the server's search for what a run left running) reads that
    block, which processes forked from this one inherit. Linux only; elsewhere nothing happens."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end: fields 50 and 51 of proc(5)
        with open("/proc/self/mem", "r+b", buffering=0) as memory:
            memory.seek(start)
            block = memory.read(end - start)
            key = b"\0" + RUN_MARKER.encode() + b"="
            at = block.find(key)
            if at < 0:
                return
            slot_start = at + len(key)
            slot_end = block.index(b"\0", slot_start)
            stamp = value.encode()[:slot_end - slot_start]
            memory.seek(start + slot_start)
            memory.write(stamp.ljust(slot_end - slot_start))
    except (OSError, ValueError, IndexError):
        pass


def _redirect(log_path):
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def _serve():
    startup_env = _startup_view(os.environ)
    startup_paths = _mtimes()
    message = _read_message()
    if not message:
        os._exit(0)
    fields = [os.fsdecode(field) for field in message.split(b"\0")]
    cwd, log_path, argc = fields[0], fields[1], int(fields[2])
    argv = fields[3:3 + argc]
    env = dict(entry.split("=", 1) for entry in fields[3 + argc:])
    _redirect(log_path)
    try:
        os.chdir(cwd)
    except OSError as error:
        sys.stderr.write("could not start in %s: %s\n" % (cwd, error.strerror))
        os._exit(1)
    script = argv[1]
    code = None
    if _startup_view(env) == startup_env and _mtimes() == startup_paths:
        try:
            with open(script, "rb") as handle:
                code = compile(handle.read(), os.path.abspath(script), "exec", dont_inherit=True)
        except (OSError, SyntaxError, ValueError):
            code = None  # the fresh interpreter below reports it in its own words
    if code is None:
        os.execve(argv[0], argv, env)
    os.environ.clear()
    os.environ.update(env)
    _stamp_marker(env.get(RUN_MARKER, ""))
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
    try:
        exec(code, main.__dict__)
    except SystemExit:
        raise
    except BaseException as error:  # report it as the interpreter would: without this frame
        error.__traceback__ = error.__traceback__.tb_next
        sys.excepthook(type(error), error, error.__traceback__)
        if isinstance(error, KeyboardInterrupt):
            import signal

            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        sys.exit(1)


_serve()
