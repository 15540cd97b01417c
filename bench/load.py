"""Many clients at once: each route's p50/p99 under 50 concurrent clients, against Jupyter's own
``/api/status`` measured in the same run on the same server.

A real server (200 jobs, some runs); for each route in turn, 50 client threads send requests back
to back for a few seconds over keep-alive connections. Baseline: Jupyter Server's ``GET
/api/status`` (authenticated, answered from memory), measured first and last; its worse p99 of
the two is the baseline. Target: ``GET health`` p99 ≤ 1.5 × that baseline.

    .venv/bin/python bench/load.py            # 8 s per route
    .venv/bin/python bench/load.py --quick    # 2 s per route, 20 clients
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    Server,
    create_jobs,
    footer,
    machine_line,
    median,
    ms,
    parse_args,
    percentile,
    print_table,
    ratio,
    verdict,
)

TARGET = 1.5


def hammer(server: Server, method: str, path: str, body: bytes | None, clients: int, seconds: float) -> list[float]:
    """Latencies of every request ``clients`` threads sent back to back for ``seconds``."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline: list[float] = []

    def client() -> None:
        connection = HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"Authorization": f"token {server.token}", "Content-Type": "application/json"}
        mine = []
        start.wait()
        while time.perf_counter() < deadline[0]:
            began = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                raise RuntimeError(f"{method} {path} -> {response.status}")
            mine.append(time.perf_counter() - began)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    deadline.append(time.perf_counter() + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    return latencies


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    clients, seconds = (20, 2.0) if args.quick else (50, 8.0)
    print(f"load: {machine_line()}")
    print(f"  {clients} concurrent clients per route, {seconds:g} s each, keep-alive connections; 200 jobs")
    started = time.perf_counter()
    with Server(keep=args.keep, verbose=args.verbose, max_concurrent_runs=4) as server:
        relative = server.write("hello.py", "print('hello')\n")
        ids = create_jobs(server.client, [{"name": f"job {index}", "pipeline_path": relative,
                                           "schedule_type": "cron", "cron_expression": f"{index % 60} 3 * * *"}
                                          for index in range(200)], workers=8)[1]
        for job_id in ids[:20]:
            server.client.post(f"run/{job_id}")
        preview = json.dumps({"schedule_type": "cron", "cron_expression": "*/5 * * * *", "count": 5}).encode()
        routes = [("GET", "/api/status", None, "Jupyter /api/status (baseline)"),
                  ("GET", "/pipeline-scheduler/health", None, "GET health"),
                  ("GET", "/pipeline-scheduler/config", None, "GET config"),
                  ("GET", "/pipeline-scheduler/jobs", None, "GET jobs (200)"),
                  ("GET", f"/pipeline-scheduler/jobs/{ids[0]}", None, "GET jobs/{id}"),
                  ("GET", "/pipeline-scheduler/runs?limit=50", None, "GET runs?limit=50"),
                  ("POST", "/pipeline-scheduler/triggers/preview", preview, "POST triggers/preview"),
                  ("GET", "/api/status", None, "Jupyter /api/status (again)")]
        results = {}
        for method, path, body, label in routes:
            results[label] = hammer(server, method, path, body, clients, seconds)
    rows = [[label, f"{len(values):,}", f"{len(values) / seconds:,.0f}/s", ms(median(values)), ms(percentile(values, 99))]
            for label, values in results.items()]
    print_table("LATENCY UNDER LOAD", ["route", "requests", "rate", "p50", "p99"], rows)
    baseline = max(percentile(results["Jupyter /api/status (baseline)"], 99),
                   percentile(results["Jupyter /api/status (again)"], 99))
    health = percentile(results["GET health"], 99)
    print("\nRATIOS (same run)")
    print(f"  GET health p99 / Jupyter /api/status p99: {ratio(health, baseline)}")
    print(f"  GET health p50 / Jupyter /api/status p50: "
          f"{ratio(median(results['GET health']), median(results['Jupyter /api/status (baseline)']))}")
    print(f"\n  target: GET health p99 <= {TARGET}x /api/status p99: {ratio(health, baseline)}  "
          f"{verdict(health <= TARGET * baseline)}")
    footer(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
