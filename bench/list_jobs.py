"""Listing cost: ``GET jobs`` with 10, 1,000 and 10,000 jobs, and whether the server stays responsive.

Jobs are created through ``POST jobs`` (8 concurrent clients), never fired (every day, first fire a
day ahead). Each size is measured with sequential requests on a keep-alive connection; a request's
time includes reading the whole body (not parsing it).

Responsiveness: with 10,000 jobs, two threads request ``GET jobs`` in a loop while a third thread
times ``GET health``; compared with ``GET health`` on the idle server. A server that blocked its
event loop while listing would make ``health`` wait for whole listings.

    .venv/bin/python bench/list_jobs.py            # full: 10 / 1,000 / 10,000 jobs, 30 requests each
    .venv/bin/python bench/list_jobs.py --quick    # CI smoke: 10 / 100 / 1,000 jobs, 20 requests each
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    Client,
    Server,
    create_jobs,
    footer,
    idle_job,
    machine_line,
    median,
    ms,
    parse_args,
    percentile,
    print_table,
    ratio,
    verdict,
)

TARGET_SECONDS = 0.030
OLD_SECONDS = 0.288
WARMUP = 3


def list_latencies(client: Client, count: int, expected: int) -> tuple[list[float], int]:
    _, body = client.timed("GET", "jobs")
    jobs = json.loads(body)["jobs"]
    if len(jobs) != expected:
        raise RuntimeError(f"GET jobs returned {len(jobs)} jobs, expected {expected}")
    for _ in range(WARMUP):
        client.timed("GET", "jobs")
    return [client.timed("GET", "jobs")[0] for _ in range(count)], len(body)


def after_change_latencies(client: Client, count: int) -> list[float]:
    """``GET jobs`` right after a change to one job (pause / resume): the listing is rebuilt, not cached."""
    status, data = client.raw("GET", "jobs?limit=1")
    job_id = json.loads(data)["jobs"][0]["id"]
    latencies = []
    for index in range(count):
        client.raw("POST", f"jobs/{job_id}/{'pause' if index % 2 == 0 else 'resume'}")
        latencies.append(client.timed("GET", "jobs")[0])
    return latencies


def health_latencies(client: Client, count: int, pause: float) -> list[float]:
    latencies = []
    for _ in range(count):
        latencies.append(client.timed("GET", "health")[0])
        time.sleep(pause)
    return latencies


def under_load(server: Server, probes: int, pause: float) -> dict[str, list[float]]:
    """``GET health`` latencies while two threads hammer ``GET jobs``; also the hammer's own latencies."""
    stop = threading.Event()
    hammered: list[float] = []
    lock = threading.Lock()

    def hammer() -> None:
        client = Client(server.port, server.token)
        mine = []
        while not stop.is_set():
            mine.append(client.timed("GET", "jobs")[0])
        client.close()
        with lock:
            hammered.extend(mine)

    threads = [threading.Thread(target=hammer, name=f"hammer-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # let both hammers get going
    probe = Client(server.port, server.token)
    start = time.perf_counter()
    try:
        health = health_latencies(probe, probes, pause)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        probe.close()
    return {"health": health, "jobs": hammered, "seconds": [time.perf_counter() - start]}


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    sizes, count = ((10, 100, 1_000), 20) if args.quick else ((10, 1_000, 10_000), 30)
    probes, pause = (40, 0.02) if args.quick else (100, 0.02)
    print(f"list_jobs: {machine_line()}")
    started = time.perf_counter()
    results, creation = [], []
    with Server(keep=args.keep, verbose=args.verbose) as server:
        relative = server.write("hello.py", 'print("ok")\n')
        existing = 0
        for size in sizes:
            print(f"  creating jobs {existing + 1:,}..{size:,} through POST jobs (8 concurrent clients) ...",
                  flush=True)
            seconds, _ = create_jobs(server.client, [idle_job(relative, i) for i in range(existing, size)], workers=8)
            creation.append((size - existing, seconds))
            existing = size
            server.settle()
            latencies, size_bytes = list_latencies(server.client, count, size)
            results.append((size, latencies, size_bytes, after_change_latencies(server.client, count)))

        server.settle()
        idle = health_latencies(server.client, probes, pause)
        loaded = under_load(server, probes, pause)

    print_table(f"GET jobs ({count} sequential requests per size, keep-alive; unchanged list = served from the "
                "server's cache, after a change = rebuilt from the database)",
                ["jobs", "p50", "p90", "max", "after a change p50", "after a change p90", "body", "per job (p50)"],
                [[f"{size:,}", ms(median(lat)), ms(percentile(lat, 90)), ms(max(lat)), ms(median(changed)),
                  ms(percentile(changed, 90)), f"{size_bytes / 1e6:.2f} MB", f"{median(lat) / size * 1e6:.1f} us"]
                 for size, lat, size_bytes, changed in results])
    health, hammer = loaded["health"], loaded["jobs"]
    print_table(f"GET health with {sizes[-1]:,} jobs: idle vs while 2 threads loop on GET jobs ({probes} probes)",
                ["server", "health p50", "health p90", "health max", "GET jobs p50 (hammer)", "GET jobs done"],
                [["idle", ms(median(idle)), ms(percentile(idle, 90)), ms(max(idle)), "-", "-"],
                 ["2 x GET jobs loop", ms(median(health)), ms(percentile(health, 90)), ms(max(health)),
                  ms(median(hammer)), f"{len(hammer)} in {loaded['seconds'][0]:.1f} s"]])
    created = sum(n for n, _ in creation)
    spent = sum(s for _, s in creation)
    print(f"\n  creation via POST jobs (8 clients): {created:,} jobs in {spent:.1f} s = {created / spent:,.0f} jobs/s "
          f"(last batch: {creation[-1][0]:,} in {creation[-1][1]:.1f} s = {creation[-1][0] / creation[-1][1]:,.0f}/s)")

    largest, latencies, _, changed = results[-1]
    p50 = median(latencies)
    print("\nRATIOS (same run)")
    print(f"  GET jobs p50, {largest:,} vs {results[0][0]} jobs: {ratio(p50, median(results[0][1]))}")
    print(f"  GET health p50, under GET jobs load vs idle: {ratio(median(health), median(idle))}"
          f"   (p90: {ratio(percentile(health, 90), percentile(idle, 90))})")
    waits = median(health) / p50
    print(f"  GET health p50 under load / GET jobs p50: {waits:.2f}x   ("
          + ("well under 1x: health does not wait for whole listings" if waits < 0.5 else
             "close to or above 1x: health waits about as long as a listing takes (GIL / loop contention)") + ")")
    if largest >= 10_000:
        print(f"\n  target: GET jobs at {largest:,} jobs p50 <= {TARGET_SECONDS * 1000:.0f} ms: {ms(p50)}  "
              f"{verdict(p50 <= TARGET_SECONDS)}   (amphi-scheduler 0.9.7: {OLD_SECONDS * 1000:.0f} ms, "
              "blocking the server)")
        print(f"  ours / 0.9.7 figure: {ratio(p50, OLD_SECONDS)}")
        print(f"  right after a change (rebuilt): p50 {ms(median(changed))}  "
              + ("MET" if median(changed) <= TARGET_SECONDS else "MISSED") + f"   ours / 0.9.7: "
              f"{ratio(median(changed), OLD_SECONDS)}")
    else:
        print(f"\n  (--quick: the {TARGET_SECONDS * 1000:.0f} ms target applies to 10,000 jobs; not judged here)")
    footer(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
