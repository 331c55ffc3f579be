"""Approximate search with FAISS HNSW, for catalogs too big for an exact scan per query.

Filtered search passes the row mask as an ``IDSelectorBitmap``. When the mask is selective
(few allowed rows, e.g. one province), graph search loses recall and gains nothing, so the
allowed rows of the index's flat storage are scanned exactly instead; broad masks walk the
graph with a raised ``efSearch``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from indexing.ann.base import (
    BoolArray,
    FloatArray,
    IntArray,
    check_mask,
    empty_result,
)
from indexing.ann.exact import FaissIndex, _faiss, bitmap_selector, search_threads

FILE = "hnsw.faiss"


class HNSWIndex(FaissIndex):
    """HNSW graph over inner product, with exact fallback for selective masks."""

    kind: ClassVar[str] = "hnsw"
    file_name: ClassVar[str] = FILE

    def __init__(
        self,
        dim: int,
        *,
        m: int = 16,
        ef_construction: int = 40,
        ef_search: int = 64,
        exact_below: int = 20_000,
        exact_share: float = 0.3,
    ) -> None:
        """An empty HNSW index.

        Args:
            dim: Vector dimension.
            m: Graph degree.
            ef_construction: Build-time beam width.
            ef_search: Query-time beam width (raised for filtered queries).
            exact_below: Scan allowed rows exactly when a mask allows fewer than this many.
            exact_share: ... or when it allows less than this share of all rows.
        """
        self.m = m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.exact_below = exact_below
        self.exact_share = exact_share
        super().__init__(dim)

    def _new(self) -> Any:
        faiss = _faiss()
        index = faiss.IndexHNSWFlat(self._dim, self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        return index

    def search(
        self, queries: FloatArray, k: int, mask: BoolArray | None = None
    ) -> tuple[FloatArray, IntArray]:
        """Top-k among the rows allowed by ``mask``.

        Unfiltered and broadly filtered queries walk the graph; selective filters (fewer than
        ``exact_below`` rows, or under ``exact_share`` of all rows) scan the allowed rows of
        the flat storage exactly, which is both faster and exact there.
        """
        faiss = search_threads()
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        mask = check_mask(mask, self.count())
        if self.count() == 0 or k <= 0 or (mask is not None and not mask.any()):
            return empty_result(queries.shape[0], max(k, 0))
        if mask is None:
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
            scores, ids = self._index.search(queries, k, params=params)
        else:
            allowed = int(mask.sum())
            share = allowed / self.count()
            selector, _bits = bitmap_selector(mask)
            if allowed < self.exact_below or share < self.exact_share:
                params = faiss.SearchParameters(sel=selector)
                scores, ids = self._index.storage.search(queries, k, params=params)
            else:
                ef = int(min(max(self.ef_search / share, k), 1024))
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
                scores, ids = self._index.search(queries, k, params=params)
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        return scores, ids.astype(np.int64)
