"""The two places geofm reads and writes outside the repository, each set by one
environment variable.

- ``GEOFM_HOME`` (default ``~/.cache/geofm``): prepared models, the default literature
  index, merged GGUF files.
- ``GEOFM_DATA`` (default ``shared/`` beside the repository): the real data and corpora
  that benchmarks, fine-tuning data and some tests read (``data/``, ``corpus/``); a
  user's clone may not have it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["geofm_home", "geofm_data"]

REPO = Path(__file__).resolve().parents[1]


def geofm_home() -> Path:
    """Where prepared models and the default index are cached (``$GEOFM_HOME``,
    default ``~/.cache/geofm``)."""
    return Path(os.environ.get("GEOFM_HOME", "~/.cache/geofm")).expanduser()


def geofm_data() -> Path:
    """The shared real data (``$GEOFM_DATA``, default ``shared/`` beside the repository);
    it may not exist."""
    return Path(os.environ.get("GEOFM_DATA") or REPO.parent / "shared").expanduser()
