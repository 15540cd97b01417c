"""The ``GET jobs`` document, kept up to date job by job.

Rendering 10,000 jobs from the database takes a noticeable fraction of a second, yet between two
requests usually only a few jobs change: a fire moves one job's next run time, a run changes one
job's last run. So each job's JSON is kept in memory and only the jobs marked changed are read
again; the full list is re-joined only when something changed since it was last served.
A listing cut down to some fields (``GET jobs?fields=...``, the sidebar's) is kept the same way:
each job's cut-down JSON is made once from its whole JSON and again only when that changed.
A job whose code was generated from a pipeline is also read again when its ``code_stale`` turns,
which costs a ``stat`` of each such pipeline per request (:class:`PipelineSources` caches hashes).
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from ..api.documents import jobs_list, project_job, splice_job
from ..memory import release_freed_memory
from ..storage.store import Store
from .pipeline_source import PipelineSources, recorded_source

MAX_PROJECTIONS = 8  # field lists kept cut down at once (a UI asks for one); the least recently asked goes


class JobListing:
    def __init__(self, store: Store, sources: PipelineSources) -> None:
        self._store = store
        self._sources = sources
        self._pipelines: dict[str, tuple[str, str, bool]] = {}  # job id -> (pipeline, its hash, code_stale shown)
        self._render_lock = threading.Lock()  # one rebuild at a time
        self._marks_lock = threading.Lock()  # guards what changed since; never held during I/O
        self._loaded = False
        self._changed: set[str] = set()
        self._fragments: dict[str, str] = {}
        self._order: list[tuple[float, str]] = []  # (created_at, id): the list's order
        self._positions: dict[str, tuple[float, str]] = {}
        self._projections: OrderedDict[tuple[str, ...], dict[str, str]] = OrderedDict()  # fields -> id -> JSON
        self._rendered: dict[tuple[str, ...] | None, bytes] = {}  # fields (None: all) -> the list as served
        self.shared = False  # other servers change the database too: read it for every list

    def mark(self, job_ids: Iterable[str] | None = None) -> None:
        """These jobs (``None``: possibly all) changed: read them again before serving the list."""
        with self._marks_lock:
            if job_ids is None:
                self._loaded = False
            else:
                self._changed.update(job_ids)
            self._rendered.clear()

    def on_event(self, event: dict) -> None:
        """Event listener: a job changed, or one of its runs did (its last run)."""
        if event.get("type") == "job":
            self.mark([event["id"]])
        elif event.get("type") == "run":
            self.mark([event["run"]["job_id"]])

    def render(self, fields: tuple[str, ...] | None = None) -> bytes:
        """``{"jobs": [...]}``, oldest first; ``fields``: only those of each job."""
        if self.shared:
            rendered = jobs_list(self._store.job_documents(), self._sources.stale_in, fields)
            release_freed_memory(len(rendered))  # every job's row was read for it
            return rendered
        with self._render_lock:
            verdicts: dict[tuple[str, str], bool] = {}  # one stat per pipeline, however many jobs run it
            turned = [job_id for job_id, (path, sha256, shown) in self._pipelines.items()
                      if _changed(self._sources, verdicts, path, sha256) != shown]
            if turned:
                self.mark(turned)
            with self._marks_lock:
                if fields in self._rendered:
                    return self._rendered[fields]
                full, changed = not self._loaded, self._changed
                self._loaded, self._changed = True, set()
            if full:
                self._reload()
            elif changed:
                self._refresh(changed)
            documents = self._fragments if fields is None else self._projection(fields)
            rendered = ('{"jobs":[' + ",".join(documents[job_id] for _, job_id in self._order) + "]}").encode()
            with self._marks_lock:
                if self._loaded and not self._changed:  # nothing changed while we read
                    self._rendered[fields] = rendered
            if full:
                release_freed_memory(len(rendered))  # every job's row was read for it
            return rendered

    def _projection(self, fields: tuple[str, ...]) -> dict[str, str]:
        """Every job cut down to ``fields``, made only for the jobs whose JSON changed since last asked."""
        projected = self._projections.pop(fields, None)
        if projected is None:
            projected = {}
            if len(self._projections) >= MAX_PROJECTIONS:
                dropped, _ = self._projections.popitem(last=False)
                with self._marks_lock:
                    self._rendered.pop(dropped, None)
        self._projections[fields] = projected
        for job_id, fragment in self._fragments.items():
            if job_id not in projected:
                projected[job_id] = project_job(fragment, fields)
        return projected

    def _reload(self) -> None:
        rows = self._store.job_documents(with_keys=True)
        self._pipelines = {}
        self._projections.clear()
        self._fragments = {row.id: self._fragment(row) for row in rows}
        self._order = [(row.created_at, row.id) for row in rows]
        self._positions = {job_id: key for key in self._order for job_id in (key[1],)}

    def _refresh(self, job_ids: set[str]) -> None:
        rows = {row.id: row for row in self._store.job_documents(job_ids=job_ids, with_keys=True)}
        for projected in self._projections.values():
            for job_id in job_ids:
                projected.pop(job_id, None)
        for job_id in job_ids:
            row = rows.get(job_id)
            key = self._positions.pop(job_id, None)
            if key is not None:
                del self._order[bisect.bisect_left(self._order, key)]
            if row is None:
                self._fragments.pop(job_id, None)
                self._pipelines.pop(job_id, None)
                continue
            key = (row.created_at, row.id)
            bisect.insort(self._order, key)
            self._positions[job_id] = key
            self._fragments[job_id] = self._fragment(row)

    def _fragment(self, row: Any) -> str:
        """A job's JSON with its live fields; a job generated from a pipeline is watched for ``code_stale``."""
        source = recorded_source(row.document)
        self._pipelines.pop(row.id, None)
        if source is None:
            return splice_job(*row[2:])
        stale = self._sources.changed(*source)
        self._pipelines[row.id] = (*source, stale)
        return splice_job(*row[2:], code_stale=stale)


def _changed(sources: PipelineSources, verdicts: dict[tuple[str, str], bool], path: str, sha256: str) -> bool:
    """Whether the pipeline at ``path`` differs from ``sha256``, asked of ``sources`` once per pair."""
    if (path, sha256) not in verdicts:
        verdicts[path, sha256] = sources.changed(path, sha256)
    return verdicts[path, sha256]
