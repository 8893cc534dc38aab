"""What a tool-use task is, the file setups tasks start from, and shared calls."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "Task",
    "SETUPS",
    "Turn",
    "FollowUp",
    "T",
    "followup",
    "phrasing_split",
    "in_domain",
]

# Which files a request comes with, relative to $GEOFM_DATA/data (the .npy are generated).
SETUPS: dict[str, tuple[str, ...]] = {
    "none": (),
    "npra": ("segy/npra_31_81.sgy",),
    "f3": ("segy/f3_crop.sgy",),
    "shot": ("segy/land_shot_gather.sgy",),
    "inv": (
        "f3_inline362/export_inline362.ascii",
        "f3_inline362/F02-1_logs.las",
        "f3_inline362/F02-1_checkshot_TD.txt",
    ),
    "npy": ("section.npy",),
    "npy_holes": ("holed_section.npy",),
    # earthquake seismology (ObsPy's packaged test data) and potential fields (modelled)
    "sac_teleseism": ("obspy:realtime/tests/data/II.TLY.BHZ.SAC",),
    "sac_local": ("obspy:signal/tests/data/CRLZ.HHZ.10.NZ.SAC",),
    "mseed": ("obspy:clients/iris/tests/data/IU.ANMO.00.BHZ.mseed",),
    "grav_points": ("gravity_points.csv",),
    "grav_grid": ("gravity_grid.nc",),
    "mag_grid": ("magnetic_grid.nc",),
    # absolute gravity with station heights; three components; one channel with gaps
    "grav_stations": ("gravity_stations.csv",),
    "mseed_3c": ("event_3c.mseed",),
    "mseed_gaps": ("obspy:io/mseed/tests/data/gaps.mseed",),
}


@dataclass(frozen=True)
class Task:
    """A request: its files, gold calls, phrasings and slot values. ``domain`` names the
    routing domain whose tools the agent offers for it (``agent.domains``): the data
    builder runs the plan with that domain's registry and writes the example with that
    domain's tool list, as the agent shows it at the second stage."""

    id: str
    setup: str
    calls: tuple[tuple[str, dict[str, Any]], ...]
    phrasings: tuple[str, ...]
    slots: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    domain: str = "reflection"


def _t(id, setup, calls, phrasings, **slots) -> Task:
    return Task(
        id,
        setup,
        tuple((n, a) for n, a in calls),
        tuple(phrasings),
        {k: tuple(v) for k, v in slots.items()},
    )


def in_domain(domain: str, tasks: list[Task]) -> list[Task]:
    """``tasks`` of routing domain ``domain`` (``_t`` makes reflection tasks)."""
    return [replace(t, domain=domain) for t in tasks]


# ---- follow-up conversations (finetune/followup_data.py) ------------------------------
@dataclass(frozen=True)
class Turn:
    """One turn: its phrasings, gold calls, the files attached with it (a SETUPS name)
    and whether the record answers it (no model, no example)."""

    phrasings: tuple[str, ...]
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    attach: str = ""
    record: bool = False


@dataclass(frozen=True)
class FollowUp:
    id: str
    setup: str
    turns: tuple[Turn, ...]
    slots: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def T(calls=(), *phrasings: str, attach: str = "", record: bool = False) -> Turn:
    """A turn: ``T([calls], "phrasing", ...)``."""
    return Turn(tuple(phrasings), tuple((n, a) for n, a in calls), attach, record)


def followup(id: str, setup: str, *turns: Turn, **slots) -> FollowUp:
    return FollowUp(id, setup, tuple(turns), {k: tuple(v) for k, v in slots.items()})


READ = ("read_segy", {"file": "@f1"})
ASCII = ("read_ascii_section", {"file": "@f1"})
NPY = ("import_array", {"file": "@f1"})
SYNTH: tuple[str, dict[str, Any]] = ("make_synthetic", {})
WELL_TIME = ("read_well_log", {"file": "@f2", "checkshot": "@f3"})


def phrasing_split(i: int, n: int) -> str:
    """The split of phrasing ``i`` of ``n`` of a task (or of a conversation's turn): the
    last is test and the one before it validation, when there are enough."""
    if n >= 5 and i == n - 1:
        return "test"
    if n >= 5 and i == n - 2:
        return "val"
    if n == 4 and i == 3:
        return "test"
    return "train"
