"""Vector indexes behind one small contract (build / search / save / load / count)."""

from __future__ import annotations

from indexing.ann.base import VectorIndex, open_index

__all__ = ["VectorIndex", "open_index"]
