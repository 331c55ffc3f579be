"""People followed by caseworkers: registration with consent, lookup by ID number or phone.

Only a keyed hash and a masked form of the resident ID number are stored (likewise the
phone). A name is optional and kept masked only (``张**``): caseworkers recognise a person by
the masked ID, phone and surname at the counter, and nothing in the workflow needs more. The
birth year is taken from the ID number; the rest of the birth date is not kept.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.models import Group
from service.casework.audit import append_audit
from service.casework.common import Actor, resolve_now
from service.casework.errors import ConcurrentChange, ConsentRequired, InvalidInput
from service.db.models import Person
from service.security.pii import (
    InvalidIdentifier,
    birth_date_of,
    hash_phone,
    hash_resident_id,
    mask_name,
    mask_phone,
    mask_resident_id,
    validate_phone,
    validate_resident_id,
)

logger = logging.getLogger(__name__)

_REGION = re.compile(r"[1-9][0-9]{5}")


@dataclass(frozen=True)
class Registration:
    """The outcome of :func:`register_person`: the person and whether it is a new record."""

    person: Person
    created: bool


def _id_number(raw: str, today: date) -> str:
    try:
        return validate_resident_id(raw, today=today)
    except InvalidIdentifier as exc:
        raise InvalidInput(exc.message, field="id_number") from None


def _phone(raw: str) -> str:
    try:
        return validate_phone(raw)
    except InvalidIdentifier as exc:
        raise InvalidInput(exc.message, field="phone") from None


def _group(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    try:
        return Group(value).value
    except ValueError:
        raise InvalidInput("人员类别不是可选的取值", field="group") from None


def _region(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _REGION.fullmatch(value):
        raise InvalidInput("地区代码须为6位数字", field="region_code")
    return value


def register_person(
    session: Session,
    *,
    id_number: str,
    key: bytes,
    consent: bool,
    consent_text_version: str,
    actor: Actor,
    phone: str | None = None,
    name: str | None = None,
    group: str | None = None,
    region_code: str | None = None,
    now: datetime | None = None,
) -> Registration:
    """Register a person, or return the existing record for the same ID number.

    An existing record gets the new consent, any phone, group or region given, and its
    activity time refreshed.

    Args:
        session: The open session.
        id_number: The resident ID number as typed (validated: GB 11643 check character).
        key: The service secret key (:func:`service.security.load_secret_key`).
        consent: The person agreed to their data being recorded (required).
        consent_text_version: Which consent text they agreed to.
        actor: The caseworker (or client) registering.
        phone: A mainland mobile number, optional.
        name: Optional; only its masked form (first character) is stored.
        group: A key employment group (``catalog.models.Group`` value), optional.
        region_code: Six-digit region code of residence, optional.
        now: The current time.

    Returns:
        The person and whether it was created.

    Raises:
        ConsentRequired: ``consent`` is false.
        InvalidInput: Bad ID number, phone, group, region or consent version (field named).
        ConcurrentChange: The same person was registered concurrently; retry.
    """
    at = resolve_now(now)
    if not consent:
        raise ConsentRequired(field="consent")
    version = consent_text_version.strip()
    if not version or len(version) > 32:
        raise InvalidInput("同意书版本须为1至32个字符", field="consent_text_version")
    number = _id_number(id_number, at.date())
    clear_phone = _phone(phone) if phone else None
    person_group = _group(group)
    region = _region(region_code)
    masked_name = mask_name(name) if name else None
    id_hash = hash_resident_id(number, key)

    person = session.scalar(select(Person).where(Person.id_hash == id_hash))
    created = person is None
    if person is None:
        person = Person(
            id_hash=id_hash,
            id_masked=mask_resident_id(number),
            birth_year=birth_date_of(number).year,
            consent_at=at,
            consent_text_version=version,
            created_by=actor.user_id,
            created_at=at,
            last_activity_at=at,
        )
        session.add(person)
    person.consent_at = at
    person.consent_text_version = version
    person.last_activity_at = at
    if clear_phone is not None:
        person.phone_hash = hash_phone(clear_phone, key)
        person.phone_masked = mask_phone(clear_phone)
    if masked_name:
        person.name_masked = masked_name
    if person_group is not None:
        person.group = person_group
    if region is not None:
        person.region_code = region
    try:
        session.flush()
    except IntegrityError:
        raise ConcurrentChange("该人员正在被他人登记，请稍后重试") from None
    append_audit(
        session,
        actor=actor,
        action="person.register" if created else "person.update",
        object_type="person",
        object_id=person.id,
        details={"consent_text_version": version},
        at=at,
    )
    logger.info("person %s %s", person.id, "registered" if created else "updated")
    return Registration(person=person, created=created)


def get_person(session: Session, *, person_id: int) -> Person | None:
    """The person with this id, or None."""
    return session.get(Person, person_id)


def find_person_by_id_number(
    session: Session,
    *,
    id_number: str,
    key: bytes,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> Person | None:
    """Look a person up by resident ID number (through its keyed hash).

    Args:
        session: The open session.
        id_number: The ID number as typed.
        key: The service secret key.
        actor: When given, the lookup is audited (found or not).
        now: The current time.

    Returns:
        The person, or None.

    Raises:
        InvalidInput: The ID number is not valid.
    """
    at = resolve_now(now)
    number = _id_number(id_number, at.date())
    person = session.scalar(select(Person).where(Person.id_hash == hash_resident_id(number, key)))
    if actor is not None:
        append_audit(
            session,
            actor=actor,
            action="person.lookup",
            object_type="person",
            object_id=None if person is None else person.id,
            details={"by": "id_number", "found": person is not None},
            at=at,
        )
    return person


def find_people_by_phone(
    session: Session,
    *,
    phone: str,
    key: bytes,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> list[Person]:
    """People registered with this mobile number (a phone may be shared in a family).

    Raises:
        InvalidInput: The phone number is not valid.
    """
    at = resolve_now(now)
    clear = _phone(phone)
    people = list(
        session.scalars(
            select(Person).where(Person.phone_hash == hash_phone(clear, key)).order_by(Person.id)
        )
    )
    if actor is not None:
        append_audit(
            session,
            actor=actor,
            action="person.lookup",
            details={"by": "phone", "found": len(people)},
            at=at,
        )
    return people
