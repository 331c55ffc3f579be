"""Retention: purge people whose last activity is older than the retention period.

Their referrals stay for outcome statistics but lose the link to the person and their
free-text notes (which could mention them); the audit log is untouched (it never held
personal data).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from service.casework.audit import append_audit
from service.casework.common import SYSTEM, Actor, resolve_now
from service.casework.errors import InvalidInput
from service.db.models import Person, Referral

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed (or would remove, in a dry run)."""

    cutoff: datetime
    people: int
    referrals_unlinked: int
    dry_run: bool


def purge_inactive_people(
    session: Session,
    *,
    retention_days: int,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
    dry_run: bool = False,
) -> PurgeResult:
    """Delete people inactive for more than ``retention_days`` and unlink their referrals.

    Args:
        session: The open session (the caller commits).
        retention_days: ``Settings.retention_days``.
        actor: Who runs the purge (the system for the scheduled command).
        now: The current time.
        dry_run: Count only, change nothing (no audit entry either).

    Returns:
        The cutoff and the counts.

    Raises:
        InvalidInput: ``retention_days`` below 1.
    """
    if retention_days < 1:
        raise InvalidInput("保存期限须至少为1天", field="retention_days")
    at = resolve_now(now)
    cutoff = at - timedelta(days=retention_days)
    stale = select(Person.id).where(Person.last_activity_at < cutoff)
    people = session.scalar(select(func.count()).select_from(stale.subquery())) or 0
    referrals = (
        session.scalar(
            select(func.count()).select_from(Referral).where(Referral.person_id.in_(stale))
        )
        or 0
    )
    if dry_run or people == 0:
        return PurgeResult(cutoff, people, referrals, dry_run)
    session.execute(
        update(Referral)
        .where(Referral.person_id.in_(stale))
        .values(person_id=None, note=None, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Person)
        .where(Person.last_activity_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    append_audit(
        session,
        actor=actor,
        action="retention.purge",
        details={
            "retention_days": retention_days,
            "cutoff": cutoff.isoformat(),
            "people": people,
            "referrals_unlinked": referrals,
        },
        at=at,
    )
    logger.info("retention purge: %d people removed, %d referrals unlinked", people, referrals)
    return PurgeResult(cutoff, people, referrals, dry_run)
