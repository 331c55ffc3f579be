"""Benchmark index bundles: build, size, memory, load and query latency per catalog size.

For each size (default 10k, 100k, 1M demo courses) a fresh subprocess generates the demo
catalog and builds the bundle (build time and peak RSS of that process), then another fresh
subprocess loads the bundle (load time, RSS) and times single queries:
- query encoding (the bundled model, one text);
- occupation search (hybrid, top 5);
- filtered hybrid course search (top 50): a job-seeker's city + province + online courses,
  enrolment open today, their group and age — encoding, mask and both channels included.
Queries are job-seekers' phrasings (the project's dev split), one at a time, with one FAISS
thread per query as the service runs them.

Usage:
    .venv/bin/python bench/bench_index.py                 # 10k, 100k, 1M
    .venv/bin/python bench/bench_index.py 20000 --queries 300
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 27)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def child_build(courses: int, work: Path) -> dict[str, object]:
    from catalog.demo import generate_demo
    from catalog.store import CatalogStore
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder

    store = CatalogStore(work / "catalog")
    store.write(generate_demo(courses=courses, today=TODAY), source="demo", demo=True)
    snapshot = store.load()
    encoder = Encoder()
    encoder.encode_one("预热")
    rss_before = _rss_mb()
    started = time.perf_counter()
    manifest = BundleStore(work / "index").build(snapshot, encoder, today=TODAY)
    build_s = time.perf_counter() - started
    bundle_dir = work / "index" / "bundles" / manifest["version"]
    return {
        "build_s": round(build_s, 1),
        "peak_rss_mb": round(_rss_mb(), 0),
        "rss_before_build_mb": round(rss_before, 0),
        "bundle_mb": round(_dir_mb(bundle_dir), 1),
        "dense_kind": manifest["course_index"].get("dense_kind"),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def child_query(work: Path, n_queries: int) -> dict[str, object]:
    import numpy as np

    from catalog.models import Group
    from catalog.reference.regions import load_regions
    from indexing.ann.exact import serve_single_threaded
    from indexing.bundle import BundleStore
    from indexing.corpus import written_examples
    from indexing.courses import CourseFilter
    from indexing.encoder import Encoder

    serve_single_threaded()  # as the service does: one FAISS thread per query
    encoder = Encoder()
    encoder.encode_one("预热")  # model load is not bundle load
    load_regions()
    rss0 = _rss_mb()
    started = time.perf_counter()
    bundle = BundleStore(work / "index").load(encoder)
    load_s = time.perf_counter() - started
    rss_loaded = _rss_mb()

    texts = [e.text for e in written_examples() if e.split == "dev" and e.source == "phrasing"]
    rng = np.random.default_rng(1)
    texts = [texts[i] for i in rng.choice(len(texts), size=n_queries)]
    regions = load_regions()
    cities = [c for p in regions.provinces() for c in regions.cities(p.code)]
    groups = [g.value for g in Group]

    enc, occ, crs, hits = [], [], [], []
    for i, text in enumerate(texts):
        t0 = time.perf_counter()
        vec = encoder.encode_one(text)
        enc.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bundle.occupations.rank(text, k=5, query_vector=vec)
        occ.append(time.perf_counter() - t0)
        city = cities[int(rng.integers(len(cities)))]
        flt = CourseFilter(
            regions=(city.code, city.province_code),
            include_online=True,
            open_on=TODAY,
            group=groups[i % len(groups)],
            age=int(rng.integers(18, 60)),
        )
        t0 = time.perf_counter()
        q = encoder.encode_one(text)
        mask = bundle.courses.mask(flt)
        found = bundle.courses.search(text=text, query_vector=q, k=50, mask=mask)
        crs.append(time.perf_counter() - t0)
        hits.append(len(found))
    ms = 1000.0
    return {
        "load_s": round(load_s, 2),
        "rss_after_load_mb": round(rss_loaded, 0),
        "rss_before_load_mb": round(rss0, 0),
        "encode_p50_ms": round(_pct(enc, 0.5) * ms, 2),
        "encode_p95_ms": round(_pct(enc, 0.95) * ms, 2),
        "occupation_p50_ms": round(_pct(occ, 0.5) * ms, 2),
        "occupation_p95_ms": round(_pct(occ, 0.95) * ms, 2),
        "course_p50_ms": round(_pct(crs, 0.5) * ms, 2),
        "course_p95_ms": round(_pct(crs, 0.95) * ms, 2),
        "course_results_mean": round(sum(hits) / len(hits), 1),
    }


def run_child(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--child-build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-query", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        print(json.dumps(child_build(args.child_build, Path(args.work))))
        return
    if args.child_query:
        print(json.dumps(child_query(Path(args.work), args.queries)))
        return
    print(
        f"{'courses':>9} {'build s':>8} {'peak MB':>8} {'bundle MB':>9} {'load s':>7} "
        f"{'enc p50/p95 ms':>15} {'occ p50/p95 ms':>15} {'course p50/p95 ms':>18}"
    )
    for size in args.sizes:
        work = Path(tempfile.mkdtemp(prefix="bench-index-"))
        try:
            b = run_child("--child-build", str(size), "--work", str(work))
            q = run_child("--child-query", "--work", str(work), "--queries", str(args.queries))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(
            f"{size:>9,} {b['build_s']:>8} {b['peak_rss_mb']:>8.0f} {b['bundle_mb']:>9} "
            f"{q['load_s']:>7} {q['encode_p50_ms']:>7}/{q['encode_p95_ms']:<7} "
            f"{q['occupation_p50_ms']:>7}/{q['occupation_p95_ms']:<7} "
            f"{q['course_p50_ms']:>8}/{q['course_p95_ms']:<9}",
            flush=True,
        )
        print(f"          details: {json.dumps(b)} {json.dumps(q)}", flush=True)


if __name__ == "__main__":
    main()
