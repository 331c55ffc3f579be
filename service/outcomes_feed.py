"""Referral outcomes from the database, for the next index build (the feedback loop).

Caseworkers record what became of the people they referred (completed, certified, employed).
At each index build the counts per course and institution (with the minimum sample of
``service.casework.outcomes``) are computed and frozen into the bundle; ranking then adds an
institution's observed completions and employments to its published counts.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from service.config import Settings

logger = logging.getLogger(__name__)


def current_outcomes(settings: Settings) -> dict[str, Any] | None:
    """The outcome report of the configured database, or ``None`` when there is none yet.

    A deployment without a database (no ``DATABASE_URL`` and no SQLite file yet) or one
    whose database cannot be read gives ``None``: the build goes on without observed
    outcomes, with a warning in the second case.
    """
    if settings.database_url is None and not (settings.data_dir / "skillmatch.db").is_file():
        return None
    from service.casework.outcomes import compute_outcomes
    from service.db.engine import create_db_engine, create_session_factory, session_scope

    engine = create_db_engine(settings.sqlalchemy_url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            report = compute_outcomes(session)
    except SQLAlchemyError as exc:
        logger.warning("referral outcomes not read, building without them: %s", exc)
        return None
    finally:
        engine.dispose()
    data = report.to_dict()
    logger.info(
        "referral outcomes for the build: %d courses, %d institutions",
        len(data["courses"]),
        len(data["institutions"]),
    )
    return data
