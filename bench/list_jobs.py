"""Listing cost: ``GET jobs`` with 10, 1,000 and 10,000 jobs, and whether the server stays responsive.

Jobs are created through ``POST jobs`` (8 concurrent clients), never fired (every day, first fire a
day ahead). Each size is measured with sequential requests on a keep-alive connection; a request's
time includes reading the whole body (not parsing it).

With ``--peers``, amphi-scheduler 0.9.7 (its own venv, ``bench/peers.py``) gets the same jobs through
the same ``POST jobs`` requests in the same run, and its create rate, ``GET jobs`` latency, body and
server RSS are printed beside ours, with same-run ratios.

The sidebar's compact list (``GET jobs?fields=...`` with the fields the panel reads, taken from
``JOB_SUMMARY_FIELDS`` in ``src/tokens.ts``) is measured beside the whole list at each size: its
body, its p50 unchanged and right after a change; with ``--peers`` its body and p50 are compared with
0.9.7's whole list (0.9.7 has no other), same run.

Responsiveness: with 10,000 jobs, two threads request ``GET jobs`` in a loop while a third thread
times ``GET health``; compared with ``GET health`` on the idle server. A server that blocked its
event loop while listing would make ``health`` wait for whole listings.

    .venv/bin/python bench/list_jobs.py            # full: 10 / 1,000 / 10,000 jobs, 30 requests each
    .venv/bin/python bench/list_jobs.py --quick    # CI smoke: 10 / 100 / 1,000 jobs, 20 requests each
    .venv/bin/python bench/list_jobs.py --peers    # and amphi-scheduler 0.9.7 measured with the same jobs
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from pathlib import Path

import psutil

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
from peers import AMPHI_097, ensure, version  # noqa: E402

TARGET_SECONDS = 0.030
WARMUP = 3
TOKENS_TS = Path(__file__).resolve().parents[1] / "packages" / "pipeline-scheduler" / "src" / "tokens.ts"


def sidebar_fields() -> str:
    """The fields the panel asks for, as the frontend lists them (``JOB_SUMMARY_FIELDS``)."""
    listed = re.search(r"JOB_SUMMARY_FIELDS = \[(.*?)\] as const", TOKENS_TS.read_text(encoding="utf-8"), re.S)
    return ",".join(re.findall(r"'([a-z_]+)'", listed.group(1)))


COMPACT = f"jobs?fields={sidebar_fields()}"


def list_latencies(client: Client, count: int, expected: int, path: str = "jobs") -> tuple[list[float], int]:
    _, body = client.timed("GET", path)
    jobs = json.loads(body)["jobs"]
    if len(jobs) != expected:
        raise RuntimeError(f"GET {path} returned {len(jobs)} jobs, expected {expected}")
    for _ in range(WARMUP):
        client.timed("GET", path)
    return [client.timed("GET", path)[0] for _ in range(count)], len(body)


def rss_mb(server: Server) -> float:
    """Resident memory of the server process alone (not its spare interpreters or kernels)."""
    return psutil.Process(server.process.pid).memory_info().rss / 2**20


def grow(server: Server, sizes: tuple[int, ...], count: int, changes: bool) -> tuple[list[dict], list[tuple]]:
    """Create jobs up to each size through ``POST jobs`` (8 clients) and time ``GET jobs`` at each.

    ``changes``: also time a listing right after pausing / resuming a job, and the compact list (our routes
    only)."""
    relative = server.write("hello.py", 'print("ok")\n')
    results, creation, existing = [], [], 0
    for size in sizes:
        print(f"  {server.label}: creating jobs {existing + 1:,}..{size:,} through POST jobs (8 concurrent "
              "clients) ...", flush=True)
        seconds, _ = create_jobs(server.client, [idle_job(relative, i) for i in range(existing, size)], workers=8)
        creation.append((size - existing, seconds))
        existing = size
        server.settle()
        latencies, size_bytes = list_latencies(server.client, count, size)
        result = {"size": size, "latencies": latencies, "bytes": size_bytes, "rss": rss_mb(server)}
        if changes:
            result["changed"] = after_change_latencies(server.client, count)
            result["compact"], result["compact_bytes"] = list_latencies(server.client, count, size, COMPACT)
            result["compact_changed"] = after_change_latencies(server.client, count, COMPACT)
        results.append(result)
    return results, creation


def after_change_latencies(client: Client, count: int, path: str = "jobs") -> list[float]:
    """``GET {path}`` right after a change to one job (pause / resume): the listing is rebuilt, not cached."""
    status, data = client.raw("GET", "jobs?limit=1")
    job_id = json.loads(data)["jobs"][0]["id"]
    latencies = []
    for index in range(count):
        client.raw("POST", f"jobs/{job_id}/{'pause' if index % 2 == 0 else 'resume'}")
        latencies.append(client.timed("GET", path)[0])
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


def rate(creation: list[tuple[int, float]]) -> float:
    """Jobs created per second over every batch."""
    return sum(n for n, _ in creation) / sum(s for _, s in creation)


def measure_peer(sizes: tuple[int, ...], count: int) -> tuple[list[dict], list[tuple], str]:
    """amphi-scheduler 0.9.7 with the same jobs, created and listed the same way."""
    ensure(AMPHI_097)
    name = f"amphi-scheduler {version(AMPHI_097)}"
    with Server(peer=AMPHI_097.server(), label=name) as server:
        results, creation = grow(server, sizes, count, changes=False)
    return results, creation, name


def print_peer_table(ours: list[dict], creation: list[tuple], theirs: list[dict], their_creation: list[tuple],
                     name: str) -> None:
    print_table(f"ours vs {name}, same jobs, same run (GET jobs p50 of {len(ours[0]['latencies'])} requests; "
                "server RSS alone after listing)",
                ["jobs", "ours p50", "ours compact p50", f"{name} p50", "ours body", "ours compact body",
                 "their body", "ours RSS", "their RSS"],
                [[f"{a['size']:,}", ms(median(a["latencies"])), ms(median(a["compact"])), ms(median(b["latencies"])),
                  f"{a['bytes'] / 1e6:.2f} MB", f"{a['compact_bytes'] / 1e6:.2f} MB", f"{b['bytes'] / 1e6:.2f} MB",
                  f"{a['rss']:.0f} MB", f"{b['rss']:.0f} MB"] for a, b in zip(ours, theirs)])
    print(f"\n  create rate via POST jobs (8 clients): ours {rate(creation):,.0f} jobs/s, "
          f"{name} {rate(their_creation):,.0f} jobs/s")


def main() -> int:
    args = parse_args(__doc__.splitlines()[0], lambda parser: parser.add_argument(
        "--peers", action="store_true", help="also measure amphi-scheduler 0.9.7 (its venv: bench/peers.py)"))
    sizes, count = ((10, 100, 1_000), 20) if args.quick else ((10, 1_000, 10_000), 30)
    probes, pause = (40, 0.02) if args.quick else (100, 0.02)
    print(f"list_jobs: {machine_line()}")
    started = time.perf_counter()
    with Server(label="ours", keep=args.keep, verbose=args.verbose) as server:
        results, creation = grow(server, sizes, count, changes=True)
        server.settle()
        idle = health_latencies(server.client, probes, pause)
        loaded = under_load(server, probes, pause)

    print_table(f"GET jobs ({count} sequential requests per size, keep-alive; unchanged list = served from the "
                "server's cache, after a change = rebuilt from the database)",
                ["jobs", "p50", "p90", "max", "after a change p50", "after a change p90", "body", "per job (p50)"],
                [[f"{r['size']:,}", ms(median(r["latencies"])), ms(percentile(r["latencies"], 90)),
                  ms(max(r["latencies"])), ms(median(r["changed"])), ms(percentile(r["changed"], 90)),
                  f"{r['bytes'] / 1e6:.2f} MB", f"{median(r['latencies']) / r['size'] * 1e6:.1f} us"]
                 for r in results])
    print_table(f"GET {COMPACT.split('?')[0]}?fields=<the sidebar's {COMPACT.count(',') + 1} fields> (same requests; "
                "the panel's list)",
                ["jobs", "p50", "p90", "after a change p50", "after a change p90", "body", "body / whole body"],
                [[f"{r['size']:,}", ms(median(r["compact"])), ms(percentile(r["compact"], 90)),
                  ms(median(r["compact_changed"])), ms(percentile(r["compact_changed"], 90)),
                  f"{r['compact_bytes'] / 1e6:.2f} MB", ratio(r["compact_bytes"], r["bytes"])] for r in results])
    health, hammer = loaded["health"], loaded["jobs"]
    print_table(f"GET health with {sizes[-1]:,} jobs: idle vs while 2 threads loop on GET jobs ({probes} probes)",
                ["server", "health p50", "health p90", "health max", "GET jobs p50 (hammer)", "GET jobs done"],
                [["idle", ms(median(idle)), ms(percentile(idle, 90)), ms(max(idle)), "-", "-"],
                 ["2 x GET jobs loop", ms(median(health)), ms(percentile(health, 90)), ms(max(health)),
                  ms(median(hammer)), f"{len(hammer)} in {loaded['seconds'][0]:.1f} s"]])
    print(f"\n  creation via POST jobs (8 clients): {sum(n for n, _ in creation):,} jobs at {rate(creation):,.0f} jobs/s "
          f"(last batch: {creation[-1][0]:,} in {creation[-1][1]:.1f} s = {creation[-1][0] / creation[-1][1]:,.0f}/s)")

    peer = measure_peer(sizes, count) if args.peers else None
    if peer:
        print_peer_table(results, creation, *peer)

    largest, latencies, changed = results[-1]["size"], results[-1]["latencies"], results[-1]["changed"]
    p50 = median(latencies)
    print("\nRATIOS (same run)")
    print(f"  GET jobs p50, {largest:,} vs {results[0]['size']} jobs: {ratio(p50, median(results[0]['latencies']))}")
    if peer:
        theirs, their_creation, name = peer
        print(f"  vs {name}, {largest:,} jobs: GET jobs p50 {ratio(p50, median(theirs[-1]['latencies']))}, "
              f"body {ratio(results[-1]['bytes'], theirs[-1]['bytes'])}, server RSS "
              f"{ratio(results[-1]['rss'], theirs[-1]['rss'])}; create rate "
              f"{ratio(rate(creation), rate(their_creation))}")
        print(f"  compact list (the sidebar's) vs {name}'s GET jobs, {largest:,} jobs: body "
              f"{ratio(results[-1]['compact_bytes'], theirs[-1]['bytes'])}, p50 "
              f"{ratio(median(results[-1]['compact']), median(theirs[-1]['latencies']))}")
    print(f"  compact list vs whole list, {largest:,} jobs: body {ratio(results[-1]['compact_bytes'], results[-1]['bytes'])}, "
          f"p50 {ratio(median(results[-1]['compact']), p50)}, p50 after a change "
          f"{ratio(median(results[-1]['compact_changed']), median(changed))}")
    print(f"  GET health p50, under GET jobs load vs idle: {ratio(median(health), median(idle))}"
          f"   (p90: {ratio(percentile(health, 90), percentile(idle, 90))})")
    waits = median(health) / p50
    print(f"  GET health p50 under load / GET jobs p50: {waits:.2f}x   ("
          + ("well under 1x: health does not wait for whole listings" if waits < 0.5 else
             "close to or above 1x: health waits about as long as a listing takes (GIL / loop contention)") + ")")
    if largest >= 10_000:
        print(f"\n  target: GET jobs at {largest:,} jobs p50 <= {TARGET_SECONDS * 1000:.0f} ms: {ms(p50)}  "
              f"{verdict(p50 <= TARGET_SECONDS)}")
        print(f"  right after a change (rebuilt): p50 {ms(median(changed))}  {verdict(median(changed) <= TARGET_SECONDS)}")
    else:
        print(f"\n  (--quick: the {TARGET_SECONDS * 1000:.0f} ms target applies to 10,000 jobs; not judged here)")
    footer(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
