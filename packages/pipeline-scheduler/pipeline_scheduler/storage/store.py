"""Reads and writes of our tables (jobs, runs, dependencies) beside APScheduler's job store.

These tables are the source of truth for everything a user sees. APScheduler's own table keeps
only the trigger and our job id; the single thing we read from it is its indexed
``next_run_time`` column, joined in when jobs are listed, so listing never unpickles a job.
Every method is synchronous and short: callers run them off the Tornado loop. The statements
every run executes are built once (see :func:`_run_update`): SQLAlchemy then reuses their cache
key and compiled form, a quarter of the cost of building them per call; on SQLite they go through
the driver (see :mod:`.sqlite_writes`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Engine, Row

from .schema import migrate
from .sqlite_writes import SqliteWrites
from .tables import (ACTIVE_STATUSES, FINISHED_STATUSES, RUN_COLUMNS, DependencyRow, JobRow, RunRow,
                     apscheduler_jobs, insert_or_ignore)

INSERT_RUNS = insert(RunRow).returning(RunRow.id, sort_by_parameter_order=True)
SET_LAST_RUN = update(JobRow).where(JobRow.id == bindparam("_job_id")).values(last_run=bindparam("_last_run"))
JOB_SPECS = select(JobRow.id, JobRow.name, JobRow.kind, JobRow.spec).where(
    JobRow.id.in_(bindparam("_job_ids", expanding=True)))
DEPENDENTS = select(DependencyRow.downstream_id).distinct().where(DependencyRow.upstream_id == bindparam("_job_id"))
GET_RUN = select(*RUN_COLUMNS).where(RunRow.id == bindparam("_run_id"))
PRUNE_CUTOFF = (select(RunRow.id).where(RunRow.job_id == bindparam("_job_id"), RunRow.status.in_(FINISHED_STATUSES))
                .order_by(RunRow.id.desc()).offset(bindparam("_keep")).limit(1))
PRUNED = (RunRow.job_id == bindparam("_job_id")) & (RunRow.id <= bindparam("_cutoff")) & RunRow.status.in_(
    FINISHED_STATUSES)
PRUNED_LOGS = select(RunRow.log_path).where(PRUNED)
DELETE_PRUNED = delete(RunRow).where(PRUNED)
EACH_BATCH = 500  # rows read at a time by each_job_document


@cache
def _run_update(columns: tuple[str, ...]) -> Any:
    """``UPDATE runs SET <columns> WHERE id = :_run_id``, one statement per set of columns (a run's
    state changes write a handful of distinct sets)."""
    return update(RunRow).where(RunRow.id == bindparam("_run_id")).values({name: bindparam(name) for name in columns})


class Store:
    """Reads and writes of jobs, runs and dependencies."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._direct = SqliteWrites(engine) if SqliteWrites.serves(engine) else None
        migrate(engine)

    # -- jobs -------------------------------------------------------------------------------
    def save_job(self, row: dict[str, Any], dependencies: Sequence[tuple[str, str]]) -> None:
        """Insert or replace a job and its dependency edges in one transaction."""
        with self.engine.begin() as conn:
            exists = conn.execute(select(JobRow.id).where(JobRow.id == row["id"])).first()
            if exists:
                conn.execute(update(JobRow).where(JobRow.id == row["id"]).values(**row))
            else:
                conn.execute(insert(JobRow).values(**row))
            conn.execute(delete(DependencyRow).where(DependencyRow.downstream_id == row["id"]))
            if dependencies:
                conn.execute(insert(DependencyRow), [
                    {"upstream_id": upstream, "downstream_id": row["id"], "on": on} for upstream, on in dependencies])

    def update_job_fields(self, job_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(JobRow).where(JobRow.id == job_id).values(**values))

    def get_job(self, job_id: str) -> Row | None:
        with self.engine.connect() as conn:
            return conn.execute(select(JobRow.__table__).where(JobRow.id == job_id)).first()

    def delete_job(self, job_id: str) -> bool:
        with self.engine.begin() as conn:
            conn.execute(delete(DependencyRow).where(DependencyRow.downstream_id == job_id))
            return conn.execute(delete(JobRow).where(JobRow.id == job_id)).rowcount > 0

    def job_specs(self, job_ids: Iterable[str]) -> dict[str, Row]:
        """``(id, name, kind, spec)`` of the given jobs, keyed by id, in one query."""
        with self.engine.connect() as conn:
            rows = conn.execute(JOB_SPECS, {"_job_ids": list(set(job_ids))}).all()
        return {row.id: row for row in rows}

    def all_jobs(self) -> list[Row]:
        """Every job row as stored, oldest first."""
        with self.engine.connect() as conn:
            return conn.execute(select(JobRow.__table__).order_by(JobRow.created_at, JobRow.id)).all()

    def jobs_of_kind(self, kind: str) -> list[Row]:
        with self.engine.connect() as conn:
            return conn.execute(select(JobRow.id, JobRow.name, JobRow.spec, JobRow.paused, JobRow.description)
                                .where(JobRow.kind == kind).order_by(JobRow.created_at)).all()

    def job_names(self, job_ids: Iterable[str]) -> dict[str, str]:
        """Names of those of ``job_ids`` that exist."""
        with self.engine.connect() as conn:
            return dict(conn.execute(select(JobRow.id, JobRow.name).where(JobRow.id.in_(list(set(job_ids))))).all())

    def existing_job_ids(self, job_ids: Iterable[str]) -> set[str]:
        return set(self.job_names(job_ids))

    def count_jobs(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(JobRow))

    def job_documents(self, job_id: str | None = None, limit: int | None = None, offset: int = 0,
                      on_demand: bool | None = None, job_ids: Iterable[str] | None = None,
                      with_keys: bool = False) -> list[Row]:
        """``(document, last_run, timezone, next_run_time, broken)`` per job, oldest first, in one query
        (``with_keys``: preceded by ``id, created_at``)."""
        query = _job_documents_query(with_keys)
        if job_id is not None:
            query = query.where(JobRow.id == job_id)
        if job_ids is not None:
            query = query.where(JobRow.id.in_(list(job_ids)))
        if on_demand is not None:
            manual = JobRow.schedule_type == "manual"
            query = query.where(manual if on_demand else ~manual)
        query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def each_job_document(self, with_keys: bool = False) -> Iterator[Row]:
        """Every job's row as :meth:`job_documents` gives it, read as they are used: what is made of each
        row is allocated among a few rows' worth of garbage, not among 10,000 rows freed afterwards."""
        with self.engine.connect() as conn:
            for rows in conn.execute(_job_documents_query(with_keys)).partitions(EACH_BATCH):
                yield from rows

    # -- dependencies ----------------------------------------------------------------------
    def dependents(self, upstream_id: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(DEPENDENTS, {"_job_id": upstream_id}))

    def upstream_ids(self) -> list[str]:
        """Every job some job waits for."""
        with self.engine.connect() as conn:
            return list(conn.scalars(select(DependencyRow.upstream_id).distinct()))

    def upstreams(self, downstream_ids: Iterable[str]) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(DependencyRow.upstream_id).distinct()
                                     .where(DependencyRow.downstream_id.in_(list(downstream_ids)))))

    def latest_finished(self, job_id: str) -> Row | None:
        """The newest run of ``job_id`` that ended with success or failure."""
        with self.engine.connect() as conn:
            return conn.execute(select(RunRow.id, RunRow.status, RunRow.finished_at)
                                .where(RunRow.job_id == job_id, RunRow.status.in_(("success", "failure")))
                                .order_by(RunRow.id.desc()).limit(1)).first()

    def latest_run_time(self, job_id: str, triggered_by: str) -> float | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.max(RunRow.queued_at))
                               .where(RunRow.job_id == job_id, RunRow.triggered_by == triggered_by))

    # -- runs -------------------------------------------------------------------------------
    def insert_runs(self, runs: list[dict[str, Any]]) -> list[int | None]:
        """Insert several runs in one transaction (a burst of fires costs one commit).

        A run whose job already has a run with its ``fire_key`` is not inserted and its id comes
        back ``None``: a scheduled instant is recorded once, whichever server or retry fires it.
        """
        ids: list[int | None] = [None] * len(runs)
        keyed = [index for index, run in enumerate(runs) if run.get("fire_key")]
        plain = [index for index, run in enumerate(runs) if not run.get("fire_key")]
        if self._direct is not None and not keyed:  # runs asked for now
            return self._direct.transaction([(INSERT_RUNS, run) for run in runs])
        with self.engine.begin() as conn:
            if plain:
                inserted = conn.scalars(INSERT_RUNS, [runs[index] for index in plain])
                for index, run_id in zip(plain, inserted):
                    ids[index] = run_id
            if keyed:
                statement = insert_or_ignore(conn.dialect.name, RunRow, ["job_id", "fire_key"]).returning(
                    RunRow.id, RunRow.job_id, RunRow.fire_key)
                recorded = {(row.job_id, row.fire_key): row.id
                            for row in conn.execute(statement, [runs[index] for index in keyed])}
                for index in keyed:  # a key twice in one batch: the first one was recorded
                    ids[index] = recorded.pop((runs[index]["job_id"], runs[index]["fire_key"]), None)
        return ids

    def update_run(self, run_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    def record_run(self, run_id: int, job_id: str, last_run: str, **values: Any) -> None:
        """Write a run's new state and the job's last-run summary in one transaction."""
        if self._direct is not None:
            self._direct.transaction([(_run_update(tuple(values)), {"_run_id": run_id, **values}),
                                      (SET_LAST_RUN, {"_job_id": job_id, "_last_run": last_run})])
            return
        with self.engine.begin() as conn:
            conn.execute(_run_update(tuple(values)), {"_run_id": run_id, **values})
            conn.execute(SET_LAST_RUN, {"_job_id": job_id, "_last_run": last_run})

    def get_run(self, run_id: int) -> Row | None:
        with self.engine.connect() as conn:
            return conn.execute(GET_RUN, {"_run_id": run_id}).first()

    def list_runs(self, *, job_id: str | None, status: str | None, limit: int, before: int | None) -> list[Row]:
        query = select(*RUN_COLUMNS).order_by(RunRow.id.desc()).limit(limit)
        if job_id is not None:
            query = query.where(RunRow.job_id == job_id)
        if status is not None:
            query = query.where(RunRow.status == status)
        if before is not None:
            query = query.where(RunRow.id < before)
        with self.engine.connect() as conn:
            return conn.execute(query).all()

    def delete_finished_runs(self, *, job_id: str | None = None, run_id: int | None = None) -> list[str | None]:
        """Delete finished runs (never active ones); return their log paths for removal."""
        condition = RunRow.status.in_(FINISHED_STATUSES)
        if job_id is not None:
            condition = condition & (RunRow.job_id == job_id)
        if run_id is not None:
            condition = condition & (RunRow.id == run_id)
        with self.engine.begin() as conn:
            logs = list(conn.scalars(select(RunRow.log_path).where(condition)))
            conn.execute(delete(RunRow).where(condition))
        return logs

    def prune_runs(self, job_id: str, keep: int) -> list[str | None]:
        """Keep the newest ``keep`` finished runs of a job; return the log paths of the rest."""
        with self.engine.begin() as conn:
            cutoff = conn.scalar(PRUNE_CUTOFF, {"_job_id": job_id, "_keep": keep})
            if cutoff is None:
                return []
            pruned = {"_job_id": job_id, "_cutoff": cutoff}
            logs = list(conn.scalars(PRUNED_LOGS, pruned))
            conn.execute(DELETE_PRUNED, pruned)
        return logs

    def execution_ids(self, job_id: str) -> set[str]:
        """The execution ids of a job's recorded runs (what their artifacts are filed under)."""
        with self.engine.connect() as conn:
            return set(conn.scalars(select(RunRow.execution_id).where(RunRow.job_id == job_id)))

    def interrupt_runs(self, server_ids: Iterable[str], reason: str) -> list[Row]:
        """Runs left queued or running by servers that are gone (``server_ids``, and runs of servers
        before 0.2 that recorded none) can never finish: mark them interrupted and return them."""
        gone = list(server_ids)
        owner = RunRow.server_id.in_(gone) | RunRow.server_id.is_(None) if gone else RunRow.server_id.is_(None)
        condition = RunRow.status.in_(ACTIVE_STATUSES) & owner
        with self.engine.begin() as conn:
            rows = conn.execute(select(*RUN_COLUMNS).where(condition)).all()
            if rows:
                conn.execute(update(RunRow).where(RunRow.id.in_([row.id for row in rows]))
                             .values(status="interrupted", reason=reason, finished_at=time.time()))
        return rows

    def oldest_logs(self, count: int) -> list[tuple[int, str]]:
        """``(run id, log path)`` of the oldest finished runs that still have a log."""
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(
                select(RunRow.id, RunRow.log_path).where(RunRow.log_path.is_not(None),
                                                         RunRow.status.in_(FINISHED_STATUSES))
                .order_by(RunRow.id).limit(count))]

    def previous_outcome(self, job_id: str, before_id: int) -> str | None:
        """How the job's last run before run ``before_id`` ended for good (retried attempts skipped)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(RunRow.status)
                               .where(RunRow.job_id == job_id, RunRow.id < before_id, RunRow.retry_at.is_(None),
                                      RunRow.status.in_(("success", "failure", "timed_out")))
                               .order_by(RunRow.id.desc()).limit(1))

    def pending_retries(self, within: float = 7 * 86400) -> list[Row]:
        """Runs whose next attempt is due (from ``within`` seconds ago on) and not recorded yet."""
        following = RunRow.__table__.alias("following")
        first = func.coalesce(RunRow.retry_of, RunRow.id)
        recorded = (select(following.c.id).where(following.c.job_id == RunRow.job_id,
                                                 following.c.retry_of == first,
                                                 following.c.attempt == func.coalesce(RunRow.attempt, 1) + 1)
                    .exists())
        with self.engine.connect() as conn:
            return conn.execute(select(*RUN_COLUMNS).where(RunRow.retry_at.is_not(None),
                                                           RunRow.retry_at > time.time() - within, ~recorded)).all()

    def set_broken(self, job_id: str, reason: str | None) -> bool:
        """Record why a job cannot be scheduled (``None``: it can); whether anything changed."""
        with self.engine.begin() as conn:
            return conn.execute(update(JobRow).where(JobRow.id == job_id, JobRow.broken.is_distinct_from(reason))
                                .values(broken=reason)).rowcount > 0

    def broken_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(JobRow).where(JobRow.broken.is_not(None)))


@cache
def _job_documents_query(with_keys: bool) -> Any:
    """Every job's document and live fields, oldest first (``with_keys``: its id and created_at first)."""
    columns = [JobRow.document, JobRow.last_run, JobRow.timezone, apscheduler_jobs.c.next_run_time, JobRow.broken]
    if with_keys:
        columns = [JobRow.id, JobRow.created_at, *columns]
    return (select(*columns)
            .select_from(JobRow.__table__.outerjoin(apscheduler_jobs, apscheduler_jobs.c.id == JobRow.id))
            .order_by(JobRow.created_at, JobRow.id))
