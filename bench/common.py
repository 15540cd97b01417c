"""Shared helpers of the benchmarks: a real Jupyter Server with the extension, a small HTTP client,
statistics and table printing.

Everything goes through the public REST API over loopback HTTP, as a browser or a script would.
Only the standard library is used on the client side (``http.client``), so the figures do not
depend on an optional HTTP package.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PACKAGE_DIR = REPO / "packages" / "pipeline-scheduler"
VERSION_FILE = PACKAGE_DIR / "pipeline_scheduler" / "_version.py"
PREFIX = "/pipeline-scheduler/"
# The interpreter running the benchmark also runs the server and, through the extension's
# ``python_executable`` default (the server's sys.executable), every job: baselines compare like
# with like. Run the benchmarks with the project's venv: ``.venv/bin/python bench/...``.
PYTHON = sys.executable


@dataclass(frozen=True)
class PeerServer:
    """How to start another scheduler (or a bare server) for a same-run comparison."""

    python: str  # the interpreter of the peer's own venv
    extension: str | None  # the server extension module to enable; None: a bare Jupyter Server
    prefix: str  # where its REST API lives
    ready: str  # a GET under ``prefix`` that answers 200 once the server is up
    arguments: tuple[str, ...] = ()  # more server options (e.g. extensions to disable)
    path: str | None = None  # a folder the server imports from first (an extension kept in bench/)


# -- command line ---------------------------------------------------------------------------------
def parse_args(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="a smaller run (CI smoke test): same code paths, fewer items")
    parser.add_argument("--keep", action="store_true",
                        help="keep the server's temporary root (database, logs) for inspection")
    parser.add_argument("--verbose", action="store_true", help="echo the server's log when it stops")
    if extra:
        extra(parser)
    return parser.parse_args()


# -- statistics -----------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100) of a non-empty sequence."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table cell."""
    if seconds is None or math.isnan(seconds):
        return "n/a"
    value = seconds * 1000
    return f"{value:.1f} ms" if value < 1000 else f"{value:,.0f} ms"


def ratio(ours: float, baseline: float) -> str:
    return "n/a" if not baseline else f"{ours / baseline:.2f}x"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def print_table(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in rows)) if rows else len(str(h)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  " + "  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    sys.stdout.flush()


def utc_iso(timestamp: float) -> str:
    """Epoch seconds as ISO-8601 UTC with ``Z``, as the UI sends ``run_date``."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def machine_line() -> str:
    """Date, cores, load, interpreter and commit (``+dirty`` when the package has uncommitted changes)."""
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=False).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--",
                                str(PACKAGE_DIR / "pipeline_scheduler")],
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
        commit += "+dirty" if dirty else ""
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return (f"{datetime.now().strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {load_line()}, Python "
            f"{sys.version.split()[0]} ({PYTHON}), commit {commit}")


def footer(started: float) -> None:
    """The closing line: wall time of the whole script and the load it ran under."""
    print(f"\n  total {time.perf_counter() - started:.0f} s; {load_line()} at the end (1-minute average, "
          f"{os.cpu_count()} cores)")


def load_line() -> str:
    """The 1-minute load average: above the core count, other processes compete with the benchmark."""
    try:
        return f"load {os.getloadavg()[0]:.2f}"
    except OSError:
        return "load n/a"


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


# -- HTTP client ----------------------------------------------------------------------------------
class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {path} -> {status}: {body}")
        self.status, self.body = status, body


class Client:
    """A tiny JSON client with the token header; one keep-alive connection per thread."""

    def __init__(self, port: int, token: str, timeout: float = 300.0, prefix: str = PREFIX) -> None:
        self.port, self.token, self.timeout, self.prefix = port, token, timeout, prefix
        self._local = threading.local()

    def _connection(self) -> HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        self._local.connection = None

    def raw(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """``(status, body bytes)`` of ``method {PREFIX}{path}``; retries once on a dropped keep-alive."""
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"token {self.token}", "Content-Type": "application/json"}
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, self.prefix + path, body=data if method in ("POST", "PUT") else None,
                                   headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (HTTPException, ConnectionError, OSError):
                self._drop()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, body: Any = None, expect: Iterable[int] = (200,)) -> Any:
        status, data = self.raw(method, path, body)
        parsed: Any = json.loads(data) if data else None
        if status not in tuple(expect):
            raise ApiError(method, path, status, parsed)
        return parsed

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None, expect: Iterable[int] = (200,)) -> Any:
        return self.call("POST", path, body if body is not None else {}, expect)

    def timed(self, method: str, path: str, body: Any = None, expect: Iterable[int] = (200,)) -> tuple[float, bytes]:
        """Wall-clock seconds of one request (body read included) and the body bytes."""
        start = time.perf_counter()
        status, data = self.raw(method, path, body)
        elapsed = time.perf_counter() - start
        if status not in tuple(expect):
            raise ApiError(method, path, status, data[:500])
        return elapsed, data

    def close(self) -> None:
        self._drop()


def create_jobs(client: Client, payloads: Sequence[dict[str, Any]], workers: int = 8,
                progress_label: str | None = None) -> tuple[float, list[str]]:
    """Create jobs through ``POST jobs`` from ``workers`` threads; ``(seconds, ids)``."""
    done = [0]
    lock = threading.Lock()
    step = max(1, len(payloads) // 10)

    def one(payload: dict[str, Any]) -> str:
        job = client.post("jobs", payload)
        with lock:
            done[0] += 1
            if progress_label and done[0] % step == 0:
                print(f"    {progress_label}: {done[0]}/{len(payloads)}", flush=True)
        return job["id"]

    start = time.perf_counter()
    with ThreadPoolExecutor(workers, thread_name_prefix="bench-create") as pool:
        ids = list(pool.map(one, payloads))
    return time.perf_counter() - start, ids


def idle_job(path: str, index: int) -> dict[str, Any]:
    """A job that will not fire during a benchmark: every day, first fire a day from now."""
    return {"name": f"idle_{index:05d}", "pipeline_path": path, "schedule_type": "interval", "interval_seconds": 86400}


# -- the server -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_version_file() -> None:
    """``_version.py`` is generated by the build; create it only when missing (it is gitignored)."""
    if not VERSION_FILE.exists():
        VERSION_FILE.write_text('__version__ = "0.0.0+bench"\n', encoding="utf-8")


class Server:
    """A real ``jupyter_server`` subprocess with the extension, on a free loopback port.

    Use as a context manager: the server is stopped (SIGTERM, then wait; SIGKILL only if it hangs)
    and its temporary root removed however the block ends.

    ``root``: serve that existing directory instead of a fresh one (e.g. another ``Server``'s
    ``root``, so that both share ``<root>/.amphi/scheduler.sqlite``); it is then neither created
    nor removed here. The server's own files (log, Jupyter config/runtime dirs) stay in its own
    temporary ``base``.

    ``peer``: run another scheduler instead of ours (its own venv's interpreter and extension, see
    ``bench/peers.py``), or a bare Jupyter Server when the peer names no extension.
    """

    def __init__(self, *, keep: bool = False, verbose: bool = False, startup_timeout: float = 90.0,
                 root: Path | None = None, label: str = "server", peer: PeerServer | None = None,
                 **scheduler_options: Any) -> None:
        self.keep, self.verbose, self.startup_timeout, self.label = keep, verbose, startup_timeout, label
        self.peer = peer
        self.options = {"timezone": "UTC", **scheduler_options} if peer is None else {}
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="amphi-bench-"))
        if root is None:
            self.root = self.base / "root"
            self.root.mkdir()
        else:
            self.root = Path(root)
        self.log_path = self.base / "server.log"
        self.process: subprocess.Popen | None = None
        self.client = Client(self.port, self.token, prefix=peer.prefix if peer else PREFIX)

    # context manager
    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def write(self, relative: str, text: str) -> str:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return relative

    def start(self) -> None:
        env = dict(os.environ)
        if self.peer is None:
            ensure_version_file()
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_DIR), env.get("PYTHONPATH")]))
        elif self.peer.path:
            env["PYTHONPATH"] = self.peer.path
        else:
            env.pop("PYTHONPATH", None)
        # Isolate from the user's Jupyter configuration and runtime files (and their lab settings).
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
            directory = self.base / name.lower()
            directory.mkdir()
            env[name] = str(directory)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        python, extension = (PYTHON, "pipeline_scheduler") if self.peer is None else (self.peer.python,
                                                                                      self.peer.extension)
        command = [
            python, "-m", "jupyter_server",
            *([f"--ServerApp.jpserver_extensions={extension}=True"] if extension else []),
            *(self.peer.arguments if self.peer else ()),
            "--ServerApp.allow_root=True", "--ServerApp.open_browser=False",
            f"--IdentityProvider.token={self.token}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root}",
        ] + [f"--PipelineSchedulerApp.{key}={value}" for key, value in self.options.items()]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(command, cwd=self.base, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode} during start-up:\n"
                                   f"{self.log_tail()}")
            try:
                status, _ = self.client.raw("GET", self.peer.ready if self.peer else "health")
                if status == 200:
                    self.settle()
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer health within {self.startup_timeout:.0f} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.1)

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (Linux ``/proc``; ``None`` elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    def settle(self, window: float = 0.5, busy: float = 0.05, limit: float = 10.0) -> None:
        """Wait (at most ``limit`` s) until the server uses under ``busy`` of a core over ``window`` s."""
        deadline = time.monotonic() + limit
        previous = self.cpu_seconds()
        while previous is not None and time.monotonic() < deadline:
            time.sleep(window)
            current = self.cpu_seconds()
            if current is None or (current - previous) / window < busy:
                return
            previous = current

    def stop(self) -> None:
        self.client.close()
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print("  (server ignored SIGTERM for 30 s; killing it)", file=sys.stderr)
                process.kill()
                process.wait()
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self.verbose:
            print(f"--- {self.label} log ({self.log_path}) ---\n{self.log_tail(200)}")
        if self.keep:
            print(f"  (kept the {self.label}'s files in {self.base})")
        else:
            shutil.rmtree(self.base, ignore_errors=True)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"
