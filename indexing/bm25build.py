"""A memory-lean builder of ``bm25s`` indexes for large corpora.

``bm25s.BM25.index`` needs every document's tokens as Python lists at once: for a million
course texts that is over ten gigabytes of small strings. This builder tokenises in chunks,
keeps only integer arrays ((token, document) pairs with their term frequency) and computes the
same BM25 ("lucene" variant: idf = ln(1 + (N − df + 0.5)/(df + 0.5)), tf component
tf / (k1·(1 − b + b·dl/avgdl) + tf)) into the token × document CSC matrix that ``bm25s`` saves
and loads, so the result is read back with ``bm25s.BM25.load``. Equality with ``bm25s``'s own
scores is checked by a test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

CHUNK = 50_000


def build_bm25_matrix(
    texts: Sequence[str],
    tokenize: Callable[[str], list[str]],
    *,
    k1: float,
    b: float,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """BM25 scores of every (token, document) pair, as a token-major CSC matrix.

    Returns:
        ({"data", "indices", "indptr"}, vocabulary token → row).
    """
    vocab: dict[str, int] = {}
    pair_chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    doc_len = np.zeros(len(texts), dtype=np.int32)
    for start in range(0, len(texts), CHUNK):
        toks: list[int] = []
        docs: list[int] = []
        for d, text in enumerate(texts[start : start + CHUNK], start):
            ids = [vocab.setdefault(t, len(vocab)) for t in (tokenize(text) or [""])]
            toks.extend(ids)
            docs.extend([d] * len(ids))
            doc_len[d] = len(ids)
        tok = np.asarray(toks, dtype=np.int64)
        doc = np.asarray(docs, dtype=np.int64)
        key, tf = np.unique(tok * len(texts) + doc, return_counts=True)
        pair_chunks.append(
            (
                (key // len(texts)).astype(np.int32),
                (key % len(texts)).astype(np.int32),
                tf.astype(np.float32),
            )
        )
        if progress:
            progress(min(CHUNK, len(texts) - start))
    tok = np.concatenate([c[0] for c in pair_chunks]) if pair_chunks else np.zeros(0, np.int32)
    doc = np.concatenate([c[1] for c in pair_chunks]) if pair_chunks else np.zeros(0, np.int32)
    tf = np.concatenate([c[2] for c in pair_chunks]) if pair_chunks else np.zeros(0, np.float32)
    del pair_chunks
    n_docs = len(texts)
    df = np.bincount(tok, minlength=len(vocab)).astype(np.float64)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    avgdl = float(doc_len.mean()) if n_docs else 1.0
    norm = (k1 * ((1 - b) + b * doc_len.astype(np.float32) / avgdl)).astype(np.float32)
    scores = idf[tok] * (tf / (norm[doc] + tf))
    order = np.lexsort((doc, tok))
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(tok, minlength=len(vocab)), out=indptr[1:])
    return (
        {
            "data": scores[order].astype(np.float32),
            "indices": doc[order].astype(np.int32),
            "indptr": indptr,
        },
        vocab,
    )


def save_bm25s(
    directory: Path,
    matrix: dict[str, np.ndarray],
    vocab: dict[str, int],
    *,
    k1: float,
    b: float,
    num_docs: int,
    extra: Iterable[tuple[str, object]] = (),
) -> None:
    """Write the matrix in ``bm25s``'s on-disk layout (loadable with ``bm25s.BM25.load``)."""
    from importlib.metadata import version

    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / "data.csc.index.npy", matrix["data"])
    np.save(directory / "indices.csc.index.npy", matrix["indices"])
    np.save(directory / "indptr.csc.index.npy", matrix["indptr"])
    (directory / "vocab.index.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")
    params = {
        "k1": k1,
        "b": b,
        "delta": 0.5,
        "method": "lucene",
        "idf_method": "lucene",
        "dtype": "float32",
        "int_dtype": "int32",
        "num_docs": num_docs,
        "version": version("bm25s"),
        "backend": "numpy",
    }
    params.update(dict(extra))
    (directory / "params.index.json").write_text(json.dumps(params, indent=4), "utf-8")
