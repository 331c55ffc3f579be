"""Index bundles: one immutable directory per build, published atomically.

Layout under the bundle root::

    bundles/<version>/manifest.json
                      courses/     dense/, lexical/, ids.json, meta/*.npy
                      occupations/ dense/, lexical/, occupations.json
    CURRENT           the version being served (one line)
    cache/            embeddings keyed by model id + text hash;
                      occupations/<key>/: the last occupation searcher built, keyed by
                      everything it is built from (it does not depend on the catalog)

A build writes into a hidden temporary directory, renames it into place and only then switches
``CURRENT`` with :func:`os.replace`, so a failed or killed build never touches the bundle
being served. The manifest records the model that encoded the vectors; loading a bundle with a
different query encoder is refused.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from catalog.reference.occupations import load_occupations
from catalog.store import Snapshot
from indexing.courses import CourseIndex
from indexing.encoder import EmbeddingCache, Encoder
from indexing.occupations import OccupationSearcher, inputs_fingerprint

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
LIBRARIES = ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "numpy", "jieba", "pyarrow")


ProgressCallback = Callable[[float, str], None]
"""Called during a build with the fraction done (0–1, never decreasing) and the phase label."""

PHASE_LABELS: dict[str, str] = {
    "encode": "编码课程文本",
    "lexical": "构建课程词法索引",
    "metadata": "计算课程筛选数据",
    "save": "写入课程索引",
    "occupations": "构建职业检索",
    "publish": "写入索引包",
}
"""Chinese labels of the build phases, as shown to an administrator."""


class _BuildProgress:
    """Maps the phases of a build to one fraction, weighted by their expected cost.

    The weights are rough seconds measured on a small machine (per course for the course
    phases, fixed for the occupation searcher, which does not depend on the catalog).
    """

    def __init__(self, callback: ProgressCallback, courses: int) -> None:
        weights = {
            "encode": 0.17e-3 * courses,
            "lexical": 0.11e-3 * courses,
            "metadata": 0.01e-3 * courses,
            "save": 0.01e-3 * courses + 0.05,
            "occupations": 5.0,
            "publish": 0.05,
        }
        total = sum(weights.values())
        self.callback = callback
        self.start: dict[str, float] = {}
        self.share: dict[str, float] = {}
        offset = 0.0
        for phase, weight in weights.items():
            self.start[phase] = offset / total
            self.share[phase] = weight / total
            offset += weight
        self.last = 0.0

    def __call__(self, phase: str, done: int = 0, total: int = 0) -> None:
        part = min(done / total, 1.0) if total else 0.0
        fraction = min(max(self.start[phase] + self.share[phase] * part, self.last), 1.0)
        self.last = fraction
        self.callback(fraction, PHASE_LABELS[phase])

    def finish(self) -> None:
        self.last = 1.0
        self.callback(1.0, PHASE_LABELS["publish"])


class BundleError(RuntimeError):
    """A bundle is missing, unreadable, or does not fit the configured model."""


class ModelMismatch(BundleError):
    """The bundle was built by another model than the one configured for queries."""


def _library_versions() -> dict[str, str]:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


@dataclass
class Bundle:
    """A loaded bundle."""

    manifest: dict[str, Any]
    path: Path
    courses: CourseIndex
    occupations: OccupationSearcher
    outcomes: dict[str, Any] | None = None

    @property
    def version(self) -> str:
        """The bundle version id."""
        return str(self.manifest["version"])


class BundleStore:
    """Build, publish and load index bundles under one root directory."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """Open (not create) a bundle store at ``root``."""
        self.root = Path(root)
        self.bundles_dir = self.root / "bundles"
        self.current_file = self.root / "CURRENT"
        self.cache_dir = self.root / "cache"

    def current_version(self) -> str | None:
        """The version being served, or ``None``."""
        try:
            text = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def read_manifest(self, version: str) -> dict[str, Any]:
        """The manifest of a bundle.

        Raises:
            BundleError: When missing or unreadable.
        """
        path = self.bundles_dir / version / "manifest.json"
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleError(f"cannot read bundle manifest {path}: {exc}") from exc
        return data

    def list_versions(self) -> list[dict[str, Any]]:
        """Manifests of complete bundles, oldest first."""
        if not self.bundles_dir.is_dir():
            return []
        out = []
        for p in self.bundles_dir.iterdir():
            if not p.name.startswith(".") and (p / "manifest.json").is_file():
                try:
                    out.append(self.read_manifest(p.name))
                except BundleError as exc:
                    logger.warning("skipping bundle %s: %s", p.name, exc)
        return sorted(out, key=lambda m: str(m.get("built_at", "")))

    def build(
        self,
        snapshot: Snapshot,
        encoder: Encoder,
        *,
        today: date | None = None,
        show_progress: bool = False,
        publish: bool = True,
        progress: ProgressCallback | None = None,
        outcomes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Build a bundle for a catalog snapshot and (by default) make it current.

        Args:
            snapshot: The catalog snapshot to index.
            encoder: The encoder of the dense channels.
            today: The day enrolment windows are computed for (default: today).
            show_progress: Show progress bars (command line).
            publish: Make the bundle current once written.
            progress: Called with (fraction done, Chinese phase label) as the build
                advances; the fraction never decreases and reaches 1.0 once the bundle is
                written (before it is published).
            outcomes: Referral outcome statistics observed by the service (per course and per
                institution, with a minimum sample), frozen into the bundle so that ranking
                uses them from this build on.

        Returns:
            The manifest.
        """
        started = time.time()
        today = today or date.today()
        step = _BuildProgress(progress, snapshot["courses"].num_rows) if progress else None
        self.bundles_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=self.bundles_dir))
        try:
            leaves = load_occupations().leaves()
            user_words = [o.name for o in leaves] + [a for o in leaves for a in o.aliases]
            cache = EmbeddingCache(self.cache_dir, encoder.model_id)
            courses, stats = CourseIndex.build(
                snapshot["courses"],
                snapshot["sessions"],
                encoder,
                today=today,
                cache=cache,
                show_progress=show_progress,
                user_words=user_words,
                progress=step,
            )
            if step:
                step("save")
            courses.save(tmp / "courses")
            if step:
                step("occupations")
            occupations = self._occupations(encoder, tmp / "occupations", show_progress)
            if step:
                step("publish")
            built_at = datetime.now(UTC)
            version = f"{built_at:%Y%m%dT%H%M%S%f}Z-{snapshot.manifest.content_hash[:8]}"
            manifest = {
                "version": version,
                "format_version": FORMAT_VERSION,
                "built_at": built_at.isoformat(),
                "build_seconds": round(time.time() - started, 2),
                "model_id": encoder.model_id,
                "model": encoder.model,
                "dim": encoder.dim,
                "occupation_classifier": (
                    occupations.classifier.fingerprint() if occupations.classifier else None
                ),
                "catalog_version": snapshot.version,
                "catalog_hash": snapshot.manifest.content_hash,
                "catalog_demo": snapshot.manifest.demo,
                "metadata_day": today.isoformat(),
                "counts": {
                    "courses": courses.count(),
                    "occupations": len(occupations.lexical_codes),
                    "occupation_rows_dense": len(occupations.dense_codes),
                },
                "course_index": stats,
                "libraries": _library_versions(),
            }
            if outcomes is not None:
                (tmp / "outcomes.json").write_text(
                    json.dumps(outcomes, ensure_ascii=False), encoding="utf-8"
                )
                manifest["outcomes"] = {
                    "generated_at": outcomes.get("generated_at"),
                    "min_sample": outcomes.get("min_sample"),
                    "courses": len(outcomes.get("courses", [])),
                    "institutions": len(outcomes.get("institutions", [])),
                }
            (tmp / "manifest.json").write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            os.rename(tmp, self.bundles_dir / version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if step:
            step.finish()
        logger.info("built index bundle %s in %.1f s", version, manifest["build_seconds"])
        if publish:
            self.switch(version)
        return manifest

    def _occupations(
        self, encoder: Encoder, target: Path, show_progress: bool
    ) -> OccupationSearcher:
        """The occupation searcher, written to ``target``, from the cache when possible.

        It is copied from the cache when it was built before from the same inputs (model,
        classifier, written data, code, libraries), else built and cached; a catalog update
        then skips rebuilding it. The cache is only an optimisation: an unreadable entry is
        rebuilt, and a failure to store one is only logged.
        """
        key = inputs_fingerprint(encoder)
        cache_root = self.cache_dir / "occupations"
        cached = cache_root / key
        if (cached / "occupations.json").is_file():
            try:
                shutil.copytree(cached, target)
                searcher = OccupationSearcher.load(target, encoder)
                logger.info("occupation searcher reused from cache %s", key)
                return searcher
            except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
                logger.warning("occupation cache %s unusable (%s); rebuilding it", key, exc)
                shutil.rmtree(target, ignore_errors=True)
                shutil.rmtree(cached, ignore_errors=True)
        searcher = OccupationSearcher.build(encoder, show_progress=show_progress)
        searcher.save(target)
        staging: Path | None = None
        try:
            cache_root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".occupations-", dir=cache_root))
            shutil.copytree(target, staging, dirs_exist_ok=True)
            os.rename(staging, cached)
            for old in cache_root.iterdir():  # keep only the newest inputs
                if old.name != key and not old.name.startswith("."):
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:
            logger.warning("occupation searcher not cached (%s)", exc)
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
        return searcher

    def switch(self, version: str) -> None:
        """Atomically make ``version`` the bundle served."""
        self.read_manifest(version)
        tmp = self.root / f".CURRENT.{os.getpid()}.tmp"
        tmp.write_text(version + "\n", encoding="utf-8")
        os.replace(tmp, self.current_file)

    def load(self, encoder: Encoder, version: str | None = None) -> Bundle:
        """Load a bundle (the current one by default), memory-mapped.

        Raises:
            BundleError: When there is none or it is unreadable.
            ModelMismatch: When it was built by another model than ``encoder``'s.
        """
        version = version or self.current_version()
        if version is None:
            raise BundleError(f"no index bundle in {self.root}; build one with `skillmatch index`")
        manifest = self.read_manifest(version)
        if manifest.get("model_id") != encoder.model_id:
            raise ModelMismatch(
                f"bundle {version} was built with model {manifest.get('model_id')!r} but the "
                f"service is configured with {encoder.model_id!r}; rebuild the index "
                "(`skillmatch index`) or configure the same model"
            )
        path = self.bundles_dir / version
        try:
            courses = CourseIndex.load(path / "courses")
            occupations = OccupationSearcher.load(path / "occupations", encoder)
            outcomes_file = path / "outcomes.json"
            outcomes = (
                json.loads(outcomes_file.read_text(encoding="utf-8"))
                if outcomes_file.is_file()
                else None
            )
        except (OSError, ValueError, KeyError) as exc:
            raise BundleError(f"cannot load bundle {version}: {exc}") from exc
        return Bundle(manifest, path, courses, occupations, outcomes)

    def prune(self, keep: int = 3) -> list[str]:
        """Delete old bundles (never the current one) and leftovers of killed builds."""
        current = self.current_version()
        versions = [str(m["version"]) for m in self.list_versions()]
        doomed = [v for v in versions[: max(len(versions) - keep, 0)] if v != current]
        for v in doomed:
            shutil.rmtree(self.bundles_dir / v, ignore_errors=True)
        if self.bundles_dir.is_dir():
            # Leftovers of killed builds; a build younger than an hour may still be running.
            for stale in self.bundles_dir.glob(".build-*"):
                if time.time() - stale.stat().st_mtime > 3600:
                    shutil.rmtree(stale, ignore_errors=True)
        return doomed
