"""Domain records of the training-demand directory and the course catalog (pydantic v2).

Records are flat so that each maps 1:1 to a row of its snapshot table (see
:mod:`catalog.schema`). Enumerations use English machine values; their Chinese labels, as
published tables write them, are in the ``*_LABELS`` mappings.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from catalog.reference.ladder import SkillLevel

REGION_CODE_RE = re.compile(r"^\d{6}$")
OCCUPATION_CODE_RE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")

RegionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
OccupationCode = Annotated[str, StringConstraints(pattern=r"^\d-\d{2}-\d{2}-\d{2}$")]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Money = Annotated[int, Field(ge=0, le=1_000_000)]


class Group(StrEnum):
    """Key employment groups (重点群体) as the API names them."""

    UNEMPLOYED = "unemployed"
    GRADUATE = "graduate"
    YOUTH = "youth"
    MIGRANT_WORKER = "migrant_worker"
    OLDER_WORKER = "older_worker"
    EMPLOYEE = "employee"
    VETERAN = "veteran"
    DISABLED = "disabled"
    RURAL = "rural"
    WOMAN_RETURNING = "woman_returning"


GROUP_LABELS: dict[Group, str] = {
    Group.UNEMPLOYED: "失业人员",
    Group.GRADUATE: "高校毕业生",
    Group.YOUTH: "青年",
    Group.MIGRANT_WORKER: "农民工",
    Group.OLDER_WORKER: "大龄劳动者",
    Group.EMPLOYEE: "企业职工",
    Group.VETERAN: "退役军人",
    Group.DISABLED: "残疾人",
    Group.RURAL: "农村劳动力",
    Group.WOMAN_RETURNING: "返岗女性",
}


class Education(StrEnum):
    """Education levels, lowest first (values are the Chinese names the API uses)."""

    PRIMARY = "小学"
    JUNIOR_MIDDLE = "初中"
    SENIOR_MIDDLE = "高中"
    SECONDARY_VOCATIONAL = "中专"
    COLLEGE = "大专"
    BACHELOR = "本科"
    MASTER = "硕士"
    DOCTOR = "博士"


EDUCATION_RANK: dict[Education, int] = {e: i for i, e in enumerate(Education)}
# 中专 and 高中 are the same rung for course prerequisites.
EDUCATION_RANK[Education.SECONDARY_VOCATIONAL] = EDUCATION_RANK[Education.SENIOR_MIDDLE]


class UrgencyTier(StrEnum):
    """Shortage tiers as in Tianjin's catalogue (非常紧缺 / 紧缺 / 一般紧缺)."""

    VERY_SHORT = "very_short"
    SHORT = "short"
    GENERAL = "general"


TIER_LABELS: dict[UrgencyTier, str] = {
    UrgencyTier.VERY_SHORT: "非常紧缺",
    UrgencyTier.SHORT: "紧缺",
    UrgencyTier.GENERAL: "一般紧缺",
}


class InstitutionType(StrEnum):
    """Kinds of training provider."""

    TECHNICAL_SCHOOL = "technical_school"
    VOCATIONAL_COLLEGE = "vocational_college"
    ENTERPRISE = "enterprise"
    PRIVATE = "private"
    PUBLIC_BASE = "public_base"


INSTITUTION_TYPE_LABELS: dict[InstitutionType, str] = {
    InstitutionType.TECHNICAL_SCHOOL: "技工院校",
    InstitutionType.VOCATIONAL_COLLEGE: "职业院校",
    InstitutionType.ENTERPRISE: "企业",
    InstitutionType.PRIVATE: "民办培训机构",
    InstitutionType.PUBLIC_BASE: "公共实训基地",
}


class InstitutionGrade(StrEnum):
    """Provider grade from the classification-and-grading of training institutions."""

    A = "A"
    B = "B"
    C = "C"
    UNGRADED = "ungraded"


GRADE_LABELS: dict[InstitutionGrade, str] = {
    InstitutionGrade.A: "A级",
    InstitutionGrade.B: "B级",
    InstitutionGrade.C: "C级",
    InstitutionGrade.UNGRADED: "未评级",
}


class Mode(StrEnum):
    """How a course is delivered."""

    OFFLINE = "offline"
    ONLINE = "online"
    BLENDED = "blended"


MODE_LABELS: dict[Mode, str] = {
    Mode.OFFLINE: "线下",
    Mode.ONLINE: "线上",
    Mode.BLENDED: "线上线下结合",
}


class CertificateType(StrEnum):
    """What a course leads to."""

    SKILL_LEVEL = "skill_level"
    SPECIAL_ABILITY = "special_ability"
    TRAINING = "training"


CERTIFICATE_LABELS: dict[CertificateType, str] = {
    CertificateType.SKILL_LEVEL: "职业技能等级证书",
    CertificateType.SPECIAL_ABILITY: "专项职业能力证书",
    CertificateType.TRAINING: "培训合格证",
}


class EmploymentService(StrEnum):
    """Employment link of a project-based course (订单 / 定向 / 定岗 training)."""

    ORDER = "order"
    TARGETED = "targeted"
    PLACEMENT = "placement"
    NONE = "none"


EMPLOYMENT_SERVICE_LABELS: dict[EmploymentService, str] = {
    EmploymentService.ORDER: "订单式培训",
    EmploymentService.TARGETED: "定向培训",
    EmploymentService.PLACEMENT: "定岗培训",
    EmploymentService.NONE: "无",
}

NATIONAL_LEVELS: tuple[int, ...] = (5, 4, 3, 2, 1)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class DemandEntry(_Record):
    """One occupation in one region's training-demand directory for one validity period.

    Per national level (5 = 初级工 … 1 = 高级技师) the subsidy is an amount in yuan, or
    ``None``. A level listed in ``not_in_standard`` is marked "——" in published tables (the
    national standard has no such level); a level with ``None`` and not in that list is marked
    "/" (not in demand: no subsidy).
    """

    region_code: RegionCode
    occupation_code: OccupationCode
    tier: UrgencyTier
    subsidy_l5: Money | None = None
    subsidy_l4: Money | None = None
    subsidy_l3: Money | None = None
    subsidy_l2: Money | None = None
    subsidy_l1: Money | None = None
    not_in_standard: tuple[int, ...] = ()
    shortage_uplift_pct: Annotated[int, Field(ge=0, le=100)] = 0
    key_occupation: bool = False
    key_uplift_pct: Annotated[int, Field(ge=0, le=100)] = 0
    valid_from: date
    valid_to: date | None = None
    source: Annotated[str, StringConstraints(max_length=300)] = ""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("有效期止不能早于有效期起")
        bad = [lv for lv in self.not_in_standard if lv not in NATIONAL_LEVELS]
        if bad:
            raise ValueError(f"等级 {bad} 不在 1–5 级之间")
        for lv in self.not_in_standard:
            if self.subsidy(lv) is not None:
                raise ValueError(f"{lv} 级标为“——”（国家标准无此等级），不能有补贴金额")
        if all(self.subsidy(lv) is None for lv in NATIONAL_LEVELS):
            raise ValueError("各等级均无补贴标准（全部为“/”或“——”），不是有效的需求条目")
        return self

    def subsidy(self, national_level: int) -> int | None:
        """The base subsidy (yuan) for a national level 5..1, ``None`` when not subsidised."""
        value: int | None = getattr(self, f"subsidy_l{national_level}")
        return value

    def uplifted_subsidy(self, national_level: int) -> int | None:
        """The subsidy with the shortage and key-occupation uplifts applied, rounded to yuan."""
        base = self.subsidy(national_level)
        if base is None:
            return None
        pct = self.shortage_uplift_pct + (self.key_uplift_pct if self.key_occupation else 0)
        return round(base * (100 + pct) / 100)

    def is_valid_on(self, day: date) -> bool:
        """Whether the entry is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Institution(_Record):
    """A training provider and its outcome counts (the basis of outcome rates)."""

    institution_id: Identifier
    name: ShortText
    type: InstitutionType
    grade: InstitutionGrade = InstitutionGrade.UNGRADED
    region_code: RegionCode
    address: Annotated[str, StringConstraints(max_length=200)] = ""
    trained: Annotated[int, Field(ge=0)] = 0
    certified: Annotated[int, Field(ge=0)] = 0
    employed_3m: Annotated[int, Field(ge=0)] = 0
    employed_6m: Annotated[int, Field(ge=0)] = 0
    is_demo: bool = False

    @model_validator(mode="after")
    def _check(self) -> Self:
        for name, value in (
            ("取证人数", self.certified),
            ("3个月就业人数", self.employed_3m),
            ("6个月就业人数", self.employed_6m),
        ):
            if value > self.trained:
                raise ValueError(f"{name}（{value}）不能多于培训人数（{self.trained}）")
        return self


class Course(_Record):
    """A subsidised training project of the course catalog (补贴性培训项目目录)."""

    course_id: Identifier
    institution_id: Identifier
    title: ShortText
    occupation_code: OccupationCode
    level: SkillLevel | None = None
    mode: Mode
    hours_total: Annotated[int, Field(ge=1, le=5000)]
    hours_practical: Annotated[int, Field(ge=0, le=5000)]
    fee: Money
    subsidy_amount: Money = 0
    subsidy_basis: Annotated[str, StringConstraints(max_length=200)] = ""
    certificate: CertificateType
    eligible_groups: tuple[Group, ...] = ()
    age_min: Annotated[int, Field(ge=14, le=80)] = 16
    age_max: Annotated[int, Field(ge=14, le=80)] = 60
    min_education: Education | None = None
    min_level: SkillLevel | None = None
    prerequisites: Annotated[str, StringConstraints(max_length=300)] = ""
    employment_service: EmploymentService = EmploymentService.NONE
    partner_employers: tuple[ShortText, ...] = ()
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    region_code: RegionCode
    is_demo: bool = False

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.hours_practical > self.hours_total:
            raise ValueError(
                f"实操课时（{self.hours_practical}）不能多于总课时（{self.hours_total}）"
            )
        if self.age_min > self.age_max:
            raise ValueError(f"年龄下限（{self.age_min}）不能大于上限（{self.age_max}）")
        if self.subsidy_amount > self.fee:
            raise ValueError(f"补贴（{self.subsidy_amount}）不能高于培训费（{self.fee}）")
        if self.employment_service is not EmploymentService.NONE and not self.partner_employers:
            raise ValueError("订单/定向/定岗培训须写明合作用人单位")
        if self.certificate is CertificateType.SKILL_LEVEL and self.level is None:
            raise ValueError("职业技能等级证书培训须写明培训等级")
        return self

    @property
    def out_of_pocket(self) -> int:
        """What a trainee pays after the course's subsidy (yuan)."""
        return max(self.fee - self.subsidy_amount, 0)


class Session(_Record):
    """One run (班期) of a course: dates, enrolment window, seats and place."""

    session_id: Identifier
    course_id: Identifier
    start_date: date
    end_date: date
    enrol_open: date
    enrol_close: date
    capacity: Annotated[int, Field(ge=1, le=10_000)]
    seats_taken: Annotated[int, Field(ge=0, le=10_000)] = 0
    region_code: RegionCode
    address: Annotated[str, StringConstraints(max_length=200)] = ""
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("结束日期不能早于开班日期")
        if self.enrol_close < self.enrol_open:
            raise ValueError("报名截止不能早于报名开始")
        if self.enrol_close > self.start_date:
            raise ValueError("报名截止不能晚于开班日期")
        if self.seats_taken > self.capacity:
            raise ValueError(f"已报名人数（{self.seats_taken}）超过名额（{self.capacity}）")
        if (self.longitude is None) != (self.latitude is None):
            raise ValueError("经度和纬度须同时填写")
        return self

    @property
    def seats_left(self) -> int:
        """Seats still free."""
        return self.capacity - self.seats_taken

    def is_open_on(self, day: date) -> bool:
        """Whether enrolment is open on ``day`` and seats remain."""
        return self.enrol_open <= day <= self.enrol_close and self.seats_left > 0
