"""GB/T 2260 regions (province / prefecture-level city / county) read from ``cpca``.

``cpca`` ships ``resources/adcodes.csv`` (12-digit codes, names, longitude, latitude). We read
the file without importing ``cpca`` (it imports ``pkg_resources``). Municipalities' city-level
"市辖区" rows (110100, 500100 …) are named after the municipality, which is how service
systems and people refer to them. Counties without coordinates fall back to their parent's.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from catalog.reference.pkgdata import package_data_path
from catalog.text import normalize_text

MUNICIPALITIES = ("11", "12", "31", "50")
NOT_MAINLAND = ("71", "81", "82")  # 台湾, 香港, 澳门: outside the drive's 31 provinces
_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "林区",
    "地区",
    "新区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)


class RegionLevel(StrEnum):
    """Administrative level of a region."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


@dataclass(frozen=True)
class Region:
    """One region.

    Attributes:
        code: 6-digit GB/T 2260 code.
        name: Official name ("深圳市"); municipalities' city rows carry the municipality's name.
        level: Province, city or county.
        parent_code: The enclosing region, ``None`` for provinces.
        longitude: Own or fallback longitude (``None`` only if no ancestor has one).
        latitude: Own or fallback latitude.
        own_coordinates: Whether the coordinates are the region's own.
    """

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    longitude: float | None
    latitude: float | None
    own_coordinates: bool

    @property
    def province_code(self) -> str:
        """The code of the province this region belongs to."""
        return self.code[:2] + "0000"

    @property
    def mainland(self) -> bool:
        """Whether the region is in one of the 31 mainland provinces."""
        return self.code[:2] not in NOT_MAINLAND


def short_name(name: str) -> str:
    """A region name without its administrative suffix ("深圳市" → "深圳"), if ≥ 2 chars remain."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


class RegionIndex:
    """Regions by code, with parent chains, address resolution and distances."""

    def __init__(self, regions: list[Region]) -> None:
        """Index regions (codes must be unique)."""
        self._by_code = {r.code: r for r in regions}
        if len(self._by_code) != len(regions):
            raise ValueError("duplicate region codes")
        self._children: dict[str, list[str]] = {}
        for r in regions:
            if r.parent_code:
                self._children.setdefault(r.parent_code, []).append(r.code)
        # Name → codes, for full names and short names, used by address resolution.
        self._names: dict[str, list[str]] = {}
        for r in regions:
            if r.name in _PLACEHOLDERS:
                continue
            for key in {r.name, short_name(r.name)}:
                if len(key) >= 2:
                    self._names.setdefault(key, []).append(r.code)
        self._max_name = max(len(k) for k in self._names)

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Region | None:
        """The region with this 6-digit code."""
        return self._by_code.get(code)

    def all(self) -> list[Region]:
        """All regions in code order."""
        return [self._by_code[c] for c in sorted(self._by_code)]

    def provinces(self, *, mainland_only: bool = True) -> list[Region]:
        """Provinces in code order (the 31 mainland ones by default)."""
        return [
            r
            for r in self.all()
            if r.level is RegionLevel.PROVINCE and (r.mainland or not mainland_only)
        ]

    def children(self, code: str) -> list[Region]:
        """Direct children in code order."""
        return [self._by_code[c] for c in sorted(self._children.get(code, []))]

    def cities(self, province_code: str) -> list[Region]:
        """Prefecture-level units of a province (municipalities: the municipality itself)."""
        return [r for r in self.children(province_code) if r.level is RegionLevel.CITY]

    def chain(self, code: str) -> list[Region]:
        """The region and its ancestors, province first.

        Raises:
            KeyError: For an unknown code.
        """
        node = self._by_code[code]
        out = [node]
        while node.parent_code is not None:
            node = self._by_code[node.parent_code]
            out.append(node)
        return out[::-1]

    def city_of(self, code: str) -> Region | None:
        """The prefecture-level city of a region (itself for a city, ``None`` for a province)."""
        for r in self.chain(code):
            if r.level is RegionLevel.CITY:
                return r
        return None

    def full_name(self, code: str) -> str:
        """The name with its ancestors, e.g. "广东省深圳市南山区" (municipalities not repeated)."""
        names: list[str] = []
        for r in self.chain(code):
            if r.name in _PLACEHOLDERS and r.code != code:
                continue
            if not names or names[-1] != r.name:
                names.append(r.name)
        return "".join(names)

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether ``code`` is ``ancestor`` or lies inside it."""
        return any(r.code == ancestor for r in self.chain(code))

    def distance_km(self, a: str, b: str) -> float | None:
        """Great-circle distance between two regions' (own or fallback) coordinates."""
        ra, rb = self._by_code.get(a), self._by_code.get(b)
        if ra is None or rb is None or ra.longitude is None or rb.longitude is None:
            return None
        assert ra.latitude is not None and rb.latitude is not None
        return haversine_km(ra.longitude, ra.latitude, rb.longitude, rb.latitude)

    def resolve_address(self, text: str) -> Region | None:
        """The most specific region named in a free-text address.

        Every region name (full or short) found in the text is a candidate; a candidate scores
        by how many of its ancestors are also named, then by how specific it is, so
        "广东省深圳市南山区科技园" gives 南山区 of 深圳 (440305), not 南山区 of 鹤岗.

        Returns:
            The best region, or ``None`` when the text names none.
        """
        text = normalize_text(text).replace(" ", "")
        found: dict[str, int] = {}  # code -> first position
        i = 0
        while i < len(text):
            step = 1
            for length in range(min(self._max_name, len(text) - i), 1, -1):
                codes = self._names.get(text[i : i + length])
                if codes:
                    for c in codes:
                        found.setdefault(c, i)
                    step = length
                    break
            i += step
        if not found:
            return None
        # One span naming both a region and its ancestor ("乌鲁木齐" is a city and a county
        # inside it) means the ancestor.
        for code in list(found):
            if any(r.code in found and found[r.code] == found[code] for r in self.chain(code)[:-1]):
                del found[code]

        def score(code: str) -> tuple[int, int, int]:
            chain = self.chain(code)
            ancestors = sum(1 for r in chain[:-1] if r.code in found)
            return (ancestors, len(chain), -found[code])

        best = max(found, key=score)
        return self._by_code[best]


def _parent_of(code: str, codes: set[str]) -> str | None:
    if code.endswith("0000"):
        return None
    province = code[:2] + "0000"
    if code.endswith("00"):
        return province
    city = code[:4] + "00"
    return city if city in codes else province


def build_regions(rows: list[dict[str, str]]) -> list[Region]:
    """Turn raw ``adcodes.csv`` rows into regions with parents and fallback coordinates."""
    raw: dict[str, tuple[str, float | None, float | None]] = {}
    for row in rows:
        code = row["adcode"].strip()[:6]
        if len(code) != 6 or not code.isdigit() or code in raw:
            continue
        lon = float(row["longitude"]) if row.get("longitude") else None
        lat = float(row["latitude"]) if row.get("latitude") else None
        raw[code] = (row["name"].strip(), lon, lat)
    codes = set(raw)
    province_names = {c: n for c, (n, _, _) in raw.items() if c.endswith("0000")}
    regions: dict[str, Region] = {}

    def make(code: str) -> Region:
        if code in regions:
            return regions[code]
        name, lon, lat = raw[code]
        parent = _parent_of(code, codes)
        level = (
            RegionLevel.PROVINCE
            if parent is None
            else RegionLevel.CITY
            if code.endswith("00")
            else RegionLevel.COUNTY
        )
        if level is RegionLevel.CITY and code[:2] in MUNICIPALITIES and name in ("市辖区", "县"):
            municipality = province_names.get(code[:2] + "0000", name)
            name = municipality if name == "市辖区" else f"{municipality}（郊县）"
        own = lon is not None and lat is not None
        if not own and parent is not None:
            p = make(parent)
            lon, lat = p.longitude, p.latitude
        regions[code] = Region(code, name, level, parent, lon, lat, own)
        return regions[code]

    for code in sorted(codes):
        make(code)
    return [regions[c] for c in sorted(regions)]


@lru_cache(maxsize=1)
def load_regions() -> RegionIndex:
    """All GB/T 2260 regions from the installed ``cpca`` package (cached)."""
    path = package_data_path("cpca", "resources", "adcodes.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return RegionIndex(build_regions(list(csv.DictReader(fh))))
