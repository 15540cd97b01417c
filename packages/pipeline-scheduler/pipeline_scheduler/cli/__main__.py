"""``python -m pipeline_scheduler.cli``: the command-line client."""

from .main import main

main()
