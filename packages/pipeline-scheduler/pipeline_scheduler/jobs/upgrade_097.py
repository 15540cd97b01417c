"""Upgrade in place from an amphi-scheduler 0.9.7 workspace: its jobs and its run history become ours.

0.9.7 kept everything in the file we use, ``<root>/.amphi/scheduler.sqlite``: APScheduler's
``apscheduler_jobs``, each row a pickled job calling ``pipeline_scheduler.handler:run_pipeline`` with
the code or path to run and, as keyword arguments, the fields it was created with; and its run
history in ``scheduler_runs``. That function no longer exists, so APScheduler cannot load those rows.

When this server becomes the dispatcher, before it reconciles jobs, each such row is decoded (its
function reference is text in the pickle, never imported) and created as our job with the same id,
name, schedule and next fire time. 0.9.7's schedules count in the zone of its server (stored in the
pickled triggers) and its cron day-of-week numbers are APScheduler's (0 = Monday): they become crontab's
here, and the translation is checked against 0.9.7's own trigger, fire by fire. Its runs become our
runs (status, times, exit code, output, error, who started them), each with a log file.

Nothing is lost: the 0.9.7 rows are copied to ``amphi097_apscheduler_jobs`` before they are replaced,
and ``scheduler_runs`` is renamed ``amphi097_scheduler_runs``. A row that cannot be migrated stays
there only, with the reason logged and shown by ``GET health``. Running it again changes nothing: what
was migrated has left the tables it is read from, and runs are keyed by their 0.9.7 id.

A downgrade puts the kept rows back into ``apscheduler_jobs`` and renames ``amphi097_scheduler_runs``
back (the README gives the statements); upgrading again then takes in what 0.9.7 changed meanwhile.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Column, Float, LargeBinary, MetaData, String, Table, inspect, select, text, update
from sqlalchemy.engine import Connection, Engine

from ..api.documents import iso, last_run_summary
from ..api.payloads import JobSpec, parse_payload
from ..errors import SchedulerError
from ..scheduling.scheduler import SchedulerService, StoredJob
from ..scheduling.triggers import build_trigger, next_fire_times
from ..scheduling.wallclock import UTC
from ..storage.tables import FINISHED_STATUSES, JobRow, RunRow, apscheduler_jobs, insert_or_ignore
from .service import JobService

log = logging.getLogger(__name__)

LEGACY_FUNCTION = "pipeline_scheduler.handler:run_pipeline"
LEGACY_RUNS = "scheduler_runs"
KEPT_JOBS = "amphi097_apscheduler_jobs"
KEPT_RUNS = "amphi097_scheduler_runs"
COMPARED_FIRES = 20  # fires of each migrated schedule checked against 0.9.7's own trigger
CRON_PART = re.compile(r"(\*|\d+(-\d+)?)(/\d+)?")  # a day field both APScheduler and crontab read alike
APS_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler's numbering: Monday = 0

kept_jobs = Table(KEPT_JOBS, MetaData(), Column("id", String(191), primary_key=True),
                  Column("next_run_time", Float), Column("job_state", LargeBinary, nullable=False))


class Untranslatable(Exception):
    """A 0.9.7 job that has no faithful equivalent here; the message says why."""


@dataclass
class UpgradeReport:
    """What one upgrade did, for the log and ``GET health``."""

    jobs: list[str] = field(default_factory=list)
    runs: int = 0
    not_migrated: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # migrated, but worth knowing
    at: str = field(default_factory=lambda: iso(time.time()))

    def as_dict(self) -> dict[str, Any]:
        return {"jobs": self.jobs, "runs": self.runs, "not_migrated": self.not_migrated, "notes": self.notes,
                "at": self.at}


def upgrade_097(engine: Engine, scheduler: SchedulerService, jobs: JobService, log_dir: Path) -> UpgradeReport | None:
    """Migrate what a 0.9.7 workspace left in the database; ``None`` when there is nothing of it."""
    rows = list(scheduler.stored_jobs())
    legacy = [stored for stored in rows if stored.state is not None and stored.state.get("func") == LEGACY_FUNCTION]
    unreadable = _unreadable_legacy(engine, [stored for stored in rows if stored.state is None])
    with engine.connect() as connection:
        has_runs = LEGACY_RUNS in inspect(connection).get_table_names()
    if not legacy and not unreadable and not has_runs:
        return None
    report = UpgradeReport()
    if legacy or unreadable:
        _keep_rows(engine, legacy + unreadable)
        _migrate_jobs(engine, legacy, jobs, report)
    for stored in unreadable:
        report.not_migrated.append({"id": stored.id, "name": stored.id,
                                    "reason": f"its stored job cannot be read ({stored.problem})"})
        _drop_row(engine, stored)
    if has_runs:
        report.runs = _migrate_runs(engine, log_dir)
        jobs.listing.mark()  # jobs show their last 0.9.7 run
    log.info("upgraded from amphi-scheduler 0.9.7: %d job(s) and %d run(s) migrated; 0.9.7's tables kept as %s "
             "and %s", len(report.jobs), report.runs, KEPT_JOBS, KEPT_RUNS)
    for problem in report.not_migrated:
        log.error("0.9.7 job %s (%s) was not migrated: %s; it is kept in %s", problem["id"], problem["name"],
                  problem["reason"], KEPT_JOBS)
    for note in report.notes:
        log.warning("0.9.7 upgrade: %s", note)
    return report


# -- jobs --------------------------------------------------------------------------------------
def _unreadable_legacy(engine: Engine, unreadable: list[StoredJob]) -> list[StoredJob]:
    """Those of the rows that cannot be unpickled that name 0.9.7's function (e.g. a trigger of another
    APScheduler version): not migrated, but kept and reported like the others."""
    if not unreadable:
        return []
    with engine.connect() as connection:
        states = dict(connection.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.job_state)
                                         .where(apscheduler_jobs.c.id.in_([stored.id for stored in unreadable]))).all())
    return [stored for stored in unreadable if LEGACY_FUNCTION.encode() in (states.get(stored.id) or b"")]


def _keep_rows(engine: Engine, legacy: list[StoredJob]) -> None:
    """Copy the 0.9.7 rows aside before they are replaced (a copy left by an interrupted upgrade is refreshed)."""
    with engine.begin() as connection:
        kept_jobs.create(connection, checkfirst=True)
        rows = connection.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time,
                                         apscheduler_jobs.c.job_state)
                                  .where(apscheduler_jobs.c.id.in_([stored.id for stored in legacy]))).all()
        connection.execute(kept_jobs.delete().where(kept_jobs.c.id.in_([row.id for row in rows])))
        if rows:
            connection.execute(kept_jobs.insert(), [dict(row._mapping) for row in rows])


def _migrate_jobs(engine: Engine, legacy: list[StoredJob], jobs: JobService, report: UpgradeReport) -> None:
    """Create each job; those that wait on others after the others (a pass per level of dependency)."""
    waiting = sorted(legacy, key=lambda stored: (stored.state.get("kwargs") or {}).get("schedule_type") == "trigger")
    problems: dict[str, str] = {}
    while waiting:
        failed = []
        for stored in waiting:
            try:
                payload, due, notes = translate(stored, jobs.default_timezone)
                jobs.adopt(payload, due)
            except (Untranslatable, SchedulerError, ValueError, TypeError, KeyError) as error:
                problems[stored.id] = getattr(error, "message", None) or str(error)
                failed.append(stored)
            else:
                report.jobs.append(stored.id)
                report.notes.extend(notes)
                problems.pop(stored.id, None)
        if len(failed) == len(waiting):
            break
        waiting = failed
    for stored in waiting:
        report.not_migrated.append({"id": stored.id, "name": str(stored.state.get("name")),
                                    "reason": problems[stored.id]})
        _drop_row(engine, stored)


def _drop_row(engine: Engine, stored: StoredJob) -> None:
    """A row kept aside but not migrated leaves APScheduler's table (where nothing can load it)."""
    with engine.begin() as connection:
        connection.execute(apscheduler_jobs.delete().where(
            apscheduler_jobs.c.id == stored.id,
            apscheduler_jobs.c.id.in_(select(kept_jobs.c.id).where(kept_jobs.c.id == stored.id))))


def translate(stored: StoredJob, default_timezone: str) -> tuple[dict[str, Any], datetime | None, list[str]]:
    """A 0.9.7 job as our job payload, the fire it has due (``None`` when paused), and notes.

    Every schedule is anchored on 0.9.7's next fire, so that it keeps its day, time and rhythm."""
    state = stored.state
    meta, trigger = dict(state.get("kwargs") or {}), state["trigger"]
    args = tuple(state.get("args") or ())
    if len(args) != 1 or not isinstance(args[0], str):
        raise Untranslatable("its stored arguments are not 0.9.7's (one piece of code or one path)")
    path = meta.get("pipeline_path") or None
    payload: dict[str, Any] = {"id": stored.id, "name": state.get("name") or stored.id, "pipeline_path": path}
    if args[0] != path:
        payload["python_code"] = args[0]
    payload.update({key: state[key] for key in ("max_instances", "coalesce", "misfire_grace_time")
                    if state.get(key) is not None})
    paused = state.get("next_run_time") is None
    payload["paused"] = paused
    now = datetime.now(UTC)
    first = state.get("next_run_time") or trigger.get_next_fire_time(None, now)
    if meta.get("schedule_type") == "trigger":
        payload.update(schedule_type="trigger", trigger_conditions=meta.get("trigger_conditions") or [],
                       logical_operator=meta.get("logical_operator") or "AND")
        return payload, None, []
    if first is None:
        raise Untranslatable("its schedule has no fire left")
    payload.update(_schedule(meta, trigger, first))
    spec = parse_payload(JobSpec, payload)
    ours = build_trigger(spec, default_timezone, allow_past=True).trigger
    notes = _compare(stored.id, trigger, first, ours)
    return payload, None if paused else first, notes


def _schedule(meta: dict[str, Any], trigger: Any, first: datetime) -> dict[str, Any]:
    """Our schedule fields for a 0.9.7 trigger whose next fire is ``first``."""
    date_type = meta.get("date_type")
    if isinstance(trigger, DateTrigger):
        return {"schedule_type": "date", "date_type": "once", "run_date": trigger.run_date.isoformat(),
                "timezone": _zone_name(trigger.run_date.tzinfo)}
    zone_name = _zone_name(trigger.timezone)
    anchor = first.astimezone(trigger.timezone).isoformat()
    if isinstance(trigger, IntervalTrigger):
        seconds = int(trigger.interval.total_seconds())
        if date_type == "every_x_days" and seconds % 86400 == 0:
            return {"schedule_type": "date", "date_type": "every_x_days", "interval_days": seconds // 86400,
                    "run_date": anchor, "timezone": zone_name}
        return {"schedule_type": "interval", "interval_seconds": seconds, "run_date": anchor, "timezone": zone_name}
    if not isinstance(trigger, CronTrigger):
        raise Untranslatable(f"its trigger is a {type(trigger).__name__}, which 0.9.7 never made")
    if date_type in ("daily", "weekly", "monthly"):
        return {"schedule_type": "date", "date_type": date_type, "run_date": anchor, "timezone": zone_name}
    return {"schedule_type": "cron", "cron_expression": crontab_expression(trigger), "timezone": zone_name}


def crontab_expression(trigger: CronTrigger) -> str:
    """An APScheduler cron trigger as a crontab line with the same fires.

    APScheduler counts weekdays from Monday = 0 and requires both day fields to match; crontab counts
    from Sunday = 0 and, when both day fields are restricted, fires on a day matching either."""
    fields = {item.name: str(item) for item in trigger.fields}
    for name in ("year", "week"):
        if fields[name] != "*":
            raise Untranslatable(f"its cron {name} field {fields[name]!r} has no crontab equivalent")
    day = "L" if fields["day"] == "last" else fields["day"]
    if not all(CRON_PART.fullmatch(part) for part in day.split(",")) and day != "L":
        raise Untranslatable(f"its cron day field {day!r} has no crontab equivalent")
    weekdays = _crontab_weekdays(fields["day_of_week"])
    if not day.startswith("*") and not weekdays.startswith("*"):
        raise Untranslatable(f"its cron fires on days matching both day {day!r} and day_of_week "
                             f"{fields['day_of_week']!r}, which crontab reads as either")
    parts = [fields["minute"], fields["hour"], day, fields["month"], weekdays]
    return " ".join(parts if fields["second"] == "0" else [fields["second"], *parts])


def _crontab_weekdays(field_text: str) -> str:
    """APScheduler's day-of-week field (``0-4``, ``mon,wed``, ``*/2``) in crontab's numbers."""
    days: set[int] = set()
    for part in field_text.lower().split(","):
        body, _, step = part.partition("/")
        if body == "*":
            first, last = 0, 6
        else:
            start, _, end = body.partition("-")
            first = _aps_weekday(start)
            last = _aps_weekday(end) if end else (6 if step else first)
        if last < first or (step and not step.isdigit()):
            raise Untranslatable(f"its cron day_of_week field {field_text!r} has no crontab equivalent")
        days.update(range(first, last + 1, int(step or 1)))
    if len(days) == 7:
        return "*"
    numbers = sorted((day + 1) % 7 for day in days)  # crontab: Sunday = 0, Monday = 1
    ranges: list[list[int]] = []
    for number in numbers:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1][1] = number
        else:
            ranges.append([number, number])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def _aps_weekday(text_value: str) -> int:
    if text_value.isdigit() and int(text_value) < 7:
        return int(text_value)
    if text_value in APS_WEEKDAYS:
        return APS_WEEKDAYS.index(text_value)
    raise Untranslatable(f"its cron day_of_week value {text_value!r} is not a weekday")


def _zone_name(tzinfo: Any) -> str:
    name = getattr(tzinfo, "key", None) or getattr(tzinfo, "zone", None)  # zoneinfo, or pytz of older APScheduler
    if not name:
        raise Untranslatable(f"its time zone {tzinfo!r} has no IANA name")
    ZoneInfo(name)
    return name


def _compare(job_id: str, theirs: Any, first: datetime, ours: Any) -> list[str]:
    """Check our trigger against 0.9.7's over the next fires: the first must be the same instant; a
    later difference (a daylight-saving edge, where cron's rules apply here) is noted."""
    expected = [first]
    while len(expected) < COMPARED_FIRES:
        upcoming = theirs.get_next_fire_time(expected[-1], expected[-1])
        if upcoming is None:
            break
        expected.append(upcoming)
    actual = next_fire_times(ours, len(expected), first - timedelta(microseconds=1))
    if not actual or actual[0].timestamp() != first.timestamp():
        raise Untranslatable(f"its next fire {first.isoformat()} cannot be kept "
                             f"(here it would be {actual[0].isoformat() if actual else 'never'})")
    for old, new in zip(expected, actual):
        if old.timestamp() != new.timestamp():
            zone = old.tzinfo
            theirs = old.astimezone(UTC).astimezone(zone)  # normalised: APScheduler's 02:30+01:00 is 03:30+02:00
            return [f"job {job_id} fires at {new.astimezone(zone).isoformat()} where 0.9.7 fired at {theirs.isoformat()}"]
    return []


# -- runs --------------------------------------------------------------------------------------
def _migrate_runs(engine: Engine, log_dir: Path) -> int:
    """Copy 0.9.7's run history into our runs and rename its table, in one transaction.

    Each run keeps its 0.9.7 id when ours has none yet, and gets a log file of its output and error."""
    with engine.begin() as connection:
        legacy = connection.execute(text(
            f"SELECT id, job_id, job_name, status, triggered_by, started_at, finished_at, exit_code, output, error "
            f"FROM {LEGACY_RUNS} ORDER BY id")).all()
        # 0.9.7's ids (its clients' links) when ours start empty; SQLite only: a PostgreSQL sequence would not follow
        keep_ids = connection.dialect.name == "sqlite" and connection.scalar(select(RunRow.id).limit(1)) is None
        rows = [_run_row(run, log_dir, keep_ids) for run in legacy]
        if rows:
            connection.execute(insert_or_ignore(connection.dialect.name, RunRow, ["execution_id"]), rows)
        _keep_runs_table(connection)
        latest = {row["job_id"]: row["execution_id"] for row in rows}
        for run in connection.execute(select(*RunRow.__table__.columns)
                                      .where(RunRow.execution_id.in_(list(latest.values())))).all():
            connection.execute(update(JobRow).where(JobRow.id == run.job_id, JobRow.last_run.is_(None))
                               .values(last_run=last_run_summary(dict(run._mapping))))
    return len(rows)


def _keep_runs_table(connection: Connection) -> None:
    if KEPT_RUNS in inspect(connection).get_table_names():  # an earlier upgrade, then a downgrade
        connection.execute(text(f"INSERT INTO {KEPT_RUNS} SELECT * FROM {LEGACY_RUNS} "
                                f"WHERE id NOT IN (SELECT id FROM {KEPT_RUNS})"))
        connection.execute(text(f"DROP TABLE {LEGACY_RUNS}"))
    else:
        connection.execute(text(f"ALTER TABLE {LEGACY_RUNS} RENAME TO {KEPT_RUNS}"))


def _run_row(run: Any, log_dir: Path, keep_id: bool) -> dict[str, Any]:
    started, finished = _instant(run.started_at), _instant(run.finished_at)
    job_id = run.job_id or ""
    execution_id = f"amphi097-{run.id}"
    log_path = log_dir / (job_id or "_") / f"{execution_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text((run.output or "") + (run.error or ""), encoding="utf-8")
    row = {"job_id": job_id, "job_name": run.job_name or job_id, "execution_id": execution_id,
           "triggered_by": (run.triggered_by or "schedule")[:16],
           "status": run.status if run.status in FINISHED_STATUSES else "failure",
           "reason": run.error, "queued_at": started or finished or time.time(), "started_at": started,
           "finished_at": finished, "exit_code": run.exit_code, "log_path": str(log_path),
           "output_tail": run.output}
    return {"id": run.id, **row} if keep_id else row


def _instant(value: str | None) -> float | None:
    """0.9.7 wrote UTC times as ISO-8601 with a ``Z``."""
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()

