"""A fork server: one interpreter started ahead of runs that forks a fresh child for each run.

Starting CPython takes 15-25 ms, most of a trivial run; a ``fork`` of a waiting interpreter takes
about 1 ms. The fork server runs :mod:`pipeline_scheduler.execution.zygote_child` (see there for
what a child does and the protocol). Its children are not the server's, so a run is a
:class:`ForkedRun`: a ``Popen`` look-alike whose exit code the fork server reports when it reaps
the child, so that the run manager waits on, times out and kills it like a process it started.
Each run also notes its exit code on a socket of its own as it exits: a fork server that dies
(killed, out of memory) takes the exit codes of its running children with it, and the notes give
them back (only a run killed by a signal after its fork server died is reported as killed, -9).

While it is quiet, the fork server forks the next run's child ahead (a *spare*) and sends this
server its end of the socket the spare waits on: a run then costs one write here, with no
round trip through the fork server (whose wake-ups took 0.7-0.9 ms of an idle machine's launch).
A child notes that it took its run just before the script starts: one killed before never ran
anything of it (:attr:`ForkedRun.never_started`, a spare killed as it is handed its run), and the
run is started cold instead.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import psutil

from .orphans import RUN_MARKER
from .processes import pidfd

log = logging.getLogger(__name__)

CHILD = str(Path(__file__).with_name("zygote_child.py"))
CHILD_LOADER = f"exec(compile(open({CHILD!r}, 'rb').read(), {CHILD!r}, 'exec'))"  # no imports of ours
MARKER_PLACEHOLDER = " " * 100  # room for the run's execution id (see zygote_child._stamp_marker)
TITLE_ROOM = " " * 1024  # room in the command line for the run's command (see zygote_child._show_command)
REPLY_SECONDS = 10.0
FD_BYTES = struct.calcsize("i")
LOST_EXIT_CODE = -int(signal.SIGKILL)  # a child whose fork server died, and which noted no exit code


class ForkedRun:
    """A run forked by a fork server, with the part of ``subprocess.Popen`` the run manager uses."""

    def __init__(self, pid: int, argv: Sequence[str], note: int | None) -> None:
        self.pid = pid
        self.args = list(argv)
        self.returncode: int | None = None
        self._ended = threading.Event()
        self._note: int | None = note  # our end of the socket the run notes on (see zygote_child._note_exit)
        self._note_lock = threading.Lock()
        self._noted = b""  # what it noted so far
        self.never_started = False  # its child was killed before it noted "taken": nothing of the run ran

    def ended(self, code: int) -> None:
        if code < 0 and self._note is not None and b"taken" not in self._notes():
            self.never_started = True
        self.returncode = code
        self.drop_note()
        self._ended.set()

    def noted_exit(self) -> int | None:
        """The exit code the run noted as it exited, if it did."""
        codes = [int(word) for word in self._notes() if word.lstrip(b"-").isdigit()]
        return codes[-1] if codes else None

    def _notes(self) -> list[bytes]:
        """The notes of this run's process (a process it forked notes under its own pid), oldest first."""
        with self._note_lock:
            if self._note is not None:
                os.set_blocking(self._note, False)
                try:
                    while chunk := os.read(self._note, 4096):  # until every holder of the run's end closed it
                        self._noted += chunk
                except OSError:  # nothing more for now: a process it forked may hold the run's end still
                    pass
            noted = self._noted
        own = b"%d" % self.pid
        return [note for pid, _, note in (line.partition(b" ") for line in noted.splitlines()) if pid == own]

    def drop_note(self) -> None:
        with self._note_lock:
            note, self._note = self._note, None
        if note is not None:
            os.close(note)

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:  # once reaped, the pid may belong to another process
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """One fork server process for runs of ``python`` whose start-up environment is ``env``'s."""

    def __init__(self, python: str, cwd: Path, env: Mapping[str, str]) -> None:
        self.python = python
        self.unusable: str | None = None  # why runs must start cold, once it said so
        self.was_ready = False
        self._channel, their_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # packets: lines, sockets
        try:
            self._process = subprocess.Popen([python, "-c", CHILD_LOADER, TITLE_ROOM], cwd=cwd,
                                             env={**env, RUN_MARKER: MARKER_PLACEHOLDER}, stdin=subprocess.PIPE,
                                             stdout=their_end, stderr=subprocess.DEVNULL, start_new_session=True,
                                             close_fds=True)
        except OSError:
            self._channel.close()
            raise
        finally:
            their_end.close()
        self._lock = threading.Lock()  # one request at a time: the reply names its token, but keep it simple
        self._spare: tuple[int, int] | None = None  # (pid, socket) of a child forked ahead, waiting for a run
        self._spare_lock = threading.Lock()  # not the request lock: a spare may arrive while a request waits
        self._ready = threading.Event()
        self._replied = threading.Event()
        self._gone = False  # the reader saw the fork server end: nothing will answer any more
        self._reply: tuple[str, ForkedRun | None] = ("", None)  # the token answered, the run if forked
        self._runs: dict[int, ForkedRun] = {}
        self._argv: Sequence[str] = ()
        self._token = 0
        self._reader = threading.Thread(target=self._read, name="pipeline-scheduler-fork-server", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None and self.unusable is None

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout) and self.alive

    def launch(self, argv: Sequence[str], cwd: str, log_path: str, env: Mapping[str, str]) -> ForkedRun | None:
        """The run forked from this server, or ``None`` when it must start cold."""
        if not self._ready.is_set() or not self.alive:
            return None
        with self._lock:
            self._token += 1
            token = str(self._token)
            fields = [token, cwd, log_path, str(len(argv)), *argv, *(f"{key}={value}" for key, value in env.items())]
            frame = _frame(b"\0".join(os.fsencode(field) for field in fields))
            handed = self._hand_to_spare(frame, argv)
            if handed is not None:
                return handed
            self._replied.clear()
            if self._gone:  # checked after the clear: a reader ending later sets it again
                return None
            self._argv = argv
            if not self._send(frame):  # may succeed when it just ended: a forking sibling held its stdin open
                return None
            if not self._replied.wait(REPLY_SECONDS):
                log.warning("the fork server of %s did not answer: runs start cold until it is replaced", self.python)
                self.unusable = "no answer"
                return None
            answered, run = self._reply
        return run if answered == token else None

    def _hand_to_spare(self, frame: bytes, argv: Sequence[str]) -> ForkedRun | None:
        """Write the run to the spare's socket (lock held): the run, or ``None`` without a live spare."""
        with self._spare_lock:  # taken and tracked at once: a fork server ending drops its spare, then loses its runs
            spare, self._spare = self._spare, None
            if spare is None:
                return None
            pid, sock = spare
            run = ForkedRun(pid, argv, sock)
            self._runs[pid] = run  # before it can end
        try:
            _write_all(sock, frame)
        except OSError:  # it died before its run
            self._runs.pop(pid, None)
            run.drop_note()
            return None
        self._send(_frame(b"T\0%d" % pid))  # the fork server forks the next
        return run

    def _send(self, frame: bytes) -> bool:
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(frame)
            self._process.stdin.flush()
            return True
        except OSError:
            return False

    def _offer(self, pid: int, sock: int) -> None:
        with self._spare_lock:
            old, self._spare = self._spare, (pid, sock)
        if old is not None:
            os.close(old[1])  # an older spare: it ends once its socket is closed

    def retire(self) -> None:
        """Close once the runs it forked have ended (their exit codes come from it until then)."""
        for run in list(self._runs.values()):
            run.wait()
        self.close()

    def close(self) -> None:
        """Stop forking; the runs it started go on (their exit codes are then lost)."""
        self._drop_spare()
        try:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(2.0)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def _drop_spare(self) -> None:
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            os.close(spare[1])

    def _messages(self) -> Iterator[tuple[str, list[int]]]:
        """The fork server's lines, each with the sockets sent along, until it ends."""
        while True:
            try:
                data, ancillary, _, _ = self._channel.recvmsg(4096, socket.CMSG_SPACE(FD_BYTES))
            except OSError:
                return
            if not data:
                return
            fds = [struct.unpack("i", payload[:FD_BYTES])[0] for level, kind, payload in ancillary
                   if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS and len(payload) >= FD_BYTES]
            yield data.decode(errors="replace"), fds

    def _read(self) -> None:
        for raw, fds in self._messages():
            words = raw.split(" ", 2)
            kind = words[0].strip()
            kept = None  # the socket sent with a spare or a run
            for fd in fds:
                os.set_inheritable(fd, False)  # no other process the server starts may hold it
            if kind in ("P", "S") and fds:
                kept, fds = fds[0], fds[1:]
            for fd in fds:
                os.close(fd)
            if kind == "P" and kept is not None:
                self._offer(int(words[1]), kept)
                continue
            if kind == "R":
                self.was_ready = True
                self._ready.set()
            elif kind == "U":
                self.unusable = words[1].strip() if len(words) > 1 else "unusable"
                log.info("runs of %s start cold: its start-up runs hooks of its own (%s)", self.python,
                         " ".join(words[1:]).strip())
                self._ready.set()
            elif kind == "S":
                run = ForkedRun(int(words[2]), self._argv, kept)
                self._runs[run.pid] = run
                self._answer(words[1], run)
            elif kind == "X":
                if words[2].strip() == "stale":
                    self.unusable = "stale"
                self._answer(words[1], None)
            elif kind == "E":
                ended = self._runs.pop(int(words[1]), None)
                if ended is not None:
                    ended.ended(int(words[2]))
        self._gone = True
        self._ready.set()
        self._replied.set()
        self._drop_spare()
        self._channel.close()
        self._lose_runs()

    def _answer(self, token: str, run: ForkedRun | None) -> None:
        self._reply = (token, run)
        self._replied.set()

    def _lose_runs(self) -> None:
        """The fork server is gone: its children's exit codes with it. Wait for each to end, report it killed."""
        self._process.wait()
        runs, self._runs = list(self._runs.values()), {}
        for run in runs:
            threading.Thread(target=_await_lost, args=(run,), daemon=True).start()


def _frame(payload: bytes) -> bytes:
    """A message to the fork server: its length in 8 hex digits, then the payload."""
    return b"%08x" % len(payload) + payload


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


def _await_lost(run: ForkedRun) -> None:
    """Its fork server died: wait for the run to end, then take the exit code it noted, if any."""
    _wait_for_exit(run.pid)
    noted = run.noted_exit()
    run.ended(LOST_EXIT_CODE if noted is None else noted)


def _wait_for_exit(pid: int) -> None:
    """Until the process ``pid``, not a child of ours, has exited. A pidfd tells the moment it exits;
    waiting for it to disappear would also wait for its new parent to reap it (seen taking 2 s)."""
    try:
        process = psutil.Process(pid)
        with pidfd(pid) as fd:
            if fd is None:
                process.wait()
            elif process.is_running():  # still the run, not a process that took over its pid
                select.select([fd], [], [])
    except psutil.Error:
        pass
