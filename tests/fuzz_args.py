"""Malformed JSON arguments for every registered tool, derived from its JSON schema.

Each argument dict starts from a plausible call (required arguments filled in with the
ids of the fixtures ``tests.fuzz_inputs.write_valid_files`` attaches) and breaks one
thing: a wrong type, NaN or a huge number, a megabyte string, a path-like or otherwise
hostile string, an unknown or missing argument, or no object at all.
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["arg_dicts", "HOSTILE_STRINGS", "NUMBERS"]

# Path-like and otherwise hostile strings for any string argument.
HOSTILE_STRINGS = (
    "",
    " ",
    "../../etc/passwd",
    "/etc/passwd",
    "ws-1/../../../etc/passwd",
    "ws-0",
    "ws--1",
    "ws-99999999999999999999999999",
    "ws-1\n",
    "ws-\u0661",  # an Arabic-Indic digit: \d matches it, [0-9] does not
    "~",
    "~/.ssh/id_rsa",
    "C:\\Windows\\system32",
    "file:///etc/passwd",
    "ws-1; rm -rf /",
    "\x00",
    "ws-1\x00.npy",
    "%s%s%s%n",
    "{}",
    "null",
    "\ud800",  # a lone surrogate (not encodable as UTF-8)
    "ws-2",
    "ws-3",
    "ws-4",
    "ws-5",
    "ws-6",
)
HUGE_STRING_BYTES = 1_000_000
NUMBERS = (
    0,
    -1,
    1,
    -(10**30),
    10**30,
    2**63,
    1e308,
    -1e308,
    5e-324,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    "3",
    "1e999",
    "abc",
    None,
    [],
    {},
    [1, 2],
)


_BASELINE = {
    "file": "ws-2",
    "survey": "ws-2",
    "data": "ws-1",
    "before": "ws-1",
    "after": "ws-1",
    "checkshot": "ws-4",
    "x": 1050.0,
    "y": 2050.0,
    "query": "f-k filter",
    "stream": "ws-7",
}
_FILE_FOR = {
    "read_ascii_section": "ws-5",
    "import_array": "ws-6",
    "read_well_log": "ws-3",
    "read_potential_field": "ws-8",
}


def _baseline(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema["parameters"].get("properties", {})
    args: dict[str, Any] = {}
    for name in schema["parameters"].get("required", []):
        if name == "file":
            args[name] = _FILE_FOR.get(schema["name"], "ws-2")
        else:
            args[name] = _BASELINE.get(name, props[name].get("default"))
    return args


def _types_of(prop: dict[str, Any]) -> set[str]:
    if "type" in prop:
        return {prop["type"]}
    return {p.get("type", "") for p in prop.get("anyOf", [])}


def _bad_values(prop: dict[str, Any], r: random.Random) -> list[Any]:
    types = _types_of(prop)
    values: list[Any] = [None, [], {}, {"$ref": "#"}, [[[[[]]]]]]
    if types & {"integer", "number"}:
        values += list(NUMBERS)
        if "integer" in types:
            values += [1.5, -(2**31), 2**31, 2**64 + 1]
    if "string" in types:
        values += list(HOSTILE_STRINGS) + [123, 4.5, True]
        values.append(r.choice("ab\u00e9\u4e2d") * HUGE_STRING_BYTES)
    if "boolean" in types:
        values += ["yes", "true", 2, -1, 0.5, "false"]
    if "enum" in prop:
        values += ["bogus", "", str(prop["enum"][0]).upper(), 0]
    return values


def arg_dicts(seed: int, n: int) -> list[tuple[str, Any, str]]:
    """``n`` malformed argument dicts, spread over the tools, from their JSON schemas:
    (tool name, arguments, what is wrong with them)."""
    from tools import ALL

    r = random.Random(f"args-{seed}")
    schemas = ALL.schemas()
    cases: list[tuple[str, Any, str]] = []
    whole = [None, [], "ws-1", 42, [{"data": "ws-1"}], {"": None}]
    k = 0
    while len(cases) < n:
        schema = schemas[k % len(schemas)]
        k += 1
        name = schema["name"]
        props = schema["parameters"].get("properties", {})
        base = _baseline(schema)
        choice = r.random()
        if choice < 0.06:
            args: Any = r.choice(whole)
            note = "not an object"
        elif choice < 0.12:
            args = dict(base, **{r.choice(("__class__", "workspace", "x" * 1000, "")): 1})
            note = "extra argument"
        elif choice < 0.18 and base:
            args = dict(base)
            args.pop(r.choice(sorted(base)))
            note = "missing required"
        else:
            field_name = r.choice(sorted(props))
            value = r.choice(_bad_values(props[field_name], r))
            args = dict(base, **{field_name: value})
            shown = repr(value)[:40]
            note = f"{field_name}={shown}"
        cases.append((name, args, note))
    return cases
