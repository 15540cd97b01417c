"""Paths named in configs: relative to the base directory, confined to the root when there is one."""

from __future__ import annotations

from pathlib import Path


def resolve_path(value: str, *, base_dir: Path, root: Path | None) -> Path:
    """Resolve ``value`` (relative to ``base_dir``, or absolute) and, with a ``root``, refuse anything
    outside it: ``..`` escapes, absolute paths elsewhere, ``~`` and symlinks pointing out.

    Raises ``ValueError`` with a message meant to follow the field name.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty path")
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    if root is not None and value.startswith("~"):
        raise ValueError(f"{value!r}: '~' paths are not allowed; give a path inside the root")
    candidate = Path(value)
    resolved = (candidate if candidate.is_absolute() else base_dir / candidate).resolve()
    if root is not None:
        real_root = root.resolve()
        if resolved != real_root and real_root not in resolved.parents:
            raise ValueError(f"{value!r} points outside the root {str(real_root)!r}")
    return resolved
