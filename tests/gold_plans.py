"""Shared by the tests that run a routing set's gold plans: every argument a gold call
passes must be one the grammar would offer the model at that step."""

from __future__ import annotations

from agent.constrained import Grounding
from finetune.traces import Trace
from tools import ALL
from tools.registry import ID_KINDS_KEY


def assert_grounded(item_id: str, trace: Trace) -> None:
    """Each number of each gold call is one the conversation gave; each workspace id was
    shown and is of a kind its argument takes."""
    for k, (name, args) in enumerate(trace.calls):
        grounding = Grounding.from_messages(trace.history(k))
        props = ALL.get(name).parameters["properties"]
        for key, value in args.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, (int, float)):
                assert float(value) in grounding.numbers, (item_id, name, key, value)
            elif isinstance(value, str) and value.startswith("ws-"):
                kinds = next(
                    b[ID_KINDS_KEY]
                    for b in props[key].get("anyOf", [props[key]])
                    if ID_KINDS_KEY in b
                )
                assert value in grounding.ids and grounding.takes(value, kinds), (
                    item_id,
                    name,
                    key,
                    value,
                )
