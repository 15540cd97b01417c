"""Notifications reach real receivers: a local HTTP webhook and a local SMTP server (aiosmtpd), both
started by the test; a destination that fails is recorded on the run and changes nothing else."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from conftest import wait_for


class Webhook:
    """An HTTP server that keeps the JSON bodies posted to it."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.server.server_port}/hook"


class Mailbox:
    """An SMTP server that keeps the messages it is given."""

    def __init__(self) -> None:
        self.messages: list = []
        messages = self.messages

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.url = (f"mailto://127.0.0.1:{self.controller.port}?from=scheduler@example.com&to=ops@example.com"
                    "&mode=insecure")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def webhook() -> Webhook:
    return Webhook()


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox()
    yield box
    box.controller.stop()


@pytest.fixture
def scheduler_config(mailbox: Mailbox) -> dict:
    """Every job's failures go to the mailbox (a server default)."""
    return {"timezone": "UTC", "max_concurrent_runs": 4, "notify_urls": [mailbox.url]}


async def test_a_failure_reaches_the_job_webhook_and_the_server_mailbox(api, write_script, webhook: Webhook,
                                                                        mailbox: Mailbox) -> None:
    write_script("fails.py", "print('something broke', flush=True)\nraise SystemExit(3)\n")
    status, job = await api("POST", "jobs", {"name": "nightly load", "pipeline_path": "fails.py",
                                             "schedule_type": "manual", "notify": [{"url": webhook.url}]})
    assert status == 200 and job["notify"] == [{"url": webhook.url, "on": ["failure", "timed_out", "recovery"]}]
    before_hook, before_mail = len(webhook.received), len(mailbox.messages)
    _, result = await api("POST", f"run/{job['id']}")
    assert result["status"] == "failure"

    hook = await wait_for(lambda: _after(webhook.received, before_hook))
    assert hook[0]["title"] == "nightly load failed" and hook[0]["type"] == "failure"
    assert "exited with code 3" in hook[0]["message"] and "something broke" in hook[0]["message"]
    assert f"pipeline-scheduler/runs/{result['run_id']}" in hook[0]["message"]
    mail = await wait_for(lambda: _after(mailbox.messages, before_mail))
    assert mail[0]["Subject"] == "nightly load failed" and mail[0]["To"] == "ops@example.com"


async def _after(items: list, count: int) -> list | None:
    return items[count:] or None


async def test_a_success_after_a_failure_is_a_recovery(api, write_script, webhook: Webhook) -> None:
    script = write_script("flaky.py", "import sys\nsys.exit(int(sys.argv[1]))\n")
    _, job = await api("POST", "jobs", {"name": "flaky", "pipeline_path": script, "schedule_type": "manual",
                                        "arguments": ["1"], "notify": [{"url": webhook.url}]})
    await api("POST", f"run/{job['id']}")
    await wait_for(lambda: _titles(webhook, "flaky failed"))
    await api("PUT", f"jobs/{job['id']}", {"arguments": ["0"]})
    await api("POST", f"run/{job['id']}")
    await wait_for(lambda: _titles(webhook, "flaky recovered"))
    count = len(webhook.received)
    await api("POST", f"run/{job['id']}")  # a second success: nothing to say (success is not asked for)
    _, runs = await api("GET", "runs", job_id=job["id"])
    assert all(run["notification_error"] is None for run in runs["runs"])
    assert len(webhook.received) == count


async def test_a_destination_added_after_runs_is_told_of_the_next_one(api, write_script, webhook: Webhook,
                                                                     mailbox: Mailbox) -> None:
    """A job without destinations of its own reaches only the server's; once it names one, its next
    run is sent there too (the settings a run ran with come from the job as saved)."""
    write_script("quiet.py", "raise SystemExit(2)\n")
    _, job = await api("POST", "jobs", {"name": "quiet", "pipeline_path": "quiet.py", "schedule_type": "manual"})
    count, mails = len(webhook.received), len(mailbox.messages)
    await api("POST", f"run/{job['id']}")
    assert [mail["Subject"] for mail in await wait_for(lambda: _after(mailbox.messages, mails))] == ["quiet failed"]
    await api("PUT", f"jobs/{job['id']}", {"notify": [{"url": webhook.url}]})
    _, result = await api("POST", f"run/{job['id']}")
    hook = await wait_for(lambda: _after(webhook.received, count))
    assert [message["title"] for message in hook] == ["quiet failed"]
    assert f"pipeline-scheduler/runs/{result['run_id']}" in hook[0]["message"]


async def _titles(webhook: Webhook, title: str) -> bool:
    return any(message["title"] == title for message in webhook.received)


async def test_a_destination_that_fails_is_recorded_and_the_run_unchanged(api, write_script) -> None:
    write_script("fails.py", "raise SystemExit(1)\n")
    dead = f"json://127.0.0.1:{free_port()}/nobody-listens"
    _, job = await api("POST", "jobs", {"pipeline_path": "fails.py", "schedule_type": "manual",
                                        "notify": [{"url": dead, "on": ["failure"]}]})
    _, result = await api("POST", f"run/{job['id']}")
    run = await wait_for(lambda: _notified(api, result["run_id"]), 30)
    assert run["status"] == "failure" and run["exit_code"] == 1
    assert "sending failed" in run["notification_error"] and "nobody-listens" not in run["notification_error"]


async def _notified(api, run_id: int) -> dict | None:
    _, run = await api("GET", f"runs/{run_id}")
    return run if run["notification_error"] else None


@pytest.mark.parametrize("notify, field", [
    ([{"url": "nonsense://nowhere"}], "notify.0.url"),
    ([{"url": "json://localhost/x", "on": ["sometimes"]}], "notify.0.on.0"),
    ([{"url": ""}], "notify.0.url"),
    ("json://localhost/x", "notify"),
])
async def test_a_bad_destination_is_refused(api, write_script, notify, field) -> None:
    write_script("ok.py", "print('ok')\n")
    status, body = await api("POST", "jobs", {"pipeline_path": "ok.py", "schedule_type": "manual", "notify": notify})
    assert status == 400 and body["field"] == field, body
