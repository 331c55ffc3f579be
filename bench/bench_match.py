"""Latency of one match in-process (the whole request path without HTTP).

Generates a demo catalog (default 20,000 courses), builds its bundle with the bundled model,
then runs the project's dev profiles through the engine several times, one at a time, and
prints p50/p95/p99 and the share of time per step.

    .venv/bin/python bench/bench_match.py [--courses 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalog.demo import generate_demo  # noqa: E402
from catalog.store import CatalogStore  # noqa: E402
from indexing.ann.exact import serve_single_threaded  # noqa: E402
from indexing.bundle import BundleStore  # noqa: E402
from indexing.encoder import Encoder  # noqa: E402
from service.evaluation import load_cases, request_of  # noqa: E402
from service.matching.engine import MatchOptions  # noqa: E402
from service.matching.profile import build_profile  # noqa: E402
from service.state import build_matcher  # noqa: E402

TODAY = date(2026, 11, 27)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--courses", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cases", default=str(ROOT / "eval" / "dev_profiles.jsonl"))
    args = ap.parse_args()
    serve_single_threaded()  # as the service does: one FAISS thread per query
    work = Path(tempfile.mkdtemp(prefix="bench-match-"))
    store = CatalogStore(work / "catalog")
    store.write(generate_demo(courses=args.courses, today=TODAY), source="demo", demo=True)
    encoder = Encoder()
    BundleStore(work / "index").build(store.load(), encoder, today=TODAY)
    bundle = BundleStore(work / "index").load(encoder)
    matcher = build_matcher(store.load(), bundle, encoder)
    profiles = [
        build_profile(regions=matcher.regions, **request_of(c)) for c in load_cases(args.cases)
    ]
    for p in profiles[:20]:  # warm-up
        matcher.match(p, MatchOptions(today=TODAY))
    latencies: list[float] = []
    steps: dict[str, float] = {}
    for _ in range(args.rounds):
        for p in profiles:
            t0 = time.perf_counter()
            result = matcher.match(p, MatchOptions(today=TODAY))
            latencies.append((time.perf_counter() - t0) * 1000)
            for k, v in result.timings_ms.items():
                steps[k] = steps.get(k, 0.0) + v
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    n = len(latencies)
    print(f"{args.courses:,} courses, {n} matches ({len(profiles)} profiles x {args.rounds})")
    print(f"p50 {pct(0.5):.2f} ms   p95 {pct(0.95):.2f} ms   p99 {pct(0.99):.2f} ms")
    total = steps.get("total", 1.0)
    print(
        "time per step: "
        + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in steps.items() if k != "total")
    )


if __name__ == "__main__":
    main()
