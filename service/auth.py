"""Who is calling: console sessions (signed cookies), CSRF tokens and bearer tokens.

**Console sessions.** After a login the browser holds one cookie, ``smk_session``:
``v1.<payload>.<signature>`` where the payload (base64url JSON) names the user, a random
session id and the issue and expiry times, and the signature is HMAC-SHA256 under
``derive_key(secret, "session")`` (``itsdangerous`` is not installed; this is the same idea in a
few lines). The cookie is HttpOnly, SameSite=Lax, Secure when ``cookie_secure`` is set, and
lives ``session_hours``. Every request re-reads the user from the database, so a deactivated
account, a changed role or a password change (which ends every older session) takes effect at
once. Logging out appends an ``auth.logout`` audit entry for the session id; a session with
such an entry is refused, on every replica, since the audit log is shared and append-only.

**CSRF.** A state-changing request (anything but GET/HEAD/OPTIONS) authenticated by the cookie
must carry the session's synchronizer token, HMAC-SHA256 of the session id under
``derive_key(secret, "csrf")``, in the ``X-CSRF-Token`` header or the ``csrf_token`` form field.
The login form, which has no session yet, uses a signed double-submit token instead (a random
nonce in a short-lived cookie, its HMAC in the form).

**Bearer tokens.** System clients send ``Authorization: Bearer smk_...``; the token's role is
what they may do (:func:`service.casework.accounts.verify_token`), capped at its owner's current
role (a demoted owner's tokens are demoted too). Bearer requests are exempt from CSRF: a
browser never attaches that header on its own.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from service.casework import accounts
from service.casework.audit import append_audit
from service.casework.common import Actor, resolve_now
from service.casework.permissions import Permission, allows, role_at_least
from service.config import Settings
from service.db.models import AuditLog, Role, User
from service.errors import CsrfFailed, NotAuthenticated
from service.security import derive_key

logger = logging.getLogger(__name__)

SESSION_COOKIE = "smk_session"
LOGIN_COOKIE = "smk_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_NONCE_SECONDS = 2 * 3600
SESSION_OBJECT = "console_session"
LOGOUT_ACTION = "auth.logout"
_COOKIE_VERSION = "v1"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class SessionClaims:
    """What a session cookie says (once its signature is checked).

    Attributes:
        user_id: The console user.
        session_id: Random, 32 hex characters; names the session in the audit log.
        issued_at: When the session started (Unix time in microseconds, so that a password
            change a moment later still ends it).
        expires_at: When it ends (Unix seconds).
    """

    user_id: int
    session_id: str
    issued_at: int
    expires_at: int


@dataclass(frozen=True)
class Caller:
    """An authenticated caller.

    Attributes:
        actor: Who acts, as recorded in the audit log (``user:3``, ``token:7``).
        role: The role the caller acts with (read fresh from the database).
        via: ``session`` (console cookie) or ``token`` (bearer token).
        username: The console user's name (sessions only).
        session_id: The console session id (sessions only).
        csrf_token: The session's CSRF token, for forms and scripts (sessions only).
    """

    actor: Actor
    role: Role
    via: Literal["session", "token"]
    username: str | None = None
    session_id: str | None = None
    csrf_token: str | None = None

    def can(self, permission: Permission | str) -> bool:
        """Whether the caller's role has ``permission``."""
        return allows(self.role, permission)

    @property
    def user_id(self) -> int | None:
        """The console user's id (None for tokens)."""
        return self.actor.user_id


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Signs and checks session cookies, CSRF tokens and login-form tokens."""

    def __init__(self, key: bytes) -> None:
        """Derive the purpose keys from the service secret key."""
        self._session_key = derive_key(key, "session")
        self._csrf_key = derive_key(key, "csrf")
        self._login_key = derive_key(key, "login-csrf")

    def _sign(self, key: bytes, text: str) -> str:
        return _b64(hmac.new(key, text.encode("ascii"), hashlib.sha256).digest())

    def issue(self, *, user_id: int, now: datetime, hours: int) -> tuple[str, SessionClaims]:
        """A new session for ``user_id``.

        Args:
            user_id: The user who logged in.
            now: The login time.
            hours: The session lifetime.

        Returns:
            The cookie value and its claims.
        """
        issued = int(now.timestamp() * 1_000_000)
        expires = int(now.timestamp()) + hours * 3600
        claims = SessionClaims(user_id, secrets.token_hex(16), issued, expires)
        payload = json.dumps(
            {"u": claims.user_id, "s": claims.session_id, "i": issued, "e": expires},
            separators=(",", ":"),
        )
        body = f"{_COOKIE_VERSION}.{_b64(payload.encode('ascii'))}"
        return f"{body}.{self._sign(self._session_key, body)}", claims

    def read(self, value: str, *, now: datetime) -> SessionClaims | None:
        """The claims of a cookie value, or None when it is forged, malformed or expired."""
        parts = value.split(".")
        if len(parts) != 3 or parts[0] != _COOKIE_VERSION or len(value) > 512:
            return None
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sign(self._session_key, body), parts[2]):
            return None
        try:
            data = json.loads(_unb64(parts[1]))
            claims = SessionClaims(int(data["u"]), str(data["s"]), int(data["i"]), int(data["e"]))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if claims.expires_at <= int(now.timestamp()):
            return None
        return claims

    def csrf_token(self, session_id: str) -> str:
        """The CSRF token of a session."""
        return hmac.new(self._csrf_key, session_id.encode("ascii"), hashlib.sha256).hexdigest()

    def new_login_nonce(self) -> str:
        """A random nonce for the login form's cookie."""
        return secrets.token_urlsafe(24)

    def login_token(self, nonce: str) -> str:
        """The login form's token for a nonce."""
        return hmac.new(self._login_key, nonce.encode("utf-8"), hashlib.sha256).hexdigest()

    def check_login_token(self, nonce: str | None, token: str | None) -> bool:
        """Whether a login form's token matches the nonce its cookie carries."""
        if not nonce or not token or len(nonce) > 100:
            return False
        return hmac.compare_digest(self.login_token(nonce), token)


def session_revoked(session: Session, session_id: str) -> bool:
    """Whether the session was ended by a logout (an ``auth.logout`` audit entry)."""
    found = session.scalar(
        select(AuditLog.id)
        .where(
            AuditLog.object_type == SESSION_OBJECT,
            AuditLog.object_id == session_id,
            AuditLog.action == LOGOUT_ACTION,
        )
        .limit(1)
    )
    return found is not None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise NotAuthenticated("认证方式不受支持，请使用 Authorization: Bearer 访问令牌")
    return credentials.strip()


def resolve_caller(
    request: Request, session: Session, codec: SessionCodec, *, now: datetime | None = None
) -> Caller | None:
    """Who sent ``request``: a bearer token, a console session, or nobody (None).

    A bearer token, when present, decides alone (a cookie next to it is ignored).

    Args:
        request: The request.
        session: The request's database session.
        codec: The app's session codec.
        now: The current time.

    Returns:
        The caller, or None when the request carries no valid credentials.

    Raises:
        NotAuthenticated: An ``Authorization`` header that is not a bearer token.
        service.casework.errors.InvalidCredentials: A bearer token that is unknown, revoked or
            expired.
    """
    at = resolve_now(now)
    token = _bearer(request)
    if token is not None:
        record = accounts.verify_token(session, token=token, now=at)
        role = record.role
        if record.owner is not None and not role_at_least(record.owner.role, role):
            role = record.owner.role  # never more than its owner may do today
        return Caller(actor=Actor.for_token(record.id, role), role=role, via="token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    claims = codec.read(cookie, now=at)
    if claims is None:
        return None
    user = session.get(User, claims.user_id)
    if user is None or not user.active:
        return None
    changed = user.password_changed_at
    if changed is not None and int(changed.timestamp() * 1_000_000) > claims.issued_at:
        return None  # the password changed after this session began
    if session_revoked(session, claims.session_id):
        return None
    return Caller(
        actor=Actor.for_user(user.id, user.role),
        role=user.role,
        via="session",
        username=user.username,
        session_id=claims.session_id,
        csrf_token=codec.csrf_token(claims.session_id),
    )


async def check_csrf(request: Request, caller: Caller) -> None:
    """Refuse a state-changing cookie-authenticated request without the session's token.

    The token is read from the ``X-CSRF-Token`` header, else from the ``csrf_token`` field of
    a form body (the body is cached, so the endpoint can still read it).

    Args:
        request: The request.
        caller: Who sent it.

    Raises:
        CsrfFailed: The token is missing or wrong.
    """
    if caller.via != "session" or request.method in SAFE_METHODS:
        return
    expected = caller.csrf_token or ""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        # Cache the raw body for endpoints that read it; when FastAPI's form parsing consumed
        # it already, the parsed form is cached instead.
        with contextlib.suppress(RuntimeError):
            await request.body()
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not expected or not hmac.compare_digest(given, expected):
        logger.info("CSRF check failed for %s %s", request.method, request.url.path)
        raise CsrfFailed()


def set_session_cookie(
    response: Response, value: str, *, settings: Settings, claims: SessionClaims
) -> None:
    """Attach the session cookie to a response."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max(claims.expires_at - claims.issued_at // 1_000_000, 0),
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, *, settings: Settings) -> None:
    """Remove the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax"
    )


def set_login_cookie(response: Response, nonce: str, *, settings: Settings) -> None:
    """Attach the login form's nonce cookie (scoped to the login path)."""
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_NONCE_SECONDS,
        path="/console/login",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


def clear_login_cookie(response: Response, *, settings: Settings) -> None:
    """Remove the login form's nonce cookie."""
    response.delete_cookie(
        LOGIN_COOKIE,
        path="/console/login",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )


def end_session(session: Session, caller: Caller, *, now: datetime | None = None) -> None:
    """Record a logout, which ends the caller's console session everywhere.

    Args:
        session: The open database session (the caller commits).
        caller: The logged-in caller.
        now: The current time.
    """
    if caller.session_id is None:
        return
    append_audit(
        session,
        actor=caller.actor,
        action=LOGOUT_ACTION,
        object_type=SESSION_OBJECT,
        object_id=caller.session_id,
        at=resolve_now(now),
    )


def safe_next(target: str | None, default: str = "/console") -> str:
    """A local path to go to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 0x20 for c in target) or len(target) > 500:
        return default
    return target
