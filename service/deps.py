"""FastAPI dependencies as ``Annotated`` aliases, in one place.

Deny by default: a protected route declares what it needs with one of the permission aliases
(``ReferralWriter``, ``AuditReader``...) or :func:`require_permission`; anything that is not
declared public in the tests' allow-list must do so (``tests/service/test_auth.py`` enumerates
every route).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.auth import SESSION_COOKIE, Caller, SessionCodec, check_csrf, resolve_caller
from service.casework.errors import Forbidden
from service.casework.permissions import Permission, allows
from service.config import Settings
from service.database import Database
from service.db.engine import session_scope
from service.errors import NotAuthenticated, NotReady
from service.state import ServiceState
from service.updates import UpdateManager


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _updates(request: Request) -> UpdateManager:
    manager: UpdateManager | None = getattr(request.app.state, "updates", None)
    if manager is None:
        raise NotReady("目录更新功能尚未就绪，请稍后再试")
    return manager


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    if not database.is_open:
        raise NotReady("数据库尚未就绪，请稍后再试")
    return database


def _codec(request: Request, database: Annotated[Database, Depends(_database)]) -> SessionCodec:
    codec: SessionCodec | None = getattr(request.app.state, "session_codec", None)
    if codec is None:
        codec = SessionCodec(database.key)
        request.app.state.session_codec = codec
    return codec


def _db_session(database: Annotated[Database, Depends(_database)]) -> Iterator[Session]:
    """A session per request: committed when the handler succeeds, rolled back otherwise."""
    with session_scope(database.factory) as session:
        yield session


StateDep = Annotated[ServiceState, Depends(_state)]
SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
CodecDep = Annotated[SessionCodec, Depends(_codec)]
UpdatesDep = Annotated[UpdateManager, Depends(_updates)]
"""The catalog update manager (``app.state.updates``, created at start-up)."""
# scope="function": the commit happens before the response is sent, so a client that got a
# 2xx can rely on the change being stored, and a failed commit becomes an error response.
DbSession = Annotated[Session, Depends(_db_session, scope="function")]


def _secret_key(database: DatabaseDep) -> bytes:
    return database.key


SecretKey = Annotated[bytes, Depends(_secret_key)]


# Declared for the OpenAPI document (/docs shows which routes need credentials and offers an
# "Authorize" button); the credentials themselves are read and checked by resolve_caller.
_bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="系统客户端：Authorization: Bearer smk_…（由管理员签发）",
)
_cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="consoleSession",
    description="窗口工作台登录后的会话 Cookie；修改数据的请求还须带 X-CSRF-Token",
)


def _optional_caller(
    request: Request,
    session: DbSession,
    codec: CodecDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
    _cookie: Annotated[str | None, Depends(_cookie_scheme)],
) -> Caller | None:
    return resolve_caller(request, session, codec)


OptionalCaller = Annotated[Caller | None, Depends(_optional_caller)]


async def current_caller(request: Request, caller: OptionalCaller) -> Caller:
    """The authenticated caller, else 401; a cookie-authenticated write must pass CSRF (403).

    Raises:
        NotAuthenticated: No valid session cookie or bearer token.
        CsrfFailed: A state-changing request by session without the session's CSRF token.
    """
    if caller is None:
        raise NotAuthenticated()
    await check_csrf(request, caller)
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]
"""Any authenticated caller (console session with CSRF checked, or bearer token)."""


class RequirePermission:
    """A dependency refusing callers whose role lacks one permission (401 when anonymous).

    Attributes:
        permission: What the route needs (the route-enumeration test reads it).
    """

    def __init__(self, permission: Permission) -> None:
        """Require ``permission``."""
        self.permission = permission

    async def __call__(self, caller: CurrentCaller) -> Caller:
        """The caller, if allowed."""
        if not allows(caller.role, self.permission):
            raise Forbidden()
        return caller

    def __repr__(self) -> str:
        """``RequirePermission('referral:write')``."""
        return f"RequirePermission({self.permission.value!r})"


def require_permission(permission: Permission | str) -> RequirePermission:
    """A dependency for routes that need ``permission`` (e.g. ``"referral:write"``)."""
    return RequirePermission(Permission(permission))


PersonReader = Annotated[Caller, Depends(require_permission(Permission.PERSON_READ))]
PersonWriter = Annotated[Caller, Depends(require_permission(Permission.PERSON_WRITE))]
ReferralReader = Annotated[Caller, Depends(require_permission(Permission.REFERRAL_READ))]
ReferralWriter = Annotated[Caller, Depends(require_permission(Permission.REFERRAL_WRITE))]
ReportExporter = Annotated[Caller, Depends(require_permission(Permission.REPORT_EXPORT))]
AuditReader = Annotated[Caller, Depends(require_permission(Permission.AUDIT_READ))]
UserManager = Annotated[Caller, Depends(require_permission(Permission.USER_MANAGE))]
TokenManager = Annotated[Caller, Depends(require_permission(Permission.TOKEN_MANAGE))]
RetentionRunner = Annotated[Caller, Depends(require_permission(Permission.RETENTION_RUN))]
CatalogUpdater = Annotated[Caller, Depends(require_permission(Permission.CATALOG_UPDATE))]
