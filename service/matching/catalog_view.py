"""Fast read access to the served catalog snapshot for the matching engine.

Course rows are the index bundle's row numbers (the bundle is built from the same snapshot).
Sessions are grouped per course in a CSR layout (sorted by course row, then start date), so a
candidate's sessions are a slice; rows are turned into Python dicts only for the few hundred
candidates of a request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from catalog.store import Snapshot

EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class InstitutionStats:
    """An institution's grade and outcome counts."""

    institution_id: str
    name: str
    type: str
    grade: str
    region_code: str
    trained: int
    employed_6m: int
    certified: int


class CatalogView:
    """Courses, their sessions and institutions of one snapshot, arranged for lookups."""

    def __init__(self, snapshot: Snapshot, outcomes: Mapping[str, Any] | None = None) -> None:
        """Index a snapshot (seconds at a million courses; once per catalog version).

        Args:
            snapshot: The catalog snapshot served.
            outcomes: Referral outcomes observed by the service, frozen into the index bundle
                (``OutcomeReport.to_dict()``): an institution's completed trainees and those
                employed are added to its published counts, where the report has a rate
                (at least its minimum sample of completions).
        """
        self.snapshot = snapshot
        self.courses: pa.Table = snapshot["courses"]
        sessions: pa.Table = snapshot["sessions"]
        course_ids = self.courses.column("course_id").combine_chunks()
        rows = (
            pc.index_in(sessions.column("course_id"), value_set=course_ids)
            .fill_null(-1)
            .to_numpy(zero_copy_only=False)
            .astype(np.int64)
        )
        start = sessions.column("start_date").cast(pa.int32()).to_numpy(zero_copy_only=False)
        keep = rows >= 0
        order = np.lexsort((start[keep], rows[keep]))
        self._session_rows = np.flatnonzero(keep)[order]
        counts = np.bincount(rows[keep], minlength=self.courses.num_rows)
        self._offsets = np.concatenate([[0], np.cumsum(counts)])
        self.sessions = sessions
        self.institutions: dict[str, InstitutionStats] = {}
        for row in snapshot["institutions"].to_pylist():
            self.institutions[row["institution_id"]] = InstitutionStats(
                row["institution_id"],
                row["name"],
                row["type"],
                row["grade"],
                row["region_code"],
                row["trained"],
                row["employed_6m"],
                row["certified"],
            )
        self.observed = self._add_observed(outcomes)
        self._outcome_prior = self._prior()

    def _add_observed(self, outcomes: Mapping[str, Any] | None) -> int:
        """Add referral outcomes to the institutions' counts; returns how many changed."""
        changed = 0
        for stat in (outcomes or {}).get("institutions", []):
            inst = self.institutions.get(str(stat.get("key")))
            if inst is None or stat.get("employment_rate") is None:
                continue  # unknown here, or under the minimum sample
            self.institutions[inst.institution_id] = replace(
                inst,
                trained=inst.trained + int(stat["completed"]),
                employed_6m=inst.employed_6m + int(stat["employed"]),
                certified=inst.certified + int(stat["certified"]),
            )
            changed += 1
        return changed

    def _prior(self) -> float:
        trained = sum(i.trained for i in self.institutions.values())
        employed = sum(i.employed_6m for i in self.institutions.values())
        return employed / trained if trained else 0.6

    def course_rows(self, rows: list[int]) -> list[dict[str, Any]]:
        """The course records of some rows, as dicts, in the given order."""
        if not rows:
            return []
        out: list[dict[str, Any]] = self.courses.take(pa.array(rows, type=pa.int64())).to_pylist()
        return out

    def sessions_of(self, rows: list[int]) -> list[list[dict[str, Any]]]:
        """The sessions of each course row (start order), as dicts."""
        spans = [(int(self._offsets[r]), int(self._offsets[r + 1])) for r in rows]
        flat = [int(i) for a, b in spans for i in self._session_rows[a:b]]
        taken = self.sessions.take(pa.array(flat, type=pa.int64())).to_pylist() if flat else []
        out: list[list[dict[str, Any]]] = []
        pos = 0
        for a, b in spans:
            out.append(taken[pos : pos + (b - a)])
            pos += b - a
        return out

    def employment_rate(self, institution_id: str, *, min_sample: int = 30) -> tuple[float, int]:
        """Six-month employment rate, small cohorts shrunk toward the catalog mean.

        Returns:
            (rate, cohort size). With fewer than ``min_sample`` trainees the rate is the
            Bayesian mean with ``min_sample`` pseudo-trainees at the prior rate.
        """
        inst = self.institutions.get(institution_id)
        if inst is None or inst.trained == 0:
            return self._outcome_prior, 0
        m = min_sample
        rate = (inst.employed_6m + m * self._outcome_prior) / (inst.trained + m)
        return rate, inst.trained


def day_of(value: date) -> int:
    """Days since 1970-01-01."""
    return (value - EPOCH).days
