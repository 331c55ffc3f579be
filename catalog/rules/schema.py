"""The schema of a rules file (pydantic), shared by the national file and every override.

Every parameter is optional in the schema: an override file (province or city) sets only what
differs from the level above, and ``None`` means "inherit". The national file must set every
parameter; :data:`REQUIRED_PATHS` lists them and the loader checks it.

Types are strict where TOML could hide a mistake: an integer must be an integer (not ``true``,
not ``"40"``), a date must be a TOML date literal (``2025-07-01``, not a string), enumerations
(groups, certificate types, skill levels, modes) must be their machine names.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from catalog.models import CertificateType, Group, Mode
from catalog.reference.ladder import SkillLevel, rung

Pct = Annotated[int, Strict(), Field(ge=0, le=100)]
Age = Annotated[int, Strict(), Field(ge=14, le=80)]
Amount = Annotated[int, Strict(), Field(ge=0, le=100_000)]
Hours = Annotated[int, Strict(), Field(ge=0, le=5_000)]
Text = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
StrictDate = Annotated[date, Strict()]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgeRules(_Section):
    """``[age]``: the working-age window in which training is subsidised (劳动年龄)."""

    min: Age | None = None
    max: Age | None = None

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"年龄下限 {self.min} 大于上限 {self.max}")
        return self


class GroupRules(_Section):
    """``[groups.<group>]``: what differs for one key group."""

    age_min: Age | None = None
    age_max: Age | None = None
    certificates: tuple[CertificateType, ...] | None = None
    uplift_pct: Pct | None = None
    excluded: StrictBool | None = None

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"年龄下限 {self.age_min} 大于上限 {self.age_max}")
        return self


class ResidenceRules(_Section):
    """``[residence]``: whose training the region subsidises, by the trainee's home region."""

    other_city: StrictBool | None = None
    cooperation: StrictBool | None = None
    any_province: StrictBool | None = None


def _check_national_levels(levels: dict[SkillLevel, int] | None, what: str) -> None:
    if levels is None:
        return
    off = [lv.value for lv in levels if rung(lv).national_level is None]
    if off:
        raise ValueError(f"{what}只能用有国家等级（五级至一级）的等级，{', '.join(off)} 不是")


class DirectoryRules(_Section):
    """``[directory]``: occupations not in the region's demand directory."""

    unlisted_pct: Pct | None = None
    standard: dict[SkillLevel, Amount] | None = None

    @field_validator("standard")
    @classmethod
    def _levels(cls, value: dict[SkillLevel, int] | None) -> dict[SkillLevel, int] | None:
        _check_national_levels(value, "补贴标准")
        return value


class FlatRate(_Section):
    """A flat or per-class-hour subsidy (专项职业能力, 培训合格证): ``flat + per_hour × hours``."""

    flat: Amount | None = None
    per_hour: Amount | None = None
    cap: Amount | None = None


class SubsidyRules(_Section):
    """``[subsidy]``: caps and the amounts of non-level certificates."""

    course_cap: Amount | None = None
    special_ability: FlatRate | None = None
    training: FlatRate | None = None


class OnlineRules(_Section):
    """``[online]``: subsidies for fully online courses."""

    certificates: tuple[CertificateType, ...] | None = None
    share_pct: Pct | None = None
    home_platform_only: StrictBool | None = None


class QualityRules(_Section):
    """``[quality]``: minimum class hours and practical share for a subsidisable course."""

    min_hours: dict[SkillLevel, Hours] | None = None
    min_hours_other: Hours | None = None
    min_practical_pct: Pct | None = None
    practical_modes: tuple[Mode, ...] | None = None


class RulesFile(_Section):
    """One rules file: its identity and the parameters it sets."""

    version: Text
    effective_from: StrictDate
    source: Text
    name: Text | None = None
    age: AgeRules | None = None
    groups: dict[Group, GroupRules] | None = None
    residence: ResidenceRules | None = None
    directory: DirectoryRules | None = None
    subsidy: SubsidyRules | None = None
    online: OnlineRules | None = None
    quality: QualityRules | None = None


# Parameters the national file must set (dotted paths into the document).
REQUIRED_PATHS: Final[tuple[str, ...]] = (
    "age.min",
    "age.max",
    "residence.other_city",
    "residence.cooperation",
    "residence.any_province",
    "directory.unlisted_pct",
    "directory.standard",
    "subsidy.course_cap",
    "subsidy.special_ability.flat",
    "subsidy.special_ability.per_hour",
    "subsidy.special_ability.cap",
    "subsidy.training.flat",
    "subsidy.training.per_hour",
    "subsidy.training.cap",
    "online.certificates",
    "online.share_pct",
    "online.home_platform_only",
    "quality.min_hours",
    "quality.min_hours_other",
    "quality.min_practical_pct",
    "quality.practical_modes",
)
