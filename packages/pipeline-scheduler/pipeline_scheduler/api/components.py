"""The files of Amphi's Components panel: ``.amphi/config.toml`` and ``.amphi/components/<file>``.

The Amphi ETL editor stores the components a user adds through the scheduler's server (it cannot
rely on the contents API to show hidden folders), on the routes amphi-scheduler 0.9.7 served:
``components-config`` (GET/POST) and ``components-file`` (POST/DELETE ``?filename=``). The text is
the editor's own format and is stored as sent; what we check is its shape, its size and where it
goes. Writes are atomic, so that the editor never reads half a file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import Conflict, Invalid, NotFound, TooLarge
from ..paths import relative_to_root, resolve_in_root
from .handlers import SchedulerHandler, endpoint

log = logging.getLogger(__name__)

CONFIG_PATH = ".amphi/config.toml"
COMPONENTS_DIR = ".amphi/components"
DEFAULT_CONFIG = "[components]\nsources = [\n]\n\nmanaged_sources = [\n]\n"  # what 0.9.7 writes on first start
MAX_COMPONENT_BYTES = 512 * 1024  # per file, config.toml included: components are source files, not data
MAX_FILENAME_BYTES = 255  # the longest file name common file systems accept


def ensure_components_layout(root: Path) -> None:
    """Create ``.amphi/components/`` and a default ``config.toml`` when missing, as 0.9.7 did on start:
    the editor assumes both exist. A root we cannot write to only loses the panel, not the server."""
    try:
        (root / COMPONENTS_DIR).mkdir(parents=True, exist_ok=True)
        config = root / CONFIG_PATH
        if not config.exists():
            write_atomically(config, DEFAULT_CONFIG)
    except OSError as error:
        log.warning("Amphi's components folder could not be prepared under %s: %s", root, error)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one step (a temporary file renamed over it), keeping its mode."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ComponentFiles:
    """Reads and writes the panel's files, confined to the server root."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def read_config(self) -> dict[str, str]:
        path = resolve_in_root(self._root, CONFIG_PATH, "config", must_exist=False)
        if not path.is_file():
            return {"content": ""}
        size = path.stat().st_size
        if size > MAX_COMPONENT_BYTES:
            raise Conflict(f"{CONFIG_PATH} is {size} bytes, more than the {MAX_COMPONENT_BYTES} bytes this route "
                           "serves; shorten it on disk", "config")
        return {"content": path.read_bytes().decode("utf-8", errors="replace")}

    def write_config(self, payload: Any) -> dict[str, Any]:
        content = _content(_object(payload), allow_empty=True)
        path = resolve_in_root(self._root, CONFIG_PATH, "config", must_exist=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, content)
        return {"success": True}

    def save_component(self, payload: Any) -> dict[str, Any]:
        filename = _filename(_object(payload).get("filename"))
        content = _content(payload, allow_empty=False)
        path = self._component_path(filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, content)
        return {"success": True, "path": relative_to_root(self._root, path)}

    def delete_component(self, filename: str | None) -> dict[str, Any]:
        path = self._component_path(_filename(filename))
        if not path.is_file():
            raise NotFound("File not found", "filename")
        path.unlink()
        return {"success": True}

    def _component_path(self, filename: str) -> Path:
        return resolve_in_root(self._root, f"{COMPONENTS_DIR}/{filename}", "filename", must_exist=False)


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Invalid("the request body must be a JSON object")
    return payload


def _content(payload: dict[str, Any], *, allow_empty: bool) -> str:
    if "content" not in payload:
        raise Invalid("content: required (the file's text)", "content")
    content = payload["content"]
    if not isinstance(content, str):
        raise Invalid(f"content: must be a string, got {type(content).__name__}", "content")
    if not content and not allow_empty:
        raise Invalid("content: must not be empty", "content")
    if "\x00" in content:
        raise Invalid("content: contains a NUL character, which a source file cannot hold", "content")
    size = len(content.encode())
    if size > MAX_COMPONENT_BYTES:
        raise TooLarge(f"content: {size} bytes; the limit is {MAX_COMPONENT_BYTES} bytes", "content")
    return content


def _filename(value: Any) -> str:
    """A bare file name: 0.9.7 silently dropped directories; we refuse them, so nothing lands elsewhere."""
    if value is None or value == "":
        raise Invalid("filename: required (a file name such as amphi_component_1.tsx)", "filename")
    if not isinstance(value, str):
        raise Invalid(f"filename: must be a string, got {type(value).__name__}", "filename")
    if "/" in value or "\\" in value:
        raise Invalid("filename: must be a file name, without a folder (no / or \\)", "filename")
    if value.strip() in ("", ".", ".."):
        raise Invalid(f"filename: {value!r} is not a file name", "filename")
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise Invalid("filename: contains a control character (NUL, line break…)", "filename")
    if len(value.encode()) > MAX_FILENAME_BYTES:
        raise Invalid(f"filename: longer than {MAX_FILENAME_BYTES} bytes", "filename")
    return value


class ComponentsHandler(SchedulerHandler):
    @property
    def files(self) -> ComponentFiles:
        return ComponentFiles(self.scheduler.config.root)


class ComponentsConfigHandler(ComponentsHandler):
    @endpoint
    async def get(self) -> None:
        self.reply(await self.call(self.files.read_config))

    @endpoint
    async def post(self) -> None:
        self.reply(await self.call(self.files.write_config, self.payload()))


class ComponentsFileHandler(ComponentsHandler):
    @endpoint
    async def post(self) -> None:
        self.reply(await self.call(self.files.save_component, self.payload()))

    @endpoint
    async def delete(self) -> None:
        self.reply(await self.call(self.files.delete_component, self.get_query_argument("filename", None)))


ROUTES: list[tuple[str, type[SchedulerHandler]]] = [
    ("components-config", ComponentsConfigHandler),
    ("components-file", ComponentsFileHandler),
]
