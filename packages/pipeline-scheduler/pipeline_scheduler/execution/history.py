"""Reading and deleting recorded runs and their logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..api.documents import run_document
from ..api.payloads import MAX_DATABASE_INT, query_int
from ..errors import Conflict, Invalid, NotFound
from ..paths import remove_files
from ..storage.store import Store
from .notebooks.artifacts import Artifacts
from ..storage.tables import ACTIVE_STATUSES, FINISHED_STATUSES

RUN_STATUSES = ACTIVE_STATUSES + FINISHED_STATUSES
COMPACTED_NOTE = b"[... the log was compacted (max_log_bytes): following it from its current end ...]\n"
MAX_LIST = 1000
DEFAULT_LIST = 200


class RunHistory:
    def __init__(self, store: Store, artifacts: Artifacts) -> None:
        self._store = store
        self._artifacts = artifacts  # removed with their runs

    def list(self, *, job_id: str | None = None, status: str | None = None, limit: str | None = None,
             before: str | None = None) -> dict[str, Any]:
        """Newest first; ``limit`` 1..1000 (larger values are capped, as 0.9.7 clients expect), ``before`` a run id."""
        if status is not None and status not in RUN_STATUSES:
            raise Invalid(f"status: unknown status {status!r}; one of {', '.join(RUN_STATUSES)}", "status")
        count = query_int(limit, "limit", DEFAULT_LIST, minimum=1)
        rows = self._store.list_runs(job_id=job_id, status=status, limit=min(count, MAX_LIST),
                                     before=query_int(before, "before", None))
        return {"runs": [run_document(row._mapping) for row in rows]}

    def get(self, run_id: str) -> dict[str, Any]:
        return run_document(self._row(run_id)._mapping)

    def delete(self, run_id: str) -> None:
        row = self._row(run_id)
        if row.status in ACTIVE_STATUSES:
            raise Conflict(f"run {row.id} is {row.status}; cancel it before deleting it", "run_id")
        remove_files(self._store.delete_finished_runs(run_id=row.id))
        self._artifacts.remove([(row.job_id, row.execution_id)])

    def delete_all(self, job_id: str | None = None) -> int:
        """Delete every finished run (of one job when given); active runs are kept."""
        logs = self._store.delete_finished_runs(job_id=job_id)
        remove_files(logs)
        if job_id is None:
            self._artifacts.sweep_all(self._store.execution_ids)
        else:
            self._artifacts.sweep(job_id, self._store.execution_ids)
        return len(logs)

    def log_chunk(self, run_id: str, offset: str | None, limit: int = 1 << 20) -> tuple[bytes, int, str]:
        """Log bytes from ``offset`` (at most ``limit``), the next offset, and the run's status."""
        row = self._row(run_id)
        start = query_int(offset, "offset", 0)
        if not row.log_path or not Path(row.log_path).exists():
            return b"", start, row.status
        size = Path(row.log_path).stat().st_size
        if start > size and row.log_truncated:  # compacted under the reader's feet: go on from its end
            return COMPACTED_NOTE, size, row.status
        if start >= size:
            return b"", start, row.status
        with open(row.log_path, "rb") as handle:
            handle.seek(start)
            data = handle.read(limit)
        return data, start + len(data), row.status

    def _row(self, run_id: str) -> Any:
        try:
            number = int(run_id)
        except (TypeError, ValueError):
            raise NotFound("Run not found", "run_id") from None
        row = self._store.get_run(number) if 0 < number <= MAX_DATABASE_INT else None
        if row is None:
            raise NotFound("Run not found", "run_id")
        return row


def read_log_end(path: str | None, limit: int = 1 << 20) -> str:
    """The last ``limit`` bytes of a log as text (0.9.7's synchronous run answer carries the output)."""
    if not path or not Path(path).exists():
        return ""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        handle.seek(max(0, handle.tell() - limit))
        return handle.read().decode("utf-8", errors="replace")
