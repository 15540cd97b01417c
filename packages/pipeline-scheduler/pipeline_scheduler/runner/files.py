"""Which files of a jobs directory are jobs, and their ids: the server reads this at every start,
without loading the rest of the runner (configs, plugins, schedules)."""

from __future__ import annotations

from pathlib import Path

SUFFIXES = (".toml", ".yaml", ".yml", ".json")
GLOBAL_NAME = "global"


def template_stem(path: Path | None) -> str | None:
    """The template name of a ``NAME.template.SUFFIX`` file, or ``None``."""
    if path is None:
        return None
    name = path.name
    for suffix in SUFFIXES:
        if name.endswith(f".template{suffix}"):
            return name[: -len(f".template{suffix}")]
    return None


def job_id_for(path: str | Path) -> str:
    """The job id of a runner config file: its name without the suffix (``backup.toml`` → ``backup``)."""
    path = Path(path)
    return path.name[: -len(path.suffix)] if path.suffix else path.name


def is_job_file(path: str | Path) -> bool:
    """Whether a file in a jobs directory is a job: a config suffix, not ``global.*``, not ``*.template.*``,
    not hidden."""
    path = Path(path)
    return (path.suffix.lower() in SUFFIXES and not path.name.startswith(".")
            and template_stem(path) is None and job_id_for(path) != GLOBAL_NAME)


def job_files(jobs_dir: str | Path) -> list[Path]:
    """The job files of a jobs directory (not recursive), sorted by name."""
    directory = Path(jobs_dir)
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.is_file() and is_job_file(path))
