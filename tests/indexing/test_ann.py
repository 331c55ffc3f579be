import numpy as np
import pytest

from indexing.ann.base import brute_force, open_index
from indexing.ann.exact import ExactIndex
from indexing.ann.hnsw import HNSWIndex


def unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    x = unit(rng, 5000, 32)
    q = unit(rng, 20, 32)
    mask = rng.random(5000) < 0.2
    return x, q, mask


def numpy_reference(x, q, k, mask=None):
    scores = q @ x.T
    if mask is not None:
        scores = np.where(mask[None, :], scores, -np.inf)
    ids = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, ids, axis=1), ids


def test_exact_equals_numpy_reference(data):
    x, q, mask = data
    index = ExactIndex(32)
    index.build(x)
    for m in (None, mask):
        scores, ids = index.search(q, 10, m)
        ref_scores, ref_ids = numpy_reference(x, q, 10, m)
        np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
        # Ties are measure-zero on random data: ids agree exactly.
        np.testing.assert_array_equal(ids, ref_ids)
    _, bf_ids = brute_force(x, q, 10, np.flatnonzero(mask))
    np.testing.assert_array_equal(bf_ids, numpy_reference(x, q, 10, mask)[1])


def test_masked_rows_never_returned(data):
    x, q, mask = data
    for index in (ExactIndex(32), HNSWIndex(32), HNSWIndex(32, exact_below=1, exact_share=0)):
        index.build(x)
        _, ids = index.search(q, 50, mask)
        assert (ids >= 0).all()
        assert mask[ids].all()


def test_mask_with_fewer_rows_than_k(data):
    x, q, _ = data
    only = np.zeros(len(x), dtype=bool)
    only[[3, 77, 4000]] = True
    for index in (ExactIndex(32), HNSWIndex(32)):
        index.build(x)
        scores, ids = index.search(q[:1], 10, only)
        assert sorted(ids[0][:3].tolist()) == [3, 77, 4000]
        assert (ids[0][3:] == -1).all() and np.isneginf(scores[0][3:]).all()
        _, none = index.search(q[:1], 5, np.zeros(len(x), dtype=bool))
        assert (none == -1).all()


def test_hnsw_recall_against_exact(data):
    x, q, mask = data
    index = HNSWIndex(32, exact_below=10, exact_share=0.01)  # graph search for the mask too
    index.build(x)
    _, ref = numpy_reference(x, q, 10)
    _, got = index.search(q, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ref, got, strict=True)])
    assert recall >= 0.9
    _, ref_m = numpy_reference(x, q, 10, mask)
    _, got_m = index.search(q, 10, mask)
    recall_m = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ref_m, got_m, strict=True)])
    assert recall_m >= 0.9


@pytest.mark.parametrize("cls", [ExactIndex, HNSWIndex])
def test_save_load_roundtrip(tmp_path, data, cls):
    x, q, mask = data
    index = cls(32)
    index.build(x)
    index.save(tmp_path / "ix")
    loaded = open_index(tmp_path / "ix")
    assert type(loaded) is cls
    assert loaded.count() == 5000 and loaded.dim == 32
    for m in (None, mask):
        a = index.search(q, 10, m)
        b = loaded.search(q, 10, m)
        np.testing.assert_array_equal(a[1], b[1])


def test_bad_input(data):
    x, q, _ = data
    index = ExactIndex(32)
    with pytest.raises(ValueError):
        index.build(x[:, :16])
    index.build(x)
    with pytest.raises(ValueError, match="mask"):
        index.search(q, 5, np.ones(10, dtype=bool))
    empty = ExactIndex(32)
    _, ids = empty.search(q[:2], 3)
    assert ids.shape == (2, 3) and (ids == -1).all()
