"""Summary figures of a catalog snapshot (backs the ``stats --json`` command).

Example:
    >>> from datetime import date
    >>> from catalog.demo import generate_demo
    >>> stats = catalog_stats(generate_demo(courses=500, today=date(2026, 3, 15)),
    ...                       today=date(2026, 3, 15))
    >>> stats["courses"]
    500
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from catalog.reference.regions import load_regions
from catalog.reference.sectors import sectors_of
from catalog.schema import empty_table


def _table(tables: Mapping[str, pa.Table], name: str) -> pa.Table:
    data = tables.get(name)
    return empty_table(name) if data is None else data


def _counts(column: pa.ChunkedArray | pa.Array) -> dict[str, int]:
    """Value counts of a string column as a plain dict, nulls under ``"null"``, sorted by key."""
    out: dict[str, int] = {}
    for item in pc.value_counts(column).to_pylist():
        key = "null" if item["values"] is None else str(item["values"])
        out[key] = int(item["counts"])
    return dict(sorted(out.items()))


def _city_code(code: str) -> str:
    """The prefecture-level city of a region code (itself for a city)."""
    region = load_regions().get(code)
    if region is not None:
        city = load_regions().city_of(code)
        if city is not None:
            return city.code
    return code[:4] + "00"


def catalog_stats(tables: Mapping[str, pa.Table], *, today: date | None = None) -> dict[str, Any]:
    """Counts and coverage figures of a catalog, JSON-ready.

    Args:
        tables: The snapshot tables by name (``"demand"``, ``"institutions"``, ``"courses"``,
            ``"sessions"``); missing tables count as empty.
        today: The reference day for past/running/upcoming sessions (default: the current
            date).

    Returns:
        A dict with ``provinces`` and ``cities`` (with courses), row counts (``courses``,
        ``sessions``, ``institutions``, ``demand_entries``), ``occupations`` (distinct, overall),
        ``occupations_per_province`` (``min``/``median``/``max``), ``sectors_per_province_min``,
        ``sectors_covered`` (overall, keys), ``modes``, ``certificates``, ``levels``,
        ``institution_types``, ``institution_grades``, ``sessions_by_status``,
        ``upcoming_share``, ``demo_courses`` and demand-directory figures.
    """
    day = today or date.today()
    courses = _table(tables, "courses")
    sessions = _table(tables, "sessions")
    institutions = _table(tables, "institutions")
    demand = _table(tables, "demand")

    pairs = (
        courses.select(["region_code", "occupation_code"])
        .group_by(["region_code", "occupation_code"])
        .aggregate([])
        .to_pylist()
    )
    by_province: dict[str, set[str]] = defaultdict(set)
    sectors_by_province: dict[str, set[str]] = defaultdict(set)
    cities: set[str] = set()
    city_cache: dict[str, str] = {}
    occupations: set[str] = set()
    for row in pairs:
        region, occupation = str(row["region_code"]), str(row["occupation_code"])
        province = region[:2] + "0000"
        by_province[province].add(occupation)
        sectors_by_province[province].update(sectors_of(occupation))
        if region not in city_cache:
            city_cache[region] = _city_code(region)
        cities.add(city_cache[region])
        occupations.add(occupation)
    per_province = sorted(len(v) for v in by_province.values())
    all_sectors = sorted({s for v in sectors_by_province.values() for s in v})

    if sessions.num_rows:
        day_scalar = pa.scalar(day, type=pa.date32())
        upcoming = int(pc.sum(pc.greater(sessions.column("start_date"), day_scalar)).as_py() or 0)
        past = int(pc.sum(pc.less(sessions.column("end_date"), day_scalar)).as_py() or 0)
        enrolling = pc.and_(
            pc.less_equal(sessions.column("enrol_open"), day_scalar),
            pc.greater_equal(sessions.column("enrol_close"), day_scalar),
        )
        open_now = int(pc.sum(enrolling).as_py() or 0)
    else:
        upcoming = past = open_now = 0
    running = sessions.num_rows - upcoming - past

    demand_regions = set(demand.column("region_code").to_pylist()) if demand.num_rows else set()
    return {
        "reference_day": day.isoformat(),
        "provinces": len(by_province),
        "cities": len(cities),
        "courses": courses.num_rows,
        "sessions": sessions.num_rows,
        "institutions": institutions.num_rows,
        "demand_entries": demand.num_rows,
        "occupations": len(occupations),
        "occupations_per_province": {
            "min": per_province[0] if per_province else 0,
            "median": float(statistics.median(per_province)) if per_province else 0.0,
            "max": per_province[-1] if per_province else 0,
        },
        "sectors_per_province_min": min((len(v) for v in sectors_by_province.values()), default=0),
        "sectors_covered": len(all_sectors),
        "sector_keys": all_sectors,
        "modes": _counts(courses.column("mode")),
        "certificates": _counts(courses.column("certificate")),
        "levels": _counts(courses.column("level")),
        "employment_services": _counts(courses.column("employment_service")),
        "demo_courses": int(pc.sum(courses.column("is_demo")).as_py() or 0),
        "institution_types": _counts(institutions.column("type")),
        "institution_grades": _counts(institutions.column("grade")),
        "sessions_by_status": {"past": past, "running": running, "upcoming": upcoming},
        "sessions_enrolling": open_now,
        "upcoming_share": round(upcoming / sessions.num_rows, 4) if sessions.num_rows else 0.0,
        "demand_regions": len(demand_regions),
        "demand_provinces": len({c[:2] for c in demand_regions}),
        "demand_tiers": _counts(demand.column("tier")),
    }


__all__ = ["catalog_stats"]
