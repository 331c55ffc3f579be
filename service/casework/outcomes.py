"""Outcome statistics from referrals, per course and per institution, for ranking.

A referral counts at every stage it reached (its step timestamps): one that was certified was
also enrolled and completed, even if withdrawn later. Rates are only given with at least
``min_sample`` people in the denominator; below that they are None and ranking falls back to
its prior.

- completion rate = completed / enrolled
- certification rate = certified / completed
- employment rate = employed / completed

:func:`write_outcomes` writes them as JSON or Parquet for the next index build.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casework.common import as_utc, resolve_now
from service.db.models import Referral

logger = logging.getLogger(__name__)

DEFAULT_MIN_SAMPLE = 20
FORMAT_VERSION = 1
Level = Literal["course", "institution"]


@dataclass(frozen=True)
class OutcomeStats:
    """Counts and rates of one course or institution.

    Attributes:
        level: ``course`` or ``institution``.
        key: The course id or institution id.
        referred: Referrals made.
        enrolled: Of those, enrolled.
        completed: Completed the training.
        certified: Obtained the certificate.
        employed: Reported employed.
        completion_rate: completed / enrolled, or None below the minimum sample.
        certification_rate: certified / completed, or None below the minimum sample.
        employment_rate: employed / completed, or None below the minimum sample.
    """

    level: Level
    key: str
    referred: int
    enrolled: int
    completed: int
    certified: int
    employed: int
    completion_rate: float | None
    certification_rate: float | None
    employment_rate: float | None


@dataclass(frozen=True)
class OutcomeReport:
    """All outcome statistics at one moment."""

    generated_at: datetime
    min_sample: int
    courses: list[OutcomeStats]
    institutions: list[OutcomeStats]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at.isoformat(),
            "min_sample": self.min_sample,
            "courses": [asdict(s) for s in self.courses],
            "institutions": [asdict(s) for s in self.institutions],
        }


def _rate(numerator: int, denominator: int, min_sample: int) -> float | None:
    if denominator < min_sample or denominator == 0:
        return None
    return round(numerator / denominator, 4)


def _stats(level: Level, row: Sequence[Any], min_sample: int) -> OutcomeStats:
    key, referred, enrolled, completed, certified, employed = (
        str(row[0]),
        *(int(v or 0) for v in row[1:]),
    )
    return OutcomeStats(
        level=level,
        key=key,
        referred=referred,
        enrolled=enrolled,
        completed=completed,
        certified=certified,
        employed=employed,
        completion_rate=_rate(completed, enrolled, min_sample),
        certification_rate=_rate(certified, completed, min_sample),
        employment_rate=_rate(employed, completed, min_sample),
    )


def _aggregate(
    session: Session, level: Level, min_sample: int, since: datetime | None
) -> list[OutcomeStats]:
    column = Referral.course_id if level == "course" else Referral.institution_id
    query = select(
        column,
        func.count(Referral.id),
        func.count(Referral.enrolled_at),
        func.count(Referral.completed_at),
        func.count(Referral.certified_at),
        func.count(Referral.employed_at),
    ).group_by(column)
    if since is not None:
        query = query.where(Referral.referred_at >= as_utc(since))
    rows = session.execute(query.order_by(column)).all()
    return [_stats(level, row, min_sample) for row in rows]


def compute_outcomes(
    session: Session,
    *,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    since: datetime | None = None,
    now: datetime | None = None,
) -> OutcomeReport:
    """Outcome counts and rates per course and per institution.

    Args:
        session: The open session.
        min_sample: The smallest denominator a rate is computed from.
        since: Only referrals made at or after this time.
        now: The report time.

    Returns:
        The report (courses and institutions sorted by id).
    """
    if min_sample < 1:
        raise ValueError("min_sample must be at least 1")
    return OutcomeReport(
        generated_at=resolve_now(now),
        min_sample=min_sample,
        courses=_aggregate(session, "course", min_sample, since),
        institutions=_aggregate(session, "institution", min_sample, since),
    )


def outcomes_by_key(stats: Iterable[OutcomeStats]) -> dict[str, OutcomeStats]:
    """Index statistics by course or institution id."""
    return {s.key: s for s in stats}


def write_outcomes(report: OutcomeReport, path: Path) -> Path:
    """Write the report atomically (temp file + rename) for the ranking to read.

    ``.json``: the :meth:`OutcomeReport.to_dict` document. ``.parquet``: one row per course
    or institution with a ``level`` column; the generation time and minimum sample are kept
    in the schema metadata.

    Args:
        report: From :func:`compute_outcomes`.
        path: The target file, ``.json`` or ``.parquet``.

    Returns:
        The path written.

    Raises:
        ValueError: Another file extension.
    """
    suffix = path.suffix.lower()
    if suffix not in {".json", ".parquet"}:
        raise ValueError("outcome file must end in .json or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        if suffix == ".json":
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(report.to_dict(), handle, ensure_ascii=False, indent=1)
        else:
            os.close(fd)
            _write_parquet(report, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.info(
        "outcomes written to %s (%d courses, %d institutions)",
        path,
        len(report.courses),
        len(report.institutions),
    )
    return path


def _write_parquet(report: OutcomeReport, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [asdict(s) for s in (*report.courses, *report.institutions)]
    schema = pa.schema(
        [
            ("level", pa.string()),
            ("key", pa.string()),
            ("referred", pa.int64()),
            ("enrolled", pa.int64()),
            ("completed", pa.int64()),
            ("certified", pa.int64()),
            ("employed", pa.int64()),
            ("completion_rate", pa.float64()),
            ("certification_rate", pa.float64()),
            ("employment_rate", pa.float64()),
        ],
        metadata={
            "format_version": str(FORMAT_VERSION),
            "generated_at": report.generated_at.isoformat(),
            "min_sample": str(report.min_sample),
        },
    )
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def read_outcomes(path: Path) -> OutcomeReport:
    """Read a report written by :func:`write_outcomes` (JSON or Parquet)."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        rows = table.to_pylist()
        generated, min_sample = meta["generated_at"], int(meta["min_sample"])
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [*data["courses"], *data["institutions"]]
        generated, min_sample = data["generated_at"], int(data["min_sample"])
    stats = [OutcomeStats(**row) for row in rows]
    return OutcomeReport(
        generated_at=datetime.fromisoformat(generated),
        min_sample=min_sample,
        courses=[s for s in stats if s.level == "course"],
        institutions=[s for s in stats if s.level == "institution"],
    )
