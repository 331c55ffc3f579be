"""Plain-Chinese rule scenarios (假如 / 当 / 那么), one test per scenario.

The scenarios are data in ``tests/catalog/scenarios/*.md``; the format is documented in
``docs/RULES.md`` ("Scenario format"). In short::

    ## 标题（测试 id）

    假如：
    - 求职者：年龄 38；群体 失业人员；文化程度 高中；常住地 440305；现有等级 初级工
    - 课程：职业 6-31-01-03；等级 中级工；证书 职业技能等级证书；方式 线下；课时 80；实操 56；
      培训费 2,400；地区 440300
    - 班期：报名 2026-11-01 至 2026-11-30；名额 40；已报 12；地区 440305
    - 目录：地区 440300；紧缺程度 紧缺；补贴 五级 1,200，四级 1,500，三级 /，二级 ——，一级 ——；
      紧缺上浮 20%

    当：2026-11-27

    那么：
    - 能否报名：能
    - 未通过：无
    - 补贴：1,950 元
    - 自付：450 元
    - 理由包含：失业人员上浮 10%

(each ``- 键：值`` item is one line in the files). Text in full-width brackets （…） inside a
``假如`` value is a note for the reader and is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from catalog.models import (
    CERTIFICATE_LABELS,
    GROUP_LABELS,
    MODE_LABELS,
    TIER_LABELS,
    Course,
    DemandEntry,
    Education,
    Session,
)
from catalog.reference.ladder import SkillLevel, parse_level
from catalog.rules import DemandLookup, Person, evaluate, load_rules

SCENARIO_DIR = Path(__file__).parent / "scenarios"
_NOTE = re.compile(r"（[^）]*）")
_LEVEL_WORDS = {"五级": 5, "四级": 4, "三级": 3, "二级": 2, "一级": 1}
_GROUPS = {label: g for g, label in GROUP_LABELS.items()}
_CERTS = {label: c for c, label in CERTIFICATE_LABELS.items()}
_MODES = {label: m for m, label in MODE_LABELS.items()}
_TIERS = {label: t for t, label in TIER_LABELS.items()}
_NONE = ("无", "一般劳动者", "不限", "")


class ScenarioFormatError(ValueError):
    """A scenario file does not follow the format."""


@dataclass
class Scenario:
    title: str
    source: str
    line: int
    given: dict[str, list[str]] = field(default_factory=dict)
    when: str = ""
    then: list[tuple[str, str]] = field(default_factory=list)


def parse_file(path: Path) -> list[Scenario]:
    """Scenarios of one Markdown file."""
    scenarios: list[Scenario] = []
    current: Scenario | None = None
    section = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        where = f"{path.name}:{number}"
        if line.startswith("## "):
            current = Scenario(title=line[3:].strip(), source=where, line=number)
            scenarios.append(current)
            section = ""
            continue
        if current is None or not line or line.startswith("#"):
            continue
        if line.startswith("假如"):
            section = "given"
        elif line.startswith("当"):
            section = "when"
            current.when = line.split("：", 1)[1].strip() if "：" in line else ""
        elif line.startswith("那么"):
            section = "then"
        elif line.startswith("- "):
            if "：" not in line:
                raise ScenarioFormatError(f"{where}: 条目应写成“- 键：值”")
            key, value = (part.strip() for part in line[2:].split("：", 1))
            if section == "given":
                current.given.setdefault(key, []).append(value)
            elif section == "then":
                current.then.append((key, value))
            else:
                raise ScenarioFormatError(f"{where}: 条目不在“假如”或“那么”之下")
        elif section in ("given", "then"):
            raise ScenarioFormatError(f"{where}: 无法识别的行：{line}")
    return scenarios


def _fields(value: str, where: str) -> dict[str, str]:
    """ "年龄 38；群体 失业人员" → {"年龄": "38", "群体": "失业人员"} (notes in （） dropped)."""
    out: dict[str, str] = {}
    for part in _NOTE.sub("", value).split("；"):
        part = part.strip()
        if not part:
            continue
        name, _, rest = part.partition(" ")
        if name in out:
            raise ScenarioFormatError(f"{where}: “{name}”重复")
        out[name] = rest.strip()
    return out


def _int(text: str) -> int:
    return int(text.replace(",", "").replace("元", "").replace("%", "").strip())


def _day(text: str) -> date:
    return date.fromisoformat(text.strip())


def _range(text: str) -> tuple[str, str]:
    for sep in ("至", "—", "–"):
        if sep in text:
            a, b = text.split(sep, 1)
            return a.strip(), b.strip()
    raise ScenarioFormatError(f"“{text}”应写成“起 至 止”")


def _take(fields: dict[str, str], name: str, default: str | None = None) -> str:
    if name in fields:
        return fields.pop(name)
    if default is None:
        raise ScenarioFormatError(f"缺少“{name}”")
    return default


def _done(fields: dict[str, str], where: str) -> None:
    if fields:
        raise ScenarioFormatError(f"{where}: 未知的键 {sorted(fields)}")


def _level(text: str) -> SkillLevel | None:
    if text in _NONE:
        return None
    found = parse_level(text)
    if found is None:
        raise ScenarioFormatError(f"“{text}”不是等级")
    return found


def build_person(value: str, where: str) -> Person:
    f = _fields(value, where)
    group = _take(f, "群体", "无")
    education = _take(f, "文化程度", "无")
    person = Person(
        age=_int(_take(f, "年龄")),
        group=None if group in _NONE else _GROUPS[group],
        education=None if education in _NONE else Education(education),
        home_region=None if (home := _take(f, "常住地", "无")) in _NONE else home,
        current_level=_level(_take(f, "现有等级", "无")),
        online_only=_take(f, "只上网课", "否") == "是",
    )
    _done(f, where)
    return person


def build_course(value: str, where: str) -> Course:
    f = _fields(value, where)
    groups = _take(f, "招收", "不限")
    ages = _range(_take(f, "年龄", "16 至 60"))
    education = _take(f, "文化程度", "不限")
    course = Course(
        course_id="SCENARIO-C1",
        institution_id="SCENARIO-I1",
        title="场景课程",
        occupation_code=_take(f, "职业"),
        level=_level(_take(f, "等级", "无")),
        mode=_MODES[_take(f, "方式", "线下")],
        hours_total=_int(_take(f, "课时")),
        hours_practical=_int(_take(f, "实操")),
        fee=_int(_take(f, "培训费")),
        certificate=_CERTS[_take(f, "证书", "职业技能等级证书")],
        eligible_groups=() if groups in _NONE else tuple(_GROUPS[g] for g in groups.split("、")),
        age_min=_int(ages[0]),
        age_max=_int(ages[1]),
        min_education=None if education in _NONE else Education(education),
        min_level=_level(_take(f, "要求等级", "无")),
        region_code=_take(f, "地区"),
    )
    _done(f, where)
    return course


def build_session(value: str, course: Course, where: str) -> Session | None:
    if value.strip() in _NONE:
        return None
    f = _fields(value, where)
    opens, closes = (_day(d) for d in _range(_take(f, "报名")))
    start = _day(_take(f, "开班", (closes + timedelta(days=3)).isoformat()))
    session = Session(
        session_id="SCENARIO-S1",
        course_id=course.course_id,
        start_date=start,
        end_date=start + timedelta(days=20),
        enrol_open=opens,
        enrol_close=closes,
        capacity=_int(_take(f, "名额", "40")),
        seats_taken=_int(_take(f, "已报", "0")),
        region_code=_take(f, "地区", course.region_code),
    )
    _done(f, where)
    return session


def build_entry(value: str, course: Course, where: str) -> DemandEntry:
    f = _fields(value, where)
    amounts: dict[str, Any] = {}
    not_in_standard: list[int] = []
    for item in _take(f, "补贴").split("，"):
        word, _, amount = item.strip().partition(" ")
        level = _LEVEL_WORDS[word]
        amount = amount.strip()
        if amount == "——":
            not_in_standard.append(level)
        elif amount != "/":
            amounts[f"subsidy_l{level}"] = _int(amount)
    valid = _take(f, "有效期", "2026-01-01 至 长期")
    valid_from, valid_to = _range(valid)
    key = _int(_take(f, "重点职业上浮", "0"))
    entry = DemandEntry(
        region_code=_take(f, "地区"),
        occupation_code=_take(f, "职业", course.occupation_code),
        tier=_TIERS[_take(f, "紧缺程度", "紧缺")],
        not_in_standard=tuple(not_in_standard),
        shortage_uplift_pct=_int(_take(f, "紧缺上浮", "0")),
        key_occupation=key > 0,
        key_uplift_pct=key,
        valid_from=_day(valid_from),
        valid_to=None if valid_to == "长期" else _day(valid_to),
        **amounts,
    )
    _done(f, where)
    return entry


def _load_all() -> list[Scenario]:
    scenarios = [s for path in sorted(SCENARIO_DIR.glob("*.md")) for s in parse_file(path)]
    titles = [s.title for s in scenarios]
    duplicates = {t for t in titles if titles.count(t) > 1}
    if duplicates:
        raise ScenarioFormatError(f"场景标题重复：{sorted(duplicates)}")
    return scenarios


SCENARIOS = _load_all()


def test_enough_scenarios_per_region() -> None:
    files = {s.source.split(":")[0] for s in SCENARIOS}
    assert len(SCENARIOS) >= 15
    assert {"guangdong.md", "fujian.md", "jiangsu.md", "henan.md", "guizhou.md"} <= files


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.title for s in SCENARIOS])
def test_scenario(scenario: Scenario) -> None:
    where = scenario.source
    given = scenario.given
    person = build_person(given["求职者"][0], where)
    course = build_course(given["课程"][0], where)
    session = build_session(given.get("班期", ["无"])[0], course, where)
    entries = [build_entry(v, course, where) for v in given.get("目录", [])]
    unknown = set(given) - {"求职者", "课程", "班期", "目录"}
    assert not unknown, f"{where}: 未知的“假如”条目 {unknown}"
    today = _day(scenario.when)

    result = evaluate(
        person,
        course,
        session,
        today=today,
        demand=DemandLookup.from_records(entries),
        rules=load_rules(),
    )
    explain = "\n".join(
        [f"{where} {scenario.title}", f"补贴依据：{result.subsidy_basis}"]
        + [
            f"  {'✓' if c.passed else '✗'} {c.rule}{'' if c.hard else '(软)'}：{c.reason}"
            for c in result.checks
        ]
    )
    phrases: list[str] = []
    for key, value in scenario.then:
        if key == "能否报名":
            assert value in ("能", "不能"), f"{where}: 能否报名 应为“能”或“不能”"
            assert result.eligible is (value == "能"), explain
        elif key == "未通过":
            expected = [] if value in _NONE else [r.strip() for r in value.split("、")]
            assert [c.rule for c in result.failed] == expected, explain
        elif key == "补贴":
            assert result.subsidy == _int(value), explain
        elif key == "自付":
            assert result.out_of_pocket == _int(value), explain
        elif key == "理由包含":
            phrases.append(value)
        else:
            raise ScenarioFormatError(f"{where}: 未知的“那么”条目 {key}")
    for phrase in phrases:
        if result.eligible:
            texts = [result.subsidy_basis, *(c.reason for c in result.checks)]
        else:
            texts = [result.main_reason]
        assert any(phrase in t for t in texts), f"“{phrase}”不在理由中\n{explain}"
