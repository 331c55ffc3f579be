"""Shared helpers of the casework tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.casework import accounts, people
from service.casework.common import Actor
from service.db import Role
from tests.casework.conftest import KEY, make_id


def caseworker(session: Session, name: str = "cw1", role: Role = Role.CASEWORKER) -> Actor:
    user = accounts.create_user(session, username=name, password="柜台服务password1", role=role)
    return Actor.for_user(user.id, role)


def person(
    session: Session,
    actor: Actor,
    n: int = 0,
    *,
    now: datetime | None = None,
    phone: str | None = None,
) -> int:
    registration = people.register_person(
        session,
        id_number=make_id(seq=f"{n % 1000:03d}", birth=f"{1970 + n // 1000}0307"),
        key=KEY,
        consent=True,
        consent_text_version="2025-01",
        actor=actor,
        phone=phone or f"139{n:08d}",
        name="张三丰",
        group="migrant_worker",
        region_code="500100",
        now=now,
    )
    return registration.person.id
