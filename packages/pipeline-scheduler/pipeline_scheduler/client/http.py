"""The one synchronous client of the REST API, shared by the CLI, the Python API and the magic.

It finds the server from ``--url``/``--token`` (``url=``/``token=``), the ``PIPELINE_SCHEDULER_URL``
and ``PIPELINE_SCHEDULER_TOKEN`` (or ``JUPYTER_TOKEN``) variables, or else the Jupyter servers running
on this machine (Jupyter's runtime files), asking each at once with a short timeout and taking the
one that has the scheduler. Preferred, in order: in a kernel, the server that started it
(``$JPY_PARENT_PID``), then a server whose root holds the current directory. Only the standard
library is imported, so that a kernel pays nothing for Typer or Rich.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

NAMESPACE = "pipeline-scheduler"
PROBE_TIMEOUT = 1.5  # seconds a running server has to answer GET health during discovery
PREFERRED_GRACE = 0.3  # once another server answered, how long the one serving the current directory may take
REQUEST_TIMEOUT = 120.0
STREAM_TIMEOUT = 600.0  # the run stream sends a keepalive every 15 s
TOKEN_HINT = ("pass the server's token with --token TOKEN, or set $PIPELINE_SCHEDULER_TOKEN (or $JUPYTER_TOKEN); "
              "`jupyter server list` shows the token of each server running on this machine")
URL_HINT = ("start JupyterLab with the scheduler (bash scripts/lab.sh, or jupyter lab), or pass --url URL "
            "(or set $PIPELINE_SCHEDULER_URL) with --token TOKEN")


class SchedulerError(Exception):
    """The server refused the request (``status``, its ``error`` and the ``field`` it names), a value
    given to the client was refused before sending (``field``, no status), or the server could not be
    reached; ``hint`` says what to do about it."""

    def __init__(self, message: str, status: int | None = None, field: str | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.field, self.hint = status, field, hint


@dataclass
class RunningServer:
    """A Jupyter server of this machine, as its runtime file (``jpserver-<pid>.json``) describes it."""

    url: str
    token: str
    root_dir: str
    pid: int
    started: float  # the runtime file's modification time


def runtime_dir() -> str:
    from jupyter_core.paths import (
        jupyter_runtime_dir,  # cheap, unlike jupyter_server.serverapp
    )

    return jupyter_runtime_dir()


def running_servers(directory: str | None = None) -> list[RunningServer]:
    """What ``jupyter_server.serverapp.list_running_servers()`` lists — the runtime files whose process
    is alive — read here directly: importing ``jupyter_server.serverapp`` alone takes over a second.
    Files of dead servers are left alone (Jupyter removes them); servers on a Unix socket are skipped."""
    directory = directory or runtime_dir()
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = []
    for name in names:
        if not re.fullmatch(r"(jp)?server-\d+\.json", name):
            continue
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as file:
                info = json.load(file)
            started = os.stat(path).st_mtime
        except (OSError, ValueError):
            continue  # being written, or gone
        if not isinstance(info, dict) or not info.get("url") or info.get("sock") or not _alive(info.get("pid")):
            continue
        found.append(RunningServer(str(info["url"]), str(info.get("token") or ""), str(info.get("root_dir") or ""),
                                   int(info["pid"]), started))
    return found


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _contains(root: str, directory: str) -> bool:
    try:
        Path(directory).resolve().relative_to(Path(root).resolve())
        return True
    except (ValueError, OSError):
        return False


def _probe(server: RunningServer, token: str) -> tuple[str, Any]:
    """``("ok", None)`` when the server has the scheduler, else why not: ``("status", code)`` or ``("down", reason)``."""
    request = urllib.request.Request(server.url.rstrip("/") + f"/{NAMESPACE}/health",
                                     headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT) as response:
            response.read()
        return "ok", None
    except urllib.error.HTTPError as error:
        return "status", error.code
    except (urllib.error.URLError, OSError) as error:
        return "down", getattr(error, "reason", error)


def kernel_server_pid() -> int | None:
    """The pid of the Jupyter server that started this kernel: jupyter_client gives every kernel it
    launches ``$JPY_PARENT_PID`` (inherited by what the kernel runs, such as ``!pipeline-scheduler``)."""
    value = os.environ.get("JPY_PARENT_PID", "")
    return int(value) if value.isdigit() else None


def preferred_servers(servers: list[RunningServer]) -> list[RunningServer]:
    """The servers to prefer: the one that started this kernel, else those whose root holds the
    current directory (none: no preference)."""
    own = [server for server in servers if server.pid == kernel_server_pid()]
    if own:
        return own
    cwd = os.getcwd()
    return [server for server in servers if server.root_dir and _contains(server.root_dir, cwd)]


def discover(token: str | None = None, directory: str | None = None) -> RunningServer:
    """The Jupyter server of this machine that runs the scheduler, with the token to use.

    Every running server is asked at once (``GET health``, short timeout, daemon threads so that one
    that hangs delays nothing); the first that answers wins, except that a preferred server (see
    :func:`preferred_servers`) is waited for while it may still answer."""
    directory = directory or runtime_dir()
    servers = running_servers(directory)
    if not servers:
        raise SchedulerError(f"no running Jupyter server found (none listed in {directory})", hint=URL_HINT)
    preferred = {id(server) for server in preferred_servers(servers)}
    answers: queue.Queue[tuple[RunningServer, str, tuple[str, Any]]] = queue.Queue()
    for server in sorted(servers, key=lambda s: s.started, reverse=True):
        used = token if token is not None else (server.token or os.environ.get("JUPYTER_TOKEN", ""))
        threading.Thread(target=lambda s=server, t=used: answers.put((s, t, _probe(s, t))), daemon=True).start()
    deadline = time.monotonic() + PROBE_TIMEOUT + 0.5
    pending, fallback, failures = len(servers), None, []
    while pending and time.monotonic() < deadline:
        try:
            server, used, (outcome, detail) = answers.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        pending -= 1
        if outcome == "ok":
            found = replace(server, token=used)
            if id(server) in preferred or not preferred:
                return found
            if fallback is None:  # wait a little for the preferred server, not a whole timeout
                fallback, deadline = found, min(deadline, time.monotonic() + PREFERRED_GRACE)
        else:
            preferred.discard(id(server))
            failures.append((server, outcome, detail))
        if fallback and not preferred:
            return fallback
    if fallback:
        return fallback
    refused = [server.url for server, outcome, detail in failures if outcome == "status" and detail in (401, 403)]
    if refused:
        raise SchedulerError(f"the Jupyter server at {refused[0]} refused the token", 403, hint=TOKEN_HINT)
    without = [server.url for server, outcome, detail in failures if outcome == "status" and detail == 404]
    if without:
        raise SchedulerError(f"the Jupyter server running here ({', '.join(without)}) does not have the scheduler "
                             "extension enabled",
                             hint="enable it with `jupyter server extension enable pipeline_scheduler` and restart "
                                  "the server, or pass --url")
    raise SchedulerError(f"no Jupyter server running here answered ({', '.join(s.url for s in servers)})",
                         hint=URL_HINT)


def split_url(url: str) -> tuple[str, str | None]:
    """The server's base URL, and a token when the URL carries one (a URL pasted from the browser such
    as ``http://localhost:8888/lab?token=...`` works)."""
    parts = urllib.parse.urlsplit(url.strip())
    token = urllib.parse.parse_qs(parts.query).get("token", [None])[0]
    path = re.sub(r"/(lab|tree|notebooks|doc)(/.*)?$|/" + NAMESPACE + r"/?.*$", "", parts.path)
    return urllib.parse.urlunsplit((parts.scheme or "http", parts.netloc, path.rstrip("/") + "/", "", "")), token


class SchedulerClient:
    """Requests to the scheduler's routes; ``root_dir`` is the server's root when it was found through
    its runtime file (None when given by URL)."""

    root_dir: str | None = None

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = REQUEST_TIMEOUT) -> None:
        url = url or os.environ.get("PIPELINE_SCHEDULER_URL") or None
        token = token if token is not None else os.environ.get("PIPELINE_SCHEDULER_TOKEN")
        if url:
            url, url_token = split_url(url)
            token = token if token is not None else (url_token or os.environ.get("JUPYTER_TOKEN"))
        else:
            server = discover(token)
            url, token, self.root_dir = server.url, server.token, server.root_dir or None
        self.url = url
        self.base = url.rstrip("/") + f"/{NAMESPACE}/"
        self.token = token or ""
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        response = self._open(method, path, body, query, self.timeout)
        with response:
            data = response.read()
            kind = response.headers.get("Content-Type", "")
        return json.loads(data) if "json" in kind and data else data.decode("utf-8", errors="replace")

    def log(self, run_id: int) -> Iterator[bytes]:
        """A run's whole log, in the chunks the server answers with (it sends at most 1 MiB at a time)."""
        offset = 0
        while True:
            with self._open("GET", f"runs/{run_id}/log", None, {"offset": offset}, self.timeout) as response:
                data = response.read()
                following = int(response.headers.get("X-Next-Offset", offset + len(data)))
            if not data:
                return
            yield data
            offset = following

    def stream(self, path: str) -> Iterator[tuple[str, str]]:
        """Server-Sent Events as ``(event, data)`` pairs."""
        response = self._open("GET", path, None, {}, STREAM_TIMEOUT)
        event, data = "message", []
        with response:
            for raw in response:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                if not line:
                    if data:
                        yield event, "\n".join(data)
                    event, data = "message", []
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])

    def _open(self, method: str, path: str, body: Any, query: dict[str, Any], timeout: float) -> Any:
        params = {key: value for key, value in query.items() if value is not None}
        url = self.base + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            try:
                payload = json.loads(error.read() or b"{}")
            except ValueError:
                payload = {}
            payload = payload if isinstance(payload, dict) else {}
            if error.code in (401, 403) and not payload.get("field"):
                what = "no token was given" if not self.token else "the server refused the token"
                raise SchedulerError(f"{what} ({error.code} {error.reason} from {self.url})", error.code,
                                     hint=TOKEN_HINT) from None
            if error.code == 404 and not payload.get("error"):
                raise SchedulerError(f"{self.url} has no scheduler (404 for {path})", 404,
                                     hint="check --url, and that the pipeline_scheduler server extension is enabled"
                                     ) from None
            raise SchedulerError(payload.get("error") or f"{error.code} {error.reason}", error.code,
                                 payload.get("field")) from None
        except (urllib.error.URLError, OSError) as error:
            raise SchedulerError(f"cannot reach {self.url}: {getattr(error, 'reason', error)}",
                                 hint=URL_HINT) from None
