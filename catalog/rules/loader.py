"""Reading, validating and resolving the rule files into an immutable :class:`RuleSet`.

Layout of a rules directory (the bundled one is ``catalog/data/rules/``)::

    national.toml            national defaults: must set every parameter
    provinces/<code>.toml    overrides for a province (``440000.toml``)
    cities/<code>.toml       overrides for a prefecture-level city (``440300.toml``)

Resolution for a region: city file over province file over national file, parameter by
parameter (tables merge key by key, arrays and scalars replace). An override file applies
only from its ``effective_from`` day. Every combination of layers is resolved and compiled
when the directory is loaded, so a bad combination fails at load, not in a request, and
:meth:`RuleSet.for_region` is a dictionary lookup.

Every malformed file is refused with a :class:`~catalog.errors.RulesError` naming the file,
the line and the problem.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import ValidationError

from catalog.errors import RulesError
from catalog.models import CertificateType, Group
from catalog.reference.ladder import SkillLevel, rung
from catalog.reference.regions import RegionLevel, load_regions
from catalog.rules.schema import REQUIRED_PATHS, RulesFile

Scope = Literal["national", "province", "city"]

DEFAULT_DIRECTORY: Final = Path(__file__).resolve().parent.parent / "data" / "rules"
NATIONAL_REGION: Final = "100000"  # a course on the national platform (全国)
_PARAMETER_SECTIONS: Final = frozenset(
    {"age", "groups", "residence", "directory", "subsidy", "online", "quality"}
)
_PROVINCE_RE: Final = re.compile(r"^\d{2}0000$")
_CITY_RE: Final = re.compile(r"^\d{4}00$")


# =============================================================================================
# line finding and error messages
# =============================================================================================
_BARE_OR_QUOTED = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
_HEADER_RE: Final = re.compile(
    rf"^\s*\[\[?\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*\]\]?\s*(?:#.*)?$"
)
_KEY_RE: Final = re.compile(rf"^\s*({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")
_INLINE_KEY_RE: Final = re.compile(rf"[{{,]\s*({_BARE_OR_QUOTED})\s*=")
_PART_RE: Final = re.compile(_BARE_OR_QUOTED)
_TOML_POS_RE: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _split_key(key: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in _PART_RE.findall(key))


def line_index(text: str) -> dict[str, int]:
    """Map every dotted key path of a TOML document to the line (1-based) that sets it.

    Tables map to their header line, keys (including dotted keys and the keys of one-line
    inline tables) to their own line; a prefix of a dotted key maps to the first line using it.
    Good enough to point at the offending line of a hand-written rules file.
    """
    index: dict[str, int] = {}
    table: tuple[str, ...] = ()
    in_multiline = ""
    for number, line in enumerate(text.splitlines(), 1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = ""
            continue
        header = _HEADER_RE.match(line)
        if header:
            table = _split_key(header.group(1))
            for i in range(1, len(table) + 1):
                index.setdefault(".".join(table[:i]), number)
            continue
        key = _KEY_RE.match(line)
        if not key:
            continue
        path = table + _split_key(key.group(1))
        for i in range(len(table) + 1, len(path) + 1):
            index.setdefault(".".join(path[:i]), number)
        rest = line[key.end() :]
        for quote in ('"""', "'''"):
            if rest.count(quote) == 1:
                in_multiline = quote
        if "{" in rest:
            for inner in _INLINE_KEY_RE.findall(rest):
                index.setdefault(".".join((*path, *_split_key(inner))), number)
    return index


def _path_of(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    return tuple(str(p) for p in loc if isinstance(p, str) and p != "[key]")


def _find_line(index: Mapping[str, int], path: tuple[str, ...]) -> int:
    for i in range(len(path), 0, -1):
        found = index.get(".".join(path[:i]))
        if found is not None:
            return found
    return 1


_ENUM_KINDS: Final = {
    "groups": "群体",
    "standard": "等级",
    "min_hours": "等级",
    "certificates": "证书类型",
    "practical_modes": "授课方式",
}


def _problem(error: Mapping[str, Any]) -> str:
    """A plain-Chinese description of one pydantic error."""
    kind = str(error["type"])
    loc: tuple[int | str, ...] = tuple(error["loc"])
    path = ".".join(_path_of(loc)) or "（文件）"
    value = error.get("input")
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"未知参数“{path}”"
    if kind == "missing":
        return f"缺少参数“{path}”"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"“{path}”应为整数，实为 {value!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"“{path}”应为 true 或 false，实为 {value!r}"
    if kind in ("string_type",):
        return f"“{path}”应为带引号的字符串，实为 {value!r}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"“{path}”应为 TOML 日期（如 2025-07-01，不加引号），实为 {value!r}"
    if kind == "greater_than_equal":
        return f"“{path}”为 {value!r}，不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"“{path}”为 {value!r}，不能大于 {ctx.get('le')}"
    if kind == "string_too_short":
        return f"“{path}”不能为空"
    if kind == "string_too_long":
        return f"“{path}”过长（最多 {ctx.get('max_length')} 字）"
    if kind in ("tuple_type", "list_type"):
        return f'“{path}”应为数组（如 ["a", "b"]），实为 {value!r}'
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"“{path}”应为表（[{path}] 或 {{ … }}），实为 {value!r}"
    if kind == "enum":
        names = [p for p in _path_of(loc) if p in _ENUM_KINDS]
        what = _ENUM_KINDS[names[-1]] if names else "取值"
        expected = "、".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        if loc and loc[-1] == "[key]":
            return f"“{value}”不是已知的{what}名称（可用：{expected}）"
        return f"“{path}”中的“{value}”不是已知的{what}名称（可用：{expected}）"
    if kind == "value_error":
        message = str(error.get("msg", ""))
        return f"“{path}”：{message.removeprefix('Value error, ')}"
    return f"“{path}”：{error.get('msg', kind)}"


# =============================================================================================
# layers
# =============================================================================================
@dataclass(frozen=True)
class RulesLayer:
    """One validated rules file.

    Attributes:
        path: The file.
        scope: ``"national"``, ``"province"`` or ``"city"``.
        code: The region code (``"100000"`` for national).
        file: The validated document.
        params: The parameters it sets (nested dicts, unset parameters left out).
        lines: Dotted key path → line number, for error messages.
    """

    path: Path
    scope: Scope
    code: str
    file: RulesFile
    params: dict[str, Any] = field(repr=False)
    lines: dict[str, int] = field(repr=False)

    @property
    def effective_from(self) -> date:
        """The first day the file applies."""
        return self.file.effective_from

    def has(self, path: str) -> bool:
        """Whether the file itself sets the parameter at a dotted path."""
        return _get(self.params, path) is not None

    def error(self, path: str, problem: str) -> RulesError:
        """A :class:`RulesError` pointing at the line of ``path`` in this file."""
        return RulesError(str(self.path), _find_line(self.lines, tuple(path.split("."))), problem)


def _get(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def read_layer(path: Path, scope: Scope, code: str) -> RulesLayer:
    """Read and validate one rules file.

    Raises:
        RulesError: For a file that cannot be read, is not valid TOML or breaks the schema.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RulesError(str(path), None, f"不是 UTF-8 编码的文本（{exc.reason}）") from exc
    except OSError as exc:
        raise RulesError(str(path), None, f"无法读取：{exc.strerror}") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POS_RE.search(message)
        if match:
            line: int | None = int(match.group(1))
            message = message[: match.start()]
        else:
            line = max(1, len(text.splitlines()))
            message = message.replace("(at end of document)", "").strip()
        raise RulesError(str(path), line, f"TOML 语法错误：{message}") from exc
    lines = line_index(text)
    try:
        file = RulesFile.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(
            str(path), _find_line(lines, _path_of(tuple(first["loc"]))), _problem(first)
        ) from exc
    params = file.model_dump(include=set(_PARAMETER_SECTIONS), exclude_none=True)
    return RulesLayer(path=path, scope=scope, code=code, file=file, params=params, lines=lines)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# =============================================================================================
# compiled parameters
# =============================================================================================
@dataclass(frozen=True, slots=True)
class LayerInfo:
    """Which file a resolved parameter set came from (for bases and audit)."""

    scope: Scope
    code: str
    name: str
    version: str
    effective_from: date
    source: str
    path: str


@dataclass(frozen=True, slots=True)
class GroupParams:
    """Subsidy parameters of one group (or of a person with no key group).

    Attributes:
        age_min: Youngest age subsidised for this group.
        age_max: Oldest age subsidised for this group.
        certificates: Certificate types this group is subsidised for.
        uplift_pct: Key-group uplift in percent.
        excluded: Never subsidised.
        own_window: Whether the group's age window is its own (not the region's default).
    """

    age_min: int
    age_max: int
    certificates: frozenset[str]
    uplift_pct: int
    excluded: bool
    own_window: bool


@dataclass(frozen=True, slots=True)
class RateParams:
    """A flat or per-class-hour subsidy: ``flat + per_hour × hours``, at most ``cap`` (0: none)."""

    flat: int
    per_hour: int
    cap: int

    def amount(self, hours: int) -> int:
        """The subsidy for a course of ``hours`` class hours."""
        value = self.flat + self.per_hour * hours
        return min(value, self.cap) if self.cap else value


@dataclass(frozen=True, slots=True)
class RegionRules:
    """Every parameter resolved for one combination of layers (national, province, city).

    Attributes:
        layers: The files applied, national first.
        age_min: Default youngest subsidised age.
        age_max: Default oldest subsidised age.
        default_group: Parameters of a person without a key group.
        groups: Parameters per group (machine name → params), every group present.
        other_city: Training in another city of the home province is subsidised.
        cooperation: Training in a cooperation destination of the home province is subsidised.
        any_province: Training in any province is subsidised (委托培训 without restriction).
        unlisted_pct: Share of ``standard`` paid for occupations not in the directory (0: none).
        standard: National level → general subsidy standard (yuan), for unlisted occupations.
        course_cap: Highest subsidy per course (yuan; 0: no cap).
        origin: Dotted parameter path (those of :data:`~catalog.rules.schema.REQUIRED_PATHS`)
            → the name of the layer that set it ("subsidy.course_cap" → "江苏省").
        special_ability: Subsidy of 专项职业能力 courses.
        training: Subsidy of 培训合格证 courses.
        online_certificates: Certificate types subsidised when the course is fully online.
        online_share_pct: Share of the subsidy paid for a fully online course.
        home_platform_only: Online courses subsidised only on the home province's platform (or
            the national one).
        min_hours: (ladder rank, minimum hours), highest rank first, for level certificates.
        min_hours_other: Minimum hours of other courses (and levels below every listed one).
        min_practical_pct: Minimum practical share for ``practical_modes``.
        practical_modes: Modes the practical share applies to.
    """

    layers: tuple[LayerInfo, ...]
    age_min: int
    age_max: int
    default_group: GroupParams
    groups: Mapping[str, GroupParams]
    other_city: bool
    cooperation: bool
    any_province: bool
    unlisted_pct: int
    standard: Mapping[int, int]
    course_cap: int
    origin: Mapping[str, str]
    special_ability: RateParams
    training: RateParams
    online_certificates: frozenset[str]
    online_share_pct: int
    home_platform_only: bool
    min_hours: tuple[tuple[int, int], ...]
    min_hours_other: int
    min_practical_pct: int
    practical_modes: frozenset[str]

    @property
    def name(self) -> str:
        """The name of the most specific layer ("厦门市", "广东省", "全国")."""
        return self.layers[-1].name

    def group(self, group: str | None) -> GroupParams:
        """The parameters of a group (``None``: a person without a key group)."""
        if group is None:
            return self.default_group
        return self.groups.get(group, self.default_group)

    def min_hours_for(self, rank: int | None) -> int:
        """Minimum class hours of a level certificate course at ladder ``rank`` (None: other)."""
        if rank is not None:
            for at_least, hours in self.min_hours:
                if rank >= at_least:
                    return hours
        return self.min_hours_other


_ALL_CERTIFICATES: Final = frozenset(c.value for c in CertificateType)


def _compile(layers: tuple[RulesLayer, ...], info: tuple[LayerInfo, ...]) -> RegionRules:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = _merge(merged, layer.params)

    def blame(path: str, problem: str) -> RulesError:
        for layer in reversed(layers):
            if layer.has(path):
                return layer.error(path, problem)
        return layers[0].error(path, problem)

    age_min, age_max = int(_get(merged, "age.min")), int(_get(merged, "age.max"))
    if age_min > age_max:
        raise blame("age", f"合并后年龄下限 {age_min} 大于上限 {age_max}")
    default = GroupParams(age_min, age_max, _ALL_CERTIFICATES, 0, False, False)
    groups: dict[str, GroupParams] = {}
    raw_groups: Mapping[Group, Mapping[str, Any]] = merged.get("groups", {})
    for group in Group:
        raw = raw_groups.get(group, {})
        g_min = raw.get("age_min", age_min)
        g_max = raw.get("age_max", age_max)
        if g_min > g_max:
            raise blame(
                f"groups.{group.value}", f"群体 {group.value} 的年龄下限 {g_min} 大于上限 {g_max}"
            )
        certs = raw.get("certificates")
        groups[group.value] = GroupParams(
            age_min=g_min,
            age_max=g_max,
            certificates=frozenset(c.value for c in certs)
            if certs is not None
            else _ALL_CERTIFICATES,
            uplift_pct=raw.get("uplift_pct", 0),
            excluded=raw.get("excluded", False),
            own_window="age_min" in raw or "age_max" in raw,
        )
    standard: Mapping[SkillLevel, int] = _get(merged, "directory.standard")
    national_standard: dict[int, int] = {}
    for level, amount in standard.items():
        national = rung(level).national_level
        if national is not None:
            national_standard[national] = amount
    min_hours: Mapping[SkillLevel, int] = _get(merged, "quality.min_hours")

    def rate(name: str) -> RateParams:
        return RateParams(
            flat=_get(merged, f"subsidy.{name}.flat"),
            per_hour=_get(merged, f"subsidy.{name}.per_hour"),
            cap=_get(merged, f"subsidy.{name}.cap"),
        )

    return RegionRules(
        layers=info,
        age_min=age_min,
        age_max=age_max,
        default_group=default,
        groups=groups,
        other_city=_get(merged, "residence.other_city"),
        cooperation=_get(merged, "residence.cooperation"),
        any_province=_get(merged, "residence.any_province"),
        unlisted_pct=_get(merged, "directory.unlisted_pct"),
        standard=national_standard,
        course_cap=_get(merged, "subsidy.course_cap"),
        origin={
            path: next(
                i.name
                for lay, i in zip(reversed(layers), reversed(info), strict=True)
                if lay.has(path)
            )
            for path in REQUIRED_PATHS
        },
        special_ability=rate("special_ability"),
        training=rate("training"),
        online_certificates=frozenset(c.value for c in _get(merged, "online.certificates")),
        online_share_pct=_get(merged, "online.share_pct"),
        home_platform_only=_get(merged, "online.home_platform_only"),
        min_hours=tuple(sorted(((rung(lv).rank, h) for lv, h in min_hours.items()), reverse=True)),
        min_hours_other=_get(merged, "quality.min_hours_other"),
        min_practical_pct=_get(merged, "quality.min_practical_pct"),
        practical_modes=frozenset(m.value for m in _get(merged, "quality.practical_modes")),
    )


# =============================================================================================
# the rule set
# =============================================================================================
@lru_cache(maxsize=4096)
def region_name(code: str) -> str:
    """The display name of a region code ("深圳市"; "全国" for the national platform)."""
    if code == NATIONAL_REGION:
        return "全国"
    found = load_regions().get(code)
    return found.name if found is not None else code


def city_code(code: str) -> str | None:
    """The prefecture-level code of a region (``None`` for a province or the national code)."""
    if code.endswith("0000"):
        return None
    return code[:4] + "00"


def province_code(code: str) -> str:
    """The province code of a region."""
    return code[:2] + "0000"


class RuleSet:
    """All rule files of a directory, resolved per region; immutable once built."""

    _CACHE_LIMIT: Final = 50_000

    def __init__(
        self,
        national: RulesLayer,
        provinces: Mapping[str, RulesLayer],
        cities: Mapping[str, RulesLayer],
    ) -> None:
        """Resolve and compile every combination of layers (errors surface here)."""
        self.national = national
        self.provinces: Mapping[str, RulesLayer] = dict(provinces)
        self.cities: Mapping[str, RulesLayer] = dict(cities)
        missing = [p for p in REQUIRED_PATHS if not national.has(p)]
        if missing:
            section = missing[0].split(".")[0]
            raise national.error(section, f"全国默认规则须给出每个参数，缺少“{missing[0]}”")
        combos: list[tuple[str | None, str | None]] = [(None, None)]
        combos += [(p, None) for p in self.provinces]
        for c in self.cities:
            combos.append((None, c))
            if province_code(c) in self.provinces:
                combos.append((province_code(c), c))
        self._compiled: dict[tuple[str | None, str | None], RegionRules] = {}
        for prov, city in combos:
            layers = [national]
            if prov is not None:
                layers.append(self.provinces[prov])
            if city is not None:
                layers.append(self.cities[city])
            info = tuple(self._info(layer) for layer in layers)
            self._compiled[(prov, city)] = _compile(tuple(layers), info)
        self._cache: dict[tuple[str, date], RegionRules] = {}

    @staticmethod
    def _info(layer: RulesLayer) -> LayerInfo:
        name = layer.file.name or (region_name(layer.code) if layer.scope != "national" else "全国")
        return LayerInfo(
            scope=layer.scope,
            code=layer.code,
            name=name,
            version=layer.file.version,
            effective_from=layer.file.effective_from,
            source=layer.file.source,
            path=str(layer.path),
        )

    @property
    def versions(self) -> dict[str, str]:
        """File (relative name) → version, for manifests and audit."""
        out = {"national": self.national.file.version}
        out.update({f"provinces/{c}": lay.file.version for c, lay in self.provinces.items()})
        out.update({f"cities/{c}": lay.file.version for c, lay in self.cities.items()})
        return out

    def for_region(self, code: str, day: date) -> RegionRules:
        """The parameters in force in a region on a day (city > province > national).

        Args:
            code: Any 6-digit region code (county codes resolve through their city);
                ``"100000"`` (national platform) gets the national defaults.
            day: Override files whose ``effective_from`` is later do not apply yet.
        """
        key = (code, day)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        prov = province_code(code)
        city = city_code(code)
        p_layer = self.provinces.get(prov)
        c_layer = self.cities.get(city) if city is not None else None
        p = prov if p_layer is not None and p_layer.effective_from <= day else None
        c = city if c_layer is not None and c_layer.effective_from <= day else None
        if code == NATIONAL_REGION:
            p = c = None
        found = self._compiled[(p, c)]
        if len(self._cache) >= self._CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = found
        return found


def _region_code_from_name(path: Path, scope: Scope) -> str:
    code = path.stem
    regions = load_regions()
    if scope == "province":
        region = regions.get(code) if _PROVINCE_RE.match(code) else None
        if region is None or region.level is not RegionLevel.PROVINCE:
            raise RulesError(
                str(path), None, f"文件名应为省级行政区划代码（如 440000.toml），“{code}”不是"
            )
    else:
        region = (
            regions.get(code) if _CITY_RE.match(code) and not _PROVINCE_RE.match(code) else None
        )
        if region is None or region.level is not RegionLevel.CITY:
            raise RulesError(
                str(path), None, f"文件名应为地级市行政区划代码（如 440300.toml），“{code}”不是"
            )
    return code


def read_rules(directory: str | Path | None = None) -> RuleSet:
    """Read, validate and resolve a rules directory (not cached; see :func:`load_rules`).

    Args:
        directory: The directory; the bundled ``catalog/data/rules`` when ``None``.

    Raises:
        RulesError: For a missing national file, a misplaced or misnamed file, or any
            malformed file (the message names the file, the line and the problem).
    """
    root = Path(directory) if directory is not None else DEFAULT_DIRECTORY
    national_path = root / "national.toml"
    if not national_path.is_file():
        raise RulesError(str(national_path), None, "缺少全国默认规则文件 national.toml")
    stray = sorted(p.name for p in root.glob("*.toml") if p.name != "national.toml")
    if stray:
        raise RulesError(
            str(root / stray[0]),
            None,
            "未知规则文件：省级规则放在 provinces/，市级规则放在 cities/",
        )
    national = read_layer(national_path, "national", NATIONAL_REGION)
    provinces: dict[str, RulesLayer] = {}
    for path in sorted((root / "provinces").glob("*.toml")):
        code = _region_code_from_name(path, "province")
        provinces[code] = read_layer(path, "province", code)
    cities: dict[str, RulesLayer] = {}
    for path in sorted((root / "cities").glob("*.toml")):
        code = _region_code_from_name(path, "city")
        cities[code] = read_layer(path, "city", code)
    return RuleSet(national, provinces, cities)


@lru_cache(maxsize=8)
def _load_cached(directory: str) -> RuleSet:
    return read_rules(directory)


def load_rules(directory: str | Path | None = None) -> RuleSet:
    """The rule set of a directory, loaded once and cached (the bundled one by default).

    Raises:
        RulesError: As :func:`read_rules`.
    """
    root = Path(directory) if directory is not None else DEFAULT_DIRECTORY
    return _load_cached(str(root.resolve()))
