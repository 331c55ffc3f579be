import numpy as np

from indexing.lexical import LexicalIndex
from indexing.tokenize import LexicalTokenizer

DOCS = [
    "焊工 电焊工 氩弧焊 焊接金属工件",
    "养老护理员 照护失能老人 生活照料",
    "叉车司机 起重装卸机械操作 仓库搬运",
    "电工 低压电工 水电安装",
    "中式烹调师 厨师 炒锅 切配",
]


def build():
    index = LexicalIndex(LexicalTokenizer(["养老护理员", "电焊工"]))
    index.build(DOCS)
    return index


def test_finds_by_words_and_bigrams():
    index = build()
    _, ids = index.search(["在工地干过电焊"], 3)
    assert ids[0][0] == 0
    _, ids = index.search(["伺候瘫痪老人"], 3)
    assert ids[0][0] == 1
    _, ids = index.search(["養老護理"], 3)  # traditional
    assert ids[0][0] == 1


def test_mask_applied_inside_search():
    index = build()
    mask = np.array([False, True, True, True, True])
    scores, ids = index.search(["电焊 电工"], 5, mask)
    got = [i for i in ids[0].tolist() if i >= 0]
    assert 0 not in got
    assert got[0] == 3
    assert np.all(np.diff(scores[0][: len(got)]) <= 0)


def test_no_match_returns_nothing():
    index = build()
    scores, ids = index.search(["xyzzy"], 3)
    assert (ids == -1).all() and np.isneginf(scores).all()


def test_save_load(tmp_path):
    index = build()
    index.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    assert loaded.count() == 5
    for q in ("电焊", "叉车 搬运", "厨师"):
        np.testing.assert_array_equal(index.search([q], 3)[1], loaded.search([q], 3)[1])


def test_scores_equal_bm25s_reference(tmp_path):
    # Our chunked builder and postings-based scoring must give bm25s's own scores and order,
    # and what we save must load with bm25s.
    import bm25s

    import indexing.bm25build as builder

    rng = np.random.default_rng(5)
    words = ["电焊", "焊工", "养老", "护理", "叉车", "司机", "电工", "厨师", "切配", "仓库", "快递"]
    docs = [" ".join(rng.choice(words, size=int(rng.integers(1, 9)))) for _ in range(300)]
    tok = LexicalTokenizer(words, words=False)
    ours = LexicalIndex(tok)
    old_chunk = builder.CHUNK
    builder.CHUNK = 64  # several chunks
    try:
        ours.build(docs)
    finally:
        builder.CHUNK = old_chunk
    ref = bm25s.BM25(k1=ours.k1, b=ours.b)
    ref.index([tok(d) for d in docs], show_progress=False)
    ours.save(tmp_path / "lex")
    loaded = LexicalIndex.load(tmp_path / "lex")
    for q in ("电焊 电工 电工", "养老 护理", "叉车 仓库 司机", "厨师 切配", "快递"):
        tokens = tok(q)
        ref_ids, ref_scores = ref.retrieve([tokens], k=10, show_progress=False)
        for index in (ours, loaded):
            scores, ids = index.search([q], 10)
            n = int((ref_scores[0] > 0).sum())
            np.testing.assert_allclose(scores[0][:n], ref_scores[0][:n], rtol=1e-5)
            # Equal scores may come in either order: compare the documents of each score,
            # except the lowest one, whose tie group may be cut at k differently.
            rounded_ref = np.round(ref_scores[0][:n], 5)
            rounded = np.round(scores[0][:n], 5)
            for s in set(rounded_ref) - {rounded_ref.min()}:
                assert set(ids[0][:n][rounded == s]) == set(ref_ids[0][:n][rounded_ref == s])
