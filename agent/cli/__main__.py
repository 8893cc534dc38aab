"""`python -m agent.cli` is the `geofm` command."""

import sys

from agent.cli import main

if __name__ == "__main__":  # Dask's local worker processes re-import this module
    sys.exit(main())
