"""Occupation normalisation: what the lexical channel knows from the classification itself, and
how the n-gram classifier takes part."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.reference.occupations import load_occupations
from indexing.corpus import Example, lexical_document
from indexing.occupations import OccupationSearcher
from tests.conftest import DemoEnv


@pytest.fixture(scope="module")
def lexical_only() -> OccupationSearcher:
    # The classification alone: the written titles (which include "EHS工程师") left out.
    return OccupationSearcher.build(None, use_examples=False, classifier=False)


def test_a_leaf_document_carries_its_minor_category_name_and_aliases() -> None:
    occupations = load_occupations()
    leaf = occupations.get("2-02-07-01")
    category = occupations.get("2-02-07-00")
    assert leaf is not None and category is not None and "机械工程师" in category.aliases
    assert "机械工程师" not in lexical_document(leaf, [])
    document = lexical_document(leaf, [], category)
    assert "机械工程师" in document and category.name in document


def test_a_title_the_classification_gives_only_to_a_category_finds_its_leaves(
    lexical_only: OccupationSearcher,
) -> None:
    # "EHS工程师" is a recruiting alias of the category 2-02-28 安全工程技术人员 only.
    codes = [h.code for h in lexical_only.rank("EHS工程师", k=3, mode="lexical")]
    assert codes and all(c.startswith("2-02-28-") for c in codes[:2]), codes


def test_the_lexical_first_place_is_kept_within_the_first_five() -> None:
    from indexing.occupations import _keep_lexical_best

    fused = {c: s for c, s in [("a", 5.0), ("b", 4.0), ("c", 3.0), ("d", 2.0), ("e", 1.0)]}
    ranked = [*sorted(fused.items(), key=lambda kv: -kv[1]), ("f", 0.5)]
    kept = _keep_lexical_best(ranked, "z", fused | {"z": 0.1})
    assert [c for c, _ in kept] == ["a", "b", "c", "d", "z", "e", "f"]
    assert kept[4][1] == 1.0  # takes the score of the place it takes, so the list stays sorted
    assert _keep_lexical_best(ranked, "c", fused) == ranked  # already there: unchanged
    moved = _keep_lexical_best(ranked, "f", fused)
    assert [c for c, _ in moved][:5] == ["a", "b", "c", "d", "f"]


def test_a_plain_word_match_survives_fusion(demo_env: DemoEnv) -> None:
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder

    searcher = BundleStore(demo_env.data_dir / "index").load(Encoder()).occupations
    text = "孩子上初中了，想出来做家正，会做饭会收纳"  # 家正: a typo of 家政
    assert searcher.rank(text, k=1, mode="lexical")[0].name == "家政服务员"
    assert "家政服务员" in [h.name for h in searcher.rank(text, k=5)]


def test_the_classifier_is_a_channel_of_hybrid_search_and_is_saved(tmp_path: Path) -> None:
    from indexing.ngram import NgramConfig, fit

    welder, cleaner = "6-18-02-04", "4-09-08-01"
    titles = {welder: ["电焊工", "焊工", "氩弧焊工", "电焊学徒"]}
    titles[cleaner] = ["保洁员", "保洁阿姨", "小区保洁", "清洁工"]
    examples = [Example(t, code, "title", "train") for code, ts in titles.items() for t in ts]
    clf = fit(examples, [welder, cleaner], NgramConfig(dim=8, epochs=40, batch_size=4, lr=0.05))
    searcher = OccupationSearcher(None, None, [], None, [], classifier=clf)
    assert searcher.rank("写字楼保洁", k=1)[0].code == cleaner  # hybrid reads the classifier
    assert searcher.rank("写字楼保洁", k=1, mode="lexical") == []  # which is not lexical
    assert [h.name for h in searcher.rank("氩弧焊", k=2, mode="classifier")] == ["焊工", "保洁员"]
    searcher.save(tmp_path / "occ")
    again = OccupationSearcher.load(tmp_path / "occ", None)
    assert again.classifier is not None and again.classifier.fingerprint() == clf.fingerprint()
    assert again.rank("写字楼保洁", k=1)[0].code == cleaner


def test_without_a_classifier_file_the_searcher_keeps_its_other_channels(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    searcher = OccupationSearcher.build(None, use_examples=False, classifier=False)
    searcher.save(tmp_path / "occ")
    assert not (tmp_path / "occ" / "ngram.npz").exists()
    with caplog.at_level("WARNING", logger="indexing.occupations"):
        again = OccupationSearcher.load(tmp_path / "occ", None)
    assert again.classifier is None
    assert "rebuild the index" in caplog.text  # an older bundle says how to get the channel
    assert again.rank("电焊工", k=1)[0].code == "6-18-02-04"
