"""Generated code that is older than its pipeline: recorded, shown, and acted on at run time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import wait_for

CODE = "from pathlib import Path\nPath('ran.txt').write_text('ran')\nprint('pipeline ran')\n"


def write_pipeline(root: Path, relative: str, label: str) -> str:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"doc_type": "Amphi Pipeline", "pipeline": {"nodes": [{"label": label}]}}))
    return relative


async def create(api, **payload) -> dict:
    status, job = await api("POST", "jobs", {"schedule_type": "manual", "python_code": CODE, **payload})
    assert status == 200, job
    return job


async def listed(api, job_id: str) -> dict:
    _, jobs = await api("GET", "jobs")
    return next(job for job in jobs["jobs"] if job["id"] == job_id)


async def test_saving_code_records_its_pipeline_and_an_edit_makes_it_stale(api, jp_root_dir: Path) -> None:
    path = write_pipeline(jp_root_dir, "etl/sales.ampln", "v1")
    job = await create(api, pipeline_path=path)
    assert job["pipeline_sha256"] == hashlib.sha256((jp_root_dir / path).read_bytes()).hexdigest()
    assert job["code_generated_at"] and job["code_stale"] is False and job["on_stale"] == "warn"
    assert (await listed(api, job["id"]))["code_stale"] is False

    write_pipeline(jp_root_dir, path, "v2 (edited in the editor)")
    assert (await api("GET", f"jobs/{job['id']}"))[1]["code_stale"] is True
    assert (await listed(api, job["id"]))["code_stale"] is True
    _, renamed = await api("PUT", f"jobs/{job['id']}", {"name": "renamed"})  # no new code: still stale
    assert renamed["code_stale"] is True and renamed["pipeline_sha256"] == job["pipeline_sha256"]

    _, regenerated = await api("PUT", f"jobs/{job['id']}", {"python_code": CODE + "# v2\n"})
    assert regenerated["code_stale"] is False and regenerated["pipeline_sha256"] != job["pipeline_sha256"]
    assert (await listed(api, job["id"]))["code_stale"] is False
    (jp_root_dir / path).unlink()  # nothing left to generate from: not stale
    assert (await listed(api, job["id"]))["code_stale"] is False


async def test_a_run_of_stale_code_warns_in_its_document_and_log(api, jp_root_dir: Path) -> None:
    path = write_pipeline(jp_root_dir, "etl/sales.ampln", "v1")
    job = await create(api, pipeline_path=path, schedule_type="cron", cron_expression="* * * * * *")
    write_pipeline(jp_root_dir, path, "v2")

    async def a_scheduled_run():
        _, runs = await api("GET", "runs", job_id=job["id"], status="success")
        return runs["runs"]
    run = (await wait_for(a_scheduled_run, 15))[-1]
    generated = job["code_generated_at"].replace("T", " ").replace("+00:00", " UTC")
    assert run["triggered_by"] == "schedule"
    assert run["warning"].startswith(f"pipeline etl/sales.ampln changed since its code was generated on {generated}")
    _, log = await api("GET", f"runs/{run['id']}/log")
    assert log.startswith(f"warning: {run['warning']}\n") and "pipeline ran" in log
    assert (jp_root_dir / "etl" / "ran.txt").exists()

    await api("PUT", f"jobs/{job['id']}", {"python_code": CODE, "schedule_type": "manual"})
    _, fresh = await api("POST", f"run/{job['id']}")
    assert fresh["success"] and fresh["output"] == "pipeline ran\n"
    assert (await api("GET", f"runs/{fresh['run_id']}"))[1]["warning"] is None


async def test_on_stale_fail_refuses_to_start_the_process(api, jp_root_dir: Path) -> None:
    path = write_pipeline(jp_root_dir, "etl/sales.ampln", "v1")
    job = await create(api, pipeline_path=path, on_stale="fail")
    write_pipeline(jp_root_dir, path, "v2")
    status, result = await api("POST", f"run/{job['id']}")
    assert status == 200 and result["success"] is False
    _, run = await api("GET", f"runs/{result['run_id']}")
    assert run["status"] == "failure" and run["pid"] is None and run["log_path"] is None
    assert run["error"].startswith("not started: pipeline etl/sales.ampln changed since its code was generated on ")
    assert run["error"].endswith("(on_stale 'fail')")
    assert not (jp_root_dir / "etl" / "ran.txt").exists()


async def test_bad_on_stale_and_server_set_fields_are_refused(api, jp_root_dir: Path) -> None:
    path = write_pipeline(jp_root_dir, "etl/sales.ampln", "v1")
    job = await create(api, pipeline_path=path)
    cases = [("POST", "jobs", {"python_code": CODE, "pipeline_path": path, "on_stale": "sometimes"}, "on_stale"),
             ("PUT", f"jobs/{job['id']}", {"on_stale": "ignore"}, "on_stale"),
             ("POST", "jobs", {"python_code": CODE, "pipeline_path": path, "pipeline_sha256": "0" * 64},
              "pipeline_sha256"),
             ("PUT", f"jobs/{job['id']}", {"code_generated_at": "2020-01-01T00:00:00+00:00"}, "code_generated_at")]
    for method, route, body, field in cases:
        status, answer = await api(method, route, body)
        assert status == 400 and answer["field"] == field, answer
        assert field in answer["error"]
    _, jobs = await api("GET", "jobs")
    assert [listed_job["id"] for listed_job in jobs["jobs"]] == [job["id"]]
    assert (await api("GET", f"jobs/{job['id']}"))[1] == job


async def test_jobs_without_pipeline_code_record_nothing(api, jp_root_dir: Path, write_script) -> None:
    plain = await create(api)
    script = await create(api, python_code=None, pipeline_path=write_script("tools/x.py", "print(1)\n"))
    for job in (plain, script):
        assert not {"pipeline_sha256", "code_generated_at", "code_stale"} & set(job)
