"""Versioned catalog snapshots on disk.

Layout under the store root::

    snapshots/<version>/demand.parquet, institutions.parquet, courses.parquet,
                        sessions.parquet, manifest.json
    CURRENT             the version being served (one line)

A snapshot is written into a hidden temporary directory and renamed into place, and
``CURRENT`` is replaced with :func:`os.replace`, so a reader sees either the old or the new
version, never a half-written one. Snapshots are immutable; older ones are kept until pruned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from catalog.schema import TABLES, conform, empty_table, key_tuples

logger = logging.getLogger(__name__)

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
FORMAT_VERSION = 1


class SnapshotError(RuntimeError):
    """A snapshot is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class Manifest:
    """What a snapshot is.

    Attributes:
        version: Version id, ``YYYYMMDDTHHMMSSZ-<hash8>``.
        content_hash: SHA-256 over the canonical content of all tables.
        created_at: UTC ISO timestamp.
        counts: Rows per table.
        source: Where the content came from ("demo", "import:<file>" …).
        demo: Whether this is generated demo data, not a published catalog.
        parent: The version this one was derived from, if any.
        note: Free text.
    """

    version: str
    content_hash: str
    created_at: str
    counts: dict[str, int]
    source: str
    demo: bool
    parent: str | None = None
    note: str = ""
    format_version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        """Read a manifest dict (unknown keys ignored)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Snapshot:
    """A loaded snapshot: its manifest and its four tables (memory-mapped Arrow tables)."""

    manifest: Manifest
    tables: dict[str, pa.Table] = field(repr=False)

    @property
    def version(self) -> str:
        """The version id."""
        return self.manifest.version

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]


def _canonical(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column whose bytes depend only on its values.

    Null slots of fixed-width columns are zero-filled: writers and readers leave arbitrary
    bytes there.
    """
    if column.null_count == 0:
        return column
    t = column.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        return column.fill_null(pa.scalar(0, type=t) if not pa.types.is_boolean(t) else False)
    if pa.types.is_date32(t):
        return column.cast(pa.int32()).fill_null(0)
    return column


def content_hash(tables: Mapping[str, pa.Table]) -> str:
    """SHA-256 over the canonical content of each table, in table order.

    Per column: its name, its validity (which rows are null) and its values, serialised as
    Arrow IPC with null slots made canonical, so the hash of a table read back from Parquet
    equals the hash of the table that was written.
    """
    digest = hashlib.sha256()
    for name in TABLE_NAMES:
        data = tables[name]
        digest.update(name.encode())
        digest.update(str(data.num_rows).encode())
        for col_name, column in zip(data.column_names, data.columns, strict=True):
            digest.update(col_name.encode())
            if column.null_count:
                digest.update(
                    pc.is_null(column).combine_chunks().to_numpy(zero_copy_only=False).tobytes()
                )
            single = pa.table({col_name: _canonical(column).combine_chunks()})
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, single.schema) as writer:
                writer.write_table(single)
            digest.update(sink.getvalue().to_pybytes())
    return digest.hexdigest()


class CatalogStore:
    """Read and write versioned snapshots under one root directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """Open (not create) a store at ``root``."""
        self.root = Path(root)
        self.snapshots_dir = self.root / "snapshots"
        self.current_file = self.root / "CURRENT"

    # -- reading -----------------------------------------------------------------------
    def current_version(self) -> str | None:
        """The version being served, or ``None`` for an empty store."""
        try:
            version = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return version or None

    def list_versions(self) -> list[Manifest]:
        """Manifests of all complete snapshots, oldest first."""
        out: list[Manifest] = []
        if not self.snapshots_dir.is_dir():
            return out
        for path in self.snapshots_dir.iterdir():
            if path.name.startswith(".") or not (path / "manifest.json").is_file():
                continue
            try:
                out.append(self.read_manifest(path.name))
            except SnapshotError as exc:
                logger.warning("skipping unreadable snapshot %s: %s", path.name, exc)
        return sorted(out, key=lambda m: (m.created_at, m.version))

    def read_manifest(self, version: str) -> Manifest:
        """The manifest of one snapshot.

        Raises:
            SnapshotError: When it is missing or unreadable.
        """
        path = self.snapshots_dir / version / "manifest.json"
        try:
            return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise SnapshotError(f"cannot read manifest of snapshot {version}: {exc}") from exc

    def load(self, version: str | None = None) -> Snapshot:
        """Load a snapshot (the current one by default), memory-mapped.

        Raises:
            SnapshotError: When there is no such snapshot or a table is unreadable.
        """
        version = version or self.current_version()
        if version is None:
            raise SnapshotError(f"no catalog snapshot in {self.root}; generate or import one")
        manifest = self.read_manifest(version)
        tables: dict[str, pa.Table] = {}
        for name in TABLE_NAMES:
            path = self.snapshots_dir / version / f"{name}.parquet"
            try:
                tables[name] = conform(name, pq.read_table(path, memory_map=True))
            except (OSError, ValueError, pa.ArrowException) as exc:
                raise SnapshotError(f"snapshot {version}: cannot read {name}: {exc}") from exc
            if tables[name].num_rows != manifest.counts.get(name):
                raise SnapshotError(f"snapshot {version}: {name} row count differs from manifest")
        return Snapshot(manifest, tables)

    # -- writing -----------------------------------------------------------------------
    def write(
        self,
        tables: Mapping[str, pa.Table],
        *,
        source: str,
        demo: bool = False,
        parent: str | None = None,
        note: str = "",
        make_current: bool = True,
    ) -> Manifest:
        """Write a new immutable snapshot and (by default) make it current.

        Tables not given are written empty. Duplicate keys are refused.

        Raises:
            SnapshotError: On duplicate keys or bad columns; nothing is changed then.
        """
        full: dict[str, pa.Table] = {}
        for name in TABLE_NAMES:
            data = tables.get(name)
            try:
                full[name] = empty_table(name) if data is None else conform(name, data)
            except (ValueError, pa.ArrowException) as exc:
                raise SnapshotError(str(exc)) from exc
            keys = key_tuples(name, full[name])
            if len(set(keys)) != len(keys):
                raise SnapshotError(f"table {name} has duplicate keys")
        digest = content_hash(full)
        now = datetime.now(UTC)
        version = f"{now:%Y%m%dT%H%M%S%f}Z-{digest[:8]}"
        manifest = Manifest(
            version=version,
            content_hash=digest,
            created_at=now.isoformat(timespec="microseconds"),
            counts={n: t.num_rows for n, t in full.items()},
            source=source,
            demo=demo,
            parent=parent,
            note=note,
        )
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.snapshots_dir))
        try:
            for name, data in full.items():
                pq.write_table(data, tmp / f"{name}.parquet", compression="zstd")
            (tmp / "manifest.json").write_text(
                json.dumps(manifest.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
            _fsync_dir(tmp)
            os.rename(tmp, self.snapshots_dir / version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _fsync_dir(self.snapshots_dir)
        logger.info("wrote catalog snapshot %s (%s)", version, manifest.counts)
        if make_current:
            self.switch(version)
        return manifest

    def switch(self, version: str) -> None:
        """Atomically make ``version`` the current snapshot.

        Raises:
            SnapshotError: When the snapshot does not exist.
        """
        self.read_manifest(version)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".CURRENT.{os.getpid()}.tmp"
        tmp.write_text(version + "\n", encoding="utf-8")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.current_file)
        _fsync_dir(self.root)
        logger.info("current catalog snapshot is now %s", version)

    def prune(self, keep: int = 5, *, protect: Collection[str] = ()) -> list[str]:
        """Delete all but the newest ``keep`` snapshots (never the current one).

        Args:
            keep: How many of the newest snapshots to keep.
            protect: Versions never deleted either (e.g. those kept index bundles were
                built from).

        Returns:
            The versions deleted.
        """
        current = self.current_version()
        versions = [m.version for m in self.list_versions()]
        old = versions[: max(len(versions) - keep, 0)]
        doomed = [v for v in old if v != current and v not in protect]
        for v in doomed:
            shutil.rmtree(self.snapshots_dir / v, ignore_errors=True)
        for stale in self.snapshots_dir.glob(".tmp-*") if self.snapshots_dir.is_dir() else ():
            shutil.rmtree(stale, ignore_errors=True)
        return doomed


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
