"""Labour-exporting and labour-importing provinces and their cooperation pairs.

Hand-written data in ``catalog/data/labour_flows.toml``: for each of the 31 mainland provinces
whether it mainly exports labour (劳务输出: 河南, 四川, 贵州 …), imports it (劳务输入: 广东,
浙江, 江苏 …) or is roughly balanced, and where its migrant workers typically go (following the
big migration streams and the East–West cooperation pairs such as 粤黔, 浙川, 闽宁, 津甘).
The matching engine uses it for ``relocate``; the demo catalog for cross-regional classes.

Example:
    >>> from catalog.reference.labour import destinations, labour_role
    >>> labour_role("520000")
    'exporting'
    >>> destinations("520000")[0]
    '440000'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Literal, cast, get_args

LabourRole = Literal["exporting", "importing", "balanced"]
PairKind = Literal["east_west", "paired", "regional"]

_PACKAGE = "catalog"
_RESOURCE = ("data", "labour_flows.toml")
_PROVINCE_RE = re.compile(r"^\d{2}0000$")
_ROLES: tuple[str, ...] = get_args(LabourRole)
_KINDS: tuple[str, ...] = get_args(PairKind)
_PROVINCE_FIELDS = frozenset({"name", "abbr", "role", "destinations"})
_PAIR_FIELDS = frozenset({"from", "to", "name", "kind"})


@dataclass(frozen=True)
class LabourProfile:
    """A province's place in inter-provincial labour flows.

    Attributes:
        code: GB/T 2260 province code (``"520000"``).
        name: The province's name.
        abbr: The one-character abbreviation (``"黔"``), used in names such as 粤黔协作.
        role: ``"exporting"``, ``"importing"`` or ``"balanced"``.
        destinations: Province codes where its workers typically go, most common first.
    """

    code: str
    name: str
    abbr: str
    role: LabourRole
    destinations: tuple[str, ...]


@dataclass(frozen=True)
class CooperationPair:
    """A named labour cooperation arrangement between a sending and a receiving province.

    Attributes:
        from_code: The sending (usually labour-exporting) province.
        to_code: The receiving province.
        name: The arrangement's name (``"粤黔东西部协作"``).
        kind: ``"east_west"`` (东西部协作), ``"paired"`` (对口合作) or ``"regional"``.
    """

    from_code: str
    to_code: str
    name: str
    kind: PairKind


@dataclass(frozen=True)
class LabourFlows:
    """All profiles and pairs of the bundled data file."""

    profiles: Mapping[str, LabourProfile]
    pairs: tuple[CooperationPair, ...]


def _text(table: Mapping[str, object], field: str, where: str) -> str:
    value = table.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"labour_flows.toml: {where}: '{field}' must be a non-empty string")
    return value.strip()


def _check_fields(table: Mapping[str, object], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ValueError(f"labour_flows.toml: {where}: unknown field(s) {', '.join(unknown)}")


def parse_labour_flows(data: Mapping[str, object]) -> LabourFlows:
    """Build the labour-flow data from the parsed TOML document.

    Args:
        data: The document as returned by :func:`tomllib.loads`.

    Returns:
        The profiles by province code and the cooperation pairs.

    Raises:
        ValueError: If the document is malformed, naming the problem.
    """
    unknown = sorted(set(data) - {"provinces", "pairs"})
    if unknown:
        raise ValueError(f"labour_flows.toml: unknown top-level key(s) {', '.join(unknown)}")
    raw_provinces = data.get("provinces")
    if not isinstance(raw_provinces, dict) or not raw_provinces:
        raise ValueError("labour_flows.toml: [provinces] must be a non-empty table")
    profiles: dict[str, LabourProfile] = {}
    for code, raw in raw_provinces.items():
        where = f"province {code}"
        if not _PROVINCE_RE.match(code):
            raise ValueError(f"labour_flows.toml: {where}: not a province code like '520000'")
        if not isinstance(raw, dict):
            raise ValueError(f"labour_flows.toml: {where}: expected a table")
        _check_fields(raw, _PROVINCE_FIELDS, where)
        role = _text(raw, "role", where)
        if role not in _ROLES:
            raise ValueError(f"labour_flows.toml: {where}: role {role!r} not one of {_ROLES}")
        dests = raw.get("destinations", [])
        if not isinstance(dests, list) or not all(isinstance(d, str) for d in dests):
            raise ValueError(f"labour_flows.toml: {where}: 'destinations' must be a list of codes")
        if len(set(dests)) != len(dests) or code in dests:
            raise ValueError(f"labour_flows.toml: {where}: repeated or self destination")
        profiles[code] = LabourProfile(
            code=code,
            name=_text(raw, "name", where),
            abbr=_text(raw, "abbr", where),
            role=cast(LabourRole, role),
            destinations=tuple(dests),
        )
    for profile in profiles.values():
        bad = [d for d in profile.destinations if d not in profiles]
        if bad:
            raise ValueError(
                f"labour_flows.toml: province {profile.code}: unknown destination(s) {bad}"
            )
    raw_pairs = data.get("pairs", [])
    if not isinstance(raw_pairs, list):
        raise ValueError("labour_flows.toml: [[pairs]] must be an array of tables")
    pairs: list[CooperationPair] = []
    for i, raw in enumerate(raw_pairs):
        where = f"pair #{i + 1}"
        if not isinstance(raw, dict):
            raise ValueError(f"labour_flows.toml: {where}: expected a table")
        _check_fields(raw, _PAIR_FIELDS, where)
        src, dst = _text(raw, "from", where), _text(raw, "to", where)
        if src not in profiles or dst not in profiles or src == dst:
            raise ValueError(f"labour_flows.toml: {where}: bad provinces {src!r} → {dst!r}")
        kind = _text(raw, "kind", where)
        if kind not in _KINDS:
            raise ValueError(f"labour_flows.toml: {where}: kind {kind!r} not one of {_KINDS}")
        pairs.append(CooperationPair(src, dst, _text(raw, "name", where), cast(PairKind, kind)))
    return LabourFlows(profiles=profiles, pairs=tuple(pairs))


@lru_cache(maxsize=1)
def load_labour_flows() -> LabourFlows:
    """The bundled ``catalog/data/labour_flows.toml`` (cached).

    Raises:
        ValueError: If the file is not valid TOML or malformed.
    """
    resource = files(_PACKAGE).joinpath(*_RESOURCE)
    try:
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"labour_flows.toml: not valid TOML: {exc}") from exc
    return parse_labour_flows(data)


def _province_code(code: str) -> str:
    code = code.strip()
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"{code!r} is not a 6-digit region code")
    return code[:2] + "0000"


def profile(code: str) -> LabourProfile | None:
    """The labour profile of the province containing ``code`` (any region level)."""
    return load_labour_flows().profiles.get(_province_code(code))


def labour_role(province_code: str) -> LabourRole:
    """Whether a province mainly exports or imports labour.

    Args:
        province_code: A province code; a city or county code is read as its province.

    Returns:
        ``"exporting"``, ``"importing"`` or ``"balanced"`` (also for provinces not in the data).
    """
    found = profile(province_code)
    return found.role if found else "balanced"


def destinations(province_code: str) -> tuple[str, ...]:
    """Province codes where workers from this province typically go, most common first.

    Args:
        province_code: A province code; a city or county code is read as its province.

    Returns:
        The destination province codes; empty for importing provinces and unknown codes.
    """
    found = profile(province_code)
    return found.destinations if found else ()


def sources(province_code: str) -> tuple[str, ...]:
    """Province codes whose workers typically come to this province, in code order."""
    target = _province_code(province_code)
    return tuple(
        sorted(p.code for p in load_labour_flows().profiles.values() if target in p.destinations)
    )


def abbreviation(province_code: str) -> str:
    """The one-character abbreviation of a province ("" when unknown)."""
    found = profile(province_code)
    return found.abbr if found else ""


def cooperation_pairs() -> tuple[CooperationPair, ...]:
    """All named cooperation arrangements, in file order."""
    return load_labour_flows().pairs


def pair_name(from_code: str, to_code: str) -> str | None:
    """The name of the cooperation arrangement between two provinces, if one is named."""
    src, dst = _province_code(from_code), _province_code(to_code)
    for pair in load_labour_flows().pairs:
        if pair.from_code == src and pair.to_code == dst:
            return pair.name
    return None
