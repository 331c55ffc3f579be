"""The project-written training and dev files: well formed, labelled with real codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from catalog.reference.occupations import load_occupations
from indexing.corpus import DATA_DIR, split_of, written_examples
from indexing.textnorm import normalize

TRAINING = [
    "job_titles.tsv",
    "job_titles_more.tsv",
    "market_titles.tsv",
    "market_titles_4.tsv",
    "phrasings.tsv",
]
DEV = ["dev_titles.tsv", "dev_market.tsv"]


def _rows(name: str) -> list[list[str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter="\t"))


@pytest.mark.parametrize("name", TRAINING)
def test_training_files_are_labelled_with_leaf_codes(name: str) -> None:
    leaves = {o.code for o in load_occupations().leaves()}
    rows = _rows(name)
    assert len(rows) > 1000
    bad = [r for r in rows[1:] if len(r) != 2 or not r[0].strip() or r[1] not in leaves]
    assert bad == []


@pytest.mark.parametrize("name", DEV)
def test_dev_files_are_labelled_with_codes_of_the_classification(name: str) -> None:
    occupations = load_occupations()
    rows = _rows(name)
    assert rows[0] == ["title", "code"]
    assert len(rows) > 1000
    bad = [r for r in rows[1:] if len(r) != 2 or occupations.get(r[1]) is None]
    assert bad == []


def test_the_evaluation_leaves_out_dev_titles_seen_in_training(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "bench"))
    from eval_occupations import load_cases

    trained = {e.text for e in written_examples() if e.split == "train"}
    for which in ("dev-titles", "dev-market"):
        cases = load_cases(which, None)
        assert len(cases) > 500
        assert not any(normalize(text) in trained for text, _ in cases)


def test_the_split_is_stable_and_about_fifteen_percent() -> None:
    examples = written_examples()
    dev_share = sum(e.split == "dev" for e in examples) / len(examples)
    assert 0.12 < dev_share < 0.18
    assert all(split_of(e.text) == e.split for e in examples[:500])
