import csv
import itertools

import pytest

from catalog.reference.pkgdata import package_data_path
from catalog.reference.regions import RegionLevel, haversine_km, load_regions, short_name


@pytest.fixture(scope="module")
def regions():
    return load_regions()


def test_every_cpca_code_resolves_with_parent_chain(regions):
    path = package_data_path("cpca", "resources", "adcodes.csv")
    with path.open(encoding="utf-8-sig") as fh:
        codes = {row["adcode"][:6] for row in csv.DictReader(fh)}
    assert len(codes) > 3000
    for code in codes:
        chain = regions.chain(code)
        assert chain[-1].code == code
        assert chain[0].level is RegionLevel.PROVINCE
        assert chain[0].code == code[:2] + "0000"
        for parent, child in itertools.pairwise(chain):
            assert child.parent_code == parent.code
        assert chain[-1].longitude is not None and chain[-1].latitude is not None


def test_31_mainland_provinces_and_cities(regions):
    provinces = regions.provinces()
    assert len(provinces) == 31
    assert "710000" not in {p.code for p in provinces}
    cities = [c for p in provinces for c in regions.cities(p.code)]
    assert len(cities) >= 330
    assert regions.get("500100").name == "重庆市"  # municipality's city row named after it
    assert regions.get("440300").level is RegionLevel.CITY


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("广东省深圳市南山区科技园", "440305"),
        ("深圳南山", "440305"),
        ("黑龙江省鹤岗市南山区", "230404"),
        ("北京市海淀区中关村大街27号", "110108"),
        ("重慶市渝中區", "500103"),  # traditional characters
        ("新疆乌鲁木齐", "650100"),  # the city, not its county of the same short name
        ("吉林省吉林市", "220200"),
        ("湖北仙桃", "429004"),
        ("我在杭州", "330100"),
    ],
)
def test_resolve_address(regions, address, code):
    found = regions.resolve_address(address)
    assert found is not None and found.code == code


def test_resolve_address_none(regions):
    assert regions.resolve_address("我想学电焊") is None
    assert regions.resolve_address("") is None


def test_distance(regions):
    # Shenzhen Nanshan to Beijing Haidian: about 1,950 km as the crow flies.
    d = regions.distance_km("440305", "110108")
    assert d is not None and 1900 < d < 2000
    assert regions.distance_km("440305", "440305") == 0
    assert regions.distance_km("440305", "999999") is None
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.2, abs=0.2)


def test_fallback_coordinates(regions):
    # 440301 (深圳 市辖区) has no coordinates of its own: it takes Shenzhen's.
    r = regions.get("440301")
    shenzhen = regions.get("440300")
    assert r is not None and shenzhen is not None
    assert not r.own_coordinates
    assert (r.longitude, r.latitude) == (shenzhen.longitude, shenzhen.latitude)


def test_full_name_and_helpers(regions):
    assert regions.full_name("440305") == "广东省深圳市南山区"
    assert regions.full_name("110108") == "北京市海淀区"
    assert regions.city_of("440305").code == "440300"
    assert regions.city_of("440000") is None
    assert regions.is_within("440305", "440000")
    assert not regions.is_within("440305", "110000")
    assert short_name("深圳市") == "深圳"
    assert short_name("广西壮族自治区") == "广西"
    assert short_name("市") == "市"
