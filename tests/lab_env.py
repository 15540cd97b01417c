"""A virtualenv with the oldest JupyterLab this package declares (``jupyterlab>=4.0``) and this package.

Our labextension's shared modules require ``@jupyterlab/*`` ^4.0.0 and pyproject ``jupyterlab>=4.0,<5``: this
venv holds the latest 4.0.x pip finds, with our wheel (built from the working tree by ``amphi_etl_env``, the
same cached build) installed next to it, pinned so that pip never upgrades JupyterLab for one of our
dependencies. JupyterLab is installed once; our wheel again only when its sources changed. Used, through
``python tests/lab_env.py`` (prints the venv's path), by the browser tests of ``scripts/ui-test.sh --lab40``.
"""

from __future__ import annotations

import sys

from amphi_etl_env import (
    CACHE,
    AmphiEtlEnv,
    build_wheel,
    check,
    fingerprint,
    locked,
    venv_with,
)

# The oldest minor release the declared range allows; pip picks its latest patch release.
LAB_SPEC = "jupyterlab==4.0.*"


def ensure() -> AmphiEtlEnv:
    """The venv, with JupyterLab 4.0.x and the current working tree's amphi-scheduler installed."""
    with locked("lab40-env"):
        key = fingerprint()
        wheel = build_wheel(key)
        venv = venv_with(CACHE / "lab40-venv", f"{LAB_SPEC} {sys.version_info[:2]}", [LAB_SPEC])
        env = AmphiEtlEnv(venv, wheel)
        stamp_file = venv / ".amphi-scheduler-installed"
        if not stamp_file.exists() or stamp_file.read_text() != key:
            # Dependencies first (JupyterLab held at 4.0), then our wheel itself again: a previous build of the same
            # version would otherwise count as installed already.
            check([env.bin("pip"), "install", "-q", str(wheel), LAB_SPEC], "installing our wheel and its dependencies")
            check([env.bin("pip"), "install", "-q", "--force-reinstall", "--no-deps", str(wheel)],
                  "reinstalling our wheel")
            stamp_file.write_text(key)
        return env


if __name__ == "__main__":
    print(ensure().venv)
