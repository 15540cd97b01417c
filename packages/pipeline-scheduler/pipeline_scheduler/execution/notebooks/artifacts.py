"""What a run leaves to open afterwards (the executed notebook, an HTML export), one folder per run.

``<state dir>/outputs/<job id>/<execution id>/``: the files a runner writes there are the run's
artifacts, listed and served by name; names starting with ``.`` are the runner's own bookkeeping
(how the run ended, the kernel's stderr) and are never listed nor served. A folder lives as long as
its run's record: removed with the run, and swept when a job's old runs are pruned.
"""

from __future__ import annotations

import json
import mimetypes
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ...errors import NotFound

OUTCOME_FILE = ".outcome.json"  # {"reason": ...}: why the runner says the run failed
KERNEL_LOG_FILE = ".kernel.log"  # the kernel process's own stdout and stderr (start-up noise)
MEDIA_TYPES = {".ipynb": "application/x-ipynb+json", ".html": "text/html"}


def artifacts_in(state_dir: Path) -> Artifacts:
    return Artifacts(state_dir / "outputs")


def media_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class Artifacts:
    def __init__(self, outputs_dir: Path) -> None:
        self.outputs_dir = outputs_dir

    def directory(self, job_id: str, execution_id: str) -> Path:
        return self.outputs_dir / job_id / execution_id

    def list(self, job_id: str, execution_id: str) -> list[dict[str, Any]]:
        """``[{name, size, media_type}]`` by name; empty for a run that left none."""
        folder = self.directory(job_id, execution_id)
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return []
        return [{"name": entry.name, "size": entry.stat().st_size, "media_type": media_type(entry.name)}
                for entry in entries if _public(entry.name) and entry.is_file() and not entry.is_symlink()]

    def file(self, job_id: str, execution_id: str, name: str) -> Path:
        """The artifact called ``name``: only a listed name, so no path can lead elsewhere."""
        if name not in {entry["name"] for entry in self.list(job_id, execution_id)}:
            raise NotFound(f"run has no artifact named {name!r}", "name")
        return self.directory(job_id, execution_id) / name

    def failure_reason(self, job_id: str, execution_id: str) -> str | None:
        """What the runner wrote about why the run failed, if anything."""
        try:
            reason = json.loads((self.directory(job_id, execution_id) / OUTCOME_FILE).read_text("utf-8"))["reason"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return reason if isinstance(reason, str) and reason else None

    def remove(self, runs: Iterable[tuple[str, str]]) -> None:
        """Remove the folders of these ``(job id, execution id)`` runs."""
        for job_id, execution_id in runs:
            shutil.rmtree(self.directory(job_id, execution_id), ignore_errors=True)

    def sweep_all(self, recorded: Callable[[str], set[str]]) -> None:
        """:meth:`sweep` every job's folder."""
        try:
            job_ids = [folder.name for folder in self.outputs_dir.iterdir() if folder.is_dir()]
        except OSError:
            return
        for job_id in job_ids:
            self.sweep(job_id, recorded)

    def sweep(self, job_id: str, recorded: Callable[[str], set[str]]) -> None:
        """Remove the folders of a job's runs that are no longer recorded (pruned, deleted).

        The folders are listed before the records are read, so a run recorded meanwhile keeps its own."""
        try:
            folders = list((self.outputs_dir / job_id).iterdir())
        except OSError:
            return
        kept = recorded(job_id)
        for folder in folders:
            if folder.is_dir() and folder.name not in kept:
                shutil.rmtree(folder, ignore_errors=True)


def _public(name: str) -> bool:
    return not name.startswith(".")
