"""Benchmark the demo catalog generator.

Each size runs in a fresh subprocess, so the peak resident set size is per size. Peak memory is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that subprocess (the whole process: Python,
numpy/pyarrow, reference data and the generated tables); the RSS after imports and reference
data loading is printed too, so the generator's own share is visible.

Usage:
    PYTHONPATH=. .venv/bin/python bench/bench_generate.py            # 100k and 1M courses
    PYTHONPATH=. .venv/bin/python bench/bench_generate.py 20000 200000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date

TODAY = date(2026, 3, 15)


def _rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(courses: int) -> None:
    from catalog.demo import generate_demo
    from catalog.reference.occupations import load_occupations
    from catalog.reference.regions import load_regions

    load_regions()
    load_occupations()
    baseline = _rss_mb()
    started = time.perf_counter()
    tables = generate_demo(courses=courses, today=TODAY)
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "courses": courses,
                "wall_s": round(wall, 2),
                "peak_rss_mb": round(_rss_mb(), 1),
                "rss_after_imports_mb": round(baseline, 1),
                "rows": {name: table.num_rows for name, table in tables.items()},
                "arrow_mb": {name: round(table.nbytes / 1e6, 1) for name, table in tables.items()},
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    print("peak memory: ru_maxrss of a fresh subprocess per size (whole process)")
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        rows = ", ".join(f"{k} {v:,}" for k, v in result["rows"].items())
        arrow = sum(result["arrow_mb"].values())
        print(
            f"{size:>10,} courses: {result['wall_s']:6.1f} s wall, "
            f"peak RSS {result['peak_rss_mb']:,.0f} MB "
            f"(after imports {result['rss_after_imports_mb']:,.0f} MB; tables {arrow:,.0f} MB "
            f"in Arrow) | {rows}"
        )


if __name__ == "__main__":
    main()
