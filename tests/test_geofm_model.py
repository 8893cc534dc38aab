"""The vision GeoFM with random weights: tiling is exact and seamless, checkpoints load
from safetensors, wrong checkpoints fail clearly, trace masking hides whole traces."""

from __future__ import annotations

import numpy as np
import pytest

from common.errors import ModelError
from tools.geofm.model import (
    GeoFMConfig,
    build_model,
    load_model,
    predict_tiles,
    save_model,
    trace_mask_noise,
)
from tools.geofm.tiling import apply_tiled, tile_starts

TINY = GeoFMConfig(
    tile=32, patch=8, hidden=32, layers=1, heads=2, decoder_hidden=32, decoder_layers=1
)


def test_tile_starts_cover_everything():
    assert tile_starts(64, 64, 16) == [0]
    starts = tile_starts(150, 64, 16)
    assert starts[0] == 0 and starts[-1] == 150 - 64
    assert all(b - a <= 48 for a, b in zip(starts, starts[1:]))


@pytest.mark.parametrize("shape", [(100, 130), (64, 64), (20, 90), (1, 40)])
def test_identity_model_returns_section_exactly(shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = apply_tiled(x, lambda t: t, tile=32, overlap=8, batch_size=5)
    assert y.shape == x.shape
    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-6)


def test_blending_has_no_seams_on_constant_input():
    x = np.full((150, 170), 3.0, np.float32)
    # a "model" that returns each tile's mean: constant per tile, so any seam would show
    y = apply_tiled(
        x,
        lambda t: np.broadcast_to(t.mean(axis=(1, 2), keepdims=True), t.shape),
        tile=32,
        overlap=8,
    )
    np.testing.assert_allclose(y, 3.0, rtol=1e-6)


def test_random_model_runs_the_tiling_path():
    model = build_model(TINY).eval()
    x = np.random.default_rng(1).standard_normal((70, 45)).astype(np.float32)
    calls = []
    y = apply_tiled(
        x,
        lambda t: predict_tiles(model, t),
        tile=32,
        overlap=8,
        batch_size=4,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert y.shape == x.shape and np.isfinite(y).all()
    assert calls[-1][0] == calls[-1][1]


def test_save_load_roundtrip_gives_equal_outputs(tmp_path):
    model = build_model(TINY).eval()
    save_model(model, tmp_path / "ckpt", card={"data": "test"})
    assert (tmp_path / "ckpt" / "model.safetensors").exists()
    loaded = load_model(tmp_path / "ckpt")
    tiles = np.random.default_rng(2).standard_normal((2, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(
        predict_tiles(loaded, tiles), predict_tiles(model, tiles), rtol=1e-5, atol=1e-6
    )


def test_wrong_checkpoints_fail_clearly(tmp_path):
    with pytest.raises(ModelError, match="no config.json"):
        load_model(tmp_path)
    from transformers import ViTMAEConfig, ViTMAEForPreTraining

    rgb = ViTMAEForPreTraining(
        ViTMAEConfig(
            image_size=32,
            patch_size=8,
            num_channels=3,
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            decoder_hidden_size=32,
            decoder_num_hidden_layers=1,
            decoder_num_attention_heads=1,
            decoder_intermediate_size=64,
        )
    )
    rgb.save_pretrained(tmp_path / "rgb")
    with pytest.raises(ModelError, match="3-channel"):
        load_model(tmp_path / "rgb")
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ModelError):
        load_model(tmp_path / "bert")


def test_trace_masking_hides_whole_traces():
    import torch

    model = build_model(GeoFMConfig(**{**TINY.__dict__, "mask_ratio": 0.5}))
    noise = trace_mask_noise(3, 32, 8, trace_fraction=0.5, rng=np.random.default_rng(0))
    out = model(pixel_values=torch.zeros(3, 1, 32, 32), noise=noise)
    mask = out.mask.reshape(3, 4, 4)  # (B, trace groups, sample groups); 1 = hidden
    for b in range(3):
        full_rows = [r for r in range(4) if mask[b, r].all()]
        assert len(full_rows) == 2  # half of the trace groups hidden entirely


def test_position_embeddings_tell_patches_apart(tmp_path):
    """Every patch has its own fixed position code in the encoder and the decoder, and the
    codes survive save and load (all-zero codes stall MAE pretraining)."""
    import torch

    model = build_model(TINY)
    save_model(model, tmp_path / "ckpt")
    for m in (model, load_model(tmp_path / "ckpt")):
        for param in (m.vit.embeddings.position_embeddings, m.decoder.decoder_pos_embed):
            codes = param[0, 1:]  # (patches, dim) without the CLS row
            assert not param.requires_grad
            assert torch.cdist(codes, codes).add(torch.eye(len(codes))).min() > 0.1


def test_precision_follows_the_cpu_and_the_environment(monkeypatch):
    import torch

    from common.errors import BadInputError
    from tools.geofm import precision

    monkeypatch.delenv("GEOFM_PRECISION", raising=False)
    monkeypatch.setattr(precision, "native_bf16", lambda: True)
    assert precision.inference_dtype("cpu") == torch.bfloat16
    assert precision.inference_dtype("meta") == torch.float32  # not a CPU: float32
    monkeypatch.setattr(precision, "native_bf16", lambda: False)
    assert precision.inference_dtype("cpu") == torch.float32  # emulated bf16 is slower
    monkeypatch.setenv("GEOFM_PRECISION", "bfloat16")
    assert precision.inference_dtype("cpu") == torch.bfloat16
    monkeypatch.setenv("GEOFM_PRECISION", "float32")
    monkeypatch.setattr(precision, "native_bf16", lambda: True)
    assert precision.inference_dtype("cpu") == torch.float32
    monkeypatch.setenv("GEOFM_PRECISION", "half")
    with pytest.raises(BadInputError, match="GEOFM_PRECISION must be one of"):
        precision.inference_dtype("cpu")


def test_bfloat16_inference_is_close_to_float32_and_keeps_live_traces(monkeypatch):
    from tools.geofm.infer import denoise_section, interpolate_section

    model = build_model(TINY).eval()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((70, 45)).astype(np.float32)
    x[[5, 6, 30]] = 0.0  # dead traces
    out = {}
    for p in ("float32", "bfloat16"):
        monkeypatch.setenv("GEOFM_PRECISION", p)
        out[p] = denoise_section(model, x), interpolate_section(model, x)[0]
    for a, b in zip(out["float32"], out["bfloat16"]):
        assert a.dtype == b.dtype == np.float32
        assert np.abs(a - b).max() <= 0.05 * np.abs(a).max()  # bf16: 8 bits of mantissa
        assert np.abs(a - b).max() > 0  # the setting took effect
    live = np.abs(x).max(axis=1) > 0
    assert np.array_equal(out["bfloat16"][1][live], x[live])
