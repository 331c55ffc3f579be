"""Homophone typos in what people type: "电汗" for 电焊, "保接" for 保洁, "塔掉" for 塔吊.

People typing on phones with pinyin input pick the wrong character of the right sound. For each
two- or three-character run of the query that is neither a word of the trade vocabulary nor a
common word of the segmenter's dictionary, the trade word with the same toneless pinyin (the
most frequent one, if several) is **appended** to the query: nothing the person wrote is removed,
so a wrong guess costs little and a right one lets both the lexical and the dense channel see
the word they know.

The trade vocabulary is the words of the classification's occupation names and recruiting
aliases and of the project's own job-title corpora (``indexing/data/job_titles*.tsv`` and
``market_titles*.tsv``). A run is left alone when it is a real word (of that vocabulary, of
the segmenter's dictionary, or of the classification's definitions and tasks: 肌电 is not a
typo of 机电), when it or the run with one neighbouring character is commonly written in the
vocabulary texts (菜员 of 传菜员 is not 裁员), or when it straddles a trade word written right
(当普 of 当普工 is not 当铺). All of it is built once per process (a few seconds) and cached.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from indexing.textnorm import normalize

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
# A run the segmenter knows at least this often is a real word, not a typo.
COMMON_WORD_FREQ = 5
# A single character is tried with the edge of the word beside it only when that word is rare
# enough that the segmenter may have cut it out of a typo ("过电" in 干过电汗, not 工地 in
# 在工地绑钢筋).
NEIGHBOUR_MAX_FREQ = 100
# A trade word must occur at least this often in the vocabulary sources to be suggested.
MIN_WORD_COUNT = 2
# A run, or the run with one neighbouring character, that occurs in at least this many
# vocabulary texts is something people write ("传菜员", "大副"), not a typo.
ATTESTED_MIN_TEXTS = 3
# Function characters and the verbs of "想去做…" that are never part of a mistyped trade word
# ("干不动" is not 干部; in "做家正" the typo is 家正 → 家政, not 做家 → 作家).
_FUNCTION_CHARS = frozenset("不了的着过也都就还很在是有我你他她们这那个吗呢吧啊做想要去")


def _pinyin(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.NORMAL, errors="ignore"))


def _vocabulary_sources() -> list[str]:
    from catalog.reference.occupations import load_occupations

    texts: list[str] = []
    for occ in load_occupations().leaves():
        texts.append(occ.name)
        texts.extend(occ.aliases)
    for pattern in ("job_titles*.tsv", "market_titles*.tsv"):
        for path in sorted(DATA_DIR.glob(pattern)):
            for line in path.read_text(encoding="utf-8").splitlines()[1:]:
                if line and not line.startswith("#"):
                    texts.append(line.split("\t", 1)[0])
    return texts


def _description_words() -> set[str]:
    """Words of the classification's definitions and tasks: real words, never typos (肌电)."""
    import jieba

    from catalog.reference.occupations import load_occupations

    words: set[str] = set()
    for occ in load_occupations().leaves():
        for text in (occ.definition, *occ.tasks):
            words.update(w for w in jieba.lcut(normalize(text or "")) if _CJK_RUN.fullmatch(w))
    return words


class HomophoneCorrector:
    """Suggests trade words for runs of a query that sound like them but are not words."""

    def __init__(self, texts: list[str], known_words: set[str] | None = None) -> None:
        """Build the vocabulary (word counts and pinyin keys) from ``texts``.

        ``known_words`` are further real words that are never taken for typos but are not
        suggested either (the words of the classification's definitions).
        """
        import jieba

        jieba.dt.check_initialized()
        freq = jieba.dt.FREQ
        counts: Counter[str] = Counter()
        for text in texts:
            for word in jieba.lcut(text):
                if not _CJK_RUN.fullmatch(word):
                    continue
                if len(word) <= 3:
                    counts[word] += 1
                if len(word) >= 3:  # 电焊工 also teaches 电焊, 钢筋工 钢筋
                    for part in {word[:2], word[-2:]}:
                        if (freq.get(part) or 0) >= COMMON_WORD_FREQ:
                            counts[part] += 1
        self.words = {w for w, n in counts.items() if n >= MIN_WORD_COUNT}
        self.counts = counts
        best: dict[str, tuple[int, str]] = {}
        for word in sorted(self.words):  # ties go to the same word in every process
            key = _pinyin(word)
            if key and (key not in best or counts[word] > best[key][0]):
                best[key] = (counts[word], word)
        self.by_sound = {key: word for key, (_, word) in best.items()}
        self._freq = freq
        self._known_words = known_words or set()
        # Strings of 2-4 Chinese characters that people write: in how many texts each occurs.
        seen: Counter[str] = Counter()
        for text in texts:
            grams: set[str] = set()
            for run in _CJK_RUN.findall(normalize(text)):
                for size in (2, 3, 4):
                    grams.update(run[i : i + size] for i in range(len(run) - size + 1))
            seen.update(grams)
        self._attested = {g for g, n in seen.items() if n >= ATTESTED_MIN_TEXTS}

    def _known(self, run: str) -> bool:
        return (
            run in self.words
            or run in self._known_words
            or (self._freq.get(run) or 0) >= COMMON_WORD_FREQ
        )

    def _attested_at(self, text: str, start: int, end: int) -> bool:
        """Whether the run ``text[start:end]``, alone or with a neighbour, is commonly written."""
        windows = (text[start:end], text[max(start - 1, 0) : end], text[start : end + 1])
        if any(w in self._attested for w in windows):
            return True
        # A trade word of the text that overlaps the run: the run straddles it ("当普" of
        # 当普工, "用频" of 用频谱仪), and the person wrote that word correctly.
        for i in range(max(start - 3, 0), end):
            for size in (2, 3, 4):
                word = text[i : i + size]
                overlaps = i < end and i + size > start and (i, i + size) != (start, end)
                if overlaps and len(word) == size and word in self.words:
                    return True
        return False

    def _doubtful(self, word: str) -> bool:
        """A segmenter word that may have been cut out of a typo: rare, and no trade word."""
        return (
            len(word) >= 2
            and word not in self.words
            and (self._freq.get(word) or 0) < NEIGHBOUR_MAX_FREQ
        )

    def _pieces(self, text: str) -> list[tuple[int, str]]:
        """Runs that may be typos, with where they start in ``text``.

        Unknown words of 2–3 characters, 2–3 consecutive single characters (what the
        segmenter leaves of a word it does not know), and a single character with the edge
        character of the word beside it.
        """
        import jieba

        pieces: list[tuple[int, str]] = []
        singles: list[tuple[int, str]] = []
        tokens = jieba.lcut(text, HMM=False)
        pos = 0
        for n, token in enumerate([*tokens, ""]):
            start, pos = pos, pos + len(token)
            if len(token) == 1 and _CJK_RUN.fullmatch(token + token):
                singles.append((start, token))
                # A typo can also glue to its neighbour word: "干过电汗" segments as 过电/汗.
                before = tokens[n - 1] if n > 0 else ""
                if self._doubtful(before) and _CJK_RUN.fullmatch(before[-1] + token):
                    pieces.append((start - 1, before[-1] + token))
                after = tokens[n + 1] if n + 1 < len(tokens) else ""
                if self._doubtful(after) and _CJK_RUN.fullmatch(token + after[0]):
                    pieces.append((start, token + after[0]))
                continue
            for size in (3, 2):
                for i in range(len(singles) - size + 1):
                    run = singles[i : i + size]
                    pieces.append((run[0][0], "".join(t for _, t in run)))
            singles = []
            if 2 <= len(token) <= 3 and _CJK_RUN.fullmatch(token) and not self._known(token):
                pieces.append((start, token))
        return pieces

    def suggestions(self, text: str) -> list[str]:
        """Trade words that runs of ``text`` sound like, in order of appearance.

        A suggestion differs from the run in one character at most (a pinyin input method
        picks one wrong character of the right sound), e.g. 电功 -> 电工, 瓷转 -> 瓷砖.
        """
        candidates: list[tuple[int, int, str]] = []
        norm = normalize(text)
        for start, piece in self._pieces(norm):
            if self._known(piece) or _FUNCTION_CHARS.intersection(piece):
                continue
            if self._attested_at(norm, start, start + len(piece)):
                continue
            word = self.by_sound.get(_pinyin(piece))
            if (
                word
                and len(word) == len(piece)
                and sum(a != b for a, b in zip(word, piece, strict=True)) == 1
                and word not in text
            ):
                candidates.append((start, start + len(piece), word))
        # Overlapping readings of the same characters ("做家正": 做家 → 作家 or 家正 → 家政):
        # only the more common trade word stands.
        taken: list[tuple[int, int, str]] = []
        for cand in sorted(candidates, key=lambda c: (-self.counts[c[2]], c[0])):
            if all(cand[1] <= a or cand[0] >= b for a, b, _ in taken):
                taken.append(cand)
        found: list[str] = []
        for _, _, word in sorted(taken):
            if word not in found:
                found.append(word)
        return found

    def expand(self, text: str) -> str:
        """``text`` followed by the trade words its typos sound like (unchanged if none)."""
        extra = self.suggestions(text)
        return f"{text} {' '.join(extra)}" if extra else text


@lru_cache(maxsize=1)
def corrector() -> HomophoneCorrector:
    """The process-wide corrector over the bundled vocabulary."""
    return HomophoneCorrector(_vocabulary_sources(), _description_words())


def expand_typos(text: str) -> str:
    """``text`` followed by the trade words that its likely typos stand for."""
    if not text or not _CJK_RUN.search(text):
        return text
    return corrector().expand(text)
