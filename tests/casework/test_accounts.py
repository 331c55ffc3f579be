from __future__ import annotations

from datetime import timedelta

import pytest

from service.casework import accounts
from service.casework.accounts import LoginPolicy
from service.casework.audit import list_audit
from service.casework.common import SYSTEM, Actor
from service.casework.errors import (
    AccountDisabled,
    AccountLocked,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    TokenNotFound,
    UsernameTaken,
    WeakPassword,
)
from service.casework.permissions import PERMISSIONS, Permission, allows, require, role_at_least
from service.config import Settings
from service.db import Role, session_scope
from service.security import passwords
from tests.casework.conftest import Clock, Db

PASSWORD = "柜台服务password1"
POLICY = LoginPolicy(max_failures=3, lockout_minutes=15)


def _user(db: Db, clock: Clock, username: str = "caseworker1", role: Role = Role.CASEWORKER) -> int:
    with session_scope(db.factory) as s:
        return accounts.create_user(
            s, username=username, password=PASSWORD, role=role, now=clock.now
        ).id


def _login(db: Db, clock: Clock, password: str = PASSWORD, username: str = "caseworker1") -> int:
    with session_scope(db.factory) as s:
        return accounts.authenticate(
            s, username=username, password=password, now=clock.now, policy=POLICY
        ).id


def test_create_user_and_login(db: Db, clock: Clock) -> None:
    uid = _user(db, clock, username="  CaseWorker1 ")
    clock.advance(minutes=5)
    assert _login(db, clock) == uid
    with session_scope(db.factory) as s:
        user = accounts.get_user(s, user_id=uid)
        assert user is not None
        assert user.username == "caseworker1"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert user.last_login_at == clock.now
        assert accounts.count_users(s, role="caseworker") == 1
        actions = [e.action for e in list_audit(s).items]
        assert actions == ["auth.login", "user.create"]


def test_create_user_validation(db: Db, clock: Clock) -> None:
    _user(db, clock)
    with pytest.raises(UsernameTaken), session_scope(db.factory) as s:
        accounts.create_user(s, username="CASEWORKER1", password=PASSWORD, role="caseworker")
    with pytest.raises(InvalidInput) as info, session_scope(db.factory) as s:
        accounts.create_user(s, username="a b", password=PASSWORD, role="caseworker")
    assert info.value.fields[0]["field"] == "username"
    with pytest.raises(InvalidInput, match="角色"), session_scope(db.factory) as s:
        accounts.create_user(s, username="boss", password=PASSWORD, role="root")
    with pytest.raises(WeakPassword) as weak, session_scope(db.factory) as s:
        accounts.create_user(s, username="weak", password="1234567890", role="caseworker")
    assert weak.value.status_code == 422 and "数字" in weak.value.message


def test_wrong_password_counts_and_locks(db: Db, clock: Clock) -> None:
    uid = _user(db, clock)
    for attempt in (1, 2):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, password="wrong password")
        with session_scope(db.factory) as s:
            assert accounts.get_user(s, user_id=uid).failed_logins == attempt  # type: ignore[union-attr]
    with pytest.raises(AccountLocked) as locked:
        _login(db, clock, password="wrong password")
    assert "15 分钟" in locked.value.message and locked.value.status_code == 403
    # Locked: even the right password is refused until the lock expires.
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(AccountLocked, match="1 分钟"):
        _login(db, clock)
    clock.advance(seconds=1)
    assert _login(db, clock) == uid
    with session_scope(db.factory) as s:
        user = accounts.get_user(s, user_id=uid)
        assert user is not None and user.failed_logins == 0 and user.locked_until is None
        entries = list_audit(s, object_type="user", object_id=uid).items
        actions = [e.action for e in reversed(entries)]
    assert actions == [
        "user.create",
        "auth.login_failed",
        "auth.login_failed",
        "auth.login_failed",
        "user.locked",
        "auth.login_refused",
        "auth.login",
    ]


def test_success_resets_the_failure_count(db: Db, clock: Clock) -> None:
    _user(db, clock)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            _login(db, clock, password="wrong password")
    _login(db, clock)
    for _ in range(2):  # two more failures do not lock (count restarted)
        with pytest.raises(InvalidCredentials):
            _login(db, clock, password="wrong password")
    _login(db, clock)


def test_unknown_user_costs_a_verification(
    db: Db, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    with pytest.raises(InvalidCredentials) as info:
        _login(db, clock, username="nobody")
    assert info.value.status_code == 401 and info.value.message == "用户名或密码错误"
    assert len(calls) == 1
    with session_scope(db.factory) as s:
        entry = list_audit(s, action="auth.login_failed").items[0]
        assert entry.actor == "anonymous" and "nobody" not in str(entry.details)


def test_disabled_account(db: Db, clock: Clock) -> None:
    uid = _user(db, clock)
    with session_scope(db.factory) as s:
        accounts.update_user(s, user_id=uid, active=False, actor=SYSTEM, now=clock.now)
    with pytest.raises(AccountDisabled):
        _login(db, clock)
    with pytest.raises(InvalidCredentials):  # the wrong password says nothing more
        _login(db, clock, password="wrong password")


def test_admin_unlock_and_role_change(db: Db, clock: Clock) -> None:
    uid = _user(db, clock)
    for _ in range(3):
        with pytest.raises((InvalidCredentials, AccountLocked)):
            _login(db, clock, password="wrong password")
    with session_scope(db.factory) as s:
        user = accounts.update_user(
            s, user_id=uid, unlock=True, role="supervisor", actor=Actor.for_user(99), now=clock.now
        )
        assert user.role is Role.SUPERVISOR
    assert _login(db, clock) == uid


def test_change_and_reset_password(db: Db, clock: Clock) -> None:
    uid = _user(db, clock)
    with pytest.raises(InvalidCredentials, match="原密码"), session_scope(db.factory) as s:
        accounts.change_password(
            s, user_id=uid, old_password="nope nope 1", new_password="new password 22"
        )
    with pytest.raises(WeakPassword, match="相同"), session_scope(db.factory) as s:
        accounts.change_password(s, user_id=uid, old_password=PASSWORD, new_password=PASSWORD)
    with session_scope(db.factory) as s:
        accounts.change_password(
            s, user_id=uid, old_password=PASSWORD, new_password="new password 22", now=clock.now
        )
    with pytest.raises(InvalidCredentials):
        _login(db, clock)
    assert _login(db, clock, password="new password 22") == uid
    with session_scope(db.factory) as s:
        accounts.reset_password(s, user_id=uid, new_password="reset password 3", actor=SYSTEM)
    assert _login(db, clock, password="reset password 3") == uid


def test_login_rehashes_outdated_hashes(db: Db, clock: Clock) -> None:
    from argon2 import PasswordHasher

    uid = _user(db, clock)
    with session_scope(db.factory) as s:
        old_hash = accounts.get_user(s, user_id=uid).password_hash  # type: ignore[union-attr]
    previous = passwords.set_hasher(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    try:
        _login(db, clock)
        with session_scope(db.factory) as s:
            new_hash = accounts.get_user(s, user_id=uid).password_hash  # type: ignore[union-attr]
        assert new_hash != old_hash and "t=2" in new_hash
    finally:
        passwords.set_hasher(previous)


def test_api_tokens(db: Db, clock: Clock) -> None:
    uid = _user(db, clock, username="admin1", role=Role.ADMIN)
    admin = Actor.for_user(uid, Role.ADMIN)
    with session_scope(db.factory) as s:
        issued = accounts.issue_token(
            s, name="地市系统对接", role="caseworker", owner_id=uid, actor=admin, now=clock.now
        )
        token_id = issued.token.id
        assert issued.secret.startswith("smk_") and len(issued.secret) > 40
        assert issued.secret not in issued.token.token_hash
    clock.advance(minutes=2)
    with session_scope(db.factory) as s:
        record = accounts.verify_token(s, token=issued.secret, now=clock.now)
        assert record.id == token_id and record.role is Role.CASEWORKER
        assert record.last_used_at == clock.now
    for bad in ("smk_wrong", "Bearer x", issued.secret + "x", ""):
        with pytest.raises(InvalidCredentials), session_scope(db.factory) as s:
            accounts.verify_token(s, token=bad, now=clock.now)
    with session_scope(db.factory) as s:
        assert [t.id for t in accounts.list_tokens(s)] == [token_id]
        accounts.revoke_token(s, token_id=token_id, actor=admin, now=clock.now)
        accounts.revoke_token(s, token_id=token_id, actor=admin, now=clock.now)  # idempotent
        assert accounts.list_tokens(s) == []
    with pytest.raises(InvalidCredentials, match="撤销"), session_scope(db.factory) as s:
        accounts.verify_token(s, token=issued.secret, now=clock.now)
    with pytest.raises(TokenNotFound), session_scope(db.factory) as s:
        accounts.revoke_token(s, token_id=999, actor=admin)
    with session_scope(db.factory) as s:
        assert len(list_audit(s, action="token.*").items) == 2  # issue + one revoke


def test_token_expiry_owner_and_role_limits(db: Db, clock: Clock) -> None:
    cw = _user(db, clock, username="cw1")
    with pytest.raises(InvalidInput, match="不能高于"), session_scope(db.factory) as s:
        accounts.issue_token(s, name="x", role="admin", owner_id=cw, actor=SYSTEM, now=clock.now)
    with pytest.raises(InvalidInput, match="过期时间"), session_scope(db.factory) as s:
        accounts.issue_token(
            s, name="x", role="caseworker", actor=SYSTEM, expires_at=clock.now, now=clock.now
        )
    with session_scope(db.factory) as s:
        issued = accounts.issue_token(
            s,
            name="short-lived",
            role="caseworker",
            owner_id=cw,
            actor=SYSTEM,
            expires_at=clock.now + timedelta(hours=1),
            now=clock.now,
        )
    with session_scope(db.factory) as s:
        accounts.verify_token(s, token=issued.secret, now=clock.advance(minutes=59))
    with pytest.raises(InvalidCredentials), session_scope(db.factory) as s:
        accounts.verify_token(s, token=issued.secret, now=clock.advance(minutes=1))
    with session_scope(db.factory) as s:
        accounts.update_user(s, user_id=cw, active=False, actor=SYSTEM)
        issued2 = accounts.issue_token(s, name="y", role="caseworker", owner_id=cw, actor=SYSTEM)
    with pytest.raises(InvalidCredentials), session_scope(db.factory) as s:
        accounts.verify_token(s, token=issued2.secret)  # owner deactivated


def test_login_policy_from_settings() -> None:
    settings = Settings(login_max_failures=7, lockout_minutes=30)
    assert LoginPolicy.from_settings(settings) == LoginPolicy(7, 30)


def test_permissions_deny_by_default() -> None:
    assert allows("caseworker", "referral:write")
    assert allows(Role.CASEWORKER, Permission.REFERRAL_READ)
    assert not allows("caseworker", "audit:read")
    assert allows("supervisor", "audit:read") and allows("admin", "audit:read")
    assert not allows("supervisor", "catalog:update") and not allows("supervisor", "user:manage")
    assert allows("admin", "catalog:update") and allows("admin", "user:manage")
    for role in (None, "", "root", "ADMIN"):
        assert not allows(role, "referral:read")
    assert not allows("admin", "no:such-permission")
    # Every role's permissions include everything of the roles below it.
    assert PERMISSIONS[Role.CASEWORKER] < PERMISSIONS[Role.SUPERVISOR] < PERMISSIONS[Role.ADMIN]
    with pytest.raises(Forbidden) as info:
        require("caseworker", "user:manage")
    assert info.value.status_code == 403
    require("admin", "user:manage")
    assert role_at_least("admin", Role.SUPERVISOR) and not role_at_least("caseworker", Role.ADMIN)
