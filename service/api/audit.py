"""``GET /api/v1/audit``: the append-only audit log, for supervisors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from service.api.casework_models import AuditOut, AuditPageOut
from service.api.common import PROTECTED, error_responses
from service.casework import audit
from service.deps import AuditReader, DbSession

router = APIRouter(tags=["audit"])


@router.get(
    "/api/v1/audit",
    response_model=AuditPageOut,
    responses=error_responses(*PROTECTED),
    summary="审计日志",
)
def audit_log(
    caller: AuditReader,
    db: DbSession,
    actor: Annotated[
        str | None,
        Query(max_length=32, description="操作者，如 user:3、token:7、system、anonymous"),
    ] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, description="操作，如 referral.enrolled；结尾的 * 匹配前缀"),
    ] = None,
    object_type: Annotated[
        str | None, Query(max_length=32, description="对象类别，如 referral")
    ] = None,
    object_id: Annotated[str | None, Query(max_length=64, description="对象编号")] = None,
    since: Annotated[datetime | None, Query(description="起（含）；不带时区时按北京时间")] = None,
    until: Annotated[datetime | None, Query(description="止（不含）")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="每页数量，最多 500")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="偏移量")] = 0,
) -> AuditPageOut:
    """Audit entries, newest first, filtered and paged."""
    page = audit.list_audit(
        db,
        actor=actor or None,
        action=action or None,
        object_type=object_type or None,
        object_id=object_id or None,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return AuditPageOut(
        items=[AuditOut.of(e) for e in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )
