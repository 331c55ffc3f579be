from __future__ import annotations

from pathlib import Path

import pytest

from service.casework import referrals
from service.casework.outcomes import (
    compute_outcomes,
    outcomes_by_key,
    read_outcomes,
    write_outcomes,
)
from service.db import ReferralStatus, session_scope
from tests.casework.conftest import Clock, Db
from tests.casework.helpers import caseworker, person

S = ReferralStatus
FLOW = [S.ENROLLED, S.COMPLETED, S.CERTIFIED, S.EMPLOYED]


def _populate(db: Db, clock: Clock) -> None:
    """Course C1 (institution I1): 30 referred, 25 enrolled, 22 completed, 15 certified,
    11 employed (one certified then withdrawn). Course C2 (I1): 5 referred, all employed."""
    plan = (
        [("C1", S.EMPLOYED)] * 11
        + [("C1", S.CERTIFIED)] * 3
        + [("C1", "certified-then-withdrawn")]
        + [("C1", S.COMPLETED)] * 7
        + [("C1", S.ENROLLED)] * 3
        + [("C1", S.REFERRED)] * 5
        + [("C2", S.EMPLOYED)] * 5
    )
    with session_scope(db.factory) as s:
        actor = caseworker(s)
        for n, (course, final) in enumerate(plan):
            rid = referrals.refer(
                s,
                person_id=person(s, actor, n, now=clock.now),
                course_id=course,
                session_id=f"{course}-S",
                institution_id="I1",
                capacity=100,
                actor=actor,
                now=clock.now,
            ).id
            if final == "certified-then-withdrawn":
                steps = [*FLOW[:3], S.WITHDRAWN]
            elif final is S.REFERRED:
                steps = []
            else:
                steps = FLOW[: FLOW.index(S(final)) + 1]
            for step in steps:
                referrals.transition(s, referral_id=rid, to=step, actor=actor, now=clock.now)


def test_counts_rates_and_minimum_sample(db: Db, clock: Clock) -> None:
    _populate(db, clock)
    with session_scope(db.factory) as s:
        report = compute_outcomes(s, min_sample=20, now=clock.now)
    courses = outcomes_by_key(report.courses)
    c1 = courses["C1"]
    assert (c1.referred, c1.enrolled, c1.completed, c1.certified, c1.employed) == (
        30,
        25,
        22,
        15,
        11,
    )
    assert c1.completion_rate == pytest.approx(22 / 25, abs=1e-4)
    assert c1.certification_rate == pytest.approx(15 / 22, abs=1e-4)
    assert c1.employment_rate == pytest.approx(11 / 22, abs=1e-4)
    c2 = courses["C2"]
    assert (c2.referred, c2.employed) == (5, 5)
    assert c2.completion_rate is None and c2.employment_rate is None  # below 20
    (i1,) = report.institutions
    assert (i1.key, i1.referred, i1.completed, i1.employed) == ("I1", 35, 27, 16)
    assert i1.employment_rate == pytest.approx(16 / 27, abs=1e-4)
    with session_scope(db.factory) as s:
        later = compute_outcomes(s, since=clock.now.replace(year=2027))
        assert later.courses == [] and later.institutions == []


@pytest.mark.parametrize("suffix", [".json", ".parquet"])
def test_write_and_read_back(db: Db, clock: Clock, tmp_path: Path, suffix: str) -> None:
    _populate(db, clock)
    with session_scope(db.factory) as s:
        report = compute_outcomes(s, min_sample=20, now=clock.now)
    path = write_outcomes(report, tmp_path / "out" / f"outcomes{suffix}")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left
    back = read_outcomes(path)
    assert back == report
    with pytest.raises(ValueError):
        write_outcomes(report, tmp_path / "outcomes.csv")
