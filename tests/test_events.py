"""The events stream tells browsers about job and run changes as they happen."""

from __future__ import annotations

import asyncio
import json

from tornado.httpclient import AsyncHTTPClient, HTTPRequest


async def test_events_stream_job_and_run_changes(api, write_script, jp_base_url, jp_http_port) -> None:
    write_script("hello.py", "print('hi')\n")
    received: list[tuple[str, dict]] = []
    buffer = b""

    def on_chunk(chunk: bytes) -> None:
        nonlocal buffer
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            lines = block.decode().split("\n")
            if lines[0].startswith("event: "):
                received.append((lines[0][7:], json.loads("".join(line[6:] for line in lines[1:]))))

    url = f"http://localhost:{jp_http_port}{jp_base_url}pipeline-scheduler/events"
    request = HTTPRequest(url, headers={"Authorization": "token secret-test-token"}, streaming_callback=on_chunk,
                          request_timeout=60)
    stream = asyncio.ensure_future(AsyncHTTPClient().fetch(request, raise_error=False))
    await asyncio.sleep(0.5)
    _, job = await api("POST", "jobs", {"name": "evented", "pipeline_path": "hello.py", "schedule_type": "interval",
                                        "interval_seconds": 86400})
    _, result = await api("POST", f"run/{job['id']}")
    await api("DELETE", f"jobs/{job['id']}")
    for _ in range(50):
        if ("job", {"id": job["id"], "action": "deleted"}) in received:
            break
        await asyncio.sleep(0.1)
    stream.cancel()

    assert ("job", {"id": job["id"], "action": "created"}) in received
    statuses = [data["status"] for kind, data in received if kind == "run" and data["id"] == result["run_id"]]
    assert statuses == ["queued", "running", "success"]
    assert received[-1] == ("job", {"id": job["id"], "action": "deleted"})
