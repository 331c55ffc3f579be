"""Index bundles: round trip, atomic publication, model check, filters inside the search."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date

import numpy as np
import pytest

from catalog.models import Group
from catalog.store import CatalogStore
from indexing.bundle import BundleStore, ModelMismatch
from indexing.courses import CourseFilter
from indexing.encoder import Encoder
from tests.conftest import TODAY


@pytest.fixture(scope="module")
def encoder():
    return Encoder()


@pytest.fixture(scope="module")
def bundle(demo_env, encoder):
    return BundleStore(demo_env.data_dir / "index").load(encoder)


@pytest.fixture(scope="module")
def snapshot(demo_env):
    return CatalogStore(demo_env.data_dir / "catalog").load()


def test_manifest_records_what_built_it(demo_env, bundle, encoder, snapshot):
    m = bundle.manifest
    assert m["version"] == demo_env.index_version
    assert m["model_id"] == encoder.model_id and m["dim"] == encoder.dim
    assert m["catalog_version"] == snapshot.version
    assert m["catalog_hash"] == snapshot.manifest.content_hash
    assert m["counts"]["courses"] == snapshot["courses"].num_rows
    assert m["counts"]["occupations"] >= 1600
    assert {"faiss-cpu", "bm25s", "sentence-transformers"} <= set(m["libraries"])
    assert m["built_at"] and m["build_seconds"] > 0


def test_round_trip_equals_fresh_build(tmp_path, snapshot, encoder, bundle):
    store = BundleStore(tmp_path / "index")
    store.build(snapshot, encoder, today=TODAY)
    again = store.load(encoder)
    assert again.courses.course_ids == bundle.courses.course_ids
    for text in ("电焊", "想学养老护理", "会开叉车", "直播带货"):
        q = encoder.encode_one(text)
        assert again.courses.search(text=text, query_vector=q, k=20) == bundle.courses.search(
            text=text, query_vector=q, k=20
        )
        assert [h.code for h in again.occupations.rank(text)] == [
            h.code for h in bundle.occupations.rank(text)
        ]
    for name, arr in bundle.courses.meta.items():
        np.testing.assert_array_equal(np.asarray(arr), np.asarray(again.courses.meta[name]))


def test_embedding_cache_skips_unchanged_texts(tmp_path, snapshot, encoder):
    store = BundleStore(tmp_path / "index")
    first = store.build(snapshot, encoder, today=TODAY)
    second = store.build(snapshot, encoder, today=TODAY)
    assert first["course_index"]["encoded"] > 0
    assert second["course_index"]["encoded"] == 0
    assert second["course_index"]["cached"] == snapshot["courses"].num_rows
    a = store.load(encoder, first["version"]).courses.dense
    b = store.load(encoder, second["version"]).courses.dense
    np.testing.assert_array_equal(a.vectors(), b.vectors())


def test_failed_build_leaves_current_bundle(demo_env_copy, snapshot, encoder, monkeypatch):
    store = BundleStore(demo_env_copy.data_dir / "index")
    import indexing.bundle as mod

    def boom(*args, **kwargs):
        raise RuntimeError("encoder crashed")

    monkeypatch.setattr(mod.BundleStore, "_occupations", boom)
    with pytest.raises(RuntimeError):
        store.build(snapshot, encoder, today=TODAY)
    assert store.current_version() == demo_env_copy.index_version
    assert not list(store.bundles_dir.glob(".build-*"))
    assert store.load(encoder).version == demo_env_copy.index_version


BUILD_SCRIPT = """
import sys
from datetime import date
from catalog.store import CatalogStore
from indexing.bundle import BundleStore
from indexing.encoder import Encoder
root = sys.argv[1]
BundleStore(root + "/index").build(CatalogStore(root + "/catalog").load(), Encoder(),
                                   today=date(2026, 11, 27))
"""


def test_killed_build_leaves_previous_bundle_served(demo_env_copy, encoder):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.config import Settings

    data = demo_env_copy.data_dir
    store = BundleStore(data / "index")
    # Without a cached occupation searcher the build spends seconds after it starts writing,
    # so it is reliably killed midway.
    shutil.rmtree(store.cache_dir / "occupations", ignore_errors=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", BUILD_SCRIPT, str(data)],
        cwd=os.getcwd(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(store.bundles_dir.glob(".build-*/*")):
            assert proc.poll() is None, "build finished before it could be killed"
            time.sleep(0.05)
        assert list(store.bundles_dir.glob(".build-*/*")), "build never started writing"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert store.current_version() == demo_env_copy.index_version
    assert [m["version"] for m in store.list_versions()] == [demo_env_copy.index_version]
    app = create_app(Settings(data_dir=data), load_in_background=False)
    with TestClient(app) as client:
        body = client.get("/api/v1/health").json()
    assert body["status"] == "ok"
    assert body["index_version"] == demo_env_copy.index_version


def test_bundle_from_other_model_refused(tmp_path, demo_env):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    base = Encoder()._load()
    tokenizer = base[0].tokenizer
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((tokenizer.get_vocab_size(), 8)).astype(np.float32)
    other = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)])
    other.save(str(tmp_path / "other"))
    with pytest.raises(ModelMismatch, match="rebuild the index"):
        BundleStore(demo_env.data_dir / "index").load(Encoder(str(tmp_path / "other")))


def test_filters_hold_for_every_result(bundle, snapshot, encoder):
    courses = snapshot["courses"].to_pylist()
    sessions = snapshot["sessions"].to_pylist()
    by_course: dict[str, list[dict]] = {}
    for s in sessions:
        by_course.setdefault(s["course_id"], []).append(s)
    rng = np.random.default_rng(3)
    regions = sorted({c["region_code"] for c in courses})
    for i in range(40):
        region = regions[int(rng.integers(len(regions)))]
        flt = CourseFilter(
            regions=(region[:4] + "00",),
            include_online=bool(i % 2),
            open_on=TODAY,
            group=list(Group)[i % len(Group)].value,
            age=int(rng.integers(16, 70)),
        )
        mask = bundle.courses.mask(flt)
        text = ["电焊", "养老护理", "电商直播", "叉车", "会计"][i % 5]
        found = bundle.courses.search(
            text=text, query_vector=encoder.encode_one(text), k=30, mask=mask
        )
        for row, _ in found:
            c = courses[row]
            online = c["mode"] == "online"
            assert c["region_code"][:4] == region[:4] or (flt.include_online and online)
            assert not c["eligible_groups"] or flt.group in c["eligible_groups"]
            assert c["age_min"] <= flt.age <= c["age_max"]
            assert any(
                s["enrol_open"] <= TODAY <= s["enrol_close"] and s["capacity"] > s["seats_taken"]
                for s in by_course.get(c["course_id"], [])
            ) or _window_gap(by_course.get(c["course_id"], []), TODAY)


def _window_gap(sessions, day):
    # The mask spans from the earliest opening to the latest closing of sessions with seats;
    # a day between two windows passes the mask and is checked by the matching engine.
    open_ = [s for s in sessions if s["capacity"] > s["seats_taken"] and s["enrol_close"] >= day]
    return bool(open_) and min(s["enrol_open"] for s in open_) <= day


def test_mask_open_and_online_only(bundle, snapshot):
    courses = snapshot["courses"].to_pylist()
    online = bundle.courses.mask(CourseFilter(online_only=True))
    assert online.any()
    assert all(courses[i]["mode"] == "online" for i in np.flatnonzero(online))
    later = bundle.courses.mask(CourseFilter(open_on=date(2030, 1, 1)))
    assert not later.any()  # nothing enrols that far ahead


@pytest.mark.parametrize(
    ("variant", "plain"),
    [("養老護理員", "养老护理员"), ("ＰＬＣ編程", "PLC编程"), ("電焊　工", "电焊 工")],
)
def test_traditional_and_fullwidth_find_the_same(bundle, encoder, variant, plain):
    assert [h.code for h in bundle.occupations.rank(variant)] == [
        h.code for h in bundle.occupations.rank(plain)
    ]
    a = bundle.courses.search(text=variant, query_vector=encoder.encode_one(variant), k=20)
    b = bundle.courses.search(text=plain, query_vector=encoder.encode_one(plain), k=20)
    assert a == b and a


def test_the_bundle_carries_the_occupation_classifier(demo_env, bundle):
    from indexing.ngram import default_classifier

    shipped = default_classifier()
    assert shipped is not None and bundle.occupations.classifier is not None
    assert bundle.manifest["occupation_classifier"] == shipped.fingerprint()
    assert bundle.occupations.classifier.fingerprint() == shipped.fingerprint()
    bundle_dir = demo_env.data_dir / "index" / "bundles" / bundle.manifest["version"]
    assert (bundle_dir / "occupations" / "ngram.npz").is_file()  # a copy: the bundle stands alone
    assert bundle.occupations.rank("电焊工", k=1, mode="classifier")[0].code == "6-18-02-04"


def test_occupation_search_finds_colloquial_work(bundle):
    assert bundle.occupations.rank("电汗干了八年")[0].code == "6-18-02-04"
    codes = [h.code for h in bundle.occupations.rank("在工地绑钢筋", k=5)]
    assert "6-29-01-03" in codes or any(c.startswith("6-29") for c in codes)


def test_encoder_fast_path_equals_sentence_transformers(encoder):
    from indexing.textnorm import normalize

    texts = ["我以前在工地干过电焊", "養老護理員", "", "Java开发 15k"]
    fast = encoder.encode(texts)
    st = encoder._load().encode(
        [normalize(t) or "∅" for t in texts], normalize_embeddings=True, convert_to_numpy=True
    )
    np.testing.assert_allclose(fast, st, atol=1e-5)
    big = encoder.encode(texts * 20)  # the framework path
    np.testing.assert_allclose(big[:4], fast, atol=1e-5)


def test_prune_keeps_current(demo_env_copy, snapshot, encoder):
    store = BundleStore(demo_env_copy.data_dir / "index")
    store.build(snapshot, encoder, today=TODAY, publish=False)
    deleted = store.prune(keep=1)
    assert demo_env_copy.index_version not in deleted
    assert store.current_version() == demo_env_copy.index_version
    assert json.loads(
        (store.bundles_dir / demo_env_copy.index_version / "manifest.json").read_text()
    )


def test_the_occupation_searcher_is_reused_while_its_inputs_are_unchanged(
    tmp_path, snapshot, encoder, bundle, monkeypatch
):
    import indexing.bundle as mod

    store = BundleStore(tmp_path / "index")
    store.build(snapshot, encoder, today=TODAY)
    cached = list((store.cache_dir / "occupations").iterdir())
    assert [p.name for p in cached] == [mod.inputs_fingerprint(encoder)]

    def never(*args, **kwargs):
        raise AssertionError("rebuilt although its inputs did not change")

    monkeypatch.setattr(mod.OccupationSearcher, "build", never)
    second = store.build(snapshot, encoder, today=TODAY)
    reused = store.load(encoder, second["version"]).occupations
    for text in ("电焊", "想学养老护理", "技术员（注塑）"):
        assert [h.code for h in reused.rank(text)] == [
            h.code for h in bundle.occupations.rank(text)
        ]
    assert second["occupation_classifier"] == bundle.manifest["occupation_classifier"]


def test_an_unreadable_cached_searcher_is_rebuilt(tmp_path, snapshot, encoder, caplog):
    import indexing.bundle as mod

    store = BundleStore(tmp_path / "index")
    entry = store.cache_dir / "occupations" / mod.inputs_fingerprint(encoder)
    entry.mkdir(parents=True)
    (entry / "occupations.json").write_text("{not json", encoding="utf-8")
    manifest = store.build(snapshot, encoder, today=TODAY)
    assert "unusable" in caplog.text
    assert store.load(encoder, manifest["version"]).occupations.rank("电焊工")
    assert json.loads((entry / "occupations.json").read_text(encoding="utf-8"))  # rebuilt


def test_the_occupation_key_follows_the_model_and_the_written_data(tmp_path, monkeypatch):
    import indexing.corpus as corpus
    from indexing.occupations import inputs_fingerprint

    class Model:
        def __init__(self, model_id):
            self.model_id = model_id

    base = inputs_fingerprint(Model("a"))
    assert inputs_fingerprint(Model("a")) == base
    assert inputs_fingerprint(Model("b")) != base
    data = tmp_path / "data"
    shutil.copytree(corpus.DATA_DIR, data)
    monkeypatch.setattr(corpus, "DATA_DIR", data)
    assert inputs_fingerprint(Model("a")) == base  # same bytes, same key
    with (data / "market_titles_5.tsv").open("a", encoding="utf-8") as fh:
        fh.write("焊工学徒\t6-18-02-04\n")
    assert inputs_fingerprint(Model("a")) != base
