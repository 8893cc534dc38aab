"""Files for routing setups beyond ../shared/data: waveform files that ship inside ObsPy
and gravity and magnetic data forward-modelled with Harmonica.

- ``obspy:PATH``: a file of ObsPy's own test data (LGPL-3.0, installed with the package),
  e.g. ``obspy:realtime/tests/data/II.TLY.BHZ.SAC`` (the 2011 Tohoku earthquake at
  station II.TLY, with event headers) or ``obspy:signal/tests/data/CRLZ.HHZ.10.NZ.SAC``
  (a local event in New Zealand at 100 Hz, no event headers).
- ``gravity_points.csv``: 400 scattered stations (x, y, gravity in mGal) over a buried
  dense cube; ``gravity_grid.nc``: the same body's field on an 81 x 81 grid at 100 m;
  ``magnetic_grid.nc``: the total-field anomaly (nT) of a magnetised cube induced at
  inclination 45 deg, declination 10 deg, on the same grid (netCDF-3, dims
  northing/easting).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from common.errors import BadInputError
from tools import potential_fields as pf

__all__ = ["MADE", "made_file"]

MADE = ("gravity_points.csv", "gravity_grid.nc", "magnetic_grid.nc")
_CUBE = [
    [-500.0, 500.0, -400.0, 600.0, -2000.0, -1000.0]
]  # west, east, south, north, bottom, top (m)


def made_file(name: str, scratch: Path) -> Path:
    """The path of setup file ``name`` (made in ``scratch`` on first use)."""
    if name.startswith("obspy:"):
        import obspy

        p = Path(obspy.__file__).parent / name.split(":", 1)[1]
        if not p.is_file():
            raise BadInputError(f"{p} is not in this ObsPy installation")
        return p
    if name not in MADE:
        raise BadInputError(f"unknown made file {name!r}; known: {', '.join(MADE)}")
    p = scratch / name
    if p.exists():
        return p
    axis = np.linspace(-4000.0, 4000.0, 81)
    if name == "gravity_points.csv":
        rng = np.random.default_rng(11)
        x, y = rng.uniform(-4000, 4000, 400), rng.uniform(-4000, 4000, 400)
        g = np.array(
            [
                pf.prism_field(np.array([a]), np.array([b]), 0.0, _CUBE, "gravity")[0, 0]
                for a, b in zip(x, y)
            ]
        )
        rows = "\n".join(f"{a:.1f},{b:.1f},{v:.5f}" for a, b, v in zip(x, y, g))
        p.write_text("x,y,gravity\n" + rows + "\n")
        return p
    import xarray as xr

    if name == "gravity_grid.nc":
        values = pf.prism_field(axis, axis, 0.0, _CUBE, "gravity")
        var = "gravity"
    else:
        values = pf.prism_field(
            axis, axis, 0.0, _CUBE, "magnetic", susceptibility_si=0.02,
            inclination_deg=45.0, declination_deg=10.0,
        )  # fmt: skip
        var = "magnetic_anomaly"
    ds = xr.Dataset(
        {var: (("northing", "easting"), np.asarray(values, np.float64))},
        coords={"northing": axis, "easting": axis},
    )
    ds.to_netcdf(p, engine="scipy")
    return p
