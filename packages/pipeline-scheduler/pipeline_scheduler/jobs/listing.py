"""The ``GET jobs`` documents, kept job by job (in a file, out of the heap).

Rendering 10,000 jobs from the database takes about 0.1 s, yet between two requests usually only a
few jobs change: a fire moves one job's next run time, a run changes one job's last run. So each
job's JSON is kept (in a :class:`FragmentFile`, out of the heap, in the list's order) and only the
jobs marked changed are read again; the list is joined for each request (a few ms).
A new job goes at the end (the list is oldest first); one that does not belong there (created on a
server whose clock is behind) has the whole list read again.
A listing cut down to some fields (``GET jobs?fields=...``, the sidebar's) is kept the same way.
A job whose code was generated from a pipeline is also read again when its ``code_stale`` turns,
which costs a ``stat`` of each such pipeline per request (:class:`PipelineSources` caches hashes).
Rows are read in batches (:meth:`Store.each_job_document`), so that what is kept is not scattered
among 10,000 rows' worth of freed memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..api.documents import jobs_list, project_job, splice_job
from ..storage.store import Store
from .fragment_file import FragmentFile
from .pipeline_source import PipelineSources, recorded_source

NO_JOB_YET = (float("-inf"), "")  # a (created_at, id) before every job's
MAX_KEPT_LISTS = 8  # lists kept at once (whole, and the field lists a UI asks for); the least recently asked goes


class _KeptList:
    """Every job's JSON (cut down to one field list, or whole), in the list's order, and what changed since."""

    def __init__(self, directory: Path | None) -> None:
        self.loaded = False
        self.changed: set[str] = set()
        self._directory = directory
        self.file = FragmentFile(directory)
        self.fragments: dict[str, int] = {}  # job id -> where its JSON is in the file, in the list's order
        self._spans: list[tuple[int, int]] | None = None  # where the list lies in the file, until it changes
        self.last: tuple[float, str] = NO_JOB_YET  # (created_at, id) of the newest job added

    def put(self, job_id: str, fragment: bytes) -> None:
        """Keep ``fragment`` for ``job_id``: in its place when the job is listed already, at the end otherwise."""
        self._spans = None
        replaced = self.fragments.get(job_id)
        if replaced is not None:
            self.file.forget(replaced)
        self.fragments[job_id] = self.file.append(fragment + b",")  # ready to join

    def drop(self, job_id: str) -> None:
        self._spans = None
        location = self.fragments.pop(job_id, None)
        if location is not None:
            self.file.forget(location)

    def restart(self) -> None:
        """Forget every job (before reading the list again)."""
        self.file.close()
        self.file, self.fragments, self.last, self._spans = FragmentFile(self._directory), {}, NO_JOB_YET, None

    def joined(self) -> bytes:
        """The list's JSON; the file is rewritten in the list's order when the list lies in many
        pieces of it or among many stale fragments."""
        if self._spans is None:
            self._spans = self.file.spans(list(self.fragments.values()))
            if self.file.untidy(len(self._spans)):
                self.fragments = dict(zip(self.fragments, self.file.rewrite(list(self.fragments.values()))))
                self._spans = self.file.spans(list(self.fragments.values()))
        if not self._spans:
            return b'{"jobs":[]}'
        start, end = self._spans[-1]
        return self.file.joined([*self._spans[:-1], (start, end - 1)], b'{"jobs":[', b"]}")  # not the last comma


class JobListing:
    def __init__(self, store: Store, sources: PipelineSources, directory: Path | None = None) -> None:
        self._store = store
        self._directory = directory  # where the kept lists' file goes (the system's temporary directory if None)
        self._sources = sources
        self._pipelines: dict[str, tuple[str, str, bool]] = {}  # job id -> (pipeline, its hash, code_stale shown)
        self._render_lock = threading.Lock()  # one rebuild at a time
        self._marks_lock = threading.Lock()  # guards what changed since; never held during I/O
        self._kept: OrderedDict[tuple[str, ...] | None, _KeptList] = OrderedDict()  # fields (None: all) -> list
        self.shared = False  # other servers change the database too: read it for every list

    def mark(self, job_ids: Iterable[str] | None = None) -> None:
        """These jobs (``None``: possibly all) changed: read them again before serving a list."""
        changed = None if job_ids is None else set(job_ids)
        with self._marks_lock:
            for kept in self._kept.values():
                if changed is None:
                    kept.loaded = False
                else:
                    kept.changed |= changed

    def on_event(self, event: dict) -> None:
        """Event listener: a job changed, or one of its runs did (its last run)."""
        if event.get("type") == "job":
            self.mark([event["id"]])
        elif event.get("type") == "run":
            self.mark([event["run"]["job_id"]])

    def render(self, fields: tuple[str, ...] | None = None) -> bytes:
        """``{"jobs": [...]}``, oldest first; ``fields``: only those of each job."""
        if self.shared:
            return jobs_list(self._store.each_job_document(), self._sources.stale_in, fields)
        with self._render_lock:
            verdicts: dict[tuple[str, str], bool] = {}  # one stat per pipeline, however many jobs run it
            turned = [job_id for job_id, (path, sha256, shown) in self._pipelines.items()
                      if _changed(self._sources, verdicts, path, sha256) != shown]
            if turned:
                self.mark(turned)
            with self._marks_lock:
                kept = self._keep(fields)
                full, changed = not kept.loaded, kept.changed
                kept.loaded, kept.changed = True, set()
            if changed and not full:
                full = not self._refresh(kept, fields, changed)
            if full:
                self._reload(kept, fields)
            return kept.joined()

    def _keep(self, fields: tuple[str, ...] | None) -> _KeptList:
        """The list kept for ``fields``, now the most recently asked (a new one when not kept yet)."""
        kept = self._kept.pop(fields, None)
        if kept is None:
            kept = _KeptList(self._directory)
            if len(self._kept) >= MAX_KEPT_LISTS:
                self._kept.popitem(last=False)[1].file.close()
        self._kept[fields] = kept
        return kept

    def _reload(self, kept: _KeptList, fields: tuple[str, ...] | None) -> None:
        self._pipelines = {}
        kept.restart()
        for row in self._store.each_job_document(with_keys=True):
            kept.put(row.id, self._fragment(row, fields))
            kept.last = (row.created_at, row.id)

    def _refresh(self, kept: _KeptList, fields: tuple[str, ...] | None, job_ids: set[str]) -> bool:
        """Read ``job_ids`` again; ``False`` when a new job does not go at the end (read the whole list)."""
        rows = {row.id: row for row in self._store.job_documents(job_ids=job_ids, with_keys=True)}
        added = []
        for job_id in job_ids:
            row = rows.get(job_id)
            if row is None:
                kept.drop(job_id)
                self._pipelines.pop(job_id, None)
            elif job_id in kept.fragments:
                kept.put(job_id, self._fragment(row, fields))  # keeps its place
            else:
                added.append(row)
        for row in sorted(added, key=lambda row: (row.created_at, row.id)):
            if (row.created_at, row.id) <= kept.last:
                return False
            kept.last = (row.created_at, row.id)
            kept.put(row.id, self._fragment(row, fields))
        return True

    def _fragment(self, row: Any, fields: tuple[str, ...] | None) -> bytes:
        """A job's JSON, cut down to ``fields``; a job generated from a pipeline is watched for ``code_stale``."""
        source = recorded_source(row.document)
        self._pipelines.pop(row.id, None)
        if source is None:
            whole = splice_job(*row[2:])
        else:
            stale = self._sources.changed(*source)
            self._pipelines[row.id] = (*source, stale)
            whole = splice_job(*row[2:], code_stale=stale)
        return (whole if fields is None else project_job(whole, fields)).encode()


def _changed(sources: PipelineSources, verdicts: dict[tuple[str, str], bool], path: str, sha256: str) -> bool:
    """Whether the pipeline at ``path`` differs from ``sha256``, asked of ``sources`` once per pair."""
    if (path, sha256) not in verdicts:
        verdicts[path, sha256] = sources.changed(path, sha256)
    return verdicts[path, sha256]
