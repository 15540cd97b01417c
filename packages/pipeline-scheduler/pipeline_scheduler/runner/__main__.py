"""``python -m pipeline_scheduler.runner CONFIG [--jobs-dir D] [--plugins-dir D] [--root R] ...``"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
