"""Reports for supervisors: referral exports (CSV, XLSX) and outcome statistics.

Exports carry masked personal data only and are audited; outcome rates are given only with
at least the minimum sample in the denominator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from service.api.common import PROTECTED, error_responses
from service.casework import export, outcomes
from service.casework.common import BEIJING
from service.db.models import ReferralStatus
from service.deps import DbSession, ReportExporter

router = APIRouter(tags=["reports"])

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter(
    since: Annotated[
        datetime | None, Query(description="转介时间起（含）；不带时区时按北京时间")
    ] = None,
    until: Annotated[datetime | None, Query(description="转介时间止（不含）")] = None,
    status: Annotated[ReferralStatus | None, Query(description="状态")] = None,
    caseworker_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="经办人账号编号")
    ] = None,
    course_id: Annotated[str | None, Query(max_length=64, description="课程编号")] = None,
    institution_id: Annotated[str | None, Query(max_length=64, description="机构编号")] = None,
) -> export.ReportFilter:
    return export.ReportFilter(
        since=since,
        until=until,
        status=status,
        caseworker_id=caseworker_id,
        course_id=course_id,
        institution_id=institution_id,
    )


def _file_response(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    responses = error_responses(*PROTECTED)
    responses[200] = {"content": {media_type: {}}, "description": description}
    return responses


FilterDep = Annotated[export.ReportFilter, Depends(_filter)]


def _attachment(content: bytes, media_type: str, suffix: str) -> Response:
    name = f"referrals-{datetime.now(BEIJING):%Y%m%d-%H%M}.{suffix}"
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/api/v1/reports/referrals.csv",
    response_class=Response,
    responses=_file_response(CSV_TYPE, "CSV（UTF-8 带 BOM）"),
    summary="导出转介记录（CSV，个人信息已脱敏）",
)
def referrals_csv(caller: ReportExporter, db: DbSession, flt: FilterDep) -> Response:
    """The referrals report as CSV (UTF-8 with BOM, so Excel opens it)."""
    content = export.export_referrals_csv(db, flt=flt, actor=caller.actor)
    return _attachment(content, CSV_TYPE, "csv")


@router.get(
    "/api/v1/reports/referrals.xlsx",
    response_class=Response,
    responses=_file_response(XLSX_TYPE, "Excel 工作簿"),
    summary="导出转介记录（XLSX，个人信息已脱敏）",
)
def referrals_xlsx(caller: ReportExporter, db: DbSession, flt: FilterDep) -> Response:
    """The referrals report as an Excel workbook (one sheet, header row frozen)."""
    content = export.export_referrals_xlsx(db, flt=flt, actor=caller.actor)
    return _attachment(content, XLSX_TYPE, "xlsx")


class OutcomeStatsOut(BaseModel):
    """Counts and rates of one course or institution."""

    key: str = Field(description="课程编号或机构编号")
    referred: int = Field(description="转介人数")
    enrolled: int = Field(description="其中报名人数")
    completed: int = Field(description="结业人数")
    certified: int = Field(description="取证人数")
    employed: int = Field(description="就业人数")
    completion_rate: float | None = Field(description="结业率 = 结业/报名；样本不足时为空")
    certification_rate: float | None = Field(description="取证率 = 取证/结业；样本不足时为空")
    employment_rate: float | None = Field(description="就业率 = 就业/结业；样本不足时为空")


class OutcomesOut(BaseModel):
    """Outcome statistics from referrals, per course and per institution."""

    generated_at: datetime = Field(description="统计时间（UTC）")
    min_sample: int = Field(description="计算比率所需的最小样本（分母人数）")
    courses: list[OutcomeStatsOut] = Field(description="各课程")
    institutions: list[OutcomeStatsOut] = Field(description="各培训机构")


def _stats(items: list[outcomes.OutcomeStats]) -> list[OutcomeStatsOut]:
    names = list(OutcomeStatsOut.model_fields)
    return [OutcomeStatsOut.model_validate({k: getattr(s, k) for k in names}) for s in items]


@router.get(
    "/api/v1/outcomes",
    response_model=OutcomesOut,
    responses=error_responses(*PROTECTED),
    summary="培训成效统计（按课程和机构）",
)
def outcome_statistics(
    caller: ReportExporter,
    db: DbSession,
    min_sample: Annotated[
        int,
        Query(
            ge=outcomes.DEFAULT_MIN_SAMPLE,
            le=100_000,
            description=f"最小样本，不低于 {outcomes.DEFAULT_MIN_SAMPLE}",
        ),
    ] = outcomes.DEFAULT_MIN_SAMPLE,
    since: Annotated[
        datetime | None, Query(description="只统计此时间以后的转介；不带时区时按北京时间")
    ] = None,
) -> OutcomesOut:
    """Completion, certification and employment rates computed from referrals.

    A rate is given only when its denominator reaches the minimum sample; below it the rate
    is empty and ranking keeps its prior.
    """
    report = outcomes.compute_outcomes(db, min_sample=min_sample, since=since)
    return OutcomesOut(
        generated_at=report.generated_at,
        min_sample=report.min_sample,
        courses=_stats(report.courses),
        institutions=_stats(report.institutions),
    )
