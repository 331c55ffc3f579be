"""Rules as data: loading, validation errors, resolution order, demand lookups, the engine."""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from catalog.errors import CatalogError, RulesError
from catalog.models import (
    CertificateType,
    Course,
    DemandEntry,
    Education,
    Group,
    Mode,
    Session,
    UrgencyTier,
)
from catalog.reference.ladder import SkillLevel
from catalog.rules import (
    NATIONAL_REGION,
    CourseLike,
    DemandLookup,
    Eligibility,
    Person,
    RuleSet,
    evaluate,
    load_rules,
    read_rules,
)
from catalog.rules.loader import DEFAULT_DIRECTORY, line_index
from catalog.schema import records_to_table, table_to_records

TODAY = date(2026, 11, 27)
NATIONAL_TEXT = (DEFAULT_DIRECTORY / "national.toml").read_text(encoding="utf-8")
HEAD = 'version = "t1"\neffective_from = 2025-01-01\nsource = "测试"\n'


def write_rules(
    root: Path,
    provinces: dict[str, str] | None = None,
    cities: dict[str, str] | None = None,
    national: str = NATIONAL_TEXT,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "national.toml").write_text(national, encoding="utf-8")
    for sub, files in (("provinces", provinces or {}), ("cities", cities or {})):
        (root / sub).mkdir(exist_ok=True)
        for code, text in files.items():
            (root / sub / f"{code}.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def refused(root: Path) -> RulesError:
    with pytest.raises(RulesError) as info:
        read_rules(root)
    return info.value


# =============================================================================================
# loading and resolution
# =============================================================================================
def test_bundled_rules_load_and_cover_the_required_regions() -> None:
    rules = load_rules()
    assert rules is load_rules()  # cached
    assert {"440000", "320000", "350000", "120000", "410000", "510000", "520000"} <= set(
        rules.provinces
    )
    assert {"440300", "350200", "320800"} <= set(rules.cities)
    for layer in [rules.national, *rules.provinces.values(), *rules.cities.values()]:
        assert layer.file.version and layer.file.source.startswith("释义（非原文）")
        assert layer.file.effective_from <= TODAY


def test_resolution_order_city_over_province_over_national() -> None:
    rules = load_rules()
    shenzhen = rules.for_region("440305", TODAY)  # a district resolves through its city
    assert [layer.code for layer in shenzhen.layers] == [NATIONAL_REGION, "440000", "440300"]
    assert shenzhen.other_city is False  # city file
    assert shenzhen.special_ability.flat == 750  # province file
    assert (shenzhen.age_min, shenzhen.age_max) == (16, 60)  # national file
    assert shenzhen.origin["residence.other_city"] == "深圳市"
    assert shenzhen.origin["subsidy.special_ability.flat"] == "广东省"
    assert shenzhen.origin["age.max"] == "全国"
    guangzhou = rules.for_region("440100", TODAY)
    assert guangzhou.other_city is True and guangzhou.name == "广东省"
    huaian = rules.for_region("320812", TODAY)
    assert huaian.course_cap == 6000 and huaian.origin["subsidy.course_cap"] == "江苏省"
    assert huaian.online_share_pct == 50
    assert rules.for_region("350200", TODAY).standard[5] == 700
    assert rules.for_region("410100", TODAY).standard[4] == 900
    beijing = rules.for_region("110101", TODAY)  # no file: national defaults
    assert beijing.name == "全国" and beijing.special_ability.flat == 600
    national = rules.for_region(NATIONAL_REGION, TODAY)
    assert national.layers[-1].scope == "national"
    # Groups: national defaults and a province override of one group's field.
    assert shenzhen.group(Group.OLDER_WORKER).age_max == 65
    assert shenzhen.group(Group.EMPLOYEE).certificates == {"skill_level"}
    assert shenzhen.group(None).uplift_pct == 0
    guiyang = rules.for_region("520102", TODAY)
    assert guiyang.group(Group.RURAL).uplift_pct == 20
    assert guiyang.group(Group.UNEMPLOYED).uplift_pct == 10


def test_override_applies_only_from_its_effective_date(tmp_path: Path) -> None:
    root = write_rules(
        tmp_path / "rules",
        provinces={
            "440000": 'version = "p"\neffective_from = 2027-01-01\nsource = "x"\n'
            "[subsidy]\ncourse_cap = 1000\n"
        },
        cities={"440300": HEAD + "[residence]\nother_city = false\n"},
    )
    rules = read_rules(root)
    before = rules.for_region("440300", date(2026, 12, 31))
    after = rules.for_region("440300", date(2027, 1, 1))
    assert before.course_cap == 0 and after.course_cap == 1000
    assert before.other_city is False and after.other_city is False
    assert [layer.code for layer in before.layers] == [NATIONAL_REGION, "440300"]


def test_tables_merge_key_by_key_and_arrays_replace(tmp_path: Path) -> None:
    root = write_rules(
        tmp_path / "rules",
        provinces={
            "320000": HEAD
            + "[quality]\nmin_hours = { intermediate = 64 }\n"
            + '[online]\ncertificates = ["training"]\n'
            + "[groups.youth]\nage_max = 35\n"
        },
    )
    params = read_rules(root).for_region("320100", TODAY)
    assert params.min_hours_for(1) == 40  # junior from national
    assert params.min_hours_for(2) == 64  # intermediate from the province
    assert params.online_certificates == {"training"}
    youth = params.group(Group.YOUTH)
    assert (youth.age_min, youth.age_max) == (16, 35)


# =============================================================================================
# malformed files: refused with file, line and problem
# =============================================================================================
def test_line_index_maps_tables_keys_dotted_keys_and_inline_tables() -> None:
    text = textwrap.dedent(
        """\
        version = "1"
        [groups.youth]
        age_max = 24
        [quality]
        min_hours = { junior = 40, intermediate = 56 }
        subsidy.special_ability.flat = 600
        """
    )
    index = line_index(text)
    assert index["version"] == 1
    assert index["groups.youth"] == 2
    assert index["groups.youth.age_max"] == 3
    assert index["quality.min_hours.intermediate"] == 5
    assert index["quality.subsidy.special_ability.flat"] == 6


BAD_FILES = [
    pytest.param(
        HEAD + "[age]\nmax = 60\nmin = = 16\n", 6, "TOML 语法错误", id="toml-syntax-error"
    ),
    pytest.param(HEAD + "[residence]\nother_city = true\nsame_city = true\n", 6, "未知参数",
                 id="unknown-key"),
    pytest.param(HEAD + "[subsidy]\ncourse_cap = 6000\nbonus = 1\n", 6, "subsidy.bonus",
                 id="unknown-key-names-path"),
    pytest.param(HEAD + "\n[age]\nmax = \"60\"\n", 6, "应为整数", id="wrong-type-string"),
    pytest.param(HEAD + "[residence]\nother_city = 1\n", 5, "应为 true 或 false",
                 id="wrong-type-bool"),
    pytest.param(HEAD + "[groups.unemployed]\nuplift_pct = 150\n", 5, "不能大于 100",
                 id="out-of-range"),
    pytest.param(HEAD + "[age]\nmin = 10\n", 5, "不能小于 14", id="out-of-range-low"),
    pytest.param(HEAD + "[age]\nmin = 40\nmax = 30\n", 4, "年龄下限 40 大于上限 30",
                 id="inconsistent-in-file"),
    pytest.param(HEAD + "\n\n[groups.yuth]\nage_max = 24\n", 6, "“yuth”不是已知的群体名称",
                 id="unknown-group"),
    pytest.param(HEAD + "[directory]\nstandard = { junor = 700 }\n", 5, "“junor”不是已知的等级名称",
                 id="unknown-level"),
    pytest.param(HEAD + "[quality]\nmin_hours = { junior = 40, master = 56 }\n", 5, "master",
                 id="unknown-level-second-key"),
    pytest.param(HEAD + "[directory]\nstandard = { apprentice = 300 }\n", 5, "apprentice",
                 id="level-without-national-level"),
    pytest.param(HEAD + '[online]\ncertificates = ["skill_level", "diploma"]\n', 5,
                 "“diploma” 不是已知的证书类型名称".replace(" ", ""), id="unknown-certificate"),
    pytest.param('version = "1"\nsource = "x"\neffective_from = "2025-01-01"\n', 3,
                 "应为 TOML 日期", id="effective-from-string"),
    pytest.param('version = "1"\nsource = "x"\neffective_from = 2025-13-01\n', 3,
                 "TOML 语法错误", id="effective-from-invalid-date"),
    pytest.param('version = 1\nsource = "x"\neffective_from = 2025-01-01\n', 1,
                 "应为带引号的字符串", id="version-not-string"),
    pytest.param('source = "x"\neffective_from = 2025-01-01\n', 1, "缺少参数“version”",
                 id="missing-version"),
    pytest.param(HEAD + 'source2 = ""\n', 4, "未知参数", id="unknown-top-level-key"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "problem"), BAD_FILES)
def test_malformed_province_file_is_refused_with_file_line_and_problem(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    root = write_rules(tmp_path / "rules", provinces={"440000": text})
    error = refused(root)
    assert isinstance(error, CatalogError)
    assert error.path.endswith("provinces/440000.toml")
    assert error.line == line, str(error)
    message = str(error)
    assert "440000.toml" in message and f"第 {line} 行" in message
    assert problem.replace(" ", "") in message.replace(" ", ""), message


def test_merged_inconsistency_blames_the_overriding_file(tmp_path: Path) -> None:
    # The city raises youth's lower age bound above the national upper bound (24).
    root = write_rules(
        tmp_path / "rules", cities={"440300": HEAD + "[groups.youth]\nage_min = 30\n"}
    )
    error = refused(root)
    assert error.path.endswith("cities/440300.toml") and error.line == 4
    assert "youth" in str(error) and "30" in str(error)


def test_national_file_must_set_every_parameter(tmp_path: Path) -> None:
    text = NATIONAL_TEXT.replace("share_pct = 100\n", "")
    error = refused(write_rules(tmp_path / "rules", national=text))
    assert error.path.endswith("national.toml")
    assert "online.share_pct" in str(error)
    assert error.line == line_index(text)["online"]


@pytest.mark.parametrize(
    ("sub", "name", "problem"),
    [
        ("provinces", "4400", "省级行政区划代码"),
        ("provinces", "440300", "省级行政区划代码"),
        ("cities", "440000", "地级市行政区划代码"),
        ("cities", "999900", "地级市行政区划代码"),
    ],
)
def test_misnamed_files_are_refused(tmp_path: Path, sub: str, name: str, problem: str) -> None:
    root = write_rules(tmp_path / "rules")
    (root / sub / f"{name}.toml").write_text(HEAD, encoding="utf-8")
    error = refused(root)
    assert error.path.endswith(f"{name}.toml") and problem in str(error)


def test_missing_national_stray_file_and_bad_encoding(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "national.toml" in str(refused(empty))
    root = write_rules(tmp_path / "rules")
    (root / "440000.toml").write_text(HEAD, encoding="utf-8")
    assert "未知规则文件" in str(refused(root))
    (root / "440000.toml").unlink()
    (root / "provinces" / "440000.toml").write_bytes(HEAD.encode("gbk") + "# 广东".encode("gbk"))
    assert "UTF-8" in str(refused(root))


# =============================================================================================
# demand lookups
# =============================================================================================
def _entry(region: str, **kw: object) -> DemandEntry:
    data: dict[str, object] = {
        "region_code": region,
        "occupation_code": "6-18-02-04",
        "tier": UrgencyTier.SHORT,
        "subsidy_l5": 700,
        "subsidy_l4": 1000,
        "valid_from": date(2026, 1, 1),
    }
    data.update(kw)
    return DemandEntry.model_validate(data)


def test_demand_lookup_city_first_then_province_and_validity() -> None:
    lookup = DemandLookup.from_records(
        [
            _entry("440000", subsidy_l5=500),
            _entry("440300", subsidy_l5=900, valid_to=date(2026, 6, 30)),
            _entry("440300", subsidy_l5=950, valid_from=date(2026, 7, 1)),
            _entry("429004", subsidy_l5=650),  # a county-level city with its own directory
        ]
    )

    def found(region: str, day: date) -> int | None:
        entry = lookup.find(region, "6-18-02-04", day)
        return None if entry is None else entry.amounts[5]

    assert found("440305", date(2026, 3, 1)) == 900
    assert found("440305", date(2026, 8, 1)) == 950
    assert found("440100", date(2026, 8, 1)) == 500  # no Guangzhou entry: province
    assert found("440300", date(2025, 8, 1)) is None  # nothing in force yet
    assert found("429004", TODAY) == 650
    assert found("350200", TODAY) is None
    assert lookup.find("440300", "6-31-01-03", TODAY) is None


def test_demand_lookup_from_table_equals_from_records() -> None:
    entries = [
        _entry("440300", key_occupation=True, key_uplift_pct=30, shortage_uplift_pct=20),
        _entry("440000", subsidy_l4=None, subsidy_l3=None, not_in_standard=(2, 1), valid_to=TODAY),
        _entry("350200", key_occupation=False, key_uplift_pct=30),
    ]
    a = DemandLookup.from_records(entries)
    b = DemandLookup.from_table(records_to_table("demand", entries))
    for region in ("440300", "440000", "350200"):
        assert a.find(region, "6-18-02-04", TODAY) == b.find(region, "6-18-02-04", TODAY)
    hit = b.find("350200", "6-18-02-04", TODAY)
    assert hit is not None and hit.key_uplift_pct == 0  # uplift only counts for key occupations


# =============================================================================================
# engine edge cases
# =============================================================================================
def _course(**kw: object) -> Course:
    data: dict[str, object] = {
        "course_id": "C1",
        "institution_id": "I1",
        "title": "焊工中级",
        "occupation_code": "6-18-02-04",
        "level": SkillLevel.INTERMEDIATE,
        "mode": Mode.OFFLINE,
        "hours_total": 80,
        "hours_practical": 56,
        "fee": 2000,
        "certificate": CertificateType.SKILL_LEVEL,
        "region_code": "440300",
    }
    data.update(kw)
    return Course.model_validate(data)


def _session(**kw: object) -> Session:
    data: dict[str, object] = {
        "session_id": "S1",
        "course_id": "C1",
        "start_date": date(2026, 12, 10),
        "end_date": date(2026, 12, 30),
        "enrol_open": date(2026, 11, 1),
        "enrol_close": date(2026, 12, 5),
        "capacity": 40,
        "seats_taken": 10,
        "region_code": "440305",
    }
    data.update(kw)
    return Session.model_validate(data)


DEMAND = DemandLookup.from_records([_entry("440300", shortage_uplift_pct=20)])
LOCAL = Person(age=30, home_region="440305", current_level=SkillLevel.JUNIOR)


def run(
    person: Person = LOCAL,
    course: CourseLike | None = None,
    session: Session | None = None,
    rules: RuleSet | None = None,
) -> Eligibility:
    return evaluate(
        person,
        course or _course(),
        session if session is not None else _session(),
        today=TODAY,
        demand=DEMAND,
        rules=rules,
    )


def test_base_case_and_invariants() -> None:
    result = run()
    assert result.eligible and result.failed == () and result.main_reason == ""
    assert result.subsidy == 1200 and result.out_of_pocket == 800 and result.fee == 2000
    assert result.subsidy_basis == "深圳市紧缺职业目录 四级 1,000 元 + 紧缺上浮 20%"
    assert result.rules == "深圳市"
    rules = [c.rule for c in result.checks]
    assert rules[:7] == [
        "age",
        "group",
        "education",
        "prerequisite_level",
        "online",
        "enrolment_open",
        "seats",
    ]
    assert {"subsidy_group", "subsidy_age", "subsidy_residence", "min_hours", "directory"} <= set(
        rules
    )


def test_several_hard_failures_come_in_order_main_reason_first() -> None:
    person = Person(
        age=70,
        group=Group.UNEMPLOYED,
        education=Education.PRIMARY,
        home_region="440305",
        online_only=True,
    )
    course = _course(
        eligible_groups=(Group.VETERAN,),
        min_education=Education.SENIOR_MIDDLE,
        min_level=SkillLevel.JUNIOR,
    )
    session = _session(enrol_open=date(2026, 12, 1), seats_taken=40)
    result = run(person, course, session)
    assert [c.rule for c in result.failed] == [
        "age",
        "group",
        "education",
        "prerequisite_level",
        "online",
        "enrolment_open",
        "seats",
    ]
    assert result.main_reason == "年龄 70 岁，超过该课程 60 岁上限"
    assert "报名将于 12月1日 开始" in result.failed[5].reason
    assert "未登记现有等级" in result.failed[3].reason
    assert all(c.hard for c in result.failed)


def test_without_session_no_enrolment_checks_and_course_region_is_the_place() -> None:
    result = evaluate(LOCAL, _course(), None, today=TODAY, demand=DEMAND)
    assert result.eligible
    assert not {"enrolment_open", "seats"} & {c.rule for c in result.checks}
    assert result.subsidy == 1200


def test_unknown_education_passes_with_a_soft_note() -> None:
    result = run(course=_course(min_education=Education.SENIOR_MIDDLE))
    check = next(c for c in result.checks if c.rule == "education")
    assert check.passed and not check.hard and "未填写文化程度" in check.reason
    assert result.eligible


def test_enrolment_closed_last_year_shows_the_year() -> None:
    session = _session(
        enrol_open=date(2025, 11, 1),
        enrol_close=date(2025, 12, 1),
        start_date=date(2025, 12, 2),
        end_date=date(2025, 12, 20),
    )
    assert run(session=session).main_reason == "报名已于 2025年12月1日 截止"


def test_free_course_apprentice_and_unknown_home() -> None:
    free = run(course=_course(fee=0))
    assert free.subsidy == 0 and free.out_of_pocket == 0 and free.subsidy_basis.startswith("免费")
    apprentice = run(course=_course(level=SkillLevel.APPRENTICE))
    assert apprentice.subsidy == 0 and "学徒工不在国家职业技能等级" in apprentice.subsidy_basis
    nowhere = run(Person(age=30, current_level=SkillLevel.JUNIOR))
    residence = next(c for c in nowhere.checks if c.rule == "subsidy_residence")
    assert residence.passed and "未填写常住地" in residence.reason
    assert nowhere.subsidy == 1200


def test_online_course_on_the_national_platform_is_subsidised_everywhere() -> None:
    course = _course(mode=Mode.ONLINE, region_code=NATIONAL_REGION, hours_practical=0)
    session = _session(region_code=NATIONAL_REGION)
    result = run(Person(age=30, home_region="520102", online_only=True), course, session)
    assert result.eligible
    assert result.rules == "全国"
    residence = next(c for c in result.checks if c.rule == "subsidy_residence")
    assert residence.passed and "国家" in residence.reason
    # No national directory entry for the occupation: not subsidised, and says so.
    assert result.subsidy == 0 and "未列入" in result.subsidy_basis


def test_excluded_group_and_per_hour_rates_from_data(tmp_path: Path) -> None:
    root = write_rules(
        tmp_path / "rules",
        provinces={
            "440000": HEAD
            + "[groups.employee]\nexcluded = true\n"
            + "[subsidy.training]\nflat = 0\nper_hour = 12\ncap = 500\n"
        },
    )
    rules = read_rules(root)
    employee = run(
        Person(age=30, group=Group.EMPLOYEE, home_region="440305", current_level=SkillLevel.JUNIOR),
        rules=rules,
    )
    assert employee.eligible and employee.subsidy == 0
    assert employee.subsidy_basis == "企业职工不在广东省培训补贴对象范围"
    training = _course(
        certificate=CertificateType.TRAINING,
        level=None,
        hours_total=40,
        hours_practical=28,
        fee=800,
    )
    short = run(course=training, rules=rules)
    assert short.subsidy == 480 and "每课时 12 元 × 40 课时" in short.subsidy_basis
    long = run(
        course=_course(
            certificate=CertificateType.TRAINING,
            level=None,
            hours_total=60,
            hours_practical=40,
            fee=800,
        ),
        rules=rules,
    )
    assert long.subsidy == 500 and "上限 500 元" in long.subsidy_basis


def test_views_with_plain_strings_give_the_same_result_as_records() -> None:
    course = _course(
        eligible_groups=(Group.UNEMPLOYED,),
        min_level=SkillLevel.JUNIOR,
        min_education=Education.JUNIOR_MIDDLE,
    )
    view = SimpleNamespace(
        **{k: (v.value if hasattr(v, "value") else v) for k, v in course.__dict__.items()}
    )
    view.eligible_groups = ["unemployed"]
    person = Person(
        age=35,
        group=Group.UNEMPLOYED,
        education=Education.SENIOR_MIDDLE,
        home_region="440305",
        current_level=SkillLevel.INTERMEDIATE,
    )
    assert run(person, course) == run(person, view)


# =============================================================================================
# the demo catalog: never raises; agrees with the generator's stored subsidies
# =============================================================================================
@dataclass(frozen=True)
class Demo:
    demand: DemandLookup
    courses: list[Course]
    sessions: list[Session]
    first: dict[str, Session]  # the first session of each course


@pytest.fixture(scope="module")
def demo() -> Demo:
    from catalog.demo import generate_demo

    tables = generate_demo(courses=2000, seed=7, today=TODAY)
    sessions: list[Session] = table_to_records("sessions", tables["sessions"])
    first: dict[str, Session] = {}
    for s in sessions:
        first.setdefault(s.course_id, s)
    return Demo(
        demand=DemandLookup.from_table(tables["demand"]),
        courses=table_to_records("courses", tables["courses"]),
        sessions=sessions,
        first=first,
    )


PEOPLE = [
    Person(age=16),
    Person(
        age=35,
        group=Group.UNEMPLOYED,
        education=Education.SENIOR_MIDDLE,
        home_region="440305",
        current_level=SkillLevel.JUNIOR,
    ),
    Person(age=64, group=Group.OLDER_WORKER, education=Education.PRIMARY, home_region="520102"),
    Person(
        age=23,
        group=Group.YOUTH,
        education=Education.BACHELOR,
        home_region="110105",
        current_level=SkillLevel.SENIOR_TECHNICIAN,
        online_only=True,
    ),
    Person(
        age=45,
        group=Group.EMPLOYEE,
        home_region="410105",
        relocate=True,
        current_level=SkillLevel.INTERMEDIATE,
    ),
]


def test_evaluate_on_demo_rows_never_raises_and_is_consistent(demo: Demo) -> None:
    courses = {c.course_id: c for c in demo.courses}
    verdicts: Counter[str] = Counter()
    for session in demo.sessions[:400]:
        course = courses[session.course_id]
        for person in PEOPLE:
            r = evaluate(person, course, session, today=TODAY, demand=demo.demand)
            assert 0 <= r.subsidy <= r.fee and r.out_of_pocket == r.fee - r.subsidy
            assert r.eligible == (not r.failed)
            assert all(c.hard and not c.passed for c in r.failed)
            assert all(c.reason for c in r.checks) and r.subsidy_basis
            verdicts["eligible" if r.eligible else r.failed[0].rule] += 1
    assert verdicts["eligible"] > 0 and len(verdicts) >= 4  # a real mix of outcomes


def test_default_group_agrees_with_the_generator(demo: Demo) -> None:
    """The engine is the source of truth; where the demo generator differs, it is explained.

    For a person with no key group (no uplift) living where the course runs, the engine gives
    the generator's stored ``subsidy_amount`` for about 89% of courses (1,772 of 2,000 with
    seed 7). Directory-based subsidies (职业技能等级证书) agree exactly wherever the rules add
    nothing the generator does not know. The differences are all of these kinds:

    1. 培训合格证 courses: the generator subsidises a random half of them (450 × the
       province's cost level) and the rest not at all; the engine pays the region's flat rate
       from the rules to every eligible trainee (a rule cannot reproduce a coin flip).
    2. 专项职业能力 and 培训合格证 courses in provinces without a rules file: the generator
       scales 600 / 450 yuan by a cost level per province (``demo.COST_LEVEL``); the rules
       give the national default (600 / 450) there. The provinces that have files carry the
       generator's amounts.
    3. Henan (410000) skill-level courses whose occupation is not in the directory: the
       generator pays nothing; Henan's rules pay 50% of its general standard.
    4. Jiangsu (320000) online courses: the rules pay 50% of the subsidy online; provinces
       whose rules do not subsidise online skill-level training (Tianjin) pay nothing.
    5. A province's cap per course (Jiangsu 6,000 yuan) applied by the rules to a level-1
       course whose uplifts exceed it; the generator does not cap.

    Suggested generator change (not made here): take the flat amounts, the unlisted share
    and the online share from ``load_rules().for_region(...)``, and make training-certificate
    courses without a subsidy explicit (e.g. fee-paying market courses), so both agree by
    construction.
    """
    rules = load_rules()
    agree = 0
    unexplained: list[str] = []
    for course in demo.courses:
        person = Person(age=30, home_region=course.region_code)
        result = evaluate(
            person, course, demo.first[course.course_id], today=TODAY, demand=demo.demand
        )
        if result.subsidy == course.subsidy_amount:
            agree += 1
            continue
        province = course.region_code[:2] + "0000"
        cert = course.certificate
        explained = (
            cert is CertificateType.TRAINING
            or (cert is CertificateType.SPECIAL_ABILITY and province not in rules.provinces)
            or (province == "410000" and "未列入" in result.subsidy_basis)
            or (province == "320000" and course.mode is Mode.ONLINE)
            or (
                course.mode is Mode.ONLINE
                and result.subsidy == 0
                and "线上" in result.subsidy_basis
            )
            or ("上限" in result.subsidy_basis and result.subsidy < course.subsidy_amount)
        )
        if not explained:
            unexplained.append(
                f"{course.course_id} {course.region_code} {cert.value} {course.mode.value}: "
                f"generator {course.subsidy_amount} ({course.subsidy_basis}) vs engine "
                f"{result.subsidy} ({result.subsidy_basis})"
            )
    total = len(demo.courses)
    assert not unexplained, "\n".join(unexplained[:10])
    assert agree / total >= 0.85, f"{agree}/{total}"
