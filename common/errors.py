"""The project's few named exceptions; every message says what to do next.

GeoFMError
 ├─ BadInputError    the user's or the model's input is wrong (file, argument, path)
 ├─ ToolError        a tool failed on valid input
 ├─ ModelError       a model could not be found, prepared or loaded
 └─ NotBuiltError    a feature whose issue has not landed yet
"""

from __future__ import annotations

__all__ = ["GeoFMError", "BadInputError", "ToolError", "ModelError", "NotBuiltError"]


class GeoFMError(Exception):
    """Base class of every error geofm raises on purpose."""


class BadInputError(GeoFMError, ValueError):
    """Input (a file, an argument, a path) is wrong; the message says how to fix it."""


class ToolError(GeoFMError, RuntimeError):
    """A tool failed on input that passed validation."""


class ModelError(GeoFMError, RuntimeError):
    """A model could not be found, prepared or loaded."""


class NotBuiltError(GeoFMError, NotImplementedError):
    """A command or feature that is planned but not built yet."""
