#!/usr/bin/env bash
# Quick start: set everything up, then run every test: Python (pytest, against real Jupyter servers,
# SQLite files, a throwaway PostgreSQL cluster and processes), the frontend's unit tests (jest) and
# the browser tests (Playwright in Debian's chromium). The real Amphi ETL and the oldest JupyterLab we
# declare (4.0) are tested next to this package from venvs cached under ~/.cache/amphi-scheduler-tests/
# (tests/amphi_etl_env.py, tests/lab_env.py: made by the first of pytest and the browser tests that
# needs them). CI runs exactly this (.ci/run). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
# The tests of the PostgreSQL store start a throwaway cluster with Debian's server binaries.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
# The test of the scheduler as a JupyterHub service runs JupyterHub's proxy (an npm package).
export CHP_DIR="${CHP_DIR:-$HOME/.cache/amphi-scheduler-tests/chp}"
if [ ! -x "$CHP_DIR/node_modules/.bin/configurable-http-proxy" ]; then
  command -v npm >/dev/null || apt_install npm
  npm install --prefix "$CHP_DIR" --no-audit --no-fund --loglevel=error configurable-http-proxy >/dev/null
fi

failed=()
status=0
# Two workers, a test file each at a time: most tests wait on servers and processes, not the CPU.
python -m pytest tests -n 2 --dist loadfile "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "no Python tests were collected: treating that as a failure"; status=1
fi
[ "$status" = 0 ] || failed+=("pytest")

jlpm test || failed+=("jest")
bash scripts/ui-test.sh || failed+=("browser tests")

if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}"; exit 1
fi
echo "all test suites passed"
