"""A peft LoRA adapter for llama.cpp: merged into a copy of the GGUF, or as a GGUF adapter.

- :func:`merged_gguf` (the backend's default): the base GGUF with each adapted weight
  replaced by ``dequantised base + alpha / r * B @ A`` as Q8_0, so llama.cpp runs the
  adapter at the cost of the base model.
- :func:`gguf_adapter`: a llama.cpp LoRA file, applied at run time on top of the
  quantised base (``W x + scale * B (A x)``), keeping the float32 delta exactly. It holds,
  for every adapted linear layer, ``<gguf tensor>.lora_a`` (r, in) and ``.lora_b``
  (out, r) in numpy layout, plus ``general.type = "adapter"``, ``adapter.type = "lora"``
  and ``adapter.lora.alpha``.

::

    path = merged_gguf("agent/adapter", embedded_gguf())    # cached, built once

GGUF stores a Llama's q/k projections with the rows of each head permuted for its rotary
kernel (``convert_hf_to_gguf.py``); the same permutation goes onto ``lora_b`` of q/k
(checked against the base file: the permuted HF weights equal the dequantised GGUF ones).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from common.atomic import write_file_atomically

if TYPE_CHECKING:  # loaded on first use at run time
    from gguf import GGUFReader, GGUFWriter
from common.errors import ModelError
from common.paths import geofm_home

__all__ = [
    "gguf_adapter",
    "write_gguf_adapter",
    "merged_gguf",
    "write_merged_gguf",
    "gguf_tensor_name",
    "rope_permute",
]

_MODULES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_KEY = re.compile(
    r"^(?:base_model\.model\.)?model\.layers\.(\d+)\.(\w+\.\w+)\.lora_([AB])"
    r"\.weight$"
)


def gguf_tensor_name(layer: int, module: str) -> str:
    """GGUF name of a Llama linear layer: (3, "self_attn.q_proj") -> "blk.3.attn_q.weight"."""
    if module not in _MODULES:
        raise ModelError(
            f"LoRA on {module!r} has no llama.cpp counterpart; adapt only {sorted(_MODULES)}"
        )
    return f"blk.{layer}.{_MODULES[module]}.weight"


def rope_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """(out, ...) rows of a q/k projection in GGUF's order: within each of ``n_head``
    heads, the two rotary halves interleaved."""
    return (
        w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
        .swapaxes(1, 2)
        .reshape(w.shape)
    )


def _base_heads(reader: GGUFReader, name: str) -> tuple[str, int, int]:
    """(architecture, heads, key-value heads) of an opened base GGUF called ``name``."""

    def value(key: str) -> Any:
        f = reader.fields.get(key)
        return None if f is None else f.contents()

    arch = value("general.architecture")
    if arch != "llama":
        raise ModelError(
            f"{name} is a {arch!r} model; the GGUF adapter writer knows "
            "Llama-architecture models only"
        )
    n_head = int(value("llama.attention.head_count"))
    return arch, n_head, int(value("llama.attention.head_count_kv") or n_head)


def _plain_lora(adapter_dir: Path) -> tuple[dict, Path]:
    """(adapter_config, weights file) of a plain LoRA directory, else ModelError."""
    cfg_file = adapter_dir / "adapter_config.json"
    weights = adapter_dir / "adapter_model.safetensors"
    if not cfg_file.exists() or not weights.exists():
        raise ModelError(
            f"{adapter_dir} is not a peft adapter (needs adapter_config.json and "
            "adapter_model.safetensors)"
        )
    cfg = json.loads(cfg_file.read_text())
    unsupported = [k for k in ("use_dora", "use_rslora") if cfg.get(k)]
    if (
        cfg.get("peft_type") != "LORA"
        or unsupported
        or cfg.get("bias", "none") != "none"
        or cfg.get("rank_pattern")
        or cfg.get("alpha_pattern")
    ):
        raise ModelError(
            f"{adapter_dir} is not a plain LoRA ({unsupported or cfg.get('peft_type')}"
            "); llama.cpp takes rank-r A/B pairs with one alpha only. Use the "
            "transformers backend for it."
        )
    return cfg, weights


def _write(writer: GGUFWriter) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_gguf_adapter(adapter_dir: str | Path, base_gguf: str | Path, out: str | Path) -> Path:
    """Convert a peft LoRA directory (adapter_config.json + adapter_model.safetensors) for
    the Llama in ``base_gguf`` into the llama.cpp adapter file ``out``.

    Raises:
        ModelError: not a plain LoRA (DoRA, rsLoRA, biases), or a target with no GGUF
            counterpart; the message says which.
    """
    import gguf

    adapter_dir, base_gguf, out = Path(adapter_dir), Path(base_gguf), Path(out)
    cfg, weights = _plain_lora(adapter_dir)
    arch, n_head, n_kv = _base_heads(gguf.GGUFReader(str(base_gguf)), base_gguf.name)
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(cfg["lora_alpha"]))
    for name, (a, b) in sorted(_gguf_pairs(weights, n_head, n_kv).items()):
        writer.add_tensor(name.replace(".weight", ".weight.lora_a"), np.ascontiguousarray(a))
        writer.add_tensor(name.replace(".weight", ".weight.lora_b"), np.ascontiguousarray(b))
    _write(writer)
    return out


def write_merged_gguf(adapter_dir: str | Path, base_gguf: str | Path, out: str | Path) -> Path:
    """``base_gguf`` with the LoRA merged into the layers it adapts, written to ``out``.

    Each adapted weight becomes ``dequantised base + alpha / r * B @ A``, stored as Q8_0
    (8-bit blocks: its rounding is far finer than the Q4_1 steps, so the delta survives);
    every other tensor and all metadata are copied byte for byte. llama.cpp then runs the
    adapter at the cost of the base model alone.
    """
    import gguf
    from gguf import GGMLQuantizationType as Q

    adapter_dir, base_gguf, out = Path(adapter_dir), Path(base_gguf), Path(out)
    cfg, weights = _plain_lora(adapter_dir)
    reader = gguf.GGUFReader(str(base_gguf))
    arch, n_head, n_kv = _base_heads(reader, base_gguf.name)
    scale = float(cfg["lora_alpha"]) / float(cfg["r"])
    pairs = _gguf_pairs(weights, n_head, n_kv)
    missing = sorted(set(pairs) - {t.name for t in reader.tensors})
    if missing:
        raise ModelError(
            f"the adapter changes {missing[:3]}, which {base_gguf.name} lacks: "
            "it was trained on another base model"
        )
    writer = gguf.GGUFWriter(str(out), arch)
    for f in reader.fields.values():
        if f.name.startswith("GGUF.") or f.name == "general.architecture":
            continue  # the writer writes these itself
        kind = f.types[0]
        writer.add_key_value(
            f.name,
            f.contents(),
            kind,
            sub_type=f.types[-1] if kind == gguf.GGUFValueType.ARRAY else None,
        )
    for t in reader.tensors:
        if t.name in pairs:
            a, b = pairs[t.name]
            w = gguf.quants.dequantize(t.data, t.tensor_type) + scale * (b @ a)  # (out, in)
            writer.add_tensor(
                t.name, gguf.quants.quantize(w.astype(np.float32), Q.Q8_0), raw_dtype=Q.Q8_0
            )
        else:
            writer.add_tensor(t.name, t.data, raw_dtype=t.tensor_type)
    _write(writer)
    return out


def _gguf_pairs(weights: Path, n_head: int, n_kv: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{GGUF tensor name: (A (r, in), B (out, r))} with q/k's B rows in GGUF order."""
    from safetensors.numpy import load_file

    pairs: dict[str, dict[str, np.ndarray]] = {}
    for key, value in load_file(str(weights)).items():
        m = _KEY.match(key)
        if m is None:
            raise ModelError(
                f"unexpected tensor {key!r} in {weights.name}; only LoRA A/B "
                "weights of the decoder layers can go to llama.cpp"
            )
        layer, module, ab = int(m.group(1)), m.group(2), m.group(3)
        pairs.setdefault(gguf_tensor_name(layer, module), {})[ab] = value.astype(np.float32)
    out = {}
    for name, p in pairs.items():
        if set(p) != {"A", "B"}:
            raise ModelError(f"{weights} holds only lora_{''.join(p)} for {name}")
        b = p["B"]
        if ".attn_q." in name:
            b = rope_permute(b, n_head)
        elif ".attn_k." in name:
            b = rope_permute(b, n_kv)
        out[name] = (p["A"], b)
    return out


def _cached(
    kind: str, adapter_dir: Path, base_gguf: Path, write: Callable[[Path, Path, Path], object]
) -> Path:
    """``write(adapter, base, tmp)`` once into ``$GEOFM_HOME/models``, named by a hash of
    the adapter's files and the base file's name and size; written atomically."""
    digest = hashlib.sha256(f"{base_gguf.name}:{base_gguf.stat().st_size}".encode())
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        p = adapter_dir / name
        digest.update(p.read_bytes() if p.exists() else b"")
    out = geofm_home() / "models" / f"{base_gguf.stem}+lora-{digest.hexdigest()[:12]}.{kind}.gguf"
    if not out.exists():
        write_file_atomically(out, lambda tmp: write(adapter_dir, base_gguf, tmp))
    return out


def gguf_adapter(adapter_dir: str | Path, base_gguf: str | Path) -> Path:
    """The llama.cpp adapter file for ``adapter_dir`` (converted once, cached)."""
    return _cached("adapter", Path(adapter_dir), Path(base_gguf), write_gguf_adapter)


def merged_gguf(adapter_dir: str | Path, base_gguf: str | Path) -> Path:
    """``base_gguf`` with ``adapter_dir`` merged in (:func:`write_merged_gguf`; built once,
    cached)."""
    return _cached("merged", Path(adapter_dir), Path(base_gguf), write_merged_gguf)
