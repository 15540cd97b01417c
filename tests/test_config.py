"""Configuration: the JupyterLab ``dbPath`` setting, server traits and their precedence."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def jp_server_config(jp_config_dir: Path, scheduler_config: dict[str, Any]) -> dict[str, Any]:
    settings = jp_config_dir / "lab" / "user-settings" / "@amphi" / "pipeline-scheduler" / "plugin.jupyterlab-settings"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('{\n  // where the scheduler keeps its state\n  "dbPath": "state/from-lab-setting.sqlite"\n}\n')
    return {"ServerApp": {"jpserver_extensions": {"pipeline_scheduler": True}, "allow_root": True},
            "IdentityProvider": {"token": "secret-test-token"}, "PipelineSchedulerApp": scheduler_config}


async def test_lab_setting_db_path_is_honoured(api, jp_root_dir: Path) -> None:
    _, config = await api("GET", "config")
    assert config["db_url"] == f"sqlite:///{jp_root_dir.resolve()}/state/from-lab-setting.sqlite"
    assert (jp_root_dir / "state" / "from-lab-setting.sqlite").exists()
    assert not (jp_root_dir / ".amphi" / "scheduler.sqlite").exists()


@pytest.mark.parametrize("scheduler_config", [{"db_path": "elsewhere/jobs.db", "timezone": "UTC"}])
async def test_db_path_trait_wins_over_the_lab_setting(api, jp_root_dir: Path, scheduler_config) -> None:
    _, config = await api("GET", "config")
    assert config["db_url"].endswith("/elsewhere/jobs.db")


DB_URL = f"sqlite:///{tempfile.gettempdir()}/pipeline-scheduler-url-{os.getpid()}.sqlite"


@pytest.mark.parametrize("scheduler_config", [{"db_url": DB_URL, "db_path": "ignored.db", "timezone": "UTC"}])
async def test_db_url_wins_over_everything(api, jp_root_dir: Path, scheduler_config) -> None:
    _, config = await api("GET", "config")
    assert config["db_url"] == DB_URL
    assert not (jp_root_dir / "ignored.db").exists()


@pytest.mark.parametrize("scheduler_config", [{"default_timeout": 1.0, "timezone": "UTC",
                                               "log_dir": "/tmp/pipeline-scheduler-test-logs"}])
async def test_default_timeout_and_log_dir_apply(api, write_script, scheduler_config) -> None:
    write_script("slow.py", "import time\ntime.sleep(30)\n")
    _, job = await api("POST", "jobs", {"pipeline_path": "slow.py", "schedule_type": "interval",
                                        "interval_seconds": 86400})
    _, result = await api("POST", f"run/{job['id']}")
    assert result["status"] == "timed_out" and "after 1 s" in result["error"]
    assert result["run"]["log_path"].startswith("/tmp/pipeline-scheduler-test-logs/")


def test_utc_aliases_are_said_utc() -> None:
    """A Linux machine reports ``Etc/UTC``; browsers and the CLI say ``UTC``: the server does too."""
    from pipeline_scheduler.zones import canonical_zone

    assert [canonical_zone(name) for name in ("Etc/UTC", "UCT", "Zulu", "UTC", "Europe/Paris")] == [
        "UTC", "UTC", "UTC", "UTC", "Europe/Paris"]
