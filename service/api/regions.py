"""``GET /api/v1/regions``: the GB/T 2260 region tree, code lookup and address resolution.

Regions are reference data shipped with the service, so these endpoints answer before the
catalog is loaded.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field

from service import catalog_queries
from service.api.common import OutModel, error_responses
from service.errors import NotFound

router = APIRouter(tags=["regions"])

RegionCodePath = Annotated[
    str, Path(pattern=r"^\d{6}$", description="6 位行政区划代码", examples=["440305"])
]


class RegionOut(OutModel):
    """A region of GB/T 2260."""

    code: str = Field(description="6 位行政区划代码")
    name: str = Field(description="名称，如 南山区")
    full_name: str = Field(description="全称，如 广东省深圳市南山区")
    level: str = Field(description="层级：province、city、county")
    level_name: str = Field(description="层级（中文）：省级、地市级、县级")
    parent_code: str | None = Field(description="上级地区代码（省级为空）")
    has_children: bool = Field(description="是否有下级地区")
    longitude: float | None = Field(description="经度（无自身坐标时取上级的）")
    latitude: float | None = Field(description="纬度（无自身坐标时取上级的）")


class RegionChildrenOut(OutModel):
    """The children of a region."""

    parent: RegionOut | None = Field(description="上级地区（查询省级列表时为空）")
    items: list[RegionOut] = Field(description="下级地区，按代码排列")


class RegionDetailOut(OutModel):
    """A region and its ancestors."""

    region: RegionOut = Field(description="地区")
    chain: list[RegionOut] = Field(description="从省级到本地区的各级地区")


@router.get(
    "/api/v1/regions",
    response_model=RegionChildrenOut,
    responses=error_responses(404, 414, 422),
    summary="地区下级列表",
)
def region_children(
    parent: Annotated[
        str | None,
        Query(
            pattern=r"^\d{6}$",
            description="上级地区代码；不填时返回 31 个省级地区",
            examples=["440300"],
        ),
    ] = None,
) -> RegionChildrenOut:
    """The children of a region, or the 31 mainland provinces without ``parent``."""
    found = catalog_queries.region_children(parent=parent)
    if found is None:
        raise NotFound(f"未找到地区代码 {parent}")
    return RegionChildrenOut.model_validate(found)


@router.get(
    "/api/v1/regions/resolve",
    response_model=RegionDetailOut,
    responses=error_responses(404, 414, 422),
    summary="从地址识别地区",
)
def resolve_address(
    address: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="自由填写的地址，如 广东省深圳市南山区科技园",
            examples=["广东省深圳市南山区科技园"],
        ),
    ],
) -> RegionDetailOut:
    """The most specific region named in a free-text address."""
    found = catalog_queries.resolve_address(address=address)
    if found is None:
        raise NotFound("未能从地址中识别出地区，请填写省、市、区县名称")
    return RegionDetailOut.model_validate(found)


@router.get(
    "/api/v1/regions/{code}",
    response_model=RegionDetailOut,
    responses=error_responses(404, 422),
    summary="地区详情",
)
def region_detail(code: RegionCodePath) -> RegionDetailOut:
    """A region and its chain of ancestors, province first."""
    found = catalog_queries.region_detail(code=code)
    if found is None:
        raise NotFound(f"未找到地区代码 {code}")
    return RegionDetailOut.model_validate(found)
