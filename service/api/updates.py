"""Catalog updates without downtime (admins): upload → report and diff → approve → switch.

Thin routes over :class:`service.updates.UpdateManager`: uploading validates the file against the
catalog being served and shows what would change; approving builds the new snapshot and index
bundle in the background (the job's ``progress`` and ``phase`` say how far it is) and switches
atomically; the service keeps answering throughout, and a failed build leaves the old catalog
and index serving. Every step is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, UploadFile

from service.api.common import error_responses
from service.casework.audit import append_audit
from service.deps import CatalogUpdater, DbSession, UpdatesDep

router = APIRouter(prefix="/api/v1/admin/catalog/updates", tags=["admin"])

JobId = Annotated[str, Path(max_length=40, pattern=r"^[0-9A-Za-z-]+$", description="更新任务编号")]


def _audit(session: DbSession, caller: CatalogUpdater, action: str, job: dict[str, Any]) -> None:
    append_audit(
        session,
        actor=caller.actor,
        action=f"catalog_update.{action}",
        object_type="catalog_update",
        object_id=str(job["job_id"]),
        details={"kind": job["kind"], "status": job["status"], "diff": job.get("diff")},
    )


@router.post("", status_code=201, responses=error_responses(400, 401, 403, 409, 413, 422))
def upload(
    caller: CatalogUpdater,
    session: DbSession,
    updates: UpdatesDep,
    kind: Annotated[str, Form(description="文件类型：courses、institutions 或 demand")],
    file: Annotated[UploadFile, File(description="CSV、XLSX 或 JSON 文件")],
    region_code: Annotated[str | None, Form(max_length=12, description="整份文件所属地区")] = None,
    valid_from: Annotated[str | None, Form(max_length=10, description="目录生效日期")] = None,
    partial: Annotated[bool, Form(description="只导入有效行")] = False,
) -> dict[str, Any]:
    """Upload a catalog or directory file: it is validated and compared, nothing changes yet."""
    data = file.file.read(updates.max_upload_bytes + 1)
    job = updates.stage(
        kind,
        file.filename or "upload",
        data,
        str(caller.actor),
        region_code or None,
        valid_from or None,
        partial=partial,
    ).to_json()
    _audit(session, caller, "upload", job)
    return job


@router.get("", responses=error_responses(401, 403))
def list_updates(caller: CatalogUpdater, updates: UpdatesDep) -> list[dict[str, Any]]:
    """Update jobs, newest first."""
    return [job.to_json() for job in updates.list(limit=50)]


@router.get("/{job_id}", responses=error_responses(401, 403, 404))
def get_update(job_id: JobId, caller: CatalogUpdater, updates: UpdatesDep) -> dict[str, Any]:
    """One job: report, difference, progress of the build, versions before and after."""
    return updates.get(job_id).to_json()


@router.post("/{job_id}/approve", responses=error_responses(401, 403, 404, 409))
def approve(
    job_id: JobId, caller: CatalogUpdater, session: DbSession, updates: UpdatesDep
) -> dict[str, Any]:
    """Apply a validated upload: import and index in the background, then switch."""
    job = updates.approve(job_id, str(caller.actor)).to_json()
    _audit(session, caller, "approve", job)
    return job


@router.post("/{job_id}/revalidate", responses=error_responses(401, 403, 404, 409))
def revalidate(
    job_id: JobId, caller: CatalogUpdater, session: DbSession, updates: UpdatesDep
) -> dict[str, Any]:
    """Validate and compare again (after the catalog changed since the upload)."""
    job = updates.revalidate(job_id, str(caller.actor)).to_json()
    _audit(session, caller, "revalidate", job)
    return job


@router.post("/{job_id}/cancel", responses=error_responses(401, 403, 404, 409))
def cancel(
    job_id: JobId, caller: CatalogUpdater, session: DbSession, updates: UpdatesDep
) -> dict[str, Any]:
    """Drop an upload that has not been approved."""
    job = updates.cancel(job_id, str(caller.actor)).to_json()
    _audit(session, caller, "cancel", job)
    return job
