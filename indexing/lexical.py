"""BM25 lexical index over :class:`~indexing.tokenize.LexicalTokenizer` tokens (bm25s format).

The matrix is built by :mod:`indexing.bm25build` (the same scores as ``bm25s``, without holding
every token list in memory) and loaded with ``bm25s.BM25.load``.

Built with the bundle and saved beside it (memory-mapped at load), never rebuilt at start-up.
Filters are a row mask applied to the postings before scores are summed, so a filtered query
returns the best allowed rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexing.ann.base import BoolArray, FloatArray, IntArray, check_mask, empty_result
from indexing.bm25build import build_bm25_matrix, save_bm25s
from indexing.tokenize import LexicalTokenizer

logger = logging.getLogger(__name__)

DICT_FILE = "userdict.txt"
# Queries whose tokens are remembered (a plain dict, emptied when full: safe across threads).
QUERY_CACHE_SIZE = 256


class LexicalIndex:
    """BM25 over tokenised documents; row i is document i."""

    def __init__(self, tokenizer: LexicalTokenizer, *, k1: float = 1.2, b: float = 0.75) -> None:
        """An empty index using ``tokenizer``."""
        self.tokenizer = tokenizer
        self.k1 = k1
        self.b = b
        self._matrix: dict[str, np.ndarray] = {}
        self._vocab: dict[str, int] = {}
        self._count = 0
        self._inverse_vocab: dict[int, str] | None = None
        self._query_tokens: dict[str, list[str]] = {}

    def count(self) -> int:
        """Number of documents."""
        return self._count

    def build(self, texts: Sequence[str], *, show_progress: bool = False) -> None:
        """Tokenise and index ``texts`` (in chunks: memory stays at integer arrays)."""
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc="词法索引", disable=not show_progress, unit="doc")
        self._matrix, self._vocab = build_bm25_matrix(
            texts, self.tokenizer, k1=self.k1, b=self.b, progress=bar.update
        )
        bar.close()
        self._count = len(texts)
        self._inverse_vocab = None

    def search(
        self, queries: Sequence[str], k: int, mask: BoolArray | None = None
    ) -> tuple[FloatArray, IntArray]:
        """The ``k`` best documents per query (score > 0 only), restricted to ``mask``."""
        return self.search_tokens([self._tokens(q) for q in queries], k, mask)

    def _tokens(self, query: str) -> list[str]:
        """Tokens of a query, remembered for the last few queries.

        One match searches the same text several times (all candidates, then per occupation),
        and segmenting it is a good part of each search's cost.
        """
        cache = self._query_tokens
        tokens = cache.get(query)
        if tokens is None:
            tokens = self.tokenizer(query)
            if len(cache) >= QUERY_CACHE_SIZE:
                cache.clear()
            cache[query] = tokens
        return tokens

    def search_tokens(
        self, queries: Sequence[list[str]], k: int, mask: BoolArray | None = None
    ) -> tuple[FloatArray, IntArray]:
        """Like :meth:`search` with pre-tokenised queries.

        Scoring reads the postings of the query's tokens straight from the BM25 matrix that
        ``bm25s`` built (token x document, CSC) and drops masked documents before summing, so
        the cost follows the postings of the query, not the size of the catalog.
        """
        mask = check_mask(mask, self._count)
        scores_out, ids_out = empty_result(len(queries), k)
        if self._count == 0 or k <= 0 or (mask is not None and not mask.any()):
            return scores_out, ids_out
        matrix = self._matrix
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        vocab = self._vocab
        for i, tokens in enumerate(queries):
            ids = sorted({vocab[t] for t in tokens if t in vocab})
            if not ids:
                continue
            docs = np.concatenate([indices[indptr[t] : indptr[t + 1]] for t in ids])
            weights = np.concatenate([data[indptr[t] : indptr[t + 1]] for t in ids])
            # A token repeated in the query counts once per occurrence, as in BM25.
            counts = [tokens.count(t) for t in (self._token_of(j) for j in ids)]
            if any(c > 1 for c in counts):
                reps = np.repeat(np.asarray(counts), [indptr[t + 1] - indptr[t] for t in ids])
                weights = weights * reps
            if mask is not None:
                keep = mask[docs]
                docs, weights = docs[keep], weights[keep]
            if docs.size == 0:
                continue
            uniq, inverse = np.unique(docs, return_inverse=True)
            summed = np.bincount(inverse, weights=weights).astype(np.float32)
            take = min(k, uniq.size)
            top = np.argpartition(-summed, take - 1)[:take]
            top = top[np.argsort(-summed[top], kind="stable")]
            ids_out[i, :take] = uniq[top]
            scores_out[i, :take] = summed[top]
        return scores_out, ids_out

    def _token_of(self, token_id: int) -> str:
        if self._inverse_vocab is None:
            self._inverse_vocab = {v: t for t, v in self._vocab.items()}
        return self._inverse_vocab[token_id]

    def save(self, directory: Path) -> None:
        """Write the index (``bm25s`` layout) and its tokenizer dictionary into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(directory / DICT_FILE)
        if self._count:
            save_bm25s(
                directory, self._matrix, self._vocab, k1=self.k1, b=self.b, num_docs=self._count
            )
        (directory / "count.txt").write_text(str(self._count), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = True) -> LexicalIndex:
        """Read an index written by :meth:`save` with ``bm25s`` (memory-mapped)."""
        import bm25s

        out = cls(LexicalTokenizer.load(directory / DICT_FILE))
        out._count = int((directory / "count.txt").read_text(encoding="utf-8"))
        if out._count:
            loaded = bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False)
            out.k1, out.b = float(loaded.k1), float(loaded.b)
            # Plain ndarray views of the memory maps: slicing a np.memmap is slow.
            out._matrix = {
                key: loaded.scores[key].view(np.ndarray) for key in ("data", "indices", "indptr")
            }
            out._vocab = dict(loaded.vocab_dict)
        return out
