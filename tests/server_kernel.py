"""A real ipykernel started by a real Jupyter Server for a notebook (``POST api/sessions``, as JupyterLab
opens one), driven through its connection file with jupyter_client."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import Any

from jupyter_client.blocking import BlockingKernelClient
from server_process import ServerProcess


class ServerKernel:
    def __init__(self, server: ServerProcess, notebook: str, runtime: Path) -> None:
        self.server = server
        folder, name = os.path.split(notebook)
        (server.root / folder).mkdir(parents=True, exist_ok=True)
        (server.root / notebook).write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                        "nbformat_minor": 5}))
        # name given, as JupyterLab 4 sends it: the kernel's $JPY_SESSION_NAME is then an absolute path
        session = self._api("POST", "api/sessions", {"path": notebook, "name": name, "type": "notebook",
                                                      "kernel": {"name": "python3"}})
        self.session_id, self.kernel_id = session["id"], session["kernel"]["id"]
        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(runtime / f"kernel-{self.kernel_id}.json"))
        self.client.start_channels(hb=False)  # a heartbeat missed on a loaded machine is no death
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 90) -> tuple[str, str]:
        """Execute ``code`` in the kernel: (its stdout, its stderr and error as ``Name: message``)."""
        out: list[str] = []
        error: list[str] = []

        def collect(message: dict[str, Any]) -> None:
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                (out if content["name"] == "stdout" else error).append(content["text"])
            elif kind == "error":
                error.append(f"{content['ename']}: {content['evalue']}")

        self.client.execute_interactive(code, output_hook=collect, timeout=timeout)
        return "".join(out), "".join(error)

    def close(self) -> None:
        self.client.stop_channels()
        self._api("DELETE", f"api/sessions/{self.session_id}")

    def _api(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.server.port}/{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.server.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text else None
