"""What the running service holds: the catalog snapshot and the index bundle.

Both are loaded in the background and swapped together, only once both loaded. A catalog
update published by another process (``skillmatch import`` + ``skillmatch index``, another
worker, the update manager) is picked up by :meth:`ServiceState.watch`, which polls the index
bundle's ``CURRENT`` pointer and reloads when it changes; the old catalog and index keep
answering until the new ones are loaded.
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
from indexing.ann.exact import serve_single_threaded
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
    reload_interval: float | None = None
    """Seconds between two checks of the bundle pointer once loaded (``None``: no checks)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _load_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _watcher: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def catalog_version(self) -> str | None:
        """The version of the snapshot being served."""
        return self.snapshot.version if self.snapshot else None

    @property
    def index_version(self) -> str | None:
        """The version of the index bundle being served."""
        return self.bundle.version if self.bundle else None

    def load(self) -> None:
        """Load the current snapshot and bundle; on failure keep serving what was loaded.

        Loads are serialised. With ``reload_interval`` set, the first load starts
        :meth:`watch`, also when it failed: a bundle published later is then picked up.
        """
        serve_single_threaded()
        with self._load_lock:
            self._load()
        if self.reload_interval:
            self.watch(self.reload_interval)

    def _load(self) -> None:
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
        # On a reload the previous catalog's frozen objects are freed by reference counting
        # once unreferenced (measured: the frozen count does not grow from reload to reload).
        gc.collect()
        gc.freeze()
        logger.info("serving catalog %s with index %s", snapshot.version, bundle.version)

    def reload_if_changed(self) -> bool:
        """Reload when the bundle ``CURRENT`` pointer names another bundle than the one served.

        What is served follows the index bundle (with the catalog it was built for), so only
        the bundle pointer is compared. A failed reload keeps serving what was loaded.

        Returns:
            Whether a reload was attempted.
        """
        with self._load_lock:
            pointer = self.bundles.current_version()
            if pointer is None or pointer == self.index_version:
                return False
            logger.info("bundle pointer is %s, serving %s: reloading", pointer, self.index_version)
            self._load()
            return True

    def watch(self, interval: float) -> threading.Thread:
        """Poll the bundle pointer every ``interval`` seconds on a daemon thread and reload.

        Idempotent: a second call returns the running watcher. Stop it with
        :meth:`stop_watching`.

        Args:
            interval: Seconds between two checks (a check reads one small file).

        Returns:
            The watcher thread.
        """
        with self._lock:
            if self._watcher is not None and self._watcher.is_alive():
                return self._watcher
            self._stop.clear()
            self._watcher = threading.Thread(
                target=self._watch, args=(interval,), name="catalog-watcher", daemon=True
            )
            self._watcher.start()
            return self._watcher

    def stop_watching(self) -> None:
        """Stop the watcher started by :meth:`watch` (waits for a reload in progress)."""
        self._stop.set()
        watcher = self._watcher
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join()

    def _watch(self, interval: float) -> None:
        last_seen = self.index_version
        while not self._stop.wait(interval):
            try:
                pointer = self.bundles.current_version()
                if pointer == last_seen or self.readiness is Readiness.STARTING:
                    continue
                last_seen = pointer  # a bundle that failed to load is not retried every tick
                self.reload_if_changed()
            except Exception:  # the watcher must survive anything: it is the only one
                logger.exception("checking for a new catalog failed")

    def load_in_background(self) -> threading.Thread:
        """Start :meth:`load` on a daemon thread so the server answers while loading."""
        thread = threading.Thread(target=self.load, name="loader", daemon=True)
        thread.start()
        return thread


def build_matcher(snapshot: Snapshot, bundle: Bundle, encoder: Encoder) -> Matcher:
    """The matching engine over a snapshot and the bundle built from it."""
    return Matcher(
        bundle=bundle,
        view=CatalogView(snapshot, bundle.outcomes),
        encoder=encoder,
        rules=load_rules(),
        demand=DemandLookup.from_table(snapshot["demand"]),
    )
