"""Old catalog snapshots and index bundles are deleted after each build.

Every update (and every ``skillmatch index``) writes a new snapshot and a new bundle; a bundle
of 100,000 courses takes about 160 MB, so without pruning the disk fills up over months of
daily updates. After a build is published, only the newest ``keep`` bundles stay (the current
one always), and the snapshots that they were built from or that are among the newest ``keep``.
``keep`` is at least 2, so a worker process that has not yet switched to the new bundle
(it polls every ``catalog_reload_seconds``) still finds the one it serves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from catalog.store import CatalogStore
from indexing.bundle import BundleStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    """What was deleted."""

    bundles: list[str]
    snapshots: list[str]


def prune_old_versions(store: CatalogStore, bundles: BundleStore, keep: int) -> Pruned:
    """Delete index bundles and catalog snapshots beyond the newest ``keep``.

    Never raises: a failure to delete is logged and the service goes on (the next build tries
    again).
    """
    if keep < 2:
        raise ValueError("keep must be at least 2")
    try:
        deleted_bundles = bundles.prune(keep)
        needed = {str(m.get("catalog_version")) for m in bundles.list_versions()}
        deleted_snapshots = store.prune(keep, protect=needed)
    except OSError as exc:
        logger.warning("could not delete old versions: %s", exc)
        return Pruned([], [])
    if deleted_bundles or deleted_snapshots:
        logger.info(
            "deleted %d old index bundle(s) and %d old catalog snapshot(s)",
            len(deleted_bundles),
            len(deleted_snapshots),
        )
    return Pruned(deleted_bundles, deleted_snapshots)
