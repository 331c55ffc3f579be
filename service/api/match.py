"""``POST /api/v1/match``: a profile in, recommended courses out (see design/API.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from catalog.models import Education, Group
from service.api.common import PlainJSONResponse, error_responses
from service.deps import SettingsDep, StateDep
from service.errors import NotReady, ServiceError
from service.matching.engine import MatchOptions
from service.matching.profile import ProfileError, build_profile

router = APIRouter(tags=["match"])


class MatchRequest(BaseModel):
    """A job-seeker's profile."""

    # The documented constraints (enum, minimum, maximum) are checked by build_profile, which
    # gives each field its own Chinese message; they are in the schema for clients and fuzzers.
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "group": "migrant_worker",
                    "age": 36,
                    "education": "初中",
                    "region_code": "440305",
                    "text": "在工地干了几年电焊，想考个证",
                }
            ]
        },
    )

    group: str = Field(
        description="人员类别，如 unemployed、migrant_worker",
        json_schema_extra={"enum": [g.value for g in Group]},
    )
    age: int = Field(description="年龄，16–75", json_schema_extra={"minimum": 16, "maximum": 75})
    education: str | None = Field(
        None,
        description="学历：小学 初中 高中 中专 大专 本科 硕士 博士",
        json_schema_extra={"enum": [*(e.value for e in Education), None]},
    )
    region_code: str | None = Field(None, max_length=12, description="6 位行政区划代码")
    address: str | None = Field(
        None, max_length=200, description="地址（无地区代码时用于识别地区）"
    )
    relocate: bool = Field(False, description="愿意到外地培训或就业")
    online_only: bool = Field(False, description="只能参加线上培训")
    text: str = Field("", max_length=1000, description="本人的话：经历、技能、限制和愿望")
    current_level: str | None = Field(None, max_length=20, description="现有技能等级")
    limit: int = Field(
        10, description="返回数量，最多 50", json_schema_extra={"minimum": 1, "maximum": 50}
    )


class InvalidProfile(ServiceError):
    """A profile field is invalid."""

    status_code = 422
    code = "invalid_profile"


@router.post(
    "/api/v1/match",
    response_model=dict[str, Any],
    response_class=PlainJSONResponse,
    responses=error_responses(400, 413, 414, 422, 503),
)
def match(
    body: MatchRequest,
    state: StateDep,
    settings: SettingsDep,
    explain: Annotated[bool, Query(description="同时返回未入选的相近课程及原因")] = False,
) -> PlainJSONResponse:
    """Recommend courses for a profile, best first, each with plain-Chinese reasons."""
    matcher = state.matcher
    if matcher is None:
        raise NotReady()
    try:
        profile = build_profile(regions=matcher.regions, **body.model_dump())
    except ProfileError as exc:
        raise InvalidProfile(exc.message, [{"field": exc.field, "reason": exc.message}]) from exc
    result = matcher.match(profile, MatchOptions(today=settings.effective_today(), explain=explain))
    out: dict[str, Any] = {
        "occupations": result.occupations,
        "results": result.results,
        "region": result.region,
        "catalog_version": result.catalog_version,
        "index_version": result.index_version,
    }
    if explain:
        out["excluded"] = result.excluded
    return PlainJSONResponse(out)
