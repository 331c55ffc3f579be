"""Catalog updates without downtime: staging, validation, approval, background build, switch."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

import indexing.bundle as bundle_module
from catalog.importer import apply_import, plan_import
from catalog.store import CatalogStore
from indexing.bundle import BundleStore
from indexing.encoder import Encoder
from service.matching.engine import MatchOptions
from service.matching.profile import build_profile
from service.state import Readiness, ServiceState
from service.updates import (
    INTERRUPTED,
    UpdateBusy,
    UpdateConflict,
    UpdateManager,
    UpdateNotFound,
    UpdateStatus,
    UploadRejected,
    UploadTooLarge,
)
from tests.conftest import TODAY

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = (FIXTURES / "demand_clean.csv").read_bytes()
BAD = (
    "region_code,occupation_code,occupation_name,level,subsidy,tier,valid_from\n"
    "440300,6-18-02-04,焊工,5,1000,short,2025-01-01\n"
    "440300,,火星车驾驶员,4,1500,short,2025-01-01\n"
    "440300,6-31-01-03,电工,九级,abc,short,2025-01-01\n"
).encode()


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


@pytest.fixture
def env(demo_env_copy):
    """A private data dir and the versions it serves."""
    return demo_env_copy


def stores(data_dir: Path) -> tuple[CatalogStore, BundleStore]:
    return CatalogStore(data_dir / "catalog"), BundleStore(data_dir / "index")


def served_state(data_dir: Path, encoder: Encoder) -> ServiceState:
    store, bundles = stores(data_dir)
    state = ServiceState(store=store, bundles=bundles, encoder=encoder)
    state.load()
    assert state.readiness is Readiness.OK
    return state


def manager_for(data_dir: Path, encoder: Encoder, **kwargs) -> UpdateManager:
    return UpdateManager(data_dir, encoder=encoder, today=TODAY, **kwargs)


def wait_until_finished(manager: UpdateManager, job_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not manager.get(job_id).finished:
        assert time.monotonic() < deadline, "update did not finish in time"
        time.sleep(0.05)


# -- staging -----------------------------------------------------------------------------------
def test_stage_good_file_is_validated_with_diff_counts(env, encoder):
    events: list[tuple[str, str]] = []
    manager = manager_for(env.data_dir, encoder, on_event=lambda j, e: events.append((j.job_id, e)))
    job = manager.stage("demand", "深圳市需求目录.csv", GOOD, actor="admin")

    assert job.status is UpdateStatus.VALIDATED, job.error
    assert job.status_label == "校验通过，待批准"
    assert job.base_version == env.catalog_version
    assert job.report is not None and job.report["ok"]
    assert job.report["counts"]["records"] == 3  # occupations, five levels each
    assert job.report["counts"]["rows_valid"] == 15
    demand = job.diff["demand"]
    assert set(demand) == {"added", "changed", "removed"}
    assert sum(demand.values()) > 0
    assert "与当前版本" in job.summary
    folder = env.data_dir / "updates" / job.job_id
    assert (folder / "深圳市需求目录.csv").read_bytes() == GOOD
    assert json.loads((folder / "job.json").read_text(encoding="utf-8"))["status"] == "validated"
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["ok"] is True
    assert [e for _, e in events] == ["staged", "validated"]
    # Nothing changed yet.
    store, bundles = stores(env.data_dir)
    assert store.current_version() == env.catalog_version
    assert bundles.current_version() == env.index_version
    assert [j.job_id for j in manager.list()] == [job.job_id]
    assert manager.get(job.job_id).diff == job.diff


def test_stage_bad_file_is_rejected_with_row_errors_and_changes_nothing(env, encoder):
    manager = manager_for(env.data_dir, encoder)
    job = manager.stage("demand", "bad.csv", BAD, actor="admin")

    assert job.status is UpdateStatus.REJECTED
    assert job.error and "行错误" in job.error
    assert job.report is not None and not job.report["ok"]
    rows = {e["row"] for e in job.report["entries"] if e["severity"] == "error"}
    assert rows == {3, 4}
    assert all(e["reason"] for e in job.report["entries"])
    with pytest.raises(UpdateConflict, match="只有校验通过的任务可以批准"):
        manager.approve(job.job_id, actor="boss")
    store, bundles = stores(env.data_dir)
    assert store.current_version() == env.catalog_version
    assert bundles.current_version() == env.index_version
    # Partial import of the valid rows is a choice made at upload.
    partial = manager.stage("demand", "bad.csv", BAD, actor="admin", partial=True)
    assert partial.status is UpdateStatus.VALIDATED


def test_unreadable_file_is_rejected_with_a_chinese_reason(env, encoder):
    manager = manager_for(env.data_dir, encoder)
    job = manager.stage("courses", "catalog.json", b"{not json", actor="admin")
    assert job.status is UpdateStatus.REJECTED
    assert job.error and "JSON" in job.error


def test_uploads_are_checked_before_anything_is_stored(env, encoder):
    manager = manager_for(env.data_dir, encoder, max_upload_bytes=1024)
    with pytest.raises(UploadRejected, match="不支持的文件类型"):
        manager.stage("demand", "目录.exe", b"MZ", actor="admin")
    with pytest.raises(UploadRejected, match="旧版 Excel"):
        manager.stage("demand", "目录.xls", b"x", actor="admin")
    with pytest.raises(UploadRejected, match="文件名无效"):
        manager.stage("demand", ".csv", b"x", actor="admin")
    with pytest.raises(UploadRejected, match="空的"):
        manager.stage("demand", "a.csv", b"", actor="admin")
    with pytest.raises(UploadRejected, match="未知的文件类别"):
        manager.stage("teachers", "a.csv", b"x", actor="admin")
    with pytest.raises(UploadRejected, match="只有培训需求目录"):
        manager.stage("courses", "a.json", b"[]", actor="admin", valid_from="2026-01-01")
    with pytest.raises(UploadTooLarge, match="不能超过") as too_large:
        manager.stage("demand", "a.csv", b"x" * 2048, actor="admin")
    assert too_large.value.status_code == 413
    assert manager.list() == []
    # A path in the name is dropped: the file stays inside the job's folder.
    job = manager.stage("demand", "../../etc/深圳.csv", GOOD, actor="admin")
    assert job.filename == "深圳.csv"
    assert (env.data_dir / "updates" / job.job_id / "深圳.csv").is_file()
    with pytest.raises(UpdateNotFound):
        manager.get("../../etc")
    with pytest.raises(UpdateNotFound):
        manager.get("20250101000000-deadbeef")


def test_cancel_before_approval_only(env, encoder):
    manager = manager_for(env.data_dir, encoder)
    job = manager.stage("demand", "a.csv", GOOD, actor="admin")
    cancelled = manager.cancel(job.job_id, actor="admin")
    assert cancelled.status is UpdateStatus.CANCELLED
    with pytest.raises(UpdateConflict):
        manager.approve(job.job_id, actor="boss")
    with pytest.raises(UpdateConflict):
        manager.cancel(job.job_id)
    assert [h["status"] for h in manager.get(job.job_id).history] == [
        "staged",
        "validated",
        "cancelled",
    ]


def test_a_stale_diff_must_be_revalidated(env, encoder):
    manager = manager_for(env.data_dir, encoder)
    job = manager.stage("demand", "a.csv", GOOD, actor="admin")
    store, _ = stores(env.data_dir)
    # Someone imports another file meanwhile (institutions only, no index rebuild needed here).
    apply_import(store, plan_import(store, "institutions", FIXTURES / "institutions.csv"))
    with pytest.raises(UpdateConflict, match="重新校验"):
        manager.approve(job.job_id, actor="boss")
    again = manager.revalidate(job.job_id, actor="admin")
    assert again.status is UpdateStatus.VALIDATED
    assert again.base_version == store.current_version() != env.catalog_version


def test_event_hook_errors_never_break_an_update(env, encoder):
    def broken(job, event):
        raise RuntimeError("audit log down")

    manager = manager_for(env.data_dir, encoder, on_event=broken)
    assert manager.stage("demand", "a.csv", GOOD, actor="admin").status is UpdateStatus.VALIDATED


# -- applying ----------------------------------------------------------------------------------
def test_approve_builds_in_background_and_switches_the_running_service(env, encoder, monkeypatch):
    state = served_state(env.data_dir, encoder)
    # Another worker process of the same service: it only watches the bundle pointer.
    other_worker = ServiceState(*stores(env.data_dir), encoder=encoder, reload_interval=0.2)
    other_worker.load()
    events: list[str] = []
    manager = UpdateManager(
        env.data_dir, state=state, today=TODAY, on_event=lambda j, e: events.append(e)
    )
    build_fractions: list[float] = []
    real_build = BundleStore.build

    def spy_build(self, snapshot, enc, **kwargs):
        callback = kwargs["progress"]

        def recording(fraction, phase):
            build_fractions.append(fraction)
            callback(fraction, phase)

        return real_build(self, snapshot, enc, **(kwargs | {"progress": recording}))

    monkeypatch.setattr(BundleStore, "build", spy_build)
    job = manager.stage("demand", "深圳.csv", GOOD, actor="admin")
    approved = manager.approve(job.job_id, actor="supervisor")
    assert approved.status is UpdateStatus.APPROVED
    assert approved.approved_by == "supervisor"

    # The service answers throughout, with the old catalog until the switch.
    profile = build_profile(
        regions=state.matcher.regions, group="unemployed", age=40, region_code="440300"
    )
    seen: list[tuple[str, float, str | None]] = []
    answered = 0
    while not (current := manager.get(job.job_id)).finished:
        seen.append((current.status.value, current.progress, state.catalog_version))
        assert state.matcher is not None
        assert state.matcher.match(profile, MatchOptions(today=TODAY)).results
        answered += 1
    done = manager.get(job.job_id)

    assert done.status is UpdateStatus.DONE, (done.error, done.error_detail)
    assert answered > 0
    assert {v for s, _, v in seen if s in ("importing", "indexing")} <= {env.catalog_version}
    progress = [p for _, p, _ in seen] + [done.progress]
    assert progress == sorted(progress) and done.progress == 100
    assert build_fractions == sorted(build_fractions) and build_fractions[-1] == 1.0
    assert len(set(build_fractions)) >= 4  # real progress: several phases and chunks
    assert events == [
        "staged",
        "validated",
        "approved",
        "importing",
        "indexing",
        "switching",
        "done",
    ]
    assert done.previous_catalog_version == env.catalog_version
    assert done.previous_index_version == env.index_version
    assert done.catalog_version != env.catalog_version
    assert done.switch_seconds is not None and done.switch_seconds >= 0
    # The running service switched; pointers and a fresh service agree.
    assert (state.catalog_version, state.index_version) == (
        done.catalog_version,
        done.index_version,
    )
    store, bundles = stores(env.data_dir)
    assert store.current_version() == done.catalog_version
    assert bundles.current_version() == done.index_version
    fresh = served_state(env.data_dir, encoder)
    assert fresh.catalog_version == done.catalog_version
    assert fresh.snapshot is not None and fresh.snapshot.manifest.source == "import:深圳.csv"
    # The record survives a restart.
    again = UpdateManager(env.data_dir, encoder=encoder)
    assert again.get(job.job_id).status is UpdateStatus.DONE
    # The watching worker switched too, on its own.
    deadline = time.monotonic() + 60
    while other_worker.index_version != done.index_version:
        assert time.monotonic() < deadline, "the watching worker did not switch"
        time.sleep(0.1)
    assert other_worker.catalog_version == done.catalog_version
    other_worker.stop_watching()


def test_failed_build_keeps_the_old_version_served_and_current(env, encoder, monkeypatch):
    state = served_state(env.data_dir, encoder)
    manager = UpdateManager(env.data_dir, state=state, today=TODAY)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full while building occupations")

    # Midway: after the course index was built, at the occupation searcher (built or reused).
    monkeypatch.setattr(bundle_module.BundleStore, "_occupations", boom)
    job = manager.stage("demand", "深圳.csv", GOOD, actor="admin")
    manager.approve(job.job_id, actor="supervisor")
    failed = manager.wait(timeout=120)

    assert failed is not None and failed.status is UpdateStatus.FAILED
    assert failed.error and "构建索引失败" in failed.error
    assert "disk full" in (failed.error_detail or "")
    assert 0 < failed.progress < 100
    assert failed.catalog_version is not None  # the import had been applied …
    store, bundles = stores(env.data_dir)
    assert store.current_version() == env.catalog_version  # … and was rolled back
    assert bundles.current_version() == env.index_version
    assert not list((env.data_dir / "index" / "bundles").glob(".build-*"))
    assert (state.catalog_version, state.index_version) == (env.catalog_version, env.index_version)
    fresh = served_state(env.data_dir, encoder)
    assert fresh.catalog_version == env.catalog_version


def test_only_one_build_at_a_time(env, encoder, monkeypatch):
    started, release = threading.Event(), threading.Event()

    def blocked(*args, **kwargs):
        started.set()
        release.wait(60)
        raise RuntimeError("stopped by the test")

    monkeypatch.setattr(bundle_module.BundleStore, "_occupations", blocked)
    manager = manager_for(env.data_dir, encoder)
    first = manager.stage("demand", "a.csv", GOOD, actor="admin")
    second = manager.stage("demand", "b.csv", BAD, actor="admin", partial=True)
    manager.approve(first.job_id, actor="boss")
    try:
        assert started.wait(60)
        with pytest.raises(UpdateBusy, match=first.job_id) as busy:
            manager.approve(second.job_id, actor="boss")
        assert busy.value.status_code == 409
        # Another process (another manager on the same data dir) is refused too, and does
        # not take the running job for an interrupted one.
        other = manager_for(env.data_dir, encoder)
        assert other.get(first.job_id).status is UpdateStatus.INDEXING
        with pytest.raises(UpdateBusy):
            other.approve(second.job_id, actor="boss")
        with pytest.raises(UpdateConflict):
            manager.cancel(first.job_id)
        assert manager.running() is not None
    finally:
        release.set()
    assert manager.wait(timeout=60).status is UpdateStatus.FAILED
    assert manager.get(second.job_id).status is UpdateStatus.VALIDATED


def test_watcher_reloads_only_when_the_bundle_pointer_changes(env, encoder):
    state = ServiceState(*stores(env.data_dir), encoder=encoder)
    state.load()
    loaded_at = state.loaded_at
    assert state.reload_if_changed() is False
    # A new catalog alone (no index yet) changes nothing served.
    store, bundles = stores(env.data_dir)
    apply_import(store, plan_import(store, "institutions", FIXTURES / "institutions.csv"))
    assert state.reload_if_changed() is False
    assert state.loaded_at == loaded_at
    # A broken bundle pointer: the reload fails and the old versions keep serving.
    broken = env.data_dir / "index" / "bundles" / "20990101T000000000000Z-broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{}", encoding="utf-8")
    bundles.switch(broken.name)
    assert state.reload_if_changed() is True
    assert (state.catalog_version, state.index_version) == (env.catalog_version, env.index_version)
    assert state.error and state.readiness is Readiness.OK


def test_restart_marks_interrupted_jobs_failed_and_rolls_back(env, encoder):
    manager = manager_for(env.data_dir, encoder)
    job = manager.stage("demand", "a.csv", GOOD, actor="admin")
    store, bundles = stores(env.data_dir)
    # The process died while indexing: the import was applied, the index not yet built.
    manifest = apply_import(store, plan_import(store, "demand", FIXTURES / "demand_clean.csv"))
    path = env.data_dir / "updates" / job.job_id / "job.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record.update(
        status="indexing",
        progress=40.0,
        previous_catalog_version=env.catalog_version,
        previous_index_version=env.index_version,
        catalog_version=manifest.version,
    )
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    assert store.current_version() == manifest.version

    events: list[str] = []
    restarted = manager_for(env.data_dir, encoder, on_event=lambda j, e: events.append(e))
    interrupted = restarted.get(job.job_id)
    assert interrupted.status is UpdateStatus.FAILED
    assert interrupted.error == INTERRUPTED
    assert events == ["failed"]
    assert store.current_version() == env.catalog_version
    assert bundles.current_version() == env.index_version
