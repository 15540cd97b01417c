"""``http`` (call a URL, e.g. a health check) and ``notify`` (webhook at the end of the run)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import Field, field_validator

from ..errors import PluginError
from ..plugins import Plugin, PluginParams, hook


def _check_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


def _request(url: str, *, method: str, headers: dict[str, str], body: Any, timeout: float) -> tuple[int, bytes]:
    """One HTTP request with urllib; an HTTP error status is returned, not raised."""
    data = None
    headers = dict(headers)
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            return response.status, response.read(1 << 20)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(1 << 20)


class HttpPlugin(Plugin):
    """Call a URL and check the answer, e.g. a health check; the run fails when it does not match.

    ``url`` (http/https), ``method`` (default GET), ``headers``, ``body`` (a string, or a table sent
    as JSON), ``expected_status`` (a code or a list, default 200), ``contains`` (text the response
    body must contain), ``timeout`` seconds per attempt (default 10), ``retries`` extra attempts
    ``retry_delay`` seconds apart (default 0 and 1), ``stage``: ``startup`` (default; a failure
    stops the run before later startup hooks) or ``shutdown``.
    """

    name = "http"

    class Params(PluginParams):
        url: str = Field(description="http:// or https:// URL.")
        method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
        headers: dict[str, str] = Field(default_factory=dict)
        body: str | dict[str, Any] | list[Any] | None = Field(default=None, description="A string, or JSON.")
        expected_status: int | list[int] = Field(default=200, description="Accepted status code(s).")
        contains: str | None = Field(default=None, description="Text the response body must contain.")
        timeout: float = Field(default=10.0, gt=0, description="Seconds per attempt.")
        retries: int = Field(default=0, ge=0, le=100)
        retry_delay: float = Field(default=1.0, ge=0)
        stage: Literal["startup", "shutdown"] = "startup"

        @field_validator("url")
        @classmethod
        def _url(cls, value: str) -> str:
            return _check_url(value)

        @field_validator("method", mode="before")
        @classmethod
        def _upper(cls, value: Any) -> Any:
            return value.upper() if isinstance(value, str) else value

    @hook("startup")
    def check_at_startup(self, ctx: Any) -> None:
        if self.params.stage == "startup":
            self.check()

    @hook("shutdown")
    def check_at_shutdown(self, ctx: Any) -> None:
        if self.params.stage == "shutdown":
            self.check()

    def check(self) -> None:
        expected = self.params.expected_status
        expected = expected if isinstance(expected, list) else [expected]
        problem = ""
        for attempt in range(self.params.retries + 1):
            if attempt:
                if self.ctx.stop_event.wait(self.params.retry_delay):
                    break
            try:
                status, body = _request(self.params.url, method=self.params.method, headers=self.params.headers,
                                        body=self.params.body, timeout=self.params.timeout)
            except (urllib.error.URLError, OSError, ValueError) as error:
                reason = getattr(error, "reason", error)
                problem = f"{self.params.method} {self.params.url} failed: {reason}"
                continue
            if status not in expected:
                problem = f"{self.params.method} {self.params.url} answered {status}, expected {', '.join(map(str, expected))}"
                continue
            if self.params.contains is not None and self.params.contains not in body.decode("utf-8", "replace"):
                problem = f"{self.params.method} {self.params.url}: the response does not contain {self.params.contains!r}"
                continue
            self.log(f"{self.params.method} {self.params.url} → {status}")
            return
        raise PluginError(problem or "stopped before the check")


class NotifyPlugin(Plugin):
    """POST the run's outcome as JSON to a webhook when the run ends (``shutdown``, priority -1000,
    so after the other plugins and with the final status).

    ``url`` (http/https), ``on_success`` / ``on_failure`` (failed, timed out or terminated) /
    ``on_skipped`` (default true / true / false), ``headers``, ``timeout`` (default 10 s) and
    ``extra`` (a table merged into the payload). The payload: ``job_id``, ``status``, ``exit_code``,
    ``reason``, ``errors``, ``stop_reason``, ``started_at``, ``finished_at``, ``duration``, ``host``.
    A webhook that cannot be reached is logged and does not change the run's status.
    """

    name = "notify"

    class Params(PluginParams):
        url: str = Field(description="Webhook URL (http:// or https://).")
        on_success: bool = True
        on_failure: bool = True
        on_skipped: bool = False
        headers: dict[str, str] = Field(default_factory=dict)
        timeout: float = Field(default=10.0, gt=0)
        extra: dict[str, Any] = Field(default_factory=dict, description="Merged into the JSON payload.")

        @field_validator("url")
        @classmethod
        def _url(cls, value: str) -> str:
            return _check_url(value)

    @hook("shutdown", priority=-1000)
    def send(self, ctx: Any) -> None:
        outcome = ctx.outcome()
        wanted = {"success": self.params.on_success, "skipped": self.params.on_skipped}.get(
            outcome.status, self.params.on_failure)
        if not wanted:
            return
        payload = {
            "job_id": outcome.job_id, "status": outcome.status, "exit_code": outcome.exit_code,
            "reason": outcome.reason, "errors": outcome.errors, "stop_reason": outcome.stop_reason,
            "started_at": outcome.started_at, "finished_at": datetime.now(timezone.utc).isoformat(),
            "duration": outcome.duration, "host": socket.gethostname(), **self.params.extra,
        }
        try:
            status, _ = _request(self.params.url, method="POST", headers=self.params.headers, body=payload,
                                 timeout=self.params.timeout)
        except (urllib.error.URLError, OSError, ValueError) as error:
            self.log(f"warning: could not notify {self.params.url}: {getattr(error, 'reason', error)}")
            return
        if status >= 400:
            self.log(f"warning: {self.params.url} answered {status} to the notification")
        else:
            self.log(f"notified {self.params.url} ({outcome.status})")

