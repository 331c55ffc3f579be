from datetime import date

import pytest
from pydantic import ValidationError

from catalog.models import (
    Course,
    DemandEntry,
    EmploymentService,
    Institution,
    Session,
)


def demand(**kw):
    base = dict(
        region_code="350200",
        occupation_code="6-18-02-04",
        tier="short",
        subsidy_l5=700,
        subsidy_l4=1000,
        subsidy_l3=1500,
        subsidy_l2=2000,
        subsidy_l1=3000,
        valid_from=date(2026, 1, 1),
    )
    return DemandEntry(**(base | kw))


def course(**kw):
    base = dict(
        course_id="C1",
        institution_id="I1",
        title="焊工（中级）技能提升培训班",
        occupation_code="6-18-02-04",
        level="intermediate",
        mode="offline",
        hours_total=80,
        hours_practical=56,
        fee=2000,
        subsidy_amount=1500,
        certificate="skill_level",
        region_code="350200",
    )
    return Course(**(base | kw))


def test_xiamen_style_uplift():
    # Xiamen: 700/1,000/1,500/2,000/3,000 for levels 5→1, +20% shortage, +30% key occupation.
    entry = demand(shortage_uplift_pct=20, key_occupation=True, key_uplift_pct=30)
    assert entry.subsidy(4) == 1000
    assert entry.uplifted_subsidy(4) == 1500
    assert demand(shortage_uplift_pct=20).uplifted_subsidy(5) == 840
    assert demand(shortage_uplift_pct=20, key_uplift_pct=30).uplifted_subsidy(5) == 840


def test_markers():
    entry = demand(subsidy_l1=None, subsidy_l2=None, not_in_standard=(1,))
    assert entry.subsidy(1) is None and 1 in entry.not_in_standard  # "——"
    assert entry.subsidy(2) is None and 2 not in entry.not_in_standard  # "/"
    with pytest.raises(ValidationError, match="不能有补贴金额"):
        demand(not_in_standard=(1,))
    with pytest.raises(ValidationError, match="各等级均无补贴标准"):
        demand(subsidy_l5=None, subsidy_l4=None, subsidy_l3=None, subsidy_l2=None, subsidy_l1=None)


@pytest.mark.parametrize(
    "kw",
    [
        {"region_code": "4403"},
        {"occupation_code": "6180204"},
        {"tier": "紧缺"},  # labels are mapped by the importer, records take machine values
        {"subsidy_l5": -1},
        {"valid_to": date(2025, 1, 1)},
        {"not_in_standard": (6,)},
    ],
)
def test_demand_rejects(kw):
    with pytest.raises(ValidationError):
        demand(**kw)


def test_validity():
    entry = demand(valid_to=date(2026, 12, 31))
    assert entry.is_valid_on(date(2026, 6, 1))
    assert not entry.is_valid_on(date(2027, 1, 1))


def test_institution_outcomes_bounded():
    Institution(
        institution_id="I1",
        name="厦门市技师学院",
        type="technical_school",
        region_code="350200",
        trained=100,
        certified=90,
        employed_3m=70,
        employed_6m=80,
    )
    with pytest.raises(ValidationError, match="不能多于培训人数"):
        Institution(
            institution_id="I1",
            name="x",
            type="private",
            region_code="350200",
            trained=10,
            employed_6m=11,
        )


def test_course_rules():
    c = course()
    assert c.out_of_pocket == 500
    with pytest.raises(ValidationError, match="实操课时"):
        course(hours_practical=81)
    with pytest.raises(ValidationError, match="年龄下限"):
        course(age_min=50, age_max=40)
    with pytest.raises(ValidationError, match="补贴"):
        course(subsidy_amount=2500)
    with pytest.raises(ValidationError, match="合作用人单位"):
        course(employment_service=EmploymentService.ORDER)
    with pytest.raises(ValidationError, match="培训等级"):
        course(level=None)
    assert course(level=None, certificate="special_ability").level is None
    with pytest.raises(ValidationError):
        course(eligible_groups=("martians",))


def test_session_rules():
    base = dict(
        session_id="S1",
        course_id="C1",
        start_date=date(2026, 3, 1),
        end_date=date(2026, 4, 1),
        enrol_open=date(2026, 2, 1),
        enrol_close=date(2026, 2, 25),
        capacity=30,
        seats_taken=12,
        region_code="350200",
    )
    s = Session(**base)
    assert s.seats_left == 18
    assert s.is_open_on(date(2026, 2, 10))
    assert not s.is_open_on(date(2026, 2, 26))
    assert not Session(**(base | {"seats_taken": 30})).is_open_on(date(2026, 2, 10))
    for bad in (
        {"end_date": date(2026, 2, 1)},
        {"enrol_close": date(2026, 3, 2)},
        {"seats_taken": 31},
        {"longitude": 118.1},
    ):
        with pytest.raises(ValidationError):
            Session(**(base | bad))
