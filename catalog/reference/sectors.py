"""The policy's six sectors (分行业领域) and their sub-domains, mapped to occupations.

The mapping is hand-written data in ``catalog/data/sectors.toml``: each sector (先进制造业,
数字经济, 低空经济, 交通运输, 农业农村, 生活服务) lists sub-domains, and each sub-domain lists
leaf occupation codes of the 2022 national occupational classification (``6-18-02-04`` 焊工).
An occupation may belong to several sub-domains and sectors (电工 is both a general trade and a
construction trade).

Example:
    >>> from catalog.reference.sectors import load_sectors, sectors_of
    >>> [s.key for s in load_sectors()][:2]
    ['advanced_manufacturing', 'digital_economy']
    >>> "advanced_manufacturing" in sectors_of("6-18-02-04")
    True
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

_PACKAGE = "catalog"
_RESOURCE = ("data", "sectors.toml")
_CODE_RE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
_SECTOR_FIELDS = frozenset({"name", "name_en", "subdomains"})
_SUBDOMAIN_FIELDS = frozenset({"key", "name", "occupations"})


@dataclass(frozen=True)
class SubDomain:
    """A sub-domain of a sector, such as 新能源汽车 under 先进制造业.

    Attributes:
        key: Stable ASCII key, unique within its sector (``"new_energy_vehicles"``).
        name: The Chinese name.
        occupations: Leaf occupation codes of the 2022 classification, in file order.
    """

    key: str
    name: str
    occupations: tuple[str, ...]


@dataclass(frozen=True)
class Sector:
    """One of the policy's sectors.

    Attributes:
        key: Stable ASCII key (``"advanced_manufacturing"``).
        name: The Chinese name (``"先进制造业"``).
        name_en: The English name.
        subdomains: The sector's sub-domains, in file order.
    """

    key: str
    name: str
    name_en: str
    subdomains: tuple[SubDomain, ...]

    @property
    def occupations(self) -> tuple[str, ...]:
        """The distinct occupation codes of all sub-domains, sorted."""
        return tuple(sorted({code for sub in self.subdomains for code in sub.occupations}))


def _text(table: Mapping[str, object], field: str, where: str) -> str:
    """A required non-empty string field of a table.

    Raises:
        ValueError: If the field is missing, not a string or blank.
    """
    value = table.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"sectors.toml: {where}: '{field}' must be a non-empty string")
    return value


def _check_fields(table: Mapping[str, object], allowed: frozenset[str], where: str) -> None:
    """Reject fields the format does not define.

    Raises:
        ValueError: Naming the unknown fields.
    """
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ValueError(f"sectors.toml: {where}: unknown field(s) {', '.join(unknown)}")


def _parse_subdomain(raw: object, where: str) -> SubDomain:
    """Build a sub-domain from its TOML table.

    Raises:
        ValueError: If the table is malformed.
    """
    if not isinstance(raw, dict):
        raise ValueError(f"sectors.toml: {where}: each sub-domain must be a table")
    _check_fields(raw, _SUBDOMAIN_FIELDS, where)
    key = _text(raw, "key", where)
    where = f"{where} ({key})"
    name = _text(raw, "name", where)
    codes = raw.get("occupations")
    if not isinstance(codes, list) or not codes:
        raise ValueError(f"sectors.toml: {where}: 'occupations' must be a non-empty list")
    seen: set[str] = set()
    for code in codes:
        if not isinstance(code, str) or not _CODE_RE.match(code):
            raise ValueError(
                f"sectors.toml: {where}: {code!r} is not an occupation code like '6-18-02-04'"
            )
        if code in seen:
            raise ValueError(f"sectors.toml: {where}: occupation {code} is listed twice")
        seen.add(code)
    return SubDomain(key=key, name=name, occupations=tuple(codes))


def parse_sectors(data: Mapping[str, object]) -> tuple[Sector, ...]:
    """Build the sectors from the parsed TOML document.

    Args:
        data: The document as returned by :func:`tomllib.loads`; one table per sector, in order.

    Returns:
        The sectors, in document order.

    Raises:
        ValueError: If the document does not have the expected structure, naming the problem.
    """
    if not data:
        raise ValueError("sectors.toml: no sectors defined")
    sectors: list[Sector] = []
    for sector_key, raw in data.items():
        where = f"sector '{sector_key}'"
        if not isinstance(raw, dict):
            raise ValueError(f"sectors.toml: {where}: expected a table, got {type(raw).__name__}")
        _check_fields(raw, _SECTOR_FIELDS, where)
        subs_raw = raw.get("subdomains")
        if not isinstance(subs_raw, list) or not subs_raw:
            raise ValueError(
                f"sectors.toml: {where}: 'subdomains' must be a non-empty array of tables"
            )
        subdomains = tuple(
            _parse_subdomain(sub, f"{where}, sub-domain #{i + 1}") for i, sub in enumerate(subs_raw)
        )
        keys = [sub.key for sub in subdomains]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(
                f"sectors.toml: {where}: duplicate sub-domain key(s) {', '.join(duplicates)}"
            )
        sectors.append(
            Sector(
                key=sector_key,
                name=_text(raw, "name", where),
                name_en=_text(raw, "name_en", where),
                subdomains=subdomains,
            )
        )
    return tuple(sectors)


@lru_cache(maxsize=1)
def load_sectors() -> tuple[Sector, ...]:
    """The sectors of the bundled ``catalog/data/sectors.toml``, in the policy's order.

    Returns:
        The six sectors; the result is cached.

    Raises:
        ValueError: If the file is not valid TOML or has an unknown structure.
    """
    resource = files(_PACKAGE).joinpath(*_RESOURCE)
    try:
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"sectors.toml: not valid TOML: {exc}") from exc
    return parse_sectors(data)


@lru_cache(maxsize=1)
def _sectors_by_code() -> Mapping[str, tuple[str, ...]]:
    """Occupation code to the keys of the sectors listing it, in sector order."""
    index: dict[str, list[str]] = {}
    for sector in load_sectors():
        for code in sector.occupations:
            index.setdefault(code, []).append(sector.key)
    return {code: tuple(keys) for code, keys in index.items()}


def sector(key: str) -> Sector:
    """The sector with the given key.

    Raises:
        KeyError: For an unknown key.
    """
    for found in load_sectors():
        if found.key == key:
            return found
    raise KeyError(key)


def sectors_of(code: str) -> tuple[str, ...]:
    """The keys of the sectors an occupation belongs to.

    Args:
        code: A leaf occupation code such as ``"6-18-02-04"``.

    Returns:
        The sector keys in the policy's order; empty when no sector lists the occupation.
    """
    return _sectors_by_code().get(code.strip(), ())


def trainable_occupations() -> frozenset[str]:
    """All occupation codes mapped to any sector: the occupations subsidised courses target."""
    return frozenset(_sectors_by_code())
