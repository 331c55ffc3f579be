"""Lexical tokens for BM25: jieba words plus character bigrams (and ASCII words).

Words carry meaning ("电焊", "养老护理"); character bigrams survive segmentation mistakes, typos
in one character and words jieba does not know ("飞手", "月嫂"). A user dictionary of domain
words (occupation names and aliases) is saved with each bundle so that queries are tokenised
exactly as the documents were.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from indexing.textnorm import normalize

logger = logging.getLogger(__name__)

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+(?:[.+#][a-z0-9]+)*[+#]*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "我",
        "你",
        "他",
        "她",
        "我们",
        "想",
        "要",
        "能",
        "会",
        "也",
        "都",
        "就",
        "还",
        "又",
        "很",
        "太",
        "把",
        "被",
        "给",
        "对",
        "从",
        "到",
        "以",
        "等",
        "之",
        "其",
        "这",
        "那",
        "有",
        "没",
        "没有",
        "一个",
        "一些",
        "什么",
        "怎么",
        "可以",
        "进行",
        "人员",
        "从事",
        "工作",
        "相关",
        "以前",
        "之前",
        "现在",
        "今年",
        "干",
        "做",
        "过",
        "着",
        "吧",
        "呢",
        "啊",
        "吗",
        "嘛",
        "呀",
    ]
)


class LexicalTokenizer:
    """Jieba words + CJK character bigrams + ASCII words, with a bundle-local dictionary.

    With ``words=False`` it skips jieba and emits character bigrams (single characters only
    where they stand alone) and ASCII words: about twenty times faster, for large document sets
    (courses) where the bigrams carry most of the signal.
    """

    def __init__(self, user_words: Iterable[str] = (), *, words: bool = True) -> None:
        """Create a tokenizer that knows ``user_words`` as words."""
        self.words = words
        self.user_words = sorted({w for w in (normalize(x) for x in user_words) if len(w) >= 2})
        self._jieba: Any = None
        self._lock = threading.Lock()

    def _segmenter(self) -> Any:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    seg = jieba.Tokenizer()
                    seg.initialize()
                    for word in self.user_words:
                        seg.add_word(word, freq=2000)
                    self._jieba = seg
        return self._jieba

    def __call__(self, text: str) -> list[str]:
        """Tokens of ``text`` (normalised first)."""
        norm = normalize(text).lower()
        tokens: list[str] = []
        if self.words:
            for word in self._segmenter().lcut(norm, HMM=False):
                word = word.strip()
                if not word or word in STOPWORDS:
                    continue
                if _CJK.search(word) or _ASCII_WORD.fullmatch(word):
                    tokens.append(word)
        else:
            tokens.extend(_ASCII_WORD.findall(norm))
        for run in _CJK_RUN.findall(norm):
            if len(run) == 1 and run not in STOPWORDS:
                tokens.append(run)
            tokens.extend(f"#{run[i : i + 2]}" for i in range(len(run) - 1))
        return tokens

    def save(self, path: Path) -> None:
        """Write the settings and user dictionary (first line: mode; then one word a line)."""
        mode = "#words" if self.words else "#chars"
        path.write_text("\n".join([mode, *self.user_words]) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LexicalTokenizer:
        """Read a tokenizer saved by :meth:`save`."""
        lines = [w for w in path.read_text(encoding="utf-8").splitlines() if w]
        words = True
        if lines and lines[0] in ("#words", "#chars"):
            words = lines.pop(0) == "#words"
        return cls(lines, words=words)
