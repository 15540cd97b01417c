"""A burst of fires: 1,000 jobs due in the same second.

Baseline (same run, same machine): plain APScheduler 3.x — ``BackgroundScheduler`` with a
``SQLAlchemyJobStore`` on a fresh SQLite file, its default ``ThreadPoolExecutor`` and
``misfire_grace_time=None`` (as ours: a late job still runs; APScheduler's default of 1 s would
count late jobs as missed, a setting rather than a result), 1,000 ``date`` jobs at one instant T
calling a module-level function that records how late it runs. Counted: executed,
``EVENT_JOB_MISSED``, submit delay (the scheduler handing the job to its executor) and start delay
(the function running, no process).

Ours: the same 1,000 jobs created through ``POST jobs`` (``schedule_type: date``, ``date_type:
once``, ``run_date`` = T as UTC ISO with ``Z``), each running a trivial ``.py``; after T the runs are
read back through ``GET runs`` (paged with ``before=``). Dispatch delay = ``queued_at -
scheduled_for``; start delay = ``started_at - scheduled_for``, ``started_at`` being taken once the
run's process exists (started or forked), the headline; missed = jobs without a recorded run.

amphi-scheduler 0.9.7 (``--peers``; its own venv, built by ``bench/peers.py``): the same 1,000 jobs
through its ``POST jobs`` with its defaults, start delay = its run's ``started_at - T`` (0.9.7 takes
``started_at`` when its thread begins, before it starts the process: earlier than ours).

Percentiles are over ALL jobs of a side: a job that never ran counts as missed (an infinite delay),
not left out.

Two servers, one database: two real servers started on ONE root (so one SQLite file,
``<root>/.amphi/scheduler.sqlite``); the same burst is created half through each server (4 client
threads on each, 8 in all, as on the one-server side); the server holding the dispatcher lease fires
them all. After T the runs are read through both servers. Counted: duplicates (more than one run
for a job and instant), missed, dispatch delay as above, which server dispatched (``GET health``
before T and after the burst), compared with the one-server run of the same session.

T is chosen after measuring the creation rate on a small calibration batch (removed again), so
that every job exists well before T.

Exit status: 1 when a run of ours (one server or two) has duplicates or missed jobs (correctness);
speed targets are reported, never turned into a failure.

    .venv/bin/python bench/fire_burst.py               # full: 1,000 jobs per side, all three sides
    .venv/bin/python bench/fire_burst.py --quick       # CI smoke: 100 jobs per side
    .venv/bin/python bench/fire_burst.py --servers 1   # baseline vs one server only
    .venv/bin/python bench/fire_burst.py --servers 2   # one server vs two servers (no APScheduler baseline)
    .venv/bin/python bench/fire_burst.py --servers 1 --peers   # and amphi-scheduler 0.9.7 in the same run
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    ApiError,
    PeerServer,
    Server,
    create_jobs,
    footer,
    machine_line,
    median,
    ms,
    parse_args,
    parse_iso,
    print_table,
    ratio,
    utc_iso,
    verdict,
)

TARGET_P99 = 0.250  # dispatch
TARGET_START_VS_097 = 0.5  # start delay p99, ours / amphi-scheduler 0.9.7
CALIBRATION = 40
MIN_LEAD = 12.0
MIN_LEAD_QUICK = 6.0  # --quick: three sides must fit in about a minute
FAR_FUTURE = 10 * 365 * 86400

# -- baseline: plain APScheduler --------------------------------------------------------------------
_DELAYS: list[float] = []
_DELAYS_LOCK = threading.Lock()


def record(due: float) -> None:
    """The baseline's job: how late it runs. Module level, so the job store pickles a reference."""
    late = time.time() - due
    with _DELAYS_LOCK:
        _DELAYS.append(late)


def plan_instant(count: int, rate: float, quick: bool = False) -> float:
    """A whole second far enough ahead to create ``count`` jobs at ``rate`` per second, with margin."""
    lead = max(MIN_LEAD_QUICK if quick else MIN_LEAD, 2.0 * count / rate + 5.0)
    return float(math.ceil(time.time() + lead))


def baseline(count: int, quick: bool = False) -> dict[str, Any]:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # one "was missed by" warning per missed job otherwise
    _DELAYS.clear()
    events: dict[str, list[float]] = {"submitted": [], "executed": [], "missed": [], "error": []}
    names = {EVENT_JOB_EXECUTED: "executed", EVENT_JOB_MISSED: "missed", EVENT_JOB_ERROR: "error"}
    due_box = [0.0]

    class SubmitClock(ThreadPoolExecutor):
        """The default executor (same pool size), noting when each job is handed to it.

        EVENT_JOB_SUBMITTED cannot serve: APScheduler 3 dispatches those events only after the
        whole batch of due jobs has been processed.
        """

        def _do_submit_job(self, job: Any, run_times: Any) -> None:
            events["submitted"].append(time.time() - due_box[0])
            super()._do_submit_job(job, run_times)

    def listener(event: Any) -> None:
        events[names[event.code]].append(time.time() - due_box[0])

    with tempfile.TemporaryDirectory(prefix="apscheduler-bench-") as directory:
        scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{directory}/jobs.sqlite")},
                                        executors={"default": SubmitClock()}, timezone="UTC",
                                        job_defaults={"misfire_grace_time": None})
        scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        scheduler.start()
        try:
            start = time.perf_counter()
            for n in range(CALIBRATION):
                scheduler.add_job(record, "date", run_date=_utc(time.time() + FAR_FUTURE), args=[0.0], id=f"cal{n}")
            rate = CALIBRATION / (time.perf_counter() - start)
            scheduler.remove_all_jobs()

            due = due_box[0] = plan_instant(count, rate, quick)
            start = time.perf_counter()
            for n in range(count):
                scheduler.add_job(record, "date", run_date=_utc(due), args=[due], id=f"job{n}")
            created = time.perf_counter() - start
            margin = due - time.time()
            if margin <= 0:
                raise RuntimeError(f"baseline creation ended {-margin:.1f} s after T (calibration too optimistic)")
            deadline = due + 120
            while time.time() < deadline:
                if len(events["executed"]) + len(events["missed"]) + len(events["error"]) >= count:
                    break
                time.sleep(0.2)
            finished = max([due, *[due + d for d in events["executed"] + events["missed"]]]) - due
        finally:
            scheduler.shutdown(wait=True)
    return {"created": created, "margin": margin, "executed": len(events["executed"]), "missed": len(events["missed"]),
            "errors": len(events["error"]), "dispatch": events["submitted"], "start": list(_DELAYS),
            "finished": finished}


def _utc(timestamp: float) -> Any:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(timestamp, timezone.utc)


# -- ours ----------------------------------------------------------------------------------------------
HELLO = 'print("ok")\n'
WORKERS = 8  # client threads creating jobs (split evenly over the servers)


def all_runs(server: Server) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    before = ""
    while True:
        page = server.client.get(f"runs?limit=1000{before}")["runs"]
        runs.extend(page)
        if len(page) < 1000:
            return runs
        before = f"&before={page[-1]['id']}"


def payload(name: str, relative: str, run_date: str) -> dict[str, Any]:
    return {"name": name, "pipeline_path": relative, "schedule_type": "date", "date_type": "once",
            "run_date": run_date}


def create_split(servers: list[Server], payloads: list[dict[str, Any]]) -> tuple[float, list[list[str]]]:
    """Create ``payloads`` in contiguous slices, one per server, all servers at once
    (``WORKERS / len(servers)`` client threads each); ``(wall seconds, ids per server)``."""
    if len(servers) == 1:
        seconds, ids = create_jobs(servers[0].client, payloads, workers=WORKERS)
        return seconds, [ids]
    size = math.ceil(len(payloads) / len(servers))
    slices = [payloads[n * size:(n + 1) * size] for n in range(len(servers))]
    start = time.perf_counter()
    with ThreadPoolExecutor(len(servers), thread_name_prefix="bench-split") as pool:
        results = list(pool.map(lambda pair: create_jobs(pair[0].client, pair[1], workers=WORKERS // len(servers)),
                                zip(servers, slices)))
    return time.perf_counter() - start, [ids for _, ids in results]


def burst(servers: list[Server], count: int, label: str, quick: bool = False) -> dict[str, Any]:
    """The burst on running servers sharing one database: calibrate, create ``count`` jobs due at T
    (split over the servers), wait past T until every server is idle, read the runs back."""
    relative = servers[0].write("hello.py", HELLO)
    far = utc_iso(time.time() + FAR_FUTURE)
    seconds, id_lists = create_split(servers, [payload(f"cal_{n}", relative, far) for n in range(CALIBRATION)])
    rate = CALIBRATION / seconds
    for server, ids in zip(servers, id_lists):
        for job_id in ids:
            server.client.call("DELETE", f"jobs/{job_id}")

    due = plan_instant(count, rate, quick)
    print(f"  {label}: calibrated at {rate:,.0f} jobs/s; T = {utc_iso(due)} ({due - time.time():.0f} s ahead)",
          flush=True)
    created, id_lists = create_split(servers, [payload(f"burst_{n:04d}", relative, utc_iso(due))
                                               for n in range(count)])
    margin = due - time.time()
    if margin <= 0:
        raise RuntimeError(f"{label}: creation ended {-margin:.1f} s after T; the calibration underestimated it")
    print(f"  {label}: {count:,} jobs created in {created:.1f} s; T in {margin:.1f} s", flush=True)
    health_before = [server.client.get("health") for server in servers]
    mine = {job_id for ids in id_lists for job_id in ids}
    if len(mine) != count:
        raise RuntimeError(f"{label}: {count} jobs created but {len(mine)} distinct ids returned")

    def read() -> list[list[dict[str, Any]]]:
        return [[run for run in all_runs(server) if run["job_id"] in mine] for server in servers]

    time.sleep(max(0.0, due - time.time()) + 2.0)  # no polling around T itself
    deadline, idle_polls = due + 150, 0
    while time.time() < deadline:
        busy = sum(health["queued_runs"] + health["running_runs"]
                   for health in (server.client.get("health") for server in servers))
        idle_polls = idle_polls + 1 if busy == 0 else 0
        if idle_polls >= 3:
            views = read()
            if min(len({run["job_id"] for run in view}) for view in views) >= count or idle_polls >= 6:
                break
        time.sleep(0.5)
    views = read()
    health_after = [server.client.get("health") for server in servers]
    result = analyse(views, id_lists, due, count)
    result.update(created=created, margin=margin, health_before=health_before, health_after=health_after)
    return result


def analyse(views: list[list[dict[str, Any]]], id_lists: list[list[str]], due: float, count: int) -> dict[str, Any]:
    """Figures of the runs of one burst; ``views``: the runs as each server lists them."""
    union: dict[str, dict[str, Any]] = {}
    for view in views:
        for run in view:
            union.setdefault(run["id"], run)
    runs = list(union.values())
    scheduled = [run for run in runs if run["triggered_by"] == "schedule"]
    statuses = Counter(run["status"] for run in scheduled)
    per_instant = Counter((run["job_id"], run["scheduled_for"]) for run in scheduled)
    per_job = Counter(run["job_id"] for run in scheduled)
    dispatch = [parse_iso(run["queued_at"]) - parse_iso(run["scheduled_for"]) for run in scheduled]
    start = [parse_iso(run["started_at"]) - parse_iso(run["scheduled_for"]) for run in scheduled if run["started_at"]]
    ends = [parse_iso(run["finished_at"]) for run in scheduled if run["finished_at"]]
    wrong_due = sum(1 for run in scheduled if abs(parse_iso(run["scheduled_for"]) - due) > 0.001)
    fired = set(per_job)
    return {"executed": len(scheduled), "missed": count - len(fired),
            "missed_by_origin": [len(set(ids) - fired) for ids in id_lists],
            "duplicates": sum(n - 1 for n in per_instant.values() if n > 1),
            "extra_runs": sum(n - 1 for n in per_job.values() if n > 1),
            "other_triggers": len(runs) - len(scheduled), "view_counts": [len(view) for view in views],
            "views_agree": len({frozenset(run["id"] for run in view) for view in views}) == 1,
            "errors": len(scheduled) - statuses.get("success", 0), "dispatch": dispatch, "start": start,
            "finished": (max(ends) - due) if ends else math.nan, "statuses": dict(statuses), "wrong_due": wrong_due}


def peer_burst(peer: PeerServer, count: int, args: Any) -> dict[str, Any]:
    """The same burst on amphi-scheduler 0.9.7: its ``GET runs`` names the job and its start time only."""
    with Server(keep=args.keep, verbose=args.verbose, label="amphi-scheduler 0.9.7", peer=peer) as server:
        relative = server.write("hello.py", HELLO)
        start = time.perf_counter()
        calibration = create_jobs(server.client, [payload(f"cal_{n}", relative, utc_iso(time.time() + FAR_FUTURE))
                                                  for n in range(CALIBRATION)], workers=WORKERS)[1]
        rate = CALIBRATION / (time.perf_counter() - start)
        for job_id in calibration:
            server.client.call("DELETE", f"jobs/{job_id}")
        due = plan_instant(count, rate, args.quick)
        print(f"  0.9.7: calibrated at {rate:,.0f} jobs/s; T = {utc_iso(due)} ({due - time.time():.0f} s ahead)",
              flush=True)
        created, _ = create_jobs(server.client, [payload(f"burst_{n:04d}", relative, utc_iso(due))
                                                 for n in range(count)], workers=WORKERS)
        margin = due - time.time()
        if margin <= 0:
            raise RuntimeError(f"0.9.7: creation ended {-margin:.1f} s after T; the calibration underestimated it")
        time.sleep(max(0.0, due - time.time()) + 2.0)
        deadline, runs = due + 300, []
        while time.time() < deadline:
            try:
                runs = [run for run in server.client.get("runs?limit=1000")["runs"]
                        if str(run.get("job_name", "")).startswith("burst_") and run.get("finished_at")]
            except ApiError:  # 0.9.7 answers 500 "database is locked" while its runs write
                pass
            if len(runs) >= count:
                break
            time.sleep(1.0)
        start_delays = [parse_iso(run["started_at"]) - due for run in runs]
        ends = [parse_iso(run["finished_at"]) for run in runs]
    return {"created": created, "margin": margin, "executed": len(runs), "missed": count - len({
        run["job_name"] for run in runs}), "errors": sum(run["status"] != "success" for run in runs),
        "start": start_delays, "dispatch": [], "finished": (max(ends) - due) if ends else math.nan}


def settings_line(config: dict[str, Any]) -> str:
    return (f"max_concurrent_runs={config['max_concurrent_runs']}, "
            f"prestarted_interpreters={config['prestarted_interpreters']}, lease_seconds={config['lease_seconds']:g}, "
            f"{config['db_url']}")


def ours(count: int, args: Any) -> dict[str, Any]:
    with Server(keep=args.keep, verbose=args.verbose, max_concurrent_runs=4) as server:
        config = server.client.get("config")
        pid = server.process.pid
        result = burst([server], count, "ours, 1 server", args.quick)
    result["settings"] = [f"1 server (pid {pid}): {settings_line(config)}"]
    return result


def wait_for_pair(servers: list[Server], timeout: float = 20.0) -> list[dict[str, Any]]:
    """Until every server counts them all and one of them holds the dispatcher lease."""
    deadline = time.monotonic() + timeout
    while True:
        healths = [server.client.get("health") for server in servers]
        holders = {(health["dispatcher"] or {}).get("server_id") for health in healths}
        if all(health["servers"] == len(servers) for health in healths) and len(holders) == 1 and None not in holders:
            return healths
        if time.monotonic() > deadline:
            raise RuntimeError(f"the servers did not agree on {len(servers)} servers and one dispatcher within "
                               f"{timeout:.0f} s: {healths}")
        time.sleep(0.2)


def two_servers(count: int, args: Any) -> dict[str, Any]:
    """The burst on two real servers on one root (one SQLite file), jobs created half through each."""
    with contextlib.ExitStack() as stack:  # leaves in reverse: B (standby, on A's root) stops before A
        first = stack.enter_context(Server(keep=args.keep, verbose=args.verbose, label="server A",
                                           max_concurrent_runs=4))
        second = stack.enter_context(Server(keep=args.keep, verbose=args.verbose, label="server B", root=first.root,
                                            max_concurrent_runs=4))
        servers = [first, second]
        configs = [server.client.get("config") for server in servers]
        if configs[0]["db_url"] != configs[1]["db_url"]:
            raise RuntimeError(f"the two servers do not share a database: {configs[0]['db_url']} vs "
                               f"{configs[1]['db_url']}")
        healths = wait_for_pair(servers)
        names = {health["server_id"]: name for health, name in zip(healths, "AB")}
        print(f"  two servers: A (pid {first.process.pid}, port {first.port}) and B (pid {second.process.pid}, "
              f"port {second.port}) on one root; dispatcher: {names.get(healths[0]['dispatcher']['server_id'], '?')}",
              flush=True)
        pids = [server.process.pid for server in servers]
        result = burst(servers, count, "ours, 2 servers", args.quick)
    result["names"] = names
    result["settings"] = [f"server {name} (pid {pid}): {settings_line(config)}"
                          for name, pid, config in zip("AB", pids, configs)]
    return result


def who_dispatched(result: dict[str, Any]) -> str:
    """Which server held the lease before T and after the burst, as ``GET health`` says on each."""
    names = result["names"]

    def holder(healths: list[dict[str, Any]]) -> str:
        seen = {((health["dispatcher"] or {}).get("server_id"), (health["dispatcher"] or {}).get("since"))
                for health in healths}
        if len(seen) != 1:
            return "servers disagree: " + ", ".join(f"{names.get(s, s)} since {t}" for s, t in sorted(seen, key=str))
        server_id, since = seen.pop()
        since = utc_iso(since) if isinstance(since, (int, float)) else since
        flags = "/".join(f"{name} {'yes' if health['dispatching'] else 'no'}" for name, health in zip("AB", healths))
        return f"{names.get(server_id, server_id)} (lease since {since}; dispatching: {flags})"

    before, after = holder(result["health_before"]), holder(result["health_after"])
    if before == after:
        return f"{before}, before T and after the burst"
    return f"before T {before}; after the burst {after}"


# -- report ---------------------------------------------------------------------------------------
def over_all(values: list[float], count: int, q: float) -> float:
    """Nearest-rank percentile over all ``count`` jobs, a job missing from ``values`` counting as infinitely late."""
    ordered = sorted(values) + [math.inf] * max(0, count - len(values))
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def late(seconds: float) -> str:
    return "missed" if seconds == math.inf else ms(seconds)


def cells(result: dict[str, Any], key: str) -> list[str]:
    values, count = result[key], result["count"]
    return [late(over_all(values, count, 50)), late(over_all(values, count, 99)), late(over_all(values, count, 100))]


def p99_of(result: dict[str, Any], key: str = "dispatch") -> float:
    return over_all(result[key], result["count"], 99)


def delay_rows(left: dict[str, Any], right: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = [["dispatch delay min", ms(min(left["dispatch"], default=math.nan)),
                              ms(min(right["dispatch"], default=math.nan)), ""]]
    for label, index in (("p50", 0), ("p99", 1), ("max", 2)):
        rows.append([f"dispatch delay {label}", cells(left, "dispatch")[index], cells(right, "dispatch")[index],
                     "<= 250 ms" if label == "p99" else ""])
    for label, index in (("p50", 0), ("p99", 1), ("max", 2)):
        rows.append([f"start delay {label}", cells(left, "start")[index], cells(right, "start")[index], ""])
    rows.append(["last run finished after T", f"{left['finished']:.1f} s", f"{right['finished']:.1f} s", ""])
    return rows


def report_baseline(count: int, base: dict[str, Any], mine: dict[str, Any]) -> None:
    rows = [
        ["jobs created (s, rate)", f"{base['created']:.1f} s ({count / base['created']:,.0f}/s, in-process)",
         f"{mine['created']:.1f} s ({count / mine['created']:,.0f}/s, POST jobs x8)", ""],
        ["T ahead when created", f"{base['margin']:.1f} s", f"{mine['margin']:.1f} s", "> 0"],
        ["runs executed / recorded", base["executed"], mine["executed"], f"{count}"],
        ["missed", base["missed"], mine["missed"], "0"],
        ["duplicates (job, instant)", "-", mine["duplicates"], "0"],
        ["errors / not success", base["errors"], mine["errors"], "0"],
        *delay_rows(base, mine),
    ]
    print_table(f"{count:,} jobs due at the same instant",
                ["", "APScheduler 3.x plain (baseline)", "amphi-scheduler (ours)", "target"], rows)
    print("\n  baseline dispatch = handed to its ThreadPoolExecutor - T; start = the function's own clock - T"
          " (no process); percentiles over all jobs, a missed job counted as missed")
    print("  ours dispatch = queued_at - scheduled_for; start = started_at - scheduled_for (once the run's python"
          " process exists)")
    print(f"  ours run statuses: {mine['statuses']}; runs whose scheduled_for != T: {mine['wrong_due']}")


def report_peer(count: int, old: dict[str, Any], mine: dict[str, Any]) -> None:
    rows = [["jobs created (s)", f"{old['created']:.1f} s", f"{mine['created']:.1f} s", ""],
            ["runs executed / recorded", old["executed"], mine["executed"], f"{count}"],
            ["missed", old["missed"], mine["missed"], "0"],
            ["errors / not success", old["errors"], mine["errors"], "0"]]
    for label, index in (("p50", 0), ("p99", 1), ("max", 2)):
        rows.append([f"start delay {label}", cells(old, "start")[index], cells(mine, "start")[index],
                     f"<= {TARGET_START_VS_097}x 0.9.7" if label == "p99" else ""])
    rows.append(["last run finished after T", f"{old['finished']:.1f} s", f"{mine['finished']:.1f} s", ""])
    print_table(f"{count:,} jobs due at the same instant: amphi-scheduler 0.9.7 vs ours (same run)",
                ["", "amphi-scheduler 0.9.7", "amphi-scheduler (ours)", "target"], rows)


def report_pair(count: int, one: dict[str, Any], two: dict[str, Any]) -> None:
    via_a, via_b = two["missed_by_origin"]
    missed_cell = f"{two['missed']} (created via A {via_a}, via B {via_b})"
    rows = [
        ["servers on the database", "1", "2 (A started first, B on A's root)", ""],
        ["jobs created (s, rate)", f"{one['created']:.1f} s ({count / one['created']:,.0f}/s, POST jobs x8)",
         f"{two['created']:.1f} s ({count / two['created']:,.0f}/s, POST jobs x4 via A + x4 via B)", ""],
        ["T ahead when created", f"{one['margin']:.1f} s", f"{two['margin']:.1f} s", "> 0"],
        ["runs recorded (schedule)", one["executed"], two["executed"], f"{count}"],
        ["duplicates (job, instant)", one["duplicates"], two["duplicates"], "0"],
        ["jobs with > 1 run", one["extra_runs"], two["extra_runs"], "0"],
        ["missed", one["missed"], missed_cell, "0"],
        ["errors / not success", one["errors"], two["errors"], "0"],
        *delay_rows(one, two),
    ]
    print_table(f"{count:,} jobs due at the same instant: one server vs two servers on one database",
                ["", "1 server (same session)", "2 servers, one SQLite file", "target"], rows)
    print(f"\n  dispatched by: server {who_dispatched(two)}")
    print(f"  runs listed through A / B: {two['view_counts'][0]} / {two['view_counts'][1]}"
          f"{' (the same runs)' if two['views_agree'] else ' (the servers DISAGREE)'}; runs of these jobs not "
          f"triggered by the schedule: {two['other_triggers']}")
    print(f"  2 servers run statuses: {two['statuses']}; runs whose scheduled_for != T: {two['wrong_due']}")


def main() -> int:
    def extra(parser: Any) -> None:
        parser.add_argument("--servers", choices=("1", "2", "both"), default="both",
                            help="1: APScheduler baseline vs one server; 2: one server vs two servers on one "
                                 "database; both (default): all three")
        parser.add_argument("--peers", action="store_true",
                            help="also amphi-scheduler 0.9.7 in its own venv (built by bench/peers.py if missing)")

    args = parse_args(__doc__.splitlines()[0], extra)
    count = 100 if args.quick else 1000
    with_baseline, with_pair = args.servers in ("1", "both"), args.servers in ("2", "both")
    print(f"fire_burst: {machine_line()}")
    print(f"  {count:,} date jobs due at one instant T, per side")
    started = time.perf_counter()
    base: dict[str, Any] | None = None
    if with_baseline:
        print("  baseline: plain APScheduler BackgroundScheduler + SQLAlchemyJobStore (SQLite), defaults ...",
              flush=True)
        base = baseline(count, args.quick)
        print(f"  baseline: done ({base['executed']} executed, {base['missed']} missed)", flush=True)
    one = ours(count, args)
    two = two_servers(count, args) if with_pair else None
    old: dict[str, Any] | None = None
    if args.peers:
        from peers import AMPHI_097, ensure, version

        ensure(AMPHI_097)
        print(f"  amphi-scheduler {version(AMPHI_097)} (its own venv, its defaults) ...", flush=True)
        old = peer_burst(AMPHI_097.server(), count, args)
    for result in (base, one, two, old):
        if result is not None:
            result["count"] = count

    print("\nSETTINGS")
    if base is not None:
        print("  baseline: APScheduler BackgroundScheduler, SQLAlchemyJobStore on a fresh SQLite file, default "
              "ThreadPoolExecutor (10 threads), misfire_grace_time=None (ours: None too), in-process")
    if old is not None:
        print("  amphi-scheduler 0.9.7: its defaults (BackgroundScheduler, ThreadPoolExecutor 10, coalesce, "
              "max_instances 10, misfire_grace_time 60 s per job created through its API)")
    for line in one["settings"] + (two["settings"] if two else []):
        print(f"  {line}")
    print(f"  every job: date once at T, runs hello.py; creation by {WORKERS} client threads in all "
          f"({'split 4 + 4 over A and B' if two else 'one server'})")

    if base is not None:
        report_baseline(count, base, one)
    if old is not None:
        report_peer(count, old, one)
    if two is not None:
        report_pair(count, one, two)

    p99, base_p99 = p99_of(one), (p99_of(base) if base is not None else math.nan)
    print("\nRATIOS (same run)")
    if base is not None:
        print(f"  dispatch p99, ours / baseline: {ratio(p99, base_p99)}")
        print(f"  start p99 (ours: process started; baseline: function running, no process): "
              f"{ratio(p99_of(one, 'start'), p99_of(base, 'start'))}")
        print(f"  missed: ours {one['missed']} vs baseline {base['missed']} of {count}")
    if old is not None:
        start_ratio = p99_of(one, "start") / p99_of(old, "start")
        print(f"  start p99, ours / amphi-scheduler 0.9.7: {start_ratio:.2f}x ({late(p99_of(one, 'start'))} vs "
              f"{late(p99_of(old, 'start'))})   target <= {TARGET_START_VS_097}x  "
              f"{verdict(start_ratio <= TARGET_START_VS_097)}")
    if two is not None:
        print(f"  dispatch p99, two servers / one server: {ratio(p99_of(two), p99)} "
              f"({ms(p99_of(two))} vs {ms(p99)}); p50: {ratio(median(two['dispatch']), median(one['dispatch']))}")
        print(f"  duplicates / missed: two servers {two['duplicates']} / {two['missed']} vs one server "
              f"{one['duplicates']} / {one['missed']} of {count}")

    print()
    sides = [("1 server", one)] + ([("2 servers", two)] if two is not None else [])
    for name, result in sides:
        ok = result["missed"] == 0 and result["duplicates"] == 0 and p99_of(result) <= TARGET_P99
        print(f"  target ({name}): 0 missed, 0 duplicates and dispatch p99 <= {TARGET_P99 * 1000:.0f} ms: "
              f"missed {result['missed']}, duplicates {result['duplicates']}, p99 {ms(p99_of(result))}  {verdict(ok)}")
    broken = [name for name, result in sides if result["missed"] or result["duplicates"]]
    outcome = f"FAILED: duplicates or missed runs with {', '.join(broken)}" if broken else "OK, every job ran once"
    print(f"  correctness (exit status): {outcome}")
    footer(started)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
