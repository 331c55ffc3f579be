"""What the running service holds: the catalog snapshot and the index bundle.

Both are loaded in the background and swapped together, only once both loaded.
"""

from __future__ import annotations

import gc
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from catalog.errors import CatalogError
from catalog.rules import DemandLookup, load_rules
from catalog.store import CatalogStore, Snapshot, SnapshotError
from indexing.bundle import Bundle, BundleError, BundleStore
from indexing.encoder import Encoder, ModelUnavailable
from service.matching.catalog_view import CatalogView
from service.matching.engine import Matcher

logger = logging.getLogger(__name__)


class Readiness(StrEnum):
    """Whether the service can answer."""

    STARTING = "starting"
    OK = "ok"
    FAILED = "failed"


@dataclass
class ServiceState:
    """The catalog snapshot and index bundle being served, and the state of loading them."""

    store: CatalogStore
    bundles: BundleStore
    encoder: Encoder
    snapshot: Snapshot | None = None
    bundle: Bundle | None = None
    matcher: Matcher | None = None
    loaded_at: datetime | None = None
    readiness: Readiness = Readiness.STARTING
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def catalog_version(self) -> str | None:
        """The version of the snapshot being served."""
        return self.snapshot.version if self.snapshot else None

    @property
    def index_version(self) -> str | None:
        """The version of the index bundle being served."""
        return self.bundle.version if self.bundle else None

    def load(self) -> None:
        """Load the current snapshot and bundle; on failure keep serving what was loaded."""
        try:
            snapshot = self.store.load()
            bundle = self.bundles.load(self.encoder)
            if bundle.manifest.get("catalog_version") != snapshot.version:
                logger.warning(
                    "index bundle %s was built for catalog %s, current catalog is %s; "
                    "serving the catalog the bundle was built for until the index is rebuilt",
                    bundle.version,
                    bundle.manifest.get("catalog_version"),
                    snapshot.version,
                )
                snapshot = self.store.load(bundle.manifest["catalog_version"])
            self.encoder.encode_one("预热")  # load the model before the first request
            bundle.occupations.rank("电焊工 预热")  # and the word segmenter's dictionary
            matcher = build_matcher(snapshot, bundle, self.encoder)
        except (SnapshotError, BundleError, ModelUnavailable, CatalogError) as exc:
            logger.error("not (re)loaded: %s", exc)
            with self._lock:
                self.error = str(exc)
                if self.snapshot is None:
                    self.readiness = Readiness.FAILED
            return
        with self._lock:
            self.snapshot, self.bundle, self.matcher = snapshot, bundle, matcher
            self.loaded_at = datetime.now(UTC)
            self.readiness = Readiness.OK
            self.error = None
        # The catalog, lookups and indexes are millions of long-lived objects: keep the cyclic
        # garbage collector from rescanning them on every full collection (pauses of 100+ ms).
        gc.collect()
        gc.freeze()
        logger.info("serving catalog %s with index %s", snapshot.version, bundle.version)

    def load_in_background(self) -> threading.Thread:
        """Start :meth:`load` on a daemon thread so the server answers while loading."""
        thread = threading.Thread(target=self.load, name="loader", daemon=True)
        thread.start()
        return thread


def build_matcher(snapshot: Snapshot, bundle: Bundle, encoder: Encoder) -> Matcher:
    """The matching engine over a snapshot and the bundle built from it."""
    return Matcher(
        bundle=bundle,
        view=CatalogView(snapshot),
        encoder=encoder,
        rules=load_rules(),
        demand=DemandLookup.from_table(snapshot["demand"]),
    )
