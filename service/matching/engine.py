"""The matching engine: one profile in, the few courses that fit, each with reasons.

Request path: profile → occupations inferred from the text → candidates from the index bundle
(hybrid dense + lexical, hard constraints applied inside the search as a row mask: reach,
online, enrolment open, group, age) → the eligibility engine per candidate (rules that passed
and failed, subsidy, out-of-pocket) → score (relevance, regional demand, money, level fit,
outcomes, grade, distance, start date, employment service, the group's policy) → diversify →
explain. Candidates that fail a hard rule are kept as near-misses with the rule that failed.

No HTTP here: the API router calls :meth:`Matcher.match`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from catalog.models import (
    CERTIFICATE_LABELS,
    EMPLOYMENT_SERVICE_LABELS,
    GRADE_LABELS,
    INSTITUTION_TYPE_LABELS,
    TIER_LABELS,
    CertificateType,
    Education,
    EmploymentService,
    Group,
    Mode,
    UrgencyTier,
)
from catalog.reference.ladder import SkillLevel, next_level, rung
from catalog.reference.occupations import load_occupations
from catalog.reference.preferences import GroupPreference, preferences_for
from catalog.reference.regions import RegionIndex, haversine_km, load_regions
from catalog.rules import DemandLookup, Eligibility, Person, RuleSet, evaluate
from indexing.bundle import Bundle
from indexing.courses import CourseFilter
from indexing.encoder import Encoder
from indexing.occupations import OccupationHit
from service.matching.catalog_view import CatalogView
from service.matching.profile import Profile
from service.matching.reach import Reach, reach_of

logger = logging.getLogger(__name__)

CANDIDATES_TEXT = 150
CANDIDATES_OCCUPATION = 120
OCCUPATIONS_INFERRED = 8
SHORTLIST = 40
# When one of the ``RELATED_FROM`` best inferred occupations has fewer than
# ``RELATED_WHEN_FEWER`` courses open to the person, the occupations of its minor group (same
# first three code parts, e.g. 4-02-06 仓储人员) count as related: a caseworker offers
# 供应链管理师 to someone who asked for 仓储管理员 when no 仓储管理员 class is open nearby.
# Their occupation score is ``RELATED_SHARE`` of the inferred one's, so direct matches still
# come first.
RELATED_FROM = 2
RELATED_WHEN_FEWER = 3
RELATED_SHARE = 0.6
TIER_VALUE = {
    UrgencyTier.VERY_SHORT.value: 1.0,
    UrgencyTier.SHORT.value: 0.7,
    UrgencyTier.GENERAL.value: 0.4,
}
GRADE_VALUE = {"A": 1.0, "B": 0.7, "C": 0.4, "ungraded": 0.3}
# Relevance mixes the course's own retrieval score with the score of its occupation among
# those inferred for the person (``REL_MIX`` is the occupation's share).
REL_MIX = 0.5
WEIGHTS = {
    "relevance": 0.45,
    "demand": 0.08,
    "money": 0.08,
    "level": 0.07,
    "outcome": 0.07,
    "grade": 0.03,
    "proximity": 0.10,
    "start": 0.04,
    "service": 0.04,
}


@dataclass(frozen=True)
class MatchOptions:
    """How to match.

    Attributes:
        today: The day enrolment windows are checked against.
        mode: Retrieval channels: "hybrid", "dense" or "lexical".
        rules: Apply hard constraints and rules (False: plain retrieval, a baseline).
        explain: Also return near-misses with the rule that excluded each.
    """

    today: date
    mode: str = "hybrid"
    rules: bool = True
    explain: bool = False


@dataclass
class Candidate:
    """A course under consideration."""

    row: int
    text_score: float = 0.0
    course: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] | None = None
    eligibility: Eligibility | None = None
    tier: int = 0
    distance_km: float | None = None
    features: dict[str, float] = field(default_factory=dict)
    bonus: float = 0.0
    bonus_reason: str = ""
    score: float = 0.0
    demand_tier: str | None = None
    demand_region: str | None = None
    employment_rate: float | None = None
    cohort: int = 0


@dataclass
class MatchResult:
    """What :meth:`Matcher.match` returns (API-shaped dicts)."""

    occupations: list[dict[str, Any]]
    results: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    catalog_version: str
    index_version: str
    region: dict[str, str]
    timings_ms: dict[str, float]


class Matcher:
    """Matches profiles against one catalog snapshot and its index bundle."""

    def __init__(
        self,
        *,
        bundle: Bundle,
        view: CatalogView,
        encoder: Encoder,
        rules: RuleSet,
        demand: DemandLookup,
        regions: RegionIndex | None = None,
    ) -> None:
        """Assemble the engine from loaded parts."""
        self.bundle = bundle
        self.view = view
        self.encoder = encoder
        self.rules = rules
        self.demand = demand
        self.regions = regions or load_regions()
        self.occupations = load_occupations()
        self._leaf_codes = [o.code for o in self.occupations.leaves()]
        # Region → (occupation, tier) of its demand directory, for profiles without text.
        self._directory: dict[str, list[tuple[str, str]]] = {}
        demand_table = view.snapshot["demand"]
        for region, occupation, tier in zip(
            demand_table.column("region_code").to_pylist(),
            demand_table.column("occupation_code").to_pylist(),
            demand_table.column("tier").to_pylist(),
            strict=True,
        ):
            self._directory.setdefault(region, []).append((occupation, tier))

    # -- public ----------------------------------------------------------------------------
    def match(self, profile: Profile, options: MatchOptions) -> MatchResult:
        """Recommend courses for a profile."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        reach = reach_of(profile.region, profile.relocate, self.regions)
        query = self.encoder.encode_one(profile.text) if profile.text else None
        inferred = self._infer(profile, query, options)
        timings["occupations"] = _ms(t0)

        t1 = time.perf_counter()
        mask = self._mask(profile, reach, options)
        related = self._related(inferred, mask)
        candidates = self._retrieve(profile, reach, mask, query, inferred, related, options)
        occ_score = {code: score for code, (score, _) in related.items()}
        occ_score.update({h.code: h.score for h in inferred})
        candidates = self._shortlist(candidates, occ_score)
        timings["retrieve"] = _ms(t1)

        t2 = time.perf_counter()
        self._load(candidates, reach, options.today)
        eligible, near = self._check(profile, candidates, options)
        timings["rules"] = _ms(t2)

        t3 = time.perf_counter()
        prefs = preferences_for(profile.group, profile.age)
        for cand in eligible:
            self._score(profile, cand, occ_score, options.today, prefs)
        eligible.sort(key=lambda c: -c.score)
        chosen = self._diversify(eligible, inferred, profile)
        results = [self._result(profile, c, inferred, related) for c in chosen]
        excluded = [self._excluded(c) for c in near[:10]] if options.explain else []
        timings["score"] = _ms(t3)
        timings["total"] = _ms(t0)
        return MatchResult(
            occupations=[{"code": h.code, "name": h.name, "score": h.score} for h in inferred],
            results=results,
            excluded=excluded,
            catalog_version=self.view.snapshot.version,
            index_version=self.bundle.version,
            region={
                "code": profile.region.code,
                "name": self.regions.full_name(profile.region.code),
            },
            timings_ms=timings,
        )

    def joinable(self, profile: Profile, occupations: Collection[str], today: date) -> int:
        """How many courses of ``occupations`` the person could join today.

        The same hard constraints as :meth:`match` (reach, online-only, age, group,
        prerequisites and the other hard rules, an open session with seats). Zero means no
        recommendation can train one of these occupations: the evaluation uses it to tell what
        the catalog offers from what the ranking finds.
        """
        reach = reach_of(profile.region, profile.relocate, self.regions)
        options = MatchOptions(today=today)
        mask = self._mask(profile, reach, options)
        index = self.bundle.courses
        rows = [int(r) for code in occupations for r in index.rows_of(code) if mask[r]]
        candidates = [Candidate(row=r) for r in rows]
        self._load(candidates, reach, today)
        eligible, _ = self._check(profile, candidates, options)
        return len(eligible)

    # -- steps -----------------------------------------------------------------------------
    def _load(self, candidates: list[Candidate], reach: Reach, today: date) -> None:
        """Fill in each candidate's course record, next open session and reach tier."""
        rows = [c.row for c in candidates]
        for cand, course, sessions in zip(
            candidates, self.view.course_rows(rows), self.view.sessions_of(rows), strict=True
        ):
            cand.course = course
            cand.session = _next_session(sessions, today)
            tier = reach.tier_of(course["region_code"]) if course["mode"] != "online" else 0
            cand.tier = 9 if tier is None else tier

    def _infer(
        self, profile: Profile, query: np.ndarray | None, options: MatchOptions
    ) -> list[OccupationHit]:
        if not profile.text:
            return []
        return self.bundle.occupations.rank(
            profile.text, k=OCCUPATIONS_INFERRED, mode=options.mode, query_vector=query
        )

    def _related(
        self, inferred: list[OccupationHit], mask: np.ndarray
    ) -> dict[str, tuple[float, str]]:
        """Stand-ins for the best inferred occupations with (almost) no course open.

        ``mask`` is the rows open to the person. Returns code → (score, the inferred code it
        stands in for).
        """
        inferred_codes = {h.code for h in inferred}
        related: dict[str, tuple[float, str]] = {}
        for hit in inferred[:RELATED_FROM]:
            if self.bundle.courses.count_of(hit.code, mask) >= RELATED_WHEN_FEWER:
                continue
            for sibling in self.occupations.siblings(hit.code):
                if sibling.code not in inferred_codes and sibling.code not in related:
                    related[sibling.code] = (RELATED_SHARE * hit.score, hit.code)
        return related

    def _mask(self, profile: Profile, reach: Reach, options: MatchOptions) -> np.ndarray:
        regions = reach.cities + reach.provinces
        if options.rules:
            flt = CourseFilter(
                regions=regions,
                include_online=True,
                online_only=profile.online_only,
                open_on=options.today,
                group=profile.group,
                age=profile.age,
            )
        else:
            flt = CourseFilter(
                regions=regions, include_online=True, online_only=profile.online_only
            )
        return self.bundle.courses.mask(flt)

    def _retrieve(
        self,
        profile: Profile,
        reach: Reach,
        mask: np.ndarray,
        query: np.ndarray | None,
        inferred: list[OccupationHit],
        related: dict[str, tuple[float, str]],
        options: MatchOptions,
    ) -> list[Candidate]:
        index = self.bundle.courses
        scored: dict[int, float] = {}
        if profile.text:
            for row, s in index.search(
                text=profile.text,
                query_vector=query,
                k=CANDIDATES_TEXT,
                mask=mask,
                mode=options.mode,
            ):
                scored[row] = max(scored.get(row, 0.0), s)
        codes = tuple(h.code for h in inferred[:5]) or self._default_occupations(profile)
        if codes and profile.text:
            # Each inferred occupation gets its own quota, so that one occupation with many
            # courses nearby cannot crowd the others out of the candidates.
            quota = max(CANDIDATES_OCCUPATION // len(codes), 10)
            groups: list[tuple[str, ...]] = [(code,) for code in codes]
            if related:
                groups.append(tuple(related))
            for group in groups:
                occ_mask = mask & index.mask(CourseFilter(occupations=group))
                for row, s in index.search(
                    text=profile.text,
                    query_vector=query,
                    k=quota,
                    mask=occ_mask,
                    mode=options.mode,
                ):
                    scored.setdefault(row, s)
        elif codes:
            occ_mask = mask & index.mask(CourseFilter(occupations=codes))
            for r in np.flatnonzero(occ_mask)[:CANDIDATES_OCCUPATION]:
                scored.setdefault(int(r), 1.0)
        if not profile.text and len(scored) < CANDIDATES_OCCUPATION:
            # Nothing said and little demanded nearby: whatever is open to the person.
            for r in np.flatnonzero(mask)[: CANDIDATES_OCCUPATION - len(scored)]:
                scored.setdefault(int(r), 0.5)
        if options.explain and options.rules:
            # Near-misses: the same search without the person-specific constraints.
            loose = self._mask(profile, reach, MatchOptions(today=options.today, rules=False))
            if profile.text:
                for row, s in index.search(
                    text=profile.text,
                    query_vector=query,
                    k=60,
                    mask=loose & ~mask,
                    mode=options.mode,
                ):
                    scored.setdefault(row, s)
        top = max(scored.values(), default=0.0) or 1.0
        return [Candidate(row=r, text_score=s / top) for r, s in scored.items()]

    def _default_occupations(self, profile: Profile) -> tuple[str, ...]:
        """With no text: the group's preferred occupations that the home region needs most."""
        prefs = preferences_for(profile.group, profile.age)
        preferred = set().union(*(p.prefer for p in prefs)) if prefs else set()
        entries: list[tuple[str, str]] = []
        for code in (profile.region.code[:4] + "00", profile.region.province_code):
            entries += self._directory.get(code, [])
        ranked = sorted(entries, key=lambda e: (-(e[0] in preferred), -TIER_VALUE.get(e[1], 0.0)))
        return tuple(dict.fromkeys(code for code, _ in ranked))[:30]

    def _check(
        self, profile: Profile, candidates: list[Candidate], options: MatchOptions
    ) -> tuple[list[Candidate], list[Candidate]]:
        person = Person(
            age=profile.age,
            group=Group(profile.group),
            education=Education(profile.education) if profile.education else None,
            home_region=profile.region.code,
            current_level=profile.current_level,
            relocate=profile.relocate,
            online_only=profile.online_only,
        )
        eligible: list[Candidate] = []
        near: list[Candidate] = []
        for cand in candidates:
            if cand.tier > 3 and cand.course["mode"] != Mode.ONLINE.value:
                continue  # out of reach: not a candidate at all
            if options.rules and profile.online_only and cand.course["mode"] != Mode.ONLINE.value:
                continue
            cand.eligibility = evaluate(
                person,
                _Row(cand.course),
                _Row(cand.session) if cand.session else None,
                today=options.today,
                demand=self.demand,
                rules=self.rules,
            )
            if not options.rules or (cand.eligibility.eligible and cand.session is not None):
                eligible.append(cand)
            else:
                near.append(cand)
        near.sort(key=lambda c: -c.text_score)
        return eligible, near

    def _shortlist(
        self, candidates: list[Candidate], occ_score: dict[str, float]
    ) -> list[Candidate]:
        """The ``SHORTLIST`` most relevant candidates: only they are checked and scored.

        Relevance here needs no course record: the occupation comes from the index metadata.
        """
        if len(candidates) <= SHORTLIST:
            return candidates
        occupation = self.bundle.courses.meta["occupation"]
        leaves = self._leaf_codes

        def relevance(c: Candidate) -> float:
            idx = int(occupation[c.row])
            code = leaves[idx] if idx >= 0 else ""
            return (1 - REL_MIX) * c.text_score + REL_MIX * occ_score.get(code, 0.0)

        ranked = sorted(candidates, key=relevance, reverse=True)
        # At most a quarter of the shortlist per occupation at first, so that the rules and the
        # final diversity step have several occupations to choose from; then fill up.
        cap = SHORTLIST // 4
        per_occ: dict[int, int] = {}
        chosen: list[Candidate] = []
        held: list[Candidate] = []
        for c in ranked:
            idx = int(occupation[c.row])
            if per_occ.get(idx, 0) < cap:
                per_occ[idx] = per_occ.get(idx, 0) + 1
                chosen.append(c)
                if len(chosen) == SHORTLIST:
                    return chosen
            else:
                held.append(c)
        return chosen + held[: SHORTLIST - len(chosen)]

    def _score(
        self,
        profile: Profile,
        cand: Candidate,
        occ_score: dict[str, float],
        today: date,
        prefs: tuple[GroupPreference, ...] | None = None,
    ) -> None:
        course = cand.course
        code = course["occupation_code"]
        el = cand.eligibility
        f = cand.features
        f["relevance"] = (1 - REL_MIX) * cand.text_score + REL_MIX * occ_score.get(code, 0.0)
        entry = self.demand.find(course["region_code"], code, today)
        if entry is not None:
            cand.demand_tier = str(entry.tier)
            cand.demand_region = entry.region_code
        f["demand"] = TIER_VALUE.get(cand.demand_tier or "", 0.0)
        fee = max(int(course["fee"]), 1)
        subsidy = el.subsidy if el else int(course["subsidy_amount"])
        oop = el.out_of_pocket if el else max(fee - subsidy, 0)
        f["money"] = 0.5 * min(subsidy / fee, 1.0) + 0.5 * (1.0 - min(oop / 3000.0, 1.0))
        f["level"] = self._level_fit(profile, course)
        rate, cohort = self.view.employment_rate(course["institution_id"])
        cand.employment_rate, cand.cohort = rate, cohort
        f["outcome"] = rate
        inst = self.view.institutions.get(course["institution_id"])
        f["grade"] = GRADE_VALUE.get(inst.grade if inst else "ungraded", 0.3)
        online = course["mode"] == Mode.ONLINE.value
        if online:
            f["proximity"] = 1.0 if profile.online_only else 0.35
        else:
            if cand.session and cand.session.get("longitude") is not None:
                home = self.regions.get(profile.region.code)
                if home and home.longitude is not None and home.latitude is not None:
                    cand.distance_km = haversine_km(
                        home.longitude,
                        home.latitude,
                        cand.session["longitude"],
                        cand.session["latitude"],
                    )
            by_tier = {0: 1.0, 1: 0.75, 2: 0.45, 3: 0.3}.get(cand.tier, 0.1)
            if cand.distance_km is not None and cand.tier == 0:
                by_tier = max(0.8, 1.0 - cand.distance_km / 300.0)
            f["proximity"] = by_tier
        f["start"] = self._start_value(cand, today)
        service = course["employment_service"] != EmploymentService.NONE.value
        f["service"] = (1.0 if service else 0.0) * (2.0 if profile.group == "unemployed" else 1.0)
        bonus = 0.0
        if prefs is None:
            prefs = preferences_for(profile.group, profile.age)
        for pref in prefs:
            if code in pref.prefer:
                bonus += pref.boost
                cand.bonus_reason = cand.bonus_reason or pref.reason
            if code in pref.avoid:
                bonus -= pref.penalty
        if profile.online_only and not online:
            bonus -= 1.0
        cand.bonus = bonus
        cand.score = sum(WEIGHTS[k] * v for k, v in f.items()) + bonus

    @staticmethod
    def _start_value(cand: Candidate, today: date) -> float:
        """Sooner starts score higher: 1 for a class starting now, 0 at 90 days or more."""
        session = cand.session
        if not session:
            return 0.0
        days = int((session["start_date"] - today).days)
        return 1.0 - min(max(days, 0) / 90.0, 1.0)

    @staticmethod
    def _level_fit(profile: Profile, course: dict[str, Any]) -> float:
        level = course.get("level")
        if not level:
            return 0.6  # special-ability and training-certificate courses fit anyone
        target = next_level(profile.current_level)
        gap = rung(SkillLevel(level)).rank - rung(target).rank
        return {0: 1.0, 1: 0.5, -1: 0.4}.get(gap, 0.1)

    def _diversify(
        self, ranked: list[Candidate], inferred: list[OccupationHit], profile: Profile
    ) -> list[Candidate]:
        single = (
            len(inferred) >= 2
            and len(profile.text) <= 12
            and inferred[1].score < 0.6 * inferred[0].score
        )
        per_occ: dict[str, int] = {}
        per_inst: dict[str, int] = {}
        chosen: list[Candidate] = []
        for cand in ranked:
            occ = cand.course["occupation_code"]
            inst = cand.course["institution_id"]
            if per_inst.get(inst, 0) >= 2:
                continue
            if len(chosen) < 5 and not single and per_occ.get(occ, 0) >= 2:
                continue
            chosen.append(cand)
            per_occ[occ] = per_occ.get(occ, 0) + 1
            per_inst[inst] = per_inst.get(inst, 0) + 1
            if len(chosen) >= profile.limit:
                break
        if len(chosen) < profile.limit:  # fill from what diversity held back
            taken = {c.row for c in chosen}
            for cand in ranked:
                if cand.row not in taken and per_inst.get(cand.course["institution_id"], 0) < 2:
                    chosen.append(cand)
                    per_inst[cand.course["institution_id"]] = (
                        per_inst.get(cand.course["institution_id"], 0) + 1
                    )
                    if len(chosen) >= profile.limit:
                        break
        return chosen

    # -- output ----------------------------------------------------------------------------
    def _result(
        self,
        profile: Profile,
        cand: Candidate,
        inferred: list[OccupationHit],
        related: dict[str, tuple[float, str]],
    ) -> dict[str, Any]:
        course = cand.course
        occ = self.occupations.get(course["occupation_code"])
        inst = self.view.institutions.get(course["institution_id"])
        region = self.regions.get(course["region_code"])
        el = cand.eligibility
        session = cand.session
        subsidy = el.subsidy if el else int(course["subsidy_amount"])
        oop = el.out_of_pocket if el else max(int(course["fee"]) - subsidy, 0)
        level = course.get("level")
        return {
            "course_id": course["course_id"],
            "title": course["title"],
            "occupation": {"code": course["occupation_code"], "name": occ.name if occ else ""},
            "level": level,
            "level_name": rung(SkillLevel(level)).name if level else None,
            "certificate": CERTIFICATE_LABELS[CertificateType(course["certificate"])],
            "institution": {
                "id": course["institution_id"],
                "name": inst.name if inst else "",
                "type": inst.type if inst else None,
                "type_name": INSTITUTION_TYPE_LABELS.get(inst.type, "") if inst else "",  # type: ignore[call-overload]
                "grade": inst.grade if inst else None,
                "grade_name": GRADE_LABELS.get(inst.grade, "") if inst else "",  # type: ignore[call-overload]
            },
            "region": {
                "code": course["region_code"],
                "name": self.regions.full_name(course["region_code"]) if region else "",
            },
            "mode": course["mode"],
            "next_session": None
            if session is None
            else {
                "session_id": session["session_id"],
                "start_date": session["start_date"].isoformat(),
                "end_date": session["end_date"].isoformat(),
                "enrol_by": session["enrol_close"].isoformat(),
                "seats_left": int(session["capacity"]) - int(session["seats_taken"]),
                "address": session["address"],
            },
            "hours": {"total": course["hours_total"], "practical": course["hours_practical"]},
            "subsidy": {
                "amount": subsidy,
                "basis": el.subsidy_basis if el else course["subsidy_basis"],
            },
            "fee": int(course["fee"]),
            "out_of_pocket": oop,
            "employment_service": course["employment_service"],
            "partner_employers": course["partner_employers"],
            "distance_km": None if cand.distance_km is None else round(cand.distance_km, 1),
            "employment_rate": None
            if cand.employment_rate is None
            else {"rate": round(cand.employment_rate, 3), "cohort": cand.cohort},
            "score": round(cand.score, 4),
            "reasons": self._reasons(profile, cand, inferred, related),
        }

    def _reasons(
        self,
        profile: Profile,
        cand: Candidate,
        inferred: list[OccupationHit],
        related: dict[str, tuple[float, str]],
    ) -> list[str]:
        course = cand.course
        f = cand.features
        out: list[tuple[float, str]] = []
        occ = self.occupations.get(course["occupation_code"])
        occ_name = occ.name if occ else ""
        if f.get("relevance", 0) > 0.3 and profile.text:
            keyword = _shared_phrase(
                profile.text,
                course["title"] + " " + occ_name + " " + " ".join(occ.aliases if occ else ()),
            )
            if keyword:
                out.append((WEIGHTS["relevance"] * f["relevance"], f"与您说的“{keyword}”相符"))
            elif course["occupation_code"] in {h.code for h in inferred[:3]}:
                out.append((WEIGHTS["relevance"] * f["relevance"], f"与您的情况对口：{occ_name}"))
            elif course["occupation_code"] in related:
                near = self.occupations.get(related[course["occupation_code"]][1])
                if near is not None:
                    out.append(
                        (WEIGHTS["relevance"] * f["relevance"], f"与{near.name}同类的相近职业")
                    )
        el = cand.eligibility
        subsidy = el.subsidy if el else int(course["subsidy_amount"])
        oop = el.out_of_pocket if el else 0
        if subsidy > 0:
            text = (
                f"可补贴 {subsidy:,} 元，个人无需付费"
                if oop == 0
                else f"可补贴 {subsidy:,} 元，个人仅需 {oop:,} 元"
            )
            out.append((WEIGHTS["money"] * f.get("money", 0) + 0.02, text))
        if cand.demand_tier in (UrgencyTier.VERY_SHORT.value, UrgencyTier.SHORT.value):
            where = (
                "本市" if cand.demand_region and not cand.demand_region.endswith("0000") else "本省"
            )
            if cand.tier >= 2:
                where = "当地"
            label = TIER_LABELS[UrgencyTier(cand.demand_tier)]
            out.append((WEIGHTS["demand"] * f.get("demand", 0) + 0.01, f"{where}{label}职业"))
        service = course["employment_service"]
        if service != EmploymentService.NONE.value:
            label = EMPLOYMENT_SERVICE_LABELS[EmploymentService(service)]
            out.append((WEIGHTS["service"] * f.get("service", 0) + 0.02, f"{label}，结业推荐就业"))
        if cand.employment_rate is not None and cand.cohort >= 30 and cand.employment_rate >= 0.7:
            out.append(
                (
                    WEIGHTS["outcome"] * cand.employment_rate,
                    f"该机构学员半年就业率 {cand.employment_rate:.0%}",
                )
            )
        if course["mode"] == Mode.ONLINE.value:
            out.append((0.03, "线上课程，在家即可学习"))
        elif cand.distance_km is not None and cand.distance_km <= 20:
            out.append(
                (
                    WEIGHTS["proximity"] * f.get("proximity", 0) * 0.5,
                    f"离您较近，约 {max(cand.distance_km, 1):.0f} 公里",
                )
            )
        if cand.bonus > 0 and cand.bonus_reason:
            out.append((cand.bonus, cand.bonus_reason))
        if cand.session:
            start = cand.session["start_date"]
            left = int(cand.session["capacity"]) - int(cand.session["seats_taken"])
            out.append((0.005, f"{start.month}月{start.day}日开班，还剩 {left} 个名额"))
        out.sort(key=lambda x: -x[0])
        reasons = [r for _, r in out[:4]]
        return reasons if len(reasons) >= 2 else [*reasons, f"培训职业：{occ_name}"][:4]

    @staticmethod
    def _excluded(cand: Candidate) -> dict[str, Any]:
        el = cand.eligibility
        failed = list(el.failed) if el else []
        if cand.session is None:
            rule, reason = "no_open_session", "目前没有可报名的班期"
        elif failed:
            rule, reason = failed[0].rule, failed[0].reason
        else:
            rule, reason = "other", "不符合报名条件"
        return {
            "course_id": cand.course.get("course_id"),
            "title": cand.course.get("title"),
            "rule": rule,
            "reason": reason,
            "failed": [{"rule": c.rule, "reason": c.reason} for c in failed],
        }


class _Row:
    """Attribute access over a row dict (what the rules engine reads)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def _next_session(sessions: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The earliest session whose enrolment is open today and has seats left."""
    for s in sessions:
        if s["enrol_open"] <= today <= s["enrol_close"] and s["capacity"] > s["seats_taken"]:
            return s
    return None


def _shared_phrase(text: str, target: str) -> str:
    """The longest run of ≥ 2 characters of the person's text that appears in ``target``."""
    best = ""
    n = len(text)
    chars = set(target)
    for i in range(n - 1):
        if text[i] not in chars or text[i + 1] not in chars:
            continue  # no shared run of two characters starts here
        for j in range(min(n, i + 8), i + 1, -1):
            if j - i <= len(best):
                break
            piece = text[i:j]
            if piece.strip() == piece and piece in target:
                best = piece
                break
    return best


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)
