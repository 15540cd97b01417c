"""Wait until files of a directory are written, created or removed, without waking while none is.

On Linux, inotify reports the changes: an idle directory costs no wake-up at all (the database's
directory, where a server registering writes; the jobs directory). Elsewhere the size and
modification time of the files are compared once a second. ``nudge`` wakes a waiter at once (this
process has news, or is stopping).
"""

from __future__ import annotations

import ctypes
import os
import select
import struct
import sys
import threading
import time
from pathlib import Path

IN_MODIFY, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x2, 0x80, 0x100, 0x200
EVENT_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len of the name that follows
FALLBACK_POLL_SECONDS = 1.0


class DirectoryWatch:
    def __init__(self, directory: Path, names: set[str] | None = None) -> None:
        """``names``: only changes to these files count (``None``: any file of ``directory``)."""
        self._directory, self._names = directory, names
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._closing = threading.Lock()  # a nudge from another thread never writes to a closed (reused) fd
        self._closed = False
        self._inotify = _inotify(directory)
        self._seen = self._signature()

    @property
    def notified(self) -> bool:
        """Whether changes are reported by the system (else polled once a second)."""
        return self._inotify is not None

    def wait(self, timeout: float | None) -> bool:
        """Whether a file changed (or ``nudge`` was called) within ``timeout`` seconds (``None``: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self._inotify is None:
                left = FALLBACK_POLL_SECONDS if left is None else min(left, FALLBACK_POLL_SECONDS)
            ready = select.select([self._wake_read, *([self._inotify] if self._inotify is not None else [])], [], [],
                                  left)[0]
            if self._wake_read in ready:
                _drain(self._wake_read)
                return True
            if self._inotify in ready and self._written():
                return True
            if self._inotify is None:
                seen, self._seen = self._seen, self._signature()
                if seen != self._seen:
                    return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def nudge(self) -> None:
        """Wake the waiter; nothing once the watch is closed (its waiter has returned for good)."""
        with self._closing:
            if self._closed:
                return
            try:
                os.write(self._wake_write, b"!")
            except BlockingIOError:
                pass  # a wake-up is pending already

    def close(self) -> None:
        with self._closing:
            if self._closed:
                return
            self._closed = True
            for fd in (self._wake_read, self._wake_write, self._inotify):
                if fd is not None:
                    os.close(fd)

    def _written(self) -> bool:
        """Read the pending events: did any concern the files watched?"""
        data, written = _drain(self._inotify), False
        offset = 0
        while offset + EVENT_HEADER.size <= len(data):
            _wd, _mask, _cookie, length = EVENT_HEADER.unpack_from(data, offset)
            name = data[offset + EVENT_HEADER.size:offset + EVENT_HEADER.size + length].rstrip(b"\0")
            written = written or self._names is None or os.fsdecode(name) in self._names
            offset += EVENT_HEADER.size + length
        return written

    def _signature(self) -> set[tuple[str, int, int]]:
        """Name, modification time and size of each file watched (none while polling is not needed)."""
        if self._inotify is not None:
            return set()
        found = set()
        try:
            paths = list(self._directory.iterdir())
        except OSError:
            return found
        for path in paths:
            if self._names is None or path.name in self._names:
                try:
                    stat = path.stat()
                except OSError:
                    continue
                found.add((path.name, stat.st_mtime_ns, stat.st_size))
        return found


def _inotify(directory: Path) -> int | None:
    """An inotify descriptor watching ``directory`` for writes; ``None`` where inotify is not available."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None
    if fd < 0:
        return None
    if libc.inotify_add_watch(fd, os.fsencode(directory), IN_MODIFY | IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0:
        os.close(fd)
        return None
    return fd


def _drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
