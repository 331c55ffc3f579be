"""Small shared types: who acts (:class:`Actor`), a page of results (:class:`Page`), the clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Generic, Literal, TypeVar

from service.casework.errors import InvalidInput
from service.db.models import Role

T = TypeVar("T")
ActorKind = Literal["user", "token", "system", "anonymous"]
MAX_PAGE = 500
BEIJING = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True)
class Actor:
    """Who performs an action: a console user, an API token, the system, or nobody yet.

    Attributes:
        kind: ``user``, ``token``, ``system`` or ``anonymous``.
        id: The user's or token's id.
        role: The role the caller acts with (None for system/anonymous).
    """

    kind: ActorKind
    id: int | None = None
    role: Role | None = None

    @classmethod
    def for_user(cls, user_id: int, role: Role | None = None) -> Actor:
        """A console user."""
        return cls("user", user_id, role)

    @classmethod
    def for_token(cls, token_id: int, role: Role | None = None) -> Actor:
        """A system client holding an API token."""
        return cls("token", token_id, role)

    @property
    def user_id(self) -> int | None:
        """The user's id when the actor is a user, else None."""
        return self.id if self.kind == "user" else None

    def __str__(self) -> str:
        """``user:3``, ``token:7``, ``system`` or ``anonymous`` (as stored in the audit log)."""
        return f"{self.kind}:{self.id}" if self.id is not None else self.kind


SYSTEM = Actor("system")
ANONYMOUS = Actor("anonymous")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and the total number of matches."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int


def check_paging(limit: int, offset: int) -> None:
    """Refuse a page size outside 1..500 or a negative offset."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"每页条数须在 1 到 {MAX_PAGE} 之间", field="limit")
    if offset < 0:
        raise InvalidInput("偏移量不能为负数", field="offset")


def resolve_now(now: datetime | None) -> datetime:
    """``now`` (must be timezone-aware) or the current UTC time."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """A filter bound in UTC; a naive value is read as Beijing time (what the console shows)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value.astimezone(UTC)
