"""People followed by caseworkers: register (with consent), look up, read.

ID and phone numbers travel only in request bodies, never in a URL or query string (URLs end
up in access logs and browser history).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from service.api.casework_models import PersonOut
from service.api.common import PROTECTED, error_responses
from service.casework import people
from service.casework.errors import InvalidInput, PersonNotFound
from service.consent import CONSENT_TEXT_VERSION
from service.deps import DbSession, PersonReader, PersonWriter, SecretKey

router = APIRouter(tags=["people"])


class RegisterPersonIn(BaseModel):
    """A person to register (or to update, when the ID number is known already)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id_number": "11010519491231002X",
                    "consent": True,
                    "phone": "13800138000",
                    "group": "migrant_worker",
                    "region_code": "410100",
                }
            ]
        },
    )

    id_number: str = Field(max_length=40, description="居民身份证号码（18位，校验位按 GB 11643）")
    consent: bool = Field(description="本人已同意登记（必须为 true）")
    consent_text_version: str = Field(
        CONSENT_TEXT_VERSION, max_length=32, description="本人同意的同意书版本"
    )
    phone: str | None = Field(None, max_length=30, description="手机号码（可选）")
    name: str | None = Field(None, max_length=50, description="姓名（可选，只保存脱敏形式）")
    group: str | None = Field(None, max_length=32, description="人员类别（可选）")
    region_code: str | None = Field(None, max_length=6, description="所在地区代码（可选）")


class RegistrationOut(BaseModel):
    """The registered person and whether the record is new."""

    person: PersonOut = Field(description="人员（脱敏）")
    created: bool = Field(description="是否新登记（false 表示已有记录，已更新同意和联系方式）")


class LookupIn(BaseModel):
    """Find people by ID number or by mobile number (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid")

    id_number: str | None = Field(None, max_length=40, description="居民身份证号码")
    phone: str | None = Field(None, max_length=30, description="手机号码")


class PeopleOut(BaseModel):
    """People found (empty when none)."""

    items: list[PersonOut] = Field(description="找到的人员（脱敏）")


@router.post(
    "/api/v1/people",
    response_model=RegistrationOut,
    status_code=201,
    responses={
        200: {"description": "已有该人员，已更新", "model": RegistrationOut},
        **error_responses(*PROTECTED),
    },
    summary="登记人员（须本人同意）",
)
def register_person(
    body: RegisterPersonIn,
    caller: PersonWriter,
    db: DbSession,
    key: SecretKey,
    response: Response,
) -> RegistrationOut:
    """Register a person with their consent; an existing ID number updates that record (200)."""
    registration = people.register_person(
        db,
        id_number=body.id_number,
        key=key,
        consent=body.consent,
        consent_text_version=body.consent_text_version,
        actor=caller.actor,
        phone=body.phone or None,
        name=body.name or None,
        group=body.group or None,
        region_code=body.region_code or None,
    )
    if not registration.created:
        response.status_code = 200
    return RegistrationOut(person=PersonOut.of(registration.person), created=registration.created)


@router.post(
    "/api/v1/people/lookup",
    response_model=PeopleOut,
    responses=error_responses(*PROTECTED),
    summary="按身份证号或手机号查找人员",
)
def lookup_people(body: LookupIn, caller: PersonReader, db: DbSession, key: SecretKey) -> PeopleOut:
    """People with this ID number (at most one) or this mobile number (a family may share one).

    The lookup is audited, found or not.
    """
    if bool(body.id_number) == bool(body.phone):
        raise InvalidInput("请填写身份证号或手机号（二者选一）", field="id_number")
    if body.id_number:
        person = people.find_person_by_id_number(
            db, id_number=body.id_number, key=key, actor=caller.actor
        )
        found = [] if person is None else [person]
    else:
        found = people.find_people_by_phone(db, phone=body.phone or "", key=key, actor=caller.actor)
    return PeopleOut(items=[PersonOut.of(p) for p in found])


@router.get(
    "/api/v1/people/{person_id}",
    response_model=PersonOut,
    responses=error_responses(404, *PROTECTED),
    summary="人员详情（脱敏）",
)
def get_person(
    person_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="人员编号")],
    caller: PersonReader,
    db: DbSession,
) -> PersonOut:
    """One person, masked."""
    person = people.get_person(db, person_id=person_id)
    if person is None:
        raise PersonNotFound()
    return PersonOut.of(person)
