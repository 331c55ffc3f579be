"""A character n-gram classifier: text → leaf occupation, the third channel of occupation search.

fastText-style: the mean of learned vectors of a text's character 1–3-grams (ASCII words count
as one character) and of its last one and two characters — the head of a Chinese job title
(焊工, 经理, 专员) — fed to a linear layer over every leaf occupation. Unlike the bundled
encoder, whose texts must land next to an occupation's *document*, each occupation here has free
weights, so it learns which fragments mean it from the written examples alone; and it needs no
word segmentation, so unseen compounds (电焊二保焊, 搬运叉车司机) still share their n-grams.

Trained by ``skillmatch train-model`` on the same texts as the encoder (the classification's
names and aliases, the train split of the project-written titles and phrasings), seeded, in
about a minute; saved as one ``.npz`` in ``indexing/classifier/`` and copied into each bundle.
It does not depend on the configured encoder, so it also serves beside a pretrained model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from catalog.reference.occupations import load_occupations
from indexing.corpus import Example, classification_examples, query_form, written_examples

logger = logging.getLogger(__name__)

CLASSIFIER_PATH = Path(__file__).resolve().parent / "classifier" / "ngram.npz"
_UNIT = re.compile(r"[a-z0-9+#.]+|[\u3400-\u4dbf\u4e00-\u9fff]")
NGRAMS = (1, 2, 3)


def features(text: str) -> list[str]:
    """The n-gram features of an already normalised text (see :func:`corpus.query_form`)."""
    units = _UNIT.findall(text.lower())
    out: list[str] = []
    for n in NGRAMS:
        out.extend("".join(units[i : i + n]) for i in range(len(units) - n + 1))
    if units:
        out.append("$" + units[-1])
        out.append("$" + "".join(units[-2:]))
    return out


@dataclass
class NgramConfig:
    """Hyper-parameters, chosen on the project's dev sets (docs/MODEL.md)."""

    dim: int = 64
    epochs: int = 10
    batch_size: int = 256
    lr: float = 3e-3
    min_count: int = 2
    seed: int = 20250620


class NgramClassifier:
    """Scores every leaf occupation for a text; numpy only at query time."""

    def __init__(
        self,
        vocab: Sequence[str],
        embeddings: np.ndarray,
        weight: np.ndarray,
        bias: np.ndarray,
        codes: Sequence[str],
    ) -> None:
        """``embeddings`` has a zero row 0 for "no known feature" and row i+1 for ``vocab[i]``."""
        dim = embeddings.shape[1]
        if embeddings.shape[0] != len(vocab) + 1 or weight.shape != (len(codes), dim):
            raise ValueError("classifier arrays do not match its vocabulary and codes")
        self.vocab = list(vocab)
        self.index = {f: i + 1 for i, f in enumerate(self.vocab)}
        self.embeddings = np.asarray(embeddings, dtype=np.float32)
        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.codes = list(codes)

    def _ids(self, text: str) -> list[int]:
        return [i for i in (self.index.get(f, 0) for f in features(text)) if i]

    def _logits(self, ids: list[int]) -> np.ndarray:
        if not ids:
            return np.zeros(len(self.codes), dtype=np.float32)
        out: np.ndarray = self.weight @ self.embeddings[ids].mean(axis=0) + self.bias
        return out

    def scores(self, text: str) -> np.ndarray:
        """Logits over :attr:`codes` for an already prepared query (zeros if nothing is known)."""
        return self._logits(self._ids(text))

    def rank(self, text: str, k: int = 50) -> list[str]:
        """The ``k`` best occupation codes; empty when no feature of ``text`` is known."""
        ids = self._ids(text)
        if not ids:
            return []
        s = self._logits(ids)
        k = min(k, len(s))
        top = np.argpartition(-s, k - 1)[:k]
        return [self.codes[i] for i in top[np.argsort(-s[top], kind="stable")]]

    def fingerprint(self) -> str:
        """A short hash of the weights, recorded with the bundles that use them."""
        h = hashlib.sha256()
        for arr in (self.embeddings, self.weight, self.bias):
            h.update(np.ascontiguousarray(arr, dtype=np.float16).tobytes())
        h.update("\n".join(self.vocab + self.codes).encode())
        return h.hexdigest()[:12]

    def save(self, path: Path) -> None:
        """Write one ``.npz`` (float16 weights) atomically: a temporary file, then a rename."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ngram-", suffix=".npz", dir=path.parent)
        os.close(fd)
        try:
            np.savez_compressed(
                tmp,
                vocab=np.array(self.vocab),
                codes=np.array(self.codes),
                embeddings=self.embeddings.astype(np.float16),
                weight=self.weight.astype(np.float16),
                bias=self.bias.astype(np.float16),
            )
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> NgramClassifier:
        """Read a classifier written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            return cls(
                [str(v) for v in z["vocab"]],
                z["embeddings"],
                z["weight"],
                z["bias"],
                [str(c) for c in z["codes"]],
            )


def default_classifier() -> NgramClassifier | None:
    """The shipped classifier, or None (with a warning) when it is missing."""
    if not CLASSIFIER_PATH.is_file():
        logger.warning(
            "no n-gram classifier at %s; occupation search uses two channels", CLASSIFIER_PATH
        )
        return None
    return NgramClassifier.load(CLASSIFIER_PATH)


def training_examples() -> list[Example]:
    """Occupation names, recruiting aliases and the train split of the written examples."""
    leaves = load_occupations().leaves()
    out = [Example(o.name, o.code, "name", "train") for o in leaves]
    out += [e for e in classification_examples() if e.source == "alias"]
    out += [e for e in written_examples() if e.split == "train"]
    return out


def evaluate(clf: NgramClassifier, examples: Sequence[Example]) -> dict[str, float]:
    """acc@1 / acc@5 over ``examples`` (exact leaf codes)."""
    if not examples:
        return {"acc@1": 0.0, "acc@5": 0.0, "n": 0}
    h1 = h5 = 0
    for e in examples:
        top = clf.rank(query_form(e.text), 5)
        h1 += bool(top) and top[0] == e.code
        h5 += e.code in top
    n = len(examples)
    return {"acc@1": round(h1 / n, 4), "acc@5": round(h5 / n, 4), "n": n}


def fit(
    examples: Sequence[Example],
    codes: Sequence[str],
    config: NgramConfig | None = None,
    *,
    progress: bool = False,
) -> NgramClassifier:
    """Train a classifier over ``codes`` on ``examples`` (their texts in query form). Seeded."""
    import torch
    from tqdm import tqdm

    config = config or NgramConfig()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    code_index = {c: i for i, c in enumerate(codes)}
    texts = [query_form(e.text) for e in examples]
    counts = Counter(f for t in texts for f in set(features(t)))
    vocab = sorted(f for f, n in counts.items() if n >= config.min_count)
    index = {f: i + 1 for i, f in enumerate(vocab)}
    rows = [[index[f] for f in features(t) if f in index] or [0] for t in texts]
    labels = torch.tensor([code_index[e.code] for e in examples])

    emb = torch.nn.EmbeddingBag(len(vocab) + 1, config.dim, mode="mean", padding_idx=0)
    lin = torch.nn.Linear(config.dim, len(codes))
    opt = torch.optim.Adam([*emb.parameters(), *lin.parameters()], lr=config.lr)
    steps = (len(rows) + config.batch_size - 1) // config.batch_size
    bar = tqdm(total=steps * config.epochs, desc="训练 n-gram 职业分类器", disable=not progress)
    for _ in range(config.epochs):
        order = rng.permutation(len(rows))
        for s in range(steps):
            batch = order[s * config.batch_size : (s + 1) * config.batch_size]
            flat = [i for b in batch for i in rows[b]]
            offsets = np.cumsum([0] + [len(rows[b]) for b in batch[:-1]])
            logits = lin(emb(torch.tensor(flat), torch.tensor(offsets)))
            loss = torch.nn.functional.cross_entropy(logits, labels[batch])
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()

    embeddings = emb.weight.detach().numpy().copy()
    embeddings[0] = 0.0
    return NgramClassifier(
        vocab, embeddings, lin.weight.detach().numpy(), lin.bias.detach().numpy(), codes
    )


def train_classifier(
    output: Path = CLASSIFIER_PATH, config: NgramConfig | None = None, *, progress: bool = True
) -> tuple[NgramClassifier, dict[str, Any]]:
    """Train on :func:`training_examples` over every leaf, save to ``output``; return the card."""
    config = config or NgramConfig()
    started = time.time()
    codes = [o.code for o in load_occupations().leaves()]
    train = training_examples()
    clf = fit(train, codes, config, progress=progress)
    clf.save(output)
    # Evaluate what was saved (float16), as the service will use it.
    clf = NgramClassifier.load(output)
    dev = [e for e in written_examples() if e.split == "dev"]
    card: dict[str, Any] = {
        "name": "skillmatch-ngram-occupations",
        "config": asdict(config),
        "vocab_size": len(clf.vocab),
        "train_examples": len(train),
        "train_sources": dict(Counter(e.source for e in train)),
        "dev": evaluate(clf, dev),
        "seconds": round(time.time() - started, 1),
        "fingerprint": clf.fingerprint(),
    }
    output.with_name("training.json").write_text(
        json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    logger.info("saved n-gram classifier to %s: %s", output, card)
    return clf, card
