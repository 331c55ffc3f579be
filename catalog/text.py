"""Text normalisation shared by import, indexing and queries.

NFKC folds full-width letters, digits and punctuation to their ASCII forms and the
traditional-to-simplified converter (OpenCC tables) folds 繁體 to 简体, so that
"電焊工（２級）" and "电焊工(2级)" compare equal.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # opencc-python-reimplemented: pure Python, no native build

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _trigger_chars() -> frozenset[str]:
    """Characters that can make the t2s conversion change a text.

    Every single-character mapping that changes something, plus the changed characters of
    phrase mappings ("反覆" → "反复"). A text with none of them is already simplified, so the
    (slow, pure-Python) converter can be skipped: the common case for catalog texts.
    """
    from catalog.reference.pkgdata import package_data_path

    def read(name: str) -> dict[str, str]:
        out = {}
        path = package_data_path("opencc", "dictionary", name)
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2:
                out[parts[0]] = parts[1].split(" ")[0]
        return out

    chars = {k for k, v in read("TSCharacters.txt").items() if k != v}
    for key, value in read("TSPhrases.txt").items():
        if len(key) == len(value):
            chars.update(a for a, b in zip(key, value, strict=True) if a != b)
        elif key != value:
            chars.update(key)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified ones."""
    if not text or text.isascii():
        return text
    triggers = _trigger_chars()
    if not any(ch in triggers for ch in text):
        return text
    return str(_t2s().convert(text))


def normalize_text(text: str | None) -> str:
    """Normalise free text: NFKC, traditional to simplified, collapsed whitespace.

    Args:
        text: Any text, possibly ``None``.

    Returns:
        The normalised text ("" for ``None``).
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = to_simplified(folded)
    return _SPACES.sub(" ", folded).strip()


def normalize_key(text: str | None) -> str:
    """A lookup key: :func:`normalize_text` without any whitespace, lower-cased."""
    return normalize_text(text).replace(" ", "").lower()
