"""Chunked processing of SEG-Y cubes bigger than memory: inline blocks with halos, on Dask.

A post-stack cube (n_inlines, n_crosslines, n_samples) is cut into blocks of whole
inlines. Each task reads its block plus ``op.halo`` inlines on each side (fewer at the
cube's edges), applies the op and returns only the block's own inlines; the client writes
each block's trace headers and traces into the output as it arrives, so no process ever
holds the cube. An op whose support across inlines fits in its halo gives exactly what it
gives on the whole cube in memory::

    info = volume_info("big.sgy")
    op = make_op("fx_decon", info, {"fmin_hz": 5})            # tools.volume_ops
    with dask_client("local", n_workers=2, memory_budget="4GB") as client:
        n = block_inlines_for(info, op, "4GB", 2)
        report = process_volume(info, "out.sgy", op, client, block_inlines=n)

``client`` is a ``distributed.Client`` (a local cluster of processes, of threads, or a
scheduler address) or ``None`` to run the blocks one after another in this process. The
output keeps the input's textual, binary and trace headers; samples are 4-byte IEEE
floats (``tools.segy_blocks`` reads and writes the blocks). It is written to a hidden
sibling and renamed into place when complete, so a failed run leaves no half-written file
under the output name.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from common.atomic import remove_stale_temps
from common.errors import BadInputError, GeoFMError, ToolError
from tools.segy_blocks import CubeWriter, VolumeInfo, read_inlines, volume_info

if TYPE_CHECKING:  # loaded on first use at run time
    from distributed import Client, Future

__all__ = [
    "VolumeInfo",
    "VolumeOp",
    "Block",
    "VolumeReport",
    "volume_info",
    "plan_blocks",
    "read_inlines",
    "block_inlines_for",
    "parse_budget",
    "dask_client",
    "worker_count",
    "run_block",
    "check_output",
    "process_volume",
    "WORKER_BASE_BYTES",
    "CLIENT_BASE_BYTES",
]

# RSS of a Dask worker process with numpy/scipy/segyio loaded (measured ~130 MB) and of
# this process with the scheduler, pydantic and the writer (measured ~140 MB); block
# sizes leave them out. Ops that load a model add their own overhead.
WORKER_BASE_BYTES = 160 * 1024**2
CLIENT_BASE_BYTES = 200 * 1024**2
# A worker's own use stays below this fraction of its limit (Dask spills stored results
# to disk above 0.7 of it and pauses the worker at 0.8); all processes together below
# this fraction of the budget.
_WORKER_FRACTION = 0.7
_TOTAL_FRACTION = 0.9

Progress = Callable[[int, int], None] | None


@dataclass(frozen=True)
class VolumeOp:
    """One chunked operation.

    Attributes:
        name: what it is ("fx_decon").
        fn: maps float32 blocks (n, n_crosslines, n_samples) — the data and then one block
            of each ``aux`` volume, same inlines — to a float32 array of the data's shape.
        halo: inlines it needs on each side of a block for the block's output to equal
            the whole-cube result (0 for ops that work trace by trace or inline by inline).
        aux: further SEG-Y volumes on the same grid read alongside (e.g. a background).
        memory_factor: copies of a block (with its halo) a task holds at its peak:
            input, output and the result waiting to be sent (measured ~3).
        scratch_inlines: temporaries of the computation, in inlines of float32 (float64
            copies, FFT padding, shifted stacks: measured per op on 1000x1000 inlines).
        overhead_bytes: fixed memory a worker needs for the op (e.g. a loaded model).
        params: the arguments, for the report.
        citations: references of the method.
    """

    name: str
    fn: Callable[..., np.ndarray]
    halo: int = 0
    aux: tuple[VolumeInfo, ...] = ()
    memory_factor: float = 3.5
    scratch_inlines: float = 0.0
    overhead_bytes: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    citations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Block:
    """Inline positions (0-based, in file order): ``[start, stop)`` are written,
    ``[read_start, read_stop)`` are read (the block plus its halo, clipped to the cube)."""

    start: int
    stop: int
    read_start: int
    read_stop: int


@dataclass(frozen=True)
class VolumeReport:
    """What a chunked run did and how fast."""

    output: str
    op: str
    shape: str
    n_traces: int
    n_blocks: int
    block_inlines: int
    halo: int
    workers: int
    seconds: float
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def traces_per_s(self) -> float:
        return self.n_traces / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "traces_per_s": self.traces_per_s}


def plan_blocks(n_inlines: int, block_inlines: int, halo: int = 0) -> list[Block]:
    """Blocks of ``block_inlines`` inlines (the last may be shorter) covering the cube,
    each with ``halo`` inlines to read on either side, clipped to ``[0, n_inlines)``."""
    if block_inlines < 1:
        raise BadInputError(f"block_inlines must be >= 1, got {block_inlines}")
    if halo < 0:
        raise BadInputError(f"halo must be >= 0, got {halo}")
    return [
        Block(
            s,
            min(s + block_inlines, n_inlines),
            max(s - halo, 0),
            min(s + block_inlines + halo, n_inlines),
        )
        for s in range(0, n_inlines, block_inlines)
    ]


def run_block(op: VolumeOp, info: VolumeInfo, block: Block) -> np.ndarray:
    """One task: read the block with its halo (and the aux volumes), apply ``op``, return the
    block's own inlines (stop - start, n_crosslines, n_samples) float32."""
    blocks = [read_inlines(v, block.read_start, block.read_stop) for v in (info, *op.aux)]
    out = np.asarray(op.fn(*blocks), dtype=np.float32)
    if out.shape != blocks[0].shape:
        raise ToolError(
            f"{op.name} returned shape {out.shape} for a block of "
            f"{blocks[0].shape}; a chunked op must keep the shape"
        )
    lo = block.start - block.read_start
    return np.ascontiguousarray(out[lo : lo + block.stop - block.start])


def parse_budget(budget: str | int | float) -> int:
    """Bytes from ``"1GB"``, ``"512MiB"`` or a number (dask.utils.parse_bytes)."""
    from dask.utils import parse_bytes

    try:
        n = int(parse_bytes(budget)) if isinstance(budget, str) else int(budget)
    except (ValueError, TypeError):
        raise BadInputError(
            f"memory budget {budget!r} is not a size; write e.g. '2GB' or '512MiB'"
        ) from None
    if n <= 0:
        raise BadInputError(f"memory budget must be positive, got {budget!r}")
    return n


def block_inlines_for(
    info: VolumeInfo, op: VolumeOp, memory_budget: str | int, n_workers: int
) -> int:
    """The most inlines per block that keep a run within ``memory_budget``: every worker
    below 0.7 of its share (its Dask limit), and the workers plus this process (which
    holds about two blocks while writing) below 0.9 of the whole; capped so every worker
    gets at least 4 blocks.

    A task holds ``memory_factor`` copies of its block with halo plus ``scratch_inlines``
    inlines of temporaries, on top of ``WORKER_BASE_BYTES`` and ``op.overhead_bytes``.

    Raises:
        BadInputError: not even one inline (plus halo) fits.
    """
    budget = parse_budget(memory_budget)
    ib = info.inline_bytes
    fixed = (
        WORKER_BASE_BYTES
        + op.overhead_bytes
        + (op.scratch_inlines + 2 * op.halo * op.memory_factor) * ib
    )
    per_worker = (_WORKER_FRACTION * budget / n_workers - fixed) / (op.memory_factor * ib)
    total = (_TOTAL_FRACTION * budget - n_workers * fixed - CLIENT_BASE_BYTES) / (
        (n_workers * op.memory_factor + 2) * ib
    )
    n = int(min(per_worker, total))
    if n < 1:
        need = max(
            (fixed + op.memory_factor * ib) * n_workers / _WORKER_FRACTION,
            (n_workers * (fixed + op.memory_factor * ib) + CLIENT_BASE_BYTES + 2 * ib)
            / _TOTAL_FRACTION,
        )
        raise BadInputError(
            f"memory budget {memory_budget} is too small for {op.name} on {n_workers} "
            f"worker(s): one inline of {info.n_crosslines}x{info.n_samples} samples with "
            f"its halo of {op.halo} needs a budget of about {need / 1024**2:.0f} MiB; "
            "raise the budget or use fewer workers"
        )
    # at least 4 blocks per worker, so reading, computing and writing overlap
    return max(1, min(n, math.ceil(info.n_inlines / (4 * n_workers))))


@contextlib.contextmanager
def dask_client(
    scheduler: str = "local", n_workers: int = 2, memory_budget: str | int = "2GB"
) -> Iterator[Client | None]:
    """A ``distributed.Client`` for ``scheduler``, closed on exit.

    Args:
        scheduler: "local" (a local cluster of ``n_workers`` processes, one thread each,
            each limited to its share of ``memory_budget``), "threads" (the same workers
            as threads of this process), "sync" (no Dask: yields None, blocks run here
            one after another) or a scheduler address such as ``tcp://10.0.0.5:8786``
            (a running cluster; its workers must see the input and output paths).
        n_workers: local workers.
        memory_budget: memory of the run; each local worker process is limited to its
            share (``block_inlines_for`` sizes blocks to fit it).
    """
    if n_workers < 1:
        raise BadInputError(f"workers must be >= 1, got {n_workers}")
    budget = parse_budget(memory_budget)
    if scheduler == "sync":
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise BadInputError(
            "Dask's distributed scheduler is not installed: pip install "
            "distributed (or use --scheduler sync)"
        ) from None
    if scheduler in ("local", "threads"):
        processes = scheduler == "local"
        # threads share one process, whose RSS a per-worker limit would misjudge
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",
            scheduler_kwargs={"dashboard": False},
            memory_limit=budget // n_workers if processes else 0,
            silence_logs=40,
        )
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
        return
    if "://" not in scheduler and ":" not in scheduler:
        raise BadInputError(
            f"--scheduler {scheduler!r}: use local, threads, sync or a "
            "scheduler address such as tcp://10.0.0.5:8786"
        )
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise BadInputError(
            f"no Dask scheduler answered at {scheduler} ({e}); start one "
            "(`dask scheduler` and `dask worker ADDRESS`) or leave "
            "--scheduler out for a local cluster"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=30)
        except TimeoutError:
            raise BadInputError(
                f"the Dask scheduler at {scheduler} has no workers after "
                "30 s; start some with `dask worker ADDRESS`"
            ) from None
        yield client
    finally:
        client.close()


def worker_count(client: Client | None) -> int:
    """Workers of a Dask client (1 for None: the blocks run in this process)."""
    if client is None:
        return 1
    return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))


def check_output(info: VolumeInfo, output: str | os.PathLike, overwrite: bool = False) -> Path:
    """``output`` as a Path, or BadInputError: it is the input, its folder is missing, or
    it exists and ``overwrite`` is off."""
    out = Path(output).expanduser()
    if out.resolve() == Path(info.path).resolve():
        raise BadInputError("the output must not be the input file; name a new file")
    if not out.parent.is_dir():
        raise BadInputError(f"no folder {out.parent} for the output; create it first")
    if out.exists() and not overwrite:
        raise BadInputError(f"{out} exists; pass overwrite (--overwrite) to replace it")
    return out


def process_volume(
    info: VolumeInfo,
    output: str | os.PathLike,
    op: VolumeOp,
    client: Client | None = None,
    block_inlines: int = 16,
    in_flight: int | None = None,
    progress: Progress = None,
    overwrite: bool = False,
) -> VolumeReport:
    """Apply ``op`` to the cube of ``info`` block by block and write the result as SEG-Y.

    Args:
        info: the input, from :func:`volume_info`.
        output: SEG-Y file to write (headers from the input, IEEE float samples).
        op: the chunked op (``tools.volume_ops.make_op``).
        client: a ``distributed.Client``, or None to run the blocks here, in order.
        block_inlines: inlines written per block (see :func:`block_inlines_for`).
        in_flight: blocks submitted but not yet written; bounds memory. Default: workers + 1.
        progress: called with (traces written, traces total) after each block.
        overwrite: replace an existing ``output``.

    Raises:
        BadInputError: bad output path or arguments; errors of the op (e.g. ModelError)
            come through unchanged, other failures of a block as ToolError.
    """
    out = check_output(info, output, overwrite)
    blocks = plan_blocks(info.n_inlines, block_inlines, op.halo)
    n_workers = worker_count(client)
    in_flight = n_workers + 1 if in_flight is None else max(1, in_flight)
    remove_stale_temps(out, "partial")  # left by runs that were killed
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    t0 = time.perf_counter()
    writer = CubeWriter(info, tmp)
    done = 0
    try:
        with contextlib.closing(_results(op, info, blocks, client, in_flight)) as results:
            for block, data in results:
                writer.write(block.start, data)
                done += (block.stop - block.start) * info.n_crosslines
                if progress:
                    progress(done, info.n_traces)
        writer.close()
        with open(tmp, "rb+") as f:  # on disk before the rename publishes it
            os.fsync(f.fileno())
        os.replace(tmp, out)  # atomic: a kill leaves the old or the new output
    finally:
        writer.close()
        tmp.unlink(missing_ok=True)
    return VolumeReport(
        str(out),
        op.name,
        info.shape_str(),
        info.n_traces,
        len(blocks),
        block_inlines,
        op.halo,
        n_workers,
        time.perf_counter() - t0,
        dict(op.params),
    )


def _results(
    op: VolumeOp, info: VolumeInfo, blocks: list[Block], client: Client | None, in_flight: int
) -> Generator[tuple[Block, np.ndarray], None, None]:
    """(block, output) pairs as blocks finish, with at most ``in_flight`` outstanding."""
    if client is None:
        for b in blocks:
            yield b, _checked_run(op, info, b)
        return
    from distributed import as_completed

    pending = iter(blocks)
    futures: dict[Future, Block] = {}

    def submit() -> Future | None:
        b = next(pending, None)
        if b is None:
            return None
        fut = client.submit(_checked_run, op, info, b, pure=False)
        futures[fut] = b
        return fut

    queue = as_completed([f for f in (submit() for _ in range(in_flight)) if f is not None])
    try:
        for fut in queue:
            b = futures.pop(fut)
            try:
                data = fut.result()
            except GeoFMError:
                raise
            except Exception as e:  # e.g. KilledWorker: a worker died on this block
                raise ToolError(
                    f"{op.name} lost inlines {b.start}-{b.stop - 1} (positions): "
                    f"{type(e).__name__}: {e}. A worker over its memory limit "
                    "is killed: lower --block-inlines or raise --memory-budget"
                ) from None
            fut.release()
            nxt = submit()
            if nxt is not None:
                queue.add(nxt)
            yield b, data
    finally:
        for fut in futures:
            fut.cancel()


def _checked_run(op: VolumeOp, info: VolumeInfo, block: Block) -> np.ndarray:
    """run_block, naming the block in any unexpected failure."""
    try:
        return run_block(op, info, block)
    except GeoFMError:
        raise
    except Exception as e:
        raise ToolError(
            f"{op.name} failed on inlines {block.start}-{block.stop - 1} "
            f"(positions) of {Path(info.path).name}: {type(e).__name__}: {e}"
        ) from None
