"""The floor under our server, as a Jupyter Server extension: what the stack costs before our code.

It starts what our server is built on and nothing of ours: an APScheduler ``BackgroundScheduler``
with its SQLAlchemy job store on an SQLite file (the stack the product names) and pydantic imported
(our payloads' validator), and serves one authenticated endpoint that does nothing.
``compare.py`` measures it as a side of its own, so two of #14's targets can be read against what
any extension on this stack can reach in the same run:

- its idle RSS over a bare server's: what these libraries cost, before one line of ours;
- ``POST noop`` (Jupyter's request handling and authentication, no work): added to a bare
  ``python file.py``, the fastest any run-now through Jupyter's HTTP API can answer.

Loaded only by the benchmarks (``bench/`` on the server's ``PYTHONPATH``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic  # noqa: F401  (imported for its cost: our payloads are pydantic models)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from jupyter_server.base.handlers import APIHandler
from tornado import web

PREFIX = "/stack-floor/"


class NoopHandler(APIHandler):
    """Authenticated, and nothing else."""

    @web.authenticated
    def get(self) -> None:
        self.finish(b'{"ok": true}')

    @web.authenticated
    def post(self) -> None:
        self.finish(b'{"success": true}')


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "stack_floor"}]


def _load_jupyter_server_extension(app: Any) -> None:
    database = Path(app.root_dir) / ".stack-floor.sqlite"
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{database}")})
    scheduler.start()
    app.web_app.settings["stack_floor_scheduler"] = scheduler  # kept alive with the server
    app.web_app.add_handlers(".*$", [(f"{PREFIX}noop", NoopHandler)])
