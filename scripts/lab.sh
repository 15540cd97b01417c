#!/usr/bin/env bash
# Quick start: set everything up (with progress), then launch JupyterLab with the scheduler, serving
# a workspace folder outside the source tree: ~/amphi-workspace (created if missing), or
# `--root DIR`. Your files and the scheduler's data (<workspace>/.amphi/: its SQLite store, logs)
# live there. Every other argument goes to `jupyter lab` (e.g. --port 9999).
set -euo pipefail
started_in=$PWD
root="$HOME/amphi-workspace"
args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --root) [ "$#" -ge 2 ] || { echo "lab.sh: --root needs a folder" >&2; exit 2; }; root=$2; shift 2 ;;
    --root=*) root=${1#--root=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$root" in
  /*) ;;
  "~"|"~/"*) root="$HOME${root#\~}" ;;
  *) root="$started_in/$root" ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

mkdir -p "$root"
root=$(cd "$root" && pwd -P)
log "serving the workspace $root (its .amphi/ holds the scheduler's data); --root DIR serves another folder"
log "starting JupyterLab (took $((SECONDS - SETUP_STARTED)) s to get here)"
cd "$root"
# Jupyter refuses to run as root unless told; allowing it is harmless for other users.
exec jupyter lab --ServerApp.allow_root=True --ServerApp.root_dir="$root" ${args[@]+"${args[@]}"}
