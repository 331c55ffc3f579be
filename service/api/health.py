"""``GET /api/v1/health``: ok once the service can answer, 503 while starting."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service.deps import StateDep
from service.state import Readiness

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Health response."""

    status: str
    catalog_version: str | None
    index_version: str | None
    demo: bool | None = None


@router.get("/api/v1/health", response_model=Health)
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
