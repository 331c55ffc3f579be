"""Referral reports as CSV (UTF-8 with BOM, so Excel opens it) and XLSX.

Only masked personal data is exported (masked ID, phone and name); column headers are
Chinese; times are Beijing time. Cells that a spreadsheet would read as a formula are
prefixed with an apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import GROUP_LABELS, Group
from service.casework.audit import append_audit
from service.casework.common import BEIJING, Actor, as_utc, resolve_now
from service.casework.errors import InvalidInput
from service.casework.referrals import STATUS_LABELS
from service.db.models import Person, Referral, ReferralStatus, User

logger = logging.getLogger(__name__)

MAX_ROWS = 200_000
HEADERS = (
    "转介编号",
    "身份证号（脱敏）",
    "手机号（脱敏）",
    "姓名（脱敏）",
    "人员类别",
    "课程编号",
    "班期编号",
    "机构编号",
    "状态",
    "转介时间",
    "报名时间",
    "结业时间",
    "取证时间",
    "就业时间",
    "退出时间",
    "经办人",
    "备注",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportFilter:
    """Which referrals a report covers (all by default).

    Attributes:
        since: Referred at or after (naive: Beijing time).
        until: Referred before (naive: Beijing time).
        status: Only this status.
        caseworker_id: Only this caseworker's referrals.
        course_id: Only this course.
        institution_id: Only this institution.
    """

    since: datetime | None = None
    until: datetime | None = None
    status: ReferralStatus | None = None
    caseworker_id: int | None = None
    course_id: str | None = None
    institution_id: str | None = None


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _group_label(value: str | None) -> str:
    if not value:
        return ""
    try:
        return GROUP_LABELS[Group(value)]
    except ValueError:
        return value


def report_rows(session: Session, *, flt: ReportFilter | None = None) -> Iterator[list[str]]:
    """The report rows (without the header), masked data only.

    Args:
        session: The open session.
        flt: Which referrals (default all).

    Yields:
        One list of cell strings per referral, in :data:`HEADERS` order.

    Raises:
        InvalidInput: More than 200,000 rows match (narrow the filter).
    """
    flt = flt or ReportFilter()
    query = (
        select(Referral, Person, User.username)
        .outerjoin(Person, Referral.person_id == Person.id)
        .outerjoin(User, Referral.caseworker_id == User.id)
    )
    if flt.since is not None:
        query = query.where(Referral.referred_at >= as_utc(flt.since))
    if flt.until is not None:
        query = query.where(Referral.referred_at < as_utc(flt.until))
    if flt.status is not None:
        query = query.where(Referral.status == flt.status)
    if flt.caseworker_id is not None:
        query = query.where(Referral.caseworker_id == flt.caseworker_id)
    if flt.course_id is not None:
        query = query.where(Referral.course_id == flt.course_id)
    if flt.institution_id is not None:
        query = query.where(Referral.institution_id == flt.institution_id)
    query = query.order_by(Referral.referred_at, Referral.id).limit(MAX_ROWS + 1)
    for count, (referral, person, caseworker) in enumerate(session.execute(query), start=1):
        if count > MAX_ROWS:
            raise InvalidInput(f"导出记录超过 {MAX_ROWS} 条，请缩小时间范围或增加筛选条件")
        yield [
            str(referral.id),
            person.id_masked if person else "（已清除）",
            (person.phone_masked or "") if person else "",
            (person.name_masked or "") if person else "",
            _group_label(person.group) if person else "",
            _cell(referral.course_id),
            _cell(referral.session_id),
            _cell(referral.institution_id),
            STATUS_LABELS[referral.status],
            _when(referral.referred_at),
            _when(referral.enrolled_at),
            _when(referral.completed_at),
            _when(referral.certified_at),
            _when(referral.employed_at),
            _when(referral.withdrawn_at),
            caseworker or "",
            _cell(referral.note or ""),
        ]


def _audit_export(
    session: Session, actor: Actor | None, fmt: str, rows: int, now: datetime | None
) -> None:
    if actor is not None:
        append_audit(
            session,
            actor=actor,
            action="report.export",
            object_type="report",
            object_id="referrals",
            details={"format": fmt, "rows": rows},
            at=resolve_now(now),
        )


def export_referrals_csv(
    session: Session,
    *,
    flt: ReportFilter | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> bytes:
    """The referrals report as CSV bytes (UTF-8 with BOM, CRLF line ends).

    Args:
        session: The open session.
        flt: Which referrals (default all).
        actor: When given, the export is audited.
        now: The current time (for the audit entry).

    Returns:
        The file content.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    rows = 0
    for row in report_rows(session, flt=flt):
        writer.writerow(row)
        rows += 1
    _audit_export(session, actor, "csv", rows, now)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_referrals_xlsx(
    session: Session,
    *,
    flt: ReportFilter | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> bytes:
    """The referrals report as an XLSX workbook (one sheet "转介记录", header row frozen).

    Args:
        session: The open session.
        flt: Which referrals (default all).
        actor: When given, the export is audited.
        now: The current time (for the audit entry).

    Returns:
        The file content.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("转介记录")
    sheet.freeze_panes = "A2"
    widths = (10, 22, 14, 10, 12, 18, 18, 16, 8, 17, 17, 17, 17, 17, 17, 12, 40)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.append(list(HEADERS))
    rows = 0
    for row in report_rows(session, flt=flt):
        sheet.append(row)
        rows += 1
    out = io.BytesIO()
    workbook.save(out)
    _audit_export(session, actor, "xlsx", rows, now)
    return out.getvalue()


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
