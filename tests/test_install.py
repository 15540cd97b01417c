"""Installing the package is enough: the server extension and the lab extension are both enabled."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

JUPYTER = [sys.executable, "-m", "jupyter"]


def listing(*command: str) -> str:
    done = subprocess.run([*JUPYTER, *command], capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


def test_server_extension_is_enabled_by_the_shipped_config() -> None:
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing("server", "extension", "list"))
    assert re.search(r"pipeline_scheduler\s+enabled", text), text
    assert re.search(r"pipeline_scheduler\s+\S*\s*OK", text), text


def test_lab_extension_is_installed_and_enabled() -> None:
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing("labextension", "list"))
    assert re.search(r"@amphi/pipeline-scheduler v\S+ enabled\s+OK", text), text


def test_installed_extension_carries_the_open_command() -> None:
    installed = Path(sys.prefix, "share", "jupyter", "labextensions", "@amphi", "pipeline-scheduler")
    bundles = "".join(path.read_text(errors="ignore") for path in (installed / "static").glob("*.js"))
    assert "pipeline-scheduler:open" in bundles
