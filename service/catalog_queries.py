"""Read-only queries over the served catalog: courses, the demand directory and regions.

Plain functions with keyword-only arguments and no HTTP in them; they return internal records
(frozen dataclasses) that the API turns into its response models, ``None`` for an unknown id,
and raise :class:`QueryError` for a parameter that is well formed but names nothing known.

Filters run as Arrow compute kernels over whole columns, so a query over a million-course
snapshot costs a few column scans; rows become Python objects only for the page returned.
"""

from __future__ import annotations

import functools
import threading
import weakref
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.models import (
    CERTIFICATE_LABELS,
    EMPLOYMENT_SERVICE_LABELS,
    GRADE_LABELS,
    GROUP_LABELS,
    INSTITUTION_TYPE_LABELS,
    MODE_LABELS,
    NATIONAL_LEVELS,
    TIER_LABELS,
    CertificateType,
    EmploymentService,
    Group,
    InstitutionGrade,
    InstitutionType,
    Mode,
    UrgencyTier,
)
from catalog.reference.ladder import SkillLevel, rung, rung_for_national_level
from catalog.reference.occupations import OccupationIndex, load_occupations
from catalog.reference.regions import Region, RegionIndex, RegionLevel, load_regions
from catalog.rules.demand import region_chain
from catalog.text import normalize_text
from service.matching.catalog_view import CatalogView

MAX_COURSE_PAGE = 100
MAX_DEMAND_PAGE = 500
NOT_IN_STANDARD = "——"
NOT_IN_DEMAND = "/"
MARKER_MEANINGS = {
    NOT_IN_STANDARD: "国家职业技能标准无此等级",
    NOT_IN_DEMAND: "该等级未列入需求目录，无补贴",
}
REGION_LEVEL_LABELS = {
    RegionLevel.PROVINCE: "省级",
    RegionLevel.CITY: "地市级",
    RegionLevel.COUNTY: "县级",
}
# County-level rows that stand for "the city's districts" rather than a place.
_PLACEHOLDER_COUNTIES = frozenset({"市辖区", "县"})
_TIER_ORDER = {tier.value: i for i, tier in enumerate(UrgencyTier)}


class QueryError(ValueError):
    """A query parameter is well formed but cannot be used (e.g. an unknown region code).

    Attributes:
        field: The parameter's name.
        message: What is wrong, in Chinese.
    """

    def __init__(self, field: str, message: str) -> None:
        """Name the parameter and say what is wrong with it."""
        super().__init__(message)
        self.field = field
        self.message = message


# -- records ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegionRef:
    """A region as other records point to it: code and full name."""

    code: str
    name: str


@dataclass(frozen=True)
class OccupationRef:
    """An occupation of the 2022 classification: code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class InstitutionRef:
    """A training provider in short."""

    id: str
    name: str
    type: str | None
    type_name: str
    grade: str | None
    grade_name: str


@dataclass(frozen=True)
class InstitutionDetail:
    """A training provider with its address and outcome counts."""

    id: str
    name: str
    type: str
    type_name: str
    grade: str
    grade_name: str
    region: RegionRef
    address: str
    trained: int
    certified: int
    employed_3m: int
    employed_6m: int


@dataclass(frozen=True)
class SessionRecord:
    """One run (班期) of a course."""

    session_id: str
    start_date: date
    end_date: date
    enrol_open: date
    enrol_close: date
    capacity: int
    seats_taken: int
    seats_left: int
    enrolling: bool
    region: RegionRef
    address: str
    longitude: float | None
    latitude: float | None


@dataclass(frozen=True)
class CourseSummary:
    """A course as listed: what, where, who runs it, cost and the next session open."""

    course_id: str
    title: str
    occupation: OccupationRef
    level: str | None
    level_name: str | None
    mode: str
    mode_name: str
    certificate: str
    certificate_name: str
    institution: InstitutionRef
    region: RegionRef
    hours_total: int
    hours_practical: int
    fee: int
    subsidy_amount: int
    out_of_pocket: int
    eligible_groups: list[str]
    age_min: int
    age_max: int
    employment_service: str
    sessions_count: int
    next_session: SessionRecord | None


@dataclass(frozen=True)
class CoursePage:
    """One page of a course listing."""

    items: list[CourseSummary]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class CourseDetail:
    """A course with every field, its institution and all its sessions."""

    course_id: str
    title: str
    occupation: OccupationRef
    level: str | None
    level_name: str | None
    mode: str
    mode_name: str
    certificate: str
    certificate_name: str
    region: RegionRef
    hours_total: int
    hours_practical: int
    fee: int
    subsidy_amount: int
    subsidy_basis: str
    out_of_pocket: int
    eligible_groups: list[str]
    eligible_group_names: list[str]
    age_min: int
    age_max: int
    min_education: str | None
    min_level: str | None
    min_level_name: str | None
    prerequisites: str
    employment_service: str
    employment_service_name: str
    partner_employers: list[str]
    description: str
    is_demo: bool
    institution: InstitutionDetail | None
    sessions: list[SessionRecord]
    seats_left: int
    next_session: SessionRecord | None


@dataclass(frozen=True)
class LevelSubsidy:
    """The subsidy of one national level in a directory entry.

    ``amount`` is ``None`` where the published table has a marker instead of an amount:
    "——" (the national standard has no such level) or "/" (the level is not in demand).
    """

    national_level: int
    name: str
    amount: int | None
    uplifted_amount: int | None
    marker: str | None
    marker_meaning: str | None


@dataclass(frozen=True)
class DemandRecord:
    """One occupation in one region's training-demand directory."""

    region: RegionRef
    occupation: OccupationRef
    tier: str
    tier_name: str
    subsidies: list[LevelSubsidy]
    shortage_uplift_pct: int
    key_occupation: bool
    key_uplift_pct: int
    valid_from: date
    valid_to: date | None
    source: str
    applies: bool | None


@dataclass(frozen=True)
class DemandPage:
    """Directory entries in force on a day, for a region's chain and/or an occupation."""

    on: date
    region: RegionRef | None
    occupation: OccupationRef | None
    regions_searched: list[RegionRef]
    items: list[DemandRecord]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class RegionRecord:
    """A region of GB/T 2260."""

    code: str
    name: str
    full_name: str
    level: str
    level_name: str
    parent_code: str | None
    has_children: bool
    longitude: float | None
    latitude: float | None


@dataclass(frozen=True)
class RegionChildren:
    """The children of a region (the provinces at the top)."""

    parent: RegionRecord | None
    items: list[RegionRecord]


@dataclass(frozen=True)
class RegionDetail:
    """A region with its chain of ancestors (province first, the region itself last)."""

    region: RegionRecord
    chain: list[RegionRecord]


# -- courses ---------------------------------------------------------------------------------
def list_courses(
    *,
    view: CatalogView,
    today: date,
    region_code: str | None = None,
    occupation_code: str | None = None,
    mode: Mode | None = None,
    open_on: date | None = None,
    group: Group | None = None,
    q: str | None = None,
    level: SkillLevel | None = None,
    limit: int = 20,
    offset: int = 0,
    regions: RegionIndex | None = None,
    occupations: OccupationIndex | None = None,
) -> CoursePage:
    """Courses matching every filter given, in catalog order, one page at a time.

    Args:
        view: The served catalog.
        today: The day ``next_session`` is computed for when ``open_on`` is not given.
        region_code: A province, city or county: courses held in it (prefix of the code).
        occupation_code: An occupation (exact) or a category (all occupations under it).
        mode: Delivery mode.
        open_on: Only courses with a session taking enrolments that day with seats left.
        group: Only courses open to this group (courses open to everyone included).
        q: Text that must appear in the title (NFKC, traditional folded to simplified).
        level: Skill level trained for.
        limit: Page size, 1..100.
        offset: Rows skipped.
        regions: Region reference (the installed one by default).
        occupations: Occupation classification (the installed one by default).

    Returns:
        The page and the total number of matching courses.

    Raises:
        QueryError: For an unknown region or occupation code, or a page outside bounds.
    """
    regions = load_regions() if regions is None else regions
    occupations = load_occupations() if occupations is None else occupations
    if not 1 <= limit <= MAX_COURSE_PAGE:
        raise QueryError("limit", f"每页数量须在 1–{MAX_COURSE_PAGE} 之间")
    if offset < 0:
        raise QueryError("offset", "偏移量不能为负数")
    courses = view.courses
    masks: list[Any] = []
    if region_code:
        region = regions.get(region_code)
        if region is None:
            raise QueryError("region_code", "未知的地区代码")
        masks.append(_region_mask(courses.column("region_code"), region))
    if occupation_code:
        masks.append(
            _occupation_mask(courses.column("occupation_code"), occupation_code, occupations)
        )
    if mode is not None:
        masks.append(pc.equal(courses.column("mode"), Mode(mode).value))
    if level is not None:
        masks.append(pc.equal(courses.column("level"), SkillLevel(level).value))
    if group is not None:
        masks.append(_group_mask(courses.column("eligible_groups"), Group(group).value))
    text = normalize_text(q) if q else ""
    if text:
        masks.append(pc.match_substring(courses.column("title"), text, ignore_case=True))
    if open_on is not None:
        masks.append(_enrolling_mask(view, open_on))
    rows = _selected_rows(courses.num_rows, masks)
    page = [int(r) for r in rows[offset : offset + limit]]
    items = _summaries(view, page, open_on or today, regions, occupations)
    return CoursePage(items=items, total=len(rows), limit=limit, offset=offset)


def get_course(
    *,
    view: CatalogView,
    course_id: str,
    today: date,
    regions: RegionIndex | None = None,
    occupations: OccupationIndex | None = None,
) -> CourseDetail | None:
    """One course with its institution and all its sessions.

    Args:
        view: The served catalog.
        course_id: The course's id.
        today: The day ``enrolling`` and ``next_session`` are computed for.
        regions: Region reference (the installed one by default).
        occupations: Occupation classification (the installed one by default).

    Returns:
        The course, or ``None`` when the catalog has no such course.
    """
    regions = load_regions() if regions is None else regions
    occupations = load_occupations() if occupations is None else occupations
    row = int(pc.index(view.courses.column("course_id"), course_id).as_py())
    if row < 0:
        return None
    course = view.course_rows([row])[0]
    sessions = [_session(s, today, regions) for s in view.sessions_of([row])[0]]
    level = course["level"]
    min_level = course["min_level"]
    groups = list(course["eligible_groups"] or [])
    return CourseDetail(
        course_id=course["course_id"],
        title=course["title"],
        occupation=_occupation_ref(course["occupation_code"], occupations),
        level=level,
        level_name=rung(SkillLevel(level)).name if level else None,
        mode=course["mode"],
        mode_name=MODE_LABELS[Mode(course["mode"])],
        certificate=course["certificate"],
        certificate_name=CERTIFICATE_LABELS[CertificateType(course["certificate"])],
        region=_region_ref(course["region_code"], regions),
        hours_total=int(course["hours_total"]),
        hours_practical=int(course["hours_practical"]),
        fee=int(course["fee"]),
        subsidy_amount=int(course["subsidy_amount"]),
        subsidy_basis=course["subsidy_basis"] or "",
        out_of_pocket=max(int(course["fee"]) - int(course["subsidy_amount"]), 0),
        eligible_groups=groups,
        eligible_group_names=[GROUP_LABELS[Group(g)] for g in groups],
        age_min=int(course["age_min"]),
        age_max=int(course["age_max"]),
        min_education=course["min_education"],
        min_level=min_level,
        min_level_name=rung(SkillLevel(min_level)).name if min_level else None,
        prerequisites=course["prerequisites"] or "",
        employment_service=course["employment_service"],
        employment_service_name=EMPLOYMENT_SERVICE_LABELS[
            EmploymentService(course["employment_service"])
        ],
        partner_employers=list(course["partner_employers"] or []),
        description=course["description"] or "",
        is_demo=bool(course["is_demo"]),
        institution=_institution_detail(view, course["institution_id"], regions),
        sessions=sessions,
        seats_left=sum(s.seats_left for s in sessions),
        next_session=next((s for s in sessions if s.enrolling), None),
    )


def _selected_rows(num_rows: int, masks: list[Any]) -> np.ndarray[Any, Any]:
    if not masks:
        return np.arange(num_rows, dtype=np.int64)
    combined = functools.reduce(pc.and_kleene, masks)
    flags = pa.chunked_array([combined]) if isinstance(combined, pa.Array) else combined
    return np.flatnonzero(flags.fill_null(False).to_numpy())


def _region_mask(column: pa.ChunkedArray, region: Region) -> Any:
    if region.level is RegionLevel.PROVINCE:
        return pc.starts_with(column, region.code[:2])
    if region.level is RegionLevel.CITY:
        return pc.starts_with(column, region.code[:4])
    return pc.equal(column, region.code)


def _occupation_mask(column: pa.ChunkedArray, code: str, occupations: OccupationIndex) -> Any:
    occupation = occupations.get(code)
    if occupation is None:
        raise QueryError("occupation_code", "未知的职业代码")
    if occupation.is_leaf:
        return pc.equal(column, code)
    prefix = {1: code[:2], 2: code[:5], 3: code[:8]}[occupation.level]
    return pc.starts_with(column, prefix)


def _group_mask(column: pa.ChunkedArray, group: str) -> pa.ChunkedArray:
    """Rows whose ``eligible_groups`` is empty (open to all) or lists ``group``."""
    chunks = []
    for chunk in column.chunks:
        open_to_all = pc.fill_null(pc.equal(pc.list_value_length(chunk), 0), True)
        hits = pc.filter(pc.list_parent_indices(chunk), pc.equal(pc.list_flatten(chunk), group))
        listed = np.zeros(len(chunk), dtype=bool)
        listed[hits.to_numpy(zero_copy_only=False)] = True
        chunks.append(pc.or_(open_to_all, pa.array(listed)))
    return pa.chunked_array(chunks, type=pa.bool_())


def _enrolling_mask(view: CatalogView, day: date) -> pa.Array:
    """Course rows with a session taking enrolments on ``day`` with seats left."""
    sessions = view.sessions
    when = pa.scalar(day, type=pa.date32())
    mask = pc.and_(
        pc.and_(
            pc.less_equal(sessions.column("enrol_open"), when),
            pc.greater_equal(sessions.column("enrol_close"), when),
        ),
        pc.greater(sessions.column("capacity"), sessions.column("seats_taken")),
    )
    rows = _session_course_rows(view)[np.asarray(mask.to_numpy(zero_copy_only=False))]
    out = np.zeros(view.courses.num_rows, dtype=bool)
    out[rows[rows >= 0]] = True
    return pa.array(out)


_SESSION_COURSE_ROWS: weakref.WeakKeyDictionary[CatalogView, np.ndarray[Any, Any]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_LOCK = threading.Lock()


def _session_course_rows(view: CatalogView) -> np.ndarray[Any, Any]:
    """The course row of each session row (-1 for orphans), computed once per catalog view."""
    with _CACHE_LOCK:
        found = _SESSION_COURSE_ROWS.get(view)
        if found is None:
            found = (
                pc.index_in(
                    view.sessions.column("course_id"),
                    value_set=view.courses.column("course_id").combine_chunks(),
                )
                .fill_null(-1)
                .to_numpy(zero_copy_only=False)
                .astype(np.int64)
            )
            _SESSION_COURSE_ROWS[view] = found
        return found


def _summaries(
    view: CatalogView,
    rows: list[int],
    day: date,
    regions: RegionIndex,
    occupations: OccupationIndex,
) -> list[CourseSummary]:
    out = []
    for course, sessions in zip(view.course_rows(rows), view.sessions_of(rows), strict=True):
        level = course["level"]
        records = [_session(s, day, regions) for s in sessions]
        out.append(
            CourseSummary(
                course_id=course["course_id"],
                title=course["title"],
                occupation=_occupation_ref(course["occupation_code"], occupations),
                level=level,
                level_name=rung(SkillLevel(level)).name if level else None,
                mode=course["mode"],
                mode_name=MODE_LABELS[Mode(course["mode"])],
                certificate=course["certificate"],
                certificate_name=CERTIFICATE_LABELS[CertificateType(course["certificate"])],
                institution=_institution_ref(view, course["institution_id"]),
                region=_region_ref(course["region_code"], regions),
                hours_total=int(course["hours_total"]),
                hours_practical=int(course["hours_practical"]),
                fee=int(course["fee"]),
                subsidy_amount=int(course["subsidy_amount"]),
                out_of_pocket=max(int(course["fee"]) - int(course["subsidy_amount"]), 0),
                eligible_groups=list(course["eligible_groups"] or []),
                age_min=int(course["age_min"]),
                age_max=int(course["age_max"]),
                employment_service=course["employment_service"],
                sessions_count=len(records),
                next_session=next((s for s in records if s.enrolling), None),
            )
        )
    return out


def _session(row: dict[str, Any], day: date, regions: RegionIndex) -> SessionRecord:
    seats_left = int(row["capacity"]) - int(row["seats_taken"])
    return SessionRecord(
        session_id=row["session_id"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        enrol_open=row["enrol_open"],
        enrol_close=row["enrol_close"],
        capacity=int(row["capacity"]),
        seats_taken=int(row["seats_taken"]),
        seats_left=seats_left,
        enrolling=row["enrol_open"] <= day <= row["enrol_close"] and seats_left > 0,
        region=_region_ref(row["region_code"], regions),
        address=row["address"] or "",
        longitude=row["longitude"],
        latitude=row["latitude"],
    )


def _institution_ref(view: CatalogView, institution_id: str) -> InstitutionRef:
    inst = view.institutions.get(institution_id)
    if inst is None:
        return InstitutionRef(institution_id, "", None, "", None, "")
    return InstitutionRef(
        id=inst.institution_id,
        name=inst.name,
        type=inst.type,
        type_name=INSTITUTION_TYPE_LABELS[InstitutionType(inst.type)],
        grade=inst.grade,
        grade_name=GRADE_LABELS[InstitutionGrade(inst.grade)],
    )


def _institution_detail(
    view: CatalogView, institution_id: str, regions: RegionIndex
) -> InstitutionDetail | None:
    table: pa.Table = view.snapshot["institutions"]
    found = table.filter(pc.equal(table.column("institution_id"), institution_id))
    if found.num_rows == 0:
        return None
    row = found.slice(0, 1).to_pylist()[0]
    return InstitutionDetail(
        id=row["institution_id"],
        name=row["name"],
        type=row["type"],
        type_name=INSTITUTION_TYPE_LABELS[InstitutionType(row["type"])],
        grade=row["grade"],
        grade_name=GRADE_LABELS[InstitutionGrade(row["grade"])],
        region=_region_ref(row["region_code"], regions),
        address=row["address"] or "",
        trained=int(row["trained"]),
        certified=int(row["certified"]),
        employed_3m=int(row["employed_3m"]),
        employed_6m=int(row["employed_6m"]),
    )


def _region_ref(code: str, regions: RegionIndex) -> RegionRef:
    return RegionRef(code=code, name=regions.full_name(code) if code in regions else "")


def _occupation_ref(code: str, occupations: OccupationIndex) -> OccupationRef:
    occupation = occupations.get(code)
    return OccupationRef(code=code, name=occupation.name if occupation else "")


# -- demand directory ------------------------------------------------------------------------
def demand_directory(
    *,
    demand: pa.Table,
    on: date,
    region_code: str | None = None,
    occupation_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
    regions: RegionIndex | None = None,
    occupations: OccupationIndex | None = None,
) -> DemandPage:
    """Training-demand directory entries in force on a day.

    With a region: the entries of the region, its city and its province (most specific first);
    for each occupation the entry of the most specific directory is the one that applies
    (``applies``), as in the matching engine. With an occupation: the regions whose directory
    lists it. With both: that occupation in the region's chain.

    Args:
        demand: The snapshot's ``demand`` table.
        on: The day the entries must be in force.
        region_code: A province, city or county.
        occupation_code: An occupation (leaf) code.
        limit: Page size, 1..500.
        offset: Entries skipped.
        regions: Region reference (the installed one by default).
        occupations: Occupation classification (the installed one by default).

    Returns:
        The page of entries and their total.

    Raises:
        QueryError: When neither a region nor an occupation is given, or a code is unknown.
    """
    regions = load_regions() if regions is None else regions
    occupations = load_occupations() if occupations is None else occupations
    if not region_code and not occupation_code:
        raise QueryError("region_code", "请至少提供地区代码或职业代码之一")
    if not 1 <= limit <= MAX_DEMAND_PAGE:
        raise QueryError("limit", f"每页数量须在 1–{MAX_DEMAND_PAGE} 之间")
    if offset < 0:
        raise QueryError("offset", "偏移量不能为负数")
    when = pa.scalar(on, type=pa.date32())
    valid_to = demand.column("valid_to")
    mask = pc.and_(
        pc.less_equal(demand.column("valid_from"), when),
        pc.or_(pc.is_null(valid_to), pc.fill_null(pc.greater_equal(valid_to, when), False)),
    )
    region_ref: RegionRef | None = None
    chain: tuple[str, ...] = ()
    if region_code:
        if region_code not in regions:
            raise QueryError("region_code", "未知的地区代码")
        region_ref = _region_ref(region_code, regions)
        chain = tuple(c for c in region_chain(region_code) if c in regions)
        mask = pc.and_(mask, pc.is_in(demand.column("region_code"), value_set=pa.array(chain)))
    occupation_ref: OccupationRef | None = None
    if occupation_code:
        if occupation_code not in occupations:
            raise QueryError("occupation_code", "未知的职业代码")
        occupation_ref = _occupation_ref(occupation_code, occupations)
        mask = pc.and_(mask, pc.equal(demand.column("occupation_code"), occupation_code))
    rows: list[dict[str, Any]] = demand.filter(mask).to_pylist()

    if chain:
        position = {code: i for i, code in enumerate(chain)}
        rows.sort(key=lambda r: r["valid_from"], reverse=True)
        rows.sort(
            key=lambda r: (
                position[r["region_code"]],
                _TIER_ORDER.get(r["tier"], 9),
                r["occupation_code"],
            )
        )
        applying: set[int] = set()
        seen: set[str] = set()
        for i, r in enumerate(rows):
            if r["occupation_code"] not in seen:
                seen.add(r["occupation_code"])
                applying.add(i)
        applies: list[bool | None] = [i in applying for i in range(len(rows))]
    else:
        rows.sort(key=lambda r: r["valid_from"], reverse=True)
        rows.sort(key=lambda r: (r["region_code"], r["occupation_code"]))
        applies = [None] * len(rows)
    page = range(offset, min(offset + limit, len(rows)))
    items = [_demand_record(rows[i], applies[i], regions, occupations) for i in page]
    return DemandPage(
        on=on,
        region=region_ref,
        occupation=occupation_ref,
        regions_searched=[_region_ref(c, regions) for c in chain],
        items=items,
        total=len(rows),
        limit=limit,
        offset=offset,
    )


def _demand_record(
    row: dict[str, Any],
    applies: bool | None,
    regions: RegionIndex,
    occupations: OccupationIndex,
) -> DemandRecord:
    shortage = int(row["shortage_uplift_pct"] or 0)
    key_pct = int(row["key_uplift_pct"] or 0) if row["key_occupation"] else 0
    not_in_standard = set(row["not_in_standard"] or ())
    subsidies = []
    for lv in NATIONAL_LEVELS:
        amount = row[f"subsidy_l{lv}"]
        marker = (
            None
            if amount is not None
            else NOT_IN_STANDARD
            if lv in not_in_standard
            else NOT_IN_DEMAND
        )
        subsidies.append(
            LevelSubsidy(
                national_level=lv,
                name=rung_for_national_level(lv).name,
                amount=amount,
                uplifted_amount=None
                if amount is None
                else round(amount * (100 + shortage + key_pct) / 100),
                marker=marker,
                marker_meaning=MARKER_MEANINGS[marker] if marker else None,
            )
        )
    tier = row["tier"]
    return DemandRecord(
        region=_region_ref(row["region_code"], regions),
        occupation=_occupation_ref(row["occupation_code"], occupations),
        tier=tier,
        tier_name=TIER_LABELS[UrgencyTier(tier)],
        subsidies=subsidies,
        shortage_uplift_pct=shortage,
        key_occupation=bool(row["key_occupation"]),
        key_uplift_pct=int(row["key_uplift_pct"] or 0),
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        source=row["source"] or "",
        applies=applies,
    )


# -- regions ---------------------------------------------------------------------------------
def region_children(
    *, parent: str | None = None, regions: RegionIndex | None = None
) -> RegionChildren | None:
    """The children of a region; without ``parent`` the 31 mainland provinces.

    County-level placeholder rows ("市辖区") are left out: they are not places.

    Returns:
        The parent and its children, or ``None`` for an unknown parent code.
    """
    regions = load_regions() if regions is None else regions
    if parent is None:
        return RegionChildren(
            parent=None, items=[_region_record(r, regions) for r in regions.provinces()]
        )
    node = regions.get(parent)
    if node is None:
        return None
    return RegionChildren(
        parent=_region_record(node, regions),
        items=[_region_record(r, regions) for r in _children(parent, regions)],
    )


def region_detail(*, code: str, regions: RegionIndex | None = None) -> RegionDetail | None:
    """A region and its ancestors (province first).

    Returns:
        The region, or ``None`` for an unknown code.
    """
    regions = load_regions() if regions is None else regions
    node = regions.get(code)
    if node is None:
        return None
    return RegionDetail(
        region=_region_record(node, regions),
        chain=[_region_record(r, regions) for r in regions.chain(code)],
    )


def resolve_address(*, address: str, regions: RegionIndex | None = None) -> RegionDetail | None:
    """The most specific region named in a free-text address.

    Returns:
        The region with its ancestors, or ``None`` when the address names no region.
    """
    regions = load_regions() if regions is None else regions
    found = regions.resolve_address(address)
    return None if found is None else region_detail(code=found.code, regions=regions)


def _children(code: str, regions: RegionIndex) -> list[Region]:
    return [
        r
        for r in regions.children(code)
        if not (r.level is RegionLevel.COUNTY and r.name in _PLACEHOLDER_COUNTIES)
    ]


def _region_record(region: Region, regions: RegionIndex) -> RegionRecord:
    return RegionRecord(
        code=region.code,
        name=region.name,
        full_name=regions.full_name(region.code),
        level=region.level.value,
        level_name=REGION_LEVEL_LABELS[region.level],
        parent_code=region.parent_code,
        has_children=bool(_children(region.code, regions)),
        longitude=region.longitude,
        latitude=region.latitude,
    )
