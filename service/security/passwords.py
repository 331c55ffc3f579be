"""Password hashing (argon2id through argon2-cffi) and the password policy.

Production uses argon2-cffi's default parameters (RFC 9106 low-memory profile). Tests swap in
a cheap hasher with :func:`set_hasher`; hashes made with other parameters are still verified
and :func:`needs_rehash` tells when to upgrade them.
"""

from __future__ import annotations

import logging
import threading
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

logger = logging.getLogger(__name__)

MIN_LENGTH = 10
MAX_LENGTH = 256

_lock = threading.Lock()
_hasher = PasswordHasher()
_dummy_hash: str | None = None


class PasswordPolicyError(ValueError):
    """A password that does not meet the policy (the message is Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def get_hasher() -> PasswordHasher:
    """The password hasher in use."""
    return _hasher


def set_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Replace the hasher (tests use a cheap profile); returns the previous one.

    Args:
        hasher: The new hasher.

    Returns:
        The hasher it replaces, to restore later.
    """
    global _hasher, _dummy_hash
    with _lock:
        previous, _hasher, _dummy_hash = _hasher, hasher, None
    return previous


def _prepare(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def check_policy(password: str, *, username: str | None = None) -> None:
    """Refuse weak passwords.

    At least 10 characters, at most 256, not digits only, not the same character repeated, not
    containing the username.

    Args:
        password: The proposed password.
        username: The account's username, if known.

    Raises:
        PasswordPolicyError: With the reason in Chinese.
    """
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"密码至少需要 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"密码不能超过 {MAX_LENGTH} 个字符")
    if password.strip() != password:
        raise PasswordPolicyError("密码首尾不能是空格")
    if password.isdigit():
        raise PasswordPolicyError("密码不能全部是数字，请加入字母或符号")
    if len(set(password)) == 1:
        raise PasswordPolicyError("密码不能由同一个字符重复组成")
    if username and username.lower() in password.lower():
        raise PasswordPolicyError("密码不能包含用户名")


def hash_password(password: str) -> str:
    """The argon2id hash of a password (PHC string, includes salt and parameters)."""
    return _hasher.hash(_prepare(password))


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; never raises for a bad password.

    Args:
        password_hash: A stored argon2 PHC string.
        password: The password given.

    Returns:
        True when it matches.
    """
    try:
        return bool(_hasher.verify(password_hash, _prepare(password)))
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        logger.warning("stored password hash could not be verified (corrupt or unknown format)")
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than the current hasher's."""
    try:
        return bool(_hasher.check_needs_rehash(password_hash))
    except InvalidHashError:
        return True


def dummy_verify(password: str) -> None:
    """Spend the time of one verification, for unknown usernames (no timing oracle)."""
    global _dummy_hash
    with _lock:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("dummy password for unknown users")
        dummy = _dummy_hash
    verify_password(dummy, password)
