"""The new eight-level skill ladder (新八级工) and the five national certificate levels.

The national occupational skill standard grades certificates from level 5 (初级工) up to level 1
(高级技师). The 2022 "new eight-level worker" system adds 学徒工 below and 特级技师 and 首席技师
above, which enterprises award themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from catalog.text import normalize_key


class SkillLevel(StrEnum):
    """A rung of the eight-level ladder, lowest first."""

    APPRENTICE = "apprentice"
    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"
    TECHNICIAN = "technician"
    SENIOR_TECHNICIAN = "senior_technician"
    PRINCIPAL_TECHNICIAN = "principal_technician"
    CHIEF_TECHNICIAN = "chief_technician"


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder.

    Attributes:
        level: The ladder key.
        rank: 0 (学徒工) to 7 (首席技师).
        name: The Chinese name.
        national_level: The national certificate level 5..1, or ``None`` off the national scale.
        aliases: Other ways published tables write it.
    """

    level: SkillLevel
    rank: int
    name: str
    national_level: int | None
    aliases: tuple[str, ...]


LADDER: tuple[Rung, ...] = (
    Rung(SkillLevel.APPRENTICE, 0, "学徒工", None, ("学徒",)),
    Rung(SkillLevel.JUNIOR, 1, "初级工", 5, ("初级", "五级", "5级", "五级/初级工", "初级工(五级)")),
    Rung(
        SkillLevel.INTERMEDIATE,
        2,
        "中级工",
        4,
        ("中级", "四级", "4级", "四级/中级工", "中级工(四级)"),
    ),
    Rung(SkillLevel.SENIOR, 3, "高级工", 3, ("高级", "三级", "3级", "三级/高级工", "高级工(三级)")),
    Rung(SkillLevel.TECHNICIAN, 4, "技师", 2, ("二级", "2级", "二级/技师", "技师(二级)")),
    Rung(
        SkillLevel.SENIOR_TECHNICIAN,
        5,
        "高级技师",
        1,
        ("一级", "1级", "一级/高级技师", "高级技师(一级)"),
    ),
    Rung(SkillLevel.PRINCIPAL_TECHNICIAN, 6, "特级技师", None, ("特级",)),
    Rung(SkillLevel.CHIEF_TECHNICIAN, 7, "首席技师", None, ("首席",)),
)

_BY_LEVEL = {r.level: r for r in LADDER}
_BY_NATIONAL = {r.national_level: r for r in LADDER if r.national_level is not None}
_BY_TEXT: dict[str, Rung] = {}
for _r in LADDER:
    for _t in (_r.level.value, _r.name, *_r.aliases):
        _BY_TEXT[normalize_key(_t)] = _r
    if _r.national_level is not None:
        _BY_TEXT[str(_r.national_level)] = _r


def rung(level: SkillLevel | str) -> Rung:
    """The rung of a ladder key."""
    return _BY_LEVEL[SkillLevel(level)]


def rung_for_national_level(national_level: int) -> Rung:
    """The rung of a national certificate level (5 = 初级工 … 1 = 高级技师).

    Raises:
        KeyError: For a number outside 1..5.
    """
    return _BY_NATIONAL[national_level]


def parse_level(text: str | int | None) -> SkillLevel | None:
    """Read a skill level as written in a published table or a form.

    Accepts the ladder key, the Chinese name ("中级工"), the national level as a word or digit
    ("四级", "4", "4级") and combinations such as "中级工（四级）".

    Returns:
        The level, or ``None`` when the text is not a level.
    """
    if text is None:
        return None
    key = normalize_key(str(text))
    found = _BY_TEXT.get(key)
    return found.level if found else None


def next_level(current: SkillLevel | None) -> SkillLevel:
    """The next rung to train for: entry level (初级工) when there is none."""
    if current is None:
        return SkillLevel.JUNIOR
    rank = _BY_LEVEL[current].rank
    return LADDER[min(rank + 1, len(LADDER) - 1)].level
