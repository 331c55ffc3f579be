"""Fast lookups in the training-demand directory: (region, occupation, day) → entry.

Built once per snapshot from its ``demand`` table (or from validated
:class:`~catalog.models.DemandEntry` records). A region's entry is looked up from the most
specific region outwards: the region itself (a county-level city may publish its own
directory), its prefecture-level city, then its province; the first entry in force on the day
wins. A city entry whose level is "/" does not fall back to the province: the city's
directory is the one that applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

import pyarrow as pa

from catalog.models import DemandEntry, UrgencyTier


class DirectoryEntry(NamedTuple):
    """One directory entry, reduced to what the engine needs.

    Attributes:
        region_code: The region whose directory lists the occupation.
        occupation_code: The occupation.
        tier: Urgency tier (machine value of :class:`~catalog.models.UrgencyTier`).
        amounts: Base subsidy by national level: ``amounts[4]`` is level 4; index 0 unused;
            ``None`` for "/" and "——".
        not_in_standard: Levels marked "——" (not in the national standard).
        shortage_uplift_pct: The entry's shortage uplift.
        key_uplift_pct: The key-occupation uplift (0 unless a key occupation).
        valid_from: First day in force.
        valid_to: Last day in force (``None``: open-ended).
        source: The directory's name as published.
    """

    region_code: str
    occupation_code: str
    tier: str
    amounts: tuple[int | None, ...]
    not_in_standard: frozenset[int]
    shortage_uplift_pct: int
    key_uplift_pct: int
    valid_from: date
    valid_to: date | None
    source: str

    def is_valid_on(self, day: date) -> bool:
        """Whether the entry is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @classmethod
    def from_record(cls, entry: DemandEntry) -> DirectoryEntry:
        """From a validated record."""
        return cls(
            region_code=entry.region_code,
            occupation_code=entry.occupation_code,
            tier=UrgencyTier(entry.tier).value,
            amounts=(None, *(entry.subsidy(lv) for lv in (1, 2, 3, 4, 5))),
            not_in_standard=frozenset(entry.not_in_standard),
            shortage_uplift_pct=entry.shortage_uplift_pct,
            key_uplift_pct=entry.key_uplift_pct if entry.key_occupation else 0,
            valid_from=entry.valid_from,
            valid_to=entry.valid_to,
            source=entry.source,
        )


def region_chain(code: str) -> tuple[str, ...]:
    """The codes to look a region up in, most specific first (region, city, province)."""
    out = [code]
    if not code.endswith("00"):
        out.append(code[:4] + "00")
    if not code.endswith("0000"):
        out.append(code[:2] + "0000")
    return tuple(dict.fromkeys(out))


class DemandLookup:
    """Directory entries by (region, occupation), newest first; immutable once built."""

    def __init__(self, entries: Iterable[DirectoryEntry]) -> None:
        """Index entries (several periods of one region and occupation are kept)."""
        grouped: dict[tuple[str, str], list[DirectoryEntry]] = {}
        for entry in entries:
            grouped.setdefault((entry.region_code, entry.occupation_code), []).append(entry)
        self._by_key: dict[tuple[str, str], tuple[DirectoryEntry, ...]] = {
            key: tuple(items)
            if len(items) == 1
            else tuple(sorted(items, key=lambda e: e.valid_from, reverse=True))
            for key, items in grouped.items()
        }
        self._chains: dict[str, tuple[str, ...]] = {}
        self._regions = frozenset(region for region, _ in self._by_key)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_key.values())

    @classmethod
    def from_records(cls, entries: Iterable[DemandEntry]) -> DemandLookup:
        """From validated :class:`~catalog.models.DemandEntry` records."""
        return cls(DirectoryEntry.from_record(e) for e in entries)

    @classmethod
    def from_table(cls, table: pa.Table) -> DemandLookup:
        """From a snapshot's ``demand`` table (schema :data:`catalog.schema.DEMAND_SCHEMA`).

        Rows are trusted (a snapshot's tables were validated when written) and read column by
        column, so a table of 100,000 entries loads in well under a second.
        """
        cols: dict[str, list[Any]] = {
            name: table.column(name).to_pylist() for name in table.column_names
        }
        marks: dict[tuple[int, ...], frozenset[int]] = {}

        def not_in_standard(levels: list[int] | None) -> frozenset[int]:
            key = tuple(levels or ())
            found = marks.get(key)
            if found is None:
                found = marks[key] = frozenset(key)
            return found

        l1, l2, l3, l4, l5 = (cols[f"subsidy_l{lv}"] for lv in (1, 2, 3, 4, 5))
        key_pct = [
            (pct or 0) if key else 0
            for pct, key in zip(cols["key_uplift_pct"], cols["key_occupation"], strict=True)
        ]
        entries = [
            DirectoryEntry(
                region,
                occupation,
                tier,
                (None, l1[i], l2[i], l3[i], l4[i], l5[i]),
                not_in_standard(marked),
                shortage or 0,
                key_pct[i],
                valid_from,
                valid_to,
                source or "",
            )
            for i, (region, occupation, tier, marked, shortage, valid_from, valid_to, source) in (
                enumerate(
                    zip(
                        cols["region_code"],
                        cols["occupation_code"],
                        cols["tier"],
                        cols["not_in_standard"],
                        cols["shortage_uplift_pct"],
                        cols["valid_from"],
                        cols["valid_to"],
                        cols["source"],
                        strict=True,
                    )
                )
            )
        ]
        return cls(entries)

    @classmethod
    def from_snapshot(cls, snapshot: Any) -> DemandLookup:
        """From a :class:`catalog.store.Snapshot` (anything with ``snapshot["demand"]``)."""
        table: pa.Table = snapshot["demand"]
        return cls.from_table(table)

    def find(self, region_code: str, occupation_code: str, day: date) -> DirectoryEntry | None:
        """The entry that applies to an occupation trained in a region on a day.

        Walks from the region to its city and province; the first entry in force wins.
        """
        chain = self._chains.get(region_code)
        if chain is None:
            chain = tuple(c for c in region_chain(region_code) if c in self._regions)
            self._chains[region_code] = chain
        by_key = self._by_key
        for code in chain:
            entries = by_key.get((code, occupation_code))
            if entries:
                for entry in entries:
                    if entry.valid_from <= day and (
                        entry.valid_to is None or day <= entry.valid_to
                    ):
                        return entry
        return None


__all__ = ["DemandLookup", "DirectoryEntry", "region_chain"]
