"""Differences between two versions of a snapshot table, keyed by the table's key columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from catalog.schema import TABLES


@dataclass
class TableDiff:
    """Rows added, removed and changed between an old and a new table.

    Attributes:
        table: Table name.
        added: Keys only in the new table.
        removed: Keys only in the old table.
        changed: Keys in both whose rows differ, with ``{column: (old, new)}``.
    """

    table: str
    added: list[tuple[Any, ...]] = field(default_factory=list)
    removed: list[tuple[Any, ...]] = field(default_factory=list)
    changed: list[tuple[tuple[Any, ...], dict[str, tuple[Any, Any]]]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Whether nothing differs."""
        return not (self.added or self.removed or self.changed)

    def counts(self) -> dict[str, int]:
        """Numbers of added, changed and removed rows."""
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "removed": len(self.removed),
        }

    def to_json(self, limit: int = 200) -> dict[str, Any]:
        """A JSON-ready summary with at most ``limit`` example keys of each kind."""
        return {
            "table": self.table,
            **self.counts(),
            "added_keys": [list(k) for k in self.added[:limit]],
            "removed_keys": [list(k) for k in self.removed[:limit]],
            "changed_rows": [
                {"key": list(k), "columns": {c: [str(a), str(b)] for c, (a, b) in cols.items()}}
                for k, cols in self.changed[:limit]
            ],
        }

    def to_text(self, limit: int = 20) -> str:
        """A readable summary in Chinese."""
        lines = [
            f"[{self.table}] 新增 {len(self.added)} 条，修改 {len(self.changed)} 条，"
            f"删除 {len(self.removed)} 条"
        ]
        for k in self.added[:limit]:
            lines.append(f"  + {' / '.join(map(str, k))}")
        for k, cols in self.changed[:limit]:
            detail = "；".join(f"{c}: {a} → {b}" for c, (a, b) in cols.items())
            lines.append(f"  ~ {' / '.join(map(str, k))}：{detail}")
        for k in self.removed[:limit]:
            lines.append(f"  - {' / '.join(map(str, k))}")
        shown = min(len(self.added), limit) + min(len(self.changed), limit)
        shown += min(len(self.removed), limit)
        total = len(self.added) + len(self.changed) + len(self.removed)
        if total > shown:
            lines.append(f"  …… 另有 {total - shown} 条未列出")
        return "\n".join(lines)


def diff_tables(table: str, old: pa.Table, new: pa.Table) -> TableDiff:
    """Compare two versions of one snapshot table row by row, by key.

    Args:
        table: Table name (one of :data:`catalog.schema.TABLES`).
        old: The current rows.
        new: The proposed rows.

    Returns:
        The added, removed and changed keys, in key order.
    """
    keys = TABLES[table][2]

    def index(data: pa.Table) -> dict[tuple[Any, ...], dict[str, Any]]:
        return {tuple(row[k] for k in keys): row for row in data.to_pylist()}

    before, after = index(old), index(new)
    result = TableDiff(table)
    result.added = sorted(k for k in after if k not in before)
    result.removed = sorted(k for k in before if k not in after)
    for k in sorted(k for k in after if k in before):
        a, b = before[k], after[k]
        cols = {c: (a[c], b[c]) for c in b if c in a and a[c] != b[c]}
        if cols:
            result.changed.append((k, cols))
    return result
