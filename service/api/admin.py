"""Administration: console accounts, API tokens for system clients, the retention purge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from service.api.common import PROTECTED, error_responses
from service.casework import accounts, retention
from service.casework.errors import InvalidInput, UserNotFound
from service.db.models import ApiToken, Role, User
from service.deps import DbSession, RetentionRunner, SettingsDep, TokenManager, UserManager

router = APIRouter(tags=["admin"])

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="编号")]


class UserOut(BaseModel):
    """A console account (never its password hash)."""

    id: int = Field(description="账号编号")
    username: str = Field(description="用户名")
    role: Role = Field(description="角色：caseworker 经办人、supervisor 主管、admin 管理员")
    active: bool = Field(description="是否启用")
    locked_until: datetime | None = Field(description="锁定至（UTC）；未锁定时为空")
    created_at: datetime = Field(description="创建时间（UTC）")
    password_changed_at: datetime | None = Field(description="密码修改时间（UTC）")
    last_login_at: datetime | None = Field(description="最近登录时间（UTC）")

    @classmethod
    def of(cls, user: User) -> UserOut:
        """From the database record."""
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,
            active=user.active,
            locked_until=user.locked_until,
            created_at=user.created_at,
            password_changed_at=user.password_changed_at,
            last_login_at=user.last_login_at,
        )


class UserPageOut(BaseModel):
    """One page of accounts, by username."""

    items: list[UserOut] = Field(description="本页账号")
    total: int = Field(description="账号总数")
    limit: int = Field(description="每页数量")
    offset: int = Field(description="偏移量")


class UserIn(BaseModel):
    """A new console account."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(
        max_length=64, description="用户名：3至64位字母、数字、点、下划线或连字符"
    )
    password: str = Field(max_length=256, description="初始密码：至少10个字符，不能全是数字")
    role: Role = Field(description="角色")
    active: bool = Field(True, description="是否启用")


class UserUpdateIn(BaseModel):
    """Changes to an account (only the fields given)."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = Field(None, description="新角色")
    active: bool | None = Field(None, description="启用或停用")
    unlock: bool = Field(False, description="解除登录失败锁定")


class PasswordIn(BaseModel):
    """A new password set by an administrator."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=256, description="新密码")


class TokenOut(BaseModel):
    """An API token (never its secret)."""

    id: int = Field(description="令牌编号")
    name: str = Field(description="用途")
    role: Role = Field(description="令牌的角色")
    owner_id: int | None = Field(description="负责人账号编号")
    created_at: datetime = Field(description="签发时间（UTC）")
    expires_at: datetime | None = Field(description="过期时间（UTC）；为空表示撤销前一直有效")
    revoked_at: datetime | None = Field(description="撤销时间（UTC）")
    last_used_at: datetime | None = Field(description="最近使用时间（UTC，约每分钟记录一次）")

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        """From the database record."""
        return cls(
            id=token.id,
            name=token.name,
            role=token.role,
            owner_id=token.owner_id,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )


class TokenIn(BaseModel):
    """A token to issue for a system client."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100, description="用途，如 “人社一体化平台对接”")
    role: Role = Field(description="令牌的角色（不高于负责人的角色）")
    owner_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="负责人账号编号（默认为签发人本人）"
    )
    expires_at: datetime | None = Field(None, description="过期时间（须带时区）")


class IssuedTokenOut(BaseModel):
    """A newly issued token: the secret is shown this once only."""

    token: TokenOut = Field(description="令牌")
    secret: str = Field(description="令牌密钥（smk_ 开头），只显示这一次，请妥善保存")


class PurgeIn(BaseModel):
    """How to run the retention purge."""

    model_config = ConfigDict(extra="forbid")

    dry_run: bool = Field(False, description="只统计，不删除")


class PurgeOut(BaseModel):
    """What the purge removed (or would remove)."""

    cutoff: datetime = Field(description="截止时间（UTC）：此前无服务记录的人员被清除")
    retention_days: int = Field(description="保存期限（天）")
    people: int = Field(description="清除（或将清除）的人员数")
    referrals_unlinked: int = Field(description="与人员解除关联的转介记录数（保留用于统计）")
    dry_run: bool = Field(description="是否为试运行")


@router.get(
    "/api/v1/admin/users",
    response_model=UserPageOut,
    responses=error_responses(*PROTECTED),
    summary="账号列表",
)
def list_users(
    caller: UserManager,
    db: DbSession,
    limit: Annotated[int, Query(ge=1, le=500, description="每页数量")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="偏移量")] = 0,
) -> UserPageOut:
    """Console accounts by username."""
    page = accounts.list_users(db, limit=limit, offset=offset)
    return UserPageOut(
        items=[UserOut.of(u) for u in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/api/v1/admin/users",
    response_model=UserOut,
    status_code=201,
    responses=error_responses(409, *PROTECTED),
    summary="新建账号",
)
def create_user(body: UserIn, caller: UserManager, db: DbSession) -> UserOut:
    """Create a console account."""
    user = accounts.create_user(
        db,
        username=body.username,
        password=body.password,
        role=body.role,
        active=body.active,
        actor=caller.actor,
    )
    return UserOut.of(user)


@router.patch(
    "/api/v1/admin/users/{user_id}",
    response_model=UserOut,
    responses=error_responses(404, *PROTECTED),
    summary="修改账号：角色、启用/停用、解除锁定",
)
def update_user(user_id: IdPath, body: UserUpdateIn, caller: UserManager, db: DbSession) -> UserOut:
    """Change an account's role, (de)activate it or lift a lock.

    Administrators cannot change their own role or deactivate themselves (so that the last
    administrator cannot lock everyone out).
    """
    if caller.user_id == user_id and (
        (body.role is not None and body.role != caller.role) or body.active is False
    ):
        raise InvalidInput("不能修改自己的角色或停用自己的账号", field="role")
    user = accounts.update_user(
        db,
        user_id=user_id,
        actor=caller.actor,
        role=body.role,
        active=body.active,
        unlock=body.unlock,
    )
    return UserOut.of(user)


@router.post(
    "/api/v1/admin/users/{user_id}/password",
    response_model=UserOut,
    responses=error_responses(404, *PROTECTED),
    summary="重置账号密码",
)
def reset_password(
    user_id: IdPath, body: PasswordIn, caller: UserManager, db: DbSession
) -> UserOut:
    """Set a user's password (lifts any lock; the user's console sessions end)."""
    user = accounts.reset_password(
        db, user_id=user_id, new_password=body.password, actor=caller.actor
    )
    return UserOut.of(user)


@router.get(
    "/api/v1/admin/tokens",
    response_model=list[TokenOut],
    responses=error_responses(*PROTECTED),
    summary="访问令牌列表",
)
def list_tokens(
    caller: TokenManager,
    db: DbSession,
    owner_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="负责人")] = None,
    include_revoked: Annotated[bool, Query(description="包括已撤销的")] = False,
) -> list[TokenOut]:
    """Tokens, newest first (never their secrets)."""
    found = accounts.list_tokens(db, owner_id=owner_id, include_revoked=include_revoked)
    return [TokenOut.of(t) for t in found]


@router.post(
    "/api/v1/admin/tokens",
    response_model=IssuedTokenOut,
    status_code=201,
    responses=error_responses(404, *PROTECTED),
    summary="签发访问令牌",
)
def issue_token(body: TokenIn, caller: TokenManager, db: DbSession) -> IssuedTokenOut:
    """Issue a bearer token for a system client; its secret is in this response only."""
    owner_id = body.owner_id if body.owner_id is not None else caller.user_id
    if owner_id is not None and accounts.get_user(db, user_id=owner_id) is None:
        raise UserNotFound(field="owner_id")
    issued = accounts.issue_token(
        db,
        name=body.name,
        role=body.role,
        actor=caller.actor,
        owner_id=owner_id,
        expires_at=body.expires_at,
    )
    return IssuedTokenOut(token=TokenOut.of(issued.token), secret=issued.secret)


@router.post(
    "/api/v1/admin/tokens/{token_id}/revoke",
    response_model=TokenOut,
    responses=error_responses(404, *PROTECTED),
    summary="撤销访问令牌",
)
def revoke_token(token_id: IdPath, caller: TokenManager, db: DbSession) -> TokenOut:
    """Revoke a token (idempotent); it stops working at once."""
    return TokenOut.of(accounts.revoke_token(db, token_id=token_id, actor=caller.actor))


@router.post(
    "/api/v1/admin/retention/purge",
    response_model=PurgeOut,
    responses=error_responses(*PROTECTED),
    summary="按保存期限清除人员信息",
)
def purge(
    caller: RetentionRunner, db: DbSession, settings: SettingsDep, body: PurgeIn | None = None
) -> PurgeOut:
    """Delete people inactive for longer than the retention period (``retention_days``).

    Their referrals stay, anonymous, for outcome statistics. ``dry_run`` only counts.
    """
    result = retention.purge_inactive_people(
        db,
        retention_days=settings.retention_days,
        actor=caller.actor,
        dry_run=body.dry_run if body else False,
    )
    return PurgeOut(
        cutoff=result.cutoff,
        retention_days=settings.retention_days,
        people=result.people,
        referrals_unlinked=result.referrals_unlinked,
        dry_run=result.dry_run,
    )
