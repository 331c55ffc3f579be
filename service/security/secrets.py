"""The service secret: from settings (``SKILLMATCH_SECRET_KEY``) or a key file under data_dir.

The key protects ID-number and phone hashes, sessions and CSRF tokens. Losing it makes every
stored hash unfindable (people must be registered again), so back the key file up with the
database. Purpose-specific keys are derived from it (:func:`derive_key`), never used raw twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import stat
from pathlib import Path

from service.config import Settings

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
MIN_KEY_CHARS = 32


def key_file_path(settings: Settings) -> Path:
    """Where the generated key lives: ``<data_dir>/secret.key``."""
    return settings.data_dir / KEY_FILE_NAME


def _read_key_file(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("key file %s is readable by others (mode %o); chmod 600 it", path, mode)
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < MIN_KEY_CHARS:
        raise RuntimeError(f"密钥文件 {path} 内容过短或为空，请检查（至少 {MIN_KEY_CHARS} 个字符）")
    return value


def _create_key_file(path: Path) -> None:
    """Create the key file atomically, never replacing one another process created first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if the key file appeared meanwhile: keep that one
            logger.info("generated a new secret key file at %s", path)
        except FileExistsError:
            logger.debug("key file %s created concurrently; using it", path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def load_secret_key(settings: Settings) -> bytes:
    """The service secret key as bytes.

    ``settings.secret_key`` when set (at least 32 characters); otherwise the content of
    ``<data_dir>/secret.key``, created (mode 0600, 256 random bits, atomically) when missing.

    Args:
        settings: The service settings.

    Returns:
        The key bytes (UTF-8 of the configured or stored string).

    Raises:
        RuntimeError: The configured key is too short or the key file is damaged.
    """
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value().strip()
        if len(value) < MIN_KEY_CHARS:
            raise RuntimeError(f"SKILLMATCH_SECRET_KEY 过短：至少需要 {MIN_KEY_CHARS} 个字符")
        return value.encode("utf-8")
    path = key_file_path(settings)
    if not path.exists():
        _create_key_file(path)
    return _read_key_file(path).encode("utf-8")


def derive_key(key: bytes, purpose: str) -> bytes:
    """A purpose-specific 32-byte key (HMAC-SHA256 of the purpose under the master key).

    Args:
        key: The master key (:func:`load_secret_key`).
        purpose: A label such as ``"session"`` or ``"csrf"``.

    Returns:
        32 bytes.
    """
    return hmac.new(key, f"skillmatch/{purpose}".encode(), hashlib.sha256).digest()
