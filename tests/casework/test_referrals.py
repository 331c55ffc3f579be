from __future__ import annotations

import pytest

from service.casework import referrals
from service.casework.audit import list_audit
from service.casework.errors import (
    DuplicateReferral,
    InvalidInput,
    InvalidTransition,
    PersonNotFound,
    ReferralNotFound,
    SeatsFull,
)
from service.db import ReferralStatus, session_scope
from service.db.models import Person, Referral
from tests.casework.conftest import Clock, Db
from tests.casework.helpers import caseworker, person

S = ReferralStatus
FLOW = [S.ENROLLED, S.COMPLETED, S.CERTIFIED, S.EMPLOYED]


def _setup(db: Db, clock: Clock, people: int = 1, capacity: int = 10) -> tuple[list[int], int]:
    """Create a caseworker and people, refer each person to session S1; returns referral ids."""
    with session_scope(db.factory) as s:
        actor = caseworker(s)
        ids = []
        for n in range(people):
            pid = person(s, actor, n, now=clock.now)
            ids.append(
                referrals.refer(
                    s,
                    person_id=pid,
                    course_id="C1",
                    session_id="S1",
                    institution_id="I1",
                    capacity=capacity,
                    actor=actor,
                    now=clock.now,
                ).id
            )
        assert actor.id is not None
        return ids, actor.id


def _move(db: Db, clock: Clock, rid: int, to: S, note: str | None = None) -> Referral:
    from service.casework.common import Actor

    with session_scope(db.factory) as s:
        return referrals.transition(
            s, referral_id=rid, to=to, actor=Actor.for_user(1), note=note, now=clock.now
        )


def _seats(db: Db) -> int:
    with session_scope(db.factory) as s:
        seats = referrals.get_seats(s, session_id="S1")
        assert seats is not None
        return seats.enrolled


def test_full_flow_is_dated_and_audited(db: Db, clock: Clock) -> None:
    (rid,), uid = _setup(db, clock)
    with session_scope(db.factory) as s:
        r = referrals.get_referral(s, referral_id=rid)
        assert r is not None and r.status is S.REFERRED and r.referred_at == clock.now
        assert r.caseworker_id == uid and r.institution_id == "I1"
    for step in FLOW:
        clock.advance(days=10)
        r = _move(db, clock, rid, step)
        assert r.status is step
        assert getattr(r, referrals.TIMESTAMP_FIELD[step]) == clock.now
    assert _seats(db) == 1  # an employed person keeps the seat they used
    with session_scope(db.factory) as s:
        entries = list_audit(s, object_type="referral", object_id=rid).items
        assert [e.action for e in reversed(entries)] == [
            "referral.referred",
            "referral.enrolled",
            "referral.completed",
            "referral.certified",
            "referral.employed",
        ]
        assert entries[-2].details == {
            "from": "referred",
            "to": "enrolled",
            "session_id": "S1",
            "seat_change": 1,
        }
        p = s.get(Person, r.person_id)
        assert p is not None and p.last_activity_at == clock.now


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], S.COMPLETED),  # skipping enrolment
        ([], S.EMPLOYED),
        ([], S.REFERRED),
        ([S.ENROLLED], S.CERTIFIED),
        ([S.ENROLLED, S.COMPLETED], S.ENROLLED),  # backwards
        ([S.ENROLLED, S.COMPLETED, S.CERTIFIED, S.EMPLOYED], S.WITHDRAWN),  # final
        ([S.WITHDRAWN], S.ENROLLED),
        ([S.WITHDRAWN], S.WITHDRAWN),
    ],
)
def test_refused_transitions(db: Db, clock: Clock, path: list[S], refused: S) -> None:
    (rid,), _ = _setup(db, clock)
    for step in path:
        _move(db, clock, rid, step)
    with pytest.raises(InvalidTransition) as info:
        _move(db, clock, rid, refused)
    assert info.value.status_code == 409 and "不能改为" in info.value.message
    with session_scope(db.factory) as s:
        r = referrals.get_referral(s, referral_id=rid)
        assert r is not None and r.status is (path[-1] if path else S.REFERRED)
        assert len(list_audit(s, object_type="referral", object_id=rid).items) == 1 + len(path)


@pytest.mark.parametrize("before", [S.REFERRED, S.ENROLLED, S.COMPLETED, S.CERTIFIED])
def test_withdraw_from_any_open_state(db: Db, clock: Clock, before: S) -> None:
    (rid,), _ = _setup(db, clock)
    for step in FLOW[: FLOW.index(before) + 1] if before is not S.REFERRED else []:
        _move(db, clock, rid, step)
    seats_before = _seats(db)
    clock.advance(days=1)
    with session_scope(db.factory) as s:
        from service.casework.common import Actor

        r = referrals.withdraw(
            s, referral_id=rid, actor=Actor.for_user(1), note="本人放弃", now=clock.now
        )
    assert r.status is S.WITHDRAWN and r.withdrawn_at == clock.now
    assert r.note is not None and "本人放弃" in r.note
    # Only an enrolled (still training) referral gives its seat back.
    assert _seats(db) == seats_before - (1 if before is S.ENROLLED else 0)


def test_allowed_transitions_table() -> None:
    assert referrals.allowed_transitions("referred") == {S.ENROLLED, S.WITHDRAWN}
    assert referrals.allowed_transitions(S.CERTIFIED) == {S.EMPLOYED, S.WITHDRAWN}
    assert referrals.allowed_transitions(S.EMPLOYED) == frozenset()
    assert referrals.allowed_transitions(S.WITHDRAWN) == frozenset()


def test_seats_full_and_freed(db: Db, clock: Clock) -> None:
    rids, _ = _setup(db, clock, people=3, capacity=2)
    _move(db, clock, rids[0], S.ENROLLED)
    _move(db, clock, rids[1], S.ENROLLED)
    with pytest.raises(SeatsFull) as info:
        _move(db, clock, rids[2], S.ENROLLED)
    assert info.value.message == "名额已满" and info.value.status_code == 409
    with session_scope(db.factory) as s:  # the failed enrolment left nothing behind
        r = referrals.get_referral(s, referral_id=rids[2])
        assert r is not None and r.status is S.REFERRED and r.enrolled_at is None
        assert referrals.seats_left(s, session_id="S1") == 0
        assert list_audit(s, action="referral.enrolled").total == 2
    _move(db, clock, rids[0], S.WITHDRAWN)
    _move(db, clock, rids[2], S.ENROLLED)
    assert _seats(db) == 2


def test_duplicate_and_invalid_referrals(db: Db, clock: Clock) -> None:
    (rid,), _ = _setup(db, clock)
    from service.casework.common import Actor

    actor = Actor.for_user(1)
    with session_scope(db.factory) as s:
        pid = referrals.get_referral(s, referral_id=rid).person_id  # type: ignore[union-attr]
    assert pid is not None
    base = {
        "person_id": pid,
        "course_id": "C1",
        "session_id": "S1",
        "institution_id": "I1",
        "capacity": 10,
        "actor": actor,
    }
    with pytest.raises(DuplicateReferral), session_scope(db.factory) as s:
        referrals.refer(s, **base)  # type: ignore[arg-type]
    for field, value in (("course_id", " "), ("session_id", "x" * 65), ("capacity", -1)):
        with pytest.raises(InvalidInput) as info, session_scope(db.factory) as s:
            referrals.refer(s, **{**base, field: value})  # type: ignore[arg-type]
        assert info.value.fields[0]["field"] == field
    with pytest.raises(PersonNotFound), session_scope(db.factory) as s:
        referrals.refer(s, **{**base, "person_id": 9999})  # type: ignore[arg-type]
    with pytest.raises(ReferralNotFound), session_scope(db.factory) as s:
        referrals.transition(s, referral_id=9999, to="enrolled", actor=actor)
    with pytest.raises(InvalidInput), session_scope(db.factory) as s:
        referrals.transition(s, referral_id=rid, to="graduated", actor=actor)
    # After a withdrawal the person may be referred to the same session again.
    _move(db, clock, rid, S.WITHDRAWN)
    with session_scope(db.factory) as s:
        assert referrals.refer(s, **base).id != rid  # type: ignore[arg-type]


def test_capacity_follows_the_catalog(db: Db, clock: Clock) -> None:
    rids, _ = _setup(db, clock, people=2, capacity=1)
    _move(db, clock, rids[0], S.ENROLLED)
    from service.casework.common import Actor

    with session_scope(db.factory) as s:
        pid = person(s, Actor.for_user(1), 50)
        referrals.refer(
            s,
            person_id=pid,
            course_id="C1",
            session_id="S1",
            institution_id="I1",
            capacity=2,
            actor=Actor.for_user(1),
        )
        assert referrals.seats_left(s, session_id="S1") == 1
        assert list_audit(s, action="seats.capacity").items[0].details == {"capacity": 2}
    _move(db, clock, rids[1], S.ENROLLED)
    assert _seats(db) == 2


def test_notes_are_scrubbed_and_listed(db: Db, clock: Clock) -> None:
    (rid,), uid = _setup(db, clock)
    r = _move(db, clock, rid, S.ENROLLED, note="已联系本人，电话13800138000，身份证见附件")
    assert r.note is not None and "13800138000" not in r.note and "138****8000" in r.note
    assert r.note.startswith("[2026-11-27 已报名]")
    with pytest.raises(InvalidInput, match="备注"):
        _move(db, clock, rid, S.COMPLETED, note="长" * 501)
    with session_scope(db.factory) as s:
        assert referrals.list_referrals(s, caseworker_id=uid).total == 1
        assert referrals.list_referrals(s, status="enrolled").items[0].id == rid
        assert referrals.list_referrals(s, status="referred").total == 0
        assert referrals.list_referrals(s, session_id="S2").total == 0
        with pytest.raises(InvalidInput):
            referrals.list_referrals(s, limit=0)
