"""Security helpers: personal-data handling, password hashing, the service secret."""

from __future__ import annotations

from service.security.pii import (
    InvalidIdentifier,
    PiiLogFilter,
    hash_phone,
    hash_resident_id,
    install_pii_filter,
    is_valid_resident_id,
    mask_name,
    mask_phone,
    mask_resident_id,
    normalise_phone,
    normalise_resident_id,
    scrub,
    validate_phone,
    validate_resident_id,
)
from service.security.secrets import derive_key, load_secret_key

__all__ = [
    "InvalidIdentifier",
    "PiiLogFilter",
    "derive_key",
    "hash_phone",
    "hash_resident_id",
    "install_pii_filter",
    "is_valid_resident_id",
    "load_secret_key",
    "mask_name",
    "mask_phone",
    "mask_resident_id",
    "normalise_phone",
    "normalise_resident_id",
    "scrub",
    "validate_phone",
    "validate_resident_id",
]
