"""The matching engine on the session's demo catalog."""

from collections import Counter
from datetime import date

import numpy as np
import pytest

from catalog.models import Group
from catalog.store import CatalogStore
from indexing.bundle import BundleStore
from indexing.encoder import Encoder
from service.evaluation import ViolationChecker
from service.matching.engine import MatchOptions
from service.matching.profile import ProfileError, build_profile
from service.state import build_matcher
from tests.conftest import TODAY

TEXTS = [
    "在工地干了五年电焊，想考个证",
    "下岗了，伺候过瘫痪的婆婆，想干养老护理",
    "想学直播带货",
    "开过叉车，没证",
    "",
    "啥都行，能挣钱就行",
    "學做蛋糕烘焙",
    "想学python数据分析",
]


@pytest.fixture(scope="module")
def matcher(demo_env):
    encoder = Encoder()
    bundle = BundleStore(demo_env.data_dir / "index").load(encoder)
    snapshot = CatalogStore(demo_env.data_dir / "catalog").load(bundle.manifest["catalog_version"])
    return build_matcher(snapshot, bundle, encoder)


@pytest.fixture(scope="module")
def checker(matcher):
    return ViolationChecker(matcher.view.snapshot)


def profile(matcher, **kw):
    base = dict(group="unemployed", age=40, region_code="440300", text="")
    return build_profile(regions=matcher.regions, **(base | kw))


def case_of(p):
    return {
        "group": p.group,
        "age": p.age,
        "region_code": p.region.code,
        "relocate": p.relocate,
        "online_only": p.online_only,
    }


def test_results_never_break_hard_constraints(matcher, checker):
    rng = np.random.default_rng(11)
    cities = ["440300", "350200", "320100", "410100", "520100", "500100", "650100", "230100"]
    for i in range(60):
        p = profile(
            matcher,
            group=list(Group)[i % 10].value,
            age=int(rng.integers(16, 75)),
            region_code=cities[i % len(cities)],
            relocate=bool(i % 3 == 0),
            online_only=bool(i % 7 == 0),
            text=TEXTS[i % len(TEXTS)],
        )
        result = matcher.match(p, MatchOptions(today=TODAY))
        for r in result.results:
            assert checker.check(case_of(p), r, TODAY) == [], (p, r["course_id"])


def test_result_shape_and_reasons(matcher):
    result = matcher.match(
        profile(matcher, text="在工地干了五年电焊，想考个证", relocate=True),
        MatchOptions(today=TODAY),
    )
    assert result.occupations and result.occupations[0]["code"] == "6-18-02-04"
    assert len(result.occupations) >= 5
    assert result.results
    for r in result.results:
        for key in (
            "course_id",
            "title",
            "occupation",
            "level",
            "institution",
            "region",
            "mode",
            "next_session",
            "subsidy",
            "fee",
            "out_of_pocket",
            "score",
            "reasons",
        ):
            assert key in r
        assert set(r["next_session"]) >= {"start_date", "enrol_by", "seats_left"}
        assert r["next_session"]["seats_left"] > 0
        assert 2 <= len(r["reasons"]) <= 4
        assert all(isinstance(x, str) and x for x in r["reasons"])
        assert r["out_of_pocket"] == max(r["fee"] - r["subsidy"]["amount"], 0)
    scores = [r["score"] for r in result.results]
    assert scores == sorted(scores, reverse=True) or len(result.results) > 5


def test_diversity(matcher):
    for text in TEXTS[:4]:
        result = matcher.match(
            profile(matcher, text=text, relocate=True), MatchOptions(today=TODAY)
        )
        per_inst: dict[str, int] = {}
        for r in result.results:
            per_inst[r["institution"]["id"]] = per_inst.get(r["institution"]["id"], 0) + 1
        assert max(per_inst.values(), default=0) <= 2
        ids = [r["course_id"] for r in result.results]
        assert len(ids) == len(set(ids))  # one session per course


def test_online_only_gets_only_online(matcher):
    result = matcher.match(
        profile(matcher, text="想学直播带货", online_only=True), MatchOptions(today=TODAY)
    )
    assert result.results
    assert all(r["mode"] == "online" for r in result.results)


def test_age_and_group_limits(matcher):
    result = matcher.match(
        profile(matcher, age=70, text="想学点手艺", relocate=True), MatchOptions(today=TODAY)
    )
    courses = {c["course_id"]: c for c in matcher.view.snapshot["courses"].to_pylist()}
    for r in result.results:
        c = courses[r["course_id"]]
        assert c["age_min"] <= 70 <= c["age_max"]


def test_explain_returns_near_misses_with_rule(matcher):
    result = matcher.match(
        profile(matcher, age=63, text="电焊", relocate=True),
        MatchOptions(today=TODAY, explain=True),
    )
    assert result.excluded
    for e in result.excluded:
        assert e["rule"] and e["reason"]
    assert {r["course_id"] for r in result.results}.isdisjoint(
        e["course_id"] for e in result.excluded
    )


def test_online_sorts_after_equal_local(matcher):
    from service.matching.engine import Candidate

    p = profile(matcher, text="电商")
    local = Candidate(row=0, text_score=1.0, tier=0)
    online = Candidate(row=0, text_score=1.0, tier=0)
    row = matcher.view.course_rows([0])[0]
    local.course = dict(row, mode="offline")
    online.course = dict(row, mode="online")
    for c in (local, online):
        matcher._score(p, c, {}, TODAY)
    assert online.score < local.score
    p_online = profile(matcher, text="电商", online_only=True)
    matcher._score(p_online, online, {}, TODAY)
    assert online.features["proximity"] == 1.0


def test_empty_text_still_recommends(matcher):
    result = matcher.match(
        profile(matcher, group="older_worker", age=55, text=""), MatchOptions(today=TODAY)
    )
    assert result.occupations == []
    assert result.results


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"age": 80}, "age"),
        ({"age": 15}, "age"),
        ({"group": "alien"}, "group"),
        ({"region_code": "999999"}, "region_code"),
        ({"region_code": None, "address": "火星基地"}, "address"),
        ({"education": "幼儿园"}, "education"),
        ({"limit": 51}, "limit"),
        ({"current_level": "九级"}, "current_level"),
    ],
)
def test_bad_profiles_refused(matcher, kw, field):
    with pytest.raises(ProfileError) as err:
        profile(matcher, **kw)
    assert err.value.field == field
    assert err.value.message


def test_address_resolves_region(matcher):
    p = profile(matcher, region_code=None, address="广东省深圳市南山区科技园")
    assert p.region.code == "440305"
    assert matcher.match(p, MatchOptions(today=TODAY)).region["code"] == "440305"


def test_relocate_widens_reach(matcher):
    p_home = profile(matcher, text="电焊", region_code="520100")
    p_move = profile(matcher, text="电焊", region_code="520100", relocate=True)
    home = matcher.match(p_home, MatchOptions(today=TODAY, rules=False))
    away = matcher.match(p_move, MatchOptions(today=TODAY, rules=False))
    regions_home = {r["region"]["code"][:2] for r in home.results if r["mode"] != "online"}
    assert regions_home <= {"52"}
    assert len(away.results) >= len(home.results)


def test_today_matters(matcher):
    far = date(2030, 1, 1)
    result = matcher.match(profile(matcher, text="电焊", relocate=True), MatchOptions(today=far))
    assert result.results == []


def test_related_occupations_stand_in_only_for_the_best_inferred_without_courses(matcher):
    from indexing.occupations import OccupationHit
    from service.matching import engine

    hits = [
        OccupationHit("4-02-06-01", "仓储管理员", 1.0),
        OccupationHit("6-18-02-04", "焊工", 0.9),
        OccupationHit("4-10-01-06", "家政服务员", 0.8),
    ]
    nothing_open = np.zeros(matcher.bundle.courses.count(), dtype=bool)
    related = matcher._related(hits, nothing_open)
    assert related, "仓储管理员 and 焊工 have siblings in the classification"
    for code, (score, via) in related.items():
        assert code not in {h.code for h in hits}
        assert via in ("4-02-06-01", "6-18-02-04")  # only the best RELATED_FROM
        assert code.rsplit("-", 1)[0] == via.rsplit("-", 1)[0]
        expected = engine.RELATED_SHARE * (1.0 if via == "4-02-06-01" else 0.9)
        assert score == pytest.approx(expected)
    assert not any(c.startswith("4-10-01-") for c in related)
    # Where 焊工 has courses open, it needs no stand-in; 仓储管理员 still gets its own.
    welding = np.zeros_like(nothing_open)
    welding[
        matcher.bundle.courses.meta["occupation"] == matcher._leaf_codes.index("6-18-02-04")
    ] = True
    assert welding.sum() >= engine.RELATED_WHEN_FEWER
    related = matcher._related(hits, welding)
    assert related and all(via == "4-02-06-01" for _, via in related.values())


def test_a_related_occupation_stands_in_when_the_inferred_one_has_no_course(matcher, monkeypatch):
    from collections import Counter

    from indexing.occupations import OccupationHit
    from service.matching.reach import reach_of

    person = profile(matcher, text="想学", relocate=True)
    reach = reach_of(person.region, person.relocate, matcher.regions)
    open_rows = matcher._mask(person, reach, MatchOptions(today=TODAY))
    leaf_of = matcher.bundle.courses.meta["occupation"]
    anywhere = Counter(matcher.view.snapshot["courses"].column("occupation_code").to_pylist())
    reachable = Counter(matcher._leaf_codes[int(i)] for i in leaf_of[open_rows] if i >= 0)
    absent = present = None
    for code in matcher._leaf_codes:
        offered = {o.code for o in matcher.occupations.siblings(code) if reachable[o.code] >= 5}
        if anywhere[code] == 0 and offered:
            absent, present = code, offered
            break
    assert absent is not None, "the demo catalog leaves some occupation without courses"
    name = matcher.occupations.get(absent).name
    monkeypatch.setattr(
        matcher.bundle.occupations,
        "rank",
        lambda *a, **kw: [OccupationHit(absent, name, 1.0)],
    )
    result = matcher.match(
        profile(matcher, text=f"想学{name}", relocate=True), MatchOptions(today=TODAY)
    )
    stand_ins = [r for r in result.results if r["occupation"]["code"] in present]
    assert stand_ins, (absent, [r["occupation"]["code"] for r in result.results])
    assert result.results[0]["occupation"]["code"] in present
    assert any(f"与{name}同类的相近职业" in r["reasons"] for r in stand_ins)


def test_a_course_hit_is_always_a_reachable_case(matcher):
    """The evaluation's ceiling: a case the engine hits has a joinable acceptable course."""
    from service.evaluation import reachable_cases, run_in_process

    cases = []
    for i, text in enumerate(t for t in TEXTS if t):
        p = profile(matcher, text=text, relocate=bool(i % 2))
        top = matcher.match(p, MatchOptions(today=TODAY)).results
        # One case hit by construction (its first result's occupation), one that cannot be
        # reached (an occupation with no course at all in the demo catalog).
        acceptable = [top[0]["occupation"]["code"]] if top else ["9-99-99-99"]
        cases.append(case_of(p) | {"id": f"hit{i}", "text": text, "acceptable": acceptable})
    counts = Counter(matcher.view.snapshot["courses"].column("occupation_code").to_pylist())
    absent = next(c for c in matcher._leaf_codes if counts[c] == 0)
    cases.append(case_of(profile(matcher)) | {"id": "none", "text": "", "acceptable": [absent]})

    (summary,) = run_in_process(matcher, cases, today=TODAY, configs=["hybrid+rules"])
    reachable = reachable_cases(matcher, cases, today=TODAY)
    hits = sum(o.course_hit for o in summary.outcomes)
    assert hits == len(cases) - 1  # every case but the unreachable one
    assert reachable == len(cases) - 1
    p = profile(matcher, text=TEXTS[0])
    first = matcher.match(p, MatchOptions(today=TODAY)).results[0]
    assert matcher.joinable(p, [first["occupation"]["code"]], TODAY) >= 1
    assert matcher.joinable(p, [absent], TODAY) == 0
