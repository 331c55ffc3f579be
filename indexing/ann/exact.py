"""Exact inner-product search (FAISS ``IndexFlatIP``) with the row mask applied in the scan.

Right for up to a few hundred thousand rows: the flat codes are memory-mapped at load, and a
mask becomes a FAISS ``IDSelectorBitmap`` so only allowed rows are scored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Self

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

FILE = "flat.faiss"
# Masks allowing at most this many rows are scored in numpy over just those rows.
SMALL_MASK_ROWS = 4096


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - faiss-cpu is a dependency
        raise ImportError("faiss-cpu is required for vector search: pip install faiss-cpu") from exc
    return faiss


def serve_single_threaded() -> None:
    """One thread per query in FAISS (for serving processes).

    A server answers many single queries at once, one per request thread or worker process;
    FAISS's default OpenMP team per search only adds start-up and contention there: measured
    on the occupation index (22k rows, one query) 1.12 ms with two threads, 0.36 ms with one.
    Batch work (index builds) keeps the default. OpenMP keeps the thread count per calling
    thread, so searches apply it on the thread they run on (see :func:`search_threads`).
    """
    global _SINGLE_THREADED
    _SINGLE_THREADED = True


_SINGLE_THREADED = False


def search_threads() -> Any:
    """FAISS, set to one OpenMP thread on this thread when serving (see above)."""
    faiss = _faiss()
    if _SINGLE_THREADED:
        faiss.omp_set_num_threads(1)
    return faiss


def bitmap_selector(mask: BoolArray) -> tuple[Any, np.ndarray]:
    """A FAISS ``IDSelectorBitmap`` for a row mask (keep the returned bytes alive while used)."""
    faiss = _faiss()
    bits = np.packbits(mask, bitorder="little")
    return faiss.IDSelectorBitmap(mask.shape[0], faiss.swig_ptr(bits)), bits


class FaissIndex(VectorIndex):
    """What the FAISS backends share: the wrapped index, its dimension, count and build."""

    def __init__(self, dim: int) -> None:
        """An empty index of vectors of size ``dim``."""
        self._dim = dim
        self._index: Any = self._new()

    file_name: ClassVar[str]

    def _new(self) -> Any:
        raise NotImplementedError

    def _save(self, directory: Path) -> None:
        _faiss().write_index(self._index, str(directory / self.file_name))

    @classmethod
    def _load(cls, directory: Path, *, mmap: bool) -> Self:
        faiss = _faiss()
        flags = faiss.IO_FLAG_MMAP_IFC if mmap else 0
        index = faiss.read_index(str(directory / cls.file_name), flags)
        out = cls(int(index.d))
        out._index = index
        return out

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    def count(self) -> int:
        """Number of rows."""
        return int(self._index.ntotal)

    def build(self, vectors: FloatArray) -> None:
        """Index the vectors (rows get ids 0..n-1); replaces any previous content."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self._dim:
            raise ValueError(f"expected (n, {self._dim}) vectors, got {vectors.shape}")
        self._index = self._new()
        if len(vectors):
            self._index.add(vectors)


class ExactIndex(FaissIndex):
    """Brute-force inner product over all (allowed) rows."""

    kind: ClassVar[str] = "exact"
    file_name: ClassVar[str] = FILE

    def _new(self) -> Any:
        return _faiss().IndexFlatIP(self._dim)

    def search(
        self, queries: FloatArray, k: int, mask: BoolArray | None = None
    ) -> tuple[FloatArray, IntArray]:
        """Exact top-k among the rows allowed by ``mask``."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        mask = check_mask(mask, self.count())
        if self.count() == 0 or k <= 0 or (mask is not None and not mask.any()):
            return empty_result(queries.shape[0], max(k, 0))
        search_threads()
        if mask is None:
            scores, ids = self._index.search(queries, k)
        elif (rows := np.flatnonzero(mask)).size <= SMALL_MASK_ROWS:
            # A selective mask (one occupation, one city): score just those rows in numpy
            # rather than letting FAISS test every row against the bitmap.
            return brute_force(self._stored(), queries, k, rows=rows)
        else:
            selector, _bits = bitmap_selector(mask)
            params = _faiss().SearchParameters(sel=selector)
            scores, ids = self._index.search(queries, k, params=params)
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        return scores, ids.astype(np.int64)

    def _stored(self) -> FloatArray:
        """The stored vectors as a zero-copy (n, dim) view of the flat index's codes."""
        n = self.count()
        cached: tuple[Any, FloatArray] | None = getattr(self, "_xb", None)
        if cached is None or cached[0] is not self._index or cached[1].shape[0] != n:
            flat = _faiss().rev_swig_ptr(self._index.get_xb(), n * self._dim)
            cached = (self._index, np.asarray(flat, dtype=np.float32).reshape(n, self._dim))
            self._xb = cached
        return cached[1]

    def vectors(self) -> FloatArray:
        """All stored vectors (a view of the flat codes where possible)."""
        n = self.count()
        if n == 0:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, n), dtype=np.float32)
