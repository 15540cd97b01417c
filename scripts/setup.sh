#!/usr/bin/env bash
# Prepares a development environment from nothing: system tools if missing, a virtualenv in .venv,
# the package installed editable (which builds the JupyterLab extension) with its test tools.
# Idempotent and quick when nothing changed. Sourced by scripts/lab.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SETUP_STARTED=${SETUP_STARTED:-$SECONDS}
log() { printf '\033[1m[setup +%ss]\033[0m %s\n' "$((SECONDS - SETUP_STARTED))" "$*"; }

# Runs a long step with its own output shown, and a line every 15 s while it is quiet (pip builds the
# JupyterLab extension without a word for minutes), so that nobody wonders whether it hangs.
with_progress() {
  local what=$1 started=$SECONDS ticker status=0
  shift
  ( while sleep 15 && kill -0 $$ 2>/dev/null; do log "… still ${what} ($((SECONDS - started)) s so far)"; done ) &
  ticker=$!
  "$@" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$status" = 0 ]; then log "${what}: done in $((SECONDS - started)) s"
  else log "${what}: failed (exit status $status) after $((SECONDS - started)) s"; fi
  return "$status"
}

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "missing: $* — install it with your package manager and run again"; exit 1
  fi
  log "installing Debian packages: $*"
  if [ -z "${APT_UPDATED:-}" ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq; export APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v python3 >/dev/null || apt_install python3 python3-venv python3-dev
python3 -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
  || { log "Python >= 3.10 is required"; exit 1; }
command -v node >/dev/null || apt_install nodejs npm
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
  with_progress "upgrading pip" .venv/bin/python -m pip install -q --upgrade pip
fi
export PATH="$PWD/.venv/bin:$PATH"

# Reinstall when the packaging inputs change; Python sources are live (editable install).
stamp=.venv/.amphi-scheduler-installed
inputs=$(cat pyproject.toml package.json packages/pipeline-scheduler/package.json yarn.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$inputs" ] || [ ! -f amphi/pipeline-scheduler/package.json ]; then
  log "installing amphi-scheduler (editable) with its dependencies, then building the JupyterLab extension"
  log "(the first time takes about 3 minutes; the build step prints nothing until it ends)"
  # The copy made for the symlinked install below would be packaged twice (shared-data).
  rm -f amphi/pipeline-scheduler/install.json
  with_progress "installing and building" python -m pip install --progress-bar off -e ".[test]"
  echo "$inputs" > "$stamp"
elif [ -n "$(find packages/pipeline-scheduler/src packages/pipeline-scheduler/style packages/pipeline-scheduler/schema \
              -newer amphi/pipeline-scheduler/package.json -type f 2>/dev/null | head -1)" ]; then
  log "frontend sources changed: rebuilding the extension"
  with_progress "rebuilding the extension" jlpm build
fi

# The editable install copies the built extension into .venv; link it instead so rebuilds show up.
installed=.venv/share/jupyter/labextensions/@amphi/pipeline-scheduler
if [ ! -L "$installed" ]; then
  cp install.json amphi/pipeline-scheduler/install.json
  rm -rf "$installed"
  ln -s "$PWD/amphi/pipeline-scheduler" "$installed"
fi
