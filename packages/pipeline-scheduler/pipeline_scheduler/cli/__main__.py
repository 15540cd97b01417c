"""``python -m pipeline_scheduler.cli``: the command-line client."""

from .commands import main

main()
