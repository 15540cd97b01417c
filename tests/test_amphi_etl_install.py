"""Installed next to the real Amphi ETL, this package is the scheduler JupyterLab loads.

One venv (cached, see ``amphi_etl_env``) gets ``pip install amphi-etl`` then ``pip install "amphi-scheduler>=1"``,
as the README says. Checked here: pip's only complaint is amphi-etl's pin on 0.9.7, JupyterLab stays at the
version amphi-etl pins, both packages' extensions are enabled and compatible, and a JupyterLab started from the
venv serves our labextension and answers our routes. That no "Unsatisfied version" warning appears in a browser
is checked by ``ui-tests/tests/amphi-etl.spec.ts`` on the same venv.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from amphi_etl_env import PACKAGE_JSON, REPO, AmphiEtlEnv, ensure, our_version
from server_process import free_port

# The first run installs Amphi ETL and our dependencies from the registries (about 2.5 minutes); later runs
# reuse the cached venv.
pytestmark = pytest.mark.timeout(900)


def test_the_built_labextension_requires_of_jupyterlab_only_what_package_json_declares() -> None:
    """A dependency without its own ``sharedPackages`` range gets the builder's (the JupyterLab it was built
    with, e.g. ^4.6.4), and every older JupyterLab warns "Unsatisfied version" for it: no such range ships."""
    package = json.loads(PACKAGE_JSON.read_text())
    declared = {name: package["jupyterlab"]["sharedPackages"].get(name, {}).get("requiredVersion")
                for name in package["dependencies"]}
    assert {name: declared[name] for name in declared if declared[name] != package["dependencies"][name]} == {}
    # What the browser enforces: webpack's requirement ranges in the built remoteEntry ("^4.0.0" as [1,4,0,0]).
    remote_entry = next((REPO / "amphi" / "pipeline-scheduler" / "static").glob("remoteEntry.*.js")).read_text()
    required = dict(re.findall(r'loadSingletonVersion\("default", "([^"]+)", false, \[1,([\d,]+)\]\)', remote_entry))
    assert required, "no shared module requirements found in the built remoteEntry"
    assert {name: "^" + version.replace(",", ".") for name, version in required.items()} == {
        name: declared[name] for name in required}


@pytest.fixture(scope="module")
def env() -> AmphiEtlEnv:
    return ensure()


def amphi_etl_pin(env: AmphiEtlEnv, distribution: str) -> str:
    """The exact version amphi-etl requires of ``distribution`` (``name==version`` in its metadata)."""
    requires = env.run("python", "-c", "import importlib.metadata as m; print(*m.requires('amphi-etl'), sep='\\n')")
    return next(line.split("==", 1)[1] for line in requires.stdout.splitlines()
                if line.startswith(f"{distribution}=="))


def test_pip_complains_only_about_amphi_etls_pin_on_the_old_scheduler(env: AmphiEtlEnv) -> None:
    done = env.run("pip", "check")
    problems = done.stdout.strip().splitlines()
    assert done.returncode == 1 and problems == [
        f"amphi-etl {env.installed_version('amphi-etl')} has requirement "
        f"amphi-scheduler=={amphi_etl_pin(env, 'amphi-scheduler')}, "
        f"but you have amphi-scheduler {our_version()}."], done.stdout + done.stderr
    assert env.installed_version("amphi-scheduler") == our_version()


def test_installing_us_keeps_the_jupyterlab_amphi_etl_pins(env: AmphiEtlEnv) -> None:
    assert env.installed_version("jupyterlab") == amphi_etl_pin(env, "jupyterlab")


def test_labextensions_of_both_packages_are_enabled_and_ours_is_compatible(env: AmphiEtlEnv) -> None:
    text = env.output("jupyter", "labextension", "list")
    extensions = dict(re.findall(r"^\s+(@amphi/\S+) v\S+ (enabled.*)$", text, re.MULTILINE))
    assert extensions["@amphi/pipeline-scheduler"].split()[:2] == ["enabled", "OK"], text
    assert re.search(rf"@amphi/pipeline-scheduler v{re.escape(our_version())} enabled\s+OK \(python, amphi-scheduler\)",
                     text), text
    # Amphi's editor, its components and its panels: all enabled (the editor itself declares a range of
    # @jupyterlab/services that JupyterLab 4.5.3 is outside of, upstream: `jupyter labextension list` marks it X).
    assert {"@amphi/pipeline-editor", "@amphi/pipeline-components-manager", "@amphi/components-panel"} <= set(extensions)
    assert all(state.startswith("enabled") for state in extensions.values()), text
    outdated = text.split("may be outdated", 1)[1] if "may be outdated" in text else ""
    assert "@amphi/pipeline-scheduler" not in outdated, text


def test_our_server_extension_is_enabled_and_loads(env: AmphiEtlEnv) -> None:
    text = env.output("jupyter", "server", "extension", "list")
    assert re.search(r"pipeline_scheduler\s+enabled", text), text
    assert re.search(rf"pipeline_scheduler {re.escape(our_version())}\s+OK", text), text
    assert "outside a proper installation" not in text, text  # 0.9.7's warning: its code is gone


@pytest.fixture
def lab(env: AmphiEtlEnv, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A JupyterLab of the venv on a temporary root: (base URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp_path / "jupyter-lab.log", "wb")
    process = subprocess.Popen([env.bin("jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                                f"--ServerApp.root_dir={tmp_path}", "--ServerApp.allow_root=True",
                                f"--IdentityProvider.token={token}"],
                               stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(url, token, "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "jupyter-lab.log").read_text()
                time.sleep(0.3)
        yield url, token
    finally:
        process.terminate()
        process.wait(30)


def get(url: str, token: str, path: str) -> bytes:
    request = urllib.request.Request(url + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def test_jupyterlab_of_the_venv_serves_our_labextension_and_answers_our_routes(lab: tuple[str, str]) -> None:
    url, token = lab
    page = get(url, token, "/lab").decode()
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.DOTALL).group(1))
    federated = {extension["name"]: extension for extension in config["federated_extensions"]}
    assert "@amphi/pipeline-editor" in federated
    assert re.fullmatch(r"static/remoteEntry\.\w+\.js", federated["@amphi/pipeline-scheduler"]["load"])
    served = get(url, token, f"/lab/extensions/@amphi/pipeline-scheduler/{federated['@amphi/pipeline-scheduler']['load']}")
    assert f'register("@amphi/pipeline-scheduler", "{our_version()}"'.encode() in served

    assert json.loads(get(url, token, "/pipeline-scheduler/jobs"))["jobs"] == []
