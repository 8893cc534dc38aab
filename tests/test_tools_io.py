"""SEG-Y/ASCII/LAS I/O: write->read equality with headers, clear errors on bad files."""

from __future__ import annotations

import numpy as np
import pytest
import segyio

from common.errors import BadInputError
from tests.fixtures_seismic import real_data, tiny_cube_segy
from tools import REGISTRY
from tools.segy import check_segy, read_segy_array


def test_cube_write_read_roundtrip_keeps_headers(tmp_path, workspace):
    src = tmp_path / "cube.sgy"
    cube = tiny_cube_segy(src)
    fid = workspace.add_file(src).id
    info = check_segy(src)
    assert info["geometry"] == "3D post-stack" and info["dt_ms"] == 2.0
    assert (info["n_inlines"], info["n_crosslines"], info["n_samples"]) == cube.shape

    r = REGISTRY.call("read_segy", {"file": fid, "inline": 2}, workspace)
    assert r.ok, r.summary
    line = workspace.load_array(r.artifacts[0].id)
    np.testing.assert_array_equal(line, cube[1])  # inlines are numbered from 1
    w = REGISTRY.call("write_segy", {"data": r.artifacts[0].id}, workspace)
    assert w.ok, w.summary
    with (
        segyio.open(w.artifacts[0].path, ignore_geometry=True) as out,
        segyio.open(src, ignore_geometry=True) as ref,
    ):
        np.testing.assert_array_equal(out.trace.raw[:], cube[1])
        assert out.text[0] == ref.text[0]
        for j in range(cube.shape[1]):  # inline 2 is traces 5..9 of the inline-sorted file
            assert dict(out.header[j]) == dict(ref.header[5 + j])

    # a processed inline keeps its traces' places in the file, so its headers are copied
    # too (the trace positions used to be dropped by processing: write_segy refused)
    agc = REGISTRY.call("agc", {"data": r.artifacts[0].id, "window_ms": 8.0}, workspace)
    w3 = REGISTRY.call("write_segy", {"data": agc.artifacts[0].id}, workspace)
    assert w3.ok, w3.summary
    with (
        segyio.open(w3.artifacts[0].path, ignore_geometry=True) as out,
        segyio.open(src, ignore_geometry=True) as ref,
    ):
        assert [out.header[j][segyio.TraceField.CROSSLINE_3D] for j in range(cube.shape[1])] == [
            ref.header[5 + j][segyio.TraceField.CROSSLINE_3D] for j in range(cube.shape[1])
        ]

    full = REGISTRY.call("read_segy", {"file": fid}, workspace).artifacts[0].id
    w2 = REGISTRY.call("write_segy", {"data": full}, workspace).artifacts[0].path
    back, meta = read_segy_array(w2)
    np.testing.assert_array_equal(back, cube)
    assert meta["geometry"] == "3D post-stack"


def test_crossline_and_time_slice(tmp_path):
    src = tmp_path / "cube.sgy"
    cube = tiny_cube_segy(src)
    xl, meta = read_segy_array(src, crossline=3)
    np.testing.assert_array_equal(xl, cube[:, 2])
    assert meta["trace_index"] == [2, 7, 12, 17]
    sl, meta = read_segy_array(src, time_ms=10.0)
    np.testing.assert_array_equal(sl, cube[:, :, 5])
    with pytest.raises(BadInputError, match="inline 99 is not in"):
        read_segy_array(src, inline=99)


def test_minimal_headers_from_array(workspace):
    a = workspace.save_array(np.arange(40.0).reshape(4, 10), "x", {"dt_ms": 4.0})
    r = REGISTRY.call("write_segy", {"data": a.id, "headers": "minimal"}, workspace)
    assert r.ok, r.summary
    with segyio.open(r.artifacts[0].path, ignore_geometry=True) as f:
        np.testing.assert_array_equal(f.trace.raw[:], np.arange(40.0).reshape(4, 10))
        assert segyio.tools.dt(f) == 4000


def test_bad_segy_files_give_clear_errors(tmp_path, workspace):
    short = tmp_path / "short.sgy"
    short.write_bytes(b"\0" * 100)
    with pytest.raises(BadInputError, match="too short"):
        check_segy(short)
    cut = tmp_path / "cut.sgy"
    tiny_cube_segy(cut)
    cut.write_bytes(cut.read_bytes()[:-37])
    with pytest.raises(BadInputError, match="truncated"):
        check_segy(cut)
    fid = workspace.add_file(cut).id
    r = REGISTRY.call("read_segy", {"file": fid}, workspace)
    assert not r.ok and "truncated" in r.summary


def test_real_segy_files(workspace):
    d = real_data() / "segy"
    f3 = check_segy(d / "f3_crop.sgy")
    assert f3["inlines"] == [111, 133] and f3["crosslines"] == [875, 892]
    npra = check_segy(d / "npra_31_81.sgy")
    assert (npra["geometry"], npra["n_traces"], npra["n_samples"]) == ("2D/unsorted", 534, 1501)
    assert check_segy(d / "land_shot_gather.sgy")["dt_ms"] == 0.25
    with pytest.raises(BadInputError, match="truncated"):
        check_segy(d / "broken_truncated.sgy")
    with pytest.raises(BadInputError, match="trace header is empty"):
        check_segy(d / "long_no_geometry.sgy")
    fid = workspace.add_file(d / "long_no_geometry.sgy").id
    assert not REGISTRY.call("segy_info", {"file": fid}, workspace).ok


def test_real_f3_ascii_well_and_location(workspace):
    d = real_data() / "f3_inline362"
    ids = [
        workspace.add_file(d / n).id
        for n in ("export_inline362.ascii", "F02-1_logs.las", "F02-1_checkshot_TD.txt")
    ]
    r = REGISTRY.call("read_ascii_section", {"file": ids[0]}, workspace)
    assert r.ok and workspace.load_array(r.artifacts[0].id).shape == (951, 463)
    assert workspace.meta(r.artifacts[0].id)["metadata"]["inline"] == 362
    w = REGISTRY.call("read_well_log", {"file": ids[1], "checkshot": ids[2]}, workspace)
    assert w.ok, w.summary
    log_t = workspace.load_array(w.artifacts[1].id)
    assert 2e6 < log_t.min() and log_t.max() < 7e6  # AI in (m/s)*(kg/m3)
    # checkshot: 553.6 m at 544 ms; the time log must cover it
    assert w.metrics["twt_top_ms"] < 544 < w.metrics["twt_base_ms"]
    s = workspace.add_file(real_data() / "segy" / "f3_crop.sgy").id
    loc = REGISTRY.call("locate_well", {"survey": s, "x": 606554, "y": 6080126}, workspace)
    assert round(loc.metrics["inline"]) == 362 and round(loc.metrics["crossline"]) == 336
