"""A virtualenv with the real Amphi ETL and this package, installed the way the README tells users to.

``pip install amphi-etl`` brings JupyterLab 4.5.3, the Amphi editor and amphi-scheduler 0.9.7 (its hard pin);
``pip install "amphi-scheduler>=1"`` then replaces 0.9.7 with this package, built here as a wheel from the
working tree (the built labextension in ``amphi/`` included). The venv is cached per machine (under
``~/.cache/amphi-scheduler-tests/``, or ``$AMPHI_SCHEDULER_TEST_CACHE``): Amphi ETL is installed once, our
wheel again only when its sources changed. Used by ``tests/test_amphi_etl_install.py`` and, through
``python tests/amphi_etl_env.py`` (prints the venv's path), by the browser tests of ``scripts/ui-test.sh``.
Its wheel build and venv helpers also make the JupyterLab 4.0 venv of ``lab_env``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_JSON = REPO / "packages" / "pipeline-scheduler" / "package.json"
# The release whose pins the test is about (JupyterLab 4.5.3, amphi-scheduler 0.9.7); a newer one may be tried
# with AMPHI_ETL_SPEC="amphi-etl==X".
AMPHI_ETL_SPEC = os.environ.get("AMPHI_ETL_SPEC", "amphi-etl==0.9.8")
# What a user types once amphi-etl is installed (the README's recipe).
OUR_SPEC = "amphi-scheduler>=1"
CACHE = Path(os.environ.get("AMPHI_SCHEDULER_TEST_CACHE", Path.home() / ".cache" / "amphi-scheduler-tests"))
# The build backend and its plugins (pyproject's build-system), without JupyterLab: the labextension is built.
WHEEL_BUILD_TOOLS = ["hatchling>=1.5.0", "hatch-nodejs-version>=0.3.2", "hatch-jupyter-builder>=0.5"]
# What goes into the wheel: the Python package, the built labextension and the packaging metadata.
WHEEL_INPUTS = ["pyproject.toml", "README.md", "install.json", "schema", "packages/pipeline-scheduler/package.json",
                "packages/pipeline-scheduler/pipeline_scheduler", "amphi/pipeline-scheduler"]
# Generated or local files that are not sources (_version.py is written by the build; install.json is the
# copy scripts/setup.sh puts next to the symlinked labextension, shipped from the root instead).
NOT_INPUTS = {"__pycache__", "_version.py", ".ipynb_checkpoints"}
NOT_IN_BUILT_EXTENSION = {"install.json"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in the output of jupyter's commands


@dataclass(frozen=True)
class AmphiEtlEnv:
    """The venv and the wheel of ours installed in it."""

    venv: Path
    wheel: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """A command of the venv (``jupyter``, ``pip``…), its output as text; never raises on failure."""
        env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = os.pathsep.join([str(self.venv / "bin"), env.get("PATH", "")])
        return subprocess.run([self.bin(argv[0]), *argv[1:]], capture_output=True, text=True, timeout=timeout,
                              env=env)

    def output(self, *argv: str) -> str:
        """What a command of the venv printed (stdout, then stderr), without colour codes."""
        done = self.run(*argv)
        return ANSI.sub("", done.stdout + done.stderr)

    def installed_version(self, distribution: str) -> str:
        """The version of ``distribution`` installed in the venv ("" when it is not)."""
        return self.run("python", "-c", "import importlib.metadata as m, sys\n"
                        "try: print(m.version(sys.argv[1]))\nexcept m.PackageNotFoundError: pass", distribution
                        ).stdout.strip()


def our_version() -> str:
    return json.loads(PACKAGE_JSON.read_text())["version"]


def progress(message: str) -> None:
    print(f"[test venv] {message}", file=sys.stderr, flush=True)


def check(argv: list[str], what: str) -> None:
    """Runs a set-up step; its output is shown only when it fails (pip's is long)."""
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{what} failed ({' '.join(argv)}):\n{done.stdout}\n{done.stderr}")
    progress(f"{what}: {time.monotonic() - started:.0f} s")


@contextmanager
def locked(name: str) -> Iterator[None]:
    """One builder at a time per machine (pytest and the browser tests may start together)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def venv_with(path: Path, stamp: str, packages: list[str]) -> Path:
    """A venv at ``path`` with ``packages`` installed, made again when ``stamp`` changes."""
    stamp_file = path / ".amphi-tests-stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return path
    shutil.rmtree(path, ignore_errors=True)
    check([sys.executable, "-m", "venv", str(path)], f"creating {path.name}")
    check([str(path / "bin" / "python"), "-m", "pip", "install", "-q", *packages], f"pip install {' '.join(packages)}")
    stamp_file.write_text(stamp)
    return path


def input_files() -> Iterator[tuple[Path, Path]]:
    """(source, path inside the build tree) for every file the wheel is built from."""
    for entry in WHEEL_INPUTS:
        source = REPO / entry
        if source.is_file():
            yield source, Path(entry)
            continue
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(REPO)
            if path.is_file() and not NOT_INPUTS.intersection(relative.parts) and not (
                    entry.startswith("amphi/") and path.name in NOT_IN_BUILT_EXTENSION):
                yield path, relative


def fingerprint() -> str:
    digest = hashlib.sha256()
    for source, relative in input_files():
        digest.update(str(relative).encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_wheel(key: str) -> Path:
    """Our wheel, built from a copy of the working tree's inputs (cached by their fingerprint)."""
    out = CACHE / "wheels" / key
    wheels = sorted(out.glob("amphi_scheduler-*.whl"))
    if wheels:
        return wheels[0]
    if not (REPO / "amphi" / "pipeline-scheduler" / "static" / "style.js").exists():
        raise RuntimeError("the labextension is not built: run scripts/setup.sh (or jlpm build) first")
    tools = venv_with(CACHE / "wheel-build-tools", " ".join(WHEEL_BUILD_TOOLS), WHEEL_BUILD_TOOLS)
    with tempfile.TemporaryDirectory(prefix="amphi-scheduler-wheel-") as tree:
        for source, relative in input_files():
            (Path(tree) / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, Path(tree) / relative)
        check([str(tools / "bin" / "python"), "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
               "-w", str(out), tree], "building our wheel")
    for older in out.parent.iterdir():  # the builds of earlier sources are not needed again
        if older != out:
            shutil.rmtree(older, ignore_errors=True)
    return sorted(out.glob("amphi_scheduler-*.whl"))[0]


def ensure() -> AmphiEtlEnv:
    """The venv, with Amphi ETL and the current working tree's amphi-scheduler installed."""
    with locked("amphi-etl-env"):
        key = fingerprint()
        wheel = build_wheel(key)
        venv = venv_with(CACHE / "amphi-etl-venv", f"{AMPHI_ETL_SPEC} {sys.version_info[:2]}", [AMPHI_ETL_SPEC])
        env = AmphiEtlEnv(venv, wheel)
        stamp_file = venv / ".amphi-scheduler-installed"
        if not stamp_file.exists() or stamp_file.read_text() != key:
            # An earlier build of ours (same version, other contents) would count as satisfying the spec: it goes
            # first. amphi-etl's 0.9.7 is left for pip to replace, as it does for users.
            if env.installed_version("amphi-scheduler") == our_version():
                check([env.bin("pip"), "uninstall", "-y", "-q", "amphi-scheduler"], "removing our previous build")
            check([env.bin("pip"), "install", "-q", "--find-links", str(wheel.parent), OUR_SPEC],
                  f"pip install {OUR_SPEC} (our wheel)")
            stamp_file.write_text(key)
        return env


if __name__ == "__main__":
    print(ensure().venv)
