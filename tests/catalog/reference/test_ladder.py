import pytest

from catalog.reference.ladder import (
    LADDER,
    SkillLevel,
    next_level,
    parse_level,
    rung,
    rung_for_national_level,
)


def test_eight_rungs_in_order():
    assert [r.name for r in LADDER] == [
        "学徒工",
        "初级工",
        "中级工",
        "高级工",
        "技师",
        "高级技师",
        "特级技师",
        "首席技师",
    ]
    assert [r.rank for r in LADDER] == list(range(8))


def test_national_levels_mapped():
    assert {r.national_level for r in LADDER if r.national_level} == {1, 2, 3, 4, 5}
    assert rung_for_national_level(5).level is SkillLevel.JUNIOR
    assert rung_for_national_level(1).level is SkillLevel.SENIOR_TECHNICIAN
    assert rung(SkillLevel.APPRENTICE).national_level is None
    with pytest.raises(KeyError):
        rung_for_national_level(6)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("中级工", SkillLevel.INTERMEDIATE),
        ("中级工（四级）", SkillLevel.INTERMEDIATE),
        ("四级", SkillLevel.INTERMEDIATE),
        ("４级", SkillLevel.INTERMEDIATE),
        ("4", SkillLevel.INTERMEDIATE),
        (3, SkillLevel.SENIOR),
        ("高級技師", SkillLevel.SENIOR_TECHNICIAN),
        ("技师", SkillLevel.TECHNICIAN),
        ("senior", SkillLevel.SENIOR),
        ("首席技师", SkillLevel.CHIEF_TECHNICIAN),
    ],
)
def test_parse_level(text, level):
    assert parse_level(text) is level


@pytest.mark.parametrize("text", ["六级", "", None, "专家"])
def test_parse_level_rejects(text):
    assert parse_level(text) is None


def test_next_level():
    assert next_level(None) is SkillLevel.JUNIOR
    assert next_level(SkillLevel.JUNIOR) is SkillLevel.INTERMEDIATE
    assert next_level(SkillLevel.CHIEF_TECHNICIAN) is SkillLevel.CHIEF_TECHNICIAN
