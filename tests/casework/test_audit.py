from __future__ import annotations

import pytest

from service.casework import audit
from service.casework.audit import append_audit, list_audit
from service.casework.common import BEIJING, SYSTEM, Actor
from service.casework.errors import InvalidInput
from service.db import session_scope
from tests.casework.conftest import Clock, Db, make_id


def test_append_and_query(db: Db, clock: Clock) -> None:
    with session_scope(db.factory) as s:
        for n in range(12):
            append_audit(
                s,
                actor=Actor.for_user(n % 3 + 1),
                action="referral.enrolled" if n % 2 else "person.register",
                object_type="referral" if n % 2 else "person",
                object_id=n,
                details={"n": n},
                at=clock.advance(hours=1),
            )
    with session_scope(db.factory) as s:
        page = list_audit(s, limit=5)
        assert page.total == 12 and len(page.items) == 5
        assert [e.details["n"] for e in page.items] == [11, 10, 9, 8, 7]  # newest first
        assert [e.details["n"] for e in list_audit(s, limit=5, offset=10).items] == [1, 0]
        assert list_audit(s, actor="user:1").total == 4
        assert list_audit(s, actor=Actor.for_user(2)).total == 4
        assert list_audit(s, action="referral.enrolled").total == 6
        assert list_audit(s, action="referral.*").total == 6
        assert list_audit(s, object_type="person", object_id=4).total == 1
        t3 = page.items[-1].at  # n = 7
        assert list_audit(s, since=t3).total == 5
        assert list_audit(s, until=t3).total == 7
        naive_beijing = t3.astimezone(BEIJING).replace(tzinfo=None)
        assert list_audit(s, since=naive_beijing).total == 5
        with pytest.raises(InvalidInput):
            list_audit(s, limit=501)
        with pytest.raises(InvalidInput):
            list_audit(s, offset=-1)


def test_details_never_hold_personal_data(db: Db, clock: Clock) -> None:
    number = make_id()
    with session_scope(db.factory) as s:
        for key in ("id_number", "phone", "name", "Password"):
            with pytest.raises(ValueError, match="personal data"):
                append_audit(s, actor=SYSTEM, action="x", details={key: "v"})
        with pytest.raises(ValueError):
            append_audit(s, actor=SYSTEM, action="x", details={"nested": [{"phone": "1"}]})
        entry = append_audit(
            s,
            actor=SYSTEM,
            action="x",
            details={"reason": f"typed {number} and 13800138000", "list": [number], "ok": 1},
            at=clock.now,
        )
        assert number not in str(entry.details) and "13800138000" not in str(entry.details)
        assert entry.details["ok"] == 1


def test_module_offers_no_update_or_delete() -> None:
    public = [name for name in dir(audit) if not name.startswith("_")]
    assert not [n for n in public if any(w in n for w in ("update", "delete", "remove", "edit"))]
