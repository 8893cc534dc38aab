"""A seeded generator of malformed inputs for the tools.

Malformed files (SEG-Y, LAS, .npy, ASCII sections) are written into a directory and
paired with the tool that reads them; malformed JSON arguments come from the tool
schemas (``tools.ALL.schemas()``, see ``tests.fuzz_args``). Deterministic by seed.

    cases = make_cases(Path("fuzz"), seed=0, n_files=200, n_args=200)

``tests.fuzz_runner`` feeds the cases through the Python API, MCP and the CLI.
"""

from __future__ import annotations

import io
import pickle
import random
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.fuzz_args import arg_dicts

__all__ = [
    "Case",
    "make_cases",
    "segy_files",
    "las_files",
    "npy_files",
    "ascii_files",
    "arg_cases",
    "write_valid_files",
    "VALID_FILES",
]


@dataclass(frozen=True)
class Case:
    """One malformed input: files to attach (ws-1, ws-2, ... in order) and a tool call."""

    id: str
    kind: str  # segy, las, npy, ascii, args
    tool: str
    args: Any  # usually a dict; malformed cases may pass a list, a string or None
    files: tuple[str, ...] = ()
    note: str = ""


# ---- SEG-Y ------------------------------------------------------------------------------
def _base_segy(tmp: Path, cube: bool, rng: np.random.Generator) -> bytes:
    import segyio

    shape = (3, 4, 50) if cube else (1, 12, 50)
    data = rng.standard_normal(shape).astype(np.float32)
    path = tmp / "base.sgy"
    segyio.tools.from_array(str(path), data, format=segyio.SegySampleFormat.IEEE_FLOAT_4_BYTE)
    raw = bytearray(path.read_bytes())
    # coordinates on every trace, so that locate_well has something to fit
    n_traces = (len(raw) - 3600) // (240 + 50 * 4)
    for i in range(n_traces):
        off = 3600 + i * (240 + 200)
        struct.pack_into(">i", raw, off + 180, 1000 + 25 * (i % shape[1]))
        struct.pack_into(">i", raw, off + 184, 2000 + 25 * (i // shape[1]))
    return bytes(raw)


def _put(raw: bytearray, offset: int, fmt: str, value: int) -> None:
    if offset + struct.calcsize(fmt) <= len(raw):
        struct.pack_into(fmt, raw, offset, value)


def _segy_mutations() -> list[tuple[str, Callable[[bytearray, random.Random], bytearray]]]:
    def binfield(name: str, offset: int, fmt: str, values: tuple[int, ...]):
        def f(raw: bytearray, r: random.Random) -> bytearray:
            _put(raw, offset, fmt, r.choice(values))
            return raw

        return name, f

    def trace_field(name: str, offset: int, fmt: str, values: tuple[int, ...]):
        def f(raw: bytearray, r: random.Random) -> bytearray:
            for i in range(r.choice((1, 3, 100))):
                _put(raw, 3600 + i * 440 + offset, fmt, r.choice(values))
            return raw

        return name, f

    def truncate(raw: bytearray, r: random.Random) -> bytearray:
        return raw[: r.choice((0, 1, 3199, 3600, 3839, 3840, 3841, len(raw) - 1, len(raw) // 2))]

    def append(raw: bytearray, r: random.Random) -> bytearray:
        return raw + bytes(r.randrange(256) for _ in range(r.choice((1, 3, 239, 241, 439))))

    def ebcdic_garbage(raw: bytearray, r: random.Random) -> bytearray:
        fill = r.choice(("random", "ff", "zero", "utf8"))
        if fill == "random":
            raw[:3200] = bytes(r.randrange(256) for _ in range(3200))
        elif fill == "ff":
            raw[:3200] = b"\xff" * 3200
        elif fill == "zero":
            raw[:3200] = b"\x00" * 3200
        else:
            raw[:3200] = ("é∂ƒ©" * 400).encode()[:3200]
        return raw

    def trace_header_garbage(raw: bytearray, r: random.Random) -> bytearray:
        for i in range(r.choice((1, 2, 12))):
            off = 3600 + i * 440
            if off + 240 <= len(raw):
                raw[off : off + 240] = bytes(r.randrange(256) for _ in range(240))
        return raw

    def zero_trace_headers(raw: bytearray, r: random.Random) -> bytearray:
        for i in range(12):
            off = 3600 + i * 440
            if off + 240 <= len(raw):
                raw[off : off + 240] = b"\x00" * 240
        return raw

    def samples_nan(raw: bytearray, r: random.Random) -> bytearray:
        v = r.choice((float("nan"), float("inf"), -float("inf"), 3.4e38))
        for i in range(3600 + 240, len(raw) - 3, 4):
            if r.random() < 0.3:
                struct.pack_into(">f", raw, i, v)
        return raw

    def terabytes(raw: bytearray, r: random.Random) -> bytearray:
        # revision 2 with an extended samples-per-trace count: traces of gigabytes
        _put(raw, 3500, ">H", 0x0200)
        _put(raw, 3220, ">H", 0)
        _put(raw, 3268, ">I", r.choice((2**31 - 1, 2**32 - 1, 10**9)))
        _put(raw, 3224, ">H", r.choice((5, 6, 9)))
        return raw

    def ext_headers(raw: bytearray, r: random.Random) -> bytearray:
        _put(raw, 3504, ">h", r.choice((-1, 1, 2, 30000)))
        return raw

    def duplicate_lines(raw: bytearray, r: random.Random) -> bytearray:
        for i in range(12):
            _put(raw, 3600 + i * 440 + 188, ">i", 7)
            _put(raw, 3600 + i * 440 + 192, ">i", r.choice((7, i % 2)))
        return raw

    return [
        binfield("format", 3224, ">H", (0, 4, 7, 13, 14, 17, 99, 255, 65535)),
        binfield("samples", 3220, ">H", (0, 1, 7, 65535, 32768)),
        binfield("interval", 3216, ">H", (0, 65535, 1)),
        binfield("sorting", 3228, ">h", (-1, 0, 9, 32767)),
        binfield("revision", 3500, ">H", (0x0100, 0x0200, 0x0300, 0xFFFF)),
        binfield("fixed_length", 3502, ">h", (0, 1, -1)),
        trace_field("ns", 114, ">H", (0, 1, 65535)),
        trace_field("dt", 116, ">H", (0, 65535)),
        trace_field("scalco", 70, ">h", (0, -32768, 32767, -1)),
        trace_field("inline", 188, ">i", (0, -1, 2**31 - 1, -(2**31))),
        trace_field("crossline", 192, ">i", (0, -1, 2**31 - 1)),
        trace_field("offset", 36, ">i", (0, -(2**31), 2**31 - 1)),
        ("truncate", truncate),
        ("append", append),
        ("ebcdic", ebcdic_garbage),
        ("trace_header_garbage", trace_header_garbage),
        ("zero_trace_headers", zero_trace_headers),
        ("samples_nan", samples_nan),
        ("terabytes", terabytes),
        ("ext_headers", ext_headers),
        ("duplicate_lines", duplicate_lines),
    ]


def segy_files(folder: Path, seed: int, n: int) -> Iterator[tuple[Path, str]]:
    """``n`` malformed SEG-Y files in ``folder``: (path, what was broken)."""
    r = random.Random(f"segy-{seed}")
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        bases = [_base_segy(Path(tmp), True, rng), _base_segy(Path(tmp), False, rng)]
    mutations = _segy_mutations()
    for i in range(n):
        if i % 25 == 24:  # whole-file garbage now and then
            size = r.choice((0, 100, 3600, 3840, 5000, 8880))
            raw = bytearray(r.randrange(256) for _ in range(size))
            note = f"random bytes ({size})"
        else:
            raw = bytearray(r.choice(bases))
            picked = r.sample(mutations, r.choice((1, 1, 2, 3)))
            for _, mutate in picked:
                raw = mutate(raw, r)
            note = "+".join(name for name, _ in picked)
        path = folder / f"segy-{i:04d}.sgy"
        path.write_bytes(bytes(raw))
        yield path, note


# ---- LAS --------------------------------------------------------------------------------
def _las_lines(n_rows: int = 21) -> list[str]:
    head = [
        "~VERSION INFORMATION",
        " VERS.   2.0 : CWLS LOG ASCII STANDARD -VERSION 2.0",
        " WRAP.   NO  : ONE LINE PER DEPTH STEP",
        "~WELL INFORMATION",
        " STRT.M  1000.0 : START DEPTH",
        f" STOP.M  {1000 + (n_rows - 1) * 0.5:.1f} : STOP DEPTH",
        " STEP.M  0.5 : STEP",
        " NULL.   -999.25 : NULL VALUE",
        " WELL.   FUZZ-1 : WELL",
        " LOC .   X=1000.0 Y=2000.0 : LOCATION",
        "~CURVE INFORMATION",
        " DEPT.M      : DEPTH",
        " DT  .US/M   : SONIC",
        " RHOB.K/M3   : DENSITY",
        " GR  .GAPI   : GAMMA RAY",
        "~A",
    ]
    rows = [f" {1000 + 0.5 * k:.1f} {300 + k} {2300 + 3 * k} {50 + k % 7}" for k in range(n_rows)]
    return head + rows


def _las_mutations() -> list[tuple[str, Callable[[list[str], random.Random], list[str]]]]:
    def drop_section(lines: list[str], r: random.Random) -> list[str]:
        tag = r.choice(("~V", "~W", "~C", "~A"))
        return [ln for ln in lines if not ln.startswith(tag)]

    def drop_data(lines: list[str], r: random.Random) -> list[str]:
        return [ln for ln in lines if not ln.startswith(" 1")]

    def ragged(lines: list[str], r: random.Random) -> list[str]:
        out = list(lines)
        for k in r.sample(range(16, len(out)), min(3, max(0, len(out) - 16))):
            cols = out[k].split()
            out[k] = " " + " ".join(cols[: r.choice((1, 2, 3))] + (["9"] * r.choice((0, 3))))
        return out

    def text_values(lines: list[str], r: random.Random) -> list[str]:
        out = list(lines)
        for k in r.sample(range(16, len(out)), min(2, max(0, len(out) - 16))):
            out[k] = out[k].replace("3", r.choice(("x", "NaN", "inf", "--", "1,5", "1e999")))
        return out

    def all_null(lines: list[str], r: random.Random) -> list[str]:
        return lines[:16] + [f" {1000 + 0.5 * k:.1f} -999.25 -999.25 -999.25" for k in range(20)]

    def version(lines: list[str], r: random.Random) -> list[str]:
        v = r.choice(("3.0", "9.9", "abc", "", "1.2"))
        return [ln.replace("2.0 :", f"{v} :") for ln in lines]

    def wrap(lines: list[str], r: random.Random) -> list[str]:
        return [ln.replace("WRAP.   NO", "WRAP.   YES") for ln in lines]

    def duplicate_curve(lines: list[str], r: random.Random) -> list[str]:
        return [ln.replace(" GR  .GAPI", " DT  .GAPI") for ln in lines]

    def zero_dt(lines: list[str], r: random.Random) -> list[str]:
        return lines[:16] + [f" {1000 + 0.5 * k:.1f} 0 2300 50" for k in range(20)]

    def depth_backwards(lines: list[str], r: random.Random) -> list[str]:
        return lines[:16] + lines[16:][::-1]

    def one_row(lines: list[str], r: random.Random) -> list[str]:
        return lines[:17]

    def binary(lines: list[str], r: random.Random) -> list[str]:
        out = list(lines)
        out.insert(r.randrange(len(out)), "".join(chr(r.randrange(1, 255)) for _ in range(80)))
        return out

    def huge_line(lines: list[str], r: random.Random) -> list[str]:
        return lines + [" " + " ".join(["1.0"] * 200_000)]

    def bad_mnemonics(lines: list[str], r: random.Random) -> list[str]:
        return [ln.replace(" RHOB.K/M3", " R:H.O.B.K/M3") for ln in lines]

    def missing_colon(lines: list[str], r: random.Random) -> list[str]:
        return [ln.replace(":", "") if r.random() < 0.5 else ln for ln in lines]

    def step_zero(lines: list[str], r: random.Random) -> list[str]:
        return [ln.replace("STEP.M  0.5", "STEP.M  0") for ln in lines]

    return [
        ("drop_section", drop_section),
        ("drop_data", drop_data),
        ("ragged", ragged),
        ("text_values", text_values),
        ("all_null", all_null),
        ("version", version),
        ("wrap", wrap),
        ("duplicate_curve", duplicate_curve),
        ("zero_dt", zero_dt),
        ("depth_backwards", depth_backwards),
        ("one_row", one_row),
        ("binary", binary),
        ("huge_line", huge_line),
        ("bad_mnemonics", bad_mnemonics),
        ("missing_colon", missing_colon),
        ("step_zero", step_zero),
    ]


def las_files(folder: Path, seed: int, n: int) -> Iterator[tuple[Path, str]]:
    """``n`` malformed LAS files in ``folder``: (path, what was broken)."""
    r = random.Random(f"las-{seed}")
    folder.mkdir(parents=True, exist_ok=True)
    mutations = _las_mutations()
    for i in range(n):
        path = folder / f"las-{i:04d}.las"
        if i % 20 == 19:
            kind = r.choice(("empty", "bytes", "npy"))
            if kind == "empty":
                path.write_bytes(b"")
            elif kind == "bytes":
                path.write_bytes(bytes(r.randrange(256) for _ in range(r.choice((1, 500, 5000)))))
            else:
                buf = io.BytesIO()
                np.save(buf, np.zeros(10))
                path.write_bytes(buf.getvalue())
            yield path, kind
            continue
        lines = _las_lines()
        picked = r.sample(mutations, r.choice((1, 1, 2)))
        for _, mutate in picked:
            lines = mutate(lines, r)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
        yield path, "+".join(name for name, _ in picked)


# ---- .npy -------------------------------------------------------------------------------
def _npy_header(descr: str, shape: tuple[int, ...], fortran: bool = False) -> bytes:
    text = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    pad = 64 - (10 + len(text) + 1) % 64
    text = text + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def npy_files(folder: Path, seed: int, n: int) -> Iterator[tuple[Path, str]]:
    """``n`` malformed or hostile .npy files in ``folder``: (path, what they hold)."""
    r = random.Random(f"npy-{seed}")
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def sec(shape: tuple[int, ...] = (12, 64)) -> np.ndarray:
        return rng.standard_normal(shape)

    def with_bad(v: float) -> np.ndarray:
        a = sec()
        a[r.randrange(12), r.randrange(64)] = v
        return a

    arrays: list[tuple[str, Callable[[], Any]]] = [
        ("object", lambda: np.array([{"a": 1}, None, "x"], dtype=object)),
        ("object_2d", lambda: np.empty((4, 16), dtype=object)),
        ("pickled_dict", lambda: np.array({"payload": list(range(5))}, dtype=object)),
        ("nan", lambda: with_bad(float("nan"))),
        ("inf", lambda: with_bad(float("inf"))),
        ("all_nan", lambda: np.full((12, 64), np.nan)),
        ("0d", lambda: np.array(3.5)),
        ("5d", lambda: sec((2, 2, 2, 3, 16))),
        ("4d", lambda: sec((2, 3, 4, 16))),
        ("empty", lambda: np.zeros((0, 64))),
        ("empty_t", lambda: np.zeros((12, 0))),
        ("1x1", lambda: np.zeros((1, 1))),
        ("1d", lambda: sec((64,))),
        ("short", lambda: sec((12, 3))),
        ("complex", lambda: sec() + 1j * sec()),
        ("bool", lambda: sec() > 0),
        ("str", lambda: np.array([["a", "b"], ["c", "d"]])),
        ("bytes", lambda: np.array([b"xx", b"yy"])),
        ("struct", lambda: np.zeros((4, 16), dtype=[("a", "f4"), ("b", "i4")])),
        ("datetime", lambda: np.array(["2020-01-01"] * 16, dtype="datetime64[D]")),
        ("float16", lambda: sec().astype(np.float16)),
        ("int8", lambda: (sec() * 10).astype(np.int8)),
        ("uint64", lambda: np.full((12, 64), 2**64 - 1, dtype=np.uint64)),
        ("bigendian", lambda: sec().astype(">f8")),
        ("fortran", lambda: np.asfortranarray(sec())),
        ("huge_values", lambda: sec() * 1e300),
        ("zeros", lambda: np.zeros((12, 64))),
        ("one_trace", lambda: sec((1, 64))),
        ("tiny_denormal", lambda: sec() * 5e-324),
        ("long_trace", lambda: sec((2, 100_000))),
    ]
    raw: list[tuple[str, Callable[[], bytes]]] = [
        ("huge_shape", lambda: _npy_header("<f4", (10**6, 10**6)) + b"\0" * 64),
        ("huge_shape_3d", lambda: _npy_header("<f8", (10**4, 10**4, 10**4)) + b"\0" * 64),
        ("shape_overflow", lambda: _npy_header("<f8", (2**62, 2**62)) + b"\0" * 64),
        ("negative_shape", lambda: _npy_header("<f4", (-1, 64)) + b"\0" * 64),
        ("truncated", lambda: _npy_header("<f4", (12, 64)) + b"\0" * 100),
        ("object_header", lambda: _npy_header("|O", (3,)) + b"\0" * 64),
        ("bad_descr", lambda: _npy_header("<q9", (12, 64)) + b"\0" * 64),
        ("bad_magic", lambda: b"\x93NUMPX\x01\x00" + b"\0" * 200),
        ("version_9", lambda: b"\x93NUMPY\x09\x00" + b"\0" * 200),
        ("header_garbage", lambda: b"\x93NUMPY\x01\x00\x40\x00" + b"__import__('os')" * 4),
        ("empty_file", lambda: b""),
        ("text_file", lambda: b"1 2 3\n4 5 6\n"),
        ("pickle_file", lambda: pickle.dumps({"not": "an array"})),
        ("npz", lambda: _npz(sec())),
        ("random", lambda: bytes(r.randrange(256) for _ in range(r.choice((10, 300, 3000))))),
    ]
    for i in range(n):
        path = folder / f"npy-{i:04d}.npy"
        if i % 3 == 2:
            name, make_raw = raw[(i // 3) % len(raw)]
            path.write_bytes(make_raw())
        else:
            name, make = arrays[(i - i // 3) % len(arrays)]  # each kind in turn
            np.save(path, make(), allow_pickle=True)
        yield path, name


def _npz(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, a=a)
    return buf.getvalue()


# ---- ASCII sections and checkshots -------------------------------------------------------
def ascii_files(folder: Path, seed: int, n: int) -> Iterator[tuple[Path, str]]:
    """``n`` malformed ASCII trace exports / checkshots in ``folder``: (path, what)."""
    r = random.Random(f"ascii-{seed}")
    folder.mkdir(parents=True, exist_ok=True)

    def rows(n_rows: int = 8, n_samples: int = 20) -> list[list[str]]:
        return [
            ["362", str(100 + k)] + [f"{r.uniform(-1, 1):.3f}" for _ in range(n_samples)]
            for k in range(n_rows)
        ]

    def text(table: list[list[str]]) -> str:
        return "\n".join(" ".join(row) for row in table) + "\n"

    def ragged() -> str:
        t = rows()
        t[r.randrange(len(t))] = t[0][: r.choice((1, 5, 15))]
        return text(t)

    def token() -> str:
        t = rows()
        t[r.randrange(len(t))][r.randrange(2, 22)] = r.choice(
            ("abc", "nan", "inf", "-inf", "0x1F", "1e999", "1,5", "--", "NULL")
        )
        return text(t)

    def float_headers() -> str:
        t = rows()
        t[0][0] = "362.5"
        return text(t)

    generators: list[tuple[str, Callable[[], str | bytes]]] = [
        ("ragged", ragged),
        ("token", token),
        ("float_headers", float_headers),
        ("empty", lambda: ""),
        ("whitespace", lambda: "   \n\n\t\n"),
        ("one_column", lambda: "\n".join(str(k) for k in range(30)) + "\n"),
        ("headers_only", lambda: text([["362", "100"], ["362", "101"]])),
        ("one_row", lambda: text(rows(1))),
        ("few_samples", lambda: text(rows(8, 3))),
        ("comments", lambda: "# header\n# more\n" + text(rows())),
        ("crlf", lambda: text(rows()).replace("\n", "\r\n")),
        ("tabs_commas", lambda: text(rows()).replace(" ", ",")),
        ("binary", lambda: bytes(r.randrange(256) for _ in range(2000))),
        ("utf16", lambda: text(rows()).encode("utf-16")),
        ("long_line", lambda: text(rows(2, 200_000))),
        ("huge_numbers", lambda: text([[f"{10**400}"] * 30])),
        ("negative_time", lambda: "0 -0.5\n100 -0.4\n200 -0.3\n"),
        ("checkshot_backwards", lambda: "300 0.3\n200 0.2\n100 0.1\n"),
        ("checkshot_flat", lambda: "100 0.1\n100 0.1\n100 0.1\n"),
        ("checkshot_one", lambda: "100 0.1\n"),
        ("checkshot_nan", lambda: "100 nan\n200 0.2\n300 inf\n"),
    ]
    for i in range(n):
        name, make = generators[r.randrange(len(generators))]
        content = make()
        path = folder / f"ascii-{i:04d}.{r.choice(('txt', 'ascii'))}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        yield path, name


# ---- valid fixtures and arguments ----------------------------------------------------
# Fixtures every args case attaches, in this order (ws-1 ... ws-8).
VALID_FILES = (
    "section.npy",
    "cube.sgy",
    "well.las",
    "checkshot.txt",
    "inline.txt",
    "log.npy",
    "event.mseed",
    "gravity.csv",
)


def write_valid_files(folder: Path, seed: int = 0) -> list[Path]:
    """The well-formed files args cases run against (:data:`VALID_FILES`)."""
    import segyio

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "section.npy", rng.standard_normal((12, 64)).astype(np.float32))
    cube = folder / "cube.sgy"
    segyio.tools.from_array(str(cube), rng.standard_normal((3, 4, 50)).astype(np.float32))
    raw = bytearray(cube.read_bytes())
    for i in range(12):
        struct.pack_into(">i", raw, 3600 + i * 440 + 180, 1000 + 25 * (i % 4))
        struct.pack_into(">i", raw, 3600 + i * 440 + 184, 2000 + 25 * (i // 4))
    cube.write_bytes(bytes(raw))
    (folder / "well.las").write_text("\n".join(_las_lines()) + "\n")
    (folder / "checkshot.txt").write_text("1000 0.8\n1005 0.805\n1010 0.81\n")
    (folder / "inline.txt").write_text(
        "\n".join(
            " ".join(["362", str(100 + k)] + [f"{v:.3f}" for v in rng.standard_normal(20)])
            for k in range(8)
        )
        + "\n"
    )
    np.save(folder / "log.npy", rng.standard_normal(64))
    import obspy

    event = obspy.read()  # ObsPy's packaged 3-component example, 30 s at 100 Hz
    event.write(str(folder / "event.mseed"), format="MSEED")
    xy = np.stack(np.meshgrid(np.arange(6) * 50.0, np.arange(5) * 50.0), -1).reshape(-1, 2)
    rows = [f"{x:g},{y:g},{v:.3f}" for (x, y), v in zip(xy, rng.standard_normal(len(xy)))]
    (folder / "gravity.csv").write_text("x,y,gravity\n" + "\n".join(rows) + "\n")
    return [folder / name for name in VALID_FILES]


def arg_cases(seed: int, n: int) -> list[Case]:
    """``n`` malformed argument dicts (``tests.fuzz_args``), each run with the valid
    fixtures attached."""
    return [
        Case(f"args-{i:04d}", "args", tool, args, VALID_FILES, note)
        for i, (tool, args, note) in enumerate(arg_dicts(seed, n))
    ]


# ---- cases ------------------------------------------------------------------------------
_SEGY_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("segy_info", {"file": "ws-1"}),
    ("read_segy", {"file": "ws-1"}),
    ("read_segy", {"file": "ws-1", "inline": 1}),
    ("read_segy", {"file": "ws-1", "crossline": 2}),
    ("read_segy", {"file": "ws-1", "time_ms": 40.0}),
    ("locate_well", {"survey": "ws-1", "x": 1050.0, "y": 2050.0}),
]
_NPY_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("import_array", {"file": "ws-1"}),
    ("import_array", {"file": "ws-1", "layout": "samples_by_traces"}),
    ("bandpass", {"data": "ws-1", "figure": False}),
    ("agc", {"data": "ws-1", "figure": False}),
    ("fk_filter", {"data": "ws-1", "figure": False}),
    ("median_filter", {"data": "ws-1", "figure": False}),
    ("spectrum", {"data": "ws-1", "figure": False}),
    ("estimate_wavelet", {"data": "ws-1"}),
    ("measure_snr", {"data": "ws-1"}),
    ("write_segy", {"data": "ws-1", "headers": "minimal"}),
    ("write_segy", {"data": "ws-1"}),
    ("plot_section", {"data": "ws-1"}),
    ("invert_impedance", {"data": "ws-1", "figure": False}),
]


def make_cases(folder: Path, seed: int, n_files: int, n_args: int) -> list[Case]:
    """Malformed files (``n_files`` in all, split over the four kinds) and ``n_args``
    malformed argument dicts; files are written under ``folder``."""
    folder = Path(folder)
    r = random.Random(f"cases-{seed}")
    valid = write_valid_files(folder / "valid", seed)
    cases: list[Case] = []
    n_kind = max(1, n_files // 4)
    for path, note in segy_files(folder / "segy", seed, n_kind):
        tool, args = r.choice(_SEGY_CALLS)
        cases.append(Case(path.stem, "segy", tool, args, (str(path),), note))
    for path, note in las_files(folder / "las", seed, n_kind):
        args = {"file": "ws-1", "curve": r.choice(("AI", "GR", "DT", "RHOB", "NOPE"))}
        files: tuple[str, ...] = (str(path),)
        if r.random() < 0.3:
            args["checkshot"] = "ws-2"
            files += (str(folder / "valid" / "checkshot.txt"),)
        cases.append(Case(path.stem, "las", "read_well_log", args, files, note))
    for path, note in npy_files(folder / "npy", seed, n_kind):
        tool, args = r.choice(_NPY_CALLS)
        cases.append(Case(path.stem, "npy", tool, args, (str(path),), note))
    for path, note in ascii_files(folder / "ascii", seed, n_files - 3 * n_kind):
        if note.startswith("checkshot") or r.random() < 0.25:
            tool = "read_well_log"
            args = {"file": "ws-1", "checkshot": "ws-2"}
            files = (str(folder / "valid" / "well.las"), str(path))
        else:
            tool = "read_ascii_section"
            args = {"file": "ws-1", "n_header_columns": r.choice((0, 1, 2))}
            files = (str(path),)
        cases.append(Case(path.stem, "ascii", tool, args, files, note))
    for c in arg_cases(seed, n_args):
        cases.append(Case(c.id, c.kind, c.tool, c.args, tuple(str(p) for p in valid), c.note))
    return cases
