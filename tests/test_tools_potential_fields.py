"""Gravity and magnetic tools on small seeded prism models: the issue-28 targets at a small
size with bounds a broken filter fails, and the bad inputs each refused in one line with
nothing written. Harmonica's numba kernels compile once per process (a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from agent.report import tool_report
from tools import ALL, CLASSICAL, POTENTIAL_FIELDS, REGISTRY, SEISMOLOGY, WELL_TIE, Workspace
from tools.pf_grid import load_grid

GRID = {"n_nodes": 41, "spacing_m": 200.0, "size_m": 1000.0, "depth_m": 1500.0}


def _ok(ws: Workspace, name: str, args: dict):
    r = ALL.call(name, args, ws)
    assert r.ok, r.summary
    assert r.citations or name in ("plot_grid", "read_potential_field")
    return r


def _refused(ws: Workspace, name: str, args: dict, words: str) -> str:
    before = ws.ids()
    r = ALL.call(name, args, ws)
    assert not r.ok and words in r.summary, r.summary
    assert "\n" not in r.summary.strip()
    assert ws.ids() == before  # nothing written
    return r.summary


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("pf"))


def _model(ws: Workspace, **kw) -> tuple[str, np.ndarray]:
    r = _ok(ws, "model_prisms", {**GRID, **kw})
    return r.artifacts[0].id, ws.load_array(r.artifacts[0].id)


def test_registries_keep_the_router_prompt_unchanged():
    assert not set(POTENTIAL_FIELDS.names()) & set(REGISTRY.names())
    assert ALL.names() == (
        REGISTRY.names()
        + SEISMOLOGY.names()
        + POTENTIAL_FIELDS.names()
        + WELL_TIE.names()
        + CLASSICAL.names()
    )


def test_upward_continuation_matches_the_field_modelled_higher(ws):
    ground, g0 = _model(ws)
    _, g_high = _model(ws, height_m=400.0)
    r = _ok(ws, "upward_continue", {"data": ground, "height_m": 400.0})
    up = ws.load_array(r.artifacts[0].id)
    assert load_grid(ws, r.artifacts[0].id).height_m == 400.0
    err = _rms(up - g_high) / _rms(g_high)
    assert err < 0.04, err  # 2.5 % here; the benchmark's larger grid gets under 2 %
    assert _rms(g0 - g_high) / _rms(g_high) > 0.2  # doing nothing fails by far


def test_reduction_to_pole_of_an_induced_anomaly(ws):
    tilted, t = _model(ws, quantity="magnetic", inclination_deg=45.0, declination_deg=10.0)
    _, pole = _model(ws, quantity="magnetic", inclination_deg=90.0, declination_deg=0.0)
    r = _ok(ws, "reduce_to_pole", {"data": tilted})  # angles from the modelled grid
    rtp = ws.load_array(r.artifacts[0].id)
    assert np.corrcoef(rtp.ravel(), pole.ravel())[0, 1] > 0.97
    assert np.corrcoef(t.ravel(), pole.ravel())[0, 1] < 0.9  # the input alone does not


def test_vertical_derivative_matches_a_finite_difference_of_models(ws):
    ground, _ = _model(ws)
    _, above = _model(ws, height_m=10.0)
    _, below = _model(ws, height_m=-10.0)
    r = _ok(ws, "field_derivative", {"data": ground, "direction": "upward"})
    assert r.summary.startswith("vertical derivative")
    dz = ws.load_array(r.artifacts[0].id)
    fd = (above - below) / 20.0
    assert _rms(dz - fd) / _rms(fd) < 0.1
    r = _ok(ws, "field_derivative", {"data": ground, "direction": "total_horizontal"})
    thg = ws.load_array(r.artifacts[0].id)
    assert thg[20, 20] < 0.05 * thg.max()  # zero over the centre of the body
    assert "mGal/m" in r.summary


@pytest.mark.parametrize("depth", [1500.0, 2500.0])
def test_euler_depth_of_a_cube(ws, depth):
    grid, _ = _model(ws, depth_m=depth)
    r = _ok(ws, "euler_deconvolution", {"data": grid, "structural_index": 2})
    assert abs(r.metrics["source_depth_m"] - depth) < 0.1 * depth
    assert abs(r.metrics["source_easting_m"]) < 50 and abs(r.metrics["source_northing_m"]) < 50
    deeper = _ok(ws, "euler_deconvolution", {"data": grid, "structural_index": 3})
    assert deeper.metrics["source_depth_m"] > 1.2 * depth  # the index matters


def test_read_csv_lattice_and_scattered_points(ws, tmp_path):
    e, n = np.meshgrid(np.arange(8) * 100.0, np.arange(6) * 100.0)
    v = np.sin(e / 300.0) + n / 1000.0
    lattice = tmp_path / "grid.csv"
    rows = [f"{a:g},{b:g},{c:.6f}" for a, b, c in zip(e.ravel(), n.ravel(), v.ravel())]
    lattice.write_text("Easting,Northing,Gravity\n" + "\n".join(rows[::-1]) + "\n")
    r = _ok(ws, "read_potential_field", {"file": ws.add_file(lattice).id})
    g = load_grid(ws, r.artifacts[0].id)
    np.testing.assert_allclose(g.values, v, atol=1e-6)
    assert g.spacing == (100.0, 100.0)

    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 4000, 400), rng.uniform(0, 3000, 400)
    field = 2.0 * np.exp(-((x - 2000) ** 2 + (y - 1500) ** 2) / 8e5)
    pts = tmp_path / "points.csv"
    pts.write_text("x,y,value\n" + "\n".join(f"{a},{b},{c}" for a, b, c in zip(x, y, field)))
    r = _ok(ws, "read_potential_field", {"file": ws.add_file(pts).id, "quantity": "magnetic"})
    assert r.metrics["n_points"] == 400
    for method, tol in (("spline", 0.02), ("knn", 0.15)):
        out = _ok(
            ws, "grid_scattered", {"data": r.artifacts[0].id, "spacing_m": 200.0, "method": method}
        )
        g = load_grid(ws, out.artifacts[0].id)
        E, N = np.meshgrid(g.easting, g.northing)
        truth = 2.0 * np.exp(-((E - 2000) ** 2 + (N - 1500) ** 2) / 8e5)
        inner = (slice(2, -2), slice(2, -2))
        assert _rms(g.values[inner] - truth[inner]) / _rms(truth) < tol, method
        assert g.quantity == "magnetic"


def test_gravity_corrections_leave_the_anomaly(ws, tmp_path):
    from tools.potential_fields import bouguer_mgal, normal_gravity_mgal

    rng = np.random.default_rng(0)
    x, y, h = rng.uniform(0, 3000, 50), rng.uniform(0, 3000, 50), rng.uniform(0, 800, 50)
    # WGS84 at the equator on the ellipsoid: 978032.53 mGal; 2*pi*G*2670 = 0.1119 mGal/m
    assert abs(normal_gravity_mgal(np.zeros(1), np.zeros(1))[0] - 978032.53) < 0.01
    assert abs(bouguer_mgal(np.array([100.0]), 2670.0)[0] - 11.19) < 0.01
    observed = normal_gravity_mgal(np.full(50, 30.0), h) + bouguer_mgal(h, 2670.0) + 7.5
    f = tmp_path / "stations.csv"
    f.write_text(
        "x,y,gravity,elevation\n"
        + "\n".join(f"{a},{b},{c},{d}" for a, b, c, d in zip(x, y, observed, h))
    )
    pts = _ok(ws, "read_potential_field", {"file": ws.add_file(f).id})
    # absolute gravity reads as a range, not 9.793e+05 to 9.794e+05
    assert f"{observed.min():.1f} to {observed.max():.1f} mGal" in pts.summary
    r = _ok(ws, "gravity_corrections", {"data": pts.artifacts[0].id, "latitude_deg": 30.0})
    anomaly = ws.load_array(r.artifacts[0].id)[:, 2]
    np.testing.assert_allclose(anomaly, 7.5, atol=1e-6)
    calls = [("read_potential_field", {"file": "ws-1"})]
    assert f"{observed.min():.1f} to {observed.max():.1f}" in tool_report("read it", calls, [pts])


def test_plot_grid(ws):
    grid, _ = _model(ws, n_nodes=16)
    r = _ok(ws, "plot_grid", {"data": grid, "title": "cube"})
    assert r.artifacts[0].kind == "figure" and r.artifacts[0].path.endswith(".png")


# ---- bad input: one line, nothing written -------------------------------------------------
def test_bad_inputs_are_refused_in_one_line(ws, tmp_path):
    import xarray as xr

    grav, g = _model(ws, n_nodes=16)
    _refused(ws, "reduce_to_pole", {"data": grav}, "magnetic data")
    holed = g.copy()
    holed[3, 4] = np.nan
    nan_id = ws.save_array(holed, "holed", ws.meta(grav)["metadata"]).id
    msg = _refused(ws, "upward_continue", {"data": nan_id, "height_m": 100.0}, "NaN")
    assert "grid_scattered" in msg

    e = np.array([0.0, 100.0, 200.0, 400.0, 500.0])  # one gap: uneven
    nc = tmp_path / "mag.nc"
    da = xr.DataArray(
        np.ones((4, 5)),
        coords={"northing": np.arange(4) * 100.0, "easting": e},
        dims=("northing", "easting"),
    )
    da.to_dataset(name="tfa").to_netcdf(nc, engine="scipy")
    _refused(
        ws, "read_potential_field", {"file": ws.add_file(nc).id, "quantity": "magnetic"}, "regrid"
    )

    even = tmp_path / "even.nc"
    da.assign_coords(easting=np.arange(5) * 100.0).to_dataset(name="tfa").to_netcdf(
        even, engine="scipy"
    )
    mag = _ok(ws, "read_potential_field", {"file": ws.add_file(even).id, "quantity": "magnetic"})
    msg = _refused(ws, "reduce_to_pole", {"data": mag.artifacts[0].id}, "inclination_deg")
    assert "declination_deg" in msg
    _refused(
        ws,
        "reduce_to_pole",
        {"data": mag.artifacts[0].id, "inclination_deg": 60.0},
        "declination_deg",
    )

    missing = tmp_path / "missing.csv"
    missing.write_text("x,gravity\n1,2\n3,4\n5,6\n7,8\n")
    _refused(ws, "read_potential_field", {"file": ws.add_file(missing).id}, "y (or northing)")
    anomaly = tmp_path / "anomaly.csv"
    anomaly.write_text(
        "x,y,gravity,height\n" + "\n".join(f"{i},{i * i % 7},{i},{10 * i}" for i in range(9))
    )
    pts = _ok(ws, "read_potential_field", {"file": ws.add_file(anomaly).id})
    _refused(
        ws,
        "gravity_corrections",
        {"data": pts.artifacts[0].id, "latitude_deg": 10.0},
        "absolute gravity",
    )
    _refused(ws, "grid_scattered", {"data": grav, "spacing_m": 100.0}, "scattered")
    _refused(ws, "upward_continue", {"data": "ws-9999", "height_m": 1.0}, "unknown workspace id")
    _refused(ws, "model_prisms", {"depth_m": 100.0, "size_m": 1000.0}, "depth_m")


def test_report_words_use_only_supported_numbers(ws):
    from agent.report import report_numbers_supported, tool_report

    calls = [
        ("model_prisms", {"n_nodes": 16, "depth_m": 2000.0}),
        ("upward_continue", {"data": "", "height_m": 300.0}),
        ("euler_deconvolution", {"data": ""}),
    ]
    results = [ALL.call(*calls[0], ws)]
    grid = results[0].artifacts[0].id
    calls[1] = ("upward_continue", {"data": grid, "height_m": 300.0})
    calls[2] = ("euler_deconvolution", {"data": grid})
    results += [ALL.call(*calls[1], ws), ALL.call(*calls[2], ws)]
    text = tool_report("model a cube, continue it up and find its depth", calls, results)
    assert "Upward-continued the field by 300 m" in text and "structural index 2" in text
    assert "Result" in text
    assert report_numbers_supported(text, "", calls, results) == []


def test_the_quantity_comes_from_the_file_labels_unless_given(ws, tmp_path):
    """read_potential_field without a quantity: magnetic when the netCDF variable or the
    CSV header says so (TMI, mag, nT), gravity otherwise; a given quantity wins."""
    import xarray as xr

    axis = np.arange(8) * 100.0
    da = xr.DataArray(
        np.ones((8, 8)), coords={"northing": axis, "easting": axis}, dims=("northing", "easting")
    )
    for name, attrs, expected in (
        ("tmi", {}, "magnetic"),
        ("anomaly", {"units": "nT"}, "magnetic"),
        ("bouguer", {"units": "mGal"}, "gravity"),
        ("z", {}, "gravity"),
    ):
        path = tmp_path / f"{name}.nc"
        da.assign_attrs(attrs).to_dataset(name=name).to_netcdf(path, engine="scipy")
        r = _ok(ws, "read_potential_field", {"file": ws.add_file(path).id})
        assert load_grid(ws, r.artifacts[0].id).quantity == expected, name
    csv = tmp_path / "mag.csv"
    csv.write_text(
        "x,y,mag_nT\n" + "\n".join(f"{i * 37 % 500},{i * 91 % 700},{i}" for i in range(30))
    )
    r = _ok(ws, "read_potential_field", {"file": ws.add_file(csv).id})
    assert "magnetic points" in r.summary
    r = _ok(ws, "read_potential_field", {"file": ws.add_file(csv).id, "quantity": "gravity"})
    assert "gravity points" in r.summary
    # the chat's report names what was read, also when the call left quantity null
    from agent.report import tool_report

    tmi = tmp_path / "tmi.nc"
    da.to_dataset(name="tmi").to_netcdf(tmi, engine="scipy")
    args = {"file": ws.add_file(tmi).id, "quantity": None}
    text = tool_report(
        "read it", [("read_potential_field", args)], [_ok(ws, "read_potential_field", args)]
    )
    assert "Read a magnetic grid" in text and "None" not in text
