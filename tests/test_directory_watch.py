"""``DirectoryWatch`` on a real directory: woken by a file written and by ``nudge``, and safe to nudge
from another thread once its waiter has closed it (a stopping server races its watcher so)."""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path

from pipeline_scheduler.directory_watch import DirectoryWatch


def test_a_written_file_and_a_nudge_wake_the_waiter(tmp_path: Path) -> None:
    watch = DirectoryWatch(tmp_path, {"watched.txt"})
    try:
        assert not watch.wait(0.2)
        (tmp_path / "other.txt").write_text("x")
        assert not watch.wait(0.3 if watch.notified else 1.5)  # not a watched name
        (tmp_path / "watched.txt").write_text("x")
        assert watch.wait(5.0)
        threading.Timer(0.1, watch.nudge).start()
        assert watch.wait(5.0)
    finally:
        watch.close()


def test_a_nudge_after_close_writes_nowhere(tmp_path: Path) -> None:
    """The numbers of closed descriptors are handed out again: a late nudge must not write into them."""
    watch = DirectoryWatch(tmp_path)
    watch.close()
    pipes = [os.pipe() for _ in range(3)]  # takes the numbers the watch gave back
    try:
        watch.nudge()
        watch.close()  # twice is harmless too
        assert not select.select([read for read, _ in pipes], [], [], 0)[0]
    finally:
        for pair in pipes:
            for fd in pair:
                os.close(fd)
