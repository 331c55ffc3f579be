"""The eligibility and subsidy engine: which rules pass, which fail and why, and what it costs.

:func:`evaluate` checks one person against one course (and one of its sessions):

Hard rules (a failure means the person cannot enrol), in the order their reasons are given:
``age`` (the course's age limits), ``group`` (the course's eligible groups), ``education``
(the course's minimum education; unknown education passes with a soft note),
``prerequisite_level`` (the course's minimum level on the eight-level ladder), ``online``
(a person who can only study online vs an offline or blended course), ``enrolment_open`` and
``seats`` (the session's enrolment window and seats).

Soft rules (a failure means no subsidy; the person may still enrol and pay the fee):
``subsidy_group`` (the group is excluded or not subsidised for this certificate type),
``subsidy_age`` (the region's subsidised age window for the group), ``subsidy_residence``
(household registration / residence permit / social insurance modelled from the home region;
for online courses, the platform's province), ``min_hours`` (minimum class hours and practical
share), ``directory`` (skill-level courses: the occupation and level in the region's demand
directory), ``subsidy_standard`` (flat amounts of 专项职业能力 / 培训合格证 courses),
``online_subsidy`` (which certificates are subsidised online, and at what share).

Region is not a hard rule: which regions a person can reach is the matching engine's call.
Parameters come from the rules in force where the course runs (the session's region; for an
online course, the platform region ``course.region_code``), resolved city > province > national.

``subsidy`` is what the person would receive on enrolling; it is also filled in when
``eligible`` is false, so a caseworker sees what the route is worth once the blocking reason
is resolved (e.g. in the next session).

Speed: nothing here validates with pydantic; parameters are precompiled per region, names and
labels come from dictionaries; a typical call takes about 13 µs (``bench/bench_rules.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final, NamedTuple, Protocol

from catalog.models import (
    CERTIFICATE_LABELS,
    EDUCATION_RANK,
    GROUP_LABELS,
    MODE_LABELS,
    TIER_LABELS,
    Education,
    Group,
)
from catalog.reference.labour import destinations, pair_name
from catalog.reference.ladder import Rung, SkillLevel, rung
from catalog.reference.regions import load_regions
from catalog.rules.demand import DemandLookup
from catalog.rules.loader import NATIONAL_REGION, RegionRules, RuleSet, load_rules, region_name

LEVEL_NUM: Final[dict[int, str]] = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}
_RUNGS: Final[dict[str, Rung]] = {lv.value: rung(lv) for lv in SkillLevel}
_EDU_RANK: Final[dict[str, int]] = {e.value: r for e, r in EDUCATION_RANK.items()}
_GROUP_LABEL: Final[dict[str, str]] = {g.value: label for g, label in GROUP_LABELS.items()}
_MODE_LABEL: Final[dict[str, str]] = {m.value: label for m, label in MODE_LABELS.items()}
_CERT_LABEL: Final[dict[str, str]] = {c.value: label for c, label in CERTIFICATE_LABELS.items()}
_TIER_LABEL: Final[dict[str, str]] = {t.value: label for t, label in TIER_LABELS.items()}
_SKILL: Final = "skill_level"
_SPECIAL: Final = "special_ability"
_ONLINE: Final = "online"
_PLACEHOLDER_CITIES: Final = frozenset({"省直辖县级行政区划", "自治区直辖县级行政区划"})


# =============================================================================================
# inputs and outputs
# =============================================================================================
@dataclass(frozen=True, slots=True)
class Person:
    """What the engine knows about a job-seeker.

    Attributes:
        age: Age in years.
        group: Key employment group (``None``: an ordinary worker, no key group).
        education: Highest education (``None``: not given).
        home_region: 6-digit code of where the person is registered or insured (``None``:
            not given). The profile has one region: it stands for household registration,
            residence permit and social insurance at once.
        current_level: Current level on the eight-level ladder (``None``: no certificate).
        relocate: Willing to train elsewhere (used by the matching engine, not here).
        online_only: Can only take fully online courses.
    """

    age: int
    group: Group | None = None
    education: Education | None = None
    home_region: str | None = None
    current_level: SkillLevel | None = None
    relocate: bool = False
    online_only: bool = False


class CourseLike(Protocol):
    """The course attributes the engine reads (a :class:`~catalog.models.Course` or a view)."""

    @property
    def occupation_code(self) -> str: ...  # noqa: D102
    @property
    def level(self) -> str | None: ...  # noqa: D102
    @property
    def mode(self) -> str: ...  # noqa: D102
    @property
    def hours_total(self) -> int: ...  # noqa: D102
    @property
    def hours_practical(self) -> int: ...  # noqa: D102
    @property
    def fee(self) -> int: ...  # noqa: D102
    @property
    def certificate(self) -> str: ...  # noqa: D102
    @property
    def eligible_groups(self) -> Sequence[str]: ...  # noqa: D102
    @property
    def age_min(self) -> int: ...  # noqa: D102
    @property
    def age_max(self) -> int: ...  # noqa: D102
    @property
    def min_education(self) -> str | None: ...  # noqa: D102
    @property
    def min_level(self) -> str | None: ...  # noqa: D102
    @property
    def region_code(self) -> str: ...  # noqa: D102


class SessionLike(Protocol):
    """The session attributes the engine reads (a :class:`~catalog.models.Session` or a view)."""

    @property
    def enrol_open(self) -> date: ...  # noqa: D102
    @property
    def enrol_close(self) -> date: ...  # noqa: D102
    @property
    def capacity(self) -> int: ...  # noqa: D102
    @property
    def seats_taken(self) -> int: ...  # noqa: D102
    @property
    def region_code(self) -> str: ...  # noqa: D102


class Check(NamedTuple):
    """The outcome of one rule.

    Attributes:
        rule: Machine id ("age", "group", "subsidy_residence" …).
        passed: Whether the rule passed.
        hard: A failed hard rule blocks enrolment; a failed soft rule only removes the subsidy.
        reason: Plain Simplified Chinese, short.
    """

    rule: str
    passed: bool
    hard: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The verdict for one person, course and session.

    Attributes:
        eligible: Every hard rule passed.
        checks: Every rule evaluated, hard rules first.
        failed: The failed hard rules; the first is the main reason.
        subsidy: The subsidy in yuan (what enrolling would bring; see the module notes).
        subsidy_basis: How the subsidy was worked out, or why there is none (Chinese).
        fee: The course fee in yuan.
        out_of_pocket: ``fee - subsidy`` (≥ 0).
        rules: The name of the most specific rules layer applied ("厦门市").
    """

    eligible: bool
    checks: tuple[Check, ...]
    failed: tuple[Check, ...]
    subsidy: int
    subsidy_basis: str
    fee: int
    out_of_pocket: int
    rules: str

    @property
    def main_reason(self) -> str:
        """The reason of the first failed hard rule ("" when eligible)."""
        return self.failed[0].reason if self.failed else ""

    @property
    def soft_failures(self) -> tuple[Check, ...]:
        """The failed soft rules (why the subsidy is reduced to nothing)."""
        return tuple(c for c in self.checks if not c.hard and not c.passed)


# =============================================================================================
# helpers
# =============================================================================================
def _day(day: date, today: date) -> str:
    if day.year == today.year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def _money(value: int) -> str:
    return f"{value:,}"


@lru_cache(maxsize=8192)
def _city_key(code: str) -> str | None:
    """The prefecture-level unit of a region; ``None`` for a province.

    A county-level city directly under a province (仙桃市) counts as its own unit.
    """
    if code.endswith("0000"):
        return None
    city = code[:4] + "00"
    found = load_regions().get(city)
    if found is not None and found.name in _PLACEHOLDER_CITIES:
        return code
    return city


@lru_cache(maxsize=4096)
def _cooperation(home_province: str, course_province: str) -> str | None:
    """The name of the labour cooperation behind training there, ``None`` if not a destination."""
    if course_province not in destinations(home_province):
        return None
    return pair_name(home_province, course_province) or "劳务协作"


def _labels(values: Sequence[str], labels: dict[str, str]) -> str:
    return "、".join(labels.get(v, v) for v in values)


# =============================================================================================
# the engine
# =============================================================================================
def _residence(person: Person, rr: RegionRules, place: str, platform: str, online: bool) -> Check:
    home = person.home_region
    if online:
        if home is None:
            return Check(
                "subsidy_residence", True, False, "未填写常住地：线上课程补贴限本省平台课程"
            )
        if platform == NATIONAL_REGION or not rr.home_platform_only or home[:2] == platform[:2]:
            where = region_name(platform[:2] + "0000") if platform != NATIONAL_REGION else "国家"
            return Check("subsidy_residence", True, False, f"可享受补贴（{where}线上培训平台课程）")
        return Check(
            "subsidy_residence",
            False,
            False,
            f"线上课程只补贴本省（{region_name(home[:2] + '0000')}）平台或国家平台课程，"
            f"该课程属{region_name(platform[:2] + '0000')}平台",
        )
    if home is None:
        return Check(
            "subsidy_residence",
            True,
            False,
            "未填写常住地：补贴以在培训地有户籍、居住证或参保为前提",
        )
    home_prov, place_prov = home[:2] + "0000", place[:2] + "0000"
    if home_prov == place_prov:
        home_city, place_city = _city_key(home), _city_key(place)
        if home_city is not None and home_city == place_city:
            return Check(
                "subsidy_residence",
                True,
                False,
                f"可享受补贴（{region_name(home_city)}户籍、居住证或参保）",
            )
        if rr.other_city:
            return Check(
                "subsidy_residence",
                True,
                False,
                f"可享受补贴（{region_name(home_prov)}户籍或参保，省内跨市培训）",
            )
        where = region_name(place_city) if place_city is not None else rr.name
        return Check(
            "subsidy_residence",
            False,
            False,
            f"异地培训不享受补贴：{where}培训补贴须在本市有户籍、居住证或参保",
        )
    if rr.any_province:
        return Check("subsidy_residence", True, False, f"可享受补贴（{rr.name}对跨省培训同样补贴）")
    if rr.cooperation:
        pair = _cooperation(home_prov, place_prov)
        if pair is not None:
            return Check(
                "subsidy_residence",
                True,
                False,
                f"可享受补贴（{pair}：{region_name(home_prov)}劳动者到{region_name(place_prov)}培训）",
            )
    return Check(
        "subsidy_residence",
        False,
        False,
        f"异地培训不享受补贴：{region_name(place_prov)}培训补贴须本地户籍、居住证或参保，"
        f"且不是{region_name(home_prov)}的劳务协作去向",
    )


def evaluate(
    person: Person,
    course: CourseLike,
    session: SessionLike | None,
    *,
    today: date,
    demand: DemandLookup,
    rules: RuleSet | None = None,
) -> Eligibility:
    """Check a person against a course and session; work out the subsidy and what they pay.

    Args:
        person: The job-seeker.
        course: The course (record or view with the same attribute names).
        session: The session to enrol in; ``None`` evaluates the course alone (no enrolment
            window or seat checks; the course's region is where it runs).
        today: The day of the evaluation (enrolment window, directory and rules in force).
        demand: The demand directory of the snapshot.
        rules: The rule set (the bundled one by default).

    Returns:
        The verdict with every check, the subsidy and its basis, the fee and the
        out-of-pocket amount.
    """
    rs = rules if rules is not None else load_rules()
    mode = course.mode
    online = mode == _ONLINE
    platform = course.region_code
    place = session.region_code if session is not None else platform
    rr = rs.for_region(platform if online else place, today)
    checks: list[Check] = []
    add = checks.append
    age = person.age
    group = person.group
    group_label = _GROUP_LABEL.get(group, "") if group is not None else "一般劳动者"

    # --- hard rules ---------------------------------------------------------------------------
    if age < course.age_min:
        add(Check("age", False, True, f"年龄 {age} 岁，低于该课程 {course.age_min} 岁下限"))
    elif age > course.age_max:
        add(Check("age", False, True, f"年龄 {age} 岁，超过该课程 {course.age_max} 岁上限"))
    else:
        add(
            Check(
                "age", True, True, f"年龄 {age} 岁，符合 {course.age_min}—{course.age_max} 岁要求"
            )
        )

    eligible_groups = course.eligible_groups
    if not eligible_groups:
        add(Check("group", True, True, "面向各类劳动者"))
    elif group is not None and group in eligible_groups:
        add(Check("group", True, True, f"属于该班招收对象（{group_label}）"))
    else:
        who = f"，您登记为{group_label}" if group is not None else "，您未登记重点群体"
        add(Check("group", False, True, f"该班只招收{_labels(eligible_groups, _GROUP_LABEL)}{who}"))

    need_edu = course.min_education
    if need_edu is None:
        add(Check("education", True, True, "无文化程度要求"))
    elif person.education is None:
        add(
            Check(
                "education", True, False, f"未填写文化程度：该课程要求{need_edu}及以上，报名时核实"
            )
        )
    elif _EDU_RANK[person.education] >= _EDU_RANK[need_edu]:
        add(Check("education", True, True, f"文化程度{person.education}，达到{need_edu}及以上要求"))
    else:
        add(
            Check(
                "education",
                False,
                True,
                f"文化程度{person.education}，未达到该课程{need_edu}及以上要求",
            )
        )

    need_level = course.min_level
    if need_level is None:
        add(Check("prerequisite_level", True, True, "无等级前置要求"))
    else:
        need = _RUNGS[need_level]
        current = person.current_level
        if current is None:
            add(
                Check(
                    "prerequisite_level",
                    False,
                    True,
                    f"须先取得{need.name}证书，未登记现有等级",
                )
            )
        else:
            have = _RUNGS[current]
            if have.rank >= need.rank:
                add(
                    Check(
                        "prerequisite_level",
                        True,
                        True,
                        f"现有等级{have.name}，满足{need.name}前置要求",
                    )
                )
            else:
                add(
                    Check(
                        "prerequisite_level",
                        False,
                        True,
                        f"现有等级{have.name}，须先取得{need.name}证书",
                    )
                )

    mode_label = _MODE_LABEL.get(mode, mode)
    if person.online_only and not online:
        add(Check("online", False, True, f"只能参加线上课程，该课程为{mode_label}"))
    else:
        add(Check("online", True, True, f"授课方式：{mode_label}"))

    if session is not None:
        if today < session.enrol_open:
            add(
                Check(
                    "enrolment_open",
                    False,
                    True,
                    f"报名将于 {_day(session.enrol_open, today)} 开始",
                )
            )
        elif today > session.enrol_close:
            add(
                Check(
                    "enrolment_open",
                    False,
                    True,
                    f"报名已于 {_day(session.enrol_close, today)} 截止",
                )
            )
        else:
            add(
                Check(
                    "enrolment_open",
                    True,
                    True,
                    f"报名中，{_day(session.enrol_close, today)} 截止",
                )
            )
        left = session.capacity - session.seats_taken
        if left <= 0:
            add(Check("seats", False, True, f"名额已满（{session.capacity}/{session.capacity}）"))
        else:
            add(Check("seats", True, True, f"尚余 {left} 个名额"))

    # --- subsidy conditions (soft) ------------------------------------------------------------
    blocked = ""
    cert = course.certificate
    gp = rr.group(group)
    uplift = gp.uplift_pct
    if gp.excluded:
        blocked = f"{group_label}不在{rr.name}培训补贴对象范围"
        add(Check("subsidy_group", False, False, blocked))
    elif cert not in gp.certificates:
        allowed = _labels(sorted(gp.certificates), _CERT_LABEL)
        blocked = f"{group_label}参加{_CERT_LABEL.get(cert, cert)}培训不享受补贴（限{allowed}）"
        add(Check("subsidy_group", False, False, blocked))
    else:
        add(Check("subsidy_group", True, False, f"{group_label}属于补贴对象"))

    if gp.age_min <= age <= gp.age_max:
        add(Check("subsidy_age", True, False, f"年龄在补贴范围（{gp.age_min}—{gp.age_max} 岁）内"))
    elif gp.own_window and rr.age_min <= age <= rr.age_max:
        uplift = 0
        add(
            Check(
                "subsidy_age",
                True,
                False,
                f"年龄 {age} 岁，不在{group_label}（{gp.age_min}—{gp.age_max} 岁）范围，"
                "按一般劳动者计算补贴",
            )
        )
    else:
        if age > gp.age_max:
            reason = f"年龄 {age} 岁，超过补贴年龄上限 {gp.age_max} 岁，可自费参训"
        else:
            reason = f"年龄 {age} 岁，低于补贴年龄下限 {gp.age_min} 岁"
        blocked = blocked or reason
        add(Check("subsidy_age", False, False, reason))

    residence = _residence(person, rr, place, platform, online)
    add(residence)
    if not residence.passed:
        blocked = blocked or residence.reason

    hours = course.hours_total
    level = course.level
    lr = _RUNGS[level] if cert == _SKILL and level is not None else None
    need_hours = rr.min_hours_for(lr.rank if lr is not None else None)
    what = f"{lr.name}培训" if lr is not None else _CERT_LABEL.get(cert, cert) + "培训"
    practical = course.hours_practical
    if hours < need_hours:
        reason = f"共 {hours} 课时，少于{what} {need_hours} 课时的最低要求，不能享受补贴"
        blocked = blocked or reason
        add(Check("min_hours", False, False, reason))
    elif mode in rr.practical_modes and practical * 100 < rr.min_practical_pct * hours:
        reason = (
            f"实操 {practical} 课时，占 {practical * 100 // hours}%，"
            f"低于 {rr.min_practical_pct}% 的要求，不能享受补贴"
        )
        blocked = blocked or reason
        add(Check("min_hours", False, False, reason))
    else:
        add(Check("min_hours", True, False, f"共 {hours} 课时（实操 {practical}），符合课时要求"))

    # --- amount: base × (100 + uplifts) / 100 ---------------------------------------------------
    base = 0
    pct = 0
    basis = ""
    if cert == _SKILL:
        national = lr.national_level if lr is not None else None
        if national is None:
            name = lr.name if lr is not None else "未定等级"
            basis = f"{name}不在国家职业技能等级（五级至一级）内，不按目录补贴"
            add(Check("directory", False, False, basis))
        else:
            entry = demand.find(place, course.occupation_code, today)
            if entry is None:
                standard = rr.standard.get(national)
                if rr.unlisted_pct and standard:
                    base = round(standard * rr.unlisted_pct / 100)
                    by = rr.origin["directory.standard"]
                    basis = (
                        f"{by}一般职业补贴标准 {LEVEL_NUM[national]} {_money(standard)} 元"
                        f" × {rr.unlisted_pct}%（未列入紧缺职业目录）"
                    )
                    add(
                        Check(
                            "directory",
                            True,
                            False,
                            f"该职业未列入紧缺职业目录，按一般标准的 {rr.unlisted_pct}% 补贴",
                        )
                    )
                else:
                    where = region_name(_city_key(place) or place)
                    basis = f"该职业未列入{where}紧缺职业目录，无培训补贴"
                    add(Check("directory", False, False, basis))
            else:
                directory = f"{region_name(entry.region_code)}紧缺职业目录"
                listed = entry.amounts[national]
                if listed is None:
                    mark = "——" if national in entry.not_in_standard else "/"
                    why = "国家职业标准无此等级" if mark == "——" else "不在需求范围"
                    basis = f"{directory}中该职业{LEVEL_NUM[national]}标为“{mark}”（{why}），无补贴"
                    add(Check("directory", False, False, basis))
                else:
                    tier = _TIER_LABEL.get(entry.tier, entry.tier)
                    shortage, key = entry.shortage_uplift_pct, entry.key_uplift_pct
                    base, pct = listed, shortage + key
                    basis = f"{directory} {LEVEL_NUM[national]} {_money(listed)} 元"
                    if shortage:
                        basis += f" + {tier}上浮 {shortage}%"
                    if key:
                        basis += f" + 重点职业上浮 {key}%"
                    add(Check("directory", True, False, f"列入{directory}（{tier}）"))
    else:
        kind = "special_ability" if cert == _SPECIAL else "training"
        rate = rr.special_ability if cert == _SPECIAL else rr.training
        base = rate.amount(hours)
        label = _CERT_LABEL.get(cert, cert)
        by = rr.origin[f"subsidy.{kind}.per_hour" if rate.per_hour else f"subsidy.{kind}.flat"]
        if base:
            if rate.per_hour:
                basis = f"{by}{label}培训补贴 每课时 {rate.per_hour} 元 × {hours} 课时"
                if rate.flat:
                    basis += f" + {_money(rate.flat)} 元"
                if rate.cap and base == rate.cap:
                    basis += f"（上限 {_money(rate.cap)} 元）"
            else:
                basis = f"{by}{label}培训补贴 {_money(base)} 元"
            add(Check("subsidy_standard", True, False, f"{label}培训可享受补贴"))
        else:
            basis = f"{by}{label}培训无补贴标准"
            add(Check("subsidy_standard", False, False, basis))
    if base and uplift:
        pct += uplift
        basis += f" + {group_label}上浮 {uplift}%"
    amount = round(base * (100 + pct) / 100) if pct else base

    if online:
        cert_label = _CERT_LABEL.get(cert, cert)
        if cert not in rr.online_certificates:
            reason = f"线上{cert_label}培训不在{rr.origin['online.certificates']}补贴范围"
            blocked = blocked or reason
            add(Check("online_subsidy", False, False, reason))
        elif rr.online_share_pct < 100:
            if amount:
                amount = round(amount * rr.online_share_pct / 100)
                basis += f"，线上课程按 {rr.online_share_pct}% 计"
            add(
                Check(
                    "online_subsidy",
                    True,
                    False,
                    f"线上课程按 {rr.online_share_pct}% 补贴",
                )
            )
        else:
            add(Check("online_subsidy", True, False, "线上课程可享受补贴"))

    if rr.course_cap and amount > rr.course_cap:
        amount = rr.course_cap
        basis += f"，{rr.origin['subsidy.course_cap']}每门课程补贴上限 {_money(rr.course_cap)} 元"
    fee = course.fee
    if amount > fee:
        amount = fee
        basis += "，封顶为培训费" if fee else ""
    if blocked:
        amount = 0
        basis = blocked
    elif fee == 0:
        basis = "免费课程，不收培训费"

    failed = tuple(c for c in checks if c.hard and not c.passed)
    return Eligibility(
        eligible=not failed,
        checks=tuple(checks),
        failed=failed,
        subsidy=amount,
        subsidy_basis=basis,
        fee=fee,
        out_of_pocket=fee - amount,
        rules=rr.name,
    )


__all__ = ["LEVEL_NUM", "Check", "CourseLike", "Eligibility", "Person", "SessionLike", "evaluate"]
