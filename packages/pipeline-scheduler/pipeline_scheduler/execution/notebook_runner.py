"""Execute a notebook, printing each cell's outputs as it finishes, and save the executed copy.

Usage: ``python -m pipeline_scheduler.execution.notebook_runner IN.ipynb OUT.ipynb [--cell-timeout S]``.
Exit status 0 when every cell ran, 1 when a cell raised (its traceback is printed), 2 for a
notebook that cannot be read. The executed notebook is written in every case it can be.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def print_outputs(cell: nbformat.NotebookNode, **_: object) -> None:
    """Cell hook: the text a person would have seen under the cell, in the run log."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            print(output.get("text", ""), end="", flush=True)
        elif output.get("output_type") in ("execute_result", "display_data"):
            text = output.get("data", {}).get("text/plain")
            if text:
                print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline_scheduler.execution.notebook_runner")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--cell-timeout", type=float, default=None)
    options = parser.parse_args(argv)
    try:
        notebook = nbformat.read(options.notebook, as_version=4)
    except (OSError, ValueError) as error:
        print(f"cannot read {options.notebook}: {error}", file=sys.stderr)
        return 2
    client = NotebookClient(notebook, timeout=options.cell_timeout, on_cell_executed=print_outputs,
                            resources={"metadata": {"path": str(Path.cwd())}})
    status = 0
    try:
        client.execute()
    except CellExecutionError as error:
        print(error, file=sys.stderr, flush=True)
        status = 1
    finally:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, options.output)
    print(f"executed notebook saved to {options.output}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
