"""Gravity and magnetic tools on workspace grids (Harmonica, Verde, Boule).

Registered in ``tools.POTENTIAL_FIELDS`` (reachable from ``geofm tools`` and MCP through
``tools.ALL``), not yet in the chat router's ``tools.REGISTRY``. Grids and points are the
items of ``tools.pf_grid``; the science is in ``tools.potential_fields``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from common.errors import BadInputError
from tools import potential_fields as pf
from tools.pf_grid import (
    Grid,
    lattice_grid,
    load_grid,
    load_points,
    quantity_of,
    read_csv_table,
    read_netcdf_grid,
    save_grid,
    save_points,
)
from tools.registry import ArrayId, FileId, NonNegative, Positive
from tools.result import ToolResult
from tools.workspace import Workspace

__all__ = [
    "read_potential_field",
    "grid_scattered",
    "gravity_corrections",
    "upward_continue",
    "reduce_to_pole",
    "field_derivative",
    "euler_deconvolution",
    "model_prisms",
    "plot_grid",
    "MAX_NODES",
]

MAX_NODES = 1_000_000  # grid nodes one call may make or filter (1000 x 1000)
MAX_SPLINE_BLOCKS = 4000  # verde.Spline solves a dense (blocks x blocks) system


def _shape(g: Grid) -> str:
    ny, nx = g.values.shape
    de, dn = g.spacing
    return f"{nx}x{ny} nodes at {de:g}x{dn:g} m, height {g.height_m:g} m"


_DERIVATIVE_NAMES = {
    "upward": "vertical derivative",
    "easting": "easting derivative",
    "northing": "northing derivative",
    "total_horizontal": "total horizontal derivative",
}


def _span(lo: float, hi: float) -> str:
    """A value range to read: 4 significant figures, or fixed to 0.1 for large values
    (absolute gravity reads 980712.3 to 980794.1 mGal, not 9.807e+05 to 9.808e+05)."""
    if max(abs(lo), abs(hi)) >= 1e4:
        return f"{lo:.1f} to {hi:.1f}"
    return f"{lo:.4g} to {hi:.4g}"


def _range_metrics(values: np.ndarray, prefix: str = "") -> dict[str, float]:
    return {f"{prefix}min": float(values.min()), f"{prefix}max": float(values.max())}


def _grid_result(
    workspace: Workspace,
    g: Grid,
    what: str,
    source: str,
    metrics: dict[str, float],
    cites: tuple[str, ...],
    units: str = "",
) -> ToolResult:
    art = save_grid(
        workspace, g, f"{what} {g.values.shape[1]}x{g.values.shape[0]}", derived_from=source
    )
    summary = (
        f"{what} {art.id}: {_shape(g)}, {_span(g.values.min(), g.values.max())} {units or g.units}"
    )
    ny, nx = g.values.shape
    details = {"n_easting": float(nx), "n_northing": float(ny), "spacing_m": g.spacing[0]}
    return ToolResult(
        summary, (art,), {**metrics, **_range_metrics(g.values)}, cites, details=details
    )


def read_potential_field(
    workspace: Workspace,
    file: FileId,
    quantity: Literal["gravity", "magnetic"] | None = None,
    variable: str = "",
) -> ToolResult:
    """Read gravity (mGal) or magnetic (nT) data from a CSV (x,y,value[,height]) or netCDF grid.

    A CSV whose points fill a regular lattice becomes a grid; other CSVs become scattered
    points for grid_scattered or gravity_corrections.

    Args:
        file: workspace id of the attached .csv or .nc file.
        quantity: gravity (values in mGal) or magnetic (total-field anomaly in nT);
            default: magnetic when the file's labels say so (mag, TMI, nT), else gravity.
        variable: name of the netCDF data variable; empty takes the only 2D one.
    """
    path = workspace.path(file)
    measured = quantity or quantity_of(path, variable)
    suffix = path.suffix.lower()
    if suffix == ".nc":
        g = read_netcdf_grid(path, measured, variable)
        return _grid_result(workspace, g, f"{measured} grid", file, {}, ())
    if suffix not in (".csv", ".txt"):
        raise BadInputError(f"{file} is a {suffix} file; read_potential_field reads .csv or .nc")
    pts = read_csv_table(path)
    lattice = lattice_grid(pts, measured)
    if lattice is not None:
        return _grid_result(workspace, lattice, f"{measured} grid", file, {}, ())
    art = save_points(
        workspace, pts, measured, f"{measured} points ({len(pts)})", derived_from=file
    )
    units = "mGal" if measured == "gravity" else "nT"
    heights = ", with heights" if pts.shape[1] == 4 else ""
    metrics = {"n_points": float(len(pts)), **_range_metrics(pts[:, 2])}
    return ToolResult(
        f"{measured} points {art.id}: {len(pts)} scattered stations{heights}, "
        f"{_span(pts[:, 2].min(), pts[:, 2].max())} {units}; grid them with grid_scattered",
        (art,),
        metrics,
    )


def grid_scattered(
    workspace: Workspace,
    data: ArrayId,
    spacing_m: Positive,
    method: Literal["spline", "knn"] = "spline",
    damping: float = 1e-8,
) -> ToolResult:
    """Grid scattered gravity or magnetic points on a regular lattice (Verde): block median, then a biharmonic spline or nearest neighbours.

    Args:
        data: workspace id of the points (from read_potential_field).
        spacing_m: grid spacing (and block size), in m.
        method: spline (verde.Spline, smooth) or knn (verde.KNeighbors, fast).
        damping: spline regularisation (0 = exact fit); larger values smooth noisy data.
    """
    pts, meta = load_points(workspace, data)
    if not 0 <= damping <= 1e3:
        raise BadInputError(f"damping must be within 0-1000, got {damping:g}")
    ext = np.ptp(pts[:, 0]), np.ptp(pts[:, 1])
    if spacing_m <= 0 or (ext[0] / spacing_m + 1) * (ext[1] / spacing_m + 1) > MAX_NODES:
        raise BadInputError(
            f"spacing_m={spacing_m:g} m gives too many nodes for a {ext[0]:g} x {ext[1]:g} m "
            f"area (at most {MAX_NODES}); choose a larger spacing"
        )
    if min(ext) < 3 * spacing_m:
        raise BadInputError(
            f"the points span {ext[0]:g} x {ext[1]:g} m, under 3 spacings of {spacing_m:g} m; "
            "choose a smaller spacing_m"
        )
    n_blocks_max = int((ext[0] / spacing_m + 1) * (ext[1] / spacing_m + 1))
    if method == "spline" and min(len(pts), n_blocks_max) > MAX_SPLINE_BLOCKS:
        raise BadInputError(
            f"a spline through up to {min(len(pts), n_blocks_max)} blocks is too large (at most "
            f"{MAX_SPLINE_BLOCKS}); use method knn or a larger spacing_m"
        )
    values, e, n, n_blocks = pf.grid_points(pts, spacing_m, method, damping or None)
    height = float(pts[:, 3].mean()) if pts.shape[1] == 4 else 0.0
    g = Grid(values, e, n, height, str(meta.get("quantity", "gravity")))
    return _grid_result(
        workspace,
        g,
        f"gridded {g.quantity}",
        data,
        {"n_blocks": float(n_blocks)},
        (pf.VERDE_CITATION,),
    )


def gravity_corrections(
    workspace: Workspace,
    data: ArrayId,
    latitude_deg: float,
    density_kg_m3: float = 2670.0,
) -> ToolResult:
    """Bouguer anomaly of observed gravity: subtract WGS84 normal gravity at each station's height (Boule) and the Bouguer plate (Harmonica).

    Args:
        data: workspace id of observed absolute gravity in mGal (points with heights, or a grid at its height).
        latitude_deg: geodetic latitude of the survey, in degrees (-90 to 90).
        density_kg_m3: density of the Bouguer plate, in kg/m³.
    """
    if not -90 <= latitude_deg <= 90:
        raise BadInputError(f"latitude_deg must be within -90 to 90, got {latitude_deg:g}")
    if not 1000 <= density_kg_m3 <= 4000:
        raise BadInputError(f"density_kg_m3 must be within 1000-4000, got {density_kg_m3:g}")
    meta = workspace.meta(data).get("metadata", {}).get("pf", {})
    if isinstance(meta, dict) and meta.get("type") == "points":
        pts, meta = load_points(workspace, data)
        if pts.shape[1] < 4:
            raise BadInputError(
                f"{data} has no station heights; the CSV needs a height (or elevation) column"
            )
        observed, height = pts[:, 2], pts[:, 3]
    else:
        g = load_grid(workspace, data)
        observed, height = g.values, np.full(g.values.shape, g.height_m)
        meta = {"quantity": g.quantity}
    if meta.get("quantity") != "gravity":
        raise BadInputError(f"{data} holds magnetic data; gravity corrections need gravity")
    if np.any(np.abs(observed - 980000.0) > 10000.0):
        raise BadInputError(
            f"{data} holds values of {_span(observed.min(), observed.max())} mGal; normal "
            "gravity is removed from observed absolute gravity (about 978000-983300 mGal). "
            "Anomalies need no correction"
        )
    normal = pf.normal_gravity_mgal(np.full(observed.shape, latitude_deg), height)
    bouguer = pf.bouguer_mgal(height, density_kg_m3)
    anomaly = observed - normal - bouguer
    metrics = {
        "normal_gravity_mean_mgal": float(normal.mean()),
        "bouguer_correction_mean_mgal": float(bouguer.mean()),
        **_range_metrics(anomaly),
    }
    cites = (pf.BOULE_CITATION, pf.HARMONICA_CITATION)
    if anomaly.ndim == 1:
        out = np.column_stack([pts[:, :2], anomaly, height])
        art = save_points(
            workspace, out, "gravity", f"Bouguer anomaly points ({len(out)})", derived_from=data
        )
        return ToolResult(
            f"Bouguer anomaly {art.id}: {len(out)} stations, "
            f"{_span(anomaly.min(), anomaly.max())} mGal (density {density_kg_m3:g} kg/m3)",
            (art,),
            metrics,
            cites,
        )
    return _grid_result(workspace, g.like(anomaly), "Bouguer anomaly", data, metrics, cites)


def upward_continue(workspace: Workspace, data: ArrayId, height_m: Positive) -> ToolResult:
    """Upward-continue a gravity or magnetic grid to a greater height (Harmonica FFT filter, padded grid).

    Args:
        data: workspace id of the grid.
        height_m: how much higher to continue the field, in m (> 0).
    """
    g = load_grid(workspace, data)
    if not 0 < height_m <= 100 * max(np.ptp(g.easting), np.ptp(g.northing)):
        raise BadInputError(f"height_m must be > 0 and at most 100 grid widths, got {height_m:g}")
    up = pf.upward_continue_grid(g.values, g.easting, g.northing, height_m)
    out = Grid(up, g.easting, g.northing, g.height_m + height_m, g.quantity, g.extra)
    cites = pf.FFT_CITATIONS
    return _grid_result(
        workspace, out, "upward-continued field", data, {"height_m": height_m}, cites
    )


def reduce_to_pole(
    workspace: Workspace,
    data: ArrayId,
    inclination_deg: float | None = None,
    declination_deg: float | None = None,
) -> ToolResult:
    """Reduce a total-field magnetic anomaly grid to the pole (Harmonica FFT filter; induced magnetisation assumed).

    Args:
        data: workspace id of the magnetic grid (nT).
        inclination_deg: inclination of the inducing field, in degrees (-90 to 90); taken from the grid when modelled.
        declination_deg: declination of the inducing field, in degrees (-180 to 360).
    """
    g = load_grid(workspace, data)
    if g.quantity != "magnetic":
        raise BadInputError(f"{data} holds gravity; reduction to the pole needs magnetic data")
    inc = inclination_deg if inclination_deg is not None else g.extra.get("inclination_deg")
    dec = declination_deg if declination_deg is not None else g.extra.get("declination_deg")
    if inc is None or dec is None:
        raise BadInputError(
            "reduction to the pole needs the inducing field's inclination_deg and "
            "declination_deg (from a geomagnetic model such as IGRF at the survey's place "
            "and date); give both"
        )
    if not -90 <= inc <= 90 or not -180 <= dec <= 360:
        raise BadInputError(
            f"need inclination -90..90 and declination -180..360, got {inc:g}, {dec:g}"
        )
    if abs(inc) < 15:
        raise BadInputError(
            f"inclination {inc:g} degrees is within 15 of the equator, where reduction to the "
            "pole is unstable; use the analytic signal or derivatives instead"
        )
    rtp = pf.rtp_grid(g.values, g.easting, g.northing, float(inc), float(dec))
    out = g.like(rtp, inclination_deg=90.0, declination_deg=0.0)
    metrics = {"inclination_deg": float(inc), "declination_deg": float(dec)}
    cites = pf.FFT_CITATIONS
    return _grid_result(workspace, out, "reduced-to-pole anomaly", data, metrics, cites)


def field_derivative(
    workspace: Workspace,
    data: ArrayId,
    direction: Literal["upward", "easting", "northing", "total_horizontal"] = "upward",
    order: Literal[1, 2] = 1,
) -> ToolResult:
    """Vertical (FFT) or horizontal (finite-difference) derivative of a gravity or magnetic grid (Harmonica), per m.

    Args:
        data: workspace id of the grid.
        direction: upward (vertical derivative), easting, northing, or total_horizontal (gradient amplitude).
        order: order of the derivative (1 or 2); total_horizontal takes 1.
    """
    g = load_grid(workspace, data)
    if direction == "total_horizontal" and order != 1:
        raise BadInputError("total_horizontal is a first derivative; use order 1")
    d = pf.derivative_grid(g.values, g.easting, g.northing, direction, order)
    units = f"{g.units}/m" if order == 1 else f"{g.units}/m²"
    cites = pf.FFT_CITATIONS
    metrics = {"order": float(order)}
    return _grid_result(
        workspace, g.like(d, units=units), _DERIVATIVE_NAMES[direction], data, metrics, cites, units
    )


def euler_deconvolution(
    workspace: Workspace,
    data: ArrayId,
    structural_index: Literal[1, 2, 3] = 2,
    window_m: NonNegative = 0.0,
) -> ToolResult:
    """Source position and depth from Euler deconvolution of a grid (Harmonica), one window centred on the strongest anomaly.

    Args:
        data: workspace id of the grid (gravity or reduced-to-pole magnetic).
        structural_index: 1 (dyke, sill; magnetic), 2 (pipe; or a compact body in gravity), 3 (compact body in magnetics).
        window_m: side of the square data window in m, centred on the largest absolute value; 0 uses the whole grid.
    """
    g = load_grid(workspace, data)
    width = min(np.ptp(g.easting), np.ptp(g.northing))
    if window_m < 0 or (window_m and window_m < 4 * max(g.spacing)):
        raise BadInputError(
            f"window_m must be 0 (whole grid) or at least 4 grid spacings, got {window_m:g}"
        )
    if np.ptp(g.values) == 0:
        raise BadInputError(f"{data} is constant; Euler deconvolution needs an anomaly")
    window = None
    if window_m:
        j, i = np.unravel_index(np.argmax(np.abs(g.values - np.median(g.values))), g.values.shape)
        window = (float(g.easting[i]), float(g.northing[j]), float(window_m))
    loc, base, n = pf.euler_depth(
        g.values, g.easting, g.northing, g.height_m, structural_index, window
    )
    depth = -loc[2]
    metrics = {
        "source_easting_m": float(loc[0]),
        "source_northing_m": float(loc[1]),
        "source_depth_m": float(depth),
        "base_level": base,
        "n_points": float(n),
        "structural_index": float(structural_index),
    }
    where = "the whole grid" if window is None else f"a {window_m:g} m window"
    note = "" if abs(depth) < 3 * width else "; the depth is beyond 3 grid widths, so unreliable"
    return ToolResult(
        f"Euler solution (SI {structural_index}, {where}, {n} points): source at easting "
        f"{loc[0]:.1f} m, northing {loc[1]:.1f} m, depth {depth:.1f} m below 0{note}",
        (),
        metrics,
        (pf.HARMONICA_CITATION, pf.REID_CITATION),
    )


def model_prisms(
    workspace: Workspace,
    quantity: Literal["gravity", "magnetic"] = "gravity",
    size_m: Positive = 1000.0,
    depth_m: Positive = 1500.0,
    density_kg_m3: float = 300.0,
    susceptibility_si: float = 0.01,
    inclination_deg: float = 90.0,
    declination_deg: float = 0.0,
    n_nodes: int = 81,
    spacing_m: Positive = 100.0,
    height_m: float = 0.0,
) -> ToolResult:
    """Forward-model the gravity (mGal) or induced total-field magnetic anomaly (nT) of a buried cube on a grid (Harmonica), for tests and demos.

    Args:
        quantity: gravity (g_z) or magnetic (total-field anomaly, 50000 nT inducing field).
        size_m: side of the cube, in m, centred under the grid's middle.
        depth_m: depth of the cube's centre below 0, in m (more than half of size_m).
        density_kg_m3: density contrast, in kg/m³ (gravity).
        susceptibility_si: magnetic susceptibility, SI (magnetic).
        inclination_deg: inclination of the inducing field, in degrees (magnetic).
        declination_deg: declination of the inducing field, in degrees (magnetic).
        n_nodes: nodes along each side of the square grid (8-401).
        spacing_m: grid spacing, in m.
        height_m: observation height, in m above 0.
    """
    if not 8 <= n_nodes <= 401:
        raise BadInputError(f"n_nodes must be within 8-401, got {n_nodes}")
    if not (1 <= spacing_m <= 1e5 and 1 <= size_m <= 1e5 and abs(height_m) <= 1e5):
        raise BadInputError(
            "spacing_m and size_m must be within 1-100000 m and |height_m| <= 100000 m"
        )
    if not size_m / 2 < depth_m <= 1e5 or height_m < -(depth_m - size_m / 2):
        raise BadInputError(
            f"the cube's top must lie below 0 and below the grid: depth_m ({depth_m:g}) must exceed "
            f"half of size_m ({size_m / 2:g}) and be at most 100000"
        )
    if not (-1e4 <= density_kg_m3 <= 1e4 and 0 <= susceptibility_si <= 10):
        raise BadInputError("density_kg_m3 must be within ±10000 and susceptibility_si within 0-10")
    if not (-90 <= inclination_deg <= 90 and -180 <= declination_deg <= 360):
        raise BadInputError("inclination_deg must be within -90..90 and declination_deg -180..360")
    half = (n_nodes - 1) * spacing_m / 2
    axis = np.linspace(-half, half, n_nodes)
    s = size_m / 2
    prism = [[-s, s, -s, s, -depth_m - s, -depth_m + s]]
    values = pf.prism_field(
        axis, axis, height_m, prism, quantity, density_kg_m3, susceptibility_si,
        inclination_deg=inclination_deg, declination_deg=declination_deg,
    )  # fmt: skip
    extra = (
        {"inclination_deg": inclination_deg, "declination_deg": declination_deg}
        if quantity == "magnetic"
        else {}
    )
    g = Grid(values, axis, axis.copy(), height_m, quantity, extra)
    metrics = {"depth_m": depth_m, "size_m": size_m}
    return _grid_result(
        workspace, g, f"modelled {quantity}", "model", metrics, (pf.HARMONICA_CITATION,)
    )


def plot_grid(workspace: Workspace, data: ArrayId, title: str = "") -> ToolResult:
    """Map of a gravity or magnetic grid: colour image with easting and northing in km.

    Args:
        data: workspace id of the grid.
        title: figure title; empty uses the item's description.
    """
    from tools.plotting import pyplot, save_figure

    g = load_grid(workspace, data)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    extent = (g.easting[0] / 1e3, g.easting[-1] / 1e3, g.northing[0] / 1e3, g.northing[-1] / 1e3)
    lim = float(np.percentile(np.abs(g.values - np.median(g.values)), 99)) or 1.0
    mid = float(np.median(g.values))
    im = ax.imshow(
        g.values, origin="lower", extent=extent, cmap="RdBu_r", vmin=mid - lim, vmax=mid + lim
    )
    ax.set_xlabel("easting (km)")
    ax.set_ylabel("northing (km)")
    ax.set_aspect("equal")
    ax.set_title(title[:200] or workspace.meta(data).get("description", data), fontsize=10)
    plt.colorbar(im, ax=ax, shrink=0.8, label=g.units)
    art = save_figure(workspace, fig, f"map of {data}", derived_from=data)
    return ToolResult(f"map {art.id} of {data} ({_shape(g)})", (art,))
