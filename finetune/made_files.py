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
- ``gravity_stations.csv``: observed absolute gravity (mGal) at 250 scattered stations
  with heights (columns easting, northing, height, gravity), as a land survey at
  latitude 47.5 deg N reads it: WGS84 normal gravity at each station's height (Boule),
  plus the Bouguer plate of 2670 kg/m3 under it and the same buried cube (Harmonica), for
  ``gravity_corrections``.
- ``event_3c.mseed``: ObsPy's example three-component record (BW.RJOB EHZ/EHN/EHE, a
  local event, 30 s at 100 Hz; ``obspy.read()`` without arguments) as MiniSEED, for the
  three-component picker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from common.errors import BadInputError
from tools import potential_fields as pf

__all__ = ["MADE", "made_file"]

MADE = (
    "gravity_points.csv",
    "gravity_grid.nc",
    "magnetic_grid.nc",
    "gravity_stations.csv",
    "event_3c.mseed",
)
STATIONS_LATITUDE = 47.5  # deg N, where gravity_stations.csv is modelled
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
    if name == "event_3c.mseed":
        import obspy

        st = obspy.read()  # ObsPy's packaged example, no download
        for tr in st:
            tr.data = tr.data.astype(np.float64)
        st.write(str(p), format="MSEED")
        return p
    if name == "gravity_stations.csv":
        rng = np.random.default_rng(12)
        x, y = rng.uniform(-4000, 4000, 250), rng.uniform(-4000, 4000, 250)
        # gentle hills: 150-650 m
        h = 400.0 + 150.0 * np.sin(x / 2500.0) + 100.0 * np.cos(y / 1800.0)
        cube = np.array(
            [
                pf.prism_field(np.array([a]), np.array([b]), c, _CUBE, "gravity")[0, 0]
                for a, b, c in zip(x, y, h)
            ]
        )
        lat = np.full(x.shape, STATIONS_LATITUDE)
        g = pf.normal_gravity_mgal(lat, h) + pf.bouguer_mgal(h, 2670.0) + cube
        rows = "\n".join(f"{a:.1f},{b:.1f},{c:.1f},{v:.3f}" for a, b, c, v in zip(x, y, h, g))
        p.write_text("easting,northing,height,gravity\n" + rows + "\n")
        return p
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
