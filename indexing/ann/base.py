"""The vector index contract.

Ids are row positions (0..count-1); the caller keeps an id map beside the index. Vectors are
L2-normalised float32, scores are inner products (cosine similarity). Filters are a boolean
mask over rows and are applied *inside* the search, so a filtered query returns the best k
allowed rows, never a fixed top-k cut afterwards.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

META_FILE = "index.json"


class VectorIndex(ABC):
    """A dense index over row-numbered, normalised vectors."""

    kind: ClassVar[str]

    @abstractmethod
    def build(self, vectors: FloatArray) -> None:
        """Index ``vectors`` (n x dim); row i gets id i. Replaces any previous content."""

    @abstractmethod
    def search(
        self, queries: FloatArray, k: int, mask: BoolArray | None = None
    ) -> tuple[FloatArray, IntArray]:
        """The ``k`` best rows for each query, best first.

        Args:
            queries: (q x dim) normalised queries.
            k: How many results per query.
            mask: Optional boolean array over rows; only rows where it is True are returned.

        Returns:
            (scores, ids), each (q x k); missing results have id -1 and score -inf.
        """

    @abstractmethod
    def count(self) -> int:
        """Number of indexed rows."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Vector dimension."""

    @abstractmethod
    def _save(self, directory: Path) -> None: ...

    @classmethod
    @abstractmethod
    def _load(cls, directory: Path, *, mmap: bool) -> VectorIndex: ...

    def save(self, directory: str | Path) -> None:
        """Write the index into ``directory`` (created if needed)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        self._save(path)
        meta = {"kind": self.kind, "count": self.count(), "dim": self.dim}
        (path / META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, mmap: bool = True) -> VectorIndex:
        """Read an index written by :meth:`save` (memory-mapped where the backend allows)."""
        return cls._load(Path(directory), mmap=mmap)


def check_mask(mask: BoolArray | None, count: int) -> BoolArray | None:
    """Validate a row mask (None means every row)."""
    if mask is None:
        return None
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (count,):
        raise ValueError(f"mask has shape {mask.shape}, expected ({count},)")
    return mask


def empty_result(q: int, k: int) -> tuple[FloatArray, IntArray]:
    """Results with no hits."""
    return (
        np.full((q, k), -np.inf, dtype=np.float32),
        np.full((q, k), -1, dtype=np.int64),
    )


def brute_force(
    vectors: FloatArray, queries: FloatArray, k: int, rows: IntArray | None = None
) -> tuple[FloatArray, IntArray]:
    """Exact top-k by inner product over ``vectors`` (or only the given rows), in numpy."""
    q = queries.shape[0]
    scores_out, ids_out = empty_result(q, k)
    candidates = np.arange(vectors.shape[0]) if rows is None else rows
    if candidates.size == 0:
        return scores_out, ids_out
    sub = vectors if rows is None else vectors[candidates]
    scores = queries @ sub.T
    take = min(k, candidates.size)
    part = np.argpartition(-scores, take - 1, axis=1)[:, :take]
    for i in range(q):
        order = part[i][np.argsort(-scores[i, part[i]], kind="stable")]
        scores_out[i, :take] = scores[i, order]
        ids_out[i, :take] = candidates[order]
    return scores_out, ids_out


def open_index(directory: str | Path, *, mmap: bool = True) -> VectorIndex:
    """Load whichever backend wrote ``directory``."""
    from indexing.ann.exact import ExactIndex
    from indexing.ann.hnsw import HNSWIndex

    path = Path(directory)
    kind = json.loads((path / META_FILE).read_text(encoding="utf-8"))["kind"]
    backends: dict[str, type[VectorIndex]] = {"exact": ExactIndex, "hnsw": HNSWIndex}
    if kind not in backends:
        raise ValueError(f"unknown index kind {kind!r} in {path}")
    return backends[kind].load(path, mmap=mmap)
