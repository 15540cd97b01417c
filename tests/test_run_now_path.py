"""The run-now path through a real server and a real SQLite file, its writes held up by real locks:
a run's process starts while its record is written, ``POST run/{id}`` answers before the run's end
is written, whatever reads after the answer sees the end, and a run whose record is refused leaves
no process behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import psutil

from conftest import wait_for

WAITER = """import pathlib, sys, time
here = pathlib.Path(sys.argv[1])
(here / "started.txt").write_text("started")
while not (here / "go.txt").exists():
    time.sleep(0.01)
print("done")
"""


def database(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / ".amphi" / "scheduler.sqlite", timeout=30, isolation_level=None)


async def create(api, name: str, script: str, root: Path) -> dict:
    status, job = await api("POST", "jobs", {"name": name, "pipeline_path": script, "arguments": [str(root)],
                                             "schedule_type": "interval", "interval_seconds": 86400})
    assert status == 200, job
    return job


def exists(path: Path):
    return lambda: asyncio.sleep(0, path.exists())


async def test_a_run_now_starts_while_its_record_waits_for_the_database(api, write_script, jp_root_dir) -> None:
    job = await create(api, "early", write_script("waiter.py", WAITER), jp_root_dir)
    holder = database(jp_root_dir)
    holder.execute("BEGIN IMMEDIATE")  # another writer: the run's record must wait
    try:
        request = asyncio.ensure_future(api("POST", f"jobs/{job['id']}/runs"))  # 202 once recorded
        await wait_for(exists(jp_root_dir / "started.txt"), 15)
        assert not request.done()
    finally:
        holder.execute("COMMIT")
        holder.close()
    status, run = await request
    assert status == 202, run
    (jp_root_dir / "go.txt").touch()

    async def ended():
        return (await api("GET", f"runs/{run['id']}"))[1]["status"] == "success"

    await wait_for(ended, 20)
    _, runs = await api("GET", "runs", job_id=job["id"])
    assert [item["id"] for item in runs["runs"]] == [run["id"]]


async def test_the_answer_precedes_the_last_write_and_reads_after_it_see_the_end(api, write_script,
                                                                                jp_root_dir) -> None:
    job = await create(api, "answered", write_script("waiter.py", WAITER), jp_root_dir)
    request = asyncio.ensure_future(api("POST", f"run/{job['id']}"))
    await wait_for(exists(jp_root_dir / "started.txt"), 15)
    holder = database(jp_root_dir)

    async def recorded_running():
        row = holder.execute("SELECT status FROM ps_runs WHERE job_id = ?", (job["id"],)).fetchone()
        return row is not None and row[0] == "running"

    await wait_for(recorded_running, 15)
    holder.execute("BEGIN IMMEDIATE")  # the run's last write now waits for this lock
    try:
        (jp_root_dir / "go.txt").touch()
        status, answer = await asyncio.wait_for(request, 15)  # answered while its end cannot be written
        assert status == 200 and answer["status"] == "success" and "done" in answer["output"], answer
        read = asyncio.ensure_future(api("GET", f"runs/{answer['run_id']}"))
        listed = asyncio.ensure_future(api("GET", f"jobs/{job['id']}"))
        await asyncio.sleep(0.3)
        assert not read.done() and not listed.done()  # they wait for the end to be written
    finally:
        holder.execute("COMMIT")
        holder.close()
    _, run = await read
    _, again = await listed
    assert run["status"] == "success" and run["finished_at"] is not None
    assert again["last_run"]["status"] == "success", again


def processes_of(job_name: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("PIPELINE_SCHEDULER_RUN", "").startswith(f"{job_name}_"):
                found.append(process)
        except psutil.Error:
            continue
    return found


async def test_a_run_whose_record_is_refused_leaves_no_process(api, write_script, jp_root_dir) -> None:
    job = await create(api, "refused", write_script("sleeper.py", "import time\ntime.sleep(60)\n"), jp_root_dir)
    holder = database(jp_root_dir)
    holder.execute("CREATE TRIGGER refuse_runs BEFORE INSERT ON ps_runs BEGIN "
                   "SELECT RAISE(ABORT, 'refused by the test'); END")
    try:
        status, _ = await api("POST", f"run/{job['id']}")
        assert status == 500

        async def none_left():
            return not processes_of("refused")

        await wait_for(none_left, 15)
        _, runs = await api("GET", "runs", job_id=job["id"])
        assert runs["runs"] == []
        assert not list((jp_root_dir / ".amphi" / "logs").glob(f"{job['id']}/*.log"))
    finally:
        holder.execute("DROP TRIGGER refuse_runs")
        holder.close()
    status, run = await api("POST", f"jobs/{job['id']}/runs")  # recorded again once the database accepts it
    assert status == 202, run
    status, cancelled = await api("POST", f"runs/{run['id']}/cancel")
    assert status == 200 and cancelled["status"] == "cancelled", cancelled
