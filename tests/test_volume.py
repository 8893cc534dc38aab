"""Chunked SEG-Y processing: blocks with halos equal the whole cube in memory, the output
keeps the input's headers, bad input fails clearly, 1 and 2 workers write the same file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import segyio

from agent.cli import main
from common.errors import BadInputError, ModelError, ToolError
from tools import REGISTRY
from tools.volume import (
    VolumeOp,
    block_inlines_for,
    dask_client,
    plan_blocks,
    process_volume,
    volume_info,
)
from tools.volume_ops import make_op


def _cube(n_il=11, n_xl=24, n_t=64, seed=0) -> np.ndarray:
    """(n_il, n_xl, n_t) float32: two dipping events plus noise, smooth across inlines."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_t)[None, None, :]
    il, xl = np.mgrid[0:n_il, 0:n_xl]
    events = sum(
        np.exp(-0.5 * ((t - (t0 + 0.8 * xl + 0.5 * il)[..., None]) / 2.0) ** 2) for t0 in (15, 35)
    )
    return (events + 0.3 * rng.standard_normal((n_il, n_xl, n_t))).astype(np.float32)


def _write(path, cube, dt_us=4000):
    segyio.tools.from_array(
        str(path), cube, dt=dt_us, format=segyio.SegySampleFormat.IEEE_FLOAT_4_BYTE
    )
    return path


def _read(path) -> np.ndarray:
    with segyio.open(path) as f:
        cube = segyio.tools.cube(f)
        return cube if f.sorting == 2 else cube.transpose(1, 0, 2)


@pytest.fixture
def cube_file(tmp_path):
    cube = _cube()
    return _write(tmp_path / "cube.sgy", cube), cube


def test_blocks_cover_the_cube_with_halos_clipped_at_its_edges():
    blocks = plan_blocks(11, 4, halo=2)
    assert [(b.start, b.stop) for b in blocks] == [(0, 4), (4, 8), (8, 11)]
    assert [(b.read_start, b.read_stop) for b in blocks] == [(0, 6), (2, 10), (6, 11)]
    with pytest.raises(BadInputError, match="block_inlines"):
        plan_blocks(11, 0)


@pytest.mark.parametrize(
    "name,args",
    [
        ("fx_decon", {"win_traces": 16, "win_ms": 120.0}),
        ("rank_reduction", {"rank": 1, "win_traces": 12, "win_ms": 100.0}),
        ("median_filter", {"half_width": 2, "dip_steered": True}),
        ("bandpass", {"low_hz": 8, "high_hz": 40}),
        ("fk_filter", {"max_dip_ms_per_trace": 1.5}),
    ],
)
def test_chunked_ops_equal_the_in_memory_tools(cube_file, tmp_path, workspace, name, args):
    path, _ = cube_file
    info = volume_info(path)
    process_volume(info, tmp_path / "out.sgy", make_op(name, info, args), None, block_inlines=3)
    fid = workspace.add_file(path).id
    cube_id = REGISTRY.call("read_segy", {"file": fid}, workspace).artifacts[0].id
    r = REGISTRY.call(name, {"data": cube_id, "figure": False, **args}, workspace)
    assert r.ok, r.summary
    # per inline and trace-local ops need no halo: bit for bit what the tool gives
    np.testing.assert_array_equal(
        _read(tmp_path / "out.sgy"), workspace.load_array(r.artifacts[0].id)
    )


def test_halo_makes_block_edges_exact(cube_file, tmp_path):
    from scipy.ndimage import median_filter

    path, cube = cube_file
    info = volume_info(path)
    op = make_op(
        "median_filter",
        info,
        {"inline_half_width": 2, "dip_steered": False, "half_width": 1, "half_length": 1},
    )
    assert op.halo == 2
    process_volume(info, tmp_path / "out.sgy", op, None, block_inlines=2)
    whole = median_filter(cube, size=(5, 3, 3), mode="reflect")
    np.testing.assert_array_equal(_read(tmp_path / "out.sgy"), whole)
    # the same filter with too small a halo is wrong next to block edges, right elsewhere
    short = VolumeOp("median", op.fn, halo=1)
    process_volume(info, tmp_path / "short.sgy", short, None, block_inlines=4)
    bad = np.flatnonzero(np.any(_read(tmp_path / "short.sgy") != whole, axis=(1, 2)))
    assert set(bad) <= {3, 4, 7, 8} and len(bad) >= 2  # block edges at inlines 4 and 8


def test_output_keeps_the_input_headers(tmp_path):
    path = tmp_path / "ibm.sgy"
    segyio.tools.from_array(
        str(path), _cube(), dt=4000, format=segyio.SegySampleFormat.IBM_FLOAT_4_BYTE
    )
    info = volume_info(path)
    with segyio.open(path, "r+") as f:  # something to copy besides the defaults
        f.text[0] = segyio.tools.create_text_header({1: "chunked header test"})
        for i in range(f.tracecount):
            f.header[i] = {segyio.su.cdpx: 1000 + i, segyio.su.cdpy: 5000 - i}
    out = tmp_path / "out.sgy"
    process_volume(
        info, out, make_op("bandpass", info, {"low_hz": 5, "high_hz": 50}), None, block_inlines=4
    )
    with segyio.open(path) as src, segyio.open(out) as dst:
        assert dst.text[0] == src.text[0]
        fmt = segyio.BinField.Format
        assert dst.bin[fmt] == segyio.SegySampleFormat.IEEE_FLOAT_4_BYTE  # converted
        assert {**dst.bin, fmt: 1} == {**src.bin, fmt: 1}
        assert list(dst.ilines) == list(src.ilines) and list(dst.xlines) == list(src.xlines)
        np.testing.assert_array_equal(dst.samples, src.samples)
        assert all(dst.header[i] == src.header[i] for i in range(src.tracecount))
    assert not list(tmp_path.glob(".*partial*"))


def test_crossline_sorted_input(tmp_path):
    cube = _cube(5, 7, 32)
    path = tmp_path / "xl.sgy"
    spec = segyio.spec()
    spec.samples, spec.format, spec.sorting = np.arange(32) * 4.0, 5, 1
    spec.ilines, spec.xlines = np.arange(10, 15), np.arange(20, 27)
    with segyio.create(str(path), spec) as f:
        for j, (xl, il) in enumerate((xl, il) for xl in range(7) for il in range(5)):
            f.header[j] = {segyio.su.iline: 10 + il, segyio.su.xline: 20 + xl}
            f.trace[j] = cube[il, xl]
    info = volume_info(path)
    assert info.sorting == "crossline"
    identity = VolumeOp("identity", lambda block: block * 2)
    process_volume(info, tmp_path / "out.sgy", identity, None, block_inlines=2)
    np.testing.assert_array_equal(_read(tmp_path / "out.sgy"), 2 * cube)


def test_truncated_and_wrong_files_fail_clearly(cube_file, tmp_path):
    path, _ = cube_file
    data = path.read_bytes()
    trace = 240 + 64 * 4
    cases = {
        "mid_trace.sgy": (data[:-100], "truncated"),
        "whole_traces.sgy": (data[: -3 * trace], "regular inline/crossline grid"),
        "tiny.sgy": (data[:1000], "too short"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(BadInputError, match=message):
            volume_info(tmp_path / name)
    spec = segyio.spec()  # traces of a 3x4 grid in shuffled order: no geometry
    spec.samples, spec.format, spec.tracecount = np.arange(32) * 4.0, 5, 12
    with segyio.create(str(tmp_path / "unsorted.sgy"), spec) as f:
        for j, k in enumerate(np.random.default_rng(0).permutation(12)):
            f.header[j] = {segyio.su.iline: 1 + k // 4, segyio.su.xline: 1 + k % 4}
            f.trace[j] = np.ones(32, np.float32)
    with pytest.raises(BadInputError, match="unsorted gathers"):
        volume_info(tmp_path / "unsorted.sgy")
    # a file cut after it was checked fails in the block that reads past its end
    (tmp_path / "cut.sgy").write_bytes(data)
    info = volume_info(tmp_path / "cut.sgy")
    (tmp_path / "cut.sgy").write_bytes(data[: -5 * trace])
    with pytest.raises(BadInputError, match="truncated or changed"):
        process_volume(
            info, tmp_path / "out.sgy", VolumeOp("id", lambda b: b), None, block_inlines=4
        )
    assert not (tmp_path / "out.sgy").exists() and not list(tmp_path.glob(".*partial*"))


def test_bad_arguments_fail_before_anything_runs(cube_file, tmp_path):
    path, _ = cube_file
    info = volume_info(path)
    for name, args, message in [
        ("nope", {}, "no volume op"),
        ("fx_decon", {"rank": 2}, "no argument"),
        ("fx_decon", {"win_traces": "wide"}, "bad arguments"),
        ("fx_decon", {"win_traces": 2}, "windows too small"),
        ("bandpass", {"high_hz": 400}, "Nyquist"),
        ("median_filter", {"inline_half_width": 1}, "rectangular"),
        ("invert_impedance", {}, "exactly one background"),
    ]:
        with pytest.raises(BadInputError, match=message):
            make_op(name, info, args)
    op = make_op("fx_decon", info)
    with pytest.raises(BadInputError, match="too small"):
        block_inlines_for(info, op, "100MB", 2)
    with pytest.raises(BadInputError, match="not a size"):
        block_inlines_for(info, op, "lots", 2)
    assert block_inlines_for(info, op, "2GB", 2) == 2  # capped: 4 blocks for each worker
    with pytest.raises(BadInputError, match="not be the input"):
        process_volume(info, path, op)
    (tmp_path / "taken.sgy").write_bytes(b"x")
    with pytest.raises(BadInputError, match="exists"):
        process_volume(info, tmp_path / "taken.sgy", op)
    with pytest.raises(BadInputError, match="scheduler"), dask_client("nowhere"):
        pass


def test_failing_block_leaves_no_output(cube_file, tmp_path):
    path, _ = cube_file

    def boom(block):
        raise FloatingPointError("diverged")

    with pytest.raises(ToolError, match="inlines 0-3.*diverged"):
        process_volume(
            volume_info(path), tmp_path / "out.sgy", VolumeOp("boom", boom), None, block_inlines=4
        )
    assert not list(tmp_path.glob("*out.sgy*"))


def test_progress_reaches_every_trace(cube_file, tmp_path, capsys):
    path, _ = cube_file
    info = volume_info(path)
    calls = []
    process_volume(
        info,
        tmp_path / "out.sgy",
        make_op("bandpass", info),
        None,
        block_inlines=4,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(96, 264), (192, 264), (264, 264)]
    assert (
        main(
            [
                "volume",
                "run",
                "bandpass",
                str(path),
                str(tmp_path / "cli.sgy"),
                "--scheduler",
                "sync",
                "--block-inlines",
                "5",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "264/264" in captured.err  # the tqdm bar, on stderr
    assert "3 blocks of 5 inlines" in captured.out
    np.testing.assert_array_equal(_read(tmp_path / "cli.sgy"), _read(tmp_path / "out.sgy"))


def test_one_and_two_workers_write_the_same_file(cube_file, tmp_path):
    path, _ = cube_file
    info = volume_info(path)
    op = make_op("median_filter", info, {"inline_half_width": 1, "dip_steered": False})
    outputs = []
    # worker processes ("local") run in test_benchmark_runs_small
    for scheduler, workers in [("sync", 1), ("threads", 1), ("threads", 2)]:
        out = tmp_path / f"{scheduler}{workers}.sgy"
        with dask_client(scheduler, workers, "1GB") as client:
            report = process_volume(info, out, op, client, block_inlines=2, in_flight=2)
        assert report.workers == workers and report.n_blocks == 6
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_cli_lists_ops_and_reports_errors_in_one_line(cube_file, tmp_path, capsys):
    path, _ = cube_file
    assert main(["volume", "list", "--json"]) == 0
    ops = {o["name"]: o for o in json.loads(capsys.readouterr().out)}
    assert {"fx_decon", "geofm_denoise", "invert_impedance"} <= set(ops)
    assert ops["median_filter"]["parameters"]["properties"]["inline_half_width"]["description"]
    code = main(
        ["volume", "run", "fx_decon", str(path), str(tmp_path / "o.sgy"), "--args", "{not json"]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "--args is not valid JSON" in err


def test_geofm_ops_on_tiny_random_heads(cube_file, tmp_path, monkeypatch):
    from tools.geofm.infer import denoise_section
    from tools.geofm.model import GeoFMConfig, build_model, save_model
    from tools.geofm.tools import load_head

    path, cube = cube_file
    info = volume_info(path)
    monkeypatch.setenv("GEOFM_VISION_WEIGHTS", str(tmp_path / "none"))
    with pytest.raises(ModelError, match="geofm_pretrain.json"):
        make_op("geofm_denoise", info)
    tiny = GeoFMConfig(
        tile=16, patch=8, hidden=32, layers=1, heads=2, decoder_hidden=32, decoder_layers=1
    )
    save_model(build_model(tiny, seed=0), tmp_path / "w" / "denoise", card={"task": "denoise"})
    monkeypatch.setenv("GEOFM_VISION_WEIGHTS", str(tmp_path / "w"))
    op = make_op("geofm_denoise", info)
    process_volume(info, tmp_path / "out.sgy", op, None, block_inlines=3)
    model = load_head(tmp_path / "w" / "denoise")
    whole = np.stack([denoise_section(model, p.astype(np.float64)) for p in cube])
    np.testing.assert_allclose(_read(tmp_path / "out.sgy"), whole, rtol=1e-5, atol=1e-6)


def test_geofm_interpolate_op_uses_the_refine_stage(tmp_path, monkeypatch):
    import torch

    from tools.geofm.infer import interpolate_section
    from tools.geofm.model import GeoFMConfig, build_model, save_model
    from tools.geofm.refine import RefineConfig, build_refine, save_refine
    from tools.geofm.tools import load_head, load_refine_head

    cube = _cube()
    cube[:, [2, 3, 9, 17]] = 0.0  # dead traces on every inline
    path = _write(tmp_path / "holed.sgy", cube)
    tiny = GeoFMConfig(
        tile=16, patch=8, hidden=32, layers=1, heads=2, decoder_hidden=32, decoder_layers=1
    )
    head_dir = tmp_path / "w" / "interpolate"
    save_model(build_model(tiny, seed=0), head_dir, card={"task": "interpolate"})
    refine = build_refine(RefineConfig(channels=4, dilations=[1]))
    with torch.no_grad():
        for p in refine.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    save_refine(refine, head_dir)
    monkeypatch.setenv("GEOFM_VISION_WEIGHTS", str(tmp_path / "w"))
    op = make_op("geofm_interpolate", volume_info(path))
    assert op.params["refine"] is True
    process_volume(volume_info(path), tmp_path / "out.sgy", op, None, block_inlines=4)
    model, refine = load_head(head_dir), load_refine_head(head_dir)
    whole = np.stack(
        [interpolate_section(model, p.astype(np.float64), refine=refine)[0] for p in cube]
    )
    plain = np.stack([interpolate_section(model, p.astype(np.float64))[0] for p in cube])
    out = _read(tmp_path / "out.sgy")
    np.testing.assert_allclose(out, whole, rtol=1e-5, atol=1e-6)
    assert not np.allclose(out, plain)  # the refine stage really ran
    (head_dir / "refine.json").write_text('{"channels": 5, "dilations": [1]}')
    with pytest.raises(ModelError, match="does not fit"):
        make_op("geofm_interpolate", volume_info(path))


def test_inversion_equals_inline_by_inline_in_memory(tmp_path):
    from tools.inversion import background_from_model, invert_poststack
    from tools.synthetic import make_wavelet

    rng = np.random.default_rng(3)
    n_il, n_xl, n_t = 4, 6, 80
    ai = 4e6 + 2e6 * np.cumsum(rng.random((n_il, n_xl, n_t)) > 0.9, axis=-1) / 6
    wav = make_wavelet("ricker", 25.0, 4.0, 64.0)  # (17,)
    r = np.diff(np.log(ai), axis=-1, prepend=np.log(ai[..., :1])) / 2
    data = np.apply_along_axis(lambda x: np.convolve(x, wav, "same"), -1, r).astype(np.float32)
    path = _write(tmp_path / "data.sgy", data)
    _write(tmp_path / "model.sgy", ai.astype(np.float32))
    np.save(tmp_path / "wavelet.npy", wav)
    info = volume_info(path)
    op = make_op(
        "invert_impedance",
        info,
        {"background": str(tmp_path / "model.sgy"), "wavelet": str(tmp_path / "wavelet.npy")},
    )
    process_volume(info, tmp_path / "ai.sgy", op, None, block_inlines=3)
    model = ai.astype(np.float32).astype(np.float64)
    whole = np.stack(
        [
            invert_poststack(
                data[k].astype(np.float64),
                wav,
                background_from_model(model[k], 4.0, 4.0),
                "trace",
                damping=0.01,
            )
            for k in range(n_il)
        ]
    )
    np.testing.assert_allclose(_read(tmp_path / "ai.sgy"), whole, rtol=1e-5)


def test_benchmark_runs_small(tmp_path, capsys, monkeypatch):
    from benchmarks.volume import main as bench

    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")  # main() sets it for its workers
    out = tmp_path / "bench.json"
    assert (
        bench(
            [
                "--size",
                "1MB",
                "--crosslines",
                "20",
                "--samples",
                "50",
                "--workers",
                "2",
                "--memory-budget",
                "1GB",
                "--workdir",
                str(tmp_path),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    run = json.loads(out.read_text())["runs"][0]
    assert run["workers"] == 2 and run["n_children"] >= 2  # two worker processes
    assert run["max_abs_diff_vs_in_memory"] == 0 and run["workers_under_budget"]
    assert run["peak_rss_workers_sampled"] > 0 and run["traces_per_s"] > 0
    assert "traces/s" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]  # generated files removed
