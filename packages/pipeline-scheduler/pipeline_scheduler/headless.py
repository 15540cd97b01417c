"""The scheduler as a service of its own: a Jupyter Server with only this extension, no JupyterLab.

Run it as ``pipeline-scheduler serve`` (a systemd unit, a JupyterHub service, a container), so that
schedules keep firing when the users' JupyterLab servers stop or are culled; servers sharing its
database (``--db-url``) elect one dispatcher with it.

Started by JupyterHub as a service (its environment names the service's prefix and API token), it
authenticates with Hub OAuth: JupyterHub's own identity provider and authorizer for Jupyter Server 2
(``jupyterhub.singleuser.extension``), so browsers log in through the Hub and API clients send a Hub
token; only users granted ``access:services!service=<name>`` get in.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from .extension import PipelineSchedulerApp

HUB_AUTH = "jupyterhub.singleuser.extension"


class HeadlessScheduler(PipelineSchedulerApp):
    load_other_extensions = False  # no JupyterLab, no other server extension


def under_hub() -> bool:
    """Started by JupyterHub as a service with a URL (or given such a service's environment)."""
    return bool(os.environ.get("JUPYTERHUB_SERVICE_PREFIX") and os.environ.get("JUPYTERHUB_API_TOKEN"))


def hub_options(port: int, ip: str) -> list[str]:
    """Hub OAuth at the service's prefix, listening where the Hub's proxy sends its requests (the
    service's ``url``) rather than at ``port`` and ``ip``."""
    try:
        __import__(HUB_AUTH)
    except ImportError:
        raise SystemExit("pipeline-scheduler serve runs as a JupyterHub service: install jupyterhub next to it "
                         "(pip install jupyterhub) for Hub OAuth") from None
    address = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", ""))
    return [f"--ServerApp.ip={address.hostname or ip}", f"--ServerApp.port={address.port or port}",
            f"--ServerApp.base_url={os.environ['JUPYTERHUB_SERVICE_PREFIX']}",
            "--ServerApp.allow_remote_access=True",  # the proxy forwards the Hub's public host name
            "--ServerApp.trust_xheaders=True",  # the client's address and scheme, as the proxy saw them
            # The Hub's XSRF check (patched in by its identity provider) exempts token requests once they
            # are authenticated, but Tornado's own runs before that: Jupyter Server checks after
            # authentication anyway (as under jupyterhub-singleuser).
            '--ServerApp.tornado_settings={"xsrf_cookies": False}',
            f"--ServerApp.identity_provider_class={HUB_AUTH}.JupyterHubIdentityProvider",
            f"--ServerApp.authorizer_class={HUB_AUTH}.JupyterHubAuthorizer"]


def server_argv(root: Path, port: int, ip: str, token: str | None, db_url: str | None,
                extra: list[str]) -> list[str]:
    """The server's options: what ``serve``'s own options mean, then ``extra`` (given after ``--``),
    which replaces any of them it names again (traitlets refuses an option given twice)."""
    argv = [f"--ServerApp.root_dir={root.resolve()}", "--ServerApp.port_retries=0", "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        argv.append("--ServerApp.allow_root=True")
    if under_hub():
        argv += hub_options(port, ip)  # the Hub's tokens and cookies, not a token of ours
    else:
        argv += [f"--ServerApp.port={port}", f"--ServerApp.ip={ip}"]
        if token is not None:
            argv.append(f"--IdentityProvider.token={token}")
    if db_url:
        argv.append(f"--PipelineSchedulerApp.db_url={db_url}")
    named_again = {option.split("=", 1)[0] for option in extra if option.startswith("--")}
    return [option for option in argv if option.split("=", 1)[0] not in named_again] + extra


def serve(root: Path, port: int, ip: str, token: str | None, db_url: str | None, extra: list[str]) -> None:
    """Start the server and block until it stops (Ctrl-C, SIGTERM)."""
    HeadlessScheduler.launch_instance(server_argv(root, port, ip, token, db_url, extra))
