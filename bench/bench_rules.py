"""Micro-benchmark of the eligibility engine: microseconds per ``evaluate`` call.

Builds a small demo catalog, loads the rules and the demand directory once (not timed), then
times ``evaluate`` over every (course, session) pair for a few profiles: the typical request
of the matching engine is ~200 such calls. Courses and sessions are the pydantic records.

Usage:
    PYTHONPATH=. .venv/bin/python bench/bench_rules.py
    PYTHONPATH=. .venv/bin/python bench/bench_rules.py --courses 5000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from catalog.demo import generate_demo
from catalog.models import Course, Education, Group, Session
from catalog.reference.ladder import SkillLevel
from catalog.rules import DemandLookup, Person, evaluate, load_rules
from catalog.schema import table_to_records

TODAY = date(2026, 11, 27)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    tables = generate_demo(courses=args.courses, seed=7, today=TODAY)
    started = time.perf_counter()
    rules = load_rules()
    loaded_rules = time.perf_counter() - started
    started = time.perf_counter()
    demand = DemandLookup.from_table(tables["demand"])
    loaded_demand = time.perf_counter() - started
    courses = {c.course_id: c for c in table_to_records("courses", tables["courses"])}
    sessions = table_to_records("sessions", tables["sessions"])
    pairs = [(courses[s.course_id], s) for s in sessions]
    people = [
        Person(age=35, group=Group.UNEMPLOYED, education=Education.SENIOR_MIDDLE,
               home_region="440305", current_level=SkillLevel.JUNIOR),
        Person(age=22, group=Group.YOUTH, education=Education.COLLEGE, home_region="520102"),
        Person(age=52, group=Group.MIGRANT_WORKER, education=Education.JUNIOR_MIDDLE,
               home_region="410105", current_level=SkillLevel.INTERMEDIATE),
    ]  # fmt: skip
    # Warm-up: fills the per-region caches, as a running service has.
    for person in people:
        for course, session in pairs:
            evaluate(person, course, session, today=TODAY, demand=demand, rules=rules)
    # Same region as the course: the common case of a local search.
    local = [
        (Person(age=35, group=Group.UNEMPLOYED, home_region=c.region_code), c, s) for c, s in pairs
    ]
    for person, course, session in local:
        evaluate(person, course, session, today=TODAY, demand=demand, rules=rules)

    def run(calls: list[tuple[Person, Course, Session]]) -> list[float]:
        timings = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            for person, course, session in calls:
                evaluate(person, course, session, today=TODAY, demand=demand, rules=rules)
            timings.append((time.perf_counter() - t0) / len(calls) * 1e6)
        return timings

    mixed = [(p, c, s) for p in people for c, s in pairs]
    rows = tables["demand"].num_rows
    print(
        f"rules loaded in {loaded_rules * 1000:.0f} ms; "
        f"demand ({rows} rows) indexed in {loaded_demand * 1000:.0f} ms"
    )
    for name, calls in (("mixed profiles", mixed), ("local profile", local)):
        timings = run(calls)
        print(
            f"{name:15s} {len(calls):6d} calls: {statistics.median(timings):5.1f} µs per evaluate "
            f"(min {min(timings):.1f}, max {max(timings):.1f})"
        )


if __name__ == "__main__":
    main()
