"""The character n-gram occupation classifier: features, training, the file, the shipped copy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from catalog.reference.occupations import load_occupations
from indexing.corpus import Example, query_form
from indexing.ngram import (
    CLASSIFIER_PATH,
    NgramClassifier,
    NgramConfig,
    default_classifier,
    features,
    fit,
)

# 焊工, 保洁员, 客运车辆驾驶员
WELDER, CLEANER, DRIVER = "6-18-02-04", "4-09-08-01", "4-02-02-01"


def test_features_are_character_ngrams_with_the_title_head() -> None:
    f = features("电焊工")
    assert {"电", "焊", "工", "电焊", "焊工", "电焊工"} <= set(f)
    assert "$工" in f and "$焊工" in f  # the head of a Chinese title: what it ends with
    # An ASCII word counts as one unit, so "java开发" has the n-gram java开 and not "ja".
    g = features("java开发")
    assert "java" in g and "java开" in g and "ja" not in g
    assert features("") == []


@pytest.fixture(scope="module")
def small() -> NgramClassifier:
    texts = {
        WELDER: ["电焊工", "焊工", "氩弧焊工", "二保焊焊工", "电焊学徒", "焊接工人"],
        CLEANER: ["保洁员", "保洁阿姨", "小区保洁", "商场保洁", "清洁工", "保洁主管"],
        DRIVER: ["客运司机", "班车司机", "大巴司机", "公交司机", "出租车司机", "A1司机"],
    }
    examples = [Example(t, code, "title", "train") for code, ts in texts.items() for t in ts]
    config = NgramConfig(dim=16, epochs=60, batch_size=8, lr=0.03, min_count=1)
    return fit(examples, [WELDER, CLEANER, DRIVER], config)


def test_a_trained_classifier_ranks_unseen_titles_by_their_fragments(
    small: NgramClassifier,
) -> None:
    assert small.rank("二保焊电焊工", 1) == [WELDER]
    assert small.rank("写字楼保洁", 1) == [CLEANER]
    assert small.rank("旅游大巴司机", 1) == [DRIVER]
    assert sorted(small.rank("焊工", 10)) == sorted([WELDER, CLEANER, DRIVER])  # k is capped


def test_a_text_with_no_known_feature_ranks_nothing(small: NgramClassifier) -> None:
    assert small.rank("xyz", 5) == []
    assert not small.scores("xyz").any()


def test_training_is_seeded() -> None:
    examples = [Example(t, c, "title", "train") for t, c in [("电焊工", WELDER), ("保洁", CLEANER)]]
    config = NgramConfig(dim=8, epochs=3, batch_size=2, min_count=1)
    a = fit(examples, [WELDER, CLEANER], config)
    b = fit(examples, [WELDER, CLEANER], config)
    assert a.fingerprint() == b.fingerprint()
    c = fit(examples, [WELDER, CLEANER], NgramConfig(dim=8, epochs=3, batch_size=2, seed=1))
    assert c.fingerprint() != a.fingerprint()


def test_save_and_load_keep_the_ranking(small: NgramClassifier, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "ngram.npz"
    small.save(path)
    again = NgramClassifier.load(path)
    assert again.vocab == small.vocab and again.codes == small.codes
    for text in ("二保焊电焊工", "写字楼保洁", "旅游大巴司机"):
        assert again.rank(text, 3) == small.rank(text, 3)
        np.testing.assert_allclose(again.scores(text), small.scores(text), atol=0.05)
    assert [p.name for p in path.parent.iterdir()] == ["ngram.npz"]  # no temporary left


def test_arrays_that_do_not_fit_the_vocabulary_are_refused() -> None:
    codes = ["x", "y", "z"]
    with pytest.raises(ValueError):  # one embedding row short of the vocabulary
        NgramClassifier(["a", "b"], np.zeros((2, 4)), np.zeros((3, 4)), np.zeros(3), codes)
    with pytest.raises(ValueError):  # weights of another dimension
        NgramClassifier(["a"], np.zeros((2, 4)), np.zeros((3, 5)), np.zeros(3), codes)


def test_the_shipped_classifier_covers_every_leaf_and_matches_its_card() -> None:
    clf = default_classifier()
    assert clf is not None
    assert clf.codes == [o.code for o in load_occupations().leaves()]
    card = json.loads(CLASSIFIER_PATH.with_name("training.json").read_text(encoding="utf-8"))
    assert card["fingerprint"] == clf.fingerprint()  # the file is the one that was trained
    assert card["dev"]["acc@1"] > 0.6 and card["dev"]["n"] > 5000
    assert CLASSIFIER_PATH.stat().st_size < 12_000_000


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("【深圳】急招电焊工 包吃住", WELDER),
        ("在工地绑钢筋", "6-29-01-04"),
        ("叉车司机", "6-30-05-01"),
    ],
)
def test_the_shipped_classifier_knows_common_work(text: str, code: str) -> None:
    clf = default_classifier()
    assert clf is not None
    assert clf.rank(query_form(text), 1) == [code]
