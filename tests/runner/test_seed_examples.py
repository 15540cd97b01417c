"""Every example of the seeds (``../shared/seeds``) that a runner config or the jobs directory can
hold, run as its seed describes: one test per example.

* Seed 002 (MXX server README): its job files sit in the jobs directory of a real server, which
  loads them, schedules them and runs them (real subprocesses) when triggered.
* Seed 001 (MXX runner) and seed 000 (LDX): plugins and configs run by ``python -m
  pipeline_scheduler.runner`` in a subprocess (or by a server, where the example is about one).
  Where the seed shows a flaw, the test asserts our safe behaviour instead (runner/README.md says why).

The client commands of seed 002 (``mxx-client ...``) are in tests/test_cli_mxx.py; its ``/api/scheduler``
routes belong to the MXX route aliases.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import wait_for as wait_async
from test_cli import cli  # noqa: F401  (the fixture: the CLI as a subprocess against this test's server)

from .runner_helpers import LocalServer, pid_alive, read_pid, run_cli, write

from pipeline_scheduler.runner import Plugin, PluginParams, RunOptions, hook, run_config
from pipeline_scheduler.runner.registry import PluginRegistry

# -- seed 002: the jobs directory of the MXX server, verbatim (but for the health check's URL) --------
QUICK_START_DAILY_BACKUP = """
[lifetime]
lifetime = 60  # Run for 60 seconds

[os]
cmd = "echo Daily backup started"

[schedule]
trigger = "cron"
hour = 10
minute = 30
"""
QUICK_START_MANUAL_TASK = """
[lifetime]
lifetime = 30

[os]
cmd = "echo Manual task executed"

# No [schedule] section = on-demand only
"""
CRON_TRIGGER_SECTION = """
[os]
cmd = "echo weekly"

[schedule]
trigger = "cron"
hour = 10        # Hour (0-23)
minute = 30      # Minute (0-59)
second = 0       # Second (0-59, optional)
day_of_week = 1  # Day of week (0-6, optional)
"""
INTERVAL_SECTIONS = {"seconds": ("seconds = 60     # Run every 60 seconds", "Every minute", 60),
                     "minutes": ("minutes = 30     # Run every 30 minutes", "Every 30 minutes", 1800),
                     "hours": ("hours = 2        # Run every 2 hours", "Every 2 hours", 7200)}
EXAMPLE_1_DAILY_BACKUP = """
[lifetime]
lifetime = 300  # 5 minutes

[os]
cmd = "python backup_script.py"

[schedule]
trigger = "cron"
hour = 2
minute = 0  # Run at 2:00 AM daily
"""
BACKUP_SCRIPT = "from pathlib import Path\nPath('backup.done').write_text('backed up')\nprint('backup finished')\n"
EXAMPLE_2_HEALTH_CHECK = """
[lifetime]
lifetime = 10

[os]
cmd = "curl -fsS {url}/health"  # the seed's https://example.com/health, served locally (no network here)

[schedule]
trigger = "interval"
minutes = 5  # Run every 5 minutes
"""
EXAMPLE_3_GENERATE_REPORT = """
[lifetime]
lifetime = 120

[os]
cmd = "python generate_report.py"

# No schedule - trigger manually
"""
REPORT_SCRIPT = "print('report generated')\n"
API_SCHEDULE_A_JOB = {"job_id": "my_job_1",
                      "config": {"lifetime": {"lifetime": 3600}, "os": {"cmd": "echo test"}},
                      "schedule": {"trigger": "cron", "hour": 10, "minute": 30},
                      "replace_existing": False}
EXAMPLE_4_REGISTRATION = {"job_id": "custom_job",
                          "config": {"lifetime": {"lifetime": 60}, "os": {"cmd": "echo Custom job"}},
                          "schedule": {"trigger": "interval", "minutes": 10}}


@pytest.fixture
def web() -> Any:
    server = LocalServer()
    yield server
    server.close()


@pytest.fixture
def python_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``python`` in a config's command is this interpreter (a fresh machine may only have python3)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture
def scheduler_config(jp_root_dir: Path, web: LocalServer, python_on_path: None) -> dict[str, Any]:
    jobs = jp_root_dir / ".amphi" / "jobs"
    write(jobs / "daily_backup.toml", QUICK_START_DAILY_BACKUP)
    write(jobs / "manual_task.toml", QUICK_START_MANUAL_TASK)
    write(jobs / "weekly.toml", CRON_TRIGGER_SECTION)
    for unit, (line, _, _) in INTERVAL_SECTIONS.items():
        write(jobs / f"every_{unit}.toml", f'[os]\ncmd = "echo tick"\n\n[schedule]\ntrigger = "interval"\n{line}\n')
    write(jobs / "nightly_backup.toml", EXAMPLE_1_DAILY_BACKUP)
    write(jobs / "health_check.toml", EXAMPLE_2_HEALTH_CHECK.format(url=web.url))
    write(jobs / "generate_report.toml", EXAMPLE_3_GENERATE_REPORT)
    write(jp_root_dir / ".amphi" / "plugins" / "ld.py", LDPLAYER_PLUGIN)
    (jp_root_dir / "backup_script.py").write_text(BACKUP_SCRIPT)
    (jp_root_dir / "generate_report.py").write_text(REPORT_SCRIPT)
    return {"timezone": "UTC", "jobs_dir_poll": 0}


async def job_of(api, job_id: str) -> dict:
    status, job = await api("GET", f"jobs/{job_id}")
    assert status == 200, job
    return job


async def trigger_and_wait(api, job_id: str) -> tuple[dict, str]:
    """``POST registry/{id}/trigger`` (the MXX server's trigger), then the finished run and its log."""
    status, run = await api("POST", f"registry/{job_id}/trigger")
    assert status == 202, run

    async def finished():
        _, found = await api("GET", f"runs/{run['id']}")
        return found if found["status"] not in ("queued", "running") else None
    done = await wait_async(finished, 30)
    _, log = await api("GET", f"runs/{run['id']}/log")
    return done, log


def next_fire(job: dict) -> datetime:
    return datetime.fromisoformat(job["next_run_time"]).astimezone(timezone.utc)


async def test_002_quick_start_scheduled_daily_backup(api) -> None:
    job = await job_of(api, "daily_backup")
    assert job["schedule_type"] == "cron" and job["trigger"].startswith("At 10:30")
    assert (next_fire(job).hour, next_fire(job).minute) == (10, 30)
    run, log = await trigger_and_wait(api, "daily_backup")
    assert run["status"] == "success" and "Daily backup started" in log


async def test_002_quick_start_on_demand_manual_task(api) -> None:
    job = await job_of(api, "manual_task")
    assert job["schedule_type"] == "manual" and job["next_run_time"] is None
    _, on_demand = await api("GET", "registry", type="on_demand")
    assert "manual_task" in [entry["job_id"] for entry in on_demand["jobs"]]
    run, log = await trigger_and_wait(api, "manual_task")
    assert run["status"] == "success" and "Manual task executed" in log


async def test_002_cron_trigger_section_day_of_week_1_is_tuesday(api) -> None:
    job = await job_of(api, "weekly")
    fire = next_fire(job)
    assert fire.strftime("%A %H:%M:%S") == "Tuesday 10:30:00"  # MXX (APScheduler) counts 0 = Monday
    assert "Tuesday" in job["trigger"]


@pytest.mark.parametrize("unit", list(INTERVAL_SECTIONS))
async def test_002_interval_trigger_sections(api, unit: str) -> None:
    _, words, seconds = INTERVAL_SECTIONS[unit]
    job = await job_of(api, f"every_{unit}")
    assert job["schedule_type"] == "interval" and job["trigger"].startswith(words)
    ahead = (next_fire(job) - datetime.now(timezone.utc)).total_seconds()
    since_created = (next_fire(job) - datetime.fromisoformat(job["created_at"])).total_seconds()
    assert 0 < ahead <= seconds and abs(since_created - seconds * round(since_created / seconds)) < 5


async def test_002_example_1_scheduled_daily_backup_runs_its_script(api, jp_root_dir: Path) -> None:
    job = await job_of(api, "nightly_backup")
    assert (next_fire(job).hour, next_fire(job).minute) == (2, 0)
    run, log = await trigger_and_wait(api, "nightly_backup")
    assert run["status"] == "success" and "backup finished" in log
    assert (jp_root_dir / "backup.done").read_text() == "backed up"


@pytest.mark.skipif(shutil.which("curl") is None, reason="the seed's example runs curl")
async def test_002_example_2_periodic_health_check(api, web: LocalServer) -> None:
    job = await job_of(api, "health_check")
    assert job["trigger"].startswith("Every 5 minutes")
    run, log = await trigger_and_wait(api, "health_check")
    assert run["status"] == "success" and "ok /health" in log
    assert [request["path"] for request in web.requests] == ["/health"]


async def test_002_example_3_on_demand_report_triggered_by_the_client(api, cli) -> None:  # noqa: F811
    assert (await job_of(api, "generate_report"))["next_run_time"] is None
    code, out, err = await cli("--json", "trigger", "generate_report")  # mxx-client trigger generate_report
    assert code == 0, err
    started = json.loads(out)
    _, runs = await api("GET", "runs", job_id="generate_report")
    assert [run["id"] for run in runs["runs"]] == [started["id"]]

    async def finished():
        _, found = await api("GET", f"runs/{started['id']}")
        return found if found["status"] not in ("queued", "running") else None
    assert (await wait_async(finished, 30))["status"] == "success"
    assert "report generated" in (await api("GET", f"runs/{started['id']}/log"))[1]


async def test_002_example_4_programmatic_registration(api) -> None:
    status, job = await api("POST", "registry", EXAMPLE_4_REGISTRATION)  # the seed's body, unchanged
    assert status == 200 and job["id"] == "custom_job" and job["trigger"].startswith("Every 10 minutes")
    run, log = await trigger_and_wait(api, "custom_job")
    assert run["status"] == "success" and "Custom job" in log


async def test_002_api_reference_schedule_a_job_body(api) -> None:
    status, job = await api("POST", "registry", API_SCHEDULE_A_JOB)
    assert status == 200 and job["id"] == "my_job_1" and job["trigger"].startswith("At 10:30")
    status, again = await api("POST", "registry", API_SCHEDULE_A_JOB)  # replace_existing: false
    assert status == 409 and again["field"] == "job_id"
    run, log = await trigger_and_wait(api, "my_job_1")
    assert run["status"] == "success" and "test" in log


# -- seed 000 (LDX): execution ids of triggered jobs -------------------------------------------------
async def test_000_triggered_runs_have_timestamped_execution_ids(api) -> None:
    run, _ = await trigger_and_wait(api, "manual_task")
    assert re.fullmatch(r"manual_task_\d{8}_\d{6}_[0-9a-f]{8}", run["execution_id"])  # "hello_20251022_145129"
    _, job = await api("GET", "jobs/manual_task")
    assert job["last_run"]["execution_id"] == run["execution_id"]  # the base job id keeps its registration


# -- seed 001 (MXX runner) -----------------------------------------------------------------------------
EMULATOR_PLUGINS = '''
from pathlib import Path
from pipeline_scheduler.runner import Plugin, hook


class Note(Plugin):
    """Writes a line at the default priority (0)."""
    name = "note"

    @hook("action")
    def write(self, ctx):
        with open(ctx.root / "order.txt", "a") as handle:
            handle.write("note\\n")


class Emulator(Plugin):
    """Launches the emulator before the app: high priority executes first."""
    name = "emulator"

    @hook("action", priority=100)
    def launch(self, ctx):
        with open(ctx.root / "order.txt", "a") as handle:
            handle.write("emulator\\n")
        (ctx.root / "emulator.ready").write_text("up")
'''


def outcome_of(root: Path, *args: Any) -> tuple[int, dict, str]:
    result = root / "result.json"
    done = run_cli(*args, "--root", root, "--result-file", result, cwd=root)
    return done.returncode, json.loads(result.read_text()) if result.exists() else {}, done.stdout + done.stderr


def test_001_action_hook_priority_launches_the_emulator_before_the_app(root: Path, jobs: Path, plugins: Path) -> None:
    write(plugins / "emulator.py", EMULATOR_PLUGINS)
    config = write(jobs / "app.toml", """
        [note]

        [os]
        cmd = "test -f emulator.ready"   # the app needs the emulator up

        [emulator]
    """)
    code, outcome, output = outcome_of(root, config)
    assert code == 0 and outcome["status"] == "success", output
    assert (root / "order.txt").read_text().split() == ["emulator", "note"]  # 100 before 0, whatever the order
    startup = [step for step in outcome["trace"] if step.startswith("startup:")]
    assert startup[0] == "startup:emulator.launch"
    assert startup.index("startup:note.write") < startup.index("startup:os.start")  # ties: config order


LDPLAYER_PLUGIN = '''
import subprocess
from pipeline_scheduler.runner import Plugin, PluginParams, hook


class LD(Plugin):
    """Launches an instance detached (non-blocking) and quits it at shutdown, like ~/.mxx/plugins/ld.py."""
    name = "ld"

    class Params(PluginParams):
        pid_file: str
        quit: bool = True

    @hook("action")
    def launch(self, ctx):
        self.process = subprocess.Popen(["sleep", "60"], start_new_session=True, close_fds=True,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        (ctx.root / self.params.pid_file).write_text(str(self.process.pid))

    @hook("shutdown")
    def quit_instance(self, ctx):
        if self.params.quit:
            self.process.terminate()
            self.process.wait(5)
'''


async def test_001_ldplayer_style_custom_plugin_launches_detached_and_nothing_outlives_the_job(
        api, jp_root_dir: Path) -> None:
    """The custom plugin of seed 001 (detached launch with close_fds, quit at shutdown), loaded from the
    plugins directory by a real server; one that forgets to quit still leaves nothing running."""
    for job_id, quits in (("ld_quits", True), ("ld_forgets", False)):
        config = {"lifetime": {"lifetime": 1}, "ld": {"pid_file": f"{job_id}.pid", "quit": quits}}
        assert (await api("POST", "registry", {"job_id": job_id, "config": config}))[0] == 200
        run, log = await trigger_and_wait(api, job_id)
        assert run["status"] == "success", log
        assert run["duration"] < 15  # the launch did not block the run
        pid = int((jp_root_dir / f"{job_id}.pid").read_text())

        async def ended(pid: int = pid) -> bool:
            return not pid_alive(pid)
        await wait_async(ended, 10)


def test_001_flaw_command_injection_is_not_possible(root: Path, jobs: Path) -> None:
    """MXX killed processes with ``os.system(f"taskkill /IM {name} /F")``; our commands are argument lists."""
    config = write(jobs / "inject.toml", """
        [os]
        cmd = "echo started; touch injected"
    """)
    code, outcome, output = outcome_of(root, config)
    assert code == 0 and outcome["status"] == "success" and "started; touch injected" in output
    assert not (root / "injected").exists()
    kill = write(jobs / "kill.toml", '[os]\ncmd = "echo hi"\nkill = "app.exe & del *"\n')
    code, _, output = outcome_of(root, kill)
    assert code == 2 and "kill" in output and "unknown parameter" in output  # no kill-by-name


def test_001_flaw_silent_errors_fail_the_run_with_the_error(root: Path, jobs: Path, plugins: Path) -> None:
    write(plugins / "fragile.py", '''
        from pipeline_scheduler.runner import Plugin, hook

        class Fragile(Plugin):
            name = "fragile"

            @hook("action")
            def go(self, ctx):
                raise RuntimeError("device not found")
    ''')
    config = write(jobs / "fragile.toml", '[fragile]\n\n[os]\ncmd = "touch should-not-run"\n')
    code, outcome, output = outcome_of(root, config)
    assert code == 1 and outcome["status"] == "failed" and "device not found" in output  # said, not swallowed
    assert any("RuntimeError: device not found" in error for error in outcome["errors"])
    assert not (root / "should-not-run").exists()  # a failing action hook stops the later ones


def test_001_flaw_no_validation_config_errors_name_the_field(root: Path, jobs: Path) -> None:
    config = write(jobs / "typo.toml", '[lifetime]\nlifetime = "60"\n\n[os]\ncmd = "touch ran"\n')
    code, outcome, output = outcome_of(root, config)
    assert code == 2 and outcome["status"] == "error"
    assert "typo.toml:2: [lifetime] lifetime: Input should be a valid number" in output
    assert not (root / "ran").exists()


def test_001_flaw_global_callstack_state_runs_at_once_do_not_share_hooks(tmp_path: Path) -> None:
    """MXX kept every plugin's hooks in a class-level map cleared before each job; two runs of the same
    config in one process at once keep their own plugins here."""
    seen: list[tuple[str, int]] = []

    class Counter(Plugin):
        name = "counter"

        class Params(PluginParams):
            label: str

        @hook("action")
        def count(self, ctx):
            self.calls = getattr(self, "calls", 0) + 1
            seen.append((self.params.label, self.calls))

    registry = PluginRegistry(builtins=True)
    registry.add(Counter)
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(label: str) -> None:
        barrier.wait()
        outcomes[label] = run_config({"counter": {"label": label}, "lifetime": {"lifetime": 0.3}},
                                     RunOptions(registry=registry, base_dir=tmp_path))
    threads = [threading.Thread(target=run, args=(label,)) for label in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert {label: outcome.status for label, outcome in outcomes.items()} == {"a": "success", "b": "success"}
    assert sorted(seen) == [("a", 1), ("b", 1)]


def test_001_mxx_style_plugin_files_are_reported_not_silently_skipped(root: Path, plugins: Path) -> None:
    """An MXX plugin file (``MxxPlugin``, ``__cmdname__``) is not our plugin API: it is listed with its
    error and the other plugins load."""
    write(plugins / "ld_mxx.py", '''
        from mxx.runner.core.plugin import MxxPlugin, hook

        class LD(MxxPlugin):
            __cmdname__ = "ld"
    ''')
    write(plugins / "good.py", "from pipeline_scheduler.runner import Plugin\n\nclass Good(Plugin):\n    name = 'good'\n")
    done = run_cli("--list-plugins", "--plugins-dir", plugins, cwd=root)
    listing = json.loads(done.stdout)
    assert "good" in [plugin["name"] for plugin in listing["plugins"]]
    assert any("ld_mxx.py" in error["origin"] and "mxx" in error["error"] for error in listing["errors"])


def test_000_schedule_is_metadata_the_same_config_runs_by_hand(root: Path, jobs: Path) -> None:
    """LDX: "Schedule is NOT a plugin ... allows same config to run in CLI or server mode": the quick
    start's scheduled job, run by hand, runs now (the server test above schedules the same file)."""
    config = write(jobs / "daily_backup.toml", QUICK_START_DAILY_BACKUP)
    code, outcome, output = outcome_of(root, config)
    assert code == 0 and outcome["status"] == "success" and "Daily backup started" in output
    assert "schedule" not in outcome["plugins"]


# -- seed 000 (LDX): lifecycle, all-or-nothing, plugins reaching each other, templates ---------------------
LIFECYCLE_PLUGIN = '''
from pipeline_scheduler.runner import Plugin, hook


class Steps(Plugin):
    """Writes each stage it sees; stops the loop on its third poll."""
    name = "steps"

    def note(self, ctx, text):
        with open(ctx.root / "steps.txt", "a") as handle:
            handle.write(text + "\\n")

    @hook("on_env_load")
    def env(self, ctx):
        self.note(ctx, "onEnvLoad")

    @hook("can_run")
    def allowed(self, ctx):
        self.note(ctx, "canRun")
        return True

    @hook("on_startup")
    def start(self, ctx):
        self.polls = 0
        self.note(ctx, "onStartup")

    @hook("should_stop")
    def enough(self, ctx):
        self.polls += 1
        self.note(ctx, "shouldStop")
        return self.polls == 3

    @hook("on_shutdown")
    def stop(self, ctx):
        self.note(ctx, "onShutdown")
'''


def test_000_lifecycle_env_load_can_run_startup_loop_shutdown(root: Path, jobs: Path, plugins: Path) -> None:
    write(plugins / "steps.py", LIFECYCLE_PLUGIN)
    code, outcome, output = outcome_of(root, write(jobs / "steps.toml", "[steps]\n"))
    assert code == 0, output
    assert (root / "steps.txt").read_text().split() == [
        "onEnvLoad", "canRun", "onStartup", "shouldStop", "shouldStop", "shouldStop", "onShutdown"]
    assert "enough returned True" in outcome["stop_reason"]


def test_000_can_run_is_all_or_nothing(root: Path, jobs: Path, plugins: Path) -> None:
    write(plugins / "gates.py", '''
        from pipeline_scheduler.runner import Plugin, PluginParams, SkipRun, hook

        class Gate(Plugin):
            name = "gate"

            class Params(PluginParams):
                open: bool

            @hook("can_run")
            def check(self, ctx):
                if not self.params.open:
                    raise SkipRun("closed")
    ''')
    config = write(jobs / "gated.toml", '[gate]\nopen = false\n\n[os]\ncmd = "touch started"\n')
    code, outcome, _ = outcome_of(root, config)
    assert code == 75 and outcome["status"] == "skipped" and outcome["skip_reasons"] == ["gate: closed"]
    assert not (root / "started").exists()


def test_000_plugins_reach_each_other_through_the_run(root: Path, jobs: Path, plugins: Path) -> None:
    """LDX: ``instance.plugins["lifetime"].killList.append(...)``; here ``ctx.plugins["lifetime"].track(...)``."""
    write(plugins / "app.py", '''
        import subprocess
        from pipeline_scheduler.runner import Plugin, hook

        class App(Plugin):
            name = "app"

            @hook("action")
            def launch(self, ctx):
                process = subprocess.Popen(["sleep", "60"], start_new_session=True)
                (ctx.root / "app.pid").write_text(str(process.pid))
                ctx.plugins["lifetime"].track(process)   # killed when the lifetime ends
    ''')
    config = write(jobs / "app.toml", "[lifetime]\nlifetime = 1\n\n[app]\n")
    code, outcome, output = outcome_of(root, config)
    assert code == 0 and outcome["status"] == "success", output
    assert 0.9 <= outcome["duration"] < 10
    assert not pid_alive(read_pid(root / "app.pid"))


def test_000_global_template_and_instance_configs_merge(root: Path, jobs: Path) -> None:
    """LDX's global.toml, ``*.template.toml`` referenced as ``template::name``, and the instance; the
    more specific wins."""
    write(jobs / "global.toml", '[env]\nvars = { LAYER_A = "global", LAYER_B = "global", LAYER_C = "global" }\n')
    write(jobs / "base.template.toml", '[env]\nvars = { LAYER_B = "template", LAYER_C = "template" }\n\n'
                                       '[os]\ncmd = "printenv LAYER_A LAYER_B LAYER_C"\n')
    config = write(jobs / "merged.toml", 'template = "template::base"\n\n[env]\nvars = { LAYER_C = "instance" }\n')
    done = run_cli(config, "--root", root, cwd=root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:3] == ["global", "template", "instance"]
