"""Response models of the caseworker workflow, separate from the database models.

Only masked personal data ever leaves through these (``id_masked``, ``phone_masked``,
``name_masked``); the keyed hashes stay in the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from catalog.models import GROUP_LABELS, Group
from service.api.common import OutModel, PageOut
from service.casework.referrals import STATUS_LABELS, allowed_transitions
from service.db.models import AuditLog, Person, Referral, ReferralStatus


def group_label(value: str | None) -> str | None:
    """The Chinese label of a group value (the value itself when unknown)."""
    if not value:
        return None
    try:
        return GROUP_LABELS[Group(value)]
    except ValueError:
        return value


class PersonBriefOut(OutModel):
    """A person as shown next to a referral: masked identifiers only."""

    id: int = Field(description="人员编号")
    id_masked: str = Field(description="身份证号（脱敏），如 4403**********1234")
    name_masked: str | None = Field(description="姓名（脱敏），如 张**")
    phone_masked: str | None = Field(description="手机号（脱敏），如 138****5678")


class PersonOut(PersonBriefOut):
    """A registered person (masked identifiers, consent and activity)."""

    group: str | None = Field(description="人员类别，如 migrant_worker")
    group_name: str | None = Field(description="人员类别（中文）")
    birth_year: int | None = Field(description="出生年份（取自身份证号）")
    region_code: str | None = Field(description="所在地区代码")
    consent_at: datetime = Field(description="本人同意登记的时间（UTC）")
    consent_text_version: str = Field(description="同意书版本")
    created_at: datetime = Field(description="登记时间（UTC）")
    last_activity_at: datetime = Field(description="最近服务时间（UTC），保存期限由此起算")

    @classmethod
    def of(cls, person: Person) -> PersonOut:
        """From the database record."""
        return cls(
            id=person.id,
            id_masked=person.id_masked,
            name_masked=person.name_masked,
            phone_masked=person.phone_masked,
            group=person.group,
            group_name=group_label(person.group),
            birth_year=person.birth_year,
            region_code=person.region_code,
            consent_at=person.consent_at,
            consent_text_version=person.consent_text_version,
            created_at=person.created_at,
            last_activity_at=person.last_activity_at,
        )


class ReferralOut(OutModel):
    """A referral of a person to a course session and where it stands."""

    id: int = Field(description="转介编号")
    person: PersonBriefOut | None = Field(description="服务对象（已按保存期限清除时为空）")
    course_id: str = Field(description="课程编号")
    course_title: str | None = Field(None, description="课程名称（目录中已无该课程时为空）")
    session_id: str = Field(description="班期编号")
    institution_id: str = Field(description="培训机构编号")
    caseworker_id: int | None = Field(description="经办人账号编号")
    status: ReferralStatus = Field(description="状态")
    status_name: str = Field(description="状态（中文）")
    next_statuses: list[ReferralStatus] = Field(description="当前可改为的状态")
    referred_at: datetime = Field(description="转介时间（UTC）")
    enrolled_at: datetime | None = Field(description="报名时间（UTC）")
    completed_at: datetime | None = Field(description="结业时间（UTC）")
    certified_at: datetime | None = Field(description="取证时间（UTC）")
    employed_at: datetime | None = Field(description="就业时间（UTC）")
    withdrawn_at: datetime | None = Field(description="退出时间（UTC）")
    updated_at: datetime = Field(description="最近更新时间（UTC）")
    note: str | None = Field(description="备注（其中的证件号、手机号已脱敏）")

    @classmethod
    def of(cls, referral: Referral, *, course_title: str | None = None) -> ReferralOut:
        """From the database record (its person is loaded if needed)."""
        person = referral.person
        return cls(
            id=referral.id,
            person=None
            if person is None
            else PersonBriefOut(
                id=person.id,
                id_masked=person.id_masked,
                name_masked=person.name_masked,
                phone_masked=person.phone_masked,
            ),
            course_id=referral.course_id,
            course_title=course_title,
            session_id=referral.session_id,
            institution_id=referral.institution_id,
            caseworker_id=referral.caseworker_id,
            status=referral.status,
            status_name=STATUS_LABELS[referral.status],
            next_statuses=[s for s in ReferralStatus if s in allowed_transitions(referral.status)],
            referred_at=referral.referred_at,
            enrolled_at=referral.enrolled_at,
            completed_at=referral.completed_at,
            certified_at=referral.certified_at,
            employed_at=referral.employed_at,
            withdrawn_at=referral.withdrawn_at,
            updated_at=referral.updated_at,
            note=referral.note,
        )


class ReferralPageOut(PageOut):
    """One page of referrals, newest first."""

    items: list[ReferralOut] = Field(description="本页转介记录")


class AuditOut(OutModel):
    """One audit log entry (ids and codes only, never personal data)."""

    id: int = Field(description="编号")
    at: datetime = Field(description="时间（UTC）")
    actor: str = Field(description="操作者：user:<编号>、token:<编号>、system 或 anonymous")
    action: str = Field(description="操作，如 referral.enrolled、auth.login_failed")
    object_type: str | None = Field(description="对象类别，如 referral、person、user")
    object_id: str | None = Field(description="对象编号")
    details: dict[str, Any] = Field(description="细节（代码和编号）")

    @classmethod
    def of(cls, entry: AuditLog) -> AuditOut:
        """From the database record."""
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            details=dict(entry.details or {}),
        )


class AuditPageOut(PageOut):
    """One page of audit entries, newest first."""

    items: list[AuditOut] = Field(description="本页审计记录")
