"""A per-session directory of arrays, figures and SEG-Y files addressed by id.

Ids look like ``ws-1``; each item is a file plus a JSON sidecar (``ws-1.json``) with its
kind, description and free metadata (dt, geometry, provenance). Tools read only what the
user supplied or the workspace holds: every path is resolved inside the root.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from common.atomic import write_file_atomically
from common.errors import BadInputError
from tools.result import Artifact

__all__ = ["Workspace", "MAX_UPLOAD_BYTES", "SUPPORTED_SUFFIXES", "read_npy"]

MAX_UPLOAD_BYTES = 2 * 1024**3  # 2 GiB; bigger volumes belong to the chunked (Dask) path
SUPPORTED_SUFFIXES = {
    ".sgy": "segy",
    ".segy": "segy",
    ".npy": "array",
    ".png": "figure",
    ".las": "file",
    ".txt": "file",
    ".ascii": "file",
    ".pdf": "file",
    ".md": "file",
    ".json": "file",
    ".csv": "file",
    ".mseed": "stream",
    ".miniseed": "stream",
    ".sac": "stream",
    ".nc": "file",  # netCDF grids (gravity, magnetics)
}
_ID = re.compile(r"^ws-(\d+)$")


class Workspace:
    """Files of one session, by id.

    Args:
        root: directory to hold the items; created if missing. ``None`` makes a
            temporary directory that lives as long as the process.
    """

    def __init__(self, root: str | os.PathLike | None = None):
        if root is None:
            root = tempfile.mkdtemp(prefix="geofm-ws-")
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r}, {len(self.ids())} items)"

    # ---- ids -------------------------------------------------------------------------
    def ids(self) -> list[str]:
        found = [p.stem for p in self.root.glob("ws-*.json")]
        return sorted(found, key=lambda s: int(s.split("-")[1]))

    def kinds(self, ids: list[str] | None = None) -> dict[str, str]:
        """Every item's kind (or only those of ``ids``); a SEG-Y file's as "segy:3d" or
        "segy:2d" when its geometry was recorded at attach time (``metadata["geometry"]``),
        a cube's as "array:3d", a spectrum's (an axis in hertz) as "array:spectrum"."""
        out: dict[str, str] = {}
        for item_id in self.ids() if ids is None else ids:
            try:
                m = self.meta(item_id)
            except (OSError, ValueError):  # removed or unreadable since it was listed
                continue
            kind = str(m.get("kind", ""))
            geometry = str(m.get("metadata", {}).get("geometry", ""))
            if kind == "segy" and geometry:
                kind += ":3d" if geometry.startswith("3D") else ":2d"
            if kind == "array" and len(m.get("metadata", {}).get("shape", ())) == 3:
                kind += ":3d"
            elif kind == "array" and "frequency_hz" in m.get("metadata", {}).get("axes", ()):
                kind += ":spectrum"
            out[item_id] = kind
        return out

    def _new_id(self) -> str:
        numbers = [int(s.split("-")[1]) for s in self.ids()]
        return f"ws-{max(numbers, default=0) + 1}"

    def __contains__(self, item_id: str) -> bool:
        return bool(_ID.match(str(item_id))) and (self.root / f"{item_id}.json").exists()

    def meta(self, item_id: str) -> dict[str, Any]:
        """The sidecar of ``item_id`` (kind, path, description, metadata)."""
        if item_id not in self:
            known = ", ".join(self.ids()) or "none yet"
            raise BadInputError(
                f"unknown workspace id {item_id!r}; known ids: {known}. "
                "Load a file first or use an id a previous tool returned."
            )
        return json.loads((self.root / f"{item_id}.json").read_text())

    def path(self, item_id: str) -> Path:
        """The file behind ``item_id``."""
        return self.root / self.meta(item_id)["file"]

    def artifact(self, item_id: str) -> Artifact:
        m = self.meta(item_id)
        return Artifact(item_id, m["kind"], str(self.root / m["file"]), m.get("description", ""))

    # ---- writing ---------------------------------------------------------------------
    def _register(
        self, item_id: str, file: str, kind: str, description: str, metadata: dict[str, Any] | None
    ) -> Artifact:
        sidecar = {
            "id": item_id,
            "file": file,
            "kind": kind,
            "description": description,
            "metadata": metadata or {},
        }
        text = json.dumps(sidecar, indent=1, default=_jsonable)
        write_file_atomically(self.root / f"{item_id}.json", lambda tmp: tmp.write_text(text))
        return Artifact(item_id, kind, str(self.root / file), description)

    def new_path(self, suffix: str) -> tuple[str, Path]:
        """Reserve an id and a file path with ``suffix`` for a tool to write into."""
        item_id = self._new_id()
        return item_id, self.root / f"{item_id}{suffix}"

    def commit(
        self,
        item_id: str,
        path: Path,
        kind: str,
        description: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> Artifact:
        """Register a file a tool wrote at a path from :meth:`new_path`."""
        if not path.exists():
            raise BadInputError(f"nothing was written at {path}; cannot register {item_id}")
        return self._register(item_id, path.name, kind, description, metadata)

    def save_array(
        self, array: np.ndarray, description: str = "", metadata: dict[str, Any] | None = None
    ) -> Artifact:
        """Store an array as ``.npy``; ``metadata`` keeps e.g. ``dt_ms`` and axis labels."""
        item_id, path = self.new_path(".npy")

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:  # a handle: np.save would add ".npy" to a name
                np.save(f, np.asarray(array))

        write_file_atomically(path, write)
        meta = {"shape": list(np.shape(array)), "dtype": str(np.asarray(array).dtype)}
        meta.update(metadata or {})
        return self._register(item_id, path.name, "array", description, meta)

    def remove(self, item_id: str) -> None:
        """Delete an item (its file, then its sidecar); a missing one is no error."""
        if not _ID.match(str(item_id)):
            raise BadInputError(f"not a workspace id: {item_id!r}")
        sidecar = self.root / f"{item_id}.json"
        try:
            name = json.loads(sidecar.read_text())["file"]
        except (OSError, ValueError, KeyError):
            name = None
        if name and "/" not in name and "\\" not in name and name not in (".", ".."):
            (self.root / name).unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)

    def load_array(self, item_id: str) -> np.ndarray:
        m = self.meta(item_id)
        if m["kind"] != "array":
            raise BadInputError(
                f"{item_id} is a {m['kind']}, not an array; load it with a reading tool first "
                "(e.g. read_segy) and pass the array id it returns."
            )
        return read_npy(self.root / m["file"], item_id)

    def add_file(
        self,
        source: str | os.PathLike,
        description: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> Artifact:
        """Copy a user's file into the workspace and give it an id.

        Raises:
            BadInputError: the file is missing, not a regular file, too large, or of
                a type geofm does not read.
        """
        src = Path(source).expanduser()
        kind = self.check_file(src)
        size = src.stat().st_size
        item_id, dst = self.new_path(src.suffix.lower())
        shutil.copyfile(src, dst)
        meta = {"source": str(src.resolve()), "bytes": size}
        meta.update(metadata or {})
        return self._register(item_id, dst.name, kind, description or src.name, meta)

    @staticmethod
    def check_file(source: str | os.PathLike) -> str:
        """The kind of a file the user wants to attach, or BadInputError saying why not."""
        src = Path(source).expanduser()
        if not src.exists():
            raise BadInputError(f"file not found: {src}. Check the path and try again.")
        if not src.is_file():
            raise BadInputError(f"not a regular file: {src}. Give a file, not a directory.")
        kind = SUPPORTED_SUFFIXES.get(src.suffix.lower())
        if kind is None:
            known = " ".join(sorted(SUPPORTED_SUFFIXES))
            raise BadInputError(
                f"unsupported file type {src.suffix or '(none)'!r} for {src.name}; "
                f"geofm reads: {known}"
            )
        size = src.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise BadInputError(
                f"{src.name} is {size / 1024**3:.1f} GiB, over the {MAX_UPLOAD_BYTES / 1024**3:.0f} "
                "GiB limit for a workspace copy; process it in chunks instead."
            )
        return kind

    def resolve(self, ref: str) -> Path:
        """A workspace id, or a path that must lie inside the workspace root."""
        if _ID.match(ref):
            return self.path(ref)
        p = (self.root / ref).resolve()
        if not p.is_relative_to(self.root):
            raise BadInputError(
                f"path {ref!r} is outside the workspace; "
                "attach the file to the session first and use its ws- id."
            )
        if not p.exists():
            raise BadInputError(f"no such file in the workspace: {ref!r}")
        return p


def read_npy(path: Path, name: str = "") -> np.ndarray:
    """A numeric ``.npy`` array, read without pickle after its header is checked.

    Object arrays are refused (loading them would unpickle, i.e. run code); so are files
    whose header declares more data than they hold (a hostile header could ask for
    terabytes) and files that are not ``.npy`` at all (``.npz``, text, pickles).

    Raises:
        BadInputError: the message names the problem and how to save a readable array.
    """
    name = name or path.name
    fix = "save a numeric array with numpy.save(path, array) and attach it again"
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy version {version}")
            offset = f.tell()
    except (ValueError, EOFError, OSError, SyntaxError) as e:
        raise BadInputError(f"{name} is not a readable .npy array ({e}); {fix}") from None
    if dtype.hasobject:
        raise BadInputError(
            f"{name} holds Python objects ({dtype}); geofm never loads pickled data. "
            f"Convert it to numbers first, then {fix}"
        )
    count = int(np.prod(shape, dtype=object))  # Python ints: no overflow
    if any(n < 0 for n in shape) or count * dtype.itemsize > path.stat().st_size - offset:
        raise BadInputError(
            f"{name}: the .npy header declares shape {shape} of {dtype} "
            f"({count * dtype.itemsize} bytes) but the file holds "
            f"{path.stat().st_size - offset} bytes of data (truncated or corrupt); {fix}"
        )
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as e:
        raise BadInputError(f"{name} is not a readable .npy array ({e}); {fix}") from None


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serializable: {type(x).__name__}")
