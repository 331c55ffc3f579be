from __future__ import annotations

import logging
import random
import statistics
import time
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from catalog.demo import DEMO_SOURCE, generate_demo
from catalog.models import DemandEntry
from catalog.reference.labour import (
    cooperation_pairs,
    destinations,
    labour_role,
    load_labour_flows,
    pair_name,
    sources,
)
from catalog.reference.ladder import rung
from catalog.reference.regions import load_regions
from catalog.reference.sectors import load_sectors, sectors_of
from catalog.schema import TABLES, table_to_records
from catalog.stats import catalog_stats
from catalog.store import CatalogStore, content_hash

logger = logging.getLogger(__name__)

Row = dict[str, Any]
TODAY = date(2026, 3, 15)
N_COURSES = 20_000


@pytest.fixture(scope="module")
def demo() -> dict[str, pa.Table]:
    started = time.perf_counter()
    tables = generate_demo(courses=N_COURSES, today=TODAY)
    logger.info("generate_demo(%d) took %.1f s", N_COURSES, time.perf_counter() - started)
    return tables


@pytest.fixture(scope="module")
def courses(demo: dict[str, pa.Table]) -> list[Row]:
    rows: list[Row] = demo["courses"].to_pylist()
    return rows


@pytest.fixture(scope="module")
def sessions(demo: dict[str, pa.Table]) -> list[Row]:
    rows: list[Row] = demo["sessions"].to_pylist()
    return rows


@pytest.fixture(scope="module")
def demand(demo: dict[str, pa.Table]) -> list[Row]:
    rows: list[Row] = demo["demand"].to_pylist()
    return rows


def _city(code: str) -> str:
    city = load_regions().city_of(code)
    assert city is not None, code
    return city.code


# --- shape and coverage ------------------------------------------------------------------
def test_tables_have_the_catalog_schemas(demo: dict[str, pa.Table]) -> None:
    assert set(demo) == set(TABLES)
    for name, (schema, _, _) in TABLES.items():
        assert demo[name].schema.equals(schema), name


def test_all_31_provinces_have_courses(courses: list[Row]) -> None:
    provinces = {c["region_code"][:2] + "0000" for c in courses}
    assert provinces == {p.code for p in load_regions().provinces()}


def test_many_cities_have_courses(courses: list[Row]) -> None:
    cities = {_city(c["region_code"]) for c in courses}
    assert len(cities) >= 150


def test_course_count(demo: dict[str, pa.Table]) -> None:
    assert demo["courses"].num_rows >= N_COURSES


def test_every_province_has_many_occupations_in_all_sectors(courses: list[Row]) -> None:
    occupations: dict[str, set[str]] = defaultdict(set)
    sectors: dict[str, set[str]] = defaultdict(set)
    for c in courses:
        province = c["region_code"][:2]
        occupations[province].add(c["occupation_code"])
        sectors[province].update(sectors_of(c["occupation_code"]))
    all_sectors = {s.key for s in load_sectors()}
    assert len(occupations) == 31
    for province, occ in occupations.items():
        assert len(occ) >= 150, province
        assert sectors[province] == all_sectors, province


def test_courses_use_trainable_occupations(courses: list[Row]) -> None:
    assert all(sectors_of(c["occupation_code"]) for c in courses)


def test_online_and_blended_courses(courses: list[Row]) -> None:
    modes = Counter(c["mode"] for c in courses)
    assert modes["online"] >= 0.06 * len(courses)
    assert modes["blended"] >= 0.06 * len(courses)
    assert modes["offline"] >= 0.7 * len(courses)
    # Online only where it makes sense: no production or construction trade (major group 6)
    # except safety knowledge for 安全员.
    online_trades = {
        c["occupation_code"]
        for c in courses
        if c["mode"] == "online" and c["occupation_code"].startswith("6")
    }
    assert online_trades <= {"6-31-06-00"}


def test_levels_and_certificates(courses: list[Row]) -> None:
    levels = Counter(c["level"] for c in courses)
    assert levels["junior"] + levels["intermediate"] > 0.5 * len(courses)
    assert levels["senior"] > 0 and levels["technician"] > 0
    for c in courses:
        if c["certificate"] != "skill_level":
            assert c["level"] is None
        if c["level"] in ("senior", "technician", "senior_technician"):
            assert c["min_level"] is not None
            assert rung(c["min_level"]).rank == rung(c["level"]).rank - 1


# --- sessions -----------------------------------------------------------------------------
def test_past_running_and_upcoming_sessions(sessions: list[Row]) -> None:
    past = sum(s["end_date"] < TODAY for s in sessions)
    running = sum(s["start_date"] <= TODAY <= s["end_date"] for s in sessions)
    upcoming = [s for s in sessions if s["start_date"] > TODAY]
    assert past and running and upcoming
    assert any(s["enrol_open"] > TODAY for s in upcoming)  # enrolment not yet open
    assert any(s["enrol_open"] <= TODAY <= s["enrol_close"] for s in upcoming)
    assert any(s["seats_taken"] == s["capacity"] for s in sessions)
    assert all(20 <= s["capacity"] <= 60 for s in sessions)


def test_sessions_per_course_and_places(
    demo: dict[str, pa.Table], courses: list[Row], sessions: list[Row]
) -> None:
    per_course = Counter(s["course_id"] for s in sessions)
    assert set(per_course) == {c["course_id"] for c in courses}
    assert set(per_course.values()) <= {1, 2, 3, 4}
    by_id = {c["course_id"]: c for c in courses}
    for s in random.Random(7).sample(sessions, 3000):
        course = by_id[s["course_id"]]
        assert _city(s["region_code"]) == _city(course["region_code"])
        if course["mode"] == "online":
            assert s["address"] == "线上" and s["longitude"] is None and s["latitude"] is None
        else:
            assert s["longitude"] is not None and s["latitude"] is not None
            assert s["address"].startswith(load_regions().full_name(s["region_code"])[:2])
            region = load_regions().get(s["region_code"])
            assert region is not None and region.longitude is not None
            assert region.latitude is not None
            assert abs(s["longitude"] - region.longitude) < 0.5
            assert abs(s["latitude"] - region.latitude) < 0.5


# --- determinism ------------------------------------------------------------------------------
def test_deterministic_for_a_seed() -> None:
    a = generate_demo(courses=2_000, today=TODAY, seed=7)
    b = generate_demo(courses=2_000, today=TODAY, seed=7)
    c = generate_demo(courses=2_000, today=TODAY, seed=8)
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(c)


def test_zero_and_negative_sizes() -> None:
    empty = generate_demo(courses=0, today=TODAY)
    assert empty["courses"].num_rows == 0 and empty["sessions"].num_rows == 0
    assert empty["demand"].num_rows > 0
    with pytest.raises(ValueError):
        generate_demo(courses=-1, today=TODAY)


# --- validity --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(TABLES))
def test_random_sample_validates_through_the_models(demo: dict[str, pa.Table], name: str) -> None:
    table = demo[name]
    rows = random.Random(11).sample(range(table.num_rows), min(800, table.num_rows))
    records = table_to_records(name, table.take(rows))
    assert len(records) == len(rows) >= 500


def test_hours_meet_huaian_minimums(courses: list[Row]) -> None:
    for c in courses:
        assert c["hours_total"] >= 40
        if c["level"] in ("intermediate", "senior", "technician", "senior_technician"):
            assert c["hours_total"] >= 56
        if c["mode"] in ("offline", "blended"):
            assert c["hours_practical"] >= 0.6 * c["hours_total"]


def test_subsidy_never_exceeds_fee(courses: list[Row]) -> None:
    assert all(0 <= c["subsidy_amount"] <= c["fee"] for c in courses)
    out_of_pocket_zero = sum(c["fee"] == c["subsidy_amount"] for c in courses)
    assert 0.2 * len(courses) < out_of_pocket_zero < 0.8 * len(courses)


def test_course_subsidy_follows_the_directory_in_force(
    courses: list[Row], demand: list[Row]
) -> None:
    in_force: dict[tuple[str, str], DemandEntry] = {}
    for row in demand:
        record = DemandEntry.model_validate(row)
        if record.is_valid_on(TODAY):
            in_force[(record.region_code, record.occupation_code)] = record
    checked = 0
    for c in courses:
        if c["certificate"] != "skill_level" or c["fee"] == 0:
            continue
        entry = in_force.get((c["region_code"], c["occupation_code"])) or in_force.get(
            (c["region_code"][:2] + "0000", c["occupation_code"])
        )
        national = rung(c["level"]).national_level
        assert national is not None
        expected = entry.uplifted_subsidy(national) if entry else None
        assert c["subsidy_amount"] == (expected or 0), c
        if expected:
            assert "演示" in c["subsidy_basis"] and "元" in c["subsidy_basis"]
            checked += 1
    assert checked > 0.3 * len(courses)


def test_employment_services_name_partners(courses: list[Row]) -> None:
    served = [c for c in courses if c["employment_service"] != "none"]
    assert 0.1 * len(courses) < len(served) < 0.35 * len(courses)
    assert all(c["partner_employers"] for c in served)
    assert {c["employment_service"] for c in served} == {"order", "targeted", "placement"}
    assert all(p.endswith(("公司", "合作社")) for c in served for p in c["partner_employers"])


def test_targeted_groups_and_ages(courses: list[Row]) -> None:
    targeted = [c for c in courses if c["eligible_groups"]]
    assert 0.15 * len(courses) < len(targeted) < 0.6 * len(courses)
    groups = Counter(g for c in targeted for g in c["eligible_groups"])
    for group in ("migrant_worker", "graduate", "veteran", "disabled", "older_worker"):
        assert groups[group] > 0, group
    ages = Counter((c["age_min"], c["age_max"]) for c in courses)
    assert ages[(16, 60)] > 0.5 * len(courses)
    assert ages[(16, 50)] > 0 and ages[(40, 65)] > 0


def test_titles_are_varied(courses: list[Row]) -> None:
    by_occupation: dict[str, list[str]] = defaultdict(list)
    for c in courses:
        by_occupation[c["occupation_code"]].append(c["title"])
    common = sorted(by_occupation.values(), key=len, reverse=True)[:10]
    for titles in common:
        assert len(set(titles)) >= 0.3 * len(titles)
    # Titles are not one template: their endings vary widely.
    endings = Counter(t[-3:] for t in (c["title"] for c in courses))
    assert len(endings) > 60
    assert endings.most_common(1)[0][1] < 0.25 * len(courses)


def test_descriptions_use_official_definitions_and_say_demo(courses: list[Row]) -> None:
    assert all("演示数据" in c["description"] for c in courses)
    assert all(c["is_demo"] for c in courses)
    welding = [c for c in courses if c["occupation_code"] == "6-18-02-04"]
    assert welding
    assert any("焊接金属工件" in c["description"] for c in welding)
    assert len({c["description"] for c in courses}) == len(courses)


# --- institutions -----------------------------------------------------------------------------
def test_institutions(demo: dict[str, pa.Table], courses: list[Row]) -> None:
    inst = demo["institutions"].to_pylist()
    assert {i["type"] for i in inst} == {
        "technical_school",
        "vocational_college",
        "enterprise",
        "private",
        "public_base",
    }
    assert {i["grade"] for i in inst} == {"A", "B", "C", "ungraded"}
    assert any(i["trained"] < 20 for i in inst)
    for i in inst:
        assert i["certified"] <= i["trained"]
        assert i["employed_3m"] <= i["trained"] and i["employed_6m"] <= i["trained"]
        assert i["is_demo"]
    assert len({i["name"] for i in inst}) == len(inst)
    ids = {i["institution_id"] for i in inst}
    assert {c["institution_id"] for c in courses} <= ids
    by_id = {i["institution_id"]: i for i in inst}
    for c in random.Random(3).sample(courses, 2000):
        assert _city(by_id[c["institution_id"]]["region_code"]) == _city(c["region_code"])
    rates = [i["employed_6m"] / i["trained"] for i in inst if i["trained"] >= 20]
    assert 0.4 < statistics.mean(rates) < 0.95


# --- demand directories --------------------------------------------------------------------------
def test_demand_per_province_and_city(demand: list[Row]) -> None:
    regions = load_regions()
    listed = {row["region_code"] for row in demand}
    tiers: dict[str, set[str]] = defaultdict(set)
    in_force: dict[str, int] = Counter()
    for row in demand:
        tiers[row["region_code"]].add(row["tier"])
        entry_ok = row["valid_from"] <= TODAY and (
            row["valid_to"] is None or row["valid_to"] >= TODAY
        )
        in_force[row["region_code"]] += entry_ok
    for province in regions.provinces():
        assert province.code in listed
        assert tiers[province.code] == {"very_short", "short", "general"}
        assert in_force[province.code] >= 100
        for city in regions.cities(province.code):
            codes = {city.code} | {c.code for c in regions.children(city.code)}
            found = codes & listed
            assert found, city.name
            assert all(tiers[c] == {"very_short", "short", "general"} for c in found)


def test_demand_markers_periods_and_uplifts(demand: list[Row]) -> None:
    tiers = Counter(row["tier"] for row in demand)
    assert tiers["very_short"] < tiers["short"] < tiers["general"]
    not_in_standard = [row for row in demand if row["not_in_standard"]]
    assert not_in_standard  # "——"
    slash = [
        row
        for row in demand
        if any(
            row[f"subsidy_l{lv}"] is None and lv not in row["not_in_standard"]
            for lv in (5, 4, 3, 2, 1)
        )
    ]
    assert slash  # "/"
    assert any(row["key_occupation"] and row["key_uplift_pct"] == 30 for row in demand)
    assert {row["shortage_uplift_pct"] for row in demand if row["tier"] == "very_short"} >= {30}
    years = {row["valid_from"].year for row in demand}
    assert years == {TODAY.year - 1, TODAY.year}
    assert any(row["valid_from"] == date(TODAY.year, 7, 1) for row in demand)  # mid-year update
    assert any(row["valid_to"] is None for row in demand)
    assert all(DEMO_SOURCE in row["source"] for row in demand)
    # Subsidies rise with the level, from Xiamen's 700 (level 5) scaled by cost level.
    fives = [row["subsidy_l5"] for row in demand if row["subsidy_l5"] is not None]
    assert min(fives) >= 400 and max(fives) <= 1500


# --- storage and stats ---------------------------------------------------------------------
def test_round_trip_through_the_store(demo: dict[str, pa.Table], tmp_path) -> None:
    store = CatalogStore(tmp_path / "store")
    manifest = store.write(demo, source="demo", demo=True)
    snapshot = store.load()
    assert snapshot.version == manifest.version
    assert manifest.counts == {k: v.num_rows for k, v in demo.items()}
    assert manifest.content_hash == content_hash(demo)
    for name, table in demo.items():
        assert snapshot.tables[name].equals(table), name


def test_stats_agree_with_own_counts(
    demo: dict[str, pa.Table], courses: list[Row], sessions: list[Row]
) -> None:
    stats = catalog_stats(demo, today=TODAY)
    per_province: dict[str, set[str]] = defaultdict(set)
    for c in courses:
        per_province[c["region_code"][:2]].add(c["occupation_code"])
    counts = sorted(len(v) for v in per_province.values())
    assert stats["provinces"] == 31
    assert stats["cities"] == len({_city(c["region_code"]) for c in courses})
    assert stats["courses"] == len(courses)
    assert stats["sessions"] == len(sessions)
    assert stats["institutions"] == demo["institutions"].num_rows
    assert stats["demand_entries"] == demo["demand"].num_rows
    assert stats["occupations_per_province"] == {
        "min": counts[0],
        "median": float(statistics.median(counts)),
        "max": counts[-1],
    }
    assert stats["sectors_per_province_min"] == 6 and stats["sectors_covered"] == 6
    assert stats["modes"] == dict(sorted(Counter(c["mode"] for c in courses).items()))
    upcoming = sum(s["start_date"] > TODAY for s in sessions)
    assert stats["sessions_by_status"]["upcoming"] == upcoming
    assert stats["upcoming_share"] == round(upcoming / len(sessions), 4)
    assert sum(stats["sessions_by_status"].values()) == len(sessions)
    assert stats["demo_courses"] == len(courses)


def test_stats_of_an_empty_catalog() -> None:
    stats = catalog_stats({}, today=TODAY)
    assert stats["courses"] == 0 and stats["provinces"] == 0 and stats["upcoming_share"] == 0.0


# --- labour flows ------------------------------------------------------------------------
def test_labour_roles_and_destinations() -> None:
    flows = load_labour_flows()
    assert set(flows.profiles) == {p.code for p in load_regions().provinces()}
    for code in ("410000", "510000", "520000", "340000", "430000", "360000", "450000", "620000"):
        assert labour_role(code) == "exporting", code
    for code in ("440000", "330000", "320000", "310000", "110000", "350000", "120000"):
        assert labour_role(code) == "importing", code
        assert destinations(code) == ()
    assert destinations("520000")[0] == "440000"
    assert {"330000", "320000", "440000"} <= set(destinations("410000"))
    assert labour_role("520100") == "exporting"  # a city is read as its province
    assert "520000" in sources("440000")
    assert pair_name("520000", "440000") == "粤黔东西部协作"
    assert pair_name("440000", "520000") is None
    for pair in cooperation_pairs():
        assert pair.to_code in destinations(pair.from_code), pair
    with pytest.raises(ValueError):
        labour_role("52")


def test_cross_regional_courses_follow_labour_pairs(courses: list[Row]) -> None:
    cross = [c for c in courses if "劳务协作" in c["title"] or "协作项目" in c["description"]]
    assert cross
    assert all(labour_role(c["region_code"]) == "exporting" for c in cross)


def test_sizes_and_counts_are_consistent(demo: dict[str, pa.Table]) -> None:
    courses = demo["courses"]
    assert pc.count_distinct(courses.column("course_id")).as_py() == courses.num_rows
    sessions = demo["sessions"]
    assert pc.count_distinct(sessions.column("session_id")).as_py() == sessions.num_rows
