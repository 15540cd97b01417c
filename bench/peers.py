"""The peers we measure ourselves against, each installed in a venv of its own.

amphi-scheduler 0.9.7 installs the same ``pipeline_scheduler`` module as we do and jupyter-scheduler
pins its own dependencies, so neither can share our venv. Each venv is built once (with the same
interpreter as ours, so Python itself is the same on every side) under ``bench/.peers/`` and reused
while its requirement list is unchanged.

    .venv/bin/python bench/peers.py          # build (or check) every peer's venv and print versions
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import venv
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Client, PeerServer  # noqa: E402

PEERS_DIR = Path(__file__).resolve().parent / ".peers"


@dataclass(frozen=True)
class Peer:
    name: str
    requirements: tuple[str, ...]
    distribution: str  # whose version is printed
    extension: str | None
    prefix: str
    ready: str

    @property
    def home(self) -> Path:
        return PEERS_DIR / self.name

    @property
    def python(self) -> str:
        return str(self.home / "bin" / "python")

    def server(self) -> PeerServer:
        return PeerServer(python=self.python, extension=self.extension, prefix=self.prefix, ready=self.ready)


AMPHI_097 = Peer("amphi-scheduler-0.9.7", ("amphi-scheduler==0.9.7",), "amphi-scheduler",
                 "pipeline_scheduler", "/pipeline-scheduler/", "config")
JUPYTER_SCHEDULER = Peer("jupyter-scheduler", ("jupyter-scheduler", "ipykernel"), "jupyter-scheduler",
                         "jupyter_scheduler", "/scheduler/", "job_definitions")
# The floor: our own venv's Jupyter Server (JupyterLab and all) with our extension switched off.
BARE = PeerServer(python=sys.executable, extension=None, prefix="/api/", ready="status",
                  arguments=("--ServerApp.jpserver_extensions=pipeline_scheduler=False",))
# The stack's floor: the same server with our libraries started but none of our code (bench/stack_floor.py).
STACK_FLOOR = PeerServer(python=sys.executable, extension="stack_floor", prefix="/stack-floor/", ready="noop",
                         arguments=BARE.arguments, path=str(Path(__file__).resolve().parent))
PEERS = (AMPHI_097, JUPYTER_SCHEDULER)


def run_jupyter_scheduler_job(client: Client, notebook: str, timeout: float = 600.0) -> None:
    """One run of ``notebook`` as a jupyter-scheduler job, to its end. A new job reads ``STOPPED`` (its
    table's default) until its process starts; only a started job that stops has ended."""
    job = client.post("jobs", {"input_uri": notebook, "runtime_environment_name": "python3", "name": "bench",
                               "output_formats": ["ipynb"]})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = client.get(f"jobs/{job['job_id']}")
        if record["status"] == "COMPLETED":
            return
        if record["status"] == "FAILED" or (record["status"] == "STOPPED" and record.get("start_time")):
            raise RuntimeError(f"jupyter-scheduler job ended {record['status']}: {record.get('status_message')}")
        time.sleep(0.02)
    raise RuntimeError(f"jupyter-scheduler job still {record['status']} after {timeout:.0f} s")


def ensure(peer: Peer) -> str:
    """The peer's interpreter, building its venv first when missing or built from other requirements."""
    stamp = peer.home / "requirements.sha256"
    wanted = hashlib.sha256("\n".join(peer.requirements).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and Path(peer.python).exists():
        return peer.python
    print(f"  building the venv of {peer.name} ({', '.join(peer.requirements)}) ...", flush=True)
    venv.EnvBuilder(clear=True, with_pip=True).create(peer.home)
    subprocess.run([peer.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *peer.requirements], check=True)
    stamp.write_text(wanted)
    return peer.python


def version(peer: Peer) -> str:
    code = f"import importlib.metadata as m; print(m.version({peer.distribution!r}))"
    return subprocess.run([peer.python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    for peer in PEERS:
        ensure(peer)
        print(json.dumps({"peer": peer.name, "version": version(peer), "python": peer.python}))


if __name__ == "__main__":
    main()
