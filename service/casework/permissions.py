"""Roles and permissions: one table, deny by default.

A role is allowed exactly the permissions listed for it; an unknown role, an unknown
permission or no role at all is refused.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from service.casework.errors import Forbidden
from service.db.models import Role


class Permission(StrEnum):
    """Everything a caller may be allowed to do."""

    PERSON_READ = "person:read"
    PERSON_WRITE = "person:write"
    REFERRAL_READ = "referral:read"
    REFERRAL_WRITE = "referral:write"
    OUTCOME_READ = "outcome:read"
    REPORT_EXPORT = "report:export"
    AUDIT_READ = "audit:read"
    CATALOG_UPDATE = "catalog:update"
    USER_MANAGE = "user:manage"
    TOKEN_MANAGE = "token:manage"
    RETENTION_RUN = "retention:run"


_CASEWORKER = frozenset(
    {
        Permission.PERSON_READ,
        Permission.PERSON_WRITE,
        Permission.REFERRAL_READ,
        Permission.REFERRAL_WRITE,
        Permission.OUTCOME_READ,
    }
)
_SUPERVISOR = _CASEWORKER | {Permission.AUDIT_READ, Permission.REPORT_EXPORT}
_ADMIN = _SUPERVISOR | {
    Permission.CATALOG_UPDATE,
    Permission.USER_MANAGE,
    Permission.TOKEN_MANAGE,
    Permission.RETENTION_RUN,
}

PERMISSIONS: MappingProxyType[Role, frozenset[Permission]] = MappingProxyType(
    {Role.CASEWORKER: _CASEWORKER, Role.SUPERVISOR: _SUPERVISOR, Role.ADMIN: _ADMIN}
)


def _role(value: Role | str | None) -> Role | None:
    if value is None:
        return None
    try:
        return Role(value)
    except ValueError:
        return None


def allows(role: Role | str | None, permission: Permission | str) -> bool:
    """Whether ``role`` has ``permission`` (deny by default).

    Args:
        role: A role, its string value, or None (anonymous).
        permission: A :class:`Permission` or its string value (e.g. ``"audit:read"``).

    Returns:
        True only for a known role holding a known permission.
    """
    known = _role(role)
    if known is None:
        return False
    try:
        wanted = Permission(permission)
    except ValueError:
        return False
    return wanted in PERMISSIONS.get(known, frozenset())


def require(role: Role | str | None, permission: Permission | str) -> None:
    """Raise :class:`Forbidden` unless ``role`` has ``permission``.

    Args:
        role: The caller's role (None when anonymous).
        permission: What the caller wants to do.

    Raises:
        Forbidden: The role does not have the permission.
    """
    if not allows(role, permission):
        raise Forbidden()


def role_at_least(role: Role | str | None, minimum: Role) -> bool:
    """Whether ``role`` is ``minimum`` or more privileged (caseworker < supervisor < admin)."""
    known = _role(role)
    order = list(Role)
    return known is not None and order.index(known) >= order.index(minimum)
