"""Jupyter Server configuration of the browser tests on JupyterLab 4.0 (tests/lab40.spec.ts).

The test server of the other browser tests (jupyter_server_test_config.py: FOR TESTS ONLY, no auth,
127.0.0.1, a temporary root), with what these tests otherwise get from Galata 5.6, made for JupyterLab 4.5:
a workspace of their own (JupyterLab 4.0's Galata helper leaves it in ~/.jupyter/lab/workspaces/, where the
next run would start from this one's layout and panel state) and no "Jupyter news?" prompt over the corner of
the main area (Galata's page fixture mocks that setting; these tests use a plain Playwright page).
"""

import json
from pathlib import Path

load_subconfig("jupyter_server_test_config.py")  # noqa: F821 (provided by Jupyter when it loads this file)

c = get_config()  # noqa: F821
# Under the temporary root (hidden from the file browser, removed with it by scripts/ui-test.sh).
lab_state = Path(c.ServerApp.root_dir) / ".jupyterlab-state"
c.LabApp.workspaces_dir = str(lab_state / "workspaces")
c.LabApp.user_settings_dir = str(lab_state / "user-settings")
notification_settings = lab_state / "user-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
notification_settings.parent.mkdir(parents=True, exist_ok=True)
notification_settings.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
