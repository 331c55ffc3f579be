from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.casework import referrals
from service.casework.audit import list_audit
from service.casework.common import Actor
from service.casework.errors import InvalidInput
from service.casework.outcomes import compute_outcomes
from service.casework.retention import purge_inactive_people
from service.db import Person, Referral, ReferralStatus, session_scope
from tests.casework.conftest import Clock, Db
from tests.casework.helpers import caseworker, person


def test_purge_inactive_people(db: Db, clock: Clock) -> None:
    start = clock.now
    with session_scope(db.factory) as s:
        actor = caseworker(s)
        old = [person(s, actor, n, now=start) for n in range(3)]
        rid = referrals.refer(
            s,
            person_id=old[0],
            course_id="C1",
            session_id="S1",
            institution_id="I1",
            capacity=5,
            actor=actor,
            note="备注",
            now=start,
        ).id
        referrals.transition(s, referral_id=rid, to="enrolled", actor=actor, now=start)
        kept_active = person(s, actor, 10, now=start)
    clock.advance(days=300)
    with session_scope(db.factory) as s:  # activity refreshes last_activity_at
        ref = referrals.refer(
            s,
            person_id=kept_active,
            course_id="C2",
            session_id="S2",
            institution_id="I1",
            capacity=5,
            actor=Actor.for_user(1),
            now=clock.now,
        )
        assert ref.id
        recent = person(s, Actor.for_user(1), 11, now=clock.now)
    clock.advance(days=100)
    with session_scope(db.factory) as s:
        dry = purge_inactive_people(s, retention_days=365, now=clock.now, dry_run=True)
        assert (dry.people, dry.referrals_unlinked, dry.dry_run) == (3, 1, True)
        assert s.scalar(select(func.count()).select_from(Person)) == 5
        assert list_audit(s, action="retention.purge").total == 0
    with session_scope(db.factory) as s:
        result = purge_inactive_people(s, retention_days=365, now=clock.now)
        assert (result.people, result.referrals_unlinked) == (3, 1)
        assert result.cutoff == clock.now - timedelta(days=365)
    with session_scope(db.factory) as s:
        remaining = set(s.scalars(select(Person.id)))
        assert remaining == {kept_active, recent}
        orphan = s.get(Referral, rid)
        assert orphan is not None and orphan.person_id is None and orphan.note is None
        assert orphan.status is ReferralStatus.ENROLLED  # kept for statistics
        assert compute_outcomes(s, min_sample=1).courses[0].enrolled == 1
        entry = list_audit(s, action="retention.purge").items[0]
        assert entry.actor == "system"
        assert entry.details["people"] == 3 and entry.details["referrals_unlinked"] == 1
        # The unlinked referral can still move on (e.g. completion reported by the school).
        referrals.transition(s, referral_id=rid, to="completed", actor=Actor.for_user(1))
    with session_scope(db.factory) as s:
        nothing = purge_inactive_people(s, retention_days=365, now=clock.now)
        assert nothing.people == 0
        with pytest.raises(InvalidInput):
            purge_inactive_people(s, retention_days=0)
