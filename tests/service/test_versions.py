"""Old catalog snapshots and index bundles are deleted after builds, never the ones in use."""

from __future__ import annotations

import pytest

from catalog.store import CatalogStore
from indexing.bundle import BundleStore
from indexing.encoder import Encoder
from service.updates import UpdateManager, UpdateStatus
from service.versions import prune_old_versions
from tests.conftest import TODAY
from tests.service.test_updates import GOOD, wait_until_finished


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def _new_version(store: CatalogStore, bundles: BundleStore, encoder: Encoder) -> str:
    snapshot = store.load()
    tables = {name: snapshot[name] for name in ("demand", "institutions", "courses", "sessions")}
    store.write(tables, source="test", parent=snapshot.version)
    return str(bundles.build(store.load(), encoder, today=TODAY)["version"])


def test_only_the_newest_versions_stay_and_the_current_ones_always(demo_env_copy, encoder):
    store = CatalogStore(demo_env_copy.data_dir / "catalog")
    bundles = BundleStore(demo_env_copy.data_dir / "index")
    for _ in range(2):
        newest = _new_version(store, bundles, encoder)
    assert len(bundles.list_versions()) == 3 and len(store.list_versions()) == 3

    pruned = prune_old_versions(store, bundles, keep=2)

    kept = [m["version"] for m in bundles.list_versions()]
    assert len(kept) == 2 and kept[-1] == newest == bundles.current_version()
    assert demo_env_copy.index_version in pruned.bundles
    assert not (bundles.bundles_dir / demo_env_copy.index_version).exists()
    snapshots = {m.version for m in store.list_versions()}
    assert {m["catalog_version"] for m in bundles.list_versions()} <= snapshots
    assert store.current_version() in snapshots and len(snapshots) == 2
    assert demo_env_copy.catalog_version in pruned.snapshots
    assert bundles.load(encoder).version == newest  # what is served still loads


def test_a_snapshot_a_kept_bundle_was_built_from_is_not_deleted(demo_env_copy, encoder):
    store = CatalogStore(demo_env_copy.data_dir / "catalog")
    bundles = BundleStore(demo_env_copy.data_dir / "index")
    # Three new snapshots, but only one new bundle: the old bundle's snapshot is then not
    # among the newest two snapshots, yet the old bundle is kept (keep=2) and needs it.
    for _ in range(3):
        snapshot = store.load()
        tables = {n: snapshot[n] for n in ("demand", "institutions", "courses", "sessions")}
        store.write(tables, source="test", parent=snapshot.version)
    bundles.build(store.load(), encoder, today=TODAY)

    pruned = prune_old_versions(store, bundles, keep=2)

    assert pruned.bundles == []
    snapshots = {m.version for m in store.list_versions()}
    assert demo_env_copy.catalog_version in snapshots
    assert len(snapshots) == 3


def test_keep_must_leave_the_previous_version_for_workers_not_yet_switched(demo_env_copy):
    store = CatalogStore(demo_env_copy.data_dir / "catalog")
    bundles = BundleStore(demo_env_copy.data_dir / "index")
    with pytest.raises(ValueError):
        prune_old_versions(store, bundles, keep=1)


def test_an_update_prunes_after_switching(demo_env_copy, encoder):
    store = CatalogStore(demo_env_copy.data_dir / "catalog")
    bundles = BundleStore(demo_env_copy.data_dir / "index")
    _new_version(store, bundles, encoder)
    assert len(bundles.list_versions()) == 2
    manager = UpdateManager(demo_env_copy.data_dir, encoder=encoder, today=TODAY, keep_versions=2)
    job = manager.stage("demand", "深圳.csv", GOOD, actor="admin")
    manager.approve(job.job_id, actor="supervisor")
    wait_until_finished(manager, job.job_id)
    done = manager.get(job.job_id)
    assert done.status is UpdateStatus.DONE, (done.error, done.error_detail)
    kept = [m["version"] for m in bundles.list_versions()]
    assert len(kept) == 2 and kept[-1] == done.index_version == bundles.current_version()
