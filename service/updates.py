"""Catalog updates without downtime: upload → validation report → diff → approve → switch.

An administrator uploads a published catalog or demand-directory file. :meth:`UpdateManager.stage`
keeps it under ``<data_dir>/updates/<job_id>/``, plans the import (row-by-row report and the
difference from the current catalog) and records the job as ``validated`` or ``rejected``.
:meth:`UpdateManager.approve` starts a background thread that imports the file (a new catalog
snapshot), builds the index bundle of that snapshot with real progress, switches the bundle
pointer and makes the running service load the new catalog and index, which keep answering
throughout: the old ones serve until the new ones are loaded.

Status flow::

    staged → validated | rejected
    validated → approved → importing → indexing → switching → done | failed
    staged | validated | rejected → cancelled

A failure at any step leaves the old bundle serving and the catalog ``CURRENT`` pointer where it
was: an import that was applied before the index build failed is rolled back (the pointer is
switched back; the unused snapshot stays on disk until pruned), so catalog and index never
disagree. Only one build runs at a time, across processes too (a file lock), and a job found
in progress when the manager starts (the process was killed) is marked failed.

Job records are JSON files (``job.json``, written atomically) beside the upload, so any worker
process can list them; the full validation report is ``report.json`` / ``report.txt``.
Messages a person reads are in Simplified Chinese.

Example:
    >>> manager = UpdateManager(settings.data_dir, state=state, on_event=audit)
    >>> job = manager.stage("demand", "深圳市目录.xlsx", data, actor="admin", region_code="440300")
    >>> job.status, job.diff
    >>> manager.approve(job.job_id, actor="supervisor")
    >>> manager.get(job.job_id).progress
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Final

from catalog.errors import CatalogError
from catalog.importer import KIND_LABELS, KINDS, ImportPlan, apply_import, plan_import
from catalog.store import CatalogStore, SnapshotError
from indexing.bundle import BundleError, BundleStore
from indexing.encoder import Encoder
from service.errors import NotFound, ServiceError
from service.state import ServiceState
from service.versions import prune_old_versions

logger = logging.getLogger(__name__)

UPDATES_DIR: Final = "updates"
DEFAULT_MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024
ALLOWED_EXTENSIONS: Final = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json")
REPORT_ENTRIES_KEPT: Final = 200
"""Report entries kept in the job record (all of them are in ``report.json``)."""
SUMMARY_CHARS: Final = 20_000
PROGRESS_SAVE_SECONDS: Final = 1.0
"""A job's progress is written to disk at most this often (status changes at once)."""
INTERRUPTED: Final = "服务重启，更新中断"

_JOB_ID = re.compile(r"^\d{14}-[0-9a-f]{8}$")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class UpdateStatus(StrEnum):
    """Where an update job is."""

    STAGED = "staged"
    VALIDATED = "validated"
    REJECTED = "rejected"
    APPROVED = "approved"
    IMPORTING = "importing"
    INDEXING = "indexing"
    SWITCHING = "switching"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


STATUS_LABELS: Final[dict[UpdateStatus, str]] = {
    UpdateStatus.STAGED: "已上传，正在校验",
    UpdateStatus.VALIDATED: "校验通过，待批准",
    UpdateStatus.REJECTED: "校验未通过",
    UpdateStatus.APPROVED: "已批准，等待导入",
    UpdateStatus.IMPORTING: "正在导入目录",
    UpdateStatus.INDEXING: "正在构建索引",
    UpdateStatus.SWITCHING: "正在切换到新版本",
    UpdateStatus.DONE: "已完成",
    UpdateStatus.FAILED: "失败",
    UpdateStatus.CANCELLED: "已取消",
}
RUNNING: Final = frozenset(
    {UpdateStatus.APPROVED, UpdateStatus.IMPORTING, UpdateStatus.INDEXING, UpdateStatus.SWITCHING}
)
"""Statuses of a job whose background build has started and not ended."""
CANCELLABLE: Final = frozenset({UpdateStatus.STAGED, UpdateStatus.VALIDATED, UpdateStatus.REJECTED})


# -- errors --------------------------------------------------------------------------------------
class UpdateError(ServiceError):
    """A catalog update request cannot be carried out (the message says why, in Chinese)."""

    status_code = 400
    code = "update_error"
    message = "无法处理该目录更新"


class UploadRejected(UpdateError):
    """The upload itself is refused: unknown kind, file type or name, empty file."""

    code = "upload_rejected"
    message = "上传的文件无法接受"


class UploadTooLarge(UpdateError):
    """The upload is larger than allowed."""

    status_code = 413
    code = "payload_too_large"
    message = "上传的文件过大"


class UpdateNotFound(NotFound):
    """No update job with that id."""

    message = "未找到该目录更新任务"


class UpdateConflict(UpdateError):
    """The job is not in a state that allows the action, or the catalog changed meanwhile."""

    status_code = 409
    code = "update_conflict"
    message = "该目录更新任务当前不能执行此操作"


class UpdateBusy(UpdateConflict):
    """Another update is being built; only one runs at a time."""

    code = "update_busy"
    message = "已有目录更新正在进行，请等待其完成后再批准"


class _StepFailed(Exception):
    """A step of the background update failed; the message is for people (Chinese)."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


# -- the job record ------------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class UpdateJob:
    """One uploaded file on its way to being served.

    Attributes:
        job_id: ``YYYYMMDDHHMMSS-<8 hex>`` (sorts by upload time).
        kind: ``demand``, ``institutions`` or ``courses``.
        filename: The file name as uploaded (made safe).
        actor: Who uploaded it.
        status: Where the job is.
        created_at: Upload time (UTC ISO).
        updated_at: Last change (UTC ISO).
        size: Bytes uploaded.
        sha256: Digest of the upload.
        region_code: The region of the whole file, when given.
        valid_from: Start of validity of demand entries (ISO date; fixed at upload).
        partial: Import the valid rows even when other rows are invalid.
        base_version: The catalog version the report and diff were computed against.
        report: Counts, ``ok`` and the first entries of the validation report.
        diff: Table → ``{"added", "changed", "removed"}`` row counts.
        empty: Whether the file changes nothing.
        summary: The report, the scope and the difference as readable Chinese text.
        approved_by: Who approved it.
        approved_at: When (UTC ISO).
        progress: Percentage of the index build done (0–100; 100 once built).
        phase: What the background build is doing, in Chinese.
        previous_catalog_version: The catalog served before the update.
        previous_index_version: The index bundle served before the update.
        catalog_version: The catalog snapshot the import produced.
        index_version: The index bundle built for it.
        switch_seconds: Time from publishing the bundle to the service answering with it.
        error: Why the job was rejected or failed, in Chinese.
        error_detail: The technical cause of a failure (for the service log and support).
        finished_at: When the job ended (UTC ISO).
        history: Status changes: ``{"status", "at", "actor"}``.
    """

    job_id: str
    kind: str
    filename: str
    actor: str
    status: UpdateStatus = UpdateStatus.STAGED
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    size: int = 0
    sha256: str = ""
    region_code: str | None = None
    valid_from: str | None = None
    partial: bool = False
    base_version: str | None = None
    report: dict[str, Any] | None = None
    diff: dict[str, dict[str, int]] = field(default_factory=dict)
    empty: bool = False
    summary: str = ""
    approved_by: str | None = None
    approved_at: str | None = None
    progress: float = 0.0
    phase: str = ""
    previous_catalog_version: str | None = None
    previous_index_version: str | None = None
    catalog_version: str | None = None
    index_version: str | None = None
    switch_seconds: float | None = None
    error: str | None = None
    error_detail: str | None = None
    finished_at: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        """The status in Chinese."""
        return STATUS_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        """The kind of file in Chinese."""
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def finished(self) -> bool:
        """Whether nothing more will happen to the job."""
        return self.status in (
            UpdateStatus.REJECTED,
            UpdateStatus.DONE,
            UpdateStatus.FAILED,
            UpdateStatus.CANCELLED,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (with the Chinese labels)."""
        data = asdict(self)
        data["status"] = self.status.value
        data["status_label"] = self.status_label
        data["kind_label"] = self.kind_label
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UpdateJob:
        """Read a record written by :meth:`to_json` (unknown keys ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["status"] = UpdateStatus(values.get("status", UpdateStatus.STAGED))
        return cls(**values)


EventHook = Callable[[UpdateJob, str], None]
"""``on_event(job, event)``: called after each status change with a copy of the job; the event
is the new status (``staged``, ``validated``, ``rejected``, ``cancelled``, ``approved``,
``importing``, ``indexing``, ``switching``, ``done``, ``failed``)."""


# -- the manager ---------------------------------------------------------------------------------
class UpdateManager:
    """Stage, validate, approve and apply catalog updates while the service keeps answering.

    Plain Python, no HTTP: the admin routes call these methods (``stage`` and ``revalidate``
    plan the import synchronously, so call them from a worker thread) and map the
    :class:`UpdateError` family to status codes through :mod:`service.errors`.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        state: ServiceState | None = None,
        store: CatalogStore | None = None,
        bundles: BundleStore | None = None,
        encoder: Encoder | None = None,
        today: date | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        on_event: EventHook | None = None,
        recover: bool = True,
        outcomes: Callable[[], dict[str, Any] | None] | None = None,
        keep_versions: int | None = None,
    ) -> None:
        """Open the update area under ``data_dir`` and mark interrupted jobs failed.

        Args:
            data_dir: The service data directory; uploads go to ``<data_dir>/updates/``.
            state: The running service, switched to the new catalog after a build. Without
                one, an update only publishes the pointers (services watching them reload).
            store: The catalog store (default: the state's, else ``<data_dir>/catalog``).
            bundles: The bundle store (default: the state's, else ``<data_dir>/index``).
            encoder: The encoder of the index (default: the state's, else the bundled model).
            today: The day enrolment windows are indexed for (default: the day of the build).
            max_upload_bytes: Largest upload accepted.
            on_event: Called after each status change (e.g. to write the audit log).
            recover: Mark jobs left in progress by a killed process as failed and roll their
                catalog pointer back (when no other process is building).
            keep_versions: After a successful switch, delete index bundles and catalog
                snapshots beyond the newest this many (see :mod:`service.versions`);
                ``None`` keeps everything.
            outcomes: Gives the referral outcomes to freeze into each new bundle (see
                :mod:`service.outcomes_feed`); ``None`` builds without them.
        """
        base = Path(data_dir)
        self.root = base / UPDATES_DIR
        self.state = state
        self.store = store or (state.store if state else CatalogStore(base / "catalog"))
        self.bundles = bundles or (state.bundles if state else BundleStore(base / "index"))
        self.encoder = encoder or (state.encoder if state else Encoder())
        self.today = today
        self.max_upload_bytes = max_upload_bytes
        self.on_event = on_event
        self.outcomes = outcomes
        self.keep_versions = keep_versions
        self._lock = threading.RLock()
        self._active: UpdateJob | None = None
        self._thread: threading.Thread | None = None
        self._thread_job: str | None = None
        self._last_saved = 0.0
        self.root.mkdir(parents=True, exist_ok=True)
        if recover:
            self.recover()

    # -- queries -------------------------------------------------------------------------
    def get(self, job_id: str) -> UpdateJob:
        """A copy of one job.

        Raises:
            UpdateNotFound: When there is no such job.
        """
        with self._lock:
            if self._active is not None and self._active.job_id == job_id:
                return copy.deepcopy(self._active)
        return self._read(job_id)

    def list(self, *, limit: int | None = None) -> builtins.list[UpdateJob]:
        """Copies of the jobs, newest first.

        Args:
            limit: At most this many (default: all).
        """
        ids = sorted((p.name for p in self.root.iterdir() if _JOB_ID.match(p.name)), reverse=True)
        jobs: builtins.list[UpdateJob] = []
        for job_id in ids[:limit] if limit else ids:
            try:
                jobs.append(self.get(job_id))
            except UpdateNotFound:  # a folder without a readable record (being created)
                continue
        return jobs

    def running(self) -> UpdateJob | None:
        """The job being applied in this process, if any."""
        with self._lock:
            return copy.deepcopy(self._active) if self._active is not None else None

    # -- staging -------------------------------------------------------------------------
    def stage(
        self,
        kind: str,
        filename: str,
        data: bytes,
        actor: str,
        region_code: str | None = None,
        valid_from: date | str | None = None,
        *,
        partial: bool = False,
    ) -> UpdateJob:
        """Keep an uploaded file and validate it against the current catalog.

        Nothing is changed in the catalog. The job ends ``validated`` (it may be approved) or
        ``rejected`` (``error`` and ``report`` say why).

        Args:
            kind: ``demand`` (培训需求目录), ``institutions`` (培训机构名录) or ``courses``
                (补贴性培训项目目录).
            filename: The uploaded file's name; its extension selects the reader.
            data: The file's content.
            actor: Who uploads it.
            region_code: The region of the whole file when it has no region column.
            valid_from: Start of validity of demand entries (default: today).
            partial: Allow importing the valid rows when some rows are invalid.

        Returns:
            A copy of the job.

        Raises:
            UploadRejected: Unknown kind, unsupported file type, bad name or empty file.
            UploadTooLarge: The file is larger than ``max_upload_bytes``.
        """
        if kind not in KINDS:
            choices = "、".join(f"{k}（{KIND_LABELS[k]}）" for k in KINDS)
            raise UploadRejected(f"未知的文件类别“{kind}”，可选：{choices}")
        name = _safe_filename(filename)
        if not data:
            raise UploadRejected("上传的文件是空的")
        if len(data) > self.max_upload_bytes:
            raise UploadTooLarge(
                f"文件过大（{_megabytes(len(data))}），不能超过 {_megabytes(self.max_upload_bytes)}"
            )
        if valid_from is not None and kind != "demand":
            raise UploadRejected("只有培训需求目录可以指定有效期起（valid_from）")
        if kind == "demand":
            valid_from = _iso_day(valid_from) if valid_from is not None else date.today()
        job = UpdateJob(
            job_id=_new_job_id(),
            kind=kind,
            filename=name,
            actor=actor,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            region_code=region_code,
            valid_from=valid_from.isoformat() if isinstance(valid_from, date) else None,
            partial=partial,
        )
        job.history.append({"status": job.status.value, "at": job.created_at, "actor": actor})
        folder = self._folder(job.job_id)
        folder.mkdir(parents=True)
        _write_atomic(folder / name, data)
        self._save(job)
        logger.info("update %s: %s staged (%s, %d bytes)", job.job_id, name, kind, len(data))
        self._emit(job, UpdateStatus.STAGED.value)
        self._validate(job, actor)
        return copy.deepcopy(job)

    def revalidate(self, job_id: str, actor: str) -> UpdateJob:
        """Validate a staged, validated or rejected job again against the current catalog.

        Needed when the catalog changed since the upload (approve refuses a stale diff).

        Raises:
            UpdateNotFound: When there is no such job.
            UpdateConflict: When the job is past approval.
        """
        with self._transition(job_id) as job:
            if job.status not in CANCELLABLE:
                raise UpdateConflict(f"任务状态为“{job.status_label}”，不能重新校验")
        self._validate(job, actor)
        return copy.deepcopy(job)

    def cancel(self, job_id: str, actor: str = "") -> UpdateJob:
        """Cancel a job before approval (its files are kept for the record).

        Raises:
            UpdateNotFound: When there is no such job.
            UpdateConflict: When the job was already approved or has ended.
        """
        with self._transition(job_id) as job:
            if job.status not in CANCELLABLE:
                raise UpdateConflict(f"任务状态为“{job.status_label}”，只有尚未批准的任务可以取消")
            self._set_status(job, UpdateStatus.CANCELLED, actor)
        logger.info("update %s cancelled by %s", job_id, actor)
        self._emit(job, UpdateStatus.CANCELLED.value)
        return copy.deepcopy(job)

    # -- applying ------------------------------------------------------------------------
    def approve(self, job_id: str, actor: str) -> UpdateJob:
        """Start importing and indexing a validated job in the background.

        Follow it with :meth:`get` (status, ``progress``, ``phase``).

        Raises:
            UpdateNotFound: When there is no such job.
            UpdateBusy: When another update is being built (here or in another process).
            UpdateConflict: When the job is not ``validated`` or the catalog changed since it
                was validated (then :meth:`revalidate` it).
        """
        with self._transition(job_id) as job:
            if job.status is not UpdateStatus.VALIDATED:
                raise UpdateConflict(f"任务状态为“{job.status_label}”，只有校验通过的任务可以批准")
            lock = _try_lock(self.root / ".build.lock")
            if lock is None:
                raise UpdateBusy(self._busy_message())
            try:
                current = self.store.current_version()
                if current != job.base_version:
                    raise UpdateConflict(
                        f"目录已从校验时的版本 {job.base_version or '（空目录）'} 变为 {current}，"
                        "差异已过期，请重新校验后再批准"
                    )
                job.approved_by, job.approved_at = actor, _now()
                job.previous_catalog_version = current
                job.previous_index_version = self.bundles.current_version()
                job.progress, job.phase = 0.0, "等待导入"
                self._set_status(job, UpdateStatus.APPROVED, actor)
                with self._lock:
                    self._active = job
                thread = threading.Thread(
                    target=self._run, args=(job, lock), name=f"update-{job_id}", daemon=True
                )
                self._thread, self._thread_job = thread, job_id
            except BaseException:
                with self._lock:
                    self._active = None
                lock.close()
                raise
            snapshot = copy.deepcopy(job)
        logger.info("update %s approved by %s", job_id, actor)
        self._emit(snapshot, UpdateStatus.APPROVED.value)  # before the thread's own events
        thread.start()
        return snapshot

    def wait(self, timeout: float | None = None) -> UpdateJob | None:
        """Wait for the background update of this process to end (tests, command line).

        Returns:
            The job it ran, or ``None`` when none was started.
        """
        thread, job_id = self._thread, self._thread_job
        if thread is None or job_id is None:
            return None
        thread.join(timeout)
        return self.get(job_id)

    def _run(self, job: UpdateJob, lock: IO[bytes]) -> None:
        """The background update: import, index, switch; roll back on any failure."""
        try:
            self._step(job, UpdateStatus.IMPORTING, "正在导入目录")
            plan = self._import_plan(job)
            if plan.is_empty:
                job.catalog_version = job.previous_catalog_version
                job.index_version = job.previous_index_version
                job.progress, job.phase = 100.0, "内容与当前目录相同，无需更新"
                self._finish(job, UpdateStatus.DONE)
                return
            try:
                manifest = apply_import(self.store, plan)
            except CatalogError as exc:
                raise _StepFailed(f"导入失败：{exc}") from exc
            except (SnapshotError, OSError) as exc:
                raise _StepFailed("写入新的目录快照失败，当前目录保持不变") from exc
            job.catalog_version = manifest.version
            self._step(job, UpdateStatus.INDEXING, "正在准备构建索引")
            built = self._build_index(job)
            job.index_version = str(built["version"])
            job.progress = 100.0
            self._step(job, UpdateStatus.SWITCHING, "正在切换到新版本")
            self._switch(job)
            job.phase = "已切换到新版本"
            if self.keep_versions is not None:
                prune_old_versions(self.store, self.bundles, self.keep_versions)
            self._finish(job, UpdateStatus.DONE)
        except Exception as exc:
            if isinstance(exc, _StepFailed):
                message = str(exc)
            else:
                message = f"{STATUS_LABELS[job.status]}时出错，已恢复原版本（详见服务日志）"
            cause = exc.__cause__ or exc
            job.error = message
            if isinstance(exc, _StepFailed) and exc.detail:
                job.error_detail = exc.detail[:2000]
            else:
                job.error_detail = f"{type(cause).__name__}: {cause}"[:2000]
            logger.error("update %s failed: %s", job.job_id, job.error_detail, exc_info=exc)
            try:
                self._rollback(job)
            except Exception:
                logger.exception("update %s: rolling back failed", job.job_id)
                job.error += "；恢复原版本时也出错，请管理员检查目录与索引的当前版本"
            self._finish(job, UpdateStatus.FAILED)
        finally:
            with self._lock:
                self._active = None
            lock.close()

    def _import_plan(self, job: UpdateJob) -> ImportPlan:
        try:
            plan = self._plan(job)
        except CatalogError as exc:
            raise _StepFailed(f"文件无法读取：{exc}") from exc
        if plan.base_version != job.previous_catalog_version:
            raise _StepFailed(
                f"目录已从版本 {job.previous_catalog_version} 变为 {plan.base_version}，"
                "本次更新未执行，请重新校验"
            )
        if not plan.ok:
            raise _StepFailed("文件校验未通过，未导入任何内容")
        return plan

    def _build_index(self, job: UpdateJob) -> dict[str, Any]:
        assert job.catalog_version is not None

        def progress(fraction: float, phase: str) -> None:
            with self._lock:
                job.progress = max(job.progress, round(min(fraction, 1.0) * 100, 1))
                job.phase = phase
            if time.monotonic() - self._last_saved >= PROGRESS_SAVE_SECONDS:
                self._save(job)

        try:
            snapshot = self.store.load(job.catalog_version)
            with self._lock:
                job.phase = "载入编码模型"
            self.encoder.encode_one("预热")  # load the model first (seconds in a new process)
            observed = self.outcomes() if self.outcomes is not None else None
            return self.bundles.build(
                snapshot,
                self.encoder,
                today=self.today,
                publish=False,
                progress=progress,
                outcomes=observed,
            )
        except Exception as exc:
            raise _StepFailed(
                "构建索引失败，仍在使用原目录和原索引，当前目录版本保持不变（详见服务日志）"
            ) from exc

    def _switch(self, job: UpdateJob) -> None:
        assert job.index_version is not None
        started = time.perf_counter()
        try:
            self.bundles.switch(job.index_version)
        except (BundleError, OSError) as exc:
            raise _StepFailed("切换索引失败，仍在使用原版本") from exc
        if self.state is not None:
            self.state.reload_if_changed()
            served = (self.state.catalog_version, self.state.index_version)
            if served != (job.catalog_version, job.index_version):
                raise _StepFailed(
                    "新版本未能载入，已恢复原版本（详见服务日志）",
                    detail=f"serving {served}: {self.state.error or 'no load error'}",
                )
        else:
            manifest = self.bundles.read_manifest(job.index_version)
            if (
                self.bundles.current_version() != job.index_version
                or manifest.get("catalog_version") != job.catalog_version
            ):
                raise _StepFailed("索引指针未能切换到新版本，已恢复原版本")
        job.switch_seconds = round(time.perf_counter() - started, 3)

    def _rollback(self, job: UpdateJob) -> None:
        """Point catalog and index back at what was served before ``job``."""
        rollback_pointers(self.store, self.bundles, job)
        if self.state is not None:
            self.state.reload_if_changed()

    # -- recovery ------------------------------------------------------------------------
    def recover(self) -> builtins.list[str]:
        """Mark jobs left in progress by a killed process failed, rolling their pointers back.

        Does nothing while another process holds the build lock (it is building).

        Returns:
            The ids of the jobs marked failed.
        """
        lock = _try_lock(self.root / ".build.lock")
        if lock is None:
            return []
        marked: builtins.list[str] = []
        try:
            for job in self.list():
                if job.status not in RUNNING:
                    continue
                with self._transition(job.job_id) as fresh:
                    if fresh.status not in RUNNING:
                        continue
                    try:
                        rollback_pointers(self.store, self.bundles, fresh)
                    except Exception:
                        logger.exception("update %s: rolling back failed", fresh.job_id)
                    fresh.error = INTERRUPTED
                    fresh.finished_at = _now()
                    self._set_status(fresh, UpdateStatus.FAILED, "")
                logger.warning("update %s was interrupted by a restart", job.job_id)
                marked.append(job.job_id)
                self._emit(fresh, UpdateStatus.FAILED.value)
        finally:
            lock.close()
        return marked

    # -- internals -----------------------------------------------------------------------
    def _plan(self, job: UpdateJob) -> ImportPlan:
        kwargs: dict[str, Any] = {}
        if job.region_code:
            kwargs["region_code"] = job.region_code
        if job.valid_from:
            kwargs["valid_from"] = job.valid_from
        return plan_import(
            self.store,
            job.kind,
            self._folder(job.job_id) / job.filename,
            partial=job.partial,
            **kwargs,
        )

    def _validate(self, job: UpdateJob, actor: str) -> None:
        folder = self._folder(job.job_id)
        job.error_detail = None
        try:
            plan = self._plan(job)
        except CatalogError as exc:  # unreadable file, bad parameter (Chinese messages)
            job.error = str(exc)
            job.report, job.diff, job.summary, job.empty = None, {}, str(exc), False
            job.base_version = self.store.current_version()
            status = UpdateStatus.REJECTED
        except SnapshotError as exc:
            logger.error("update %s: current catalog unreadable: %s", job.job_id, exc)
            job.error = "当前目录无法读取，暂不能校验（详见服务日志）"
            job.error_detail = str(exc)
            status = UpdateStatus.REJECTED
        else:
            job.base_version = plan.base_version
            job.report = _report_summary(plan)
            job.diff = {name: d.counts() for name, d in plan.diffs.items()}
            job.empty = plan.is_empty
            text = plan.to_text()
            job.summary = text[:SUMMARY_CHARS]
            _write_atomic(
                folder / "report.json",
                json.dumps(plan.to_json(), ensure_ascii=False, indent=1, default=str).encode(),
            )
            _write_atomic(folder / "report.txt", text.encode())
            if plan.ok:
                job.error = None
                status = UpdateStatus.VALIDATED
            elif plan.report.file_errors or not plan.result.records:
                reasons = [e.reason for e in (plan.report.file_errors or plan.report.errors)[:5]]
                job.error = "文件无法导入：" + ("；".join(reasons) or "文件中没有可导入的记录")
                status = UpdateStatus.REJECTED
            else:
                job.error = (
                    f"文件有 {plan.report.rows_invalid} 行错误，未导入任何内容；"
                    "请修正后重新上传，或选择只导入有效的行"
                )
                status = UpdateStatus.REJECTED
        with self._transition(job.job_id) as current:
            if current.status is UpdateStatus.CANCELLED:  # cancelled while validating
                return
            self._set_status(job, status, actor)
        logger.info("update %s: %s", job.job_id, status.value)
        self._emit(job, status.value)

    def _step(self, job: UpdateJob, status: UpdateStatus, phase: str) -> None:
        with self._lock:
            job.phase = phase
            self._set_status(job, status, job.approved_by or "")
        self._emit(job, status.value)

    def _finish(self, job: UpdateJob, status: UpdateStatus) -> None:
        with self._lock:
            job.finished_at = _now()
            self._set_status(job, status, job.approved_by or "")
        logger.info(
            "update %s %s: catalog %s, index %s",
            job.job_id,
            status.value,
            job.catalog_version,
            job.index_version,
        )
        self._emit(job, status.value)

    def _set_status(self, job: UpdateJob, status: UpdateStatus, actor: str) -> None:
        job.status = status
        job.updated_at = _now()
        job.history.append({"status": status.value, "at": job.updated_at, "actor": actor})
        self._save(job)

    def _emit(self, job: UpdateJob, event: str) -> None:
        if self.on_event is None:
            return
        with self._lock:
            snapshot = copy.deepcopy(job)
        try:
            self.on_event(snapshot, event)
        except Exception:  # an audit hook must never break an update
            logger.exception("update %s: event hook failed for %s", job.job_id, event)

    def _busy_message(self) -> str:
        for other in self.list(limit=50):
            if other.status in RUNNING:
                return (
                    f"已有目录更新正在进行（任务 {other.job_id}，{other.filename}，"
                    f"{other.status_label} {other.progress:.0f}%），请等待其完成后再批准"
                )
        return UpdateBusy.message

    def _folder(self, job_id: str) -> Path:
        if not _JOB_ID.match(job_id):
            raise UpdateNotFound()
        return self.root / job_id

    def _read(self, job_id: str) -> UpdateJob:
        path = self._folder(job_id) / "job.json"
        try:
            return UpdateJob.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise UpdateNotFound() from None
        except (OSError, ValueError, TypeError) as exc:
            logger.error("unreadable update record %s: %s", path, exc)
            raise UpdateNotFound("该目录更新任务的记录无法读取") from exc

    def _save(self, job: UpdateJob) -> None:
        with self._lock:
            data = json.dumps(job.to_json(), ensure_ascii=False, indent=1).encode()
            self._last_saved = time.monotonic()
        _write_atomic(self._folder(job.job_id) / "job.json", data)

    @contextlib.contextmanager
    def _transition(self, job_id: str) -> Iterator[UpdateJob]:
        """Read-modify-write of a job record, exclusive across threads and processes."""
        folder = self._folder(job_id)
        if not folder.is_dir():
            raise UpdateNotFound()
        with self._lock, _locked(self.root / ".jobs.lock"):
            yield self._read(job_id)


def rollback_pointers(store: CatalogStore, bundles: BundleStore, job: UpdateJob) -> None:
    """Switch the catalog and bundle pointers back to the versions served before ``job``.

    Only pointers that still name what ``job`` produced are switched, so a later change by
    someone else is left alone.

    Args:
        store: The catalog store.
        bundles: The bundle store.
        job: The failed or interrupted job.
    """
    previous_index, previous_catalog = job.previous_index_version, job.previous_catalog_version
    if (
        job.index_version
        and job.index_version != previous_index
        and bundles.current_version() == job.index_version
        and previous_index
    ):
        bundles.switch(previous_index)
        logger.warning("index pointer rolled back to %s", previous_index)
    if (
        job.catalog_version
        and job.catalog_version != previous_catalog
        and store.current_version() == job.catalog_version
        and previous_catalog
    ):
        store.switch(previous_catalog)
        logger.warning("catalog pointer rolled back to %s", previous_catalog)


def _report_summary(plan: ImportPlan) -> dict[str, Any]:
    data = plan.report.to_json()
    entries = data.pop("entries")
    data["entries"] = entries[:REPORT_ENTRIES_KEPT]
    data["entries_total"] = len(entries)
    data["scope"] = list(plan.scope)
    data["kept"] = plan.kept
    return data


def _safe_filename(filename: str) -> str:
    """The last part of an uploaded name, without control or path characters.

    Raises:
        UploadRejected: For an empty name, a hidden file or an unsupported extension.
    """
    name = _UNSAFE_NAME.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    stem, dot, ext = name.rpartition(".")
    allowed = "、".join(e.lstrip(".").upper() for e in ALLOWED_EXTENSIONS)
    if not dot or not stem or name.startswith("."):
        raise UploadRejected(f"文件名无效：须带扩展名，支持 {allowed} 文件")
    suffix = "." + ext.lower()
    if suffix == ".xls":
        raise UploadRejected("不支持旧版 Excel（.xls），请另存为 .xlsx 或 .csv 后再上传")
    if suffix not in ALLOWED_EXTENSIONS:
        raise UploadRejected(f"不支持的文件类型“{suffix}”，请上传 {allowed} 文件")
    stem = stem[:120]
    if stem in ("job", "report"):  # the names of the job's own files
        stem = "upload-" + stem
    return stem + suffix


def _iso_day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UploadRejected(f"有效期起格式应为 YYYY-MM-DD：{value}") from None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _new_job_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(4)}"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _try_lock(path: Path) -> IO[bytes] | None:
    """An exclusive lock on ``path`` held until the returned file is closed, or ``None``."""
    fh = path.open("ab")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    return fh


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("ab") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield
