"""The pipeline a job's generated code came from, and whether that pipeline changed since.

When a job is saved with ``python_code`` generated from an ``.ampln`` pipeline, the job records
the pipeline file's sha256 and the time (``pipeline_sha256``, ``code_generated_at``). The job is
then *stale* while the file's hash differs: its code no longer says what the pipeline says. A
pipeline that is gone is not stale (there is nothing to generate from).

Hashes are cached by the file's ``(mtime_ns, size)``, so that listing thousands of jobs costs one
``stat`` per pipeline job and a read only of the files that changed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

from ..api.payloads import JobSpec
from ..errors import Invalid
from ..paths import resolve_in_root

PIPELINE_SUFFIX = ".ampln"
SOURCE_MARK = '"pipeline_sha256":'  # in a job document only when the job records its pipeline's hash


def generated_from_pipeline(spec: JobSpec | Mapping[str, Any]) -> bool:
    """Whether the job runs code generated from an ``.ampln`` pipeline."""
    get = spec.get if isinstance(spec, Mapping) else lambda key: getattr(spec, key)
    return get("python_code") is not None and (get("pipeline_path") or "").lower().endswith(PIPELINE_SUFFIX)


def recorded_source(document: str) -> tuple[str, str] | None:
    """``(pipeline_path, pipeline_sha256)`` of a stored job document, or ``None`` when it records none."""
    if SOURCE_MARK not in document:
        return None
    fields = orjson.loads(document)
    return fields["pipeline_path"], fields["pipeline_sha256"]


class PipelineSources:
    """Hashes of pipeline files under the root, and the staleness of jobs' generated code."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._hashes: dict[str, tuple[Path, int, int, str]] = {}  # pipeline_path -> (file, mtime_ns, size, sha256)

    def digest(self, pipeline_path: str) -> str | None:
        """The sha256 of the pipeline file as it is now; ``None`` when it cannot be read.

        A file whose ``(mtime_ns, size)`` did not change since it was hashed costs one ``stat``; any
        other is confined to the root again (resolving a path costs several) and read."""
        with self._lock:
            cached = self._hashes.get(pipeline_path)
        if cached is not None:
            try:
                stat = cached[0].stat()
            except OSError:
                stat = None
            if stat is not None and cached[1:3] == (stat.st_mtime_ns, stat.st_size):
                return cached[3]
        try:
            path = resolve_in_root(self._root, pipeline_path, "pipeline_path")
            stat = path.stat()
            sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        except (Invalid, OSError):
            with self._lock:
                self._hashes.pop(pipeline_path, None)
            return None
        with self._lock:
            self._hashes[pipeline_path] = (path, stat.st_mtime_ns, stat.st_size, sha256)
        return sha256

    def changed(self, pipeline_path: str, recorded: str) -> bool:
        """Whether the pipeline differs from the one hashed as ``recorded`` (a missing file does not)."""
        current = self.digest(pipeline_path)
        return current is not None and current != recorded

    def stale_in(self, document: str) -> bool | None:
        """``code_stale`` of a stored job document; ``None`` for jobs that record no pipeline hash."""
        source = recorded_source(document)
        return None if source is None else self.changed(*source)

    def stamp(self, spec: JobSpec, previous: Mapping[str, Any] | None, code_sent: bool) -> None:
        """Record on ``spec`` the pipeline its code comes from: hashed now when the request sent code,
        kept from the ``previous`` definition otherwise, cleared when the job has no generated code."""
        if not generated_from_pipeline(spec):
            spec.pipeline_sha256 = spec.code_generated_at = None
        elif code_sent:
            spec.pipeline_sha256 = self.digest(spec.pipeline_path or "")
            spec.code_generated_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        else:
            previous = previous or {}
            spec.pipeline_sha256 = previous.get("pipeline_sha256")
            spec.code_generated_at = previous.get("code_generated_at")

    def stale_warning(self, spec: Mapping[str, Any]) -> str | None:
        """What a run says when the job's pipeline changed since its code was generated, else ``None``."""
        recorded = spec.get("pipeline_sha256")
        if not recorded or not generated_from_pipeline(spec) or not self.changed(spec["pipeline_path"], recorded):
            return None
        generated = datetime.fromisoformat(spec["code_generated_at"]).strftime("%Y-%m-%d %H:%M:%S %Z")
        return (f"pipeline {spec['pipeline_path']} changed since its code was generated on {generated}; "
                "save the pipeline in the editor or regenerate the job's code to run the pipeline as it is now")
