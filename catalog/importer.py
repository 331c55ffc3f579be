"""Import of published training-demand directories, institution directories and course catalogs.

Three kinds of file, each read by a pure loader (nothing is written):

- ``demand``: a training-demand directory (职业技能培训需求指导目录 / 紧缺职业目录) →
  :class:`~catalog.models.DemandEntry`, in the LONG layout (one row per occupation × level) or the
  WIDE layout (one row per occupation, one column per level);
- ``institutions``: a directory of training institutions → :class:`~catalog.models.Institution`;
- ``courses``: a subsidised course catalog (补贴性培训项目目录) → :class:`~catalog.models.Course`,
  with one :class:`~catalog.models.Session` per row when session columns are present (JSON rows
  may nest a ``sessions`` list instead).

Files may be CSV (UTF-8 with or without BOM, GB18030/GBK), XLSX (merged cells are spread over
their range) or JSON. Headers are matched through ``catalog/data/header_map.toml``; the header
row is found below any title rows. Every row is validated, and each problem becomes a
:class:`ReportEntry` (row as in the file, column as written, value, reason in Chinese).

:func:`plan_import` compares a loaded file with the current snapshot of a
:class:`~catalog.store.CatalogStore` and :func:`apply_import` writes the new snapshot. An import
is all-or-nothing unless ``partial=True``. See ``docs/IMPORT.md``.

Example:
    >>> plan = plan_import(store, "demand", "深圳市目录.xlsx", region_code="440300")
    >>> print(plan.to_text())
    >>> if plan.ok:
    ...     apply_import(store, plan)
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import tomllib
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final, Generic, Literal, TypeVar

import pyarrow as pa
from pydantic import BaseModel, ValidationError

from catalog.diff import TableDiff, diff_tables
from catalog.errors import (
    ImportConflict,
    ImportFileError,
    ImportParameterError,
    ImportRejected,
)
from catalog.models import (
    CERTIFICATE_LABELS,
    EMPLOYMENT_SERVICE_LABELS,
    GRADE_LABELS,
    GROUP_LABELS,
    INSTITUTION_TYPE_LABELS,
    MODE_LABELS,
    NATIONAL_LEVELS,
    TIER_LABELS,
    CertificateType,
    Course,
    DemandEntry,
    Education,
    EmploymentService,
    Group,
    Institution,
    InstitutionGrade,
    InstitutionType,
    Mode,
    Session,
    UrgencyTier,
)
from catalog.reference.ladder import SkillLevel, parse_level, rung, rung_for_national_level
from catalog.reference.occupations import Occupation, load_occupations
from catalog.reference.regions import load_regions
from catalog.schema import TABLES, empty_table
from catalog.store import TABLE_NAMES, CatalogStore, Manifest
from catalog.text import normalize_key, normalize_text

logger = logging.getLogger(__name__)

Kind = Literal["demand", "institutions", "courses"]
KINDS: Final[tuple[Kind, ...]] = ("demand", "institutions", "courses")
KIND_LABELS: Final[dict[str, str]] = {
    "demand": "培训需求目录",
    "institutions": "培训机构名录",
    "courses": "补贴性培训项目目录",
}
LAYOUT_LABELS: Final[dict[str, str]] = {
    "long": "长表：每行一个职业的一个等级",
    "wide": "宽表：每行一个职业，各等级分列",
    "table": "表格",
    "json": "JSON",
}
HEADER_SEARCH_ROWS: Final = 15
"""The header row is looked for among this many first rows of a sheet."""

_PACKAGE: Final = "catalog"
_SUPPORTED: Final = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json")

# Fields each kind understands (the header map may not name others).
_DEMAND_FIELDS: Final = frozenset(
    {
        "region",
        "occupation_code",
        "occupation_name",
        "level",
        "subsidy",
        *(f"subsidy_l{lv}" for lv in NATIONAL_LEVELS),
        "tier",
        "shortage_uplift_pct",
        "key_occupation",
        "key_uplift_pct",
        "valid_from",
        "valid_to",
        "source",
    }
)
_INSTITUTION_FIELDS: Final = frozenset(
    {
        "institution_id",
        "name",
        "type",
        "grade",
        "region",
        "address",
        "trained",
        "certified",
        "employed_3m",
        "employed_6m",
    }
)
_SESSION_FIELDS: Final = frozenset(
    {
        "session_id",
        "start_date",
        "end_date",
        "enrol_open",
        "enrol_close",
        "capacity",
        "seats_taken",
        "session_address",
        "longitude",
        "latitude",
    }
)
_COURSE_FIELDS: Final = frozenset(
    {
        "course_id",
        "institution_id",
        "title",
        "occupation_code",
        "occupation_name",
        "level",
        "mode",
        "hours_total",
        "hours_practical",
        "fee",
        "subsidy_amount",
        "subsidy_basis",
        "certificate",
        "eligible_groups",
        "age_range",
        "age_min",
        "age_max",
        "min_education",
        "min_level",
        "prerequisites",
        "employment_service",
        "partner_employers",
        "description",
        "region",
        *_SESSION_FIELDS,
    }
)
_KIND_FIELDS: Final[dict[str, frozenset[str]]] = {
    "demand": _DEMAND_FIELDS,
    "institutions": _INSTITUTION_FIELDS,
    "courses": _COURSE_FIELDS,
}

FIELD_LABELS: Final[dict[str, str]] = {
    "region": "地区",
    "region_code": "地区代码",
    "occupation_code": "职业编码",
    "occupation_name": "职业（工种）名称",
    "level": "等级",
    "subsidy": "补贴金额",
    "subsidy_l5": "五级/初级工补贴",
    "subsidy_l4": "四级/中级工补贴",
    "subsidy_l3": "三级/高级工补贴",
    "subsidy_l2": "二级/技师补贴",
    "subsidy_l1": "一级/高级技师补贴",
    "not_in_standard": "国家标准未设等级",
    "tier": "紧缺程度",
    "shortage_uplift_pct": "紧缺上浮比例",
    "key_occupation": "重点职业",
    "key_uplift_pct": "重点职业上浮比例",
    "valid_from": "有效期起",
    "valid_to": "有效期止",
    "source": "来源",
    "institution_id": "机构编码",
    "name": "机构名称",
    "type": "机构类型",
    "grade": "机构等级",
    "address": "地址",
    "trained": "培训人数",
    "certified": "取证人数",
    "employed_3m": "3个月就业人数",
    "employed_6m": "6个月就业人数",
    "course_id": "项目编号",
    "title": "项目名称",
    "mode": "培训方式",
    "hours_total": "总课时",
    "hours_practical": "实操课时",
    "fee": "培训费",
    "subsidy_amount": "补贴金额",
    "subsidy_basis": "补贴依据",
    "certificate": "证书类型",
    "eligible_groups": "适用人群",
    "age_range": "年龄要求",
    "age_min": "年龄下限",
    "age_max": "年龄上限",
    "min_education": "学历要求",
    "min_level": "等级要求",
    "prerequisites": "报名条件",
    "employment_service": "就业服务",
    "partner_employers": "合作用人单位",
    "description": "课程简介",
    "session_id": "班期编号",
    "start_date": "开班日期",
    "end_date": "结班日期",
    "enrol_open": "报名开始",
    "enrol_close": "报名截止",
    "capacity": "计划人数",
    "seats_taken": "已报名人数",
    "session_address": "培训地点",
    "longitude": "经度",
    "latitude": "纬度",
    "is_demo": "演示数据",
}


# ---------------------------------------------------------------------------------------------
# Header map and occupation aliases (hand-written data in catalog/data/)
# ---------------------------------------------------------------------------------------------
_HEADER_NOISE = re.compile(r"[\s()\[\]{}<>【】《》「」〔〕/\\、\-_:;.·*※]")


def header_key(text: object) -> str:
    """The comparison key of a column header.

    NFKC, traditional → simplified, lower-case, and without whitespace, brackets, slashes, 、,
    hyphens, underscores, colons, dots and asterisks, so that "补贴标准(元/人)",
    "補貼標準（元／人）" and "补贴标准 元人" compare equal.

    Args:
        text: A header cell as written (any value; ``None`` gives "").

    Returns:
        The key ("" for a blank header).
    """
    if text is None:
        return ""
    return _HEADER_NOISE.sub("", normalize_text(str(text)).lower())


@dataclass(frozen=True)
class HeaderMap:
    """Accepted column headers of one kind of file.

    Attributes:
        kind: ``demand``, ``institutions`` or ``courses``.
        fields: Field → the headers accepted for it, as written in the TOML file.
        ignored: Keys (see :func:`header_key`) of known headers that are not imported.
    """

    kind: str
    fields: Mapping[str, tuple[str, ...]]
    ignored: frozenset[str]
    _lookup: Mapping[str, str] = field(repr=False, default_factory=dict)

    def field_for(self, header: object) -> str | None:
        """The field a header maps to, or ``None``."""
        return self._lookup.get(header_key(header))

    def is_ignored(self, header: object) -> bool:
        """Whether a header is known and deliberately not imported (序号, 备注 …)."""
        return header_key(header) in self.ignored


def _string_list(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"header_map.toml: {where} must be a list of non-empty strings")
    return tuple(value)


def _parse_header_map(kind: str, raw: object) -> HeaderMap:
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), dict):
        raise ValueError(f"header_map.toml: [{kind}.fields] is missing")
    known = _KIND_FIELDS[kind]
    fields: dict[str, tuple[str, ...]] = {}
    lookup: dict[str, str] = {}
    for name, headers in raw["fields"].items():
        if name not in known:
            raise ValueError(f"header_map.toml: [{kind}.fields] {name!r} is not a field of {kind}")
        fields[name] = _string_list(headers, f"{kind}.fields.{name}")
        for header in fields[name]:
            key = header_key(header)
            other = lookup.setdefault(key, name)
            if other != name:
                raise ValueError(
                    f"header_map.toml: header {header!r} of {kind}.{name} is also one of {other}"
                )
    ignore = raw.get("ignore")
    ignored = (
        frozenset(header_key(h) for h in _string_list(ignore, kind)) if ignore else frozenset()
    )
    clash = sorted(k for k in ignored if k in lookup)
    if clash:
        raise ValueError(f"header_map.toml: [{kind}] ignores mapped headers {clash}")
    return HeaderMap(kind, fields, ignored, lookup)


@lru_cache(maxsize=1)
def load_header_maps() -> dict[str, HeaderMap]:
    """The header maps of all kinds, from ``catalog/data/header_map.toml`` (cached).

    Raises:
        ValueError: When the file is malformed, names an unknown field or maps one header to
            two fields.
    """
    text = files(_PACKAGE).joinpath("data", "header_map.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    return {kind: _parse_header_map(kind, raw.get(kind)) for kind in KINDS}


@lru_cache(maxsize=1)
def load_occupation_aliases() -> dict[str, str]:
    """Extra occupation names → leaf codes, from ``catalog/data/occupation_aliases.toml`` (cached).

    Returns:
        Normalised name (:func:`catalog.text.normalize_key`) → occupation code.

    Raises:
        ValueError: When the file is malformed or a code is not a leaf occupation.
    """
    text = files(_PACKAGE).joinpath("data", "occupation_aliases.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text).get("aliases")
    if not isinstance(table, dict):
        raise ValueError("occupation_aliases.toml: [aliases] is missing")
    index = load_occupations()
    out: dict[str, str] = {}
    for name, code in table.items():
        occ = index.get(code) if isinstance(code, str) else None
        if occ is None or not occ.is_leaf:
            raise ValueError(
                f"occupation_aliases.toml: {name!r} → {code!r} is not a leaf occupation"
            )
        out[normalize_key(name)] = code
    return out


_BRACKETED = re.compile(r"[(（]([^()（）]*)[)）]")
_OCC_CODE = re.compile(r"^\d-?\d{2}-?\d{2}-?\d{2}$")


def resolve_occupation(text: str) -> Occupation | None:
    """A leaf occupation from a code, a name or an alias as published tables write them.

    Order: a code ("6-18-02-04" or "6180204"); an exact occupation name of the 2022
    classification; the importer's alias table (``occupation_aliases.toml``); the
    classification's recruiting aliases. A name with a bracketed part ("焊工（电焊）") is tried
    whole, then without the bracket, then as the bracketed text.

    Args:
        text: The cell as written (traditional characters and full-width forms are fine).

    Returns:
        The leaf occupation, or ``None`` when nothing matches.
    """
    index = load_occupations()
    aliases = load_occupation_aliases()
    key = normalize_key(text)
    if not key:
        return None
    if _OCC_CODE.match(key):
        return index.resolve(key)
    candidates = [key]
    stripped = _BRACKETED.sub("", key)
    if stripped and stripped != key:
        candidates.append(stripped)
    candidates.extend(m.group(1) for m in _BRACKETED.finditer(key) if m.group(1))
    for cand in candidates:
        found = index.resolve(cand)
        if found is not None and normalize_key(found.name) == cand:
            return found
        code = aliases.get(cand)
        if code is not None:
            return index.get(code)
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------------------------------------
# The validation report
# ---------------------------------------------------------------------------------------------
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ReportEntry:
    """One problem found in a file.

    Attributes:
        row: Row number as in the file (1-based, title rows counted; for JSON the 1-based
            position in the list), or ``None`` for a problem of the whole file.
        column: The header as written in the file ("" for a whole row or file).
        value: The cell as written ("" when not applicable).
        reason: What is wrong, in Simplified Chinese.
        severity: ``error`` (the row is invalid) or ``warning`` (information only).
        sheet: The worksheet of an XLSX file, ``None`` for CSV and JSON.
    """

    row: int | None
    column: str
    value: str
    reason: str
    severity: Severity = "error"
    sheet: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
            "severity": self.severity,
        }

    def to_text(self, *, with_sheet: bool = False) -> str:
        """One readable line in Chinese."""
        if self.row is None:
            where = f"工作表“{self.sheet}”" if self.sheet else "整个文件"
        else:
            where = f"第 {self.row} 行"
            if with_sheet and self.sheet:
                where = f"工作表“{self.sheet}”{where}"
        if self.column:
            where += f"［{self.column}］"
        text = f"{where}：{self.reason}"
        if self.value and self.value not in self.reason:
            text += f"（原值：“{self.value}”）"
        return text


@dataclass
class ImportReport:
    """Row-by-row validation report of one imported file.

    Attributes:
        kind: ``demand``, ``institutions`` or ``courses``.
        source: The file name.
        layout: ``long`` / ``wide`` (demand tables), ``table`` or ``json``.
        header_rows: Sheet name ("" for CSV) → the header row(s), e.g. ``"3"`` or ``"3-4"``.
        rows_read: Data rows read below the header (blank and note rows included).
        rows_skipped_blank: Blank rows.
        rows_skipped_note: Note, title and section rows inside the table ("注：…", "一、…").
        rows_checked: Whether the rows were validated (``False`` after a file-level error such
            as a missing column: then no row counts as valid).
        records: Records produced (after merging rows into entries).
        sessions: Sessions produced (courses only).
        entries: Errors and warnings, in file order.
    """

    kind: str
    source: str
    layout: str = ""
    header_rows: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    rows_skipped_blank: int = 0
    rows_skipped_note: int = 0
    rows_checked: bool = True
    records: int = 0
    sessions: int = 0
    entries: list[ReportEntry] = field(default_factory=list)

    @property
    def errors(self) -> list[ReportEntry]:
        """Entries that make a row (or the file) invalid."""
        return [e for e in self.entries if e.severity == "error"]

    @property
    def warnings(self) -> list[ReportEntry]:
        """Entries for information only."""
        return [e for e in self.entries if e.severity == "warning"]

    @property
    def file_errors(self) -> list[ReportEntry]:
        """Errors of the whole file (no header, a required column missing, nothing to import)."""
        return [e for e in self.errors if e.row is None]

    @property
    def invalid_rows(self) -> list[tuple[str | None, int]]:
        """(sheet, row) of every row with at least one error, in file order."""
        seen: dict[tuple[str | None, int], None] = {}
        for e in self.errors:
            if e.row is not None:
                seen.setdefault((e.sheet, e.row), None)
        return list(seen)

    @property
    def rows_invalid(self) -> int:
        """Number of rows with at least one error."""
        return len(self.invalid_rows)

    @property
    def rows_valid(self) -> int:
        """Number of data rows without errors (blank and note rows not counted)."""
        if not self.rows_checked:
            return 0
        skipped = self.rows_skipped_blank + self.rows_skipped_note
        return max(self.rows_read - skipped - self.rows_invalid, 0)

    @property
    def ok(self) -> bool:
        """Whether the file has no errors at all."""
        return not self.errors

    def add(
        self,
        row: int | None,
        column: str,
        value: object,
        reason: str,
        *,
        severity: Severity = "error",
        sheet: str | None = None,
    ) -> None:
        """Record a problem."""
        self.entries.append(ReportEntry(row, column, _show(value), reason, severity, sheet))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: counts, then every entry."""
        return {
            "kind": self.kind,
            "source": self.source,
            "layout": self.layout,
            "header_rows": dict(self.header_rows),
            "counts": {
                "rows_read": self.rows_read,
                "rows_valid": self.rows_valid,
                "rows_invalid": self.rows_invalid,
                "rows_skipped_blank": self.rows_skipped_blank,
                "rows_skipped_note": self.rows_skipped_note,
                "rows_checked": self.rows_checked,
                "records": self.records,
                "sessions": self.sessions,
                "errors": len(self.errors),
                "warnings": len(self.warnings),
            },
            "ok": self.ok,
            "entries": [e.to_json() for e in self.entries],
        }

    def to_text(self, limit: int = 200) -> str:
        """A readable report in Chinese, at most ``limit`` entries of each severity."""
        layout = LAYOUT_LABELS.get(self.layout, self.layout)
        head = f"导入报告：{self.source}（{KIND_LABELS.get(self.kind, self.kind)}"
        lines = [head + (f"，{layout}）" if layout else "）")]
        with_sheet = len(self.header_rows) > 1
        if self.header_rows:
            parts = [
                (f"工作表“{sheet}”" if sheet else "") + f"第 {rows} 行"
                for sheet, rows in self.header_rows.items()
            ]
            lines.append("表头：" + "；".join(parts))
        counts = (
            f"读取 {self.rows_read} 行：有效 {self.rows_valid} 行，有误 {self.rows_invalid} 行，"
            f"空行 {self.rows_skipped_blank} 行"
        )
        if self.rows_skipped_note:
            counts += f"，说明/分类行 {self.rows_skipped_note} 行"
        if not self.rows_checked:
            counts = f"读取 {self.rows_read} 行（因文件错误未逐行检查）"
        lines.append(counts)
        made = f"生成记录 {self.records} 条"
        if self.kind == "courses":
            made += f"，班期 {self.sessions} 个"
        lines.append(made)
        for title, entries in (("错误", self.errors), ("提示", self.warnings)):
            if not entries:
                continue
            lines.append(f"{title} {len(entries)} 处：")
            lines.extend(f"  {e.to_text(with_sheet=with_sheet)}" for e in entries[:limit])
            if len(entries) > limit:
                lines.append(f"  …… 另有 {len(entries) - limit} 处未列出")
        if self.ok:
            lines.append("没有发现错误。")
        return "\n".join(lines)


def _show(value: object) -> str:
    """A cell value as a short string for the report."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "、".join(_show(v) for v in value)
    return str(value).strip()


RecordT = TypeVar("RecordT", bound=BaseModel)
Origin = tuple[str | None, int]


@dataclass
class ImportResult(Generic[RecordT]):
    """What a loader returns: the valid records and the report.

    Attributes:
        kind: ``demand``, ``institutions`` or ``courses``.
        path: The file read.
        records: Valid records, in file order.
        report: The validation report.
        sessions: Valid sessions of the valid courses (courses only).
        origins: (sheet, first row) of each record, parallel to ``records``.
        rejected: Keys of entries that are in the file but were dropped because of errors,
            when known: (region_code, occupation_code) for demand, (institution_id,) and
            (course_id,) otherwise. A partial import keeps their current rows.
        columns: Field → the header as written in the file (first sheet that has it).
    """

    kind: str
    path: Path
    records: list[RecordT]
    report: ImportReport
    sessions: list[Session] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    rejected: set[tuple[str, ...]] = field(default_factory=set)
    columns: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Reading files into sheets of raw cells
# ---------------------------------------------------------------------------------------------
@dataclass
class _Sheet:
    name: str | None
    rows: list[tuple[int, list[Any]]]


@dataclass
class _Row:
    """One data row: field → (header as written, raw value)."""

    sheet: str | None
    number: int
    cells: dict[str, tuple[str, Any]]
    nested: list[_Row] = field(default_factory=list)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_csv(path: Path) -> _Sheet:
    data = path.read_bytes()
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if encoding != "utf-8-sig":
                logger.info("%s is not UTF-8; read as %s", path.name, encoding)
            break
    if text is None:
        raise ImportFileError(f"{path.name}：无法识别文件编码（支持 UTF-8 与 GB18030/GBK）")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = (
        "\t" if path.suffix.lower() == ".tsv" or first.count("\t") > first.count(",") else ","
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[Any]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, list(cells)))
    except csv.Error as exc:
        raise ImportFileError(f"{path.name}：CSV 格式有误：{exc}") from exc
    return _Sheet(None, rows)


def _read_xlsx(path: Path, sheet: str | None) -> list[_Sheet]:
    import openpyxl  # heavy-ish; only needed for spreadsheets

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # unsupported extensions, styles
            book = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"{path.name}：无法读取 Excel 文件：{exc}") from exc
    try:
        titles = [ws.title for ws in book.worksheets]
        if sheet is not None and sheet not in titles:
            raise ImportParameterError(f"工作表不存在：{sheet}（文件中有：{'、'.join(titles)}）")
        out: list[_Sheet] = []
        for ws in book.worksheets:
            if sheet is not None and ws.title != sheet:
                continue
            if sheet is None and ws.sheet_state != "visible":
                continue
            width = ws.max_column or 0
            grid = [
                list(cells)
                for cells in ws.iter_rows(
                    min_row=1, max_row=ws.max_row or 0, max_col=width, values_only=True
                )
            ]
            # A merged cell's value applies to every cell of its range.
            for merged in ws.merged_cells.ranges:
                value = grid[merged.min_row - 1][merged.min_col - 1]
                for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
                    for c in range(merged.min_col - 1, min(merged.max_col, width)):
                        grid[r][c] = value
            out.append(_Sheet(ws.title, [(i + 1, cells) for i, cells in enumerate(grid)]))
        return out
    finally:
        book.close()


def _read_json(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"{path.name}：JSON 无法解析：{exc}") from exc
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ImportFileError(f'{path.name}：JSON 须为对象数组，或 {{"rows": [对象, …]}}')
    return rows


# ---------------------------------------------------------------------------------------------
# Header detection and row mapping
# ---------------------------------------------------------------------------------------------
@dataclass
class _Header:
    rows: str  # "3" or "3-4"
    data_start: int  # index into the sheet's rows
    columns: dict[int, tuple[str, str]]  # column index -> (field, header as written)
    unmapped: list[tuple[int, str]]  # (row, header) of non-ignored headers that map to nothing
    title: str  # first title row above the header, "" if none


def _cell_text(value: object) -> str:
    return " ".join(str(value).split()) if not _blank(value) else ""


def _map_cells(cells: Sequence[Any], hmap: HeaderMap) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for i, value in enumerate(cells):
        text = _cell_text(value)
        found = hmap.field_for(text) if text else None
        if found:
            out[i] = (found, text)
    return out


def _distinct(columns: Mapping[int, tuple[str, str]]) -> int:
    return len({f for f, _ in columns.values()})


_NUMBERISH = re.compile(r"^[¥$]?\d[\d,]*(\.\d+)?(元.*)?$")


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(_NUMBERISH.match(normalize_key(value)))


_NOT_TITLE = re.compile(r"^(附件|附表)\s*\d*$")


def _find_header(sheet: _Sheet, hmap: HeaderMap) -> _Header | None:
    rows = sheet.rows
    for idx in range(min(HEADER_SEARCH_ROWS, len(rows))):
        number, cells = rows[idx]
        columns = _map_cells(cells, hmap)
        if _distinct(columns) < 2:
            continue
        labels = {i: _cell_text(v) for i, v in enumerate(cells) if not _blank(v)}
        span, start = str(number), idx + 1
        # A two-row header: a band ("补贴标准（元/人）") over sub-headers ("五级/初级工" …).
        if idx + 1 < len(rows):
            below_cells = rows[idx + 1][1]
            below = _map_cells(below_cells, hmap)
            if below and not any(_is_number(v) for v in below_cells):
                combined = {**columns, **below}
                if _distinct(combined) > _distinct(columns):
                    columns = combined
                    labels.update(
                        {i: _cell_text(v) for i, v in enumerate(below_cells) if not _blank(v)}
                    )
                    span, start = f"{number}-{rows[idx + 1][0]}", idx + 2
        unmapped = [
            (number, text)
            for i, text in sorted(labels.items())
            if i not in columns and not hmap.is_ignored(text)
        ]
        title = ""
        for _, above in rows[:idx]:
            text = next((_cell_text(v) for v in above if not _blank(v)), "")
            if text and not _NOT_TITLE.match(text) and not _is_note(text):
                title = text
                break
        return _Header(span, start, columns, unmapped, title)
    return None


_NOTE_PREFIX = re.compile(r"^(注\s*[:：\d一二三四五六七八九十(（]|注\s|备注|说明|附注|填表说明)")
_SECTION = re.compile(r"^([一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）])")


def _is_note(text: str) -> bool:
    return bool(_NOTE_PREFIX.match(normalize_text(text)))


def _is_note_row(cells: Sequence[Any]) -> bool:
    """A note, title or section row inside a table: one text, maybe merged across columns."""
    values = [_cell_text(v) for v in cells if not _blank(v)]
    if not values or len(set(values)) != 1:
        return False
    text = values[0]
    if _is_number(text):
        return False
    return len(values) >= 2 or _is_note(text) or bool(_SECTION.match(normalize_text(text)))


def _table_rows(
    sheets: Sequence[_Sheet], hmap: HeaderMap, report: ImportReport
) -> tuple[list[_Row], set[str], str]:
    """Rows of every sheet that has a header, the fields present, and the first title row."""
    rows: list[_Row] = []
    present: set[str] = set()
    title = ""
    for sheet in sheets:
        header = _find_header(sheet, hmap)
        if header is None:
            if len(sheets) > 1:
                report.add(
                    None,
                    "",
                    "",
                    f"前 {HEADER_SEARCH_ROWS} 行中没有可识别的表头，已跳过此工作表",
                    severity="warning",
                    sheet=sheet.name,
                )
            continue
        report.header_rows[sheet.name or ""] = header.rows
        title = title or header.title
        for row_number, text in header.unmapped:
            report.add(
                row_number,
                text,
                "",
                f"未识别的列：{text}（已忽略）",
                severity="warning",
                sheet=sheet.name,
            )
        used: dict[str, str] = {}
        columns: dict[int, tuple[str, str]] = {}
        for i, (name, text) in sorted(header.columns.items()):
            if name in used:
                if header_key(used[name]) != header_key(text):
                    report.add(
                        None,
                        text,
                        "",
                        f"列“{text}”与列“{used[name]}”对应同一字段"
                        f"（{FIELD_LABELS.get(name, name)}），只读取前者",
                        severity="warning",
                        sheet=sheet.name,
                    )
                continue
            used[name] = text
            columns[i] = (name, text)
        present.update(used)
        body = sheet.rows[header.data_start :]
        while body and all(_blank(v) for v in body[-1][1]):
            body.pop()  # trailing empty rows are formatting, not data
        for number, cells in body:
            report.rows_read += 1
            if all(_blank(v) for v in cells):
                report.rows_skipped_blank += 1
                continue
            if _is_note_row(cells):
                report.rows_skipped_note += 1
                continue
            mapped = {
                name: (text, cells[i] if i < len(cells) else None)
                for i, (name, text) in columns.items()
            }
            rows.append(_Row(sheet.name, number, mapped))
    return rows, present, title


def _json_rows(
    objects: Sequence[dict[str, Any]], hmap: HeaderMap, report: ImportReport, kind: str
) -> tuple[list[_Row], set[str]]:
    rows: list[_Row] = []
    present: set[str] = set()
    warned: set[str] = set()

    def mapped(obj: Mapping[str, Any], number: int, prefix: str) -> dict[str, tuple[str, Any]]:
        out: dict[str, tuple[str, Any]] = {}
        for key, value in obj.items():
            if kind == "courses" and key == "sessions" and not prefix:
                continue
            name = hmap.field_for(key)
            if name is None or name in out:
                if name is None and not hmap.is_ignored(key) and key not in warned:
                    warned.add(key)
                    report.add(
                        number,
                        prefix + key,
                        "",
                        f"未识别的字段：{key}（已忽略）",
                        severity="warning",
                    )
                continue
            out[name] = (prefix + key, value)
            present.add(name)
        return out

    for number, obj in enumerate(objects, start=1):
        report.rows_read += 1
        if all(_blank(v) for v in obj.values()):
            report.rows_skipped_blank += 1
            continue
        row = _Row(None, number, mapped(obj, number, ""))
        nested = obj.get("sessions") if kind == "courses" else None
        if nested is not None:
            if not isinstance(nested, list) or not all(isinstance(s, dict) for s in nested):
                report.add(number, "sessions", nested, "sessions 须为对象数组")
            else:
                row.nested = [
                    _Row(None, number, mapped(s, number, f"sessions[{j}]."))
                    for j, s in enumerate(nested, start=1)
                ]
        rows.append(row)
    return rows, present


# ---------------------------------------------------------------------------------------------
# Cell parsers: each returns a value or raises _BadValue with a reason in Chinese
# ---------------------------------------------------------------------------------------------
class _BadValue(ValueError):
    """A cell that cannot be read; the message is the reason shown to the user."""


class Marker(Enum):
    """Markers of published subsidy tables."""

    NOT_IN_STANDARD = "——"
    """The national standard has no such level."""
    NO_SUBSIDY = "/"
    """The level is not in demand: no subsidy."""


_DASHES = re.compile(r"^[-‐‑‒–—―─━−﹘﹣－]+$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def _plain(value: object) -> str:
    """A cell as normalised text without spaces (NFKC folds full-width digits)."""
    return normalize_text(str(value)).replace(" ", "")


def _parse_marker(value: object) -> Marker | None:
    if not isinstance(value, str):
        return None
    text = _plain(value)
    if _DASHES.match(text):
        return Marker.NOT_IN_STANDARD
    if text in ("/", "\\"):
        return Marker.NO_SUBSIDY
    return None


def _parse_number(value: object, label: str) -> Decimal:
    if isinstance(value, bool):
        raise _BadValue(f"{label}不是有效数字：{_show(value)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = _plain(value).replace(",", "").lstrip("¥$")
    for suffix in ("元/人", "元每人", "元", "/人", "人", "课时", "学时", "小时", "个"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if not _NUMBER.match(text):
        raise _BadValue(f"{label}不是有效数字：{_show(value)}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already checked
        raise _BadValue(f"{label}不是有效数字：{_show(value)}") from exc


def _parse_int(value: object, label: str) -> int:
    number = _parse_number(value, label)
    if number != number.to_integral_value():
        raise _BadValue(f"{label}须为整数：{_show(value)}")
    return int(number)


def _parse_subsidy(value: object) -> int | Marker:
    marker = _parse_marker(value)
    if marker is not None:
        return marker
    return _parse_int(value, "补贴金额")


def _parse_pct(value: object, label: str) -> int:
    text = _plain(value) if isinstance(value, str) else ""
    percent = text.endswith("%")
    number = _parse_number(text.rstrip("%") if percent else value, label)
    if not percent and 0 < number < 1:
        number *= 100  # 0.2 (a percentage cell of Excel) means 20 %
    if number != number.to_integral_value():
        raise _BadValue(f"{label}须为整数百分比：{_show(value)}")
    return int(number)


_TRUE: Final = frozenset({"是", "√", "✓", "✔", "y", "yes", "true", "1", "重点", "是重点"})
_FALSE: Final = frozenset({"否", "×", "✗", "✘", "n", "no", "false", "0", "非重点", "不是"})


def _parse_bool(value: object, label: str) -> bool:
    if isinstance(value, bool):
        return value
    key = normalize_key(_show(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _BadValue(f"{label}须填“是”或“否”：{_show(value)}")


_DATE_IN_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_DATE8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH: Final = date(1899, 12, 30)


def _dates_in(value: object, label: str) -> list[date]:
    if isinstance(value, datetime):
        return [value.date()]
    if isinstance(value, date):
        return [value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:  # an Excel serial day number (1954–2119)
            return [_EXCEL_EPOCH + timedelta(days=int(value))]
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = normalize_text(str(value))
    found = [(int(y), int(m), int(d)) for y, m, d in _DATE_IN_TEXT.findall(text)]
    if not found:
        match = _DATE8.match(text.replace(" ", ""))
        if match:
            found = [(int(match[1]), int(match[2]), int(match[3]))]
    try:
        return [date(y, m, d) for y, m, d in found]
    except ValueError as exc:
        raise _BadValue(f"{label}不是有效日期：{_show(value)}") from exc


def _parse_date(value: object, label: str) -> date:
    found = _dates_in(value, label)
    if len(found) != 1:
        raise _BadValue(f"{label}不是有效日期：{_show(value)}")
    return found[0]


def _parse_period(value: object, label: str) -> tuple[date, date | None]:
    """One date, or a range "2025年1月1日至2025年12月31日"."""
    found = _dates_in(value, label)
    if len(found) == 1:
        return found[0], None
    if len(found) == 2:
        return found[0], found[1]
    raise _BadValue(f"{label}不是有效日期：{_show(value)}")


E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class _Choices(Generic[E]):
    """Accepted spellings of an enumeration: normalised text → member, and the labels to show."""

    table: Mapping[str, E]
    labels: tuple[str, ...]


def _choices(labels: Mapping[E, str], extra: Mapping[str, E] | None = None) -> _Choices[E]:
    table: dict[str, E] = {}
    for member, label in labels.items():
        table[normalize_key(str(member.value))] = member
        table[normalize_key(label)] = member
    for text, member in (extra or {}).items():
        table[normalize_key(text)] = member
    return _Choices(table, tuple(labels.values()))


def _parse_choice(value: object, choices: _Choices[E], label: str) -> E:
    found = choices.table.get(normalize_key(_show(value)))
    if found is None:
        raise _BadValue(f"{label}无法识别：{_show(value)}（可填：{'、'.join(choices.labels)}）")
    return found


_TIERS: Final = _choices(TIER_LABELS)
_INSTITUTION_TYPES: Final = _choices(
    INSTITUTION_TYPE_LABELS,
    {
        "技工学校": InstitutionType.TECHNICAL_SCHOOL,
        "高级技工学校": InstitutionType.TECHNICAL_SCHOOL,
        "技师学院": InstitutionType.TECHNICAL_SCHOOL,
        "职业学校": InstitutionType.VOCATIONAL_COLLEGE,
        "中职学校": InstitutionType.VOCATIONAL_COLLEGE,
        "高职院校": InstitutionType.VOCATIONAL_COLLEGE,
        "职业技术学院": InstitutionType.VOCATIONAL_COLLEGE,
        "企业培训中心": InstitutionType.ENTERPRISE,
        "企业职工培训中心": InstitutionType.ENTERPRISE,
        "民办职业培训学校": InstitutionType.PRIVATE,
        "民办职业培训机构": InstitutionType.PRIVATE,
        "职业培训学校": InstitutionType.PRIVATE,
        "社会培训机构": InstitutionType.PRIVATE,
        "民办": InstitutionType.PRIVATE,
        "实训基地": InstitutionType.PUBLIC_BASE,
    },
)
_GRADES: Final = _choices(
    GRADE_LABELS,
    {
        "a": InstitutionGrade.A,
        "b": InstitutionGrade.B,
        "c": InstitutionGrade.C,
        "无": InstitutionGrade.UNGRADED,
        "未评": InstitutionGrade.UNGRADED,
        "未定级": InstitutionGrade.UNGRADED,
    },
)
_MODES: Final = _choices(
    MODE_LABELS,
    {
        "面授": Mode.OFFLINE,
        "现场": Mode.OFFLINE,
        "网络": Mode.ONLINE,
        "在线": Mode.ONLINE,
        "远程": Mode.ONLINE,
        "线上+线下": Mode.BLENDED,
        "线上线下": Mode.BLENDED,
        "混合": Mode.BLENDED,
        "混合式": Mode.BLENDED,
    },
)
_CERTIFICATES: Final = _choices(
    CERTIFICATE_LABELS,
    {
        "等级证书": CertificateType.SKILL_LEVEL,
        "技能等级证书": CertificateType.SKILL_LEVEL,
        "职业技能等级证": CertificateType.SKILL_LEVEL,
        "专项能力证书": CertificateType.SPECIAL_ABILITY,
        "专项职业能力": CertificateType.SPECIAL_ABILITY,
        "专项": CertificateType.SPECIAL_ABILITY,
        "合格证": CertificateType.TRAINING,
        "培训合格证书": CertificateType.TRAINING,
        "结业证书": CertificateType.TRAINING,
    },
)
_EMPLOYMENT_SERVICES: Final = _choices(
    EMPLOYMENT_SERVICE_LABELS,
    {
        "订单": EmploymentService.ORDER,
        "订单式": EmploymentService.ORDER,
        "订单培训": EmploymentService.ORDER,
        "定向": EmploymentService.TARGETED,
        "定向式": EmploymentService.TARGETED,
        "定岗": EmploymentService.PLACEMENT,
        "定岗式": EmploymentService.PLACEMENT,
        "否": EmploymentService.NONE,
        "不提供": EmploymentService.NONE,
    },
)
_GROUPS: Final = _choices(
    GROUP_LABELS,
    {
        "失业": Group.UNEMPLOYED,
        "登记失业人员": Group.UNEMPLOYED,
        "毕业生": Group.GRADUATE,
        "应届毕业生": Group.GRADUATE,
        "未就业青年": Group.YOUTH,
        "失业青年": Group.YOUTH,
        "农村转移劳动力": Group.MIGRANT_WORKER,
        "进城务工人员": Group.MIGRANT_WORKER,
        "大龄": Group.OLDER_WORKER,
        "职工": Group.EMPLOYEE,
        "在职职工": Group.EMPLOYEE,
        "企业在职职工": Group.EMPLOYEE,
        "脱贫劳动力": Group.RURAL,
        "农民": Group.RURAL,
        "妇女": Group.WOMAN_RETURNING,
    },
)
_EDUCATIONS: Final[dict[str, Education]] = {
    **{normalize_key(e.value): e for e in Education},
    "大学本科": Education.BACHELOR,
    "专科": Education.COLLEGE,
    "高职": Education.COLLEGE,
    "中职": Education.SECONDARY_VOCATIONAL,
    "技校": Education.SECONDARY_VOCATIONAL,
    "研究生": Education.MASTER,
}
_NO_REQUIREMENT: Final = frozenset({"不限", "无", "无要求", "不限制", "所有人", "全部"})
_LIST_SPLIT = re.compile(r"[、,，;；\n]+")
_GROUP_SPLIT = re.compile(r"[、,，;；/\n\s]+")


def _parse_list(value: object, splitter: re.Pattern[str] = _LIST_SPLIT) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else splitter.split(str(value))
    return [" ".join(str(i).split()) for i in items if not _blank(i)]


def _parse_groups(value: object) -> tuple[Group, ...]:
    items = _parse_list(value, _GROUP_SPLIT)
    if len(items) == 1 and normalize_key(items[0]) in _NO_REQUIREMENT:
        return ()
    groups = [_parse_choice(i, _GROUPS, "适用人群") for i in items]
    return tuple(dict.fromkeys(groups))


def _parse_education(value: object) -> Education | None:
    key = normalize_key(_show(value))
    if key in _NO_REQUIREMENT:
        return None
    for suffix in ("及以上学历", "以上学历", "及以上", "或以上", "以上", "学历", "文化"):
        key = key.removesuffix(suffix)
    found = _EDUCATIONS.get(key)
    if found is None:
        options = "、".join(e.value for e in Education)
        raise _BadValue(f"学历要求无法识别：{_show(value)}（可填：{options}，或“不限”）")
    return found


def _parse_skill_level(value: object, label: str) -> SkillLevel:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    found = parse_level(value if isinstance(value, int) else _show(value))
    if found is None:
        parts = {parse_level(p) for p in re.split(r"[()/（）、\s]+", _plain(value)) if p}
        parts.discard(None)
        if len(parts) == 1:
            found = parts.pop()
    if found is None:
        raise _BadValue(f"{label}无法识别：{_show(value)}")
    return found


def _parse_national_level(value: object) -> int:
    level = _parse_skill_level(value, "等级")
    national = rung(level).national_level
    if national is None:
        raise _BadValue(f"等级不在国家职业技能等级（五级至一级）之内：{_show(value)}")
    return national


_INTS = re.compile(r"\d+")


def _parse_age_range(value: object) -> tuple[int | None, int | None]:
    text = _plain(value)
    numbers = [int(n) for n in _INTS.findall(text)]
    if len(numbers) == 2:
        return numbers[0], numbers[1]
    if len(numbers) == 1 and any(w in text for w in ("以下", "以内", "不超过", "及以下")):
        return None, numbers[0]
    if len(numbers) == 1 and any(w in text for w in ("以上", "起", "满", "及以上")):
        return numbers[0], None
    raise _BadValue(f"年龄要求无法识别：{_show(value)}（示例：16-45周岁）")


def _parse_id(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normalize_text(str(value)).replace(" ", "")


def _parse_text(value: object) -> str:
    return " ".join(str(value).split())


def _resolve_region(value: object) -> str:
    """A region code from a code ("440300", 440300, "440300000000") or a name ("深圳市")."""
    regions = load_regions()
    text = _parse_id(value)
    if text.isdigit():
        if len(text) == 12 and text.endswith("000000"):
            text = text[:6]
        if len(text) != 6:
            raise _BadValue(f"地区代码须为 6 位数字：{_show(value)}")
        if text not in regions:
            raise _BadValue(f"未知的地区代码：{text}")
        return text
    found = regions.resolve_address(text)
    if found is None:
        raise _BadValue(f"无法识别的地区：{_show(value)}")
    return found.code


# ---------------------------------------------------------------------------------------------
# Reading one row's cells and translating validation errors
# ---------------------------------------------------------------------------------------------
T = TypeVar("T")

_PATTERN_REASONS: Final[dict[str, str]] = {
    "region_code": "地区代码须为 6 位数字",
    "occupation_code": "职业编码须为“6-18-02-04”格式",
}
_RECORD_TO_ROW_FIELD: Final[dict[str, str]] = {"region_code": "region"}
_SESSION_TO_ROW_FIELD: Final[dict[str, str]] = {
    "region_code": "region",
    "address": "session_address",
}


def _translate(error: Mapping[str, Any], name: str | None) -> str:
    """A pydantic error in plain Chinese."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    label = FIELD_LABELS.get(name or "", name or "")
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error.get("msg", ""))).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        return _PATTERN_REASONS.get(name or "", f"{label}只能由字母、数字、下划线、点和连字符组成")
    reasons = {
        "greater_than_equal": f"{label}不能小于 {ctx.get('ge')}",
        "greater_than": f"{label}须大于 {ctx.get('gt')}",
        "less_than_equal": f"{label}不能大于 {ctx.get('le')}",
        "less_than": f"{label}须小于 {ctx.get('lt')}",
        "string_too_short": f"{label}不能为空",
        "string_too_long": f"{label}过长（最多 {ctx.get('max_length')} 个字符）",
        "missing": f"缺少{label}",
        "extra_forbidden": f"多余的字段：{name}",
        "enum": f"{label}取值无效",
    }
    if kind in reasons:
        return reasons[kind]
    if kind.startswith(("int_", "float_", "decimal_")):
        return f"{label}须为数字"
    if kind.startswith(("date_", "datetime_")):
        return f"{label}不是有效日期"
    if kind.startswith("bool_"):
        return f"{label}须填“是”或“否”"
    return f"{label}无效：{error.get('msg', '')}"


class _Cells:
    """Typed access to one row's cells; problems become report entries."""

    def __init__(self, row: _Row, report: ImportReport) -> None:
        self.row = row
        self.report = report
        self.failed = False

    @property
    def origin(self) -> Origin:
        return (self.row.sheet, self.row.number)

    def has(self, name: str) -> bool:
        return name in self.row.cells and not _blank(self.row.cells[name][1])

    def raw(self, name: str) -> Any:
        return self.row.cells[name][1] if self.has(name) else None

    def column(self, name: str) -> str:
        return self.row.cells[name][0] if name in self.row.cells else ""

    def fail(self, name: str | None, value: object, reason: str) -> None:
        self.failed = True
        self.report.add(
            self.row.number, self.column(name) if name else "", value, reason, sheet=self.row.sheet
        )

    def warn(self, name: str | None, value: object, reason: str) -> None:
        self.report.add(
            self.row.number,
            self.column(name) if name else "",
            value,
            reason,
            severity="warning",
            sheet=self.row.sheet,
        )

    def get(self, name: str, parser: Callable[[Any], T]) -> T | None:
        """The parsed cell, or ``None`` when it is blank or invalid (then the row fails)."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            return parser(value)
        except _BadValue as exc:
            self.fail(name, value, str(exc))
            return None

    def validate(
        self,
        model: type[RecordT],
        data: Mapping[str, Any],
        to_row_field: Mapping[str, str] = _RECORD_TO_ROW_FIELD,
        owners: Mapping[str, _Cells] | None = None,
    ) -> RecordT | None:
        """Validate a record; each pydantic error becomes an entry on the row owning the field."""
        try:
            return model.model_validate(dict(data))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = error.get("loc") or ()
                name = str(loc[0]) if loc else None
                owner = (owners or {}).get(name or "", self)
                column_field = to_row_field.get(name, name) if name else None
                value = error.get("input") if name else ""
                owner.fail(column_field, value if name else "", _translate(error, name))
            return None


def _row_region(cells: _Cells, default: str | None) -> str | None:
    if cells.has("region"):
        return cells.get("region", _resolve_region)
    return default


def _row_occupation(cells: _Cells) -> Occupation | None:
    code, name = cells.raw("occupation_code"), cells.raw("occupation_name")
    if code is None and name is None:
        cells.fail(
            "occupation_name" if "occupation_name" in cells.row.cells else "occupation_code",
            "",
            "职业（工种）名称和职业编码均为空",
        )
        return None
    if code is not None:
        found = resolve_occupation(_show(code))
        if found is None:
            cells.fail("occupation_code", code, f"未知的职业编码：{_show(code)}")
            return None
        if name is not None:
            by_name = resolve_occupation(_show(name))
            if by_name is not None and by_name.code != found.code:
                cells.warn(
                    "occupation_name",
                    name,
                    f"职业名称“{_show(name)}”对应 {by_name.code} {by_name.name}，"
                    f"与职业编码 {found.code}（{found.name}）不一致，以编码为准",
                )
        return found
    found = resolve_occupation(_show(name))
    if found is None:
        cells.fail("occupation_name", name, f"未知的职业（工种）：{_show(name)}")
    return found


# ---------------------------------------------------------------------------------------------
# Loading options shared by the loaders
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Options:
    region_code: str | None
    valid_from: date
    source: str | None
    tier: UrgencyTier | None
    sheet: str | None


def _check_region_param(region_code: str | None) -> str | None:
    if region_code is None:
        return None
    try:
        return _resolve_region(region_code)
    except _BadValue as exc:
        raise ImportParameterError(f"参数 region_code 无效：{exc}") from exc


def _check_date_param(value: date | str | None, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return _parse_date(value, name)
    except _BadValue as exc:
        raise ImportParameterError(f"参数 {name} 无效：{exc}") from exc


def _check_tier_param(value: UrgencyTier | str | None) -> UrgencyTier | None:
    if value is None or isinstance(value, UrgencyTier):
        return value
    try:
        return _parse_choice(value, _TIERS, "紧缺程度")
    except _BadValue as exc:
        raise ImportParameterError(f"参数 tier 无效：{exc}") from exc


# ---------------------------------------------------------------------------------------------
# demand: training-demand directory → DemandEntry
# ---------------------------------------------------------------------------------------------
@dataclass
class _Entry:
    """One (region, occupation) entry being assembled from one or more rows."""

    region: str
    occupation: Occupation
    first: _Cells
    rows: list[_Cells] = field(default_factory=list)
    levels: dict[int, tuple[int | Marker, _Cells]] = field(default_factory=dict)
    attrs: dict[str, tuple[Any, _Cells]] = field(default_factory=dict)
    bad: bool = False


_DEMAND_ATTRS: Final = (
    "tier",
    "shortage_uplift_pct",
    "key_occupation",
    "key_uplift_pct",
    "valid_from",
    "valid_to",
    "source",
)


def _demand_attrs(cells: _Cells) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    parsers: dict[str, Callable[[Any], Any]] = {
        "tier": lambda v: _parse_choice(v, _TIERS, "紧缺程度"),
        "shortage_uplift_pct": lambda v: _parse_pct(v, "紧缺上浮比例"),
        "key_occupation": lambda v: _parse_bool(v, "重点职业"),
        "key_uplift_pct": lambda v: _parse_pct(v, "重点职业上浮比例"),
        "valid_to": lambda v: _parse_date(v, "有效期止"),
        "source": _parse_text,
    }
    for name, parser in parsers.items():
        value = cells.get(name, parser)
        if value is not None:
            attrs[name] = value
    period = cells.get("valid_from", lambda v: _parse_period(v, "有效期起"))
    if period is not None:
        attrs["valid_from"] = period[0]
        if period[1] is not None:
            attrs.setdefault("valid_to", period[1])
    return attrs


def _level_name(national_level: int) -> str:
    return f"{'零一二三四五'[national_level]}级/{rung_for_national_level(national_level).name}"


def _fill_down(row: _Row, previous: _Row | None, names: Iterable[str]) -> None:
    """Copy blank cells of ``names`` from the previous row (merged cells lost in CSV exports)."""
    if previous is None:
        return
    for name in names:
        if name in row.cells and _blank(row.cells[name][1]) and name in previous.cells:
            row.cells[name] = (row.cells[name][0], previous.cells[name][1])


def _build_demand(
    rows: Sequence[_Row], layout: str, options: _Options, report: ImportReport, title: str
) -> tuple[list[DemandEntry], list[Origin], set[tuple[str, ...]]]:
    entries: dict[tuple[str, str], _Entry] = {}
    previous: _Row | None = None
    for row in rows:
        _fill_down(row, previous, ("region",))
        has_occupation = any(
            not _blank(row.cells.get(n, ("", None))[1])
            for n in ("occupation_code", "occupation_name")
        )
        if layout == "long" and not has_occupation:
            _fill_down(row, previous, ("occupation_code", "occupation_name"))
        previous = row
        cells = _Cells(row, report)
        region = _row_region(cells, options.region_code)
        if region is None and not cells.has("region"):
            cells.fail("region", "", "地区不能为空")
        occupation = _row_occupation(cells)
        attrs = _demand_attrs(cells)
        levels: dict[int, int | Marker] = {}
        level_fields: dict[int, str] = {}
        if layout == "long":
            level = cells.get("level", _parse_national_level)
            if not cells.has("level"):
                cells.fail("level", "", "等级不能为空")
            subsidy = cells.get("subsidy", _parse_subsidy)
            if not cells.has("subsidy"):
                cells.fail("subsidy", "", "补贴标准不能为空（不补贴填“/”，国家标准无此等级填“——”）")
            if level is not None and subsidy is not None:
                levels[level], level_fields[level] = subsidy, "level"
        else:
            for lv in NATIONAL_LEVELS:
                value = cells.get(f"subsidy_l{lv}", _parse_subsidy)
                if value is not None:
                    levels[lv], level_fields[lv] = value, f"subsidy_l{lv}"
        if region is None or occupation is None:
            continue
        key = (region, occupation.code)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = _Entry(region, occupation, cells)
        elif layout == "wide":
            cells.fail(
                "occupation_name" if cells.has("occupation_name") else "occupation_code",
                cells.raw("occupation_name") or cells.raw("occupation_code"),
                f"重复的条目：与第 {entry.first.row.number} 行的地区和职业"
                f"（{occupation.name}）相同",
            )
        entry.rows.append(cells)
        if not cells.failed:
            for lv in levels:
                if lv in entry.levels:
                    cells.fail(
                        level_fields[lv],
                        cells.raw(level_fields[lv]),
                        f"重复：第 {entry.levels[lv][1].row.number} 行已有"
                        f"{occupation.name}的{_level_name(lv)}",
                    )
            for name, value in attrs.items():
                if name in entry.attrs and entry.attrs[name][0] != value:
                    old, owner = entry.attrs[name]
                    cells.fail(
                        name,
                        cells.raw(name),
                        f"{FIELD_LABELS[name]}与第 {owner.row.number} 行（同一职业）不一致："
                        f"{_show(_label(old))} / {_show(_label(value))}",
                    )
        if cells.failed:
            entry.bad = True
            continue
        for lv, value in levels.items():
            entry.levels[lv] = (value, cells)
        for name, value in attrs.items():
            entry.attrs.setdefault(name, (value, cells))

    records: list[DemandEntry] = []
    origins: list[Origin] = []
    rejected: set[tuple[str, ...]] = set()
    default_source = (options.source or title or report.source)[:300]
    for key, entry in entries.items():
        if entry.bad:
            rejected.add(key)
            bad = [c.row.number for c in entry.rows if c.failed]
            good = [c for c in entry.rows if not c.failed]
            if good:
                good[0].warn(
                    None,
                    "",
                    f"同一职业（工种）“{entry.occupation.name}”有错误的行（第 "
                    f"{'、'.join(map(str, bad))} 行），本条目的其他行"
                    f"（第 {'、'.join(str(c.row.number) for c in good)} 行）也未导入",
                )
            continue
        data: dict[str, Any] = {
            "region_code": entry.region,
            "occupation_code": entry.occupation.code,
            "valid_from": options.valid_from,
            "source": default_source,
        }
        if options.tier is not None:
            data["tier"] = options.tier
        data.update({name: value for name, (value, _) in entry.attrs.items()})
        owners: dict[str, _Cells] = {n: c for n, (_, c) in entry.attrs.items()}
        if "tier" not in data:
            entry.first.fail("tier", "", "紧缺程度不能为空")
            rejected.add(key)
            continue
        not_in_standard: list[int] = []
        for lv in NATIONAL_LEVELS:
            value, owner = entry.levels.get(lv, (Marker.NO_SUBSIDY, entry.first))
            owners[f"subsidy_l{lv}"] = owner
            if isinstance(value, int):
                data[f"subsidy_l{lv}"] = value
            elif value is Marker.NOT_IN_STANDARD:
                not_in_standard.append(lv)
        data["not_in_standard"] = tuple(not_in_standard)
        to_row = dict(_RECORD_TO_ROW_FIELD)
        to_row.update(
            {
                f"subsidy_l{lv}": "subsidy" if layout == "long" else f"subsidy_l{lv}"
                for lv in NATIONAL_LEVELS
            }
        )
        record = entry.first.validate(DemandEntry, data, to_row, owners)
        if record is None:
            rejected.add(key)
            continue
        records.append(record)
        origins.append(entry.first.origin)
    return records, origins, rejected


def _label(value: object) -> object:
    if isinstance(value, UrgencyTier):
        return TIER_LABELS[value]
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


# ---------------------------------------------------------------------------------------------
# institutions → Institution
# ---------------------------------------------------------------------------------------------
def _build_institutions(
    rows: Sequence[_Row], options: _Options, report: ImportReport
) -> tuple[list[Institution], list[Origin], set[tuple[str, ...]]]:
    records: list[Institution] = []
    origins: list[Origin] = []
    rejected: set[tuple[str, ...]] = set()
    seen: dict[str, int] = {}
    regions = load_regions()
    for row in rows:
        cells = _Cells(row, report)
        data: dict[str, Any] = {}
        ident = cells.get("institution_id", _parse_id)
        if ident is not None:
            data["institution_id"] = ident
            if ident in seen:
                cells.fail(
                    "institution_id",
                    cells.raw("institution_id"),
                    f"重复的机构编码：{ident}（与第 {seen[ident]} 行相同）",
                )
        for name, parser in (
            ("name", _parse_text),
            ("type", lambda v: _parse_choice(v, _INSTITUTION_TYPES, "机构类型")),
            ("grade", lambda v: _parse_choice(v, _GRADES, "机构等级")),
            ("address", _parse_text),
            ("trained", lambda v: _parse_int(v, "培训人数")),
            ("certified", lambda v: _parse_int(v, "取证人数")),
            ("employed_3m", lambda v: _parse_int(v, "3个月就业人数")),
            ("employed_6m", lambda v: _parse_int(v, "6个月就业人数")),
        ):
            value = cells.get(name, parser)
            if value is not None:
                data[name] = value
        region = _row_region(cells, options.region_code)
        if region is None and "address" in data:
            found = regions.resolve_address(data["address"])
            region = found.code if found else None
        if region is None and not cells.failed:
            cells.fail("region", "", "缺少地区：请填写地区，或填写能识别出地区的地址")
        if region is not None:
            data["region_code"] = region
        record = None if cells.failed else cells.validate(Institution, data)
        if ident is not None and ident not in seen:
            seen[ident] = row.number
        if record is None:
            if ident is not None:
                rejected.add((ident,))
            continue
        records.append(record)
        origins.append(cells.origin)
    # A later duplicate must not make the first, valid row count as rejected.
    rejected -= {(r.institution_id,) for r in records}
    return records, origins, rejected


# ---------------------------------------------------------------------------------------------
# courses → Course (+ Session)
# ---------------------------------------------------------------------------------------------
@dataclass
class _CourseEntry:
    course: Course
    first: _Cells
    sessions: list[Session] = field(default_factory=list)


def _course_data(cells: _Cells, options: _Options) -> dict[str, Any]:
    data: dict[str, Any] = {}
    parsers: dict[str, Callable[[Any], Any]] = {
        "course_id": _parse_id,
        "institution_id": _parse_id,
        "title": _parse_text,
        "level": lambda v: _parse_skill_level(v, "培训等级"),
        "mode": lambda v: _parse_choice(v, _MODES, "培训方式"),
        "hours_total": lambda v: _parse_int(v, "总课时"),
        "hours_practical": lambda v: _parse_int(v, "实操课时"),
        "fee": lambda v: _parse_int(v, "培训费"),
        "subsidy_amount": lambda v: _parse_int(v, "补贴金额"),
        "subsidy_basis": _parse_text,
        "certificate": lambda v: _parse_choice(v, _CERTIFICATES, "证书类型"),
        "eligible_groups": _parse_groups,
        "age_min": lambda v: _parse_int(v, "年龄下限"),
        "age_max": lambda v: _parse_int(v, "年龄上限"),
        "min_education": _parse_education,
        "min_level": lambda v: _parse_skill_level(v, "等级要求"),
        "prerequisites": _parse_text,
        "employment_service": lambda v: _parse_choice(v, _EMPLOYMENT_SERVICES, "就业服务"),
        "partner_employers": lambda v: tuple(_parse_list(v)),
        "description": _parse_text,
    }
    for name, parser in parsers.items():
        value = cells.get(name, parser)
        if value is not None:
            data[name] = value
    ages = cells.get("age_range", _parse_age_range)
    if ages is not None:
        for name, value in zip(("age_min", "age_max"), ages, strict=True):
            if value is not None:
                data.setdefault(name, value)
    occupation = _row_occupation(cells)
    if occupation is not None:
        data["occupation_code"] = occupation.code
    region = _row_region(cells, options.region_code)
    if region is None and not cells.has("region"):
        cells.fail("region", "", "缺少地区：请填写地区列，或用 region_code 参数为整个文件指定")
    elif region is not None:
        data["region_code"] = region
    return data


def _session(cells: _Cells, course: Course, used_ids: dict[str, int]) -> Session | None:
    regions = load_regions()
    parsers: dict[str, Callable[[Any], Any]] = {
        "session_id": _parse_id,
        "start_date": lambda v: _parse_date(v, "开班日期"),
        "end_date": lambda v: _parse_date(v, "结班日期"),
        "enrol_open": lambda v: _parse_date(v, "报名开始"),
        "enrol_close": lambda v: _parse_date(v, "报名截止"),
        "capacity": lambda v: _parse_int(v, "计划人数"),
        "seats_taken": lambda v: _parse_int(v, "已报名人数"),
        "session_address": _parse_text,
        "longitude": lambda v: float(_parse_number(v, "经度")),
        "latitude": lambda v: float(_parse_number(v, "纬度")),
    }
    data: dict[str, Any] = {"course_id": course.course_id, "region_code": course.region_code}
    for name, parser in parsers.items():
        value = cells.get(name, parser)
        if value is not None:
            data["address" if name == "session_address" else name] = value
    if cells.failed:
        return None
    address = data.get("address")
    if address:
        found = regions.resolve_address(address)
        if found is not None and regions.is_within(found.code, course.region_code):
            data["region_code"] = found.code
    if "session_id" not in data and isinstance(data.get("start_date"), date):
        base = f"{course.course_id}-{data['start_date']:%Y%m%d}"
        generated, n = base, 1
        while generated in used_ids:
            n += 1
            generated = f"{base}-{n}"
        data["session_id"] = generated
    given = data.get("session_id")
    if isinstance(given, str) and given in used_ids:
        cells.fail(
            "session_id",
            cells.raw("session_id"),
            f"重复的班期编号：{given}（与第 {used_ids[given]} 行相同）",
        )
        return None
    if "session_id" not in data:
        cells.fail("start_date", "", "开班日期不能为空")
        return None
    session = cells.validate(Session, data, _SESSION_TO_ROW_FIELD)
    if session is not None:
        used_ids[session.session_id] = cells.row.number
    return session


def _has_session(row: _Row) -> bool:
    return any(name in _SESSION_FIELDS and not _blank(v) for name, (_, v) in row.cells.items())


def _build_courses(
    rows: Sequence[_Row], options: _Options, report: ImportReport
) -> tuple[list[Course], list[Origin], set[tuple[str, ...]], list[Session]]:
    entries: dict[str, _CourseEntry] = {}
    rows_of: dict[str, list[_Cells]] = {}
    used_sessions: dict[str, int] = {}
    course_fields = [n for n in _COURSE_FIELDS if n not in _SESSION_FIELDS]
    previous: _Row | None = None
    for row in rows:
        if _blank(row.cells.get("course_id", ("", None))[1]) and _has_session(row):
            _fill_down(row, previous, course_fields)  # a further session of the course above
        previous = row
        cells = _Cells(row, report)
        data = _course_data(cells, options)
        ident = data.get("course_id")
        if isinstance(ident, str):
            rows_of.setdefault(ident, []).append(cells)
        course = None if cells.failed else cells.validate(Course, data)
        if course is None:
            continue
        entry = entries.get(course.course_id)
        sessions_here = ([row] if _has_session(row) else []) + row.nested
        if entry is None:
            entry = entries[course.course_id] = _CourseEntry(course, cells)
        elif entry.course != course:
            cells.fail(
                "course_id",
                cells.raw("course_id"),
                f"项目编号 {course.course_id} 与第 {entry.first.row.number} 行相同，但课程信息不同"
                "（同一课程的各班期行，课程各列须一致）",
            )
        elif not sessions_here:
            cells.fail(
                "course_id",
                cells.raw("course_id"),
                f"重复的项目编号：{course.course_id}（与第 {entry.first.row.number} 行相同）",
            )
        for session_row in sessions_here:
            if cells.failed:
                break
            session_cells = cells if session_row is row else _Cells(session_row, report)
            session = _session(session_cells, course, used_sessions)
            if session_cells.failed:
                cells.failed = True
            elif session is not None:
                entry.sessions.append(session)

    records: list[Course] = []
    origins: list[Origin] = []
    sessions: list[Session] = []
    rejected: set[tuple[str, ...]] = set()
    for ident, all_rows in rows_of.items():
        entry = entries.get(ident)
        bad = [c.row.number for c in all_rows if c.failed]
        if entry is not None and not bad:
            records.append(entry.course)
            origins.append(entry.first.origin)
            sessions.extend(entry.sessions)
            continue
        rejected.add((ident,))
        good = [c for c in all_rows if not c.failed]
        if good:
            good[0].warn(
                None,
                "",
                f"课程 {ident} 有错误的行（第 {'、'.join(map(str, bad))} 行），"
                f"本课程及其班期（第 {'、'.join(str(c.row.number) for c in good)} 行）也未导入",
            )
    return records, origins, rejected, sessions


# ---------------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------------
def _required(
    kind: str, present: set[str], layout: str, options: _Options, title: str
) -> list[str]:
    """Reasons for missing required columns ("" list when all are there)."""
    labels = load_header_maps()[kind].fields

    def first(name: str) -> str:
        return labels[name][0]

    missing: list[str] = []
    if kind in ("demand", "courses") and not present & {"occupation_code", "occupation_name"}:
        missing.append(f"缺少必需的列：{first('occupation_name')}或{first('occupation_code')}")
    if kind == "demand":
        if not layout:
            missing.append(
                "缺少补贴标准列：长表须有“等级”和“补贴标准（元/人）”两列，"
                "宽表须有各等级列（如“五级/初级工”…“一级/高级技师”）"
            )
        if "region" not in present and options.region_code is None:
            hint = ""
            guess = load_regions().resolve_address(title) if title else None
            if guess is not None:
                hint = f"（标题中似乎是{guess.name}，代码 {guess.code}）"
            missing.append(f"缺少地区：文件中没有地区列，请用 region_code 参数指定{hint}")
        if "tier" not in present and options.tier is None:
            missing.append("缺少必需的列：紧缺程度（或用 tier 参数为整个文件指定）")
    required = {
        "institutions": ("institution_id", "name", "type"),
        "courses": (
            "course_id",
            "institution_id",
            "title",
            "mode",
            "hours_total",
            "hours_practical",
            "fee",
            "certificate",
        ),
    }.get(kind, ())
    missing.extend(f"缺少必需的列：{first(n)}" for n in required if n not in present)
    if kind == "institutions" and not present & {"region", "address"} and not options.region_code:
        missing.append("缺少地区：文件中没有地区或地址列，请用 region_code 参数指定")
    if kind == "courses" and "region" not in present and not options.region_code:
        missing.append("缺少地区：文件中没有地区列，请用 region_code 参数指定")
    return missing


def _demand_layout(present: set[str]) -> str:
    if any(f"subsidy_l{lv}" in present for lv in NATIONAL_LEVELS) and "level" not in present:
        return "wide"
    if {"level", "subsidy"} <= present:
        return "long"
    return ""


def _load(kind: Kind, path: str | Path, options: _Options) -> ImportResult[Any]:
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path}")
    if suffix == ".xls":
        raise ImportFileError(f"{path.name}：不支持旧版 .xls，请另存为 .xlsx 或 .csv 后再导入")
    if suffix not in _SUPPORTED:
        raise ImportFileError(f"{path.name}：不支持的文件类型（支持 {'、'.join(_SUPPORTED)}）")
    hmap = load_header_maps()[kind]
    report = ImportReport(kind, path.name)
    title = ""
    if suffix == ".json":
        rows, present = _json_rows(_read_json(path), hmap, report, kind)
        report.layout = "json"
    else:
        sheets = (
            _read_xlsx(path, options.sheet) if suffix in (".xlsx", ".xlsm") else [_read_csv(path)]
        )
        rows, present, title = _table_rows(sheets, hmap, report)
        report.layout = "table"
        if not report.header_rows:
            report.add(
                None,
                "",
                "",
                f"未找到表头：前 {HEADER_SEARCH_ROWS} 行中没有一行包含至少两个可识别的列名"
                f"（如 {'、'.join(v[0] for v in list(hmap.fields.values())[:4])}）",
            )
            report.rows_checked = False
            return ImportResult(kind, path, [], report)
    layout = _demand_layout(present) if kind == "demand" else ""
    if layout:
        report.layout = layout
    missing = _required(kind, present, layout, options, title)
    for reason in missing:
        report.add(None, "", "", reason)
    if missing:
        report.rows_checked = False
        return ImportResult(kind, path, [], report)
    if kind == "demand":
        demand, origins, rejected = _build_demand(rows, layout, options, report, title)
        result: ImportResult[Any] = ImportResult(kind, path, demand, report, [], origins, rejected)
    elif kind == "institutions":
        institutions, origins, rejected = _build_institutions(rows, options, report)
        result = ImportResult(kind, path, institutions, report, [], origins, rejected)
    else:
        courses, origins, rejected, sessions = _build_courses(rows, options, report)
        result = ImportResult(kind, path, courses, report, sessions, origins, rejected)
    report.records, report.sessions = len(result.records), len(result.sessions)
    for row in rows:
        for name, (header, _) in row.cells.items():
            result.columns.setdefault(name, header)
    if not rows:
        report.add(None, "", "", "文件中没有数据行")
    logger.info(
        "read %s (%s): %d rows, %d records, %d errors",
        path.name,
        kind,
        report.rows_read,
        report.records,
        len(report.errors),
    )
    return result


def load_demand(
    path: str | Path,
    *,
    region_code: str | None = None,
    valid_from: date | str | None = None,
    source: str | None = None,
    tier: UrgencyTier | str | None = None,
    sheet: str | None = None,
) -> ImportResult[DemandEntry]:
    """Read a training-demand directory (LONG or WIDE layout) into demand entries.

    Rows of one (region, occupation) are merged into one entry; an entry is kept only when all
    its rows are valid. Nothing is written.

    Args:
        path: A CSV, XLSX or JSON file.
        region_code: The region of the whole file (code or name), used where the file has no
            region column or the cell is blank.
        valid_from: Start of validity where the file has none (default: today).
        source: The ``source`` of every entry (default: the title row above the header, else
            the file name).
        tier: The urgency tier where the file has none (a label such as "紧缺" or a value).
        sheet: Read only this worksheet of an XLSX file (default: every visible sheet that has
            a recognisable header).

    Returns:
        The valid entries and the report.

    Raises:
        ImportFileError: When the file is missing or cannot be read.
        ImportParameterError: When a parameter is invalid.
    """
    options = _Options(
        region_code=_check_region_param(region_code),
        valid_from=_check_date_param(valid_from, "valid_from") or date.today(),
        source=source,
        tier=_check_tier_param(tier),
        sheet=sheet,
    )
    result: ImportResult[DemandEntry] = _load("demand", path, options)
    return result


def load_institutions(
    path: str | Path, *, region_code: str | None = None, sheet: str | None = None
) -> ImportResult[Institution]:
    """Read a directory of training institutions. Nothing is written.

    Args:
        path: A CSV, XLSX or JSON file.
        region_code: The region where the file has no region column or the cell is blank (the
            address is tried first).
        sheet: Read only this worksheet of an XLSX file.

    Returns:
        The valid institutions and the report.

    Raises:
        ImportFileError: When the file is missing or cannot be read.
        ImportParameterError: When a parameter is invalid.
    """
    options = _Options(_check_region_param(region_code), date.today(), None, None, sheet)
    result: ImportResult[Institution] = _load("institutions", path, options)
    return result


def load_courses(
    path: str | Path, *, region_code: str | None = None, sheet: str | None = None
) -> ImportResult[Course]:
    """Read a course catalog, with one session per row where session columns are filled.

    Rows sharing a course id are sessions of one course (their course columns must agree);
    JSON rows may nest a ``sessions`` list. A course is kept only when all its rows are valid.
    Nothing is written.

    Args:
        path: A CSV, XLSX or JSON file.
        region_code: The region where the file has no region column or the cell is blank.
        sheet: Read only this worksheet of an XLSX file.

    Returns:
        The valid courses (``records``), their sessions (``sessions``) and the report.

    Raises:
        ImportFileError: When the file is missing or cannot be read.
        ImportParameterError: When a parameter is invalid.
    """
    options = _Options(_check_region_param(region_code), date.today(), None, None, sheet)
    result: ImportResult[Course] = _load("courses", path, options)
    return result


_LOADERS: Final[dict[str, Callable[..., ImportResult[Any]]]] = {
    "demand": load_demand,
    "institutions": load_institutions,
    "courses": load_courses,
}


def load(kind: str, path: str | Path, **kwargs: Any) -> ImportResult[Any]:
    """Read a file of any kind (``demand``, ``institutions``, ``courses``).

    Args:
        kind: The kind of file.
        path: The file.
        **kwargs: Passed to :func:`load_demand`, :func:`load_institutions` or
            :func:`load_courses`.

    Returns:
        The loader's result.

    Raises:
        ImportParameterError: For an unknown kind or an invalid parameter.
        ImportFileError: When the file cannot be read.
    """
    loader = _LOADERS.get(kind)
    if loader is None:
        raise ImportParameterError(f"未知的导入类型：{kind}（可选：{'、'.join(KINDS)}）")
    return loader(path, **kwargs)


# ---------------------------------------------------------------------------------------------
# Planning and applying against the store
# ---------------------------------------------------------------------------------------------
@dataclass
class ImportPlan:
    """The proposed new snapshot of an import and its difference from the current one.

    Attributes:
        kind: ``demand``, ``institutions`` or ``courses``.
        path: The file.
        partial: Whether valid rows may be imported when others are invalid.
        result: The loader's result (its report gains plan-level errors, e.g. unknown
            institutions of courses).
        base_version: The snapshot the plan was computed against (``None``: empty store).
        tables: The complete proposed tables (all four).
        diffs: Table name → difference from the current snapshot, for the tables touched.
        scope: What is replaced: region codes (demand) or institution ids (courses, and
            institutions upserted).
        kept: Current rows kept because their entry in the file was rejected (partial import).
    """

    kind: str
    path: Path
    partial: bool
    result: ImportResult[Any]
    base_version: str | None
    tables: dict[str, pa.Table] = field(repr=False)
    diffs: dict[str, TableDiff]
    scope: tuple[str, ...]
    kept: int = 0

    @property
    def report(self) -> ImportReport:
        """The validation report."""
        return self.result.report

    @property
    def ok(self) -> bool:
        """Whether the plan may be applied.

        False when the file has a file-level error, produced no record, or has invalid rows
        and ``partial`` was not asked for.
        """
        report = self.report
        if report.file_errors or not self.result.records:
            return False
        return self.partial or report.ok

    @property
    def is_empty(self) -> bool:
        """Whether applying would change nothing."""
        return all(d.is_empty for d in self.diffs.values())

    def _scope_text(self) -> str:
        if self.kind == "demand":
            regions = load_regions()
            names = "、".join(
                f"{code}（{regions.full_name(code) if code in regions else '?'}）"
                for code in self.scope
            )
            text = f"替换地区 {names}的全部需求条目，其他地区不变"
        elif self.kind == "courses":
            text = f"替换机构 {'、'.join(self.scope)} 的全部课程及班期，其他机构不变"
        else:
            text = f"按机构编码新增或更新 {len(self.scope)} 个机构，不删除机构"
        if self.kept:
            text += f"；因文件中对应条目有误，保留当前的 {self.kept} 条"
        return text

    def to_text(self) -> str:
        """The report, the scope, the difference and the conclusion, in Chinese."""
        lines = [self.report.to_text(), ""]
        base = self.base_version or "（空目录）"
        if self.result.records:
            if not self.ok:
                lines.append("若使用部分导入（--partial）：")
            lines.append(f"导入范围：{self._scope_text()}")
            lines.append(f"与当前版本 {base} 相比：")
            lines.extend(d.to_text() for d in self.diffs.values())
            lines.append("")
        if not self.ok:
            if self.report.file_errors or not self.result.records:
                lines.append(f"结论：文件无法导入，当前版本 {base} 保持不变。")
            else:
                lines.append(
                    f"结论：有 {self.report.rows_invalid} 行错误，未导入任何内容，当前版本 {base} "
                    "保持不变。请修正后重新导入，或使用部分导入（--partial）只导入有效的行。"
                )
        elif self.is_empty:
            lines.append(f"结论：内容与当前版本 {base} 相同，无需导入。")
        elif self.report.ok:
            lines.append(f"结论：可以导入，将在版本 {base} 的基础上生成新版本。")
        else:
            lines.append(
                f"结论：部分导入：导入有效的 {len(self.result.records)} 条记录，"
                f"有误的 {self.report.rows_invalid} 行不导入；将在版本 {base} 的基础上生成新版本。"
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: status, scope, the report and the differences."""
        return {
            "kind": self.kind,
            "file": self.path.name,
            "partial": self.partial,
            "ok": self.ok,
            "empty": self.is_empty,
            "base_version": self.base_version,
            "scope": list(self.scope),
            "kept": self.kept,
            "report": self.report.to_json(),
            "diffs": {name: d.to_json() for name, d in self.diffs.items()},
        }


def _rows_by_key(
    table: str, rows: Iterable[dict[str, Any]]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    keys = TABLES[table][2]
    return {tuple(row[k] for k in keys): row for row in rows}


def _to_table(table: str, rows: Iterable[dict[str, Any]]) -> pa.Table:
    schema, _, keys = TABLES[table]
    data = pa.Table.from_pylist(list(_rows_by_key(table, rows).values()), schema=schema)
    return data.sort_by([(k, "ascending") for k in keys]) if data.num_rows else data


def _dump(records: Iterable[BaseModel]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="python") for r in records]


def _reject_unknown_institutions(result: ImportResult[Any], known: set[str]) -> None:
    """Course rows whose institution is not in the catalog become errors (courses only)."""
    keep: list[int] = []
    for i, course in enumerate(result.records):
        if course.institution_id in known:
            keep.append(i)
            continue
        sheet, row = result.origins[i]
        result.report.add(
            row,
            result.columns.get("institution_id", ""),
            course.institution_id,
            f"未知的培训机构编码：{course.institution_id}（请先导入培训机构名录）",
            sheet=sheet,
        )
        result.rejected.add((course.course_id,))
    dropped = {result.records[i].course_id for i in range(len(result.records)) if i not in keep}
    result.records = [result.records[i] for i in keep]
    result.origins = [result.origins[i] for i in keep]
    result.sessions = [s for s in result.sessions if s.course_id not in dropped]
    result.report.records, result.report.sessions = len(result.records), len(result.sessions)


def plan_import(
    store: CatalogStore,
    kind: str,
    path: str | Path,
    *,
    partial: bool = False,
    **loader_kwargs: Any,
) -> ImportPlan:
    """Load a file and compute the snapshot it would produce, without writing anything.

    Scope: ``demand`` replaces every entry of the regions present in the file (other regions
    untouched); ``courses`` replaces the courses, and their sessions, of the institutions
    present in the file (whose ids must already be in the catalog); ``institutions`` adds or
    updates institutions by id and removes none. An entry dropped because of errors keeps its
    current rows.

    Args:
        store: The catalog store.
        kind: ``demand``, ``institutions`` or ``courses``.
        path: The file.
        partial: Allow applying the valid rows when some rows are invalid.
        **loader_kwargs: Passed to the loader (``region_code``, ``valid_from``, ``sheet`` …).

    Returns:
        The plan; show ``plan.to_text()``, then :func:`apply_import` it if ``plan.ok``.

    Raises:
        ImportFileError: When the file cannot be read.
        ImportParameterError: For an unknown kind or an invalid parameter.
        catalog.store.SnapshotError: When the current snapshot is unreadable.
    """
    result = load(kind, path, **loader_kwargs)
    base_version = store.current_version()
    base = (
        store.load(base_version).tables
        if base_version is not None
        else {name: empty_table(name) for name in TABLE_NAMES}
    )
    tables = dict(base)
    kept = 0
    if kind == "courses":
        _reject_unknown_institutions(
            result, set(base["institutions"].column("institution_id").to_pylist())
        )
    if kind == "demand":
        scope = tuple(sorted({r.region_code for r in result.records}))
        old = base["demand"].to_pylist()
        kept_rows = [
            row
            for row in old
            if row["region_code"] not in scope
            or (row["region_code"], row["occupation_code"]) in result.rejected
        ]
        kept = sum(1 for row in kept_rows if row["region_code"] in scope)
        tables["demand"] = _to_table("demand", kept_rows + _dump(result.records))
        touched: tuple[str, ...] = ("demand",)
    elif kind == "courses":
        scope = tuple(sorted({r.institution_id for r in result.records}))
        new_ids = {r.course_id for r in result.records}
        old_courses = base["courses"].to_pylist()
        replaced = {
            row["course_id"]
            for row in old_courses
            if row["institution_id"] in scope and (row["course_id"],) not in result.rejected
        } | new_ids
        kept = sum(
            1
            for row in old_courses
            if row["institution_id"] in scope and row["course_id"] not in replaced
        )
        tables["courses"] = _to_table(
            "courses",
            [row for row in old_courses if row["course_id"] not in replaced]
            + _dump(result.records),
        )
        tables["sessions"] = _to_table(
            "sessions",
            [row for row in base["sessions"].to_pylist() if row["course_id"] not in replaced]
            + _dump(result.sessions),
        )
        touched = ("courses", "sessions")
    else:
        scope = tuple(sorted(r.institution_id for r in result.records))
        tables["institutions"] = _to_table(
            "institutions", base["institutions"].to_pylist() + _dump(result.records)
        )
        touched = ("institutions",)
    diffs = {name: diff_tables(name, base[name], tables[name]) for name in touched}
    return ImportPlan(
        kind=kind,
        path=Path(path),
        partial=partial,
        result=result,
        base_version=base_version,
        tables=tables,
        diffs=diffs,
        scope=scope,
        kept=kept,
    )


def apply_import(store: CatalogStore, plan: ImportPlan) -> Manifest:
    """Write the planned snapshot and make it current.

    A plan that changes nothing writes nothing and returns the current manifest.

    Args:
        store: The catalog store the plan was computed against.
        plan: A plan from :func:`plan_import`.

    Returns:
        The manifest of the new (or unchanged current) snapshot.

    Raises:
        ImportRejected: When ``plan.ok`` is false (invalid rows without ``partial``, a
            file-level error, or nothing to import); the store is untouched.
        ImportConflict: When the current snapshot changed since the plan was made.
        catalog.store.SnapshotError: When writing fails; the current snapshot stays.
    """
    if not plan.ok:
        message = None if plan.result.records else f"导入被拒绝：{plan.path.name} 没有可导入的记录"
        raise ImportRejected(plan.report, message)
    current = store.current_version()
    if current != plan.base_version:
        raise ImportConflict(f"目录已从版本 {plan.base_version} 变为 {current}，请重新生成导入计划")
    if plan.is_empty and current is not None:
        logger.info("import of %s changes nothing; staying on %s", plan.path.name, current)
        return store.read_manifest(current)
    demo = store.read_manifest(current).demo if current is not None else False
    counts = "；".join(
        f"{name} +{len(d.added)} ~{len(d.changed)} -{len(d.removed)}"
        for name, d in plan.diffs.items()
    )
    note = f"导入{KIND_LABELS[plan.kind]}：{counts}"
    if not plan.report.ok:
        note += f"（部分导入，{plan.report.rows_invalid} 行有误未导入）"
    manifest = store.write(
        plan.tables,
        source=f"import:{plan.path.name}",
        demo=demo,
        parent=current,
        note=note,
    )
    logger.info("imported %s as snapshot %s", plan.path.name, manifest.version)
    return manifest
