from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from pydantic import SecretStr

from service.config import Settings
from service.security import passwords
from service.security.secrets import derive_key, key_file_path, load_secret_key


def _settings(tmp_path: Path, secret: str | None = None) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=SecretStr(secret) if secret else None)


def test_key_from_settings(tmp_path: Path) -> None:
    key = load_secret_key(_settings(tmp_path, "s" * 40))
    assert key == b"s" * 40
    assert not key_file_path(_settings(tmp_path)).exists()
    with pytest.raises(RuntimeError, match="过短"):
        load_secret_key(_settings(tmp_path, "short"))


def test_key_file_created_once_with_mode_600(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    key = load_secret_key(settings)
    path = key_file_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64
    assert load_secret_key(settings) == key
    assert list(path.parent.iterdir()) == [path]  # no temp files left


def test_key_file_concurrent_creation_yields_one_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        keys.append(load_secret_key(settings))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1


def test_damaged_key_file_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    key_file_path(settings).write_text("\n")
    with pytest.raises(RuntimeError, match="过短"):
        load_secret_key(settings)


def test_derived_keys_differ_by_purpose() -> None:
    assert derive_key(b"k" * 32, "session") != derive_key(b"k" * 32, "csrf")
    assert len(derive_key(b"k" * 32, "session")) == 32


def test_hash_and_verify() -> None:
    h = passwords.hash_password("correct horse 1")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "correct horse 1")
    assert not passwords.verify_password(h, "correct horse 2")
    assert not passwords.verify_password("not a hash", "x")


def test_production_defaults_are_not_the_test_profile() -> None:
    default = PasswordHasher()
    assert default.memory_cost >= 19 * 1024 and default.time_cost >= 2
    assert passwords.get_hasher().memory_cost == CHEAPEST.memory_cost  # tests use cheap


def test_rehash_needed_after_parameter_change() -> None:
    old = passwords.hash_password("correct horse 1")
    assert not passwords.needs_rehash(old)
    previous = passwords.set_hasher(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    try:
        assert passwords.verify_password(old, "correct horse 1")  # old hashes still verify
        assert passwords.needs_rehash(old)
    finally:
        passwords.set_hasher(previous)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "至少需要 10 个字符"),
        ("1234567890123", "不能全部是数字"),
        ("aaaaaaaaaaaa", "同一个字符"),
        (" padded password ", "首尾"),
        ("x" * 257 + "1", "不能超过"),
        ("zhangwei2026!", "用户名"),
    ],
)
def test_password_policy(password: str, reason: str) -> None:
    with pytest.raises(passwords.PasswordPolicyError) as info:
        passwords.check_policy(password, username="zhangwei")
    assert reason in info.value.message


def test_password_policy_accepts_reasonable_passwords() -> None:
    passwords.check_policy("培训服务2026春季", username="zhangwei")
    passwords.check_policy("correct horse battery")
