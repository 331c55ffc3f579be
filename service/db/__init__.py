"""Persistence: engine and sessions, models, migrations (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from service.db.engine import (
    create_db_engine,
    create_session_factory,
    current_revision,
    head_revision,
    normalise_url,
    session_scope,
    upgrade_to_head,
)
from service.db.models import (
    ApiToken,
    AuditLog,
    Base,
    Person,
    Referral,
    ReferralStatus,
    Role,
    SessionSeats,
    User,
    utcnow,
)

__all__ = [
    "ApiToken",
    "AuditLog",
    "Base",
    "Person",
    "Referral",
    "ReferralStatus",
    "Role",
    "SessionSeats",
    "User",
    "create_db_engine",
    "create_session_factory",
    "current_revision",
    "head_revision",
    "normalise_url",
    "session_scope",
    "upgrade_to_head",
    "utcnow",
]
