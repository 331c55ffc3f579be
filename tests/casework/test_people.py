from __future__ import annotations

import pytest

from service.casework import people
from service.casework.audit import list_audit
from service.casework.errors import ConsentRequired, InvalidInput
from service.db import session_scope
from tests.casework.conftest import KEY, Clock, Db, id_with_x
from tests.casework.helpers import caseworker


def _register(db: Db, clock: Clock, **overrides: object) -> people.Registration:
    args: dict[str, object] = {
        "id_number": id_with_x(),
        "key": KEY,
        "consent": True,
        "consent_text_version": "2025-01",
        "phone": "+86 138 0013 8000",
        "name": "王小明",
        "group": "graduate",
        "region_code": "440300",
        "now": clock.now,
    }
    args.update(overrides)
    with session_scope(db.factory) as s:
        actor = caseworker(s, name=f"cw{len(list_audit(s).items)}")
        return people.register_person(s, actor=actor, **args)  # type: ignore[arg-type]


def test_register_stores_masked_and_hashed_data_only(db: Db, clock: Clock) -> None:
    number = id_with_x()
    registration = _register(db, clock)
    assert registration.created
    p = registration.person
    assert p.id_masked == number[:4] + "*" * 10 + number[-4:]
    assert p.phone_masked == "138****8000"
    assert p.name_masked == "王**"
    assert p.birth_year == int(number[6:10])
    assert p.consent_at == clock.now and p.consent_text_version == "2025-01"
    assert len(p.id_hash) == 64 and len(p.phone_hash or "") == 64
    assert number not in p.id_hash


def test_register_dedups_by_id_hash(db: Db, clock: Clock) -> None:
    first = _register(db, clock)
    clock.advance(days=3)
    again = _register(
        db, clock, id_number=id_with_x()[:-1] + "x", phone=None, consent_text_version="2025-02"
    )
    assert not again.created and again.person.id == first.person.id
    assert again.person.consent_text_version == "2025-02"
    assert again.person.phone_masked == "138****8000"  # kept when not given
    assert again.person.last_activity_at == clock.now
    with session_scope(db.factory) as s:
        assert [e.action for e in list_audit(s, object_type="person").items] == [
            "person.update",
            "person.register",
        ]


def test_consent_is_required(db: Db, clock: Clock) -> None:
    with pytest.raises(ConsentRequired) as info:
        _register(db, clock, consent=False)
    assert info.value.status_code == 422 and info.value.fields[0]["field"] == "consent"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "110105194912310021"),
        ("phone", "12345"),
        ("group", "astronaut"),
        ("region_code", "44"),
        ("consent_text_version", " "),
    ],
)
def test_invalid_fields_are_named(db: Db, clock: Clock, field: str, value: str) -> None:
    with pytest.raises(InvalidInput) as info:
        _register(db, clock, **{field: value})
    assert info.value.status_code == 422
    assert info.value.fields[0]["field"] == field
    assert value.strip() == "" or value not in info.value.message


def test_find_by_id_number_and_phone(db: Db, clock: Clock) -> None:
    pid = _register(db, clock).person.id
    number = id_with_x()
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in number)
    with session_scope(db.factory) as s:
        actor = caseworker(s, name="finder")
        for typed in (number, number.lower(), fullwidth, f"{number[:6]} {number[6:]}"):
            found = people.find_person_by_id_number(s, id_number=typed, key=KEY, actor=actor)
            assert found is not None and found.id == pid
        other = id_with_x()[:14] + "999"
        from tests.casework.conftest import iso7064_check

        assert (
            people.find_person_by_id_number(s, id_number=other + iso7064_check(other), key=KEY)
            is None
        )
        assert [p.id for p in people.find_people_by_phone(s, phone="13800138000", key=KEY)] == [pid]
        assert people.find_people_by_phone(s, phone="13900000000", key=KEY) == []
        with pytest.raises(InvalidInput):
            people.find_person_by_id_number(s, id_number="123", key=KEY)
        lookups = list_audit(s, action="person.lookup").items
        assert len(lookups) == 4 and all(e.details["found"] for e in lookups)
    # A different key finds nothing: the hash is keyed.
    with session_scope(db.factory) as s:
        assert people.find_person_by_id_number(s, id_number=number, key=KEY + b"other") is None
