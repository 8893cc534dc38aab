"""Predicted arrival times from a 1-D Earth model with TauP (``obspy.taup``).

iasp91 and ak135 ship with ObsPy; a model is built on first use and cached per process.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from common.errors import BadInputError
from tools.registry import NonNegative, StreamId
from tools.result import ToolResult
from tools.waveforms import OBSPY_CITATION, event_headers, load_stream
from tools.workspace import Workspace

if TYPE_CHECKING:
    from obspy.taup import TauPyModel

__all__ = [
    "TAUP_CITATION",
    "IASP91_CITATION",
    "AK135_CITATION",
    "taup_model",
    "travel_times",
    "predict_arrivals",
]

TAUP_CITATION = (
    "Crotwell, H.P., Owens, T.J., and Ritsema, J., 1999, The TauP Toolkit: Flexible "
    "seismic travel-time and ray-path utilities: Seismological Research Letters, 70, 154-160"
)
IASP91_CITATION = (
    "Kennett, B.L.N., and Engdahl, E.R., 1991, Traveltimes for global earthquake location "
    "and phase identification: Geophysical Journal International, 105(2), 429-465"
)
AK135_CITATION = (
    "Kennett, B.L.N., Engdahl, E.R., and Buland, R., 1995, Constraints on seismic "
    "velocities in the Earth from traveltimes: Geophysical Journal International, 122, "
    "108-124, doi:10.1111/j.1365-246X.1995.tb03540.x"
)
_PHASE = re.compile(r"^[A-Za-z0-9^]{1,12}$")
MAX_PHASES = 12


@lru_cache(maxsize=2)
def taup_model(model: str) -> TauPyModel:
    from obspy.taup import TauPyModel

    return TauPyModel(model=model)


def travel_times(
    depth_km: float, distance_deg: float, phases: list[str], model: str = "iasp91"
) -> list[dict[str, Any]]:
    """Arrivals (phase, time s, ray parameter s/deg, takeoff and incidence angles deg),
    sorted by time."""
    arrivals = taup_model(model).get_travel_times(
        source_depth_in_km=depth_km, distance_in_degree=distance_deg, phase_list=phases
    )
    return [
        {
            "phase": a.name,
            "time_s": float(a.time),
            "ray_param_s_per_deg": float(a.ray_param_sec_degree),
            "takeoff_deg": float(a.takeoff_angle),
            "incidence_deg": float(a.incident_angle),
        }
        for a in sorted(arrivals, key=lambda a: a.time)
    ]


def _from_headers(
    h: dict[str, float], stream: str, depth: float | None, dist: float | None
) -> tuple[float, float]:
    """Depth (km) and distance (deg): those given, else from the SAC headers ``h``."""
    if depth is None:
        if "evdp" not in h:
            raise BadInputError(
                f"{stream} has no SAC event depth header (evdp); give source_depth_km"
            )
        depth = h["evdp"]
        depth = depth / 1000 if depth > 1000 else depth  # some writers store metres
    if dist is None:
        if "gcarc" in h:
            dist = h["gcarc"]
        elif all(k in h for k in ("evla", "evlo", "stla", "stlo")):
            from obspy.geodetics import locations2degrees

            dist = float(locations2degrees(h["evla"], h["evlo"], h["stla"], h["stlo"]))
        else:
            raise BadInputError(
                f"{stream} has neither the SAC distance header gcarc nor event and station "
                "coordinates (evla, evlo, stla, stlo); give distance_deg"
            )
    return float(depth), float(dist)


def predict_arrivals(
    workspace: Workspace,
    source_depth_km: NonNegative | None = None,
    distance_deg: float | None = None,
    model: Literal["iasp91", "ak135"] = "iasp91",
    phases: str = "P,S",
    stream: StreamId | None = None,
) -> ToolResult:
    """Predict seismic phase arrival times for an event and station with TauP.

    Args:
        source_depth_km: event depth in km (0-800); default: the stream's SAC evdp header.
        distance_deg: epicentral distance in degrees (0-180); default: the stream's SAC
            gcarc header, or the distance between its evla/evlo and stla/stlo.
        model: 1-D Earth model: "iasp91" or "ak135".
        phases: comma-separated TauP phase names, e.g. "P,S" or "P,pP,PcP,S"; "ttbasic"
            for the common set.
        stream: workspace id of a SAC stream whose headers give depth and distance.
    """
    headers = event_headers(workspace, stream) if stream is not None else {}
    if stream is not None:
        source_depth_km, distance_deg = _from_headers(
            headers, stream, source_depth_km, distance_deg
        )
    if source_depth_km is None or distance_deg is None:
        missing = [
            n
            for n, v in (("source_depth_km", source_depth_km), ("distance_deg", distance_deg))
            if v is None
        ]
        raise BadInputError(
            f"give {' and '.join(missing)}, or a SAC stream with event headers as stream"
        )
    if not 0 <= source_depth_km <= 800:
        raise BadInputError(f"source_depth_km must be 0-800 km, got {source_depth_km:g}")
    if not 0 <= distance_deg <= 180:
        raise BadInputError(f"distance_deg must be 0-180 degrees, got {distance_deg:g}")
    names = [p.strip() for p in phases.split(",") if p.strip()]
    if not names or len(names) > MAX_PHASES or not all(_PHASE.match(p) for p in names):
        raise BadInputError(
            f'phases must be 1-{MAX_PHASES} comma-separated TauP names such as "P,S", '
            f"got {phases[:80]!r}"
        )
    try:
        arrivals = travel_times(source_depth_km, distance_deg, names, model)
    except Exception as e:  # TauP's parser raises on an unknown phase name
        raise BadInputError(f"TauP cannot compute phases {names} ({e}); check the names") from None
    firsts: dict[str, float] = {}  # the first arrival of each phase
    for a in arrivals:
        firsts.setdefault(a["phase"], a["time_s"])
    metrics: dict[str, float] = {"n_arrivals": len(arrivals)}
    metrics.update({f"{ph}_time_s": t for ph, t in firsts.items()})
    cites = (
        TAUP_CITATION,
        IASP91_CITATION if model == "iasp91" else AK135_CITATION,
        OBSPY_CITATION,
    )
    where = f"depth {source_depth_km:g} km, distance {distance_deg:g} deg, {model}"
    if not arrivals:
        return ToolResult(f"no arrivals of {', '.join(names)} at {where}", (), metrics, cites)
    # a phase may arrive by several ray paths (a triplication): its first arrival, then
    # how many later branches there are
    branches = Counter(a["phase"] for a in arrivals)
    listed = ", ".join(
        f"{ph} {t:.2f} s" + (f" (+{branches[ph] - 1} later)" if branches[ph] > 1 else "")
        for ph, t in list(firsts.items())[:12]
    )
    summary = f"{where}: {listed} after the origin"
    start = _origin_after_start(workspace, stream, headers) if stream is not None else None
    if start is not None:  # on the trace's own clock, comparable with picks and triggers
        origin_s, t0 = start
        for ph, t in firsts.items():
            metrics[f"{ph}_after_start_s"] = origin_s + t
        when = f"{abs(origin_s):.2f} s {'after' if origin_s >= 0 else 'before'}"
        summary += (
            f"; origin {when} the trace start ({t0}), so "
            + ", ".join(f"{ph} at {origin_s + t:.2f} s" for ph, t in list(firsts.items())[:6])
            + " after the start"
        )
    return ToolResult(summary, (), metrics, cites)


def _origin_after_start(
    workspace: Workspace, stream: str, h: dict[str, float]
) -> tuple[float, str] | None:
    """(event origin in seconds after the trace start, the start time) from the SAC o
    and b headers ``h``, or None when the stream does not give the origin."""
    if "o" not in h:
        return None
    start = load_stream(workspace, stream)[0].stats.starttime
    return h["o"] - h.get("b", 0.0), str(start)
