"""The feedback loop: referral outcomes reach ranking at the next index build."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.casework import referrals
from service.config import Settings
from service.db import ReferralStatus, create_db_engine, create_session_factory, session_scope
from service.db.engine import upgrade_to_head
from service.outcomes_feed import current_outcomes
from tests.casework.helpers import caseworker, person

FLOW = (
    ReferralStatus.ENROLLED,
    ReferralStatus.COMPLETED,
    ReferralStatus.CERTIFIED,
    ReferralStatus.EMPLOYED,
)


def _record(data_dir: Path, *, institution: str, completed: int, employed: int) -> None:
    url = f"sqlite:///{data_dir / 'skillmatch.db'}"
    upgrade_to_head(url)
    engine = create_db_engine(url)
    try:
        with session_scope(create_session_factory(engine)) as s:
            actor = caseworker(s)
            for n in range(completed):
                ref = referrals.refer(
                    s,
                    person_id=person(s, actor, n),
                    course_id=f"C{n % 3}",
                    session_id=f"S{n}",
                    institution_id=institution,
                    capacity=40,
                    actor=actor,
                )
                steps = FLOW if n < employed else FLOW[:2]
                for status in steps:
                    referrals.transition(s, referral_id=ref.id, to=status, actor=actor)
    finally:
        engine.dispose()


def test_no_database_means_no_outcomes(tmp_path: Path) -> None:
    assert current_outcomes(Settings(data_dir=tmp_path)) is None


def test_outcomes_of_the_database_with_minimum_sample(tmp_path: Path) -> None:
    _record(tmp_path, institution="INST-A", completed=25, employed=20)
    report = current_outcomes(Settings(data_dir=tmp_path))
    assert report is not None
    inst = {s["key"]: s for s in report["institutions"]}["INST-A"]
    assert (inst["completed"], inst["employed"]) == (25, 20)
    assert inst["employment_rate"] == pytest.approx(0.8)
    # each course saw fewer completions than the minimum sample: no rate
    assert all(c["employment_rate"] is None for c in report["courses"])


def test_observed_outcomes_change_the_institution_rate(demo_env) -> None:  # type: ignore[no-untyped-def]
    from catalog.store import CatalogStore
    from service.matching.catalog_view import CatalogView

    snapshot = CatalogStore(demo_env.data_dir / "catalog").load()
    plain = CatalogView(snapshot)
    inst_id, inst = next(iter(plain.institutions.items()))
    stat = {
        "key": inst_id,
        "completed": 200,
        "certified": 200,
        "employed": 200,
        "employment_rate": 1.0,
    }
    small = dict(stat, key=inst_id, completed=5, employed=0, employment_rate=None)
    fed = CatalogView(snapshot, {"institutions": [stat]})
    ignored = CatalogView(snapshot, {"institutions": [small, {**stat, "key": "NOPE"}]})
    assert fed.observed == 1 and ignored.observed == 0
    assert fed.institutions[inst_id].trained == inst.trained + 200
    assert fed.employment_rate(inst_id)[0] > plain.employment_rate(inst_id)[0]
    assert ignored.employment_rate(inst_id) == plain.employment_rate(inst_id)


def test_bundle_freezes_outcomes(demo_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from catalog.store import CatalogStore
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder
    from tests.conftest import TODAY

    snapshot = CatalogStore(demo_env.data_dir / "catalog").load()
    outcomes = {
        "generated_at": "2026-11-27T00:00:00+00:00",
        "min_sample": 20,
        "courses": [],
        "institutions": [{"key": "X", "completed": 30, "employed": 21}],
    }
    store = BundleStore(tmp_path / "index")
    manifest = store.build(snapshot, Encoder(), today=TODAY, outcomes=outcomes)
    assert manifest["outcomes"]["institutions"] == 1
    assert store.load(Encoder()).outcomes == outcomes
