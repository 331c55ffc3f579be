"""``GET /api/v1/occupations/search``: free text → occupations of the 2022 classification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.api.common import error_responses
from service.deps import StateDep
from service.errors import NotReady

router = APIRouter(tags=["occupations"])


class OccupationOut(BaseModel):
    """One inferred occupation."""

    code: str
    name: str
    score: float


@router.get(
    "/api/v1/occupations/search",
    response_model=list[OccupationOut],
    responses=error_responses(414, 422, 503),
)
def search_occupations(
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="职位名称或一句工作描述")],
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[OccupationOut]:
    """Rank occupations for a job title or a sentence about someone's work."""
    bundle = state.bundle
    if bundle is None:
        raise NotReady()
    hits = bundle.occupations.rank(q, k=limit)
    return [OccupationOut(code=h.code, name=h.name, score=h.score) for h in hits]
