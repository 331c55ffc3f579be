"""``GET /api/v1/courses`` and ``GET /api/v1/courses/{course_id}``: browse the course catalog."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field

from catalog.models import Group, Mode
from catalog.reference.ladder import SkillLevel
from service import catalog_queries
from service.api.common import (
    InvalidQuery,
    OccupationRefOut,
    OutModel,
    RegionRefOut,
    error_responses,
)
from service.deps import SettingsDep, StateDep
from service.errors import NotFound, NotReady

router = APIRouter(tags=["courses"])


class InstitutionRefOut(OutModel):
    """A training provider in short."""

    id: str = Field(description="培训机构编号")
    name: str = Field(description="培训机构名称")
    type: str | None = Field(description="机构类型：technical_school、enterprise 等")
    type_name: str = Field(description="机构类型（中文）")
    grade: str | None = Field(description="分级评价等级：A、B、C、ungraded")
    grade_name: str = Field(description="等级（中文）")


class InstitutionOut(OutModel):
    """A training provider with its address and outcome counts."""

    id: str = Field(description="培训机构编号")
    name: str = Field(description="培训机构名称")
    type: str = Field(description="机构类型")
    type_name: str = Field(description="机构类型（中文）")
    grade: str = Field(description="分级评价等级")
    grade_name: str = Field(description="等级（中文）")
    region: RegionRefOut = Field(description="所在地区")
    address: str = Field(description="地址")
    trained: int = Field(description="累计培训人数")
    certified: int = Field(description="取证人数")
    employed_3m: int = Field(description="结业 3 个月内就业人数")
    employed_6m: int = Field(description="结业 6 个月内就业人数")


class SessionOut(OutModel):
    """One run (班期) of a course."""

    session_id: str = Field(description="班期编号")
    start_date: date = Field(description="开班日期")
    end_date: date = Field(description="结业日期")
    enrol_open: date = Field(description="报名开始日期")
    enrol_close: date = Field(description="报名截止日期")
    capacity: int = Field(description="名额")
    seats_taken: int = Field(description="已报名人数")
    seats_left: int = Field(description="剩余名额")
    enrolling: bool = Field(description="当天是否正在报名且有剩余名额")
    region: RegionRefOut = Field(description="上课地区")
    address: str = Field(description="上课地点（线上课程为“线上”）")
    longitude: float | None = Field(description="经度")
    latitude: float | None = Field(description="纬度")


class CourseOut(OutModel):
    """A course as listed."""

    course_id: str = Field(description="课程（培训项目）编号")
    title: str = Field(description="课程名称")
    occupation: OccupationRefOut = Field(description="培训职业（工种）")
    level: str | None = Field(description="培训等级（八级工：junior、intermediate 等）")
    level_name: str | None = Field(description="培训等级（中文），如 中级工")
    mode: str = Field(description="培训方式：offline、online、blended")
    mode_name: str = Field(description="培训方式（中文）")
    certificate: str = Field(description="证书类型")
    certificate_name: str = Field(description="证书类型（中文）")
    institution: InstitutionRefOut = Field(description="培训机构")
    region: RegionRefOut = Field(description="培训地区")
    hours_total: int = Field(description="总课时")
    hours_practical: int = Field(description="实操课时")
    fee: int = Field(description="培训费（元）")
    subsidy_amount: int = Field(description="培训补贴（元）")
    out_of_pocket: int = Field(description="个人自付（元）")
    eligible_groups: list[str] = Field(description="招收对象（空表示面向各类劳动者）")
    age_min: int = Field(description="年龄下限")
    age_max: int = Field(description="年龄上限")
    employment_service: str = Field(description="就业服务：order、targeted、placement、none")
    sessions_count: int = Field(description="班期数")
    next_session: SessionOut | None = Field(
        description="最近一期正在报名且有名额的班期（按 open_on 或今天），没有则为空"
    )


class CoursePageOut(OutModel):
    """One page of courses."""

    items: list[CourseOut] = Field(description="本页课程")
    total: int = Field(description="符合条件的课程总数")
    limit: int = Field(description="每页数量")
    offset: int = Field(description="偏移量")


class CourseDetailOut(OutModel):
    """A course with its institution and all its sessions."""

    course_id: str = Field(description="课程（培训项目）编号")
    title: str = Field(description="课程名称")
    occupation: OccupationRefOut = Field(description="培训职业（工种）")
    level: str | None = Field(description="培训等级（八级工）")
    level_name: str | None = Field(description="培训等级（中文）")
    mode: str = Field(description="培训方式：offline、online、blended")
    mode_name: str = Field(description="培训方式（中文）")
    certificate: str = Field(description="证书类型")
    certificate_name: str = Field(description="证书类型（中文）")
    region: RegionRefOut = Field(description="培训地区")
    hours_total: int = Field(description="总课时")
    hours_practical: int = Field(description="实操课时")
    fee: int = Field(description="培训费（元）")
    subsidy_amount: int = Field(description="培训补贴（元）")
    subsidy_basis: str = Field(description="补贴依据")
    out_of_pocket: int = Field(description="个人自付（元）")
    eligible_groups: list[str] = Field(description="招收对象（空表示面向各类劳动者）")
    eligible_group_names: list[str] = Field(description="招收对象（中文）")
    age_min: int = Field(description="年龄下限")
    age_max: int = Field(description="年龄上限")
    min_education: str | None = Field(description="最低文化程度")
    min_level: str | None = Field(description="报名须具备的技能等级")
    min_level_name: str | None = Field(description="报名须具备的技能等级（中文）")
    prerequisites: str = Field(description="报名条件")
    employment_service: str = Field(description="就业服务：order、targeted、placement、none")
    employment_service_name: str = Field(description="就业服务（中文）")
    partner_employers: list[str] = Field(description="合作用人单位")
    description: str = Field(description="课程介绍")
    is_demo: bool = Field(description="是否为演示数据")
    institution: InstitutionOut | None = Field(description="培训机构（目录中缺失时为空）")
    sessions: list[SessionOut] = Field(description="全部班期（按开班日期）")
    seats_left: int = Field(description="各班期剩余名额合计")
    next_session: SessionOut | None = Field(description="最近一期正在报名且有名额的班期")


@router.get(
    "/api/v1/courses",
    response_model=CoursePageOut,
    responses=error_responses(414, 422, 503),
    summary="按条件浏览课程",
)
def list_courses(
    state: StateDep,
    settings: SettingsDep,
    region_code: Annotated[
        str | None,
        Query(
            pattern=r"^\d{6}$",
            description="地区代码（省、市或区县），含其下级地区",
            examples=["440300"],
        ),
    ] = None,
    occupation_code: Annotated[
        str | None,
        Query(
            pattern=r"^\d-\d{2}-\d{2}-\d{2}$",
            description="职业代码；给出类别代码（如 6-18-00-00）时含其下全部职业",
            examples=["6-18-00-00"],
        ),
    ] = None,
    mode: Annotated[Mode | None, Query(description="培训方式")] = None,
    open_on: Annotated[date | None, Query(description="只看这一天正在报名且有名额的课程")] = None,
    group: Annotated[Group | None, Query(description="只看招收该类人员的课程")] = None,
    q: Annotated[str | None, Query(max_length=100, description="课程名称中的文字")] = None,
    level: Annotated[SkillLevel | None, Query(description="培训等级")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="每页数量，最多 100")] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="偏移量")] = 0,
) -> CoursePageOut:
    """Courses matching every filter given, in catalog order, with the total count."""
    matcher = state.matcher
    if matcher is None:
        raise NotReady()
    try:
        page = catalog_queries.list_courses(
            view=matcher.view,
            today=settings.effective_today(),
            region_code=region_code,
            occupation_code=occupation_code,
            mode=mode,
            open_on=open_on,
            group=group,
            q=q,
            level=level,
            limit=limit,
            offset=offset,
            regions=matcher.regions,
            occupations=matcher.occupations,
        )
    except catalog_queries.QueryError as exc:
        raise InvalidQuery.on(exc.field, exc.message) from exc
    return CoursePageOut.model_validate(page)


@router.get(
    "/api/v1/courses/{course_id}",
    response_model=CourseDetailOut,
    responses=error_responses(404, 422, 503),
    summary="课程详情",
)
def get_course(
    state: StateDep,
    settings: SettingsDep,
    course_id: Annotated[
        str, Path(min_length=1, max_length=64, pattern=r"^[\w.\-]+$", description="课程编号")
    ],
) -> CourseDetailOut:
    """One course with its institution and all its sessions (with seats left)."""
    matcher = state.matcher
    if matcher is None:
        raise NotReady()
    course = catalog_queries.get_course(
        view=matcher.view,
        course_id=course_id,
        today=settings.effective_today(),
        regions=matcher.regions,
        occupations=matcher.occupations,
    )
    if course is None:
        raise NotFound(f"未找到课程 {course_id}")
    return CourseDetailOut.model_validate(course)
