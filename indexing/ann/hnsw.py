"""Approximate search with FAISS HNSW, for catalogs too big for an exact scan per query.

Filtered search passes the row mask to HNSW as an ``IDSelectorBitmap`` with a raised
``efSearch``. When the mask is very selective (few allowed rows), graph search loses recall,
so the index scores the allowed rows exactly instead (the vectors are kept in the index's
flat storage).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from indexing.ann.base import (
    BoolArray,
    FloatArray,
    IntArray,
    VectorIndex,
    brute_force,
    check_mask,
    empty_result,
)
from indexing.ann.exact import _faiss, bitmap_selector

FILE = "hnsw.faiss"


class HNSWIndex(VectorIndex):
    """HNSW graph over inner product, with exact fallback for selective masks."""

    kind: ClassVar[str] = "hnsw"

    def __init__(
        self,
        dim: int,
        *,
        m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 96,
        exact_below: int = 20_000,
    ) -> None:
        """An empty HNSW index.

        Args:
            dim: Vector dimension.
            m: Graph degree.
            ef_construction: Build-time beam width.
            ef_search: Query-time beam width (raised for filtered queries).
            exact_below: Score allowed rows exactly when a mask allows fewer than this many.
        """
        self._dim = dim
        self.m = m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.exact_below = exact_below
        self._index: Any = self._new()

    def _new(self) -> Any:
        faiss = _faiss()
        index = faiss.IndexHNSWFlat(self._dim, self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        return index

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    def count(self) -> int:
        """Number of rows."""
        return int(self._index.ntotal)

    def build(self, vectors: FloatArray) -> None:
        """Index the vectors (rows get ids 0..n-1)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self._dim:
            raise ValueError(f"expected (n, {self._dim}) vectors, got {vectors.shape}")
        self._index = self._new()
        if len(vectors):
            self._index.add(vectors)

    def _rows(self, rows: IntArray) -> FloatArray:
        out = np.empty((rows.size, self._dim), dtype=np.float32)
        storage = self._index.storage
        for i, r in enumerate(rows.tolist()):
            out[i] = storage.reconstruct(int(r))
        return out

    def search(
        self, queries: FloatArray, k: int, mask: BoolArray | None = None
    ) -> tuple[FloatArray, IntArray]:
        """Top-k (approximate) among the rows allowed by ``mask``."""
        faiss = _faiss()
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        mask = check_mask(mask, self.count())
        if self.count() == 0 or k <= 0 or (mask is not None and not mask.any()):
            return empty_result(queries.shape[0], max(k, 0))
        if mask is None:
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
            scores, ids = self._index.search(queries, k, params=params)
        else:
            allowed = np.flatnonzero(mask)
            if allowed.size < self.exact_below:
                sub_scores, sub_ids = brute_force(self._rows(allowed), queries, k)
                ids = np.where(sub_ids >= 0, allowed[np.maximum(sub_ids, 0)], -1)
                return sub_scores, ids.astype(np.int64)
            share = allowed.size / self.count()
            ef = int(min(max(self.ef_search / max(share, 0.05), k), 2048))
            selector, _bits = bitmap_selector(mask)
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
            scores, ids = self._index.search(queries, k, params=params)
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        return scores, ids.astype(np.int64)

    def _save(self, directory: Path) -> None:
        _faiss().write_index(self._index, str(directory / FILE))

    @classmethod
    def _load(cls, directory: Path, *, mmap: bool) -> HNSWIndex:
        faiss = _faiss()
        flags = faiss.IO_FLAG_MMAP_IFC if mmap else 0
        index = faiss.read_index(str(directory / FILE), flags)
        out = cls(int(index.d))
        out._index = index
        return out
