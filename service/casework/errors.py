"""Domain exceptions of the caseworker workflow, each with its HTTP status and Chinese message.

All subclass :class:`service.errors.ServiceError`, so the app's one error handler maps them.
"""

from __future__ import annotations

from typing import Any

from service.errors import ServiceError


class CaseworkError(ServiceError):
    """Base of caseworker-workflow errors."""

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        fields: list[dict[str, Any]] | None = None,
    ) -> None:
        """Create the error, naming the offending field when there is one."""
        if field is not None and fields is None:
            fields = [{"field": field, "reason": message or self.message}]
        super().__init__(message, fields)


class InvalidInput(CaseworkError):
    """A value failed validation (ID number, phone, password, status...)."""

    status_code = 422
    code = "invalid_input"
    message = "输入内容有误"


class WeakPassword(InvalidInput):
    """A password that does not meet the policy."""

    code = "weak_password"
    message = "密码不符合要求"


class ConsentRequired(InvalidInput):
    """Personal data cannot be recorded without the person's consent."""

    code = "consent_required"
    message = "须先取得本人同意，方可登记个人信息"


class InvalidCredentials(CaseworkError):
    """Wrong username or password, or an unknown, revoked or expired token."""

    status_code = 401
    code = "invalid_credentials"
    message = "用户名或密码错误"


class AccountLocked(CaseworkError):
    """Too many failed logins: the account is locked for a while."""

    status_code = 403
    code = "account_locked"
    message = "登录失败次数过多，账号已临时锁定，请稍后再试"


class AccountDisabled(CaseworkError):
    """The account has been deactivated."""

    status_code = 403
    code = "account_disabled"
    message = "账号已停用，请联系管理员"


class Forbidden(CaseworkError):
    """The role does not allow the action."""

    status_code = 403
    code = "forbidden"
    message = "没有执行此操作的权限"


class NotFound(CaseworkError):
    """The record does not exist."""

    status_code = 404
    code = "not_found"
    message = "未找到该记录"


class UserNotFound(NotFound):
    """No such account."""

    message = "未找到该账号"


class PersonNotFound(NotFound):
    """No such person."""

    message = "未找到该人员"


class ReferralNotFound(NotFound):
    """No such referral."""

    message = "未找到该转介记录"


class TokenNotFound(NotFound):
    """No such API token."""

    message = "未找到该令牌"


class Conflict(CaseworkError):
    """The request conflicts with the current state."""

    status_code = 409
    code = "conflict"
    message = "操作与当前状态冲突"


class UsernameTaken(Conflict):
    """The username exists already."""

    code = "username_taken"
    message = "该用户名已被使用"


class DuplicateReferral(Conflict):
    """The person already has an open referral to this session."""

    code = "duplicate_referral"
    message = "该人员已转介到此班期，请勿重复转介"


class InvalidTransition(Conflict):
    """The referral cannot move to the requested status from where it is."""

    code = "invalid_transition"
    message = "当前状态下不能进行此操作"


class SeatsFull(Conflict):
    """No seats left in the session."""

    code = "seats_full"
    message = "名额已满"


class ConcurrentChange(Conflict):
    """Someone else changed the record meanwhile."""

    code = "concurrent_change"
    message = "该记录已被他人修改，请刷新后重试"
