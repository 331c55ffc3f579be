"""Sentence encoder: a thin wrapper over sentence-transformers.

The default is the bundled domain model (``indexing/model/``, trained by the project, see
:mod:`indexing.train`); any other sentence-transformers model name or local path works too, e.g.
``SKILLMATCH_MODEL=BAAI/bge-small-zh-v1.5`` where that model is available offline. Texts are
normalised (:func:`indexing.textnorm.normalize`) before encoding and embeddings are
L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexing.ann.base import FloatArray
from indexing.textnorm import normalize

logger = logging.getLogger(__name__)

BUNDLED_MODEL_DIR = Path(__file__).resolve().parent / "model"
BUNDLED = "bundled"
PROGRESS_CHUNK = 2048
"""Texts encoded between two progress reports when a progress callback is given."""


class ModelUnavailable(RuntimeError):
    """The configured model cannot be loaded (missing files, no network for a hub name)."""


def _import_sentence_transformers() -> Any:
    try:
        import sentence_transformers
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError(
            "sentence-transformers is required for the encoder: pip install sentence-transformers"
        ) from exc
    return sentence_transformers


def resolve_model_path(model: str) -> str:
    """The path or hub name to load for a model setting (``"bundled"`` → the shipped model)."""
    if model in ("", BUNDLED):
        return str(BUNDLED_MODEL_DIR)
    return model


def model_fingerprint(path: str) -> str:
    """A stable id of a local model directory: SHA-256 over its files (hub names: the name)."""
    root = Path(path)
    if not root.is_dir():
        return path
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "README.md"):
        digest.update(file.relative_to(root).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


class Encoder:
    """Lazily loaded sentence encoder with normalised inputs and outputs.

    Attributes:
        model: The setting it was created with ("bundled", a hub name or a path).
    """

    def __init__(self, model: str = BUNDLED, *, device: str = "cpu", batch_size: int = 256) -> None:
        """Create an encoder; nothing is loaded until first use."""
        self.model = model
        self.path = resolve_model_path(model)
        self.device = device
        self.batch_size = batch_size
        self._st: Any = None
        self._static: tuple[Any, FloatArray] | None = None
        self._lock = threading.Lock()
        self._model_id: str | None = None

    @property
    def model_id(self) -> str:
        """Identifies the exact model: name plus a fingerprint of its files."""
        if self._model_id is None:
            name = "bundled" if self.path == str(BUNDLED_MODEL_DIR) else self.model
            self._model_id = f"{name}@{model_fingerprint(self.path)}"
        return self._model_id

    def _load(self) -> Any:
        if self._st is None:
            with self._lock:
                if self._st is None:
                    if self.path == str(BUNDLED_MODEL_DIR) and not BUNDLED_MODEL_DIR.is_dir():
                        raise ModelUnavailable(
                            f"bundled model missing at {BUNDLED_MODEL_DIR}; "
                            "train it with `skillmatch train-model`"
                        )
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    st = _import_sentence_transformers()
                    try:
                        self._st = st.SentenceTransformer(self.path, device=self.device)
                    except (OSError, ValueError) as exc:
                        raise ModelUnavailable(
                            f"cannot load model {self.model!r} ({self.path}): {exc}"
                        ) from exc
                    self._static = _static_parts(self._st)
                    logger.info("loaded encoder %s (dim %d)", self.model_id, self.dim)
        return self._st

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        st = self._load()
        dim = st.get_embedding_dimension()
        if dim is None:  # pragma: no cover - every model we load has a fixed dimension
            dim = int(st.encode(["维度"]).shape[1])
        return int(dim)

    def encode(
        self,
        texts: Sequence[str],
        *,
        show_progress: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> FloatArray:
        """Encode texts into L2-normalised float32 vectors (n x dim).

        Args:
            texts: The texts.
            show_progress: Show a progress bar.
            progress: Called with the number of texts just encoded, after each chunk of
                :data:`PROGRESS_CHUNK` texts (the texts are then encoded chunk by chunk).
        """
        st = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if progress is not None and len(texts) > PROGRESS_CHUNK:
            parts = []
            for start in range(0, len(texts), PROGRESS_CHUNK):
                chunk = texts[start : start + PROGRESS_CHUNK]
                parts.append(self.encode(chunk, show_progress=show_progress))
                progress(len(chunk))
            return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
        if self._static is not None and len(texts) <= 64 and not show_progress:
            vectors = _static_encode(self._static, [normalize(t) or "∅" for t in texts])
            if progress is not None:
                progress(len(texts))
            return vectors
        vectors = st.encode(
            [normalize(t) or "∅" for t in texts],
            batch_size=self.batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        if progress is not None:
            progress(len(texts))
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> FloatArray:
        """Encode one query (1 x dim)."""
        return self.encode([text])


def _static_parts(st: Any) -> tuple[Any, FloatArray] | None:
    """The tokenizer and weights of a model that is a single ``StaticEmbedding``, else None."""
    modules = list(st)
    if len(modules) != 1 or type(modules[0]).__name__ != "StaticEmbedding":
        return None
    module = modules[0]
    weights = module.embedding.weight.detach().cpu().numpy().astype(np.float32)
    return module.tokenizer, weights


def _static_encode(parts: tuple[Any, FloatArray], texts: list[str]) -> FloatArray:
    """What ``StaticEmbedding`` computes (mean of token vectors), in numpy, normalised.

    For a few texts this skips the framework's batching overhead (≈0.05 ms instead of ≈0.5 ms
    a query); the result equals ``SentenceTransformer.encode`` (checked by a test).
    """
    tokenizer, weights = parts
    out = np.zeros((len(texts), weights.shape[1]), dtype=np.float32)
    for i, enc in enumerate(tokenizer.encode_batch(texts, add_special_tokens=False)):
        if enc.ids:
            out[i] = weights[enc.ids].mean(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    normalized: FloatArray = (out / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalized


class EmbeddingCache:
    """Vectors keyed by (model id, text hash), so an unchanged catalog is not re-encoded.

    Stored as two files per model id under ``root``: ``keys.npy`` (16-byte digests) and
    ``vectors.npy``.
    """

    def __init__(self, root: str | os.PathLike[str], model_id: str) -> None:
        """Open the cache of one model under ``root``."""
        safe = hashlib.sha1(model_id.encode()).hexdigest()[:16]
        self.dir = Path(root) / safe
        self.model_id = model_id

    @staticmethod
    def key(text: str) -> bytes:
        """The cache key of a text."""
        return hashlib.blake2b(normalize(text).encode(), digest_size=16).digest()

    def _read(self) -> tuple[dict[bytes, int], FloatArray | None]:
        keys_path, vec_path = self.dir / "keys.npy", self.dir / "vectors.npy"
        if not keys_path.is_file() or not vec_path.is_file():
            return {}, None
        try:
            keys = np.load(keys_path)
            vectors = np.load(vec_path, mmap_mode="r")
        except (OSError, ValueError) as exc:
            logger.warning("ignoring unreadable embedding cache %s: %s", self.dir, exc)
            return {}, None
        if len(keys) != len(vectors):
            logger.warning("ignoring inconsistent embedding cache %s", self.dir)
            return {}, None
        return {bytes(k): i for i, k in enumerate(keys)}, vectors

    def encode(
        self,
        encoder: Encoder,
        texts: Sequence[str],
        *,
        show_progress: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[FloatArray, int]:
        """Vectors for ``texts``, encoding only those not cached; the cache is then rewritten.

        Args:
            encoder: Encodes the texts not in the cache.
            texts: The texts.
            show_progress: Show a progress bar.
            progress: Called with the number of texts just done (cached ones count at once).

        Returns:
            (vectors, number of texts that had to be encoded)
        """
        index, cached = self._read()
        keys = [self.key(t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in index}.values())
        if progress is not None and len(texts) > len(missing):
            progress(len(texts) - len(missing))
        fresh = encoder.encode(
            [texts[i] for i in missing], show_progress=show_progress, progress=progress
        )
        dim = fresh.shape[1] if len(missing) else (cached.shape[1] if cached is not None else 0)
        out = np.empty((len(texts), dim), dtype=np.float32)
        fresh_pos = {keys[i]: j for j, i in enumerate(missing)}
        for row, k in enumerate(keys):
            if k in fresh_pos:
                out[row] = fresh[fresh_pos[k]]
            else:
                assert cached is not None
                out[row] = cached[index[k]]
        self._write(keys, out)
        return out, len(missing)

    def _write(self, keys: list[bytes], vectors: FloatArray) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        uniq: dict[bytes, int] = {}
        for i, k in enumerate(keys):
            uniq.setdefault(k, i)
        rows = list(uniq.values())
        tmp_k, tmp_v = self.dir / "keys.tmp.npy", self.dir / "vectors.tmp.npy"
        np.save(
            tmp_k,
            np.array(
                [np.frombuffer(k, dtype=np.uint8) for k in uniq]
                or np.zeros((0, 16), dtype=np.uint8)
            ),
        )
        np.save(tmp_v, vectors[rows] if rows else vectors[:0])
        os.replace(tmp_v, self.dir / "vectors.npy")
        os.replace(tmp_k, self.dir / "keys.npy")
        (self.dir / "model.json").write_text(json.dumps({"model_id": self.model_id}))
