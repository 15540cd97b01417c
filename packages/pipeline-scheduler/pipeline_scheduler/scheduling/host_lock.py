"""The dispatcher lease of servers sharing one SQLite file: an OS lock, which the kernel holds for
as long as the process lives and releases when it dies, even by kill -9.

A SQLite database can only be shared by processes of one machine (SQLite's own rule for network
file systems), so a lock file next to it sees every server that can use it. Holding it costs
nothing (no renewal); a standby tries it without blocking, a system call and no database.
"""

from __future__ import annotations

import fcntl
import os
import weakref
from pathlib import Path


class HostLock:
    """``flock`` on ``path``: exclusive between open files, hence between servers, even in one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        forget = weakref.WeakMethod(self._forget)
        os.register_at_fork(after_in_child=lambda: (method := forget()) is not None and method())

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)  # not inherited by runs
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # the last descriptor of the open file: the kernel drops the lock

    def _forget(self) -> None:
        """A forked child (no exec) must not keep the lock alive after this server dies."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

