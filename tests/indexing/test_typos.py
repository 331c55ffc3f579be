"""Homophone typos: a wrongly picked character of the right sound finds the trade word."""

from __future__ import annotations

import pytest

from indexing.typos import ATTESTED_MIN_TEXTS, HomophoneCorrector, corrector, expand_typos
from tests.conftest import DemoEnv


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("电汗干了八年", "电焊"),
        ("下岗了，能干保接", "保洁"),
        ("开汽车吊的，想升级去开塔掉", "塔吊"),
        ("想学电功", "电工"),
        ("想学养老户理", "护理"),
        ("想出来做家正", "家政"),
    ],
)
def test_typo_gets_the_trade_word_appended(text: str, word: str) -> None:
    expanded = expand_typos(text)
    assert expanded.startswith(text)  # nothing the person wrote is removed
    assert word in corrector().suggestions(text)
    assert expanded.endswith(word) or f" {word} " in expanded


@pytest.mark.parametrize(
    "text",
    [
        "在工地干过电焊，想考个焊工证",
        "想学养老护理，自己家也有老人要照顾",
        "五十五了，在外头干不动了，想在县里找点活",  # 干不 is not 干部
        # Real titles and words, not typos: 菜员 is not 裁员, 维员 not 委员, 大副 not 大夫,
        # 肌电 (a word of the classification's definitions) not 机电, 当普 (of 普工) not 当铺.
        "传菜员",
        "风电场运维员",
        "大副（远洋）",
        "肌电图检查技师",
        "在电容厂当普工",
        "",
        "Java backend developer",
    ],
)
def test_correct_text_is_left_alone(text: str) -> None:
    assert expand_typos(text) == text


def test_traditional_characters_are_not_taken_for_typos() -> None:
    assert corrector().suggestions("電工幹了三十年，想考個高級") == []


def test_one_character_apart_only() -> None:
    small = HomophoneCorrector(["焊工", "焊工", "电焊工", "电焊", "电焊"])
    assert small.suggestions("电汗") == ["电焊"]
    assert small.suggestions("点汗") == []  # two characters differ: not a typo of 电焊


def test_overlapping_readings_keep_only_the_more_common_word() -> None:
    # 坐家正: 坐家 sounds like 作家 and 家正 like 家政; the 家 cannot be both.
    more_jiazheng = HomophoneCorrector(["家政"] * 3 + ["作家"] * 2)
    assert more_jiazheng.suggestions("坐家正") == ["家政"]
    more_zuojia = HomophoneCorrector(["家政"] * 2 + ["作家"] * 3)
    assert more_zuojia.suggestions("坐家正") == ["作家"]
    assert corrector().suggestions("想出来做家正") == ["家政"]  # 做 is the verb, not a typo


def test_occupation_search_finds_through_the_typo(demo_env: DemoEnv) -> None:
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder

    bundle = BundleStore(demo_env.data_dir / "index").load(Encoder())
    typed = [h.name for h in bundle.occupations.rank("干了几年保接", k=5)]
    assert "保洁员" in typed


def test_a_typo_the_segmenter_glued_to_a_rare_neighbour_is_found() -> None:
    # jieba cuts "干过电汗" as 干/过电/汗: the typo 电汗 spans two of its words.
    assert "电焊" in expand_typos("在外面干过电汗，想去考个证再出去打工").split()[-1:]
    # 工地 is a common word, so 地绑 (→ 地磅) is never tried in "在工地绑钢筋".
    assert expand_typos("在工地绑钢筋") == "在工地绑钢筋"


def test_words_of_the_same_sound_and_count_resolve_the_same_in_every_process() -> None:
    # 机电 and 继电 both read "ji dian" and occur twice: the choice must not follow the order of
    # a set, which changes with each process's string hashing.
    for texts in (["机电", "机电", "继电", "继电"], ["继电", "继电", "机电", "机电"]):
        assert HomophoneCorrector(texts).by_sound["ji dian"] == "机电"  # the first in order


def test_a_run_people_commonly_write_is_not_taken_for_a_typo() -> None:
    # 菜员 sounds like 裁员, but 传菜员, 点菜员, 打菜员 are titles people write: once the run
    # occurs in ATTESTED_MIN_TEXTS texts it is left alone. (Each title occurs once, so none of
    # them is a trade word of the vocabulary.)
    titles = ["传菜员", "点菜员", "打菜员"]
    assert len(titles) == ATTESTED_MIN_TEXTS
    rare = HomophoneCorrector(["裁员", "裁员", *titles[:-1]])
    assert rare.suggestions("传菜员") == ["裁员"]
    common = HomophoneCorrector(["裁员", "裁员", *titles])
    assert common.suggestions("传菜员") == []
    assert common.suggestions("菜员") == []


def test_words_of_the_definitions_are_not_typos_but_are_never_suggested() -> None:
    plain = HomophoneCorrector(["机电", "机电"])
    assert plain.suggestions("肌电") == ["机电"]
    knowing = HomophoneCorrector(["机电", "机电"], known_words={"肌电"})
    assert knowing.suggestions("肌电") == []
    assert knowing.suggestions("机店") == ["机电"]  # 肌电 is not a suggestion target


def test_a_run_that_straddles_a_correctly_written_trade_word_is_left_alone() -> None:
    small = HomophoneCorrector(["普工", "普工", "当铺", "当铺"])
    assert small.suggestions("当普工") == []  # 当普 overlaps 普工, written right
    assert small.suggestions("当普") == ["当铺"]
