"""No overbooking: 50 caseworkers enrol 50 people into 10 seats at the same moment."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from service.casework import referrals
from service.casework.audit import list_audit
from service.casework.common import Actor
from service.casework.errors import ConcurrentChange, InvalidTransition, SeatsFull
from service.db import Referral, ReferralStatus, session_scope
from tests.casework.conftest import Clock, Db
from tests.casework.helpers import caseworker, person

THREADS = 50
SEATS = 10


def _race(db: Db, work: list[int], action: str) -> Counter[str]:
    barrier = threading.Barrier(len(work))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(rid: int) -> None:
        barrier.wait()
        try:
            with session_scope(db.factory) as s:  # one session (and connection) per thread
                referrals.transition(s, referral_id=rid, to=action, actor=Actor.for_user(1))
            result = "ok"
        except SeatsFull as exc:
            result = f"full:{exc.message}"
        except ConcurrentChange:
            result = "concurrent"
        except InvalidTransition:
            result = "already"
        except Exception as exc:  # anything else is a bug: record it
            result = f"error:{type(exc).__name__}:{exc}"
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(rid,)) for rid in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def _refer_all(db: Db, clock: Clock) -> list[int]:
    with session_scope(db.factory) as s:
        actor = caseworker(s)
        return [
            referrals.refer(
                s,
                person_id=person(s, actor, n, now=clock.now),
                course_id="C1",
                session_id="S1",
                institution_id="I1",
                capacity=SEATS,
                actor=actor,
            ).id
            for n in range(THREADS)
        ]


def test_fifty_concurrent_enrolments_into_ten_seats(db: Db, clock: Clock) -> None:
    rids = _refer_all(db, clock)
    outcomes = _race(db, rids, "enrolled")
    assert outcomes == {"ok": SEATS, "full:名额已满": THREADS - SEATS}, outcomes
    with session_scope(db.factory) as s:
        seats = referrals.get_seats(s, session_id="S1")
        assert seats is not None and seats.enrolled == SEATS
        enrolled = s.scalar(select(func.count()).where(Referral.status == ReferralStatus.ENROLLED))
        assert enrolled == SEATS
        assert list_audit(s, action="referral.enrolled").total == SEATS


def test_the_same_referral_enrolled_twice_concurrently_takes_one_seat(db: Db, clock: Clock) -> None:
    rids = _refer_all(db, clock)
    outcomes = _race(db, [rids[0]] * 8, "enrolled")
    assert outcomes["ok"] == 1
    # The losers see either the compare-and-set failing or the new status.
    assert outcomes["concurrent"] + outcomes["already"] == 7, outcomes
    with session_scope(db.factory) as s:
        assert referrals.get_seats(s, session_id="S1").enrolled == 1  # type: ignore[union-attr]
