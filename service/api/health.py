"""Health and readiness.

``GET /api/v1/health``: ok once the service can answer, 503 while starting.
``GET /api/v1/ready``: 200 with what is loaded (versions, course count, model), else 503.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from service.api.common import error_responses
from service.deps import StateDep
from service.errors import NotReady
from service.state import Readiness

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Health response."""

    status: str
    catalog_version: str | None
    index_version: str | None
    demo: bool | None = None


class Ready(BaseModel):
    """What the service is serving."""

    status: str = Field(description="ok：目录、索引和匹配引擎均已载入")
    catalog_version: str = Field(description="课程目录快照版本")
    index_version: str = Field(description="索引包版本")
    courses: int = Field(description="目录中的课程数")
    indexed_courses: int | None = Field(description="索引中的课程数")
    model_id: str | None = Field(description="编码模型标识")
    catalog_created_at: str = Field(description="目录快照生成时间（UTC）")
    index_built_at: str | None = Field(description="索引包构建时间（UTC）")
    demo: bool = Field(description="是否为演示数据")
    loaded_at: str | None = Field(None, description="本进程载入目录和索引的时间（UTC）")


@router.get(
    "/api/v1/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "服务正在启动或载入失败"}},
)
def health(state: StateDep) -> JSONResponse:
    """Report readiness and what is being served."""
    snapshot = state.snapshot
    body = Health(
        status=state.readiness.value,
        catalog_version=state.catalog_version,
        index_version=state.index_version,
        demo=snapshot.manifest.demo if snapshot else None,
    )
    status = 200 if state.readiness is Readiness.OK else 503
    return JSONResponse(body.model_dump(), status_code=status)


@router.get("/api/v1/ready", response_model=Ready, responses=error_responses(503))
def ready(state: StateDep) -> Ready:
    """200 only once the catalog, the index bundle and the matching engine are all loaded."""
    snapshot, bundle, matcher = state.snapshot, state.bundle, state.matcher
    if snapshot is None or bundle is None or matcher is None:
        if state.readiness is Readiness.FAILED:
            raise NotReady("目录或索引未能载入，请联系管理员检查服务日志")
        raise NotReady()
    counts = bundle.manifest.get("counts") or {}
    return Ready(
        status="ok",
        catalog_version=snapshot.version,
        index_version=bundle.version,
        courses=matcher.view.courses.num_rows,
        indexed_courses=counts.get("courses"),
        model_id=bundle.manifest.get("model_id"),
        catalog_created_at=snapshot.manifest.created_at,
        index_built_at=bundle.manifest.get("built_at"),
        demo=snapshot.manifest.demo,
        loaded_at=state.loaded_at.isoformat() if state.loaded_at else None,
    )
