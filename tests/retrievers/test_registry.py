"""splade_beir.retrievers.registry and .base: kinds, their options, and the one retrieve() skeleton."""

from pathlib import Path

import numpy as np
import pytest

from splade_beir.data.loader import Dataset
from splade_beir.errors import UserError
from splade_beir.retrievers.base import Retriever
from splade_beir.retrievers.registry import KINDS, default_model, infer_kind, kind_options, make_retriever


def test_kinds_and_their_default_models():
    assert infer_kind("bm25") == "bm25" and infer_kind("all-MiniLM-L6-v2") == "dense"
    assert infer_kind("naver/splade-v3") == "splade" and infer_kind(None) == "splade"
    assert infer_kind("bm25", "splade") == "splade"  # a kind named wins
    assert [default_model(k) for k in (None, "splade", "bm25", "dense")] == [
        "splade-tiny", "splade-tiny", "bm25", "all-MiniLM-L6-v2"]
    assert {"splade", "bm25", "dense", "run"} <= set(KINDS)  # and whatever other kinds are registered


def test_kind_options():
    assert kind_options("bm25", {"k1": 1.2, "b": None, "pooling": "max", "workers": None}) == {"k1": 1.2}
    assert kind_options("splade", {"pooling": "sum", "workers": 2, "dtype": None}) == {"pooling": "sum", "workers": 2}
    with pytest.raises(UserError, match="--workers and --backend apply to SPLADE models"):
        kind_options("dense", {"workers": 2})
    with pytest.raises(UserError, match="'score_function' does not apply to a splade model"):
        kind_options("splade", {"score_function": "dot"})
    with pytest.raises(UserError, match="unknown model kind 'sparse'"):
        make_retriever("sparse")


class Toy(Retriever):
    """A kind whose score of document j for query i is ``queries[i] * corpus[j]``."""

    kind = "toy"
    config = {"kind": "toy"}

    def index_corpus(self, dataset):
        return np.array([float(d["text"]) for d in dataset.corpus.values()])

    def encode_queries(self, texts):
        return np.array([float(t) for t in texts])

    def topk(self, queries, corpus, k):
        self.asked = k
        scores = queries[:, None] * corpus[None]
        idx = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return idx, np.take_along_axis(scores, idx, axis=1)


def test_retrieve_drops_the_query_itself_and_keeps_top_k():
    corpus = {"a": {"text": "3"}, "q1": {"text": "4"}, "b": {"text": "2"}, "c": {"text": "1"}}
    ds = Dataset("toy", Path("."), "test", corpus, {"q1": "1", "q2": "2"}, {})
    toy = Toy()
    retrieval = toy.retrieve(ds, top_k=2)
    assert toy.asked == 3  # one spare hit for the dropped one
    assert retrieval.run == {"q1": {"a": 3.0, "b": 2.0}, "q2": {"q1": 8.0, "a": 6.0}}
    assert retrieval.stats == {"flops": None, "nnz_query": None, "nnz_doc": None}
    assert set(retrieval.timings) == {"encode_corpus_s", "encode_queries_s", "search_s"}
    assert all(t >= 0 for t in retrieval.timings.values())
