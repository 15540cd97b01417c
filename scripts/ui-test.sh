#!/usr/bin/env bash
# Browser tests of the JupyterLab extension (ui-tests/): a real JupyterLab with the scheduler on a
# temporary root, driven by Playwright + Galata in Debian's chromium. Works on a fresh Debian
# machine as root: installs chromium when missing, sets up .venv and the extension
# (scripts/setup.sh), installs the test tools, runs the tests. Exits non-zero on failure.
#
#   bash scripts/ui-test.sh                 # every browser test
#   bash scripts/ui-test.sh -g "run now"    # extra arguments go to `playwright test` (our JupyterLab only)
#   bash scripts/ui-test.sh --amphi-etl     # only the tests with the real Amphi ETL editor (+ arguments)
#   bash scripts/ui-test.sh --lab40         # only the tests on JupyterLab 4.0.x (+ arguments)
#
# The tests with the real Amphi ETL editor (tests/amphi-etl.spec.ts) run on the JupyterLab of a venv
# where `pip install amphi-etl` then `pip install "amphi-scheduler>=1"` (our wheel) were run, as the
# README says: tests/amphi_etl_env.py makes it, cached under ~/.cache/amphi-scheduler-tests/ (the first
# time takes about 2.5 minutes; later only our wheel is rebuilt and reinstalled when it changed).
# The tests on the oldest JupyterLab we declare (tests/lab40.spec.ts) run likewise on a venv with
# `jupyterlab==4.0.*` and our wheel, made by tests/lab_env.py (about 1.5 minutes the first time).
#
# Screenshots (the panel, forms, run views, the README gallery in gallery/) are kept in
# ui-tests/artifacts/; UPDATE_DOCS_SCREENSHOTS=1 also refreshes docs/screenshots/;
# failures leave traces in ui-tests/test-results/ and a report in ui-tests/playwright-report/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

uilog() { printf '\033[1m[ui-test]\033[0m %s\n' "$*"; }

# The browser: Debian's chromium (Playwright's own download is not needed).
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    uilog "installing chromium (apt-get)"
    if [ -z "${APT_UPDATED:-}" ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; export APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    uilog "chromium is missing at $CHROMIUM_PATH: install it (apt-get install chromium) or set CHROMIUM_PATH"
    exit 1
  fi
fi

# Python environment, server extension and built labextension (idempotent, quick when done).
source scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
if [ ! -f amphi/pipeline-scheduler/package.json ]; then
  uilog "building the extension"
  jlpm install && jlpm build
fi

# Test tools (Galata, Playwright) in ui-tests/, from its own lockfile.
cd ui-tests
stamp=node_modules/.amphi-ui-tests-installed
inputs=$(cat package.json yarn.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$inputs" ]; then
  uilog "installing the test tools (jlpm install in ui-tests/)"
  # Playwright's browser downloads are not used: the tests run the system chromium.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 jlpm install --immutable
  echo "$inputs" > "$stamp"
fi

roots=()
trap 'rm -rf "${roots[@]}"' EXIT

# Runs one suite (its Playwright arguments) on a throw-away JupyterLab: on a free port unless UI_TEST_PORT
# is given, with a new temporary root.
run_suite() {
  local what=$1 port=${UI_TEST_PORT:-} start status=0 root
  shift
  if [ -z "$port" ]; then
    port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  fi
  root=$(mktemp -d "${TMPDIR:-/tmp}/amphi-ui-tests.XXXXXX")
  roots+=("$root")
  uilog "$what: JupyterLab on 127.0.0.1:$port, root $root, browser $CHROMIUM_PATH"
  start=$(date +%s)
  UI_TEST_PORT=$port JUPYTERLAB_GALATA_ROOT_DIR=$root jlpm playwright test "$@" || status=$?
  uilog "$what: finished in $(( $(date +%s) - start )) s with status $status"
  return "$status"
}

# The venv with the real Amphi ETL and our wheel (built from this tree), then its suite.
run_amphi_etl_suite() {
  local start=$(date +%s) venv
  uilog "preparing the venv with amphi-etl and this package (tests/amphi_etl_env.py)"
  venv=$(cd .. && python tests/amphi_etl_env.py) || return 1
  uilog "venv ready in $(( $(date +%s) - start )) s: $venv"
  AMPHI_ETL_VENV=$venv run_suite "with the real Amphi ETL" --config playwright.amphi-etl.config.js "$@"
}

# The venv with JupyterLab 4.0.x and our wheel, then its suite.
run_lab40_suite() {
  local start=$(date +%s) venv
  uilog "preparing the venv with JupyterLab 4.0 and this package (tests/lab_env.py)"
  venv=$(cd .. && python tests/lab_env.py) || return 1
  uilog "venv ready in $(( $(date +%s) - start )) s: $venv"
  LAB40_VENV=$venv run_suite "on JupyterLab 4.0" --config playwright.lab40.config.js "$@"
}

status=0
if [ "${1:-}" = "--amphi-etl" ]; then
  shift
  run_amphi_etl_suite "$@" || status=$?
elif [ "${1:-}" = "--lab40" ]; then
  shift
  run_lab40_suite "$@" || status=$?
else
  run_suite "our JupyterLab" "$@" || status=$?
  if [ "$#" = 0 ]; then
    run_amphi_etl_suite || status=1
    run_lab40_suite || status=1
  fi
fi
uilog "screenshots: ui-tests/artifacts/ (and ui-tests/artifacts/gallery/); failures of the Amphi ETL tests: ui-tests/artifacts/amphi-etl-results/, of those on JupyterLab 4.0: ui-tests/artifacts/lab40-results/"
exit "$status"
