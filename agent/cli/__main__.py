"""`python -m agent.cli` is the `geofm` command."""

import sys

from agent.cli import main

sys.exit(main())
