"""Personal data: resident ID numbers (GB 11643-1999) and mainland mobile numbers.

Validation, normalisation, keyed hashing (HMAC-SHA256, so a stolen database cannot be
reversed by enumerating the ID space without the key), masking for display, a :func:`scrub`
for free text, and a logging filter that scrubs log records.

Error messages never echo the number they reject.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata
from datetime import date

logger = logging.getLogger(__name__)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_SEPARATORS = re.compile(r"[\s\-]+")
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE_SHAPE = re.compile(r"1[3-9][0-9]{9}")
_MOBILE_PREFIX = re.compile(r"^(?:\+?86|0086)(?=1[3-9][0-9]{9}$)")


class InvalidIdentifier(ValueError):
    """An ID or phone number that fails validation (the message is Chinese, without the value).

    Attributes:
        field: ``"id_number"`` or ``"phone"``.
        message: The reason, for people to read.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _fold(raw: str) -> str:
    # NFKC folds full-width digits and letters (０-９, Ｘ) and the ideographic space.
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of an ID number.

    Args:
        first17: Seventeen ASCII digits.

    Returns:
        ``0``-``9`` or ``X``.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("expected 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalise_resident_id(raw: str) -> str:
    """Fold full-width characters, drop spaces and hyphens, upper-case the ``X``.

    Args:
        raw: The ID number as typed.

    Returns:
        The normalised string (not yet validated).
    """
    return _fold(raw).upper()


def validate_resident_id(raw: str, *, today: date | None = None) -> str:
    """Validate a resident ID number (GB 11643-1999) and return it normalised.

    Checks the length and characters, the birth date (a real day, not before 1900, not in the
    future) and the check character.

    Args:
        raw: The ID number as typed.
        today: The day "the future" starts after (default: today).

    Returns:
        The normalised 18-character ID number.

    Raises:
        InvalidIdentifier: With the reason in Chinese.
    """
    value = normalise_resident_id(raw)
    if len(value) == 15 and value.isdigit():
        raise InvalidIdentifier("id_number", "请使用18位居民身份证号码（15位旧号码不再受理）")
    if len(value) != 18:
        raise InvalidIdentifier("id_number", "身份证号码应为18位")
    if not _ID_SHAPE.fullmatch(value):
        raise InvalidIdentifier("id_number", "身份证号码前17位须为数字，最后一位为数字或X")
    if value[0] == "0":
        raise InvalidIdentifier("id_number", "身份证号码的地址码不正确")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdentifier("id_number", "身份证号码中的出生日期不正确") from None
    if birth.year < 1900 or birth > (today or date.today()):
        raise InvalidIdentifier("id_number", "身份证号码中的出生日期不正确")
    if id_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier("id_number", "身份证号码校验位不正确，请核对后重新输入")
    return value


def is_valid_resident_id(raw: str, *, today: date | None = None) -> bool:
    """Whether ``raw`` is a valid resident ID number (see :func:`validate_resident_id`)."""
    try:
        validate_resident_id(raw, today=today)
    except InvalidIdentifier:
        return False
    return True


def birth_date_of(id_number: str) -> date:
    """The birth date encoded in a validated, normalised ID number."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def mask_resident_id(id_number: str) -> str:
    """The display form: first 4 and last 4 characters kept (``4403**********1234``).

    Args:
        id_number: A normalised ID number (any length ≥ 9 is masked the same way).

    Returns:
        The masked string, as long as the input.
    """
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def normalise_phone(raw: str) -> str:
    """Fold full-width digits, drop spaces, hyphens and a ``+86``/``0086`` prefix."""
    return _MOBILE_PREFIX.sub("", _fold(raw))


def validate_phone(raw: str) -> str:
    """Validate a mainland China mobile number and return it normalised (11 digits).

    Args:
        raw: The number as typed (``+86 138-0013-8000`` and full-width digits are accepted).

    Returns:
        The 11 digits.

    Raises:
        InvalidIdentifier: With the reason in Chinese.
    """
    value = normalise_phone(raw)
    if not value.isascii() or not value.isdigit() or len(value) != 11:
        raise InvalidIdentifier("phone", "手机号码应为11位数字")
    if not _MOBILE_SHAPE.fullmatch(value):
        raise InvalidIdentifier("phone", "手机号码应以13至19开头")
    return value


def mask_phone(phone: str) -> str:
    """The display form of an 11-digit mobile number: ``138****5678``."""
    if len(phone) != 11:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]


def mask_name(name: str) -> str:
    """A name reduced to its first character (``张三丰`` → ``张**``; ``李`` → ``李``).

    Whitespace is folded first; an empty name gives an empty string.
    """
    folded = "".join(unicodedata.normalize("NFKC", name).split())
    if len(folded) <= 1:
        return folded
    return folded[0] + "*" * min(len(folded) - 1, 31)


def _keyed_hash(key: bytes, purpose: bytes, value: str) -> str:
    if len(key) < 16:
        raise ValueError("secret key too short")
    sub = hmac.new(key, purpose, hashlib.sha256).digest()
    return hmac.new(sub, value.encode("ascii"), hashlib.sha256).hexdigest()


def hash_resident_id(id_number: str, key: bytes) -> str:
    """HMAC-SHA256 (hex) of a normalised ID number, under a key derived for this purpose.

    Args:
        id_number: A validated, normalised ID number.
        key: The service secret key.

    Returns:
        64 hex characters.
    """
    return _keyed_hash(key, b"skillmatch/resident-id/v1", id_number)


def hash_phone(phone: str, key: bytes) -> str:
    """HMAC-SHA256 (hex) of a normalised mobile number, under a key derived for this purpose."""
    return _keyed_hash(key, b"skillmatch/phone/v1", phone)


# Free-text patterns. Digits may be full-width; IDs and phones may be split by one space or
# hyphen at their usual group boundaries (6-8-4 and 3-4-4). Any run of 15-19 digits (old IDs,
# bank cards) is masked too.
_D = "[0-9０-９]"
_SEP = "[ \\-]?"
_NOT_DIGIT_BEFORE = f"(?<!{_D})"
_NOT_DIGIT_AFTER = f"(?!{_D})"
_ID_IN_TEXT = re.compile(
    f"{_NOT_DIGIT_BEFORE}{_D}{{6}}{_SEP}{_D}{{8}}{_SEP}{_D}{{3}}(?:{_D}|[XxＸｘ]){_NOT_DIGIT_AFTER}"
)
_LONG_DIGITS = re.compile(f"{_NOT_DIGIT_BEFORE}{_D}{{15,19}}{_NOT_DIGIT_AFTER}")
_MOBILE_IN_TEXT = re.compile(
    f"{_NOT_DIGIT_BEFORE}(?:(?:\\+|＋)?(?:86|８６)[ \\-]?)?"
    f"[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_NOT_DIGIT_AFTER}"
)


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = [c for c in text if c.isdigit() or c in "XxＸｘ"]
    keep = 3 if len(digits) <= 13 else 4
    if len(digits) <= 13:  # a mobile number, possibly with +86
        core = digits[-11:]
        return "".join(core[:keep]) + "****" + "".join(core[-4:])
    return "".join(digits[:keep]) + "*" * (len(digits) - 8) + "".join(digits[-4:])


def scrub(text: str) -> str:
    """Mask every resident ID number, long digit run and mobile number found in free text.

    Used on caseworkers' notes before they are stored and on log records. Masks keep the
    first 4 and last 4 characters of IDs (``4403**********1234``) and the first 3 and last 4
    digits of mobiles (``138****5678``).

    Args:
        text: Any text.

    Returns:
        The text with those numbers masked (unchanged when there are none).
    """
    if not any(c.isdigit() for c in text):
        return text
    text = _ID_IN_TEXT.sub(_mask_match, text)
    text = _LONG_DIGITS.sub(_mask_match, text)
    return _MOBILE_IN_TEXT.sub(_mask_match, text)


class PiiLogFilter(logging.Filter):
    """Scrub ID and mobile numbers from log records (message, arguments, traceback text).

    A filter attached to a *logger* only sees records logged on that very logger, not those
    propagated from child loggers; attach it to the *handlers* (see :func:`install_pii_filter`).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            message = str(record.msg)
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def install_pii_filter(target: logging.Logger | None = None) -> PiiLogFilter:
    """Attach one :class:`PiiLogFilter` to a logger and every handler it has (default: root).

    Handlers added later need ``handler.addFilter(filter)`` too.

    Args:
        target: The logger (default: the root logger).

    Returns:
        The filter installed.
    """
    log = target or logging.getLogger()
    pii_filter = next((f for f in log.filters if isinstance(f, PiiLogFilter)), PiiLogFilter())
    if pii_filter not in log.filters:
        log.addFilter(pii_filter)
    for handler in log.handlers:
        if not any(isinstance(f, PiiLogFilter) for f in handler.filters):
            handler.addFilter(pii_filter)
    return pii_filter
