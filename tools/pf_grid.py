"""Potential-field grids and scattered points as workspace items, and reading them from files.

A *grid* item is an (n_northing, n_easting) array of gravity (mGal) or magnetic (nT)
values on a regular easting/northing lattice (m) at one observation height (m, up), with
sidecar metadata ``{"pf": {"type": "grid", "quantity", "units", "easting": [first, last],
"northing": [first, last], "spacing_m": [d_east, d_north], "height_m"}}``. A *points* item
is an (n_points, 3 or 4) array of easting, northing, value[, height], with ``{"pf":
{"type": "points", "quantity", "units", "columns"}}``. xarray loads inside the functions
that need it, so importing ``tools`` stays light.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from common.errors import BadInputError
from tools.result import Artifact
from tools.workspace import Workspace

__all__ = [
    "Grid",
    "UNITS",
    "load_grid",
    "save_grid",
    "load_points",
    "save_points",
    "read_csv_table",
    "read_netcdf_grid",
    "lattice_grid",
]

UNITS = {"gravity": "mGal", "magnetic": "nT"}
_EAST = ("easting", "x", "east", "e")
_NORTH = ("northing", "y", "north", "n")
_HEIGHT = ("height", "elevation", "upward", "z", "height_m", "elevation_m")
_VALUE = ("value", "gravity", "magnetic", "field", "anomaly", "data", "tfa", "total_field")


@dataclass
class Grid:
    """A regular grid: ``values`` (n_northing, n_easting), coordinates in m, height in m up."""

    values: np.ndarray
    easting: np.ndarray
    northing: np.ndarray
    height_m: float
    quantity: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def units(self) -> str:
        return UNITS.get(self.quantity, "")

    @property
    def spacing(self) -> tuple[float, float]:
        return float(self.easting[1] - self.easting[0]), float(self.northing[1] - self.northing[0])

    def to_xarray(self, values: np.ndarray | None = None) -> Any:
        """An ``xarray.DataArray`` with dims (northing, easting), as Harmonica's filters expect."""
        import xarray as xr

        v = self.values if values is None else values
        return xr.DataArray(
            v,
            coords={"northing": self.northing, "easting": self.easting},
            dims=("northing", "easting"),
        )

    def like(self, values: np.ndarray, **extra: Any) -> "Grid":
        return Grid(
            values,
            self.easting,
            self.northing,
            self.height_m,
            self.quantity,
            {**self.extra, **extra},
        )


def _check_regular(coord: np.ndarray, axis: str) -> None:
    d = np.diff(coord)
    if coord.size < 4:
        raise BadInputError(f"the grid has {coord.size} {axis} nodes; at least 4 are needed")
    if np.any(d <= 0) or np.ptp(d) > 1e-3 * abs(d.mean()):
        raise BadInputError(
            f"the grid's {axis} spacing is uneven ({d.min():g} to {d.max():g} m); regrid it "
            "onto a regular lattice first (grid_scattered with a spacing_m)"
        )


def check_grid(g: Grid, name: str) -> Grid:
    """``g`` unchanged, or BadInputError for NaNs, uneven spacing or too few nodes."""
    _check_regular(g.easting, "easting")
    _check_regular(g.northing, "northing")
    bad = int(np.count_nonzero(~np.isfinite(g.values)))
    if bad:
        raise BadInputError(
            f"{name} has {bad} NaN or infinite values of {g.values.size}; fill the gaps first "
            "(regrid its valid points with grid_scattered) or crop to the covered area"
        )
    return g


def load_grid(workspace: Workspace, item_id: str) -> Grid:
    """The grid item ``item_id``, checked (finite, regular), or BadInputError saying why not."""
    meta = workspace.meta(item_id).get("metadata", {}).get("pf")
    if not isinstance(meta, dict) or meta.get("type") != "grid":
        kind = meta.get("type") if isinstance(meta, dict) else "not a potential-field item"
        raise BadInputError(
            f"{item_id} is not a potential-field grid ({kind}); read a file with "
            "read_potential_field, grid points with grid_scattered, or model one with model_prisms"
        )
    values = workspace.load_array(item_id)
    if values.ndim != 2 or not np.issubdtype(values.dtype, np.number):
        raise BadInputError(
            f"{item_id} should be a 2D numeric grid, got {values.dtype} {values.shape}"
        )
    try:
        ny, nx = values.shape
        e0, e1 = (float(v) for v in meta["easting"])
        n0, n1 = (float(v) for v in meta["northing"])
        height = float(meta.get("height_m", 0.0))
    except (KeyError, TypeError, ValueError):
        raise BadInputError(f"{item_id}'s grid metadata is damaged; read the file again") from None
    g = Grid(
        values.astype(float),
        np.linspace(e0, e1, nx),
        np.linspace(n0, n1, ny),
        height,
        str(meta.get("quantity", "gravity")),
        {k: meta[k] for k in ("inclination_deg", "declination_deg") if k in meta},
    )
    return check_grid(g, item_id)


def save_grid(workspace: Workspace, g: Grid, description: str, **metadata: Any) -> Artifact:
    """Store ``g`` as a grid item (metadata as in the module doc)."""
    pf = {
        "type": "grid",
        "quantity": g.quantity,
        "units": g.units,
        "easting": [float(g.easting[0]), float(g.easting[-1])],
        "northing": [float(g.northing[0]), float(g.northing[-1])],
        "spacing_m": list(g.spacing),
        "height_m": float(g.height_m),
        **g.extra,
    }
    meta = {"axes": ["northing", "easting"], "pf": pf, **metadata}
    return workspace.save_array(np.asarray(g.values, dtype=float), description, meta)


def load_points(workspace: Workspace, item_id: str) -> tuple[np.ndarray, dict[str, Any]]:
    """(points (n, 3|4): easting, northing, value[, height]; pf metadata) of a points item."""
    meta = workspace.meta(item_id).get("metadata", {}).get("pf")
    if not isinstance(meta, dict) or meta.get("type") != "points":
        raise BadInputError(
            f"{item_id} is not a set of scattered potential-field points; read a CSV with "
            "read_potential_field first"
        )
    pts = workspace.load_array(item_id)
    if pts.ndim != 2 or pts.shape[1] not in (3, 4) or not np.all(np.isfinite(pts)):
        raise BadInputError(f"{item_id} should be finite (n, 3 or 4) points, got {pts.shape}")
    return pts.astype(float), meta


def save_points(
    workspace: Workspace, pts: np.ndarray, quantity: str, description: str, **metadata: Any
) -> Artifact:
    columns = ["easting", "northing", "value"] + (["height"] if pts.shape[1] == 4 else [])
    pf = {"type": "points", "quantity": quantity, "units": UNITS[quantity], "columns": columns}
    return workspace.save_array(pts, description, {"pf": pf, **metadata})


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, h in enumerate(header):
        if h in names:
            return i
    return None


def quantity_of(path: str | os.PathLike, variable: str = "") -> str:
    """ "magnetic" when the data's own labels say so (a netCDF variable's name, units or
    long_name; a CSV's header: mag, TMI, nT, RTP, total field), else "gravity"."""
    labels = ""
    try:
        if str(path).lower().endswith(".nc"):
            import xarray as xr

            with xr.open_dataset(path, engine="scipy") as ds:
                names = [variable] if variable in ds.data_vars else list(ds.data_vars)
                for v in names:
                    labels += (
                        f" {v} {ds[v].attrs.get('units', '')} {ds[v].attrs.get('long_name', '')}"
                    )
        else:
            with open(path, encoding="utf-8") as f:
                labels = f.readline()
    except Exception:  # unreadable: the reader itself says why
        return "gravity"
    magnetic = re.search(r"mag|tmi|\bnt\b|rtp|total.?field", labels, re.I)
    return "magnetic" if magnetic else "gravity"


def read_csv_table(path: str | os.PathLike) -> np.ndarray:
    """(n, 3|4) easting, northing, value[, height] from a CSV with a header row.

    Columns are found by name (case-insensitive): easting/x, northing/y, a value column
    (value, gravity, magnetic, anomaly, ...; else the one remaining column), height/elevation.
    """
    name = os.path.basename(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (UnicodeDecodeError, OSError, csv.Error) as e:
        raise BadInputError(f"{name} is not a readable UTF-8 CSV ({e})") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise BadInputError(f"{name} needs a header row (x,y,value[,height]) and data rows")
    header = [h.strip().lower() for h in rows[0]]
    ie, iN, ih = _pick(header, _EAST), _pick(header, _NORTH), _pick(header, _HEIGHT)
    iv = _pick(header, _VALUE)
    if iv is None:
        rest = [i for i in range(len(header)) if i not in (ie, iN, ih)]
        iv = rest[0] if len(rest) == 1 else None
    if ie is None or iN is None or iv is None:
        raise BadInputError(
            f"{name} has columns {header}; it needs x (or easting), y (or northing) and a "
            "value column (value, gravity, magnetic or anomaly), optionally height"
        )
    cols = [ie, iN, iv] + ([ih] if ih is not None else [])
    try:
        table = np.array([[float(r[i]) for i in cols] for r in rows[1:]], dtype=float)
    except (ValueError, IndexError):
        raise BadInputError(f"{name} has rows that are short or not numbers in {header}") from None
    if not np.all(np.isfinite(table)):
        raise BadInputError(f"{name} contains NaN or infinite values; remove those rows")
    if len(table) < 4:
        raise BadInputError(f"{name} holds {len(table)} points; at least 4 are needed")
    return table


def lattice_grid(pts: np.ndarray, quantity: str) -> Grid | None:
    """The points as a Grid when they fill a regular lattice exactly once, else None."""
    e, n = np.unique(pts[:, 0]), np.unique(pts[:, 1])
    if e.size * n.size != len(pts) or e.size < 4 or n.size < 4:
        return None
    for c in (e, n):
        d = np.diff(c)
        if np.ptp(d) > 1e-6 * d.mean():
            return None
    order = np.lexsort((pts[:, 0], pts[:, 1]))  # northing-major, easting fastest
    p = pts[order]
    height = float(p[:, 3].mean()) if p.shape[1] == 4 else 0.0
    if p.shape[1] == 4 and np.ptp(p[:, 3]) > 1e-6:
        return None  # a draped survey: keep the points (heights differ)
    return Grid(p[:, 2].reshape(n.size, e.size), e, n, height, quantity)


def read_netcdf_grid(path: str | os.PathLike, quantity: str, variable: str = "") -> Grid:
    """A 2D variable of a netCDF-3 file (xarray, scipy backend) on easting/northing (or x/y)."""
    import xarray as xr

    name = os.path.basename(path)
    try:
        ds = xr.open_dataset(path, engine="scipy")
    except Exception as e:  # xarray raises many types for non-netCDF input
        raise BadInputError(
            f"{name} is not a readable netCDF-3 file ({type(e).__name__}); netCDF-4/HDF5 files "
            "need `pip install h5netcdf` (or save as CSV x,y,value)"
        ) from None
    with ds:
        names = [variable] if variable else [v for v in ds.data_vars if ds[v].ndim == 2]
        if not names or names[0] not in ds.data_vars or ds[names[0]].ndim != 2:
            raise BadInputError(
                f"{name} has no 2D data variable {variable!r}; found {list(ds.data_vars)}"
            )
        da = ds[names[0]]
        dims = [str(d).lower() for d in da.dims]
        if dims[1] not in _EAST or dims[0] not in _NORTH:
            raise BadInputError(
                f"{name}: variable {names[0]} has dims {tuple(da.dims)}; expected (northing, easting) or (y, x)"
            )
        values = np.asarray(da.values, dtype=float)
        east = np.asarray(da[da.dims[1]].values, dtype=float)
        north = np.asarray(da[da.dims[0]].values, dtype=float)
        height = float(da.attrs.get("height_m", ds.attrs.get("height_m", 0.0)))
    if east.size > 1 and east[1] < east[0]:
        east, values = east[::-1], values[:, ::-1]
    if north.size > 1 and north[1] < north[0]:
        north, values = north[::-1], values[::-1]
    return check_grid(Grid(values, east, north, height, quantity), name)
