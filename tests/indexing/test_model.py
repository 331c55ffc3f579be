"""The bundled model's tokenizer: unknown characters cost only themselves."""

from __future__ import annotations

import json

import numpy as np
from tokenizers import Tokenizer

from indexing.encoder import BUNDLED_MODEL_DIR, Encoder
from indexing.train import make_tokenizer

TOKENIZER = BUNDLED_MODEL_DIR / "tokenizer.json"


def _vocab() -> list[str]:
    model = json.loads(TOKENIZER.read_text(encoding="utf-8"))["model"]
    return sorted(model["vocab"], key=model["vocab"].get)


def _unknown_chinese_char(vocab: list[str]) -> str:
    known = {t for t in vocab if len(t) == 1}
    return next(chr(c) for c in range(0x4E00, 0x9FFF) if chr(c) not in known)


def test_an_unknown_character_does_not_erase_its_neighbours() -> None:
    tok = Tokenizer.from_file(str(TOKENIZER))
    rare = _unknown_chinese_char(_vocab())
    tokens = tok.encode(f"在{rare}做了几年注塑机调机", add_special_tokens=False).tokens
    assert "[UNK]" not in tokens
    assert "".join(tokens).endswith("注塑机调机")


def test_the_shipped_tokenizer_is_what_training_builds() -> None:
    shipped = json.loads(TOKENIZER.read_text(encoding="utf-8"))
    built = json.loads(make_tokenizer(_vocab()).to_str())
    for part in ("normalizer", "pre_tokenizer", "model"):
        assert shipped[part] == built[part], part


def test_text_around_an_unknown_character_still_encodes() -> None:
    enc = Encoder()
    rare = _unknown_chinese_char(_vocab())
    clean, noisy = enc.encode(["做了几年注塑机调机", f"在{rare}做了几年注塑机调机"])
    assert np.linalg.norm(noisy) > 0.99  # not the zero vector of an all-[UNK] text
    assert float(clean @ noisy) > 0.9
