"""Accounts, login with lockout, API tokens.

Passwords are hashed with argon2id (:mod:`service.security.passwords`). After
``max_failures`` failed logins in a row an account is locked for ``lockout_minutes``: while
locked it refuses even the right password. Unknown usernames cost one dummy verification, so
response time does not tell whether an account exists.

API tokens are random secrets shown once; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from service.casework.audit import append_audit
from service.casework.common import ANONYMOUS, SYSTEM, Actor, Page, check_paging, resolve_now
from service.casework.errors import (
    AccountDisabled,
    AccountLocked,
    InvalidCredentials,
    InvalidInput,
    TokenNotFound,
    UsernameTaken,
    UserNotFound,
    WeakPassword,
)
from service.casework.permissions import role_at_least
from service.config import Settings
from service.db.models import ApiToken, Role, User
from service.security import passwords

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "smk_"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._\-]{2,63}")


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed logins lock an account, and for how long."""

    max_failures: int = 5
    lockout_minutes: int = 15

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        """The policy configured in ``settings``."""
        return cls(settings.login_max_failures, settings.lockout_minutes)


@dataclass(frozen=True)
class IssuedToken:
    """A newly issued API token: the record and the clear secret (shown once, never stored)."""

    token: ApiToken
    secret: str


def normalise_username(username: str) -> str:
    """Fold width and case, strip surrounding spaces."""
    return unicodedata.normalize("NFKC", username).strip().lower()


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput("角色须为 caseworker、supervisor 或 admin", field="role") from None


def _check_password(password: str, username: str) -> None:
    try:
        passwords.check_policy(password, username=username)
    except passwords.PasswordPolicyError as exc:
        raise WeakPassword(exc.message, field="password") from None


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    actor: Actor = SYSTEM,
    active: bool = True,
    now: datetime | None = None,
) -> User:
    """Create a console account.

    Args:
        session: The open session.
        username: 3-64 characters: letters, digits, ``.``, ``_``, ``-`` (stored lower-case).
        password: Checked against the policy, stored as an argon2id hash.
        role: ``caseworker``, ``supervisor`` or ``admin``.
        actor: Who creates it (an admin, or the system for the first-admin command).
        active: Whether the account can log in.
        now: The current time (tests inject it).

    Returns:
        The new user (flushed, with its id).

    Raises:
        InvalidInput: Bad username or role.
        WeakPassword: The password does not meet the policy.
        UsernameTaken: The username exists.
    """
    at = resolve_now(now)
    name = normalise_username(username)
    if not _USERNAME.fullmatch(name):
        raise InvalidInput(
            "用户名须为3至64位字母、数字、点、下划线或连字符，并以字母或数字开头", field="username"
        )
    user_role = _role(role)
    _check_password(password, name)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise UsernameTaken(field="username")
    user = User(
        username=name,
        password_hash=passwords.hash_password(password),
        role=user_role,
        active=active,
        failed_logins=0,
        created_at=at,
        password_changed_at=at,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise UsernameTaken(field="username") from None
    append_audit(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        details={"role": user_role.value, "active": active},
        at=at,
    )
    logger.info("user %s created with role %s", user.id, user_role.value)
    return user


def count_users(session: Session, *, role: Role | str | None = None) -> int:
    """How many accounts there are (of one role), e.g. to know whether a first admin exists."""
    query = select(func.count()).select_from(User)
    if role is not None:
        query = query.where(User.role == _role(role))
    return session.scalar(query) or 0


def get_user(session: Session, *, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def get_user_by_username(session: Session, *, username: str) -> User | None:
    """The user with this username (case-insensitive), or None."""
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def list_users(session: Session, *, limit: int = 50, offset: int = 0) -> Page[User]:
    """Accounts by username, paged."""
    check_paging(limit, offset)
    total = session.scalar(select(func.count()).select_from(User)) or 0
    items = session.scalars(select(User).order_by(User.username).limit(limit).offset(offset)).all()
    return Page(items=items, total=total, limit=limit, offset=offset)


def _require_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound()
    return user


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, -(-int((until - now).total_seconds()) // 60))


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime | None = None,
    policy: LoginPolicy | None = None,
) -> User:
    """Check a console login; count failures and lock the account after too many.

    Failure bookkeeping (counter, lock, audit entry) is **committed** before the error is
    raised, so it survives the caller's rollback; on success the caller commits as usual.

    Args:
        session: The open session (use a fresh one per login).
        username: As typed.
        password: As typed.
        now: The current time (tests inject a clock).
        policy: Failures allowed and lock duration (default 5 and 15 minutes).

    Returns:
        The user, with ``last_login_at`` updated and the failure counter reset.

    Raises:
        InvalidCredentials: Unknown username or wrong password (the same message for both).
        AccountLocked: Locked after repeated failures (also for the right password).
        AccountDisabled: The right password for a deactivated account.
    """
    at = resolve_now(now)
    rules = policy or LoginPolicy()
    user = get_user_by_username(session, username=username)
    if user is None:
        passwords.dummy_verify(password)
        append_audit(
            session,
            actor=ANONYMOUS,
            action="auth.login_failed",
            details={"reason": "unknown"},
            at=at,
        )
        session.commit()
        raise InvalidCredentials()
    actor = Actor.for_user(user.id, user.role)
    if user.locked_until is not None and user.locked_until > at:
        passwords.dummy_verify(password)
        append_audit(
            session,
            actor=actor,
            action="auth.login_refused",
            object_type="user",
            object_id=user.id,
            details={"reason": "locked"},
            at=at,
        )
        session.commit()
        minutes = _minutes_left(user.locked_until, at)
        raise AccountLocked(f"登录失败次数过多，账号已临时锁定，请在 {minutes} 分钟后再试")
    if not passwords.verify_password(user.password_hash, password):
        _record_failure(session, user, at, rules)
        session.commit()
        if user.locked_until is not None and user.locked_until > at:
            raise AccountLocked(
                f"登录失败次数过多，账号已临时锁定 {rules.lockout_minutes} 分钟，请稍后再试"
            )
        raise InvalidCredentials()
    if not user.active:
        append_audit(
            session,
            actor=actor,
            action="auth.login_refused",
            object_type="user",
            object_id=user.id,
            details={"reason": "disabled"},
            at=at,
        )
        session.commit()
        raise AccountDisabled()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        logger.info("password hash of user %s upgraded to current parameters", user.id)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = at
    append_audit(
        session, actor=actor, action="auth.login", object_type="user", object_id=user.id, at=at
    )
    return user


def _record_failure(session: Session, user: User, at: datetime, rules: LoginPolicy) -> None:
    # Increment in SQL so concurrent failures are all counted.
    failures = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(user, "failed_logins", failures)
    details: dict[str, int | str] = {"reason": "password", "failures": failures}
    append_audit(
        session,
        actor=Actor.for_user(user.id, user.role),
        action="auth.login_failed",
        object_type="user",
        object_id=user.id,
        details=details,
        at=at,
    )
    if failures >= rules.max_failures:
        user.locked_until = at + timedelta(minutes=rules.lockout_minutes)
        user.failed_logins = 0
        append_audit(
            session,
            actor=SYSTEM,
            action="user.locked",
            object_type="user",
            object_id=user.id,
            details={"minutes": rules.lockout_minutes, "failures": failures},
            at=at,
        )
        logger.warning("user %s locked after %d failed logins", user.id, failures)


def change_password(
    session: Session,
    *,
    user_id: int,
    old_password: str,
    new_password: str,
    now: datetime | None = None,
) -> User:
    """A user changes their own password (the old one must be given).

    Raises:
        UserNotFound: No such user.
        InvalidCredentials: The old password is wrong.
        WeakPassword: The new password does not meet the policy or equals the old one.
    """
    at = resolve_now(now)
    user = _require_user(session, user_id)
    if not passwords.verify_password(user.password_hash, old_password):
        raise InvalidCredentials("原密码不正确")
    if new_password == old_password:
        raise WeakPassword("新密码不能与原密码相同", field="new_password")
    _check_password(new_password, user.username)
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = at
    append_audit(
        session,
        actor=Actor.for_user(user.id, user.role),
        action="user.password_changed",
        object_type="user",
        object_id=user.id,
        at=at,
    )
    return user


def reset_password(
    session: Session, *, user_id: int, new_password: str, actor: Actor, now: datetime | None = None
) -> User:
    """An admin sets a user's password (and lifts any lock).

    Raises:
        UserNotFound: No such user.
        WeakPassword: The password does not meet the policy.
    """
    at = resolve_now(now)
    user = _require_user(session, user_id)
    _check_password(new_password, user.username)
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = at
    user.failed_logins = 0
    user.locked_until = None
    append_audit(
        session,
        actor=actor,
        action="user.password_reset",
        object_type="user",
        object_id=user.id,
        at=at,
    )
    return user


def update_user(
    session: Session,
    *,
    user_id: int,
    actor: Actor,
    role: Role | str | None = None,
    active: bool | None = None,
    unlock: bool = False,
    now: datetime | None = None,
) -> User:
    """An admin changes a user's role, (de)activates the account or lifts a lock.

    Raises:
        UserNotFound: No such user.
        InvalidInput: Unknown role.
    """
    at = resolve_now(now)
    user = _require_user(session, user_id)
    changes: dict[str, str | bool] = {}
    if role is not None and _role(role) != user.role:
        user.role = _role(role)
        changes["role"] = user.role.value
    if active is not None and active != user.active:
        user.active = active
        changes["active"] = active
    if unlock and (user.locked_until is not None or user.failed_logins):
        user.locked_until = None
        user.failed_logins = 0
        changes["unlocked"] = True
    if changes:
        append_audit(
            session,
            actor=actor,
            action="user.update",
            object_type="user",
            object_id=user.id,
            details=changes,
            at=at,
        )
    return user


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(
    session: Session,
    *,
    name: str,
    role: Role | str,
    actor: Actor,
    owner_id: int | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Issue a bearer token for a system client.

    Args:
        session: The open session.
        name: What the token is for (shown in lists).
        role: The role the token acts with (not above its owner's role).
        actor: Who issues it.
        owner_id: The responsible user, if any.
        expires_at: When it stops working (None: until revoked).
        now: The current time.

    Returns:
        The record and the clear secret (``smk_...``), which is not stored and cannot be shown
        again.

    Raises:
        InvalidInput: Empty name, unknown role, a role above the owner's, or a past expiry.
        UserNotFound: The owner does not exist.
    """
    at = resolve_now(now)
    label = name.strip()
    if not label or len(label) > 100:
        raise InvalidInput("令牌名称须为1至100个字符", field="name")
    token_role = _role(role)
    if owner_id is not None:
        owner = _require_user(session, owner_id)
        if not role_at_least(owner.role, token_role):
            raise InvalidInput("令牌的角色不能高于其负责人的角色", field="role")
    if expires_at is not None and resolve_now(expires_at) <= at:
        raise InvalidInput("过期时间须晚于当前时间", field="expires_at")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=label,
        token_hash=_token_hash(secret),
        role=token_role,
        owner_id=owner_id,
        created_at=at,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    append_audit(
        session,
        actor=actor,
        action="token.issue",
        object_type="api_token",
        object_id=token.id,
        details={"role": token_role.value, "owner_id": owner_id},
        at=at,
    )
    return IssuedToken(token=token, secret=secret)


def verify_token(session: Session, *, token: str, now: datetime | None = None) -> ApiToken:
    """The token record for a bearer secret, if it is valid.

    Records ``last_used_at`` (at most once a minute per token; the caller commits).

    Args:
        session: The open session.
        token: The secret as presented (``smk_...``).
        now: The current time.

    Returns:
        The token (``role`` is what the caller may do).

    Raises:
        InvalidCredentials: Unknown, revoked or expired token, or its owner is deactivated.
    """
    at = resolve_now(now)
    failure = InvalidCredentials("访问令牌无效、已撤销或已过期")
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise failure
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if record is None or record.revoked_at is not None:
        raise failure
    if record.expires_at is not None and record.expires_at <= at:
        raise failure
    if record.owner is not None and not record.owner.active:
        raise failure
    if record.last_used_at is None or at - record.last_used_at >= TOKEN_TOUCH_INTERVAL:
        record.last_used_at = at
    return record


def revoke_token(
    session: Session, *, token_id: int, actor: Actor, now: datetime | None = None
) -> ApiToken:
    """Revoke a token (idempotent).

    Raises:
        TokenNotFound: No such token.
    """
    at = resolve_now(now)
    record = session.get(ApiToken, token_id)
    if record is None:
        raise TokenNotFound()
    if record.revoked_at is None:
        record.revoked_at = at
        append_audit(
            session,
            actor=actor,
            action="token.revoke",
            object_type="api_token",
            object_id=record.id,
            at=at,
        )
    return record


def list_tokens(
    session: Session, *, owner_id: int | None = None, include_revoked: bool = False
) -> list[ApiToken]:
    """Tokens (never their secrets), newest first."""
    query = select(ApiToken)
    if owner_id is not None:
        query = query.where(ApiToken.owner_id == owner_id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
