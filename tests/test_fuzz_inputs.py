"""Input fuzzing (issue 27): malformed SEG-Y, LAS, .npy and ASCII files and malformed
JSON arguments through the Python API, the MCP functions and the CLI. Each case gives a
valid result or a one-line error: no traceback, no hang, no memory blow-up, no pickle.

The cases come from ``tests/fuzz_inputs.py`` (seeded); ``tests/fuzz_runner.py`` runs
them in a worker process
under an address-space cap (RLIMIT_AS) with a per-case SIGALRM time limit. Below them,
one regression test per defect the fuzzing found.
"""

from __future__ import annotations

import ast
import io
import json
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.fuzz_inputs import Case, arg_cases, make_cases, npy_files, write_valid_files
from tests.fuzz_runner import CASE_TIMEOUT_S, run_cases
from tools import ALL, REGISTRY, Workspace

ROOT = Path(__file__).resolve().parents[1]
MEM_CAP_GB = 6.0  # the worker's address-space limit
MAX_RSS_MB = 2048  # its peak resident memory must stay below this


def _worker(
    tmp_path: Path, surface: str, seed: int, n_files: int, n_args: int, models: bool = True
) -> list[dict]:
    """Run the seed's cases in a capped worker; fail on any bad outcome."""
    out = tmp_path / f"{surface}-{seed}.jsonl"
    cmd = [sys.executable, "-m", "tests.fuzz_runner", "--seed", str(seed)]
    cmd += ["--n-files", str(n_files), "--n-args", str(n_args), "--surface", surface]
    cmd += ["--out", str(out), "--mem-cap-gb", str(MEM_CAP_GB)]
    cmd += [] if models else ["--no-models"]
    budget = 120 + (n_files + n_args) * 2
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=budget)
    lines = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    started = [ln["started"] for ln in lines if "started" in ln]
    assert lines and "done" in lines[-1], (
        f"the {surface} worker died (exit {proc.returncode}) in case "
        f"{started[-1] if started else '?'}: {proc.stderr[-3000:]}"
    )
    outcomes = [ln for ln in lines if "status" in ln]
    assert len(outcomes) == n_files + n_args
    failures = [f"{o['id']} {o['tool']} ({o['extra']['note']}): {o['message']}" for o in outcomes]
    failures = [f for f, o in zip(failures, outcomes) if o["status"] == "fail"]
    assert not failures, "\n".join(failures)
    assert all(o["pickle_loads"] == 0 for o in outcomes)
    assert all(o["seconds"] < CASE_TIMEOUT_S for o in outcomes)
    assert lines[-1]["max_rss_mb"] < MAX_RSS_MB, lines[-1]
    # malformed input mostly ends in an error; the rest are valid results
    assert sum(o["status"] == "error" for o in outcomes) > len(outcomes) / 2
    return outcomes


def test_fuzz_api_fast(tmp_path):
    """A few hundred cases of every kind through the Python API (REGISTRY.call); the
    GeoFM heads stay unloaded (torch takes longer to load than the test may run)."""
    outcomes = _worker(tmp_path, "api", seed=0, n_files=160, n_args=160, models=False)
    assert {o["kind"] for o in outcomes} == {"segy", "las", "npy", "ascii", "args"}


@pytest.mark.slow
def test_fuzz_all_surfaces(tmp_path):
    """1,700 cases: the Python API, the MCP functions and the CLI (in process)."""
    n = 0
    for surface, seed, n_files, n_args in (
        ("api", 1, 500, 500),
        ("mcp", 2, 200, 200),
        ("cli", 3, 150, 150),
    ):
        n += len(_worker(tmp_path, surface, seed, n_files, n_args))
    assert n >= 1000


@pytest.mark.slow
def test_fuzz_cli_subprocess(tmp_path):
    """The `geofm tools run` command as a user runs it: exit 0 or 1, a one-line
    `geofm: error:` or an `Error:` result, never a traceback. search_literature is left
    out: a valid query makes the first search build the literature index."""
    cases = make_cases(tmp_path / "files", seed=5, n_files=24, n_args=24)
    ran = 0
    for case in cases[::2]:
        if case.tool == "search_literature":  # its first search builds the index (minutes)
            continue
        try:
            args = json.dumps(case.args)
        except (TypeError, ValueError):
            continue
        if len(args) > 100_000 or "\x00" in args:  # over the OS limit for one argument
            continue
        cmd = [sys.executable, "-m", "agent.cli", "tools", "run", case.tool, "--args", args]
        cmd += ["--workspace", str(tmp_path / case.id)]
        for f in case.files:
            cmd += ["--file", f]
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        where = f"{case.id} {case.tool} ({case.note})"
        assert "Traceback" not in p.stderr + p.stdout, f"{where}: {p.stderr[-2000:]}"
        assert p.returncode in (0, 1), f"{where}: exit {p.returncode} {p.stderr[-500:]}"
        if p.returncode == 1:
            error_lines = [ln for ln in p.stderr.splitlines() if ln.startswith("geofm: error:")]
            result_lines = [ln for ln in p.stdout.splitlines() if ln.startswith("Error: ")]
            assert len(error_lines) + len(result_lines) == 1, f"{where}: {p.stderr} {p.stdout}"
        ran += 1
    assert ran >= 20


# ---- the generator ----------------------------------------------------------------------
def test_generator_is_deterministic(tmp_path):
    a = make_cases(tmp_path / "a", seed=7, n_files=40, n_args=40)
    b = make_cases(tmp_path / "b", seed=7, n_files=40, n_args=40)
    assert [(c.id, c.tool, repr(c.args), c.note) for c in a] == [
        (c.id, c.tool, repr(c.args), c.note) for c in b
    ]
    for ca, cb in zip(a, b):
        for fa, fb in zip(ca.files, cb.files):
            assert Path(fa).read_bytes() == Path(fb).read_bytes()
    c = make_cases(tmp_path / "c", seed=8, n_files=40, n_args=40)
    assert [repr(x.args) for x in a] != [repr(x.args) for x in c]


def test_arg_cases_cover_every_tool():
    tools = {c.tool for c in arg_cases(seed=0, n=len(ALL) * 4)}
    assert tools == set(ALL.names())


def test_npy_files_include_object_arrays(tmp_path):
    notes = {note for _, note in npy_files(tmp_path, seed=0, n=90)}
    assert {"object", "pickled_dict", "0d", "5d", "nan", "inf", "huge_shape"} <= notes


def test_the_runner_catches_a_leaking_exception():
    """The harness itself: an exception type leaking from a tool counts as a failure."""
    from tools import literature

    def boom(workspace, query, k=5):
        raise KeyError("leak")

    tool = REGISTRY.get("search_literature")
    object.__setattr__(tool, "fn", boom)  # a frozen dataclass
    try:
        (o,) = run_cases([Case("x", "args", "search_literature", {"query": "q"})], "api")
    finally:
        object.__setattr__(tool, "fn", literature.search_literature)
    assert o.status == "fail" and "KeyError" in o.message


# ---- no pickle, anywhere ----------------------------------------------------------------
def test_every_np_load_refuses_pickles():
    """Every np.load in the shipped code passes allow_pickle=False."""
    bad = []
    for folder in ("common", "corpus", "tools", "agent", "finetune", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "load"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("np", "numpy")
                ):
                    kw = {k.arg: k.value for k in node.keywords}
                    value = kw.get("allow_pickle")
                    if not (isinstance(value, ast.Constant) and value.value is False):
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, f"np.load without allow_pickle=False: {bad}"


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws")


def _attach_npy(ws, tmp_path, content: bytes | np.ndarray, name="x.npy"):
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        np.save(path, content, allow_pickle=True)
    else:
        path.write_bytes(content)
    return ws.add_file(path).id


def _npy_header(descr: str, shape: tuple) -> bytes:
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (64 - (10 + len(text) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


def _error(result) -> str:
    assert not result.ok, result.summary
    assert result.summary.startswith("Error: ") and "unexpectedly" not in result.summary
    assert "\n" not in result.summary
    return result.summary


@pytest.mark.parametrize(
    "array",
    [np.array([{"a": 1}, None], dtype=object), np.array({"payload": 1}, dtype=object)],
    ids=["object", "pickled_dict"],
)
@pytest.mark.parametrize("tool", ["import_array", "bandpass", "write_segy"])
def test_object_arrays_never_load(ws, tmp_path, monkeypatch, array, tool):
    calls = []
    monkeypatch.setattr(pickle, "load", lambda *a, **k: calls.append(a))
    i = _attach_npy(ws, tmp_path, array)
    msg = _error(REGISTRY.call(tool, {"file" if tool == "import_array" else "data": i}, ws))
    assert "never loads pickled data" in msg and not calls


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (_npy_header("<f4", (10**6, 10**6)) + b"\0" * 64, "truncated or corrupt"),  # 3.6 TiB
        (_npy_header("<f8", (2**62, 2**62)) + b"\0" * 64, "truncated or corrupt"),
        (_npy_header("<f4", (-1, 64)) + b"\0" * 64, "truncated or corrupt"),
        (_npy_header("<f4", (12, 64)) + b"\0" * 100, "truncated or corrupt"),
        (_npy_header("|O", (3,)) + b"\0" * 64, "never loads pickled data"),
        (_npy_header("<q9", (4,)) + b"\0" * 64, "not a readable .npy"),
        (b"\x93NUMPY\x09\x00" + b"\0" * 200, "not a readable .npy"),
        (b"", "not a readable .npy"),
        (b"1 2 3\n", "not a readable .npy"),
        (pickle.dumps({"a": 1}), "not a readable .npy"),
    ],
    ids=["terabytes", "overflow", "negative", "truncated", "object", "descr", "v9", "empty",
         "text", "pickle"],
)  # fmt: skip
def test_malformed_npy_is_a_bad_input(ws, tmp_path, content, words):
    i = _attach_npy(ws, tmp_path, content)
    assert words in _error(REGISTRY.call("import_array", {"file": i}, ws))


def test_npz_saved_as_npy(ws, tmp_path):
    buf = io.BytesIO()
    np.savez(buf, a=np.zeros(3))
    i = _attach_npy(ws, tmp_path, buf.getvalue())
    assert "not a readable .npy" in _error(REGISTRY.call("spectrum", {"data": i}, ws))


@pytest.mark.parametrize(
    ("array", "tool"),
    [
        (np.zeros((0, 64)), "spectrum"),
        (np.zeros((0, 64)), "plot_section"),
        (np.zeros((12, 0)), "import_array"),
        (np.ones((4, 64)) + 1j, "import_array"),
        (np.zeros((4, 16), dtype=[("a", "f4"), ("b", "i4")]), "write_segy"),
        (np.array([["a", "b"]]), "write_segy"),
    ],
    ids=["empty-spectrum", "empty-plot", "no-samples", "complex", "struct", "text"],
)
def test_empty_and_non_real_arrays(ws, tmp_path, array, tool):
    i = _attach_npy(ws, tmp_path, array)
    args = {"file": i} if tool == "import_array" else {"data": i}
    if tool == "write_segy":
        args["headers"] = "minimal"
    _error(REGISTRY.call(tool, args, ws))


# ---- SEG-Y ------------------------------------------------------------------------------
@pytest.fixture
def segy_bytes(tmp_path) -> bytearray:
    files = write_valid_files(tmp_path / "valid")
    return bytearray(files[1].read_bytes())


def _attach(ws, tmp_path, raw: bytes, name: str) -> str:
    (tmp_path / name).write_bytes(raw)
    return ws.add_file(tmp_path / name).id


def test_segy_with_zero_samples(ws, tmp_path, segy_bytes):
    struct.pack_into(">H", segy_bytes, 3220, 0)  # samples per trace
    struct.pack_into(">H", segy_bytes, 3500, 0x0200)  # rev 2 ...
    struct.pack_into(">I", segy_bytes, 3268, 0)  # ... extended count 0 as well
    i = _attach(ws, tmp_path, segy_bytes, "zero.sgy")
    msg = _error(REGISTRY.call("read_segy", {"file": i}, ws))
    assert "0 samples" in msg or "cannot be read" in msg


@pytest.mark.parametrize("cut", [3199, 3841, -1])
def test_locate_well_on_a_broken_segy(ws, tmp_path, segy_bytes, cut):
    i = _attach(ws, tmp_path, segy_bytes[:cut], "cut.sgy")
    msg = _error(REGISTRY.call("locate_well", {"survey": i, "x": 1.0, "y": 2.0}, ws))
    assert "SEG-Y" in msg


def test_locate_well_with_trace_count_not_dividing(ws, tmp_path, segy_bytes):
    i = _attach(ws, tmp_path, segy_bytes + b"\x01" * 239, "odd.sgy")
    assert "cannot be read as SEG-Y" in _error(
        REGISTRY.call("locate_well", {"survey": i, "x": 1.0, "y": 2.0}, ws)
    )


# ---- LAS and ASCII ----------------------------------------------------------------------
def _las(tmp_path, text: str) -> Path:
    p = tmp_path / "w.las"
    p.write_text(text)
    return p


def test_las_with_text_in_the_data(ws, tmp_path):
    files = write_valid_files(tmp_path / "valid")
    text = files[2].read_text().replace(" 2306 ", " 2x0x ")
    i = ws.add_file(_las(tmp_path, text)).id
    msg = _error(REGISTRY.call("read_well_log", {"file": i, "curve": "RHOB"}, ws))
    assert "not all numbers" in msg


def test_las_without_curves(ws, tmp_path):
    i = ws.add_file(_las(tmp_path, "~V\n VERS. 2.0 :\n~W\n WELL. X :\n")).id
    _error(REGISTRY.call("read_well_log", {"file": i}, ws))


@pytest.mark.parametrize(
    ("content", "columns"),
    [
        ("362 100 1 2 3\n".encode("utf-16"), 2),
        (b"\xd7\x9f\xff" * 100, 0),
        (b"", 2),
        (b"", 0),
        (b"1 2 0x1F 3 4 5 6 7 8 9 10 11\n", 0),
        (b"1 2 3 4 5 6 7 8 9 10 11\n1 2\n", 0),
        (b"362 100 " + b"nan " * 12 + b"\n", 2),
        (b"1\n2\n3\n", 0),
    ],
    ids=["utf16", "binary", "empty", "empty-0", "hex", "ragged", "nan", "one-column"],
)
def test_ascii_section_errors(ws, tmp_path, content, columns):
    (tmp_path / "s.txt").write_bytes(content)
    i = ws.add_file(tmp_path / "s.txt").id
    _error(REGISTRY.call("read_ascii_section", {"file": i, "n_header_columns": columns}, ws))


def test_checkshot_with_nan(ws, tmp_path):
    files = write_valid_files(tmp_path / "valid")
    (tmp_path / "cs.txt").write_text("1000 nan\n1005 0.805\n1010 inf\n")
    las, cs = ws.add_file(files[2]).id, ws.add_file(tmp_path / "cs.txt").id
    assert "NaN" in _error(REGISTRY.call("read_well_log", {"file": las, "checkshot": cs}, ws))


# ---- JSON arguments ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["measure_snr", "locate_well", "plot_comparison"])
def test_an_argument_named_workspace(ws, name):
    msg = _error(REGISTRY.call(name, {"data": "ws-1", "workspace": "/tmp"}, ws))
    assert "no argument(s)" in msg or "bad arguments" in msg


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("locate_well", {"survey": "ws-1", "x": float("nan"), "y": 1.0}),
        ("estimate_wavelet", {"data": "ws-1", "length_ms": float("-inf")}),
        ("make_synthetic", {"dt_ms": float("inf")}),
    ],
)
def test_nan_and_infinite_arguments(ws, name, args):
    assert "finite" in _error(REGISTRY.call(name, args, ws))


def test_make_synthetic_with_a_tiny_interval(ws):
    error = _error(REGISTRY.call("make_synthetic", {"dt_ms": 5e-324}, ws))
    assert "dt_ms: Input should be greater than or equal to 0.01" in error


def test_negative_wavelet_length(ws, tmp_path):
    i = _attach_npy(ws, tmp_path, np.random.default_rng(0).standard_normal((8, 64)))
    assert "length_ms" in _error(
        REGISTRY.call("estimate_wavelet", {"data": i, "length_ms": -8.0}, ws)
    )


def test_lone_surrogate_in_a_string(ws):
    msg = _error(REGISTRY.call("search_literature", {"query": "\ud800"}, ws))
    assert "not valid Unicode" in msg


def test_mcp_function_with_missing_or_unknown_arguments(tmp_path):
    from tools.mcp import mcp_functions

    fns = {f.__name__: f for f in mcp_functions(REGISTRY, lambda s: Workspace(tmp_path / s))}
    assert fns["bandpass"]().startswith("Error: bad arguments for bandpass")
    assert fns["bandpass"](data="ws-1", workspace="/").startswith("Error: bad arguments")
    assert fns["segy_info"](file="ws-1", bogus=1).startswith("Error: bad arguments")


def test_negative_seed(ws):
    assert "seed" in _error(REGISTRY.call("make_synthetic", {"seed": -1}, ws))


@pytest.mark.parametrize("low_hz", [5e-324, 1e-300])
def test_bandpass_with_a_vanishing_low_corner(ws, tmp_path, low_hz):
    i = _attach_npy(ws, tmp_path, np.random.default_rng(0).standard_normal((8, 64)))
    assert "too close to 0" in _error(REGISTRY.call("bandpass", {"data": i, "low_hz": low_hz}, ws))


@pytest.mark.parametrize("tool", ["plot_section", "plot_comparison"])
def test_megabyte_plot_title(ws, tmp_path, tool):
    i = _attach_npy(ws, tmp_path, np.random.default_rng(0).standard_normal((8, 64)))
    args = {"data": i} if tool == "plot_section" else {"before": i, "after": i}
    assert "at most 200" in _error(REGISTRY.call(tool, dict(args, title="a" * 1_000_000), ws))


@pytest.mark.parametrize("snr_db", [1e308, -1e308])
def test_make_synthetic_with_an_absurd_snr(ws, snr_db):
    assert "snr_db" in _error(REGISTRY.call("make_synthetic", {"snr_db": snr_db}, ws))


@pytest.mark.slow
@pytest.mark.parametrize("surface", ["api", "mcp"])
def test_fuzz_real_files(tmp_path, shared_data, surface):
    """Mutated copies of the shared real SEG-Y, LAS and ASCII files (and the two broken
    SEG-Y files as shipped), in this process under the same per-case time limit."""
    import resource

    from tests.fuzz_real import real_cases

    cases = real_cases(shared_data, tmp_path / "files", seed=1, n=150)
    outcomes = run_cases(cases, surface)
    failures = [f"{o.id} {o.tool} ({o.extra['note']}): {o.message}" for o in outcomes]
    failures = [f for f, o in zip(failures, outcomes) if o.status == "fail"]
    assert not failures, "\n".join(failures)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 < MAX_RSS_MB
