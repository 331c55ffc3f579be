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


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified ones."""
    if not text or text.isascii():
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
