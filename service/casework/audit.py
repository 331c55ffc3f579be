"""The audit log: append and query, nothing else (no update, no delete).

Entries carry ids and codes only. :func:`append_audit` refuses detail keys that name
personal data and scrubs ID/phone numbers from any string it is given, as a second line of
defence.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.casework.common import Actor, Page, as_utc, check_paging, resolve_now
from service.db.models import AuditLog
from service.security.pii import scrub

logger = logging.getLogger(__name__)

FORBIDDEN_DETAIL_KEYS = frozenset(
    {"id_number", "resident_id", "phone", "mobile", "name", "password", "token", "address"}
)


def _clean(value: Any, path: str) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if str(key).lower() in FORBIDDEN_DETAIL_KEYS:
                raise ValueError(f"audit details must not hold personal data ({path}{key})")
            out[str(key)] = _clean(item, f"{path}{key}.")
        return out
    if isinstance(value, list | tuple):
        return [_clean(item, path) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))


def append_audit(
    session: Session,
    *,
    actor: Actor | str,
    action: str,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add one audit entry to the session's transaction (committed with the change it records).

    Args:
        session: The open session.
        actor: Who acted.
        action: What happened, dotted (``referral.enrolled``, ``auth.login_failed``).
        object_type: The kind of object (``referral``, ``person``, ``user``...).
        object_id: The object's id.
        details: Codes and ids (no personal data; strings are scrubbed regardless).
        at: When (default now).

    Returns:
        The entry (flushed, so it has an id).

    Raises:
        ValueError: A detail key names personal data.
    """
    entry = AuditLog(
        at=resolve_now(at),
        actor=str(actor),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=_clean(dict(details or {}), ""),
    )
    session.add(entry)
    session.flush()
    logger.debug("audit %s by %s on %s %s", action, entry.actor, object_type, object_id)
    return entry


def list_audit(
    session: Session,
    *,
    actor: Actor | str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[AuditLog]:
    """Audit entries, newest first, filtered and paged.

    Args:
        session: The open session.
        actor: Only this actor (``user:3`` or an :class:`Actor`).
        action: Only this action; a trailing ``*`` matches a prefix (``referral.*``).
        object_type: Only objects of this kind.
        object_id: Only this object (with ``object_type``).
        since: Entries at or after this time (naive: Beijing time).
        until: Entries before this time (naive: Beijing time).
        limit: Page size (1..500).
        offset: Entries to skip.

    Returns:
        The page and the total count of matches.
    """
    check_paging(limit, offset)
    query = select(AuditLog)
    if actor is not None:
        query = query.where(AuditLog.actor == str(actor))
    if action:
        if action.endswith("*"):
            query = query.where(AuditLog.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditLog.action == action)
    if object_type is not None:
        query = query.where(AuditLog.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditLog.object_id == str(object_id))
    if since is not None:
        query = query.where(AuditLog.at >= as_utc(since))
    if until is not None:
        query = query.where(AuditLog.at < as_utc(until))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset)
    ).all()
    return Page(items=items, total=total, limit=limit, offset=offset)
