"""The Jupyter Server extension: configuration (traitlets), start-up and shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from pathlib import Path

from jupyter_core.paths import jupyter_config_dir
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Float, Int, List, TraitError, Unicode, default, validate
from tzlocal import get_localzone_name

from .api.components import ensure_components_layout
from .api.handlers import served_routes
from .errors import Invalid
from .execution.notifications import EVENTS as NOTIFY_EVENTS
from .execution.notifications import NotifySettings, redact, unknown_url
from .scheduling.triggers import zone
from .service import PipelineScheduler, SchedulerConfig
from .zones import canonical_zone

LAB_SETTINGS = Path("lab", "user-settings", "@amphi", "pipeline-scheduler", "plugin.jupyterlab-settings")


class PipelineSchedulerApp(ExtensionApp):
    name = "pipeline_scheduler"
    load_other_extensions = True

    db_url = Unicode("", config=True, help="""
        SQLAlchemy URL of the database holding jobs, runs and APScheduler's job store (any SQLAlchemy
        URL, e.g. postgresql+psycopg://user@host/db). Empty: a SQLite file at ``db_path``.
        """)
    db_path = Unicode("", config=True, help="""
        Path of the SQLite database file, relative to the server root or absolute. Empty: the
        JupyterLab setting ``dbPath`` of @amphi/pipeline-scheduler if set, else
        ``<root>/.amphi/scheduler.sqlite``. Ignored when ``db_url`` is set.
        """)
    timezone = Unicode("", config=True, help="""
        IANA time zone for jobs that do not name one (e.g. ``Europe/Paris``). Empty: the server's
        local zone.
        """)
    python_executable = Unicode(sys.executable, config=True, help="Python interpreter that runs Python jobs.")
    prestarted_interpreters = Int(1, config=True, help="""
        1 (or more): runs of a Python file (or of generated code) are forked from a fork server of
        ``python_executable`` started ahead of them, one per start-up environment, and skip
        interpreter start-up; each run is still a fresh process that sees what ``python script.py``
        sees. Interpreters whose start-up runs hooks of their own (``sitecustomize``, a ``.pth``
        that runs code, coverage) and runs whose start-up would differ (a directory on
        ``sys.path`` changed since) start cold. 0: start every run cold.
        """)
    kernel_pool_size = Int(1, config=True, help="""
        How many kernels to keep started ahead of notebook runs, per kernelspec that notebook jobs
        used (each with its runner's imports done): a run of a small notebook then skips kernel
        start-up. Created after a kernelspec's first notebook run, each serves one run and is
        replaced; a run whose environment differs from the server's (a job with ``env``), or of a
        kernel other than Python, starts a kernel of its own. 0: every notebook run starts cold.
        """)
    kernel_idle_seconds = Float(600.0, config=True, help="""
        Seconds a prestarted kernel waits for a run before it is shut down (its kernelspec gets new
        ones after its next notebook run).
        """)
    max_concurrent_runs = Int(4, config=True, help="""
        How many runs may execute at once across all jobs; further runs wait in status ``queued``.
        """)
    short_run_slots = Int(4, config=True, help="""
        More run slots, beyond ``max_concurrent_runs``, that take queued runs only while runs are
        short (three quarters of the last 16 ended within a second): a burst of quick jobs starts
        sooner, and they take no new run once runs get long. 0: ``max_concurrent_runs`` is a
        strict limit.
        """)
    default_timeout = Float(0.0, config=True, help="""
        Seconds after which a run without its own ``timeout`` is killed (with its whole process
        tree) and recorded ``timed_out``. 0: no limit.
        """)
    log_dir = Unicode("", config=True, help="Directory of run logs. Empty: ``<root>/.amphi/logs``.")
    jobs_dir = Unicode("", config=True, help="""
        Directory of runner configs (TOML, YAML, JSON) loaded as jobs named after their files, and
        re-read when they change. Empty: $PIPELINE_SCHEDULER_JOBS_DIR, else $MXX_JOBS_DIR (the MXX
        server's variable), else ``<root>/.amphi/jobs``.
        """)
    plugins_dir = Unicode("", config=True, help="""
        Directory of custom runner plugins (``*.py``). Empty: ``<root>/.amphi/plugins``.
        """)
    jobs_dir_poll = Float(2.0, config=True, help="""
        Changes in ``jobs_dir`` are picked up from file-system notifications (no scanning while idle);
        0: read it only at start-up. Where notifications do not work (network file systems), set
        ``WATCHFILES_FORCE_POLLING=1``: it is then polled every ``jobs_dir_poll`` seconds.
        """)
    lease_seconds = Float(10.0, config=True, help="""
        Servers sharing a database elect one dispatcher (the one that fires scheduled jobs) with a
        lease in the database, renewed every third of this many seconds. When the dispatcher dies,
        another server takes over within this many seconds (plus one) and records what came due
        meanwhile per each job's ``catch_up`` policy.
        """)
    executor = Unicode("local", config=True, help="""
        Where runs' processes run: ``local`` (subprocesses of this server) or ``dask`` (tasks on a
        Dask cluster: ``dask_scheduler_address``, or a LocalCluster of this machine when empty; the
        root must be on a filesystem the workers share).
        """)
    dask_scheduler_address = Unicode("", config=True, help="Address of the Dask scheduler for ``executor = dask``.")
    max_log_bytes = Int(50 * 1024**2, config=True, help="""
        Bytes of log kept per run: past it, a log keeps its first half, a line saying how much was
        dropped, and its newest bytes; the run records how much (``log_truncated``). 0: no limit.
        """)
    max_log_space = Int(5 * 1024**3, config=True, help="""
        Bytes of all run logs together: past it, the logs of the oldest finished runs are removed
        (their records stay and say so). 0: no limit (``runs_retention`` still prunes).
        """)
    notify_urls = List(Unicode(), default_value=[], config=True, help="""
        Apprise URLs told how every job's runs end (email ``mailtos://…``, Slack ``slack://…``,
        webhooks ``json://…``, ntfy …; https://github.com/caronc/apprise/wiki), on ``notify_on``.
        Jobs can add their own with ``notify``.
        """)
    notify_on = List(Unicode(), default_value=["failure", "timed_out", "recovery"], config=True, help="""
        Which endings ``notify_urls`` hear of: ``failure``, ``timed_out``, ``success``, ``recovery``
        (a success after a failure).
        """)
    notify_link = Unicode("", config=True, help="""
        Where a notification points for its run; ``{run_id}`` is replaced. Empty: the run's
        document on this server (``<server URL>pipeline-scheduler/runs/{run_id}``).
        """)
    runs_retention = Int(500, config=True, help="""
        How many finished runs (and their logs) to keep per job; older ones are pruned after each
        run. 0: keep everything.
        """)

    @default("timezone")
    def _default_timezone(self) -> str:
        """The server's local zone, with UTC's aliases (``Etc/UTC``…) said ``UTC``, as browsers say it."""
        return canonical_zone(get_localzone_name() or "UTC")

    @validate("timezone")
    def _check_timezone(self, proposal: dict) -> str:
        try:
            zone(proposal["value"])
        except Invalid as error:
            raise TraitError(error.message) from None
        return proposal["value"]

    @validate("python_executable")
    def _resolve_python(self, proposal: dict) -> str:
        """A bare name (``python3``) is looked up on PATH once, here: runs start it by its full path."""
        found = shutil.which(proposal["value"])
        if found is None:
            raise TraitError(f"python_executable: {proposal['value']!r} is not an executable file or a command on PATH")
        return str(Path(found).absolute())

    @validate("executor")
    def _check_executor(self, proposal: dict) -> str:
        if proposal["value"] not in ("local", "dask"):
            raise TraitError(f"executor: {proposal['value']!r} is not one of local, dask")
        return proposal["value"]

    @validate("max_log_bytes", "max_log_space")
    def _check_log_bounds(self, proposal: dict) -> int:
        if proposal["value"] < 0 or 0 < proposal["value"] < 4096:
            raise TraitError(f"{proposal['trait'].name} must be 0 (no limit) or at least 4096 bytes")
        return proposal["value"]

    @validate("notify_urls")
    def _check_notify_urls(self, proposal: dict) -> list[str]:
        for url in proposal["value"]:
            if unknown_url(url):
                raise TraitError(f"notify_urls: {redact(url)} is not a URL Apprise can send to")
        return proposal["value"]

    @validate("notify_on")
    def _check_notify_on(self, proposal: dict) -> list[str]:
        unknown = set(proposal["value"]) - set(NOTIFY_EVENTS)
        if unknown:
            raise TraitError(f"notify_on: unknown events {sorted(unknown)}; use {', '.join(NOTIFY_EVENTS)}")
        return proposal["value"]

    @validate("lease_seconds")
    def _check_lease(self, proposal: dict) -> float:
        if not 1.0 <= proposal["value"] <= 3600.0:
            raise TraitError("lease_seconds must be between 1 and 3600")
        return proposal["value"]

    @validate("max_concurrent_runs")
    def _check_concurrency(self, proposal: dict) -> int:
        if proposal["value"] < 1:
            raise TraitError("max_concurrent_runs must be at least 1")
        return proposal["value"]

    @validate("short_run_slots")
    def _check_short_run_slots(self, proposal: dict) -> int:
        if proposal["value"] < 0:
            raise TraitError("short_run_slots must be 0 or more")
        return proposal["value"]

    @property
    def root(self) -> Path:
        return Path(os.path.expanduser(self.serverapp.root_dir)).resolve()

    def resolved_db_url(self) -> str:
        """``db_url``, else a SQLite file from ``db_path``, the lab setting ``dbPath``, or the default."""
        if self.db_url:
            return self.db_url
        path = self.db_path or _lab_setting("dbPath") or ".amphi/scheduler.sqlite"
        location = Path(os.path.expanduser(path))
        location = location if location.is_absolute() else self.root / location
        location.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{location}"

    def _directory(self, configured: str, default: str) -> Path:
        path = Path(os.path.expanduser(configured or default))
        return path if path.is_absolute() else self.root / path

    def initialize_settings(self) -> None:
        state_dir = self.root / ".amphi"
        config = SchedulerConfig(
            root=self.root, db_url=self.resolved_db_url(), timezone=self.timezone,
            python_executable=self.python_executable, prestarted_interpreters=self.prestarted_interpreters,
            kernel_pool_size=self.kernel_pool_size, kernel_idle_seconds=self.kernel_idle_seconds,
            max_concurrent_runs=self.max_concurrent_runs, short_run_slots=self.short_run_slots,
            default_timeout=self.default_timeout or None,
            log_dir=Path(self.log_dir).expanduser() if self.log_dir else state_dir / "logs",
            state_dir=state_dir, runs_retention=self.runs_retention,
            jobs_dir=self._directory(self.jobs_dir or os.environ.get("PIPELINE_SCHEDULER_JOBS_DIR")
                                     or os.environ.get("MXX_JOBS_DIR", ""), ".amphi/jobs"),
            plugins_dir=self._directory(self.plugins_dir, ".amphi/plugins"), jobs_dir_poll_seconds=self.jobs_dir_poll,
            lease_seconds=self.lease_seconds, max_log_bytes=self.max_log_bytes, max_log_space=self.max_log_space,
            executor=self.executor, dask_scheduler_address=self.dask_scheduler_address,
            notify=NotifySettings(tuple(self.notify_urls), tuple(self.notify_on), self._notify_link()))
        ensure_components_layout(self.root)
        scheduler = PipelineScheduler(config)
        scheduler.start()
        self.settings["pipeline_scheduler"] = scheduler
        self.log.info("pipeline scheduler started: %s, zone %s", scheduler.public_config()["db_url"], self.timezone)

    def _notify_link(self) -> str:
        if self.notify_link:
            return self.notify_link
        return url_path_join(self.serverapp.connection_url, "pipeline-scheduler", "runs", "{run_id}")

    def initialize_handlers(self) -> None:
        self.handlers.extend(served_routes())

    async def stop_extension(self) -> None:
        scheduler = self.settings.get("pipeline_scheduler")
        if scheduler is not None:
            await asyncio.to_thread(scheduler.stop)


def _lab_setting(name: str) -> str | None:
    """A value from the user's JupyterLab settings of our plugin (JSON with comments), if set."""
    path = Path(jupyter_config_dir()) / LAB_SETTINGS
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        value = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE)).get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value.strip() else None
