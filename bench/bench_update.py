"""Steady match traffic while a catalog update is applied: no failed request, then the new version.

Builds a small demo catalog (default 5,000 courses) and its bundle in a temporary directory,
starts the real server on 127.0.0.1 (the application of ``skillmatch serve``, with the catalog
watcher of :class:`service.state.ServiceState` polling the bundle pointer), and sends match
requests at a steady rate (open loop: a slow answer does not slow the sender). Meanwhile, in
this process and the same data directory, a course-catalog update (the courses of a few
institutions, retitled, exported from the demo snapshot) goes through
:class:`service.updates.UpdateManager`: stage → validate → approve → import → index build with
progress → pointer switch; the server notices the new bundle and switches. Prints requests
sent, failed requests (must be 0), latency percentiles before / during / after the update, the
versions served before and after and how long the switch took. Only 127.0.0.1 is contacted;
bounded by ``--deadline`` seconds of traffic (default 120 s in all with preparation).

    .venv/bin/python bench/bench_update.py [--courses 5000] [--rate 20] [--reload-interval 2]

The server is the real ``skillmatch serve`` (``--workers`` processes) with
``SKILLMATCH_CATALOG_RELOAD_SECONDS`` set to ``--reload-interval``: every worker notices the
new bundle pointer and switches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_load import bodies, free_port, wait_ready  # noqa: E402  (the load bench's helpers)

TODAY = date(2026, 11, 27)
MAX_REQUESTS = 20_000


def prepare(work: Path, courses: int) -> str:
    from catalog.demo import generate_demo
    from catalog.store import CatalogStore
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder

    store = CatalogStore(work / "catalog")
    store.write(generate_demo(courses=courses, today=TODAY), source="demo", demo=True)
    BundleStore(work / "index").build(store.load(), Encoder(), today=TODAY)
    return export_update(store, work / "courses_update.json", institutions=3)


def export_update(store, path: Path, institutions: int) -> str:
    """A course-catalog file: the courses of a few institutions, retitled (2027 editions)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from catalog.schema import table_to_records

    snapshot = store.load()
    courses, sessions = snapshot["courses"], snapshot["sessions"]
    chosen = pc.unique(courses.column("institution_id")).to_pylist()[:institutions]
    picked = courses.filter(pc.is_in(courses.column("institution_id"), value_set=pa.array(chosen)))
    their_sessions = sessions.filter(
        pc.is_in(
            sessions.column("course_id"), value_set=picked.column("course_id").combine_chunks()
        )
    )
    by_course: dict[str, list[dict]] = {}
    for s in table_to_records("sessions", their_sessions):
        row = s.model_dump(mode="json")
        row["session_address"] = row.pop("address", None)
        by_course.setdefault(s.course_id, []).append(row)
    rows = []
    for c in table_to_records("courses", picked):
        row = c.model_dump(mode="json")
        row.pop("is_demo", None)
        row["title"] = f"{row['title']}（2027年版）"
        row["sessions"] = by_course.get(c.course_id, [])
        rows.append(row)
    path.write_text(json.dumps({"rows": rows}, ensure_ascii=False), encoding="utf-8")
    return f"{len(rows)} courses of {len(chosen)} institutions"


@dataclass
class Timeline:
    """What happened when (seconds since traffic started)."""

    requests: list[tuple[float, float, bool]] = field(default_factory=list)  # start, ms, ok
    versions: list[tuple[float, str | None, str | None]] = field(default_factory=list)
    approved: float | None = None
    published: float | None = None
    served: float | None = None
    job: dict | None = None
    progress: list[tuple[float, str, float, str]] = field(default_factory=list)


def apply_update(work: Path, file: Path, timeout: float) -> None:
    """The update process: stage, approve and follow the job, one JSON line per change."""
    from service.updates import UpdateManager

    def emit(**data: object) -> None:
        sys.stdout.write(json.dumps({"t": time.time(), **data}, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    manager = UpdateManager(work, today=TODAY)
    job = manager.stage("courses", file.name, file.read_bytes(), actor="bench")
    emit(event="staged", status=job.status.value, diff=job.diff, error=job.error)
    if job.status.value != "validated":
        return
    manager.approve(job.job_id, actor="bench")
    emit(event="approved")
    deadline = time.monotonic() + timeout
    last = None
    while True:
        current = manager.get(job.job_id)
        state = (current.status.value, current.progress, current.phase)
        if state != last:
            emit(event="progress", status=state[0], progress=state[1], phase=state[2])
            last = state
        if current.finished or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    emit(event="finished", job=current.to_json())


async def run(url: str, args, work: Path, file: Path) -> Timeline:
    import httpx

    payloads = bodies()
    timeline = Timeline()
    t0 = time.perf_counter()
    wall0 = time.time()
    hard_stop = t0 + args.deadline
    stop = asyncio.Event()

    async def one(client: httpx.AsyncClient, body: dict[str, object]) -> None:
        start = time.perf_counter()
        ok = False
        try:
            r = await client.post("/api/v1/match", json=body)
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        timeline.requests.append((start - t0, (time.perf_counter() - start) * 1000, ok))

    async def traffic(client: httpx.AsyncClient) -> None:
        interval = 1.0 / args.rate
        tasks = []
        i = 0
        next_at = time.perf_counter()
        while not stop.is_set() and time.perf_counter() < hard_stop and i < MAX_REQUESTS:
            tasks.append(asyncio.create_task(one(client, payloads[i % len(payloads)])))
            i += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.gather(*tasks)

    async def versions(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            try:
                body = (await client.get("/api/v1/health")).json()
                timeline.versions.append(
                    (time.perf_counter() - t0, body["catalog_version"], body["index_version"])
                )
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)

    async def conductor() -> None:
        await asyncio.sleep(args.before)
        timeout = max(10.0, hard_stop - time.perf_counter() - args.after)
        # Another process applies the update (as the admin routes will, until then the CLI).
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).resolve()),
            "--apply",
            str(file),
            "--deadline",
            str(timeout),
            env=dict(os.environ, SKILLMATCH_DATA_DIR=str(work), SKILLMATCH_LOG_LEVEL="WARNING"),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        assert child.stdout is not None
        async for raw in child.stdout:
            line = json.loads(raw)
            at = line["t"] - wall0
            if line["event"] == "staged":
                print(f"  staged: {line['status']}, diff {line['diff']} {line['error'] or ''}")
            elif line["event"] == "approved":
                timeline.approved = at
            elif line["event"] == "progress":
                timeline.progress.append((at, line["status"], line["progress"], line["phase"]))
            elif line["event"] == "finished":
                timeline.published = at
                timeline.job = line["job"]
        await child.wait()
        job = timeline.job or {}
        new_index = job.get("index_version")
        while time.perf_counter() < hard_stop - args.after:
            if timeline.versions and timeline.versions[-1][2] == new_index:
                timeline.served = timeline.versions[-1][0]
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(args.after)
        stop.set()

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(traffic(client), versions(client), conductor())
    return timeline


def percentiles(latencies: list[float]) -> str:
    if not latencies:
        return "n/a"
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    p50, p95, top = pct(0.5), pct(0.95), ordered[-1]
    return f"n={len(ordered):5d}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {top:7.1f} ms"


def report(args, what: str, timeline: Timeline, prepare_s: float) -> None:
    job = timeline.job
    requests = timeline.requests
    failed = sum(1 for _, _, ok in requests if not ok)
    approved = timeline.approved or 0.0
    served = timeline.served if timeline.served is not None else float("inf")
    before = [ms for t, ms, _ in requests if t < approved]
    during = [ms for t, ms, _ in requests if approved <= t < served]
    after = [ms for t, ms, _ in requests if t >= served]
    first = timeline.versions[0] if timeline.versions else (0, None, None)
    last = timeline.versions[-1] if timeline.versions else (0, None, None)
    print()
    print(
        f"{args.courses:,} demo courses, update: {what}; {args.rate} match requests/s "
        f"(open loop), server reload check every {args.reload_interval} s; "
        f"preparation {prepare_s:.0f} s"
    )
    print("update progress (t since traffic start, status, progress %, phase):")
    for t, status, progress, phase in timeline.progress:
        print(f"  {t:6.1f} s  {status:<10} {progress:5.1f}  {phase}")
    print(f"requests sent:      {len(requests)}")
    print(f"failed requests:    {failed}")
    print(f"latency before:     {percentiles(before)}")
    print(f"latency during:     {percentiles(during)}   (approve → new version served)")
    print(f"latency after:      {percentiles(after)}")
    print(f"catalog before:     {first[1]} (index {first[2]})")
    print(f"catalog after:      {last[1]} (index {last[2]})")
    if job is not None:
        print(f"update job:         {job['status']}, new catalog {job['catalog_version']}")
        if job["error"]:
            print(f"update error:       {job['error']} ({job['error_detail']})")
    if timeline.approved is not None and timeline.published is not None:
        took = timeline.published - timeline.approved
        print(f"approve → published (import + index build): {took:.1f} s")
    if timeline.served is not None and timeline.published is not None:
        print(
            f"published → served by the server (poll + load + swap): "
            f"{timeline.served - timeline.published:.2f} s"
        )
    if args.timeline:
        print("latency per second of traffic (t, requests, p50, max; * = update running):")
        buckets: dict[int, list[float]] = {}
        for t, ms, _ in requests:
            buckets.setdefault(int(t), []).append(ms)
        for second, values in sorted(buckets.items()):
            values.sort()
            mark = "*" if approved <= second < served else " "
            print(
                f"  {mark}{second:4d} s  {len(values):3d}  {values[len(values) // 2]:7.1f} ms  "
                f"{values[-1]:7.1f} ms"
            )
    ok = (
        failed == 0
        and job is not None
        and last[1] == job["catalog_version"]
        and last[1] != first[1]
    )
    print("RESULT:", "OK (0 failed, new catalog served)" if ok else "FAILED")
    if not ok:
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--courses", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=20, help="match requests per second")
    ap.add_argument("--before", type=float, default=8, help="seconds of traffic before the update")
    ap.add_argument("--after", type=float, default=8, help="seconds of traffic after the switch")
    ap.add_argument("--reload-interval", type=float, default=2.0)
    ap.add_argument("--deadline", type=float, default=90, help="hard bound on traffic seconds")
    ap.add_argument("--timeline", action="store_true", help="latency per second of traffic")
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    ap.add_argument("--apply", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.apply is not None:
        apply_update(Path(os.environ["SKILLMATCH_DATA_DIR"]), Path(args.apply), args.deadline)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-update-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = None
    log = work / "server.log"
    try:
        started = time.perf_counter()
        what = prepare(work, args.courses)
        prepare_s = time.perf_counter() - started
        env = dict(
            os.environ,
            SKILLMATCH_DATA_DIR=str(work),
            SKILLMATCH_TODAY=TODAY.isoformat(),
            SKILLMATCH_LOG_LEVEL="WARNING",
            # One client address sends everything: the per-client rate limit would cap it.
            SKILLMATCH_RATE_LIMIT_PER_MINUTE="0",
            SKILLMATCH_CATALOG_RELOAD_SECONDS=str(args.reload_interval),
        )
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "service.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                ],
                env=env,
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        wait_ready(url)
        prepare_s = time.perf_counter() - started
        timeline = asyncio.run(run(url, args, work, work / "courses_update.json"))
        try:
            report(args, what, timeline, prepare_s)
        except SystemExit:
            print("--- server log (tail) ---")
            print(log.read_text(encoding="utf-8", errors="replace")[-4000:])
            raise
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
