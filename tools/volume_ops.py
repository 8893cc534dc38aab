"""The operations of the chunked volume path: the in-memory tools' science, per block.

Each factory takes the input's :class:`~tools.volume.VolumeInfo` and typed, documented
arguments (their JSON schema is derived from the signature, as for tools), checks them
before any block runs, and returns a :class:`~tools.volume.VolumeOp`. The science is the
tools' own pure functions, applied as the tools apply them to a cube held in memory, so
chunked and in-memory results agree:

    op                 per                            halo (inlines)      from
    bandpass           trace                          0                   tools.filters
    fk_filter          inline                         0                   tools.filters
    fx_decon           inline                         0                   tools.denoise
    rank_reduction     inline                         0                   tools.denoise
    median_filter      inline, or 3D rectangular      inline_half_width   tools.denoise, scipy
    geofm_denoise      inline (tiled ViT-MAE)         0                   tools.geofm.infer
    geofm_interpolate  inline                         0                   tools.geofm.infer
    geofm_faults       inline                         0                   tools.geofm.infer
    invert_impedance   trace or inline (Laplacian)    0                   tools.inversion

Block functions are module-level partials, so Dask can ship them to worker processes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, Literal, get_type_hints

import numpy as np
from pydantic import BaseModel, Field, ValidationError, create_model

from common.errors import BadInputError
from tools.denoise import (
    CADZOW_CITATIONS,
    CANALES_CITATION,
    SOF_CITATION,
    check_fx,
    check_median,
    check_rank,
    check_window,
    dip_median,
    fx_deconvolution,
    fx_rank_reduction,
)
from tools.filters import (
    SCIPY_CITATION,
    YILMAZ_CITATION,
    bandpass_traces,
    check_fk,
    check_order,
    fk_dip_filter,
)
from tools.geofm.infer import denoise_section, fault_probability, interpolate_section
from tools.geofm.model import MAE_CITATION, VIT_CITATION
from tools.geofm.refine import DILATED_CONV_CITATION
from tools.geofm.tools import checked_weights, load_head, load_refine_head
from tools.inversion import (
    EPS_R,
    background_from_log,
    background_from_model,
    invert_poststack,
)
from tools.registry import parse_docstring, strip_titles
from tools.spectrum import statistical_wavelet
from tools.synthetic import PYLOPS_CITATION
from tools.volume import VolumeInfo, VolumeOp, read_inlines, volume_info
from tools.workspace import read_npy

__all__ = [
    "OPS",
    "make_op",
    "describe_ops",
    "per_inline",
    "bandpass",
    "fk_filter",
    "fx_decon",
    "rank_reduction",
    "median_filter",
    "geofm_denoise",
    "geofm_interpolate",
    "geofm_faults",
    "invert_impedance",
]

_MODEL_BYTES = 600 * 1024**2  # torch + a GeoFM head in a worker process (measured ~450 MB)


def per_inline(fn2d: Callable[..., np.ndarray], block: np.ndarray, *aux: np.ndarray) -> np.ndarray:
    """``fn2d`` on each (n_crosslines, n_samples) inline of a block, in float64 as the
    in-memory tools compute; (n, n_xl, n_t) float32 out. Aux blocks come inline by inline."""
    out = np.empty(block.shape, np.float32)
    for k in range(len(block)):
        out[k] = fn2d(block[k].astype(np.float64), *(a[k].astype(np.float64) for a in aux))
    return out


def _op(
    name: str,
    fn2d: Callable[..., np.ndarray],
    params: dict[str, Any],
    citations: Iterable[str] = (),
    **kw: Any,
) -> VolumeOp:
    return VolumeOp(
        name, partial(per_inline, fn2d), params=params, citations=tuple(citations), **kw
    )


def bandpass(
    info: VolumeInfo, low_hz: float = 5.0, high_hz: float = 60.0, order: int = 4
) -> VolumeOp:
    """Zero-phase Butterworth bandpass of every trace (scipy.signal, forward-backward).

    Args:
        low_hz: low corner frequency in Hz; 0 makes a low-pass.
        high_hz: high corner frequency in Hz, below Nyquist.
        order: Butterworth order of each pass, 1 to 10 (dimensionless).
    """
    check_order(order)
    bandpass_traces(np.zeros((1, info.n_samples)), info.dt_ms, low_hz, high_hz, order)
    fn = partial(bandpass_traces, dt_ms=info.dt_ms, low_hz=low_hz, high_hz=high_hz, order=order)
    return _op(
        "bandpass",
        fn,
        dict(low_hz=low_hz, high_hz=high_hz, order=order),
        (SCIPY_CITATION,),
        scratch_inlines=20,
    )


def fk_filter(info: VolumeInfo, max_dip_ms_per_trace: float = 2.0, taper: float = 0.2) -> VolumeOp:
    """F-k dip filter of each inline: keep events flatter than a dip, remove steeper ones.

    Args:
        max_dip_ms_per_trace: largest dip kept, in milliseconds per crossline.
        taper: relative width of the cosine taper at the pass-zone edge, 0.01 to 1.
    """
    check_fk(max_dip_ms_per_trace, taper)
    if info.n_crosslines < 4:
        raise BadInputError(f"f-k needs at least 4 crosslines, the cube has {info.n_crosslines}")
    fn = partial(
        fk_dip_filter, dt_ms=info.dt_ms, max_dip_ms_per_trace=max_dip_ms_per_trace, taper=taper
    )
    return _op(
        "fk_filter",
        fn,
        dict(max_dip_ms_per_trace=max_dip_ms_per_trace, taper=taper),
        (YILMAZ_CITATION,),
        scratch_inlines=45,
    )


def fx_decon(
    info: VolumeInfo,
    fmin_hz: float = 1.0,
    fmax_hz: float | None = None,
    filter_length: int = 4,
    damping: float = 0.01,
    win_traces: int = 40,
    win_ms: float = 400.0,
) -> VolumeOp:
    """Random-noise attenuation by f-x deconvolution (Canales 1984) of each inline.

    Args:
        fmin_hz: lowest frequency filtered, in Hz.
        fmax_hz: highest frequency filtered, in Hz; null means Nyquist.
        filter_length: spatial prediction filter length, in traces (1 to 20).
        damping: prewhitening, as a fraction of the mean diagonal (dimensionless).
        win_traces: spatial window length, in traces.
        win_ms: time window length, in milliseconds.
    """
    check_window(win_traces, win_ms, info.dt_ms)
    check_fx(filter_length, damping)
    params: dict[str, Any] = dict(
        fmin_hz=fmin_hz,
        fmax_hz=fmax_hz,
        filter_length=filter_length,
        damping=damping,
        win_traces=win_traces,
        win_ms=win_ms,
    )
    return _op(
        "fx_decon",
        partial(fx_deconvolution, dt_ms=info.dt_ms, **params),
        params,
        (CANALES_CITATION,),
        scratch_inlines=10,
    )


def rank_reduction(
    info: VolumeInfo,
    rank: int = 2,
    fmin_hz: float = 1.0,
    fmax_hz: float | None = None,
    win_traces: int = 40,
    win_ms: float = 400.0,
) -> VolumeOp:
    """Random-noise attenuation by f-x rank reduction (Cadzow / SSA) of each inline.

    Args:
        rank: number of dipping events kept per window, 1 to 20 (dimensionless).
        fmin_hz: lowest frequency filtered, in Hz.
        fmax_hz: highest frequency filtered, in Hz; null means Nyquist.
        win_traces: spatial window length, in traces.
        win_ms: time window length, in milliseconds.
    """
    check_window(win_traces, win_ms, info.dt_ms)
    check_rank(rank)
    params: dict[str, Any] = dict(
        rank=rank, fmin_hz=fmin_hz, fmax_hz=fmax_hz, win_traces=win_traces, win_ms=win_ms
    )
    return _op(
        "rank_reduction",
        partial(fx_rank_reduction, dt_ms=info.dt_ms, **params),
        params,
        CADZOW_CITATIONS,
        scratch_inlines=10,
    )


def _median3d(block: np.ndarray, size: tuple[int, int, int]) -> np.ndarray:
    from scipy.ndimage import median_filter as scipy_median

    return scipy_median(block, size=size, mode="reflect")


def median_filter(
    info: VolumeInfo,
    half_width: int = 2,
    half_length: int = 1,
    dip_steered: bool = True,
    inline_half_width: int = 0,
) -> VolumeOp:
    """Median filter across traces: along each inline (optionally dip-steered), or a 3D box.

    Args:
        half_width: crosslines on each side in the median, 1 to 10.
        half_length: samples on each side in the median (along time), 0 to 10.
        dip_steered: follow the local dip within each inline; only with inline_half_width 0.
        inline_half_width: inlines on each side, 0 to 10; above 0 the median is a 3D box
            (2*inline_half_width+1 inlines) and blocks read that many inlines of halo.
    """
    check_median(half_width, half_length)
    if not 0 <= inline_half_width <= 10:
        raise BadInputError(f"inline_half_width must be 0-10, got {inline_half_width}")
    params = dict(
        half_width=half_width,
        half_length=half_length,
        dip_steered=dip_steered,
        inline_half_width=inline_half_width,
    )
    if inline_half_width == 0:
        fn = partial(
            dip_median, half_width=half_width, half_length=half_length, dip_steered=dip_steered
        )
        return _op(
            "median_filter",
            fn,
            params,
            (SOF_CITATION,) if dip_steered else (),
            scratch_inlines=110 if dip_steered else 5,
        )
    if dip_steered:
        raise BadInputError(
            "a 3D median (inline_half_width > 0) is rectangular: set "
            "dip_steered to false, or inline_half_width to 0"
        )
    size = (2 * inline_half_width + 1, 2 * half_width + 1, 2 * half_length + 1)
    return VolumeOp(
        "median_filter", partial(_median3d, size=size), halo=inline_half_width, params=params
    )


def _geofm_block(block: np.ndarray, weights: str, task: str) -> np.ndarray:
    model = load_head(weights)
    refine = load_refine_head(weights) if task == "interpolate" else None
    fn = {
        "denoise": denoise_section,
        "faults": fault_probability,
        "interpolate": lambda m, d: interpolate_section(m, d, refine=refine)[0],
    }[task]
    return per_inline(partial(fn, model), block)


def _geofm(task: str) -> VolumeOp:
    weights = str(checked_weights(task))  # ModelError now, before any block runs
    # a refine file that does not fit fails here too; it is small, so loading it is cheap
    refine = task == "interpolate" and load_refine_head(weights) is not None
    return VolumeOp(
        f"geofm_{task}",
        partial(_geofm_block, weights=weights, task=task),
        overhead_bytes=_MODEL_BYTES,
        scratch_inlines=10,
        params={"weights": weights, **({"refine": True} if refine else {})},
        citations=(MAE_CITATION, VIT_CITATION) + ((DILATED_CONV_CITATION,) if refine else ()),
    )


def geofm_denoise(info: VolumeInfo) -> VolumeOp:
    """Attenuate random noise with the GeoFM vision foundation model, inline by inline."""
    return _geofm("denoise")


def geofm_interpolate(info: VolumeInfo) -> VolumeOp:
    """Fill dead (all-zero) traces with the GeoFM vision foundation model, inline by inline; live traces are kept. The head alone: the in-memory tool's self-check against the classical fills is not run here."""
    return _geofm("interpolate")


def geofm_faults(info: VolumeInfo) -> VolumeOp:
    """Fault probability (0-1) at every sample from the GeoFM vision foundation model, inline by inline."""
    return _geofm("faults")


def _invert_inline(
    data: np.ndarray,
    *background: np.ndarray,
    wavelet: np.ndarray,
    dt_ms: float,
    background_hz: float,
    log_ai0: np.ndarray | None,
    mode: Literal["trace", "spatial"],
    damping: float,
    eps_r: float,
) -> np.ndarray:
    if background:
        m0 = background_from_model(background[0], dt_ms, background_hz)
    else:
        assert log_ai0 is not None  # invert_impedance passes a log when no model
        m0 = np.repeat(log_ai0[None, :], len(data), axis=0)
    return invert_poststack(data, wavelet, m0, mode, damping=damping, eps_r=eps_r)


def _npy(path: str, what: str) -> np.ndarray:
    p = Path(path).expanduser()
    if p.suffix != ".npy" or not p.is_file():
        raise BadInputError(f"{what} must be an existing .npy file, got {path}")
    a = read_npy(p, what)
    if a.ndim != 1 or not np.all(np.isfinite(a)):
        raise BadInputError(f"{what} {p.name} must be a finite 1D array, got shape {a.shape}")
    return a.astype(np.float64)


def invert_impedance(
    info: VolumeInfo,
    background: str | None = None,
    background_log: str | None = None,
    wavelet: str | None = None,
    background_hz: float = 4.0,
    regularization: Literal["trace", "spatial"] = "trace",
    damping: float = 0.01,
    eps_r: float = EPS_R,
) -> VolumeOp:
    """Acoustic impedance by model-based post-stack inversion (PyLops), trace by trace or per inline.

    Args:
        background: SEG-Y impedance model on the same inline/crossline grid, low-passed
            below background_hz for the background ((m/s)*(kg/m3)).
        background_log: .npy impedance log on the cube's time samples (one value per
            sample, (m/s)*(kg/m3)), used laterally constant instead of a model.
        wavelet: .npy wavelet, odd length, at the cube's sample interval, scaled so that
            data = W * reflectivity; default a zero-phase statistical wavelet from up to
            8 evenly spaced inlines (unit peak).
        background_hz: high cut of the low-frequency background, in Hz.
        regularization: "trace" inverts traces independently; "spatial" adds a Laplacian
            along each inline (an 80-iteration LSQR per inline, much slower).
        damping: trace-by-trace damping relative to the operator's diagonal (dimensionless).
        eps_r: weight of the spatial regulariser (dimensionless, relative to data RMS).
    """
    if (background is None) == (background_log is None):
        raise BadInputError(
            "give exactly one background: background (an impedance SEG-Y "
            "on the cube's grid) or background_log (a .npy impedance log)"
        )
    if damping < 0 or eps_r < 0 or background_hz <= 0:
        raise BadInputError("damping and eps_r must be >= 0 and background_hz > 0")
    aux: tuple[VolumeInfo, ...] = ()
    log_ai0 = None
    if background is not None:
        bg = volume_info(background)
        if not bg.same_grid(info):
            raise BadInputError(
                f"background {Path(background).name} is {bg.shape_str()}, "
                f"the data {info.shape_str()}; they must share the grid"
            )
        aux = (bg,)
    else:
        assert background_log is not None  # exactly one background (checked above)
        log = _npy(background_log, "background_log")
        if len(log) != info.n_samples or np.any(log <= 0):
            raise BadInputError(
                f"background_log must hold {info.n_samples} positive "
                f"impedances (one per sample), got {len(log)}"
            )
        log_ai0 = background_from_log(log, 1, info.dt_ms, background_hz)[0]
    if wavelet is not None:
        wav = _npy(wavelet, "wavelet")
        if len(wav) % 2 == 0 or len(wav) >= info.n_samples:
            raise BadInputError(
                f"the wavelet must have an odd length below "
                f"{info.n_samples} samples, got {len(wav)}"
            )
    else:
        picks = np.unique(np.linspace(0, info.n_inlines - 1, min(8, info.n_inlines)).astype(int))
        wav = statistical_wavelet(
            np.stack([read_inlines(info, p, p + 1)[0] for p in picks]), info.dt_ms, 128.0
        )
    fn = partial(
        _invert_inline,
        wavelet=wav,
        dt_ms=info.dt_ms,
        background_hz=background_hz,
        log_ai0=log_ai0,
        mode=regularization,
        damping=damping,
        eps_r=eps_r,
    )
    params = dict(
        background=background,
        background_log=background_log,
        wavelet=wavelet,
        background_hz=background_hz,
        regularization=regularization,
        damping=damping,
        eps_r=eps_r,
    )
    return _op(
        "invert_impedance",
        fn,
        params,
        (PYLOPS_CITATION,),
        aux=aux,
        memory_factor=3.5 + 1.0 * len(aux),
        scratch_inlines=40,
    )


OPS = {
    fn.__name__: fn
    for fn in (
        bandpass,
        fk_filter,
        fx_decon,
        rank_reduction,
        median_filter,
        geofm_denoise,
        geofm_interpolate,
        geofm_faults,
        invert_impedance,
    )
}


def _args_model(factory: Callable[..., VolumeOp]) -> type[BaseModel]:
    _, helps = parse_docstring(factory.__doc__ or "")
    hints = get_type_hints(factory)
    fields: dict[str, Any] = {
        p.name: (hints[p.name], Field(p.default, description=helps[p.name]))
        for p in list(inspect.signature(factory).parameters.values())[1:]
    }
    return create_model(f"{factory.__name__}_volume_args", **fields)


def describe_ops() -> list[dict[str, Any]]:
    """Name, description and JSON schema of the arguments of every op."""
    return [
        {
            "name": name,
            "description": parse_docstring(f.__doc__ or "")[0],
            "parameters": strip_titles(_args_model(f).model_json_schema()),
        }
        for name, f in OPS.items()
    ]


def make_op(name: str, info: VolumeInfo, args: dict[str, Any] | None = None) -> VolumeOp:
    """The op ``name`` for the cube ``info``, with ``args`` validated against its schema.

    Raises:
        BadInputError: unknown op, unknown or ill-typed arguments, or values the op refuses.
        ModelError: a GeoFM op whose weights are missing.
    """
    if name not in OPS:
        raise BadInputError(f"no volume op named {name!r}; available: {', '.join(OPS)}")
    args = dict(args or {})
    model = _args_model(OPS[name])
    extra = set(args) - set(model.model_fields)
    if extra:
        raise BadInputError(
            f"{name} has no argument(s) {sorted(extra)}; it takes "
            f"{sorted(model.model_fields) or 'none'}"
        )
    try:
        checked = model.model_validate(args).model_dump()
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()
        )
        raise BadInputError(f"bad arguments for {name}: {problems}") from None
    return OPS[name](info, **checked)
