"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a data directory under the
test's temporary folder, a free loopback port; stopped and removed afterwards.

As root, the cluster runs as the ``postgres`` system user (``initdb`` refuses root). Nothing is
skipped: if PostgreSQL cannot start, the tests that need it fail, saying why.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql); scripts/test.sh "
                           "installs it")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    def __init__(self) -> None:
        # its own folder under the system's temporary directory: the ``postgres`` user must reach it
        self.base = Path(tempfile.mkdtemp(prefix="amphi-postgres-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.port = _free_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> PostgresCluster:
        self.sockets.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run([_binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--no-sync"])
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run([_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "server.log"), "-w",
                   "start"])
        return self

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL (psycopg 3)."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        self._run([_binary("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name])
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(self._as + [_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, check=False)
        shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, argv: list[str]) -> None:
        completed = subprocess.run(self._as + argv, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            log = self.base / "server.log"
            raise RuntimeError(f"{' '.join(argv)} failed ({completed.returncode}): {completed.stderr}"
                               + (log.read_text() if log.exists() else ""))
