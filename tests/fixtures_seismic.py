"""Tiny seeded seismic fixtures shared by the tools tests (not a conftest: imported)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from common.paths import geofm_data

DATA = geofm_data() / "data"


def real_data() -> Path:
    """The shared real-data folder, or a skip saying why it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent (a fresh user clone; set GEOFM_DATA); CI has it")
    return DATA


def tiny_cube_segy(path: Path, n_il: int = 4, n_xl: int = 5, n_t: int = 50) -> np.ndarray:
    """Write a (n_il, n_xl, n_t) float cube with segyio.tools.from_array; return it."""
    import segyio

    rng = np.random.default_rng(0)
    cube = rng.standard_normal((n_il, n_xl, n_t)).astype(np.float32)
    segyio.tools.from_array(
        str(path), cube, dt=2000, format=segyio.SegySampleFormat.IEEE_FLOAT_4_BYTE
    )
    return cube


@pytest.fixture
def noisy_section():
    """(clean, noisy) 60x200 synthetic at 4 ms with white noise at 0 dB."""
    from tools.synthetic import add_noise, make_section

    s = make_section(60, 200, 4.0, seed=1)
    noisy, _ = add_noise(s.clean, "random", 0.0, seed=2)
    return s.clean, noisy
