"""Confinement of user-supplied paths to the server root."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .errors import Invalid


def resolve_in_root(root: Path, relative: str, field: str, *, must_exist: bool = True) -> Path:
    """Resolve ``relative`` against ``root`` and refuse anything that lands outside it.

    Absolute paths, ``..`` escapes and symlinks pointing out of the root are all rejected, because
    the scheduler runs what it finds there with the server's privileges.
    """
    if not isinstance(relative, str) or not relative.strip():
        raise Invalid(f"{field} must be a non-empty path relative to the server root", field)
    if "\x00" in relative:
        raise Invalid(f"{field} contains a NUL character", field)
    candidate = Path(relative)
    if candidate.is_absolute() or relative.startswith("~"):
        raise Invalid(f"{field} must be relative to the server root, got an absolute path", field)
    real_root = _real(root)
    try:
        resolved = (real_root / candidate).resolve()
        if resolved != real_root and real_root not in resolved.parents:
            raise Invalid(f"{field} points outside the server root", field)
        if must_exist and not resolved.exists():
            raise Invalid(f"{field}: no such file or directory: {relative}", field)
    except OSError as error:  # a name or path too long for the file system, a loop of symlinks
        raise Invalid(f"{field}: not a usable path ({error.strerror or error})", field) from None
    return resolved


@lru_cache(maxsize=16)
def _real(root: Path) -> Path:
    """The server root with symlinks resolved (it does not move while the server runs)."""
    return root.resolve()


def relative_to_root(root: Path, path: Path) -> str:
    """Express an absolute path inside the root the way the API shows paths: POSIX, relative."""
    return Path(os.path.relpath(path, root.resolve())).as_posix()


def remove_files(paths: list[str | None]) -> None:
    """Delete files that may already be gone (e.g. logs of deleted runs)."""
    for path in paths:
        if path:
            Path(path).unlink(missing_ok=True)
