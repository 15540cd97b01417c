#!/usr/bin/env bash
# Quick start: set everything up, then launch JupyterLab with the scheduler on its default SQLite
# store (<root>/.amphi/scheduler.sqlite). Extra arguments go to `jupyter lab`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
# Jupyter refuses to run as root unless told; allowing it is harmless for other users.
exec jupyter lab --ServerApp.allow_root=True "$@"
