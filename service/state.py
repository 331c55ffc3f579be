"""What the running service holds: the loaded catalog snapshot, loaded in the background."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from enum import StrEnum

from catalog.store import CatalogStore, Snapshot, SnapshotError

logger = logging.getLogger(__name__)


class Readiness(StrEnum):
    """Whether the service can answer."""

    STARTING = "starting"
    OK = "ok"
    FAILED = "failed"


@dataclass
class ServiceState:
    """The catalog snapshot being served and the state of loading it."""

    store: CatalogStore
    snapshot: Snapshot | None = None
    readiness: Readiness = Readiness.STARTING
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def catalog_version(self) -> str | None:
        """The version of the snapshot being served."""
        return self.snapshot.version if self.snapshot else None

    @property
    def index_version(self) -> str | None:
        """The version of the index bundle being served (none before the index is built)."""
        return None

    def load(self) -> None:
        """Load the current snapshot; on failure keep what was served before."""
        try:
            snapshot = self.store.load()
        except SnapshotError as exc:
            logger.error("catalog not loaded: %s", exc)
            with self._lock:
                self.error = str(exc)
                if self.snapshot is None:
                    self.readiness = Readiness.FAILED
            return
        with self._lock:
            self.snapshot = snapshot
            self.readiness = Readiness.OK
            self.error = None
        logger.info("serving catalog %s", snapshot.version)

    def load_in_background(self) -> threading.Thread:
        """Start :meth:`load` on a daemon thread so the server answers while loading."""
        thread = threading.Thread(target=self.load, name="catalog-loader", daemon=True)
        thread.start()
        return thread
