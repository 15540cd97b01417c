"""Execute a notebook for one run: parameters injected, progress and outputs in the log, the executed
copy (and an HTML export) kept as the run's artifacts.

Usage: ``python -m pipeline_scheduler.execution.notebook_runner NOTEBOOK OUTPUT_DIR [--kernel NAME]
[--parameters JSON] [--html]``; ``... --serve KERNEL``: a prestarted runner with
a kernel already started, which waits for its run on stdin (see :mod:`.notebooks.warm`). Exit status 0 when every cell ran, 1 when one
raised or the kernel failed, 2 for a notebook that cannot be read. The executed notebook is
written in every case it can be; why a run failed is written to ``OUTPUT_DIR/.outcome.json``
(cell number, exception name and message), which the server records as the run's error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from .notebooks.artifacts import KERNEL_LOG_FILE, OUTCOME_FILE
from .notebooks.kernel_output import KernelOutput
from .notebooks.parameters import INJECTED_TAG, cell_source, inject

EXIT_FAILED, EXIT_UNREADABLE = 1, 2


def skip_slow_format_checkers() -> None:
    """Make ``import nbformat`` cost milliseconds instead of seconds.

    nbformat imports jsonschema, whose format checkers import ``rfc3987_syntax`` when installed
    (JupyterLab installs it), which compiles a grammar at import: ~2 s of every run. Notebook
    schemas use no IRI format, so the runner hides that module and jsonschema skips the checker."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pipeline_scheduler.execution.notebook_runner")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--kernel", default="")
    parser.add_argument("--parameters", type=json.loads, default=None)
    parser.add_argument("--html", action="store_true")
    return parser.parse_args(argv)


def say(text: str) -> None:
    print(text, flush=True)


def code_cell_numbers(cells: list[Any]) -> dict[int, int]:
    """Cell index → its number among the cells that run (code cells with source), from 1."""
    runnable = [index for index, cell in enumerate(cells) if cell.cell_type == "code" and cell_source(cell).strip()]
    return {index: number for number, index in enumerate(runnable, 1)}


def make_client(notebook: Any, options: argparse.Namespace, output: KernelOutput, km: Any = None, kc: Any = None) -> Any:
    """An nbclient client that writes progress lines and outputs to stdout (the run's log) as they come."""
    from nbclient import NotebookClient

    numbers = code_cell_numbers(notebook.cells)
    total = len(numbers)

    class LoggingClient(NotebookClient):
        def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
            produced = super().output(outs, msg, display_id, cell_index)
            if produced is not None:
                print_output(produced)
            return produced

    def on_notebook_start(**_: Any) -> None:
        output.kernel_started()

    def on_cell_start(cell: Any, cell_index: int, **_: Any) -> None:
        number = numbers.get(cell_index)
        if number is not None:
            output.go_live()
            injected = " (injected parameters)" if INJECTED_TAG in cell.metadata.get("tags", []) else ""
            lines = [line for line in cell_source(cell).splitlines() if line.strip() and not line.startswith("#")]
            first_line = (lines or [""])[0][:80]
            say(f"[cell {number}/{total}]{injected} {first_line}")

    client = LoggingClient(notebook, km=km, kernel_name=options.kernel, timeout=None,  # the run's timeout ends it all
                           on_notebook_start=on_notebook_start, on_cell_start=on_cell_start,
                           resources={"metadata": {"path": str(Path.cwd())}})
    client.kc = kc
    return client


def print_output(output: Any) -> None:
    """The text a person would have seen under the cell."""
    kind = output.get("output_type")
    if kind == "stream":
        print(output.get("text", ""), end="", flush=True)
    elif kind in ("execute_result", "display_data"):
        text = output.get("data", {}).get("text/plain")
        if text:
            say(text)


def failure_reason(error: BaseException, numbers: dict[int, int], notebook: Any) -> str:
    """Why the run failed, the way a person would say it: the cell, the exception and its message."""
    from nbclient.exceptions import (
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )

    where = ""
    failing = [index for index, cell in enumerate(notebook.cells)
               if any(out.get("output_type") == "error" for out in cell.get("outputs", []))]
    if failing and failing[-1] in numbers:
        where = f"cell {numbers[failing[-1]]}/{len(numbers)} "
    if isinstance(error, CellExecutionError):
        return f"{where}raised {error.ename}: {error.evalue}".rstrip(": ")
    if isinstance(error, CellTimeoutError):
        return f"{where}timed out: {error}".strip()
    if isinstance(error, DeadKernelError):
        return f"the kernel died: {error}"
    return f"{type(error).__name__}: {error}"


async def execute(notebook: Any, options: argparse.Namespace, output: KernelOutput, km: Any = None,
                  kc: Any = None) -> int:
    """Run every cell (in a new kernel, or in ``km``'s through ``kc``), then save the executed copy
    (and HTML); the exit status."""
    from nbclient.exceptions import CellExecutionError

    client = make_client(notebook, options, output, km, kc)
    status, reason = 0, None
    try:
        await client.async_execute(stdout=output.write_fd, stderr=output.write_fd)
    except Exception as error:  # a cell raised, the kernel died or could not start: the run failed
        status, reason = EXIT_FAILED, failure_reason(error, code_cell_numbers(notebook.cells), notebook)
        if isinstance(error, CellExecutionError):
            print(error.traceback, file=sys.stderr, flush=True)
        else:
            print(reason, file=sys.stderr, flush=True)
            start_up = output.start_up_text()
            if start_up:
                print(f"the kernel said while starting:\n{start_up}", file=sys.stderr, flush=True)
    finally:
        if km is None:  # nbclient shut its kernel down: wait for the kernel's last words
            output.kernel_started()
            output.finish()
        save(notebook, options, output, reason)
    return status


def save(notebook: Any, options: argparse.Namespace, output: KernelOutput, reason: str | None) -> None:
    import nbformat

    options.output_dir.mkdir(parents=True, exist_ok=True)
    executed = options.output_dir / options.notebook.name
    nbformat.write(notebook, executed)
    output.save_start_up(options.output_dir / KERNEL_LOG_FILE)
    if reason is not None:
        (options.output_dir / OUTCOME_FILE).write_text(json.dumps({"reason": reason}), encoding="utf-8")
    if options.html:
        export_html(notebook, executed.with_suffix(".html"))
    say(f"executed notebook saved as {executed.name} (the run's artifacts)")


def export_html(notebook: Any, path: Path) -> None:
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        say("no HTML export: nbconvert is not installed")
        return
    body, _ = HTMLExporter().from_notebook_node(notebook)
    path.write_text(body, encoding="utf-8")


def load(options: argparse.Namespace) -> Any:
    """The notebook to run, parameters injected; ``None`` (said why) when it cannot be read."""
    import nbformat

    try:
        notebook = nbformat.read(options.notebook, as_version=4)
    except (OSError, ValueError) as error:
        print(f"cannot read {options.notebook}: {error}", file=sys.stderr, flush=True)
        return None
    if options.parameters:
        inject(notebook, options.parameters,
               lambda source, tags: nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    return notebook


async def run(options: argparse.Namespace, warm: Any = None) -> int:
    """One run: in the ``warm`` kernel when it fits (see :mod:`.notebooks.warm`), else in a new one."""
    notebook = load(options)
    if notebook is None:
        if warm is not None:
            await warm.close()
        options.output_dir.mkdir(parents=True, exist_ok=True)
        (options.output_dir / OUTCOME_FILE).write_text(json.dumps({"reason": f"cannot read {options.notebook.name}"}))
        return EXIT_UNREADABLE
    if warm is not None and await warm.take(options.kernel):
        say(f"[kernel {options.kernel}, prestarted]")
        try:
            return await execute(notebook, options, warm.output, warm.km, warm.kc)
        finally:
            await warm.close()
    if warm is not None:
        await warm.close()
    return await execute(notebook, options, KernelOutput())


def main(argv: list[str] | None = None) -> int:
    skip_slow_format_checkers()
    if argv is None and sys.argv[1:2] == ["--serve"]:
        from .notebooks.warm import serve

        return asyncio.run(serve(sys.argv[2], parse_options, run))
    return asyncio.run(run(parse_options(argv)))


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is written and the kernel is gone: skip the interpreter's teardown (thousands of
    # modules, zmq contexts), which the run would otherwise wait for.
    os._exit(status)
