"""Installed with the oldest JupyterLab we declare (4.0.x), this package's extensions are enabled and compatible.

One venv (cached, see ``lab_env``) holds ``jupyterlab==4.0.*`` and our wheel. Checked here: pip finds every
requirement met with JupyterLab still at 4.0, and JupyterLab's own listings call both our extensions OK. That
JupyterLab 4.0 loads our labextension in a browser without "Unsatisfied version" warnings, and that the panel and
the job form work there, is checked by ``ui-tests/tests/lab40.spec.ts`` on the same venv.
"""

from __future__ import annotations

import re

import pytest
from amphi_etl_env import AmphiEtlEnv, our_version
from lab_env import ensure

# The first run installs JupyterLab 4.0 and our dependencies from the registries (about 1.5 minutes); later runs
# reuse the cached venv.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def env() -> AmphiEtlEnv:
    return ensure()


def test_our_requirements_are_met_with_jupyterlab_4_0(env: AmphiEtlEnv) -> None:
    done = env.run("pip", "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert env.installed_version("jupyterlab").startswith("4.0.")
    assert env.installed_version("amphi-scheduler") == our_version()


def test_our_labextension_is_enabled_and_compatible(env: AmphiEtlEnv) -> None:
    text = env.output("jupyter", "labextension", "list")
    assert re.search(r"JupyterLab v4\.0\.", text), text
    assert re.search(rf"@amphi/pipeline-scheduler v{re.escape(our_version())} enabled\s+OK \(python, amphi-scheduler\)",
                     text), text
    assert "may be outdated" not in text, text


def test_our_server_extension_is_enabled_and_loads(env: AmphiEtlEnv) -> None:
    text = env.output("jupyter", "server", "extension", "list")
    assert re.search(r"pipeline_scheduler\s+enabled", text), text
    assert re.search(rf"pipeline_scheduler {re.escape(our_version())}\s+OK", text), text
