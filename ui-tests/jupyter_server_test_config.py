"""Jupyter Server configuration of the browser tests: a throw-away JupyterLab with the scheduler.

FOR TESTS ONLY: galata's helper turns authentication off (empty token, no password, no XSRF
check). The server therefore only listens on 127.0.0.1, on a port of its own (UI_TEST_PORT,
default 8890), with a temporary root directory (JUPYTERLAB_GALATA_ROOT_DIR, else a new temp dir),
so the scheduler starts with an empty database under <root>/.amphi/.
"""

import os

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("UI_TEST_PORT", "8890"))
c.ServerApp.allow_root = True
c.ServerApp.open_browser = False
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
# Runs of the tests are short; keep the scheduler lively and predictable.
c.PipelineSchedulerApp.max_concurrent_runs = 4
