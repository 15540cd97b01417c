"""Telling people how runs ended, through Apprise: one URL per destination (email, Slack, Teams,
webhooks, ntfy, …; https://github.com/caronc/apprise/wiki).

Destinations come from the server (``notify_urls``, for every job, on ``notify_on``) and from each
job (``notify: [{"url", "on"}]``). The events are ``failure``, ``timed_out``, ``success`` and
``recovery`` (a success after a run that failed or timed out). A run that will be retried notifies
only at its last attempt. Sending happens on a thread of its own; a destination that fails is
recorded on the run (``notification_error``) and never changes how the run ended.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..events import EventBus
from ..storage.store import Store

log = logging.getLogger(__name__)

EVENTS = ("failure", "timed_out", "success", "recovery")
DEFAULT_ON = ("failure", "timed_out", "recovery")
WORDS = {"failure": "failed", "timed_out": "timed out", "success": "succeeded", "recovery": "recovered"}
TAIL_LINES = 20


@dataclass(frozen=True)
class NotifySettings:
    urls: tuple[str, ...] = ()
    on: tuple[str, ...] = DEFAULT_ON
    link: str | None = None  # where a run is seen: ``{run_id}`` is replaced


def unknown_url(url: str) -> bool:
    """Whether Apprise cannot send to ``url`` (an unknown scheme or a malformed URL)."""
    import apprise  # loading its plugins takes a moment: only when notifications are used

    return not apprise.Apprise().add(url)


def redact(url: str) -> str:
    """A URL as it may be shown: its scheme and host, never credentials, paths or queries (Slack,
    Teams and many webhooks carry their tokens there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    shown = host if re.fullmatch(r"[\w-]+(\.[\w-]+)+|localhost", host) else ""
    return f"{parts.scheme}://{shown}/…" if parts.scheme else "(not a URL)"


class Notifier:
    def __init__(self, store: Store, events: EventBus, settings: NotifySettings) -> None:
        self._store = store
        self._events = events
        self._settings = settings
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="pipeline-scheduler-notify")

    def on_event(self, event: dict[str, Any]) -> None:
        """Event listener: a run that ended for good is considered for notifications (without a thread
        hop when the settings its job ran with, carried by the event, ask for none)."""
        run = event.get("run") or {}
        if (event.get("type") == "run" and event.get("origin") != "remote"
                and run.get("status") in ("success", "failure", "timed_out") and not run.get("retry_at")):
            spec = event.get("spec")
            if spec is not None and not self._settings.urls and not spec.get("notify"):
                return
            self._pool.submit(self._consider, run, spec)

    def stop(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until the notifications asked for so far are sent."""
        self._pool.submit(lambda: None).result(timeout)

    def _consider(self, run: dict[str, Any], spec: dict[str, Any] | None) -> None:
        try:
            if spec is None:
                job = self._store.job_specs([run["job_id"]]).get(run["job_id"])
                spec = job.spec if job is not None and isinstance(job.spec, dict) else {}
            targets = [(url, set(on)) for url, on in self._targets(spec)]
            if not targets:
                return
            events = {run["status"]}
            if (run["status"] == "success" and any("recovery" in on for _, on in targets)  # asked only when heard
                    and self._store.previous_outcome(run["job_id"], run["id"]) in ("failure", "timed_out")):
                events.add("recovery")
            urls = [url for url, on in targets if events & on]
            if urls:
                self._send(run, spec, events, urls)
        except Exception:
            log.exception("notifying about run %s failed", run.get("id"))

    def _targets(self, spec: dict[str, Any]) -> Iterable[tuple[str, Iterable[str]]]:
        for url in self._settings.urls:
            yield url, self._settings.on
        for target in spec.get("notify") or []:
            yield target["url"], target.get("on") or DEFAULT_ON

    def _send(self, run: dict[str, Any], spec: dict[str, Any], events: set[str], urls: list[str]) -> None:
        import apprise

        event = "recovery" if "recovery" in events else run["status"]
        title = f"{spec.get('name') or run['job_name']} {WORDS[event]}"
        body = self._body(run, event)
        kind = apprise.NotifyType.SUCCESS if run["status"] == "success" else apprise.NotifyType.FAILURE
        errors = []
        for url in dict.fromkeys(urls):
            sender = apprise.Apprise()
            if not sender.add(url):
                errors.append(f"{redact(url)}: not a URL Apprise can send to")
            elif not sender.notify(title=title, body=body, notify_type=kind):
                errors.append(f"{redact(url)}: sending failed (see the server log)")
        if errors:
            message = "; ".join(errors)
            log.warning("notifications about run %s failed: %s", run["id"], message)
            self._store.update_run(run["id"], notification_error=message)
            self._events.publish({"type": "run", "run": {**run, "notification_error": message}})

    def _body(self, run: dict[str, Any], event: str) -> str:
        lines = [f"Job: {run['job_name']} ({run['job_id']})", f"Run: {run['id']} ({run['execution_id']})",
                 f"Status: {run['status']}" + (" (recovered after a failure)" if event == "recovery" else "")]
        if run.get("duration") is not None:
            lines.append(f"Duration: {run['duration']:.1f} s")
        if run.get("attempt", 1) > 1:
            lines.append(f"Attempt: {run['attempt']}")
        if run.get("error"):
            lines.append(f"Error: {run['error']}")
        if self._settings.link:
            lines.append(f"Run: {self._settings.link.format(run_id=run['id'])}")
        tail = (run.get("output") or "").rstrip().splitlines()[-TAIL_LINES:]
        if tail and run["status"] != "success":
            lines += ["", "Last lines of the log:", *tail]
        return "\n".join(lines)
