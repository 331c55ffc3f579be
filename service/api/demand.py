"""``GET /api/v1/demand``: the training-demand directory by region and/or occupation."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from service import catalog_queries
from service.api.common import (
    InvalidQuery,
    OccupationRefOut,
    OutModel,
    RegionRefOut,
    error_responses,
)
from service.deps import SettingsDep, StateDep
from service.errors import NotReady

router = APIRouter(tags=["demand"])


class LevelSubsidyOut(OutModel):
    """The subsidy of one national level."""

    national_level: int = Field(description="国家职业资格等级：5 初级工 … 1 高级技师")
    name: str = Field(description="等级名称，如 初级工")
    amount: int | None = Field(description="补贴标准（元）；目录中为“——”或“/”时为空")
    uplifted_amount: int | None = Field(
        description="计入紧缺职业和重点职业上浮后的补贴（元）；无补贴时为空"
    )
    marker: str | None = Field(
        description="目录中的标记：“——”国家标准无此等级，“/”该等级不在需求目录；有金额时为空"
    )
    marker_meaning: str | None = Field(description="标记的含义（中文）")


class DemandEntryOut(OutModel):
    """One occupation in one region's training-demand directory."""

    region: RegionRefOut = Field(description="发布目录的地区")
    occupation: OccupationRefOut = Field(description="职业（工种）")
    tier: str = Field(description="紧缺程度：very_short、short、general")
    tier_name: str = Field(description="紧缺程度（中文）：非常紧缺、紧缺、一般紧缺")
    subsidies: list[LevelSubsidyOut] = Field(description="各等级补贴标准（5 级到 1 级）")
    shortage_uplift_pct: int = Field(description="紧缺职业补贴上浮比例（%）")
    key_occupation: bool = Field(description="是否重点职业")
    key_uplift_pct: int = Field(description="重点职业补贴上浮比例（%）")
    valid_from: date = Field(description="有效期起")
    valid_to: date | None = Field(description="有效期止（空表示长期有效）")
    source: str = Field(description="目录名称（出处）")
    applies: bool | None = Field(
        description="按地区查询时：该职业在本地区适用的是否就是这一条（区县、市的目录优先于省）；"
        "只按职业查询时为空"
    )


class DemandPageOut(OutModel):
    """Directory entries in force on a day."""

    on: date = Field(description="查询日期（条目须在当天有效）")
    region: RegionRefOut | None = Field(description="查询的地区")
    occupation: OccupationRefOut | None = Field(description="查询的职业")
    regions_searched: list[RegionRefOut] = Field(
        description="查找的目录所属地区，由具体到上级（本地区、所在市、所在省）"
    )
    items: list[DemandEntryOut] = Field(description="本页条目")
    total: int = Field(description="条目总数")
    limit: int = Field(description="每页数量")
    offset: int = Field(description="偏移量")


@router.get(
    "/api/v1/demand",
    response_model=DemandPageOut,
    responses=error_responses(414, 422, 503),
    summary="培训需求目录查询",
)
def demand_directory(
    state: StateDep,
    settings: SettingsDep,
    region_code: Annotated[
        str | None,
        Query(
            pattern=r"^\d{6}$",
            description="地区代码：返回本地区、所在市和所在省目录的条目",
            examples=["440305"],
        ),
    ] = None,
    occupation_code: Annotated[
        str | None,
        Query(
            pattern=r"^\d-\d{2}-\d{2}-\d{2}$",
            description="职业代码：返回列有该职业的地区目录条目（可与地区代码同时使用）",
            examples=["6-18-02-04"],
        ),
    ] = None,
    on: Annotated[date | None, Query(description="查询日期，默认今天")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="每页数量，最多 500")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="偏移量")] = 0,
) -> DemandPageOut:
    """Directory entries in force on a day for a region's chain and/or an occupation."""
    matcher = state.matcher
    if matcher is None:
        raise NotReady()
    try:
        page = catalog_queries.demand_directory(
            demand=matcher.view.snapshot["demand"],
            on=on or settings.effective_today(),
            region_code=region_code,
            occupation_code=occupation_code,
            limit=limit,
            offset=offset,
            regions=matcher.regions,
            occupations=matcher.occupations,
        )
    except catalog_queries.QueryError as exc:
        raise InvalidQuery.on(exc.field, exc.message) from exc
    return DemandPageOut.model_validate(page)
