"""A lean server: Alembic upgrades the schema in a short-lived child process, so the server never keeps it;
nor does it hold SQLAlchemy's ORM (its queries are Core) or the dialect of a database it does not use.

Each check runs in a fresh interpreter (this test process has imported Alembic long ago), on a real
SQLite file: what matters is which modules the process that opens the store ends up holding.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from pipeline_scheduler.storage.schema import MIGRATIONS, VERSION_TABLE, newest_revision

HEAVY = ("alembic", "mako", "sqlalchemy.orm", "sqlalchemy.dialects.postgresql")
OPEN_STORE = f"""
import json, sys
import pipeline_scheduler.extension
from pipeline_scheduler.storage.coordination import Coordination
from pipeline_scheduler.storage.store import Store
from pipeline_scheduler.storage.tables import make_engine
engine = make_engine(sys.argv[1])
Store(engine)
Coordination(engine).acquire("probe", "me", 1.0)
print(json.dumps(sorted(set(sys.modules) & set({HEAVY!r}))))
"""


def open_store(database: Path) -> list[str]:
    """Open the store on ``database`` in a new interpreter; the heavy modules it holds afterwards."""
    completed = subprocess.run([sys.executable, "-c", OPEN_STORE, f"sqlite:///{database}"], capture_output=True,
                               text=True, timeout=60, check=True)
    return json.loads(completed.stdout)


def test_the_newest_revision_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert newest_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_the_schema_is_built_and_kept_without_alembic_in_the_server(tmp_path: Path) -> None:
    database = tmp_path / "scheduler.sqlite"
    assert open_store(database) == []  # an empty database: upgraded by the child process
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    assert {"ps_jobs", "ps_runs", "ps_dependencies", "ps_servers", "ps_leases"} <= tables
    assert revision == [(newest_revision(),)]

    assert open_store(database) == []  # at the newest revision: one query, no child


def test_a_failed_upgrade_is_reported(tmp_path: Path) -> None:
    database = tmp_path / "scheduler.sqlite"
    with sqlite3.connect(database) as connection:  # a revision no migration knows
        connection.execute(f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL)")
        connection.execute(f"INSERT INTO {VERSION_TABLE} VALUES ('9999')")
    completed = subprocess.run([sys.executable, "-c", OPEN_STORE, f"sqlite:///{database}"], capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode != 0
    assert "upgrading the database schema failed" in completed.stderr and "9999" in completed.stderr


RELEASE = """
import json, psutil
from pipeline_scheduler.memory import release_freed_memory
rss = lambda: psutil.Process().memory_info().rss
rows = ["x" * 700 + str(index) for index in range(60_000)]  # a listing's worth of job documents
kept = rows[::50]  # a few stay alive among the freed: the heap cannot shrink by itself
del rows
freed = rss()
release_freed_memory()
print(json.dumps([freed, rss()]))
"""


def test_memory_freed_after_a_large_listing_goes_back_to_the_system() -> None:
    """Freed documents leave glibc's heap full of holes that only ``malloc_trim`` hands back."""
    completed = subprocess.run([sys.executable, "-c", RELEASE], capture_output=True, text=True, timeout=60, check=True)
    freed, trimmed = json.loads(completed.stdout)
    assert freed - trimmed > 20e6, (freed, trimmed)


LARGE_BLOCKS = """
import json, sys, psutil
from pipeline_scheduler.memory import return_large_blocks_when_freed
if sys.argv[1] == "fixed":
    return_large_blocks_when_freed()
rss = lambda: psutil.Process().memory_info().rss
first = bytearray(16 << 20)
del first  # a large block freed: glibc would now keep blocks of up to 16 MB on its heap
before = rss()
bodies = [bytearray(4 << 20) for _ in range(8)]  # a listing's body and its copies, 32 MB touched
for body in bodies:
    body[::4096] = b"x" * len(body[::4096])
pinned = [bytearray(200) for _ in range(1000)]  # small blocks allocated after them, still alive
del bodies
print(json.dumps(rss() - before))
"""


def test_large_blocks_go_back_to_the_system_when_freed() -> None:
    """With glibc's threshold fixed, a freed multi-MB block leaves the process at once; without, it stays."""
    def kept_after_free(mode: str) -> int:
        completed = subprocess.run([sys.executable, "-c", LARGE_BLOCKS, mode], capture_output=True, text=True,
                                   timeout=60, check=True)
        return json.loads(completed.stdout)

    assert kept_after_free("fixed") < 12e6  # of 32 MB freed
    assert kept_after_free("dynamic") > 24e6  # the control: the default really keeps them


IDLE_SERVER = """
import json, os, sys, tempfile
from jupyter_server.serverapp import ServerApp
from tornado.ioloop import IOLoop
root = sys.argv[1]
os.makedirs(os.path.join(root, ".amphi", "jobs"))
app = ServerApp()
app.initialize(argv=[f"--ServerApp.root_dir={root}", "--ServerApp.allow_root=True", "--ServerApp.open_browser=False",
                     "--ServerApp.port=0", "--ServerApp.jpserver_extensions=pipeline_scheduler=True",
                     "--PipelineSchedulerApp.timezone=UTC", f"--ServerApp.runtime_dir={root}/runtime"])
RUNNER = ("pipeline_scheduler.runner.config", "pipeline_scheduler.runner.registry", "pipeline_scheduler.runner.plugins",
          "pipeline_scheduler.runner.schedule")
def report():
    try:
        scheduler = app.web_app.settings["pipeline_scheduler"]
        idle = sorted(set(sys.modules) & set(RUNNER))
        plugins = [plugin["name"] for plugin in scheduler.plugins.get().to_dict()["plugins"]]
        print(json.dumps({"idle": idle, "after": sorted(set(sys.modules) & set(RUNNER)), "plugins": plugins}))
        scheduler.stop()
    finally:
        sys.stdout.flush()
        os._exit(0)
IOLoop.current().call_later(1.0, report)
app.start()
"""


def test_an_idle_server_loads_the_runner_only_when_asked(tmp_path: Path) -> None:
    """A server with an empty jobs directory holds none of the runner's machinery (~2 MB) until a runner
    config or the plugin list needs it; then the registry loads with the built-in plugins."""
    completed = subprocess.run([sys.executable, "-c", IDLE_SERVER, str(tmp_path)], capture_output=True, text=True,
                               timeout=90, check=True)
    assert completed.stdout.strip(), completed.stderr[-2000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["idle"] == []
    assert "pipeline_scheduler.runner.registry" in report["after"]
    assert {"env", "lifetime", "os", "python"} <= set(report["plugins"])


def test_each_sqlite_connection_caches_little(tmp_path: Path) -> None:
    """Every pooled connection has its own page cache: SQLite's 2 MB each would hold megabytes at 10,000 jobs."""
    from pipeline_scheduler.storage.tables import SQLITE_CACHE_KIB, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'scheduler.sqlite'}")
    with engine.connect() as first, engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
    assert SQLITE_CACHE_KIB < 2000
    engine.dispose()
