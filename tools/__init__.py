"""Domain tools: typed functions the agent plans calls to.

Catalog: ``REGISTRY`` (reflection seismic and wells: the tools the chat router's
adapter is trained on), ``SEISMOLOGY`` (earthquake-seismology tools on ObsPy) and
``POTENTIAL_FIELDS`` (gravity and magnetic tools on Harmonica, Verde and Boule) — the
chat offers these three a domain at a time (``agent.domains``) — then ``WELL_TIE`` (the
well-to-seismic tie) and ``CLASSICAL`` (classical trace interpolation and semblance
coherence, the references for the GeoFM heads), which the chat does not offer yet; all
reached through ``ALL`` (every tool: the agent's calls, `geofm tools`, MCP),
``Workspace`` (per-session files by id), ``ToolResult`` / ``Artifact`` (what a tool
returns). The errors tools raise
are in ``common.errors``.
Tool modules import numpy/scipy/segyio only; matplotlib and torch load inside the tools
that need them.
"""

from __future__ import annotations

from tools.registry import Registry, Tool
from tools.result import Artifact, ToolResult
from tools.workspace import Workspace

__all__ = [
    "REGISTRY",
    "SEISMOLOGY",
    "POTENTIAL_FIELDS",
    "WELL_TIE",
    "CLASSICAL",
    "ALL",
    "Registry",
    "Tool",
    "Workspace",
    "ToolResult",
    "Artifact",
]

from tools import (
    coloured,
    denoise,
    discontinuity,
    filters,
    interpolation,
    inversion,
    literature,
    loaders,
    metrics,
    pf_tools,
    picking,
    plotting,
    segy,
    seismograms,
    spectrum,
    synthetic,  # noqa: E402  (tool modules import numpy/scipy/segyio only)
    traveltimes,
    waveforms,
    wells,
    welltie_tool,
)
from tools import potential_fields as pf  # noqa: E402
from tools.geofm import tools as geofm_tools  # noqa: E402
from tools.geofm.model import MAE_CITATION, VIT_CITATION  # noqa: E402

# Every tool the agent may call, with the citations of its method or library.
REGISTRY = Registry(
    [
        Tool.from_function(segy.segy_info, citations=(segy.SEGYIO_CITATION,)),
        Tool.from_function(segy.read_segy, citations=(segy.SEGYIO_CITATION,)),
        Tool.from_function(segy.write_segy, citations=(segy.SEGYIO_CITATION,)),
        Tool.from_function(loaders.read_ascii_section),
        Tool.from_function(loaders.import_array),
        Tool.from_function(wells.read_well_log, citations=(wells.LASIO_CITATION,)),
        Tool.from_function(wells.locate_well, citations=(segy.SEGYIO_CITATION,)),
        Tool.from_function(synthetic.make_synthetic, citations=(synthetic.PYLOPS_CITATION,)),
        Tool.from_function(filters.bandpass, citations=(filters.SCIPY_CITATION,)),
        Tool.from_function(filters.agc, citations=(filters.YILMAZ_CITATION,)),
        Tool.from_function(filters.fk_filter, citations=(filters.YILMAZ_CITATION,)),
        Tool.from_function(denoise.fx_decon, citations=(denoise.CANALES_CITATION,)),
        Tool.from_function(denoise.rank_reduction, citations=denoise.CADZOW_CITATIONS),
        Tool.from_function(denoise.median_filter, citations=(denoise.SOF_CITATION,)),
        Tool.from_function(spectrum.spectrum),
        Tool.from_function(spectrum.estimate_wavelet, citations=(filters.YILMAZ_CITATION,)),
        Tool.from_function(metrics.measure_snr),
        Tool.from_function(
            inversion.invert_impedance,
            citations=(synthetic.PYLOPS_CITATION, coloured.COLOURED_CITATION),
        ),
        Tool.from_function(plotting.plot_section),
        Tool.from_function(plotting.plot_comparison),
        Tool.from_function(literature.search_literature),
        Tool.from_function(geofm_tools.geofm_denoise, citations=(MAE_CITATION, VIT_CITATION)),
        Tool.from_function(geofm_tools.geofm_interpolate, citations=(MAE_CITATION, VIT_CITATION)),
        Tool.from_function(geofm_tools.geofm_faults, citations=(MAE_CITATION, VIT_CITATION)),
    ]
)

_OBSPY = waveforms.OBSPY_CITATIONS
# Earthquake seismology on ObsPy. Kept apart from REGISTRY: the chat router (a 135M model)
# is trained on REGISTRY's schemas, so the chat offers these only to a turn whose domain
# is seismology (agent.domains), and REGISTRY's prompt stays as trained.
SEISMOLOGY = Registry(
    [
        Tool.from_function(waveforms.read_waveforms, citations=_OBSPY),
        Tool.from_function(waveforms.preprocess_waveforms, citations=_OBSPY),
        Tool.from_function(
            picking.sta_lta_trigger, citations=(_OBSPY[0], *picking.STA_LTA_CITATIONS)
        ),
        Tool.from_function(
            picking.pick_onsets,
            citations=(_OBSPY[0], picking.BAER_CITATION, picking.AR_PICK_CITATION),
        ),
        Tool.from_function(
            traveltimes.predict_arrivals,
            citations=(
                traveltimes.TAUP_CITATION,
                traveltimes.IASP91_CITATION,
                traveltimes.AK135_CITATION,
                _OBSPY[0],
            ),
        ),
        Tool.from_function(seismograms.plot_waveforms, citations=(_OBSPY[0],)),
        Tool.from_function(seismograms.plot_spectrogram, citations=(_OBSPY[0],)),
    ]
)

# Gravity and magnetic tools (Harmonica, Verde, Boule), offered by the chat to a turn
# whose domain is potential fields (agent.domains), as SEISMOLOGY is.
POTENTIAL_FIELDS = Registry(
    [
        Tool.from_function(pf_tools.read_potential_field),
        Tool.from_function(pf_tools.grid_scattered, citations=(pf.VERDE_CITATION,)),
        Tool.from_function(
            pf_tools.gravity_corrections, citations=(pf.BOULE_CITATION, pf.HARMONICA_CITATION)
        ),
        Tool.from_function(pf_tools.upward_continue, citations=pf.FFT_CITATIONS),
        Tool.from_function(pf_tools.reduce_to_pole, citations=pf.FFT_CITATIONS),
        Tool.from_function(pf_tools.field_derivative, citations=pf.FFT_CITATIONS),
        Tool.from_function(
            pf_tools.euler_deconvolution, citations=(pf.HARMONICA_CITATION, pf.REID_CITATION)
        ),
        Tool.from_function(pf_tools.model_prisms, citations=(pf.HARMONICA_CITATION,)),
        Tool.from_function(pf_tools.plot_grid),
    ]
)


# The well-to-seismic tie. Kept out of REGISTRY for the same reason: the shipped adapter
# was trained on REGISTRY's schemas, and a new tool in the system prompt would change
# what it routes; served by `geofm tools` and MCP through ALL until an adapter trains on it.
WELL_TIE = Registry(
    [
        Tool.from_function(
            welltie_tool.tie_well,
            citations=(
                welltie_tool.WHITE_SIMM_CITATION,
                welltie_tool.WHITE_1980_CITATION,
                welltie_tool.GARDNER_CITATION,
                wells.LASIO_CITATION,
            ),
        ),
    ]
)

# Classical references to the GeoFM heads: f-k POCS and f-x MSSA trace interpolation,
# semblance coherence for faults. Kept out of REGISTRY because the chat router is trained
# on REGISTRY's schemas; served by `geofm tools` and MCP through ALL until the next
# adapter round.
CLASSICAL = Registry(
    [
        Tool.from_function(
            interpolation.interpolate_traces,
            citations=(interpolation.POCS_CITATION, interpolation.MSSA_CITATION),
        ),
        Tool.from_function(
            discontinuity.coherence_faults, citations=(discontinuity.SEMBLANCE_CITATION,)
        ),
    ]
)

# Every tool: what `geofm tools list/run` and the MCP server offer.
ALL = Registry([*REGISTRY, *SEISMOLOGY, *POTENTIAL_FIELDS, *WELL_TIE, *CLASSICAL])
