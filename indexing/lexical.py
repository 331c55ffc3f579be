"""BM25 lexical index (``bm25s``) over :class:`~indexing.tokenize.LexicalTokenizer` tokens.

Built with the bundle and saved beside it (memory-mapped at load), never rebuilt at start-up.
Filters are a row mask passed to ``bm25s`` as ``weight_mask``: masked rows score zero and are
dropped, so a filtered query returns the best allowed rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexing.ann.base import BoolArray, FloatArray, IntArray, check_mask, empty_result
from indexing.tokenize import LexicalTokenizer

logger = logging.getLogger(__name__)

DICT_FILE = "userdict.txt"


class LexicalIndex:
    """BM25 over tokenised documents; row i is document i."""

    def __init__(self, tokenizer: LexicalTokenizer, *, k1: float = 1.2, b: float = 0.75) -> None:
        """An empty index using ``tokenizer``."""
        self.tokenizer = tokenizer
        self.k1 = k1
        self.b = b
        self._bm25: Any = None
        self._count = 0

    def count(self) -> int:
        """Number of documents."""
        return self._count

    def build(self, texts: Sequence[str], *, show_progress: bool = False) -> None:
        """Tokenise and index ``texts``."""
        import bm25s

        corpus = [self.tokenizer(t) or ["∅"] for t in texts]
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        if corpus:
            self._bm25.index(corpus, show_progress=show_progress)
        self._count = len(corpus)

    def search(
        self, queries: Sequence[str], k: int, mask: BoolArray | None = None
    ) -> tuple[FloatArray, IntArray]:
        """The ``k`` best documents per query (score > 0 only), restricted to ``mask``."""
        return self.search_tokens([self.tokenizer(q) for q in queries], k, mask)

    def search_tokens(
        self, queries: Sequence[list[str]], k: int, mask: BoolArray | None = None
    ) -> tuple[FloatArray, IntArray]:
        """Like :meth:`search` with pre-tokenised queries."""
        mask = check_mask(mask, self._count)
        scores_out, ids_out = empty_result(len(queries), k)
        if self._count == 0 or k <= 0 or (mask is not None and not mask.any()):
            return scores_out, ids_out
        weight = None if mask is None else mask.astype(np.float32)
        take = min(k, self._count)
        for i, tokens in enumerate(queries):
            if not tokens:
                continue
            docs, scores = self._bm25.retrieve(
                [tokens], k=take, show_progress=False, weight_mask=weight, n_threads=1
            )
            keep = scores[0] > 0
            if mask is not None:
                keep &= mask[docs[0]]
            n = int(keep.sum())
            ids_out[i, :n] = docs[0][keep]
            scores_out[i, :n] = scores[0][keep]
        return scores_out, ids_out

    def save(self, directory: Path) -> None:
        """Write the index and its tokenizer dictionary into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(directory / DICT_FILE)
        if self._bm25 is not None and self._count:
            self._bm25.save(str(directory), show_progress=False)
        (directory / "count.txt").write_text(str(self._count), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> LexicalIndex:
        """Read an index written by :meth:`save`."""
        import bm25s

        out = cls(LexicalTokenizer.load(directory / DICT_FILE))
        out._count = int((directory / "count.txt").read_text(encoding="utf-8"))
        if out._count:
            out._bm25 = bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False)
        return out
