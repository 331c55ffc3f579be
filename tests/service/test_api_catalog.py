"""GET /api/v1/courses, /demand, /regions, /ready and the request limits, over HTTP."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from catalog.rules.demand import region_chain
from catalog.store import CatalogStore
from service.app import create_app
from service.config import Settings
from tests.conftest import TODAY


@pytest.fixture(scope="module")
def client(demo_env):
    app = create_app(Settings(data_dir=demo_env.data_dir, today=TODAY), load_in_background=False)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def tables(demo_env):
    """The demo snapshot's rows, for brute-force reference answers."""
    snapshot = CatalogStore(demo_env.data_dir / "catalog").load()
    return {name: snapshot[name].to_pylist() for name in ("courses", "sessions", "demand")}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_error(r, status: int, code: str, field: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == code
    assert has_chinese(err["message"])
    if field is not None:
        assert any(f["field"] == field and has_chinese(f["reason"]) for f in err["fields"]), err
    return err


def enrolling(session: dict, day: date) -> bool:
    return (
        session["enrol_open"] <= day <= session["enrol_close"]
        and session["capacity"] > session["seats_taken"]
    )


# -- courses --------------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "prefix"), [("440000", "44"), ("440300", "4403")])
def test_courses_region_filter(client, tables, code, prefix):
    r = client.get("/api/v1/courses", params={"region_code": code, "limit": 100})
    assert r.status_code == 200, r.text
    data = r.json()
    expected = [c["course_id"] for c in tables["courses"] if c["region_code"].startswith(prefix)]
    assert data["total"] == len(expected) > 0
    assert [c["course_id"] for c in data["items"]] == expected[:100]
    assert all(c["region"]["code"].startswith(prefix) for c in data["items"])
    assert all(c["region"]["name"].startswith("广东省") for c in data["items"])


def test_courses_county_filter_is_exact(client, tables):
    county = next(
        c["region_code"] for c in tables["courses"] if not c["region_code"].endswith("00")
    )
    data = client.get("/api/v1/courses", params={"region_code": county, "limit": 100}).json()
    assert data["total"] == sum(c["region_code"] == county for c in tables["courses"])
    assert {c["region"]["code"] for c in data["items"]} == {county}


def test_courses_paging_is_consistent(client):
    params = {"region_code": "440000", "limit": 7}
    first = client.get("/api/v1/courses", params={**params, "offset": 0}).json()
    second = client.get("/api/v1/courses", params={**params, "offset": 7}).json()
    both = client.get("/api/v1/courses", params={**params, "limit": 14}).json()
    assert first["total"] == second["total"] == both["total"]
    assert (first["limit"], second["offset"]) == (7, 7)
    ids = [c["course_id"] for c in first["items"] + second["items"]]
    assert ids == [c["course_id"] for c in both["items"]]
    assert len(set(ids)) == 14
    beyond = client.get("/api/v1/courses", params={**params, "offset": first["total"]}).json()
    assert beyond["items"] == [] and beyond["total"] == first["total"]


def test_courses_occupation_filter_leaf_and_category(client, tables):
    leaf = client.get("/api/v1/courses", params={"occupation_code": "6-18-02-04"}).json()
    assert leaf["total"] == sum(c["occupation_code"] == "6-18-02-04" for c in tables["courses"])
    assert leaf["total"] > 0
    assert all(c["occupation"] == {"code": "6-18-02-04", "name": "焊工"} for c in leaf["items"])
    category = client.get(
        "/api/v1/courses", params={"occupation_code": "6-18-00-00", "limit": 100}
    ).json()
    assert category["total"] == sum(
        c["occupation_code"].startswith("6-18-") for c in tables["courses"]
    )
    assert category["total"] > leaf["total"]
    assert all(c["occupation"]["code"].startswith("6-18-") for c in category["items"])


def test_courses_mode_group_level_and_text(client, tables):
    online = client.get("/api/v1/courses", params={"mode": "online", "limit": 100}).json()
    assert online["total"] == sum(c["mode"] == "online" for c in tables["courses"]) > 0
    assert all(c["mode"] == "online" and c["mode_name"] == "线上" for c in online["items"])

    veteran = client.get("/api/v1/courses", params={"group": "veteran", "limit": 100}).json()
    expected = [
        c
        for c in tables["courses"]
        if not c["eligible_groups"] or "veteran" in c["eligible_groups"]
    ]
    assert veteran["total"] == len(expected)
    assert veteran["total"] < len(tables["courses"])  # some courses admit other groups only
    assert all(
        not c["eligible_groups"] or "veteran" in c["eligible_groups"] for c in veteran["items"]
    )

    senior = client.get("/api/v1/courses", params={"level": "senior", "limit": 100}).json()
    assert senior["total"] == sum(c["level"] == "senior" for c in tables["courses"]) > 0
    assert all(c["level"] == "senior" and c["level_name"] == "高级工" for c in senior["items"])

    # Traditional characters are folded to simplified before matching titles.
    welding = client.get("/api/v1/courses", params={"q": "電工", "limit": 100}).json()
    assert welding["total"] == sum("电工" in c["title"] for c in tables["courses"]) > 0
    assert all("电工" in c["title"] for c in welding["items"])


def test_courses_open_on(client, tables):
    day = TODAY
    r = client.get("/api/v1/courses", params={"open_on": day.isoformat(), "limit": 100})
    data = r.json()
    open_ids = {s["course_id"] for s in tables["sessions"] if enrolling(s, day)}
    assert data["total"] == len(open_ids) > 0
    for course in data["items"]:
        assert course["course_id"] in open_ids
        session = course["next_session"]
        assert session["enrolling"] is True and session["seats_left"] > 0
        assert session["enrol_open"] <= day.isoformat() <= session["enrol_close"]


def test_courses_combined_filters(client, tables):
    params = {"region_code": "440000", "mode": "offline", "group": "migrant_worker"}
    data = client.get("/api/v1/courses", params={**params, "limit": 100}).json()
    expected = [
        c
        for c in tables["courses"]
        if c["region_code"].startswith("44")
        and c["mode"] == "offline"
        and (not c["eligible_groups"] or "migrant_worker" in c["eligible_groups"])
    ]
    assert data["total"] == len(expected) > 0


def test_course_detail(client, tables):
    course_id = next(
        s["course_id"] for s in tables["sessions"] if enrolling(s, TODAY)
    )  # a course with a session open today
    r = client.get(f"/api/v1/courses/{course_id}")
    assert r.status_code == 200, r.text
    data = r.json()
    row = next(c for c in tables["courses"] if c["course_id"] == course_id)
    assert data["course_id"] == course_id and data["title"] == row["title"]
    assert data["institution"]["id"] == row["institution_id"]
    assert data["institution"]["name"]
    own = sorted(
        (s for s in tables["sessions"] if s["course_id"] == course_id),
        key=lambda s: s["start_date"],
    )
    assert [s["session_id"] for s in data["sessions"]] == [s["session_id"] for s in own]
    for got, want in zip(data["sessions"], own, strict=True):
        assert got["seats_left"] == want["capacity"] - want["seats_taken"]
        assert got["enrolling"] == enrolling(want, TODAY)
    assert data["seats_left"] == sum(s["seats_left"] for s in data["sessions"])
    assert data["next_session"]["enrolling"] is True
    assert data["out_of_pocket"] == max(row["fee"] - row["subsidy_amount"], 0)


def test_course_not_found_is_structured(client):
    err = assert_error(client.get("/api/v1/courses/NO-SUCH-COURSE"), 404, "not_found")
    assert "NO-SUCH-COURSE" in err["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region_code": "999999"}, "region_code"),  # well formed, unknown
        ({"region_code": "44"}, "region_code"),
        ({"occupation_code": "9-99-99-99"}, "occupation_code"),
        ({"mode": "by-post"}, "mode"),
        ({"group": "nobody"}, "group"),
        ({"level": "grandmaster"}, "level"),
        ({"open_on": "yesterday"}, "open_on"),
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_courses_bad_parameters_are_structured(client, params, field):
    assert_error(client.get("/api/v1/courses", params=params), 422, "invalid_request", field)


# -- demand directory -----------------------------------------------------------------------
def in_force(entry: dict, day: date) -> bool:
    return entry["valid_from"] <= day and (entry["valid_to"] is None or day <= entry["valid_to"])


def test_demand_by_region(client, tables):
    day = TODAY
    r = client.get(
        "/api/v1/demand", params={"region_code": "440305", "on": day.isoformat(), "limit": 500}
    )
    assert r.status_code == 200, r.text
    data = r.json()
    chain = ["440305", "440300", "440000"]
    assert [x["code"] for x in data["regions_searched"]] == chain
    expected = [e for e in tables["demand"] if e["region_code"] in chain and in_force(e, day)]
    assert data["total"] == len(expected) > 0
    assert len(data["items"]) == min(500, len(expected))
    for item in data["items"]:
        assert item["region"]["code"] in chain
        assert item["valid_from"] <= day.isoformat()
        assert item["valid_to"] is None or item["valid_to"] >= day.isoformat()
        assert item["tier_name"] in ("非常紧缺", "紧缺", "一般紧缺")
        assert [s["national_level"] for s in item["subsidies"]] == [5, 4, 3, 2, 1]
        for s in item["subsidies"]:
            assert (s["amount"] is None) == (s["marker"] is not None)
            assert s["marker"] in (None, "——", "/")
            assert (s["marker_meaning"] is None) == (s["marker"] is None)
    # Most specific directory first; exactly one applicable entry per occupation.
    positions = [chain.index(i["region"]["code"]) for i in data["items"]]
    assert positions == sorted(positions)
    applying = [i["occupation"]["code"] for i in data["items"] if i["applies"]]
    assert (
        len(applying) == len(set(applying)) == len({i["occupation"]["code"] for i in data["items"]})
    )
    # The city's directory wins over the province's for the same occupation.
    city = {i["occupation"]["code"] for i in data["items"] if i["region"]["code"] == "440300"}
    for item in data["items"]:
        if item["region"]["code"] == "440000" and item["occupation"]["code"] in city:
            assert item["applies"] is False


def test_demand_markers_match_the_table(client, tables):
    entry = next(
        e
        for e in tables["demand"]
        if e["not_in_standard"] and in_force(e, TODAY) and e["region_code"].endswith("00")
    )
    r = client.get(
        "/api/v1/demand",
        params={"region_code": entry["region_code"], "occupation_code": entry["occupation_code"]},
    )
    item = next(i for i in r.json()["items"] if i["region"]["code"] == entry["region_code"])
    by_level = {s["national_level"]: s for s in item["subsidies"]}
    for lv in (5, 4, 3, 2, 1):
        amount = entry[f"subsidy_l{lv}"]
        assert by_level[lv]["amount"] == amount
        if amount is None:
            assert by_level[lv]["marker"] == ("——" if lv in entry["not_in_standard"] else "/")


def test_demand_by_occupation(client, tables):
    r = client.get("/api/v1/demand", params={"occupation_code": "6-18-02-04", "limit": 500})
    data = r.json()
    expected = [
        e for e in tables["demand"] if e["occupation_code"] == "6-18-02-04" and in_force(e, TODAY)
    ]
    assert data["on"] == TODAY.isoformat()
    assert data["total"] == len(expected) > 0
    assert {i["region"]["code"] for i in data["items"]} == {e["region_code"] for e in expected}
    assert all(i["occupation"]["code"] == "6-18-02-04" for i in data["items"])
    assert all(i["applies"] is None for i in data["items"])


def test_demand_by_region_and_occupation(client, tables):
    code = next(
        e["occupation_code"]
        for e in tables["demand"]
        if e["region_code"] == "440300" and in_force(e, TODAY)
    )
    data = client.get(
        "/api/v1/demand", params={"region_code": "440300", "occupation_code": code}
    ).json()
    assert data["total"] >= 1
    assert {i["occupation"]["code"] for i in data["items"]} == {code}
    assert {i["region"]["code"] for i in data["items"]} <= set(region_chain("440300"))
    assert data["items"][0]["region"]["code"] == "440300" and data["items"][0]["applies"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "region_code"),
        ({"region_code": "999999"}, "region_code"),
        ({"occupation_code": "9-99-99-99"}, "occupation_code"),
        ({"region_code": "4403"}, "region_code"),
        ({"region_code": "440300", "on": "2026-13-01"}, "on"),
    ],
)
def test_demand_bad_parameters_are_structured(client, params, field):
    assert_error(client.get("/api/v1/demand", params=params), 422, "invalid_request", field)


# -- regions --------------------------------------------------------------------------------
def test_regions_top_level_is_the_provinces(client):
    data = client.get("/api/v1/regions").json()
    assert data["parent"] is None
    assert len(data["items"]) == 31
    assert all(r["level"] == "province" and r["parent_code"] is None for r in data["items"])
    assert {"110000", "440000", "650000"} <= {r["code"] for r in data["items"]}


def test_region_children(client):
    data = client.get("/api/v1/regions", params={"parent": "440300"}).json()
    assert data["parent"]["code"] == "440300"
    codes = {r["code"] for r in data["items"]}
    assert "440305" in codes and "440301" not in codes  # 市辖区 is no place
    assert all(r["parent_code"] == "440300" and r["level"] == "county" for r in data["items"])
    cities = client.get("/api/v1/regions", params={"parent": "440000"}).json()["items"]
    assert "440300" in {r["code"] for r in cities}


def test_region_detail_and_chain(client):
    data = client.get("/api/v1/regions/440305").json()
    assert data["region"]["name"] == "南山区"
    assert data["region"]["full_name"] == "广东省深圳市南山区"
    assert [r["code"] for r in data["chain"]] == ["440000", "440300", "440305"]
    assert [r["level"] for r in data["chain"]] == ["province", "city", "county"]


def test_resolve_address(client):
    r = client.get("/api/v1/regions/resolve", params={"address": "广东省深圳市南山区科技园"})
    assert r.status_code == 200, r.text
    assert r.json()["region"]["code"] == "440305"
    assert [x["code"] for x in r.json()["chain"]][-1] == "440305"


def test_region_errors_are_structured(client):
    assert_error(client.get("/api/v1/regions/123456"), 404, "not_found")
    assert_error(client.get("/api/v1/regions", params={"parent": "123456"}), 404, "not_found")
    assert_error(client.get("/api/v1/regions/abc"), 422, "invalid_request", "code")
    assert_error(
        client.get("/api/v1/regions/resolve", params={"address": "火星基地"}), 404, "not_found"
    )
    assert_error(
        client.get("/api/v1/regions/resolve", params={"address": ""}),
        422,
        "invalid_request",
        "address",
    )


# -- readiness and not-ready ----------------------------------------------------------------
def test_ready(client, demo_env):
    r = client.get("/api/v1/ready")
    assert r.status_code == 200
    data = r.json()
    assert data["status"] == "ok"
    assert data["catalog_version"] == demo_env.catalog_version
    assert data["index_version"] == demo_env.index_version
    assert data["courses"] == data["indexed_courses"] == 3000
    assert data["model_id"]


def test_not_loaded_is_503_structured(demo_env):
    app = create_app(Settings(data_dir=demo_env.data_dir), load_in_background=False)
    plain = TestClient(app)  # lifespan not entered: nothing loaded
    for path in ("/api/v1/ready", "/api/v1/courses", "/api/v1/courses/X", "/api/v1/demand"):
        assert_error(plain.get(path, params={"region_code": "440300"}), 503, "starting")
    # Regions are reference data and answer regardless.
    assert plain.get("/api/v1/regions/440305").status_code == 200


# -- request limits -------------------------------------------------------------------------
def test_oversized_body_is_413(client):
    body = {"group": "unemployed", "age": 30, "region_code": "440300", "text": "字" * 30_000}
    assert_error(client.post("/api/v1/match", json=body), 413, "payload_too_large")


def test_oversized_chunked_body_is_413(client):
    def chunks():
        for _ in range(20):
            yield b" " * 4096

    r = client.post("/api/v1/match", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_small_chunked_body_is_passed_on(client):
    def chunks():
        yield b'{"group": "unemployed", "age": 30, '
        yield b'"region_code": "440300", "text": "\xe7\x94\xb5\xe5\xb7\xa5"}'

    r = client.post("/api/v1/match", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


def test_long_query_string_is_refused(client):
    r = client.get("/api/v1/courses", params={"q": "焊" * 2001})
    assert_error(r, 414, "query_too_long")
    # Characters are counted decoded: 900 Chinese characters (8,100 bytes encoded) pass.
    r = client.get("/api/v1/occupations/search", params={"q": "焊" * 900})
    assert r.status_code == 200, r.text
