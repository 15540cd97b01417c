"""Reading a notebook on the server side: a valid nbformat document, its kernel and its parameters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...errors import Invalid

MAX_NOTEBOOK_BYTES = 100 * 1024**2


def read_notebook(path: Path, shown: str, field: str = "pipeline_path") -> dict[str, Any]:
    """The notebook at ``path`` as nbformat 4, validated; a 400 naming ``field`` otherwise.

    nbformat is imported here, not at module level: the server has it loaded already (Jupyter's
    contents manager), the job subprocesses that import this package need not pay for it."""
    import nbformat

    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise Invalid(f"{field}: {shown} is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB", field)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Invalid(f"{field}: {shown} is not a readable notebook: {error}", field) from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise Invalid(f"{field}: {shown} is not a notebook (not JSON: {error})", field) from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise Invalid(f"{field}: {shown} is not a notebook (no cells)", field)
    try:
        notebook = nbformat.from_dict(document)
        if notebook.get("nbformat") != 4:
            notebook = nbformat.convert(notebook, 4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises ValidationError, KeyError, ValueError, NBFormatError...
        message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
        where = "/".join(str(part) for part in getattr(error, "absolute_path", ())) or "the top level"
        raise Invalid(f"{field}: {shown} is not valid nbformat: at {where}: {message}", field) from None
    return notebook


def notebook_kernel_name(notebook: dict[str, Any]) -> str | None:
    """The kernelspec the notebook was saved with, if it says."""
    name = (notebook.get("metadata", {}).get("kernelspec") or {}).get("name")
    return name if isinstance(name, str) and name else None
