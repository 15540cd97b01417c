"""A small synchronous client of the REST API, for the CLI and for scripts.

It finds the server from ``--url``/``--token``, the ``PIPELINE_SCHEDULER_URL`` and
``PIPELINE_SCHEDULER_TOKEN`` (or ``JUPYTER_TOKEN``) variables, or else the first Jupyter server
running on this machine.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

NAMESPACE = "pipeline-scheduler"


class ClientError(Exception):
    """The server refused the request (``status``, its ``error`` and ``field``) or could not be reached."""

    def __init__(self, message: str, status: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.field = status, field


def discover() -> tuple[str, str]:
    """The URL and token of a running Jupyter server (the first one listed)."""
    from jupyter_server.serverapp import list_running_servers

    for server in list_running_servers():
        return server["url"], server.get("token", "")
    raise ClientError("no running Jupyter server found: start one, or pass --url and --token")


class SchedulerClient:
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float = 600.0) -> None:
        url = url or os.environ.get("PIPELINE_SCHEDULER_URL")
        token = token if token is not None else os.environ.get("PIPELINE_SCHEDULER_TOKEN",
                                                                 os.environ.get("JUPYTER_TOKEN"))
        if not url:
            url, found_token = discover()
            token = token if token is not None else found_token
        self.base = url.rstrip("/") + f"/{NAMESPACE}/"
        self.token = token or ""
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        response = self._open(method, path, body, query)
        with response:
            data = response.read()
            kind = response.headers.get("Content-Type", "")
        return json.loads(data) if "json" in kind and data else data.decode("utf-8", errors="replace")

    def stream(self, path: str) -> Iterator[tuple[str, str]]:
        """Server-Sent Events as ``(event, data)`` pairs."""
        response = self._open("GET", path, None, {})
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

    def _open(self, method: str, path: str, body: Any, query: dict[str, Any]) -> Any:
        params = {key: value for key, value in query.items() if value is not None}
        url = self.base + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            try:
                payload = json.loads(error.read() or b"{}")
            except ValueError:
                payload = {}
            raise ClientError(payload.get("error") or f"{error.code} {error.reason}", error.code,
                              payload.get("field")) from None
        except urllib.error.URLError as error:
            raise ClientError(f"cannot reach {self.base}: {error.reason}") from None
