"""Load test of ``POST /api/v1/match`` on loopback, bounded in count and time.

Builds a demo catalog (default 20,000 courses) and its bundle in a temporary directory, starts
the real server (``skillmatch serve``, optionally several worker processes) on 127.0.0.1, waits
for /api/v1/health, then sends match requests built from the project's dev profiles for a fixed
duration with a fixed number of connections, and prints requests/s, latency percentiles and
errors. The load generator is ``wrk`` (Debian package) when installed, otherwise a Python
asyncio client (httpx); the output says which. Only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/bench_load.py [--seconds 60] [--connections 4] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TODAY = date(2026, 11, 27)
MAX_REQUESTS = 100_000  # hard bound whatever the duration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(work: Path, courses: int) -> None:
    from catalog.demo import generate_demo
    from catalog.store import CatalogStore
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder

    store = CatalogStore(work / "catalog")
    store.write(generate_demo(courses=courses, today=TODAY), source="demo", demo=True)
    BundleStore(work / "index").build(store.load(), Encoder(), today=TODAY)


def bodies() -> list[dict[str, object]]:
    from service.evaluation import load_cases, request_of

    return [request_of(c) for c in load_cases(ROOT / "eval" / "dev_profiles.jsonl")]


def wait_ready(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("server did not become ready")


def run_wrk(url: str, seconds: int, connections: int, payloads: list[dict[str, object]]) -> dict:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    lua_bodies = ",\n".join("[[" + json.dumps(b, ensure_ascii=False) + "]]" for b in payloads)
    script.write_text(
        f"""
local bodies = {{ {lua_bodies} }}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/api/v1/match", {{["Content-Type"]="application/json"}},
                    bodies[(i % #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("p95 latency: %.2fms\\n", latency:percentile(95) / 1000))
end
""",
        encoding="utf-8",
    )
    out: Any = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "p95 latency" not in out.stdout:  # the script did not load: wrk fell back to GET /
        raise RuntimeError(f"wrk did not run the match script: {out.stderr.strip()}")
    out = out.stdout

    def grab(pattern: str) -> str:
        m = re.search(pattern, out)
        return m.group(1) if m else "?"

    return {
        "tool": "wrk 4 (2 threads)",
        "requests_per_s": grab(r"Requests/sec:\s+([\d.]+)"),
        "p50": grab(r"50%\s+([\d.]+\w+)"),
        "p90": grab(r"90%\s+([\d.]+\w+)"),
        "p95": grab(r"p95 latency: ([\d.]+ms)"),
        "p99": grab(r"99%\s+([\d.]+\w+)"),
        "requests": grab(r"(\d+) requests in"),
        "non_2xx": grab(r"Non-2xx or 3xx responses: (\d+)") if "Non-2xx" in out else "0",
        "socket_errors": grab(r"Socket errors: (.*)") if "Socket errors" in out else "none",
        "raw": out,
    }


async def run_python(url: str, seconds: int, connections: int, payloads: list) -> dict:
    import httpx

    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    sent = 0

    async def worker(k: int) -> None:
        nonlocal errors, sent
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            i = k
            while time.monotonic() < stop and sent < MAX_REQUESTS:
                sent += 1
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/v1/match", json=payloads[i % len(payloads)])
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - t0) * 1000)
                i += connections

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(connections)))
    wall = time.perf_counter() - t0
    latencies.sort()
    pct = lambda q: f"{latencies[min(len(latencies) - 1, int(q * len(latencies)))]:.1f}ms"  # noqa: E731
    return {
        "tool": "python asyncio + httpx",
        "requests_per_s": f"{len(latencies) / wall:.1f}",
        "p50": pct(0.5),
        "p90": pct(0.9),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "requests": str(len(latencies)),
        "non_2xx": str(errors),
        "socket_errors": "n/a",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--courses", type=int, default=20_000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--python-client", action="store_true", help="use the Python client")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = None
    try:
        prepare(work, args.courses)
        env = dict(
            os.environ,
            SKILLMATCH_DATA_DIR=str(work),
            SKILLMATCH_TODAY=TODAY.isoformat(),
            SKILLMATCH_LOG_LEVEL="WARNING",
            # One client address sends everything: the per-client rate limit would cap it.
            SKILLMATCH_RATE_LIMIT_PER_MINUTE="0",
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_ready(url)
        payloads = bodies()
        if shutil.which("wrk") and not args.python_client:
            result = run_wrk(url, args.seconds, args.connections, payloads)
        else:
            result = asyncio.run(run_python(url, args.seconds, args.connections, payloads))
        raw = result.pop("raw", None)
        print(
            f"{args.courses:,} courses, {args.workers} server worker(s), "
            f"{args.connections} connections, {args.seconds} s"
        )
        print(json.dumps(result, ensure_ascii=False, indent=2))
        if raw:
            print(raw)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
