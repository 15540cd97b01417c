"""The runner's side of a warm kernel: started ahead of a run, it waits on stdin for that run.

A prestarted runner (``notebook_runner --serve KERNEL``) imports nbclient and starts a kernel of
``KERNEL`` before any run needs it, then blocks on stdin. The server writes one run (JSON: the
runner's arguments, working directory, log path and environment) and closes stdin; the runner
points stdout and stderr at the log and runs the notebook in that kernel when it fits: the same
kernelspec, the same environment as the kernel was started with (the run's marker aside), and a
kernel still alive. Then the kernel moves to the run's directory and gets the run's marker, with
nothing left in the notebook's namespace, so that a run behaves as in a kernel started for it.
Otherwise the warm kernel is shut down and the run starts a kernel of its own, as a cold run does.
Each kernel serves one run. Stdin closed without a message: the kernel is shut down, the runner exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from ..orphans import RUN_MARKER
from .kernel_output import KernelOutput

START_TIMEOUT = 60.0
SETUP_TIMEOUT = 10.0


class WarmKernel:
    """A kernel started ahead of its run, with its client and the pipe of its own output."""

    def __init__(self, kernel_name: str) -> None:
        self.kernel_name = kernel_name
        self.output = KernelOutput()
        self.km: Any = None
        self.kc: Any = None
        self.environment = _without_marker(os.environ)

    async def start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        await self.km.start_kernel(stdout=self.output.write_fd, stderr=self.output.write_fd)
        self.output.kernel_started()
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=START_TIMEOUT)
        self.kc.allow_stdin = False

    async def take(self, kernel_name: str) -> bool:
        """Whether the run may use this kernel; when it may, the kernel is moved to the run's directory
        and environment first (a silent execution: no history, no execution count, no name left)."""
        if kernel_name != self.kernel_name or _without_marker(os.environ) != self.environment:
            return False
        if self.km is None or not await self.km.is_alive():
            return False
        code = (f"import os as __ps_os\n__ps_os.chdir({os.getcwd()!r})\n"
                f"__ps_os.environ[{RUN_MARKER!r}] = {os.environ.get(RUN_MARKER, '')!r}\ndel __ps_os\n")
        self.kc.execute(code, silent=True, store_history=False)
        try:
            reply = await asyncio.wait_for(self.kc.get_shell_msg(), SETUP_TIMEOUT)
        except asyncio.TimeoutError:
            return False
        return reply["content"].get("status") == "ok"

    async def close(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None and self.km.has_kernel:
            await self.km.shutdown_kernel(now=True)
        self.output.finish()


async def serve(kernel_name: str, parse_options: Callable[[list[str]], Any],
                run: Callable[[Any, WarmKernel], Awaitable[int]]) -> int:
    """Start a kernel, wait for the run, run it (see the module's docstring); the exit status."""
    warm = WarmKernel(kernel_name)
    try:
        await warm.start()
    except Exception:  # the kernel cannot start: the run (if one comes) starts one of its own and says why
        await warm.close()
        warm.km = None
    _warm_up_nbformat()
    message = await asyncio.to_thread(_read_message)
    if not message:
        await warm.close()
        return 0
    run_request = json.loads(message)
    _become(run_request)
    options = parse_options(run_request["argv"][3:])  # after ``python -m <runner>``
    return await run(options, warm)


def _warm_up_nbformat() -> None:
    """Pay for nbformat's first read and write (its validator is built on first use) before the run."""
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    nbformat.reads(nbformat.writes(notebook), as_version=4)


def _read_message() -> bytes:
    chunks = []
    while chunk := os.read(0, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _become(request: dict[str, Any]) -> None:
    """Take on the run's log, directory and environment, as a runner started for it would have."""
    log = os.open(request["log_path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])


def _without_marker(environment: Any) -> dict[str, str]:
    return {key: value for key, value in environment.items() if key != RUN_MARKER}
