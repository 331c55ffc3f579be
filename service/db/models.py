"""The persistent records of the caseworker workflow (SQLAlchemy 2 typed declarative models).

Personal data is kept to a minimum: a resident ID number is stored only as a keyed hash (for
lookups) and a masked form (for people to read); a phone number likewise; a name only masked
(surname kept, the rest starred), never in clear. Birth year comes from the ID number; the full
birth date and sex it encodes are not stored. The audit log holds ids and codes, never
personal data, and is append-only (database triggers refuse UPDATE and DELETE).

All timestamps are timezone-aware UTC (:class:`UTCDateTime`), on SQLite too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; naive values are refused (they are always a bug here)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC timestamps")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to values read back."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Role(StrEnum):
    """Account roles, least to most privileged."""

    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class ReferralStatus(StrEnum):
    """Where a referral stands: referred → enrolled → completed → certified → employed."""

    REFERRED = "referred"
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    CERTIFIED = "certified"
    EMPLOYED = "employed"
    WITHDRAWN = "withdrawn"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    # Stored as VARCHAR + CHECK on every backend: portable, and no PostgreSQL enum types to
    # alter when a value is added.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


# Audit ids grow fastest; BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with a naming convention (stable constraint names in migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


class User(Base):
    """A console account (caseworker, supervisor or admin)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token for a system client; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship()


class Person(Base):
    """A job-seeker followed by caseworkers, with the minimum of personal data.

    ``id_hash`` is HMAC-SHA256 of the normalised resident ID number under a key derived from
    the service secret; ``id_masked`` is for people to read (``4403**********1234``).
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_masked: Mapped[str] = mapped_column(String(18))
    name_masked: Mapped[str | None] = mapped_column(String(32))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(11))
    group: Mapped[str | None] = mapped_column(String(32))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str | None] = mapped_column(String(6))
    consent_at: Mapped[datetime]
    consent_text_version: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    referrals: Mapped[list[Referral]] = relationship(back_populates="person", passive_deletes=True)


class Referral(Base):
    """A caseworker's referral of a person to a course session, and how it went.

    ``person_id`` becomes NULL when the person is purged under the retention rule; the
    referral stays (anonymous) for outcome statistics.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_course_status", "course_id", "status"),
        Index("ix_referrals_institution_status", "institution_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    course_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    institution_id: Mapped[str] = mapped_column(String(64))
    caseworker_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ReferralStatus] = mapped_column(
        _enum(ReferralStatus, "referral_status"), default=ReferralStatus.REFERRED
    )
    referred_at: Mapped[datetime]
    enrolled_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    certified_at: Mapped[datetime | None]
    employed_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person | None] = relationship(back_populates="referrals")


class SessionSeats(Base):
    """Seat accounting of one course session, updated with single conditional UPDATEs."""

    __tablename__ = "session_seats"
    __table_args__ = (
        CheckConstraint("enrolled >= 0", name="enrolled_nonnegative"),
        CheckConstraint("capacity >= 0", name="capacity_nonnegative"),
    )

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int] = mapped_column(Integer)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """One append-only audit entry: who did what to which object, and when.

    ``actor`` is ``user:<id>``, ``token:<id>``, ``anonymous`` or ``system``; ``details`` holds
    codes and ids only, never personal data.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_actor_at", "actor", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


AUDIT_TABLE = AuditLog.__tablename__
