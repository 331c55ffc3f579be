"""Where a person can train: home city, commuting distance, province, labour destinations."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from catalog.reference.labour import destinations
from catalog.reference.regions import Region, RegionIndex, RegionLevel, load_regions

COMMUTE_KM = 80.0


@dataclass(frozen=True)
class Reach:
    """Regions a person can attend, by tier (0 home city, 1 commutable, 2 province, 3 away).

    Attributes:
        tiers: City code (4-digit prefix + "00") or province code → tier.
        home_city: The home city code (a province code when only the province is known).
        cities: City codes allowed (prefixes for the index filter).
        provinces: Province codes allowed as a whole.
    """

    tiers: dict[str, int]
    home_city: str
    cities: tuple[str, ...]
    provinces: tuple[str, ...]

    def tier_of(self, region_code: str) -> int | None:
        """The tier of a course region, ``None`` when out of reach."""
        city = region_code[:4] + "00"
        if city in self.tiers:
            return self.tiers[city]
        province = region_code[:2] + "0000"
        return self.tiers.get(province)


@lru_cache(maxsize=1)
def _city_table() -> tuple[list[Region], np.ndarray]:
    regions = load_regions()
    cities = [c for p in regions.provinces() for c in regions.cities(p.code)]
    coords = np.array([[c.longitude or 0.0, c.latitude or 0.0] for c in cities], dtype=np.float64)
    return cities, coords


def _near(lon: float, lat: float, km: float) -> list[str]:
    cities, coords = _city_table()
    lat1, lon1 = np.radians(lat), np.radians(lon)
    lat2, lon2 = np.radians(coords[:, 1]), np.radians(coords[:, 0])
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    dist = 2 * 6371.0 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return [cities[i].code for i in np.flatnonzero(dist <= km)]


def reach_of(region: Region, relocate: bool, regions: RegionIndex) -> Reach:
    """The regions a person living in ``region`` can train in."""
    tiers: dict[str, int] = {}
    if region.level is RegionLevel.PROVINCE:
        home = region.code
        tiers[home] = 0
    else:
        city = regions.city_of(region.code) or region
        home = city.code
        # Counties directly under a province (仙桃, 济源 …) train in their own area.
        tiers[region.code[:4] + "00"] = 0
        if city.longitude is not None and city.latitude is not None:
            for code in _near(city.longitude, city.latitude, COMMUTE_KM):
                tiers.setdefault(code, 1)
    province = region.province_code
    if relocate:
        tiers.setdefault(province, 2)
        for dest in destinations(province):
            tiers.setdefault(dest, 3)
    cities = tuple(c for c in tiers if not c.endswith("0000"))
    provinces = tuple(c for c in tiers if c.endswith("0000"))
    return Reach(tiers, home, cities, provinces)
