"""Evaluation harness: run a file of cases (``../shared/eval`` format) through the engine.

Measures, per configuration:
- occupation hit@5: one of the five inferred occupations is acceptable;
- course hit@5 and MRR@10: a recommended course trains an acceptable occupation;
- violations: recommended courses breaking a hard constraint (reach/online, age, group,
  enrolment window, seats), checked here independently of the engine;
- latency p50/p95 per match.
Configurations: lexical-only, dense-only and hybrid retrieval without rules (plain retrieval
baselines: they recommend what they find, constraints or not), the same channels with the hard
constraints and rules applied, and hybrid + rules (the service). Runs in-process, or against
a server URL (hybrid + rules only).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from catalog.reference.regions import RegionIndex, load_regions
from service.matching.engine import Matcher, MatchOptions
from service.matching.profile import ProfileError, build_profile
from service.matching.reach import reach_of

logger = logging.getLogger(__name__)

CONFIGS: dict[str, dict[str, Any]] = {
    "lexical": {"mode": "lexical", "rules": False},
    "dense": {"mode": "dense", "rules": False},
    "hybrid": {"mode": "hybrid", "rules": False},
    "lexical+rules": {"mode": "lexical", "rules": True},
    "dense+rules": {"mode": "dense", "rules": True},
    "hybrid+rules": {"mode": "hybrid", "rules": True},
}


@dataclass
class CaseOutcome:
    """One case through one configuration."""

    case_id: str
    occupation_hit: bool
    course_hit: bool
    reciprocal_rank: float
    violations: list[str]
    latency_ms: float
    results: int
    error: str | None = None


@dataclass
class Summary:
    """Aggregated figures of one configuration."""

    config: str
    cases: int
    occupation_hit5: float
    course_hit5: float
    mrr10: float
    violations: int
    p50_ms: float
    p95_ms: float
    errors: int
    outcomes: list[CaseOutcome] = field(default_factory=list, repr=False)

    def row(self) -> dict[str, Any]:
        """The figures as a dict (no per-case outcomes)."""
        return {k: v for k, v in self.__dict__.items() if k != "outcomes"}


def load_cases(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file of cases (blank lines ignored)."""
    cases = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not valid JSON: {exc}") from exc
    return cases


def request_of(case: dict[str, Any], limit: int = 10) -> dict[str, Any]:
    """The match request fields of a case."""
    keys = (
        "group",
        "age",
        "education",
        "region_code",
        "address",
        "relocate",
        "online_only",
        "text",
        "current_level",
    )
    out = {k: case[k] for k in keys if k in case and case[k] is not None}
    out["limit"] = limit
    return out


class ViolationChecker:
    """Checks recommended courses against hard constraints, from the catalog itself."""

    def __init__(self, snapshot: Any, regions: RegionIndex | None = None) -> None:
        """Index the snapshot's courses and sessions by id."""
        self.regions = regions or load_regions()
        self.courses = {c["course_id"]: c for c in snapshot["courses"].to_pylist()}
        self.sessions = {s["session_id"]: s for s in snapshot["sessions"].to_pylist()}

    def check(self, case: dict[str, Any], result: dict[str, Any], today: date) -> list[str]:
        """The hard constraints one recommended course breaks (empty: none)."""
        problems = []
        course = self.courses.get(result["course_id"])
        if course is None:
            return [f"unknown course {result['course_id']}"]
        online = course["mode"] == "online"
        if case.get("online_only") and not online:
            problems.append("online_only")
        region = self.regions.get(case["region_code"])
        if region is not None and not online:
            reach = reach_of(region, bool(case.get("relocate")), self.regions)
            if reach.tier_of(course["region_code"]) is None:
                problems.append("region")
        age = int(case["age"])
        if not course["age_min"] <= age <= course["age_max"]:
            problems.append("age")
        groups = course["eligible_groups"] or []
        if groups and case["group"] not in groups:
            problems.append("group")
        nxt = result.get("next_session") or {}
        session = self.sessions.get(nxt.get("session_id", ""))
        if session is None:
            problems.append("no_session")
        else:
            if session["course_id"] != course["course_id"]:
                problems.append("session_of_other_course")
            if not session["enrol_open"] <= today <= session["enrol_close"]:
                problems.append("enrolment_window")
            if session["capacity"] - session["seats_taken"] <= 0:
                problems.append("seats")
        return problems


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def summarise(config: str, outcomes: list[CaseOutcome]) -> Summary:
    """Aggregate per-case outcomes."""
    n = len(outcomes) or 1
    ok = [o for o in outcomes if o.error is None]
    return Summary(
        config=config,
        cases=len(outcomes),
        occupation_hit5=round(sum(o.occupation_hit for o in outcomes) / n, 3),
        course_hit5=round(sum(o.course_hit for o in outcomes) / n, 3),
        mrr10=round(sum(o.reciprocal_rank for o in outcomes) / n, 3),
        violations=sum(len(o.violations) for o in outcomes),
        p50_ms=_percentile([o.latency_ms for o in ok], 0.5),
        p95_ms=_percentile([o.latency_ms for o in ok], 0.95),
        errors=len(outcomes) - len(ok),
        outcomes=outcomes,
    )


def score_case(
    case: dict[str, Any],
    response: dict[str, Any],
    latency_ms: float,
    checker: ViolationChecker | None,
    today: date,
) -> CaseOutcome:
    """Measure one response against a case's acceptable occupations."""
    acceptable = set(case["acceptable"])
    occupations = [o["code"] for o in response.get("occupations", [])[:5]]
    results = response.get("results", [])
    codes = [r["occupation"]["code"] for r in results[:10]]
    rr = next((1.0 / (i + 1) for i, c in enumerate(codes) if c in acceptable), 0.0)
    violations: list[str] = []
    if checker is not None:
        for r in results:
            violations += [f"{r['course_id']}:{p}" for p in checker.check(case, r, today)]
    return CaseOutcome(
        case_id=str(case.get("id")),
        occupation_hit=bool(acceptable & set(occupations)),
        course_hit=bool(acceptable & set(codes[:5])),
        reciprocal_rank=rr,
        violations=violations,
        latency_ms=latency_ms,
        results=len(results),
    )


def run_in_process(
    matcher: Matcher,
    cases: list[dict[str, Any]],
    *,
    today: date,
    configs: Sequence[str] = tuple(CONFIGS),
    checker: ViolationChecker | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> list[Summary]:
    """Evaluate configurations with the engine in this process."""
    summaries = []
    for name in configs:
        outcomes = []
        if cases:  # warm-up: lazy loads (segmenter dictionary, model) are not latency
            try:
                warm = build_profile(regions=matcher.regions, **request_of(cases[0]))
                matcher.match(warm, MatchOptions(today=today, **CONFIGS[name]))
            except ProfileError:
                pass
        for i, case in enumerate(cases):
            opts = MatchOptions(today=today, **CONFIGS[name])
            try:
                profile = build_profile(regions=matcher.regions, **request_of(case))
            except ProfileError as exc:
                outcomes.append(
                    CaseOutcome(
                        str(case.get("id")), False, False, 0.0, [], 0.0, 0, error=exc.message
                    )
                )
                continue
            t0 = time.perf_counter()
            result = matcher.match(profile, opts)
            latency = (time.perf_counter() - t0) * 1000
            response = {"occupations": result.occupations, "results": result.results}
            outcomes.append(score_case(case, response, latency, checker, today))
            if progress:
                progress(name, i)
        summaries.append(summarise(name, outcomes))
    return summaries


def run_against_url(
    url: str,
    cases: list[dict[str, Any]],
    *,
    today: date,
    checker: ViolationChecker | None = None,
    timeout: float = 10.0,
) -> Summary:
    """Evaluate a running server (its own configuration: hybrid + rules)."""
    outcomes = []
    endpoint = url.rstrip("/") + "/api/v1/match"
    for case in cases:
        body = json.dumps(request_of(case)).encode()
        req = urllib.request.Request(
            endpoint, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                response = json.loads(resp.read())
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            outcomes.append(
                CaseOutcome(str(case.get("id")), False, False, 0.0, [], 0.0, 0, error=str(exc))
            )
            continue
        latency = (time.perf_counter() - t0) * 1000
        outcomes.append(score_case(case, response, latency, checker, today))
    return summarise(f"server {url}", outcomes)


def reachable_cases(matcher: Matcher, cases: list[dict[str, Any]], *, today: date) -> int:
    """Cases with at least one course of an acceptable occupation the person could join today.

    The ceiling of course hit@5 on this catalog: no ranking can hit a case the catalog has
    nothing for (in reach, eligible, open). Cases whose profile is refused count as not
    reachable.
    """
    count = 0
    for case in cases:
        try:
            profile = build_profile(regions=matcher.regions, **request_of(case))
        except ProfileError:
            continue
        count += matcher.joinable(profile, case["acceptable"], today) > 0
    return count


def format_table(summaries: Sequence[Summary]) -> str:
    """The figures side by side, as text."""
    head = (
        f"{'configuration':<22}{'cases':>6}{'occ@5':>8}{'course@5':>10}{'MRR@10':>8}"
        f"{'viol.':>7}{'p50 ms':>8}{'p95 ms':>8}{'errors':>8}"
    )
    lines = [head, "-" * len(head)]
    for s in summaries:
        lines.append(
            f"{s.config:<22}{s.cases:>6}{s.occupation_hit5:>8.3f}{s.course_hit5:>10.3f}"
            f"{s.mrr10:>8.3f}{s.violations:>7}{s.p50_ms:>8}{s.p95_ms:>8}{s.errors:>8}"
        )
    return "\n".join(lines)
