from __future__ import annotations

import logging
from datetime import date

import pytest

from service.security.pii import (
    InvalidIdentifier,
    PiiLogFilter,
    birth_date_of,
    hash_phone,
    hash_resident_id,
    id_check_char,
    install_pii_filter,
    is_valid_resident_id,
    mask_name,
    mask_phone,
    mask_resident_id,
    normalise_resident_id,
    scrub,
    validate_phone,
    validate_resident_id,
)
from tests.casework.conftest import KEY, id_with_x, iso7064_check, make_id

TODAY = date(2026, 11, 27)


def test_standard_example_is_valid() -> None:
    # The worked example of GB 11643-1999.
    assert validate_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize("seq", [f"{n:03d}" for n in range(0, 1000, 37)])
def test_check_character_matches_iterative_iso7064(seq: str) -> None:
    first17 = "44030119900307" + seq
    assert id_check_char(first17) == iso7064_check(first17)
    assert is_valid_resident_id(first17 + iso7064_check(first17), today=TODAY)


def test_normalisation_lowercase_x_fullwidth_and_spaces() -> None:
    number = id_with_x()
    typed = number[:-1] + "x"
    assert validate_resident_id(typed, today=TODAY) == number
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in number)  # ０-９ and Ｘ
    assert validate_resident_id(fullwidth, today=TODAY) == number
    spaced = f" {number[:6]} {number[6:14]}\u3000{number[14:]} "
    assert validate_resident_id(spaced, today=TODAY) == number
    assert normalise_resident_id("4403-01") == "440301"


def _wrong_check(number: str) -> str:
    last = number[-1]
    replacement = "0" if last != "0" else "1"
    return number[:-1] + replacement


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_wrong_check(make_id()), "校验位"),
        (make_id(birth="19900230"), "出生日期"),  # 30 February
        (make_id(birth="20270101"), "出生日期"),  # in the future
        (make_id(birth="18991231"), "出生日期"),
        (make_id()[:17], "18位"),
        (make_id() + "1", "18位"),
        ("440301900307123", "15位"),
        ("44030119900307A23X", "数字"),
        ("04030119900307123" + iso7064_check("04030119900307123"), "地址码"),
        ("", "18位"),
    ],
)
def test_invalid_ids_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate_resident_id(raw, today=TODAY)
    assert reason in info.value.message
    assert info.value.field == "id_number"
    if raw:
        assert raw not in str(info.value)  # messages never echo the number


def test_every_single_digit_error_is_detected() -> None:
    number = make_id()
    for pos in range(17):
        for digit in "0123456789":
            if digit == number[pos]:
                continue
            changed = number[:pos] + digit + number[pos + 1 :]
            assert not is_valid_resident_id(changed, today=TODAY)


def test_birth_date_and_masks() -> None:
    number = make_id(birth="19851224")
    assert birth_date_of(number) == date(1985, 12, 24)
    masked = mask_resident_id(number)
    assert masked == number[:4] + "*" * 10 + number[-4:]
    assert len(masked) == 18
    assert mask_phone("13800138000") == "138****8000"
    assert mask_name("张三丰") == "张**"
    assert mask_name(" 李 ") == "李"
    assert mask_name("") == ""


@pytest.mark.parametrize(
    "raw", ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "１３８００１３８０００"]
)
def test_phone_validation_and_normalisation(raw: str) -> None:
    assert validate_phone(raw) == "13800138000"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("1380013800", "11位"), ("138001380001", "11位"), ("12800138000", "13至19"), ("abc", "11位")],
)
def test_invalid_phones(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate_phone(raw)
    assert reason in info.value.message
    assert info.value.field == "phone"


def test_keyed_hashes_depend_on_key_and_purpose() -> None:
    number = make_id()
    h = hash_resident_id(number, KEY)
    assert len(h) == 64 and number not in h
    assert h == hash_resident_id(number, KEY)
    assert h != hash_resident_id(number, KEY + b"x")
    assert hash_phone("13800138000", KEY) != hash_resident_id("13800138000", KEY)
    with pytest.raises(ValueError):
        hash_resident_id(number, b"short")


def test_scrub_masks_ids_and_phones_in_free_text() -> None:
    number = id_with_x()
    text = (
        f"身份证{number}，电话13800138000；另一个 {number[:6]} {number[6:14]} {number[14:]}，"
        "手机 +86 139-1234-5678，全角１３９１２３４５６７８，小写" + number[:-1] + "x。"
    )
    out = scrub(text)
    assert number not in out and number[:-1] not in out
    assert "13800138000" not in out and "13912345678" not in out
    assert "139-1234-5678" not in out and "１３９１２３４５６７８" not in out
    assert number[:4] + "*" * 10 + number[-4:] in out
    assert "138****8000" in out
    assert out.startswith("身份证") and out.endswith("。")


def test_scrub_leaves_ordinary_text_alone() -> None:
    for text in ["报名人数 30 人，2026-11-27 开班", "课程编号 C000123", "", "已脱敏 138****8000"]:
        assert scrub(text) == text
    assert scrub("卡号 6222021234567890123") == "卡号 6222***********0123"


def test_log_filter_scrubs_message_args_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    number = make_id()
    log = logging.getLogger("tests.casework.pii")
    pii_filter = PiiLogFilter()
    caplog.handler.addFilter(pii_filter)
    try:
        with caplog.at_level(logging.INFO, logger="tests.casework.pii"):
            log.info("looked up %s with phone %s", number, "13800138000")
            log.info({"id": number})  # a non-string message
            try:
                raise ValueError(f"bad input {number}")
            except ValueError:
                log.exception("failed")
    finally:
        caplog.handler.removeFilter(pii_filter)
    assert number not in caplog.text
    assert "13800138000" not in caplog.text
    assert "138****8000" in caplog.text
    assert "ValueError: bad input 4403" in caplog.text


def test_install_pii_filter_on_handlers() -> None:
    log = logging.getLogger("tests.casework.install")
    handler = logging.StreamHandler()
    log.addHandler(handler)
    try:
        installed = install_pii_filter(log)
        assert installed in log.filters and installed in handler.filters
        assert install_pii_filter(log) is installed  # idempotent
        assert len(handler.filters) == 1
    finally:
        log.removeHandler(handler)
        log.filters.clear()
