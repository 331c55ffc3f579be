import json
import os
from datetime import date

import pyarrow as pa
import pytest

from catalog.diff import diff_tables
from catalog.models import DemandEntry
from catalog.schema import records_to_table, table_to_records
from catalog.store import CatalogStore, SnapshotError, content_hash


def entries(*subsidies):
    return [
        DemandEntry(
            region_code="440300",
            occupation_code=code,
            tier="short",
            subsidy_l5=amount,
            valid_from=date(2026, 1, 1),
        )
        for code, amount in subsidies
    ]


def demand_table(*subsidies):
    return records_to_table("demand", entries(*subsidies))


def test_empty_store(tmp_path):
    store = CatalogStore(tmp_path)
    assert store.current_version() is None
    assert store.list_versions() == []
    with pytest.raises(SnapshotError, match="no catalog snapshot"):
        store.load()


def test_write_load_roundtrip_and_versions(tmp_path):
    store = CatalogStore(tmp_path)
    m1 = store.write({"demand": demand_table(("6-18-02-04", 700))}, source="test")
    assert store.current_version() == m1.version
    snap = store.load()
    assert snap.manifest == m1
    assert table_to_records("demand", snap["demand"]) == entries(("6-18-02-04", 700))
    assert snap["courses"].num_rows == 0
    m2 = store.write(
        {"demand": demand_table(("6-18-02-04", 800))}, source="test", parent=m1.version
    )
    assert store.current_version() == m2.version
    assert [m.version for m in store.list_versions()] == [m1.version, m2.version]
    assert store.load(m1.version)["demand"]["subsidy_l5"][0].as_py() == 700  # kept
    store.switch(m1.version)  # roll back
    assert store.load()["demand"]["subsidy_l5"][0].as_py() == 700
    assert m1.content_hash != m2.content_hash
    assert m1.version.endswith(m1.content_hash[:8])


def test_content_hash_is_deterministic():
    a = {"demand": demand_table(("6-18-02-04", 700))}
    from catalog.schema import empty_table

    for name in ("institutions", "courses", "sessions"):
        a[name] = empty_table(name)
    b = dict(a, demand=demand_table(("6-18-02-04", 700)))
    assert content_hash(a) == content_hash(b)
    c = dict(a, demand=demand_table(("6-18-02-04", 701)))
    assert content_hash(a) != content_hash(c)


def test_duplicate_keys_refused_and_nothing_changed(tmp_path):
    store = CatalogStore(tmp_path)
    m1 = store.write({"demand": demand_table(("6-18-02-04", 700))}, source="test")
    dup = pa.concat_tables([demand_table(("6-18-02-04", 700))] * 2)
    with pytest.raises(SnapshotError, match="duplicate"):
        store.write({"demand": dup}, source="test")
    assert store.current_version() == m1.version
    assert len(store.list_versions()) == 1


def test_bad_table_refused(tmp_path):
    store = CatalogStore(tmp_path)
    with pytest.raises(SnapshotError, match="lacks columns"):
        store.write({"demand": pa.table({"region_code": ["440300"]})}, source="test")
    assert store.current_version() is None


def test_failed_write_leaves_current_untouched(tmp_path, monkeypatch):
    store = CatalogStore(tmp_path)
    m1 = store.write({"demand": demand_table(("6-18-02-04", 700))}, source="test")
    import catalog.store as mod

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(mod.pq, "write_table", boom)
    with pytest.raises(OSError):
        store.write({"demand": demand_table(("6-18-02-04", 900))}, source="test")
    assert store.current_version() == m1.version
    assert [m.version for m in store.list_versions()] == [m1.version]
    assert not [p for p in store.snapshots_dir.iterdir() if p.name.startswith(".tmp")]
    assert store.load()["demand"]["subsidy_l5"][0].as_py() == 700


def test_corrupt_snapshot_detected(tmp_path):
    store = CatalogStore(tmp_path)
    m1 = store.write({"demand": demand_table(("6-18-02-04", 700))}, source="test")
    (store.snapshots_dir / m1.version / "demand.parquet").write_bytes(b"not parquet")
    with pytest.raises(SnapshotError, match="cannot read demand"):
        store.load()
    manifest = store.snapshots_dir / m1.version / "manifest.json"
    manifest.write_text("{", encoding="utf-8")
    with pytest.raises(SnapshotError, match="cannot read manifest"):
        store.load()


def test_switch_to_unknown_version_refused(tmp_path):
    store = CatalogStore(tmp_path)
    m1 = store.write({"demand": demand_table(("6-18-02-04", 700))}, source="test")
    with pytest.raises(SnapshotError):
        store.switch("nope")
    assert store.current_version() == m1.version


def test_prune_keeps_current(tmp_path):
    store = CatalogStore(tmp_path)
    versions = [
        store.write({"demand": demand_table(("6-18-02-04", 700 + i))}, source="t").version
        for i in range(4)
    ]
    store.switch(versions[0])
    deleted = store.prune(keep=2)
    assert deleted == [versions[1]]
    left = {m.version for m in store.list_versions()}
    assert left == {versions[0], versions[2], versions[3]}
    assert json.loads((store.snapshots_dir / versions[0] / "manifest.json").read_text())
    assert os.path.exists(store.current_file)


def test_diff_tables():
    old = demand_table(("6-18-02-04", 700), ("6-31-01-03", 800))
    new = demand_table(("6-18-02-04", 750), ("4-10-01-05", 900))
    d = diff_tables("demand", old, new)
    assert d.counts() == {"added": 1, "changed": 1, "removed": 1}
    assert d.added[0][1] == "4-10-01-05"
    assert d.removed[0][1] == "6-31-01-03"
    key, cols = d.changed[0]
    assert key[1] == "6-18-02-04" and cols == {"subsidy_l5": (700, 750)}
    text = d.to_text()
    assert "新增 1 条，修改 1 条，删除 1 条" in text and "700 → 750" in text
    assert diff_tables("demand", old, old).is_empty
    assert d.to_json()["changed_rows"][0]["columns"]["subsidy_l5"] == ["700", "750"]


def test_hash_stable_through_parquet_with_nulls(tmp_path):
    # Null slots hold arbitrary bytes after a Parquet round trip; the hash must not see them.
    from datetime import date as d

    rows = [
        DemandEntry(
            region_code="440300",
            occupation_code="6-18-02-04",
            tier="short",
            subsidy_l5=700,
            subsidy_l1=None,
            valid_from=d(2026, 1, 1),
            valid_to=None,
        ),
        DemandEntry(
            region_code="440300",
            occupation_code="6-31-01-03",
            tier="general",
            subsidy_l4=1000,
            valid_from=d(2026, 1, 1),
            valid_to=d(2026, 12, 31),
        ),
    ]
    store = CatalogStore(tmp_path)
    manifest = store.write({"demand": records_to_table("demand", rows)}, source="t")
    assert content_hash(store.load().tables) == manifest.content_hash
