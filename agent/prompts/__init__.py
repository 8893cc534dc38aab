"""Prompts are data files shipped with the package; ``render`` fills their ``$fields``."""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

__all__ = ["load", "render"]


@cache
def load(name: str) -> str:
    """The text of ``agent/prompts/<name>.txt``."""
    return resources.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")


def render(name: str, **fields: str) -> str:
    """Fill a prompt; a missing field raises KeyError (a prompt bug, not user input)."""
    return Template(load(name)).substitute(**fields)
