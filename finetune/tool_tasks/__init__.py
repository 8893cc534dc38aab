"""The tool-use tasks the fine-tuning data are generated from.

A task is a file setup (which real files are attached), a gold plan (tool calls whose
arguments may name attached files ``@f1``, ``@f2``…, artifacts of an earlier call, ``@1``
= the first of call 1, ``@1.2`` = its second, and slots ``{name}``) and several
phrasings of the request. Each phrasing is one *template*; splits are made by template, so a test phrasing never
appears in training. The hand-written routing benchmark (benchmarks/data) is separate
and shares no wording with these.

One module per area; :data:`TASKS` is all of them in a fixed order (the data builder's
random draws follow it, so the order is part of what reproduces the data): the reflection
areas first, then the tasks of the other routing domains (``Task.domain``: seismology,
potential fields), which the builder runs with their own domain's tools.
"""

from __future__ import annotations

from finetune.tool_tasks import (
    analysis,
    denoising,
    files,
    filtering,
    followups,
    followups_chain,
    followups_files,
    followups_switch,
    geofm_literature_chat,
    potential_fields,
    reading,
    relative,
    seismology,
    synthetic,
)
from finetune.tool_tasks.base import SETUPS, FollowUp, Task, Turn

__all__ = ["Task", "TASKS", "SETUPS", "FollowUp", "Turn", "FOLLOWUPS"]

TASKS: list[Task] = [
    t
    for area in (
        reading,
        denoising,
        filtering,
        analysis,
        synthetic,
        files,
        relative,
        geofm_literature_chat,
        # the other routing domains (agent.domains), after every reflection task
        seismology,
        potential_fields,
    )
    for t in area.TASKS
]

# Multi-turn conversations (finetune/followup_data.py), in a fixed order as well.
FOLLOWUPS: list[FollowUp] = [
    c
    for area in (followups, followups_chain, followups_files, followups_switch)
    for c in area.FOLLOWUPS
]
