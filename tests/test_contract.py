"""A client written for amphi-scheduler 0.9.7 works unchanged (../shared/amphi-contract.md)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# What 0.9.7's form sends: every field, unused ones empty.
UI_FIELDS = {"name": "", "pipeline_path": "", "python_code": "", "schedule_type": "date", "date_type": "once",
             "run_date": "", "interval_days": "", "interval_seconds": "", "cron_expression": ""}


def in_an_hour() -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def test_ui_create_edit_and_list_round_trip(api, write_script) -> None:
    write_script("pipe.py", "print('ok')\n")
    status, job = await api("POST", "jobs", {**UI_FIELDS, "name": "nightly", "pipeline_path": "pipe.py",
                                             "date_type": "daily", "run_date": "2026-11-20T22:30:00.000Z",
                                             "max_instances": 2, "coalesce": True, "misfire_grace_time": 60})
    assert status == 200
    for key in ("id", "name", "next_run_time", "pipeline_path", "trigger", "schedule_type", "date_type", "run_date",
                "max_instances", "coalesce", "misfire_grace_time"):
        assert key in job, key
    assert job["schedule_type"] == "date" and job["date_type"] == "daily"
    assert datetime.fromisoformat(job["next_run_time"]).astimezone(timezone.utc).strftime("%H:%M") == "22:30"

    # 0.9.7's UI edits by POSTing the whole job again with its id (upsert)
    status, edited = await api("POST", "jobs", {**UI_FIELDS, "id": job["id"], "name": "hourly", "pipeline_path": "pipe.py",
                                                "schedule_type": "interval", "interval_seconds": "3600",
                                                "replace_existing": True})
    assert status == 200 and edited["id"] == job["id"] and edited["interval_seconds"] == 3600
    _, listing = await api("GET", "jobs")
    assert [(j["id"], j["name"], j["schedule_type"]) for j in listing["jobs"]] == [(job["id"], "hourly", "interval")]


async def test_put_updates_the_stored_schedule_fields(api, write_script) -> None:
    write_script("pipe.py", "print('ok')\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "pipe.py", "schedule_type": "interval", "interval_seconds": 60})
    status, changed = await api("PUT", f"jobs/{job['id']}", {"schedule_type": "cron", "cron_expression": "5 4 * * *"})
    assert status == 200
    assert changed["schedule_type"] == "cron" and changed["cron_expression"] == "5 4 * * *"
    assert "interval_seconds" not in changed and changed["trigger"] == "At 04:05 (Europe/Paris)"
    _, fetched = await api("GET", f"jobs/{job['id']}")
    assert fetched == changed
    status, renamed = await api("PUT", f"jobs/{job['id']}", {"name": "renamed"})
    assert renamed["name"] == "renamed" and renamed["cron_expression"] == "5 4 * * *"


async def test_run_now_answers_with_the_097_shape(api, write_script) -> None:
    write_script("pipe.py", "import sys\nprint('to stdout')\nsys.exit(0)\n")
    _, job = await api("POST", "jobs", {**UI_FIELDS, "pipeline_path": "pipe.py", "run_date": in_an_hour()})
    assert job["name"].startswith("job_")
    status, result = await api("POST", f"run/{job['id']}")
    assert status == 200
    assert {key: result[key] for key in ("success", "output", "error", "exit_code")} == \
        {"success": True, "output": "to stdout\n", "error": None, "exit_code": 0}  # 0.9.7: null without stderr
    assert result["cwd"]


async def test_runs_history_shape_limit_and_delete(api, write_script) -> None:
    write_script("pipe.py", "print('ok')\n")
    _, job = await api("POST", "jobs", {"name": "hist", "pipeline_path": "pipe.py", "run_date": in_an_hour()})
    ids = [(await api("POST", f"run/{job['id']}"))[1]["run_id"] for _ in range(3)]
    status, runs = await api("GET", "runs", limit=2)
    assert status == 200 and [run["id"] for run in runs["runs"]] == ids[:0:-1]
    run = runs["runs"][0]
    assert isinstance(run["id"], int)
    assert {k: run[k] for k in ("job_id", "job_name", "status", "triggered_by", "exit_code", "output", "error")} == \
        {"job_id": job["id"], "job_name": "hist", "status": "success", "triggered_by": "manual", "exit_code": 0,
         "output": "ok\n", "error": None}
    assert datetime.fromisoformat(run["started_at"]).utcoffset() == timedelta(0)
    _, older = await api("GET", "runs", before=ids[1])
    assert [r["id"] for r in older["runs"]] == ids[:1]
    _, one = await api("GET", f"runs/{ids[0]}")
    assert one["id"] == ids[0]
    assert (await api("DELETE", f"runs/{ids[0]}"))[1] == {"success": True}
    assert (await api("GET", f"runs/{ids[0]}"))[0] == 404
    assert (await api("DELETE", "runs"))[1] == {"success": True, "deleted": 2}


async def test_job_404_and_delete_shapes(api, write_script) -> None:
    status, body = await api("GET", "jobs/missing")
    assert status == 404 and body["error"] == "Job not found"
    write_script("pipe.py", "print('ok')\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "pipe.py", "run_date": in_an_hour()})
    assert await api("DELETE", f"jobs/{job['id']}") == (200, {"success": True})
    assert (await api("DELETE", f"jobs/{job['id']}"))[0] == 404


async def test_config_and_health(api, jp_root_dir) -> None:
    status, config = await api("GET", "config")
    assert status == 200 and config["amphi_dir"] == str(jp_root_dir.resolve())
    assert config["timezone"] == "Europe/Paris"
    status, health = await api("GET", "health")
    assert health["scheduler_running"] is True and health["jobs"] == 0 and health["version"]
