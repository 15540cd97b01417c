"""Python scripts started warm: forked from a fork server instead of a new interpreter each time.

Starting CPython takes 15-25 ms, most of a trivial run. A run of ``python script.py [args]`` goes
to a fork server (:mod:`.zygote`) of that Python started with the same start-up environment (the
variables an interpreter reads at start-up: ``PYTHON*``, ``LC_*``, ``LANG``, ``TZ``, ``HOME``,
``COVERAGE_PROCESS_START``), one
per such environment (a few at most, the least recently used closed first). A run the fork servers
cannot take starts cold, exactly as before: another command, a start-up environment whose fork
server is still starting, start-up hooks of its own (a ``sitecustomize``, a ``.pth`` that runs
code, coverage), or a ``sys.path`` that changed since the fork server started (a replacement is
started then).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

from .executors import Command
from .orphans import RUN_MARKER
from .processes import UNBUFFERED
from .zygote import MARKER_PLACEHOLDER, ForkedRun, ForkServer

__all__ = ["MARKER_PLACEHOLDER", "Prestarter", "startup_key"]  # the kernel pool's spares use the placeholder too

log = logging.getLogger(__name__)

STARTUP_VARIABLES = ("LANG", "LANGUAGE", "TZ", "HOME", "COVERAGE_PROCESS_START")  # as zygote_child reads them
STARTUP_PREFIXES = ("PYTHON", "LC_")
MAX_FORK_SERVERS = 4
GIVE_UP_AFTER = 3  # fork servers that died before they were ready: this Python cannot run one, stop trying
RETRY_HOOKED_AFTER = 60.0  # seconds before checking again whether an interpreter's start-up hooks are gone

StartupKey = tuple[tuple[str, str], ...]


def startup_key(env: Mapping[str, str]) -> StartupKey:
    """The part of ``env`` an interpreter reads at start-up: runs with the same key share a fork server."""
    return tuple(sorted((key, value) for key, value in env.items()
                        if key in STARTUP_VARIABLES or key.startswith(STARTUP_PREFIXES)))


class Prestarter:
    """Fork servers of ``python`` for the runs of Python scripts; ``spares=0`` starts every run cold."""

    def __init__(self, python: str, cwd: Path, spares: int) -> None:
        self._python = python
        self._cwd = cwd
        self._enabled = spares > 0
        self._servers: OrderedDict[StartupKey, ForkServer] = OrderedDict()
        self._hooked: dict[StartupKey, float] = {}  # start-up environments whose runs start cold, since when
        self._lock = threading.Lock()
        self._failures = 0
        self._stopping = False

    def start(self) -> None:
        if self._enabled:
            self._server_for(startup_key({**os.environ, **UNBUFFERED}))

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            servers, self._servers = list(self._servers.values()), OrderedDict()
        for server in servers:
            server.close()

    def wait_ready(self, env: Mapping[str, str], timeout: float = 10.0) -> bool:
        """Whether the fork server for runs in ``env`` is ready (started if needed) within ``timeout``."""
        server = self._server_for(startup_key({**env, **UNBUFFERED}))
        return server is not None and server.wait_ready(timeout)

    def launch(self, command: Command, log_path: Path, env: Mapping[str, str]) -> ForkedRun | None:
        """The run forked from a fork server, or ``None`` when it must start cold."""
        if len(command.argv) < 2 or command.argv[0] != self._python or not command.argv[1].endswith(".py"):
            return None
        if not self._enabled or not Path(command.cwd).is_dir():
            return None  # a cold start reports a missing directory the usual way
        key = startup_key(env)
        server = self._server_for(key)
        if server is None:
            return None
        run = server.launch(command.argv, os.fspath(command.cwd), os.fspath(log_path), env)
        if not server.alive:
            self._retire(key, server)
        return run

    def _server_for(self, key: StartupKey) -> ForkServer | None:
        with self._lock:
            if self._stopping or self._failures >= GIVE_UP_AFTER:
                return None
            if time.monotonic() - self._hooked.get(key, -RETRY_HOOKED_AFTER) < RETRY_HOOKED_AFTER:
                return None
            server = self._servers.get(key)
            if server is not None and server.alive:
                self._servers.move_to_end(key)
                return server
            if server is not None:
                self._forget(key, server)
                if key in self._hooked:
                    return None
            while len(self._servers) >= MAX_FORK_SERVERS:
                _, oldest = self._servers.popitem(last=False)
                threading.Thread(target=oldest.retire, daemon=True).start()
            server = self._spawn(key)
            if server is not None:
                self._servers[key] = server
            return server

    def _spawn(self, key: StartupKey) -> ForkServer | None:
        env = {name: value for name, value in os.environ.items()
               if name != RUN_MARKER and startup_key({name: value}) == ()}
        try:
            return ForkServer(self._python, self._cwd, {**env, **dict(key)})
        except OSError as error:
            log.warning("cannot start a fork server of %s (%s): runs start a new interpreter each time instead",
                        self._python, error)
            self._failures = GIVE_UP_AFTER
            return None

    def _retire(self, key: StartupKey, server: ForkServer) -> None:
        with self._lock:
            self._forget(key, server)

    def _forget(self, key: StartupKey, server: ForkServer) -> None:
        """A fork server that stopped serving (lock held): replaced at the next run, or not while its hooks stay."""
        if self._servers.get(key) is server:
            del self._servers[key]
        if server.unusable not in (None, "stale", "no answer"):
            self._hooked[key] = time.monotonic()
        elif server.unusable is None and not server.was_ready:
            self._failures += 1
            if self._failures == GIVE_UP_AFTER:
                log.warning("%s could not run a fork server %d times: runs start a new interpreter each "
                            "time instead", self._python, GIVE_UP_AFTER)
        # a stale one still reports the ends of its runs; one that stopped answering is closed at once
        threading.Thread(target=server.retire if server.unusable == "stale" else server.close, daemon=True).start()
