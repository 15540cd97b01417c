"""Live logs: Server-Sent Events deliver lines while the run is still going, then its final status."""

from __future__ import annotations

import json
import time

from tornado.httpclient import AsyncHTTPClient, HTTPRequest


SLOW_PRINTER = """
import time
for n in range(3):
    print(f"line {n}", flush=True)
    time.sleep(1)
"""


async def test_stream_sends_lines_before_the_run_ends(api, write_script, jp_base_url, jp_http_port) -> None:
    write_script("slow_printer.py", SLOW_PRINTER)
    _, job = await api("POST", "jobs", {"pipeline_path": "slow_printer.py", "schedule_type": "interval",
                                        "interval_seconds": 86400})
    _, run = await api("POST", f"jobs/{job['id']}/runs")
    received: list[tuple[float, str]] = []
    buffer = b""

    def on_chunk(chunk: bytes) -> None:
        nonlocal buffer
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            received.append((time.monotonic(), event.decode()))

    url = f"http://localhost:{jp_http_port}{jp_base_url}pipeline-scheduler/runs/{run['id']}/stream"
    request = HTTPRequest(url, headers={"Authorization": "token secret-test-token"}, streaming_callback=on_chunk,
                          request_timeout=30)
    await AsyncHTTPClient().fetch(request)

    logs = [(at, event) for at, event in received if event.startswith("event: log")]
    assert [event.split("data: ", 1)[1] for _, event in logs] == ["line 0", "line 1", "line 2"]
    final_at, final = received[-1]
    assert final.startswith("event: status")
    status = json.loads(final.split("data: ", 1)[1])
    assert status["status"] == "success" and status["id"] == run["id"]
    assert final_at - logs[0][0] > 1.5  # the first line arrived while the script was still sleeping


async def test_stream_of_a_finished_run_replays_its_log(api, write_script, jp_base_url, jp_http_port) -> None:
    write_script("quick.py", "print('one')\nprint('two')\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "quick.py", "schedule_type": "interval",
                                        "interval_seconds": 86400})
    _, result = await api("POST", f"run/{job['id']}")
    url = f"http://localhost:{jp_http_port}{jp_base_url}pipeline-scheduler/runs/{result['run_id']}/stream"
    response = await AsyncHTTPClient().fetch(url, headers={"Authorization": "token secret-test-token"})
    events = response.body.decode().strip().split("\n\n")
    assert events[:2] == ["event: log\ndata: one", "event: log\ndata: two"]
    assert events[2].startswith("event: status") and '"status":"success"' in events[2]
    assert response.headers["Content-Type"].startswith("text/event-stream")
