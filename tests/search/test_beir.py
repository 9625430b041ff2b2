"""splade_beir.search.beir: ExactSparseSearch, beir's search interface over CSR matrices."""

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.search.beir import ExactSparseSearch


def test_exact_sparse_search_keeps_top_k_after_dropping_the_query_itself():
    D = sp.csr_matrix(np.array([[3, 0], [2, 0], [1, 0]], dtype=np.float32))
    Q = sp.csr_matrix(np.array([[1, 0]], dtype=np.float32))
    run = ExactSparseSearch(model=None, show_progress=False).search_matrices(Q, D, ["d0"], ["d0", "d1", "d2"], 2)
    assert run == {"d0": {"d1": 2.0, "d2": 1.0}}


class BagOfWords:
    """A model with the encoder interface: one column per word of a fixed vocabulary, CSR out."""

    VOCAB = ["cat", "dog", "fish", "river"]

    def _encode(self, texts):
        return sp.csr_matrix(np.array([[t.split().count(w) for w in self.VOCAB] for t in texts], dtype=np.float32))

    def encode_queries(self, queries, batch_size=32, **kwargs):
        return self._encode(queries)

    def encode_corpus(self, corpus, batch_size=32, **kwargs):
        return self._encode([(d.get("title", "") + " " + d["text"]).strip() for d in corpus])


def test_search_encodes_and_returns_beir_results():
    corpus = {"d1": {"title": "cat", "text": "cat dog"}, "d2": {"text": "fish river"}, "q2": {"text": "fish"}}
    queries = {"q1": "cat", "q2": "fish river"}
    results = ExactSparseSearch(BagOfWords(), show_progress=False).search(corpus, queries, top_k=5)
    assert type(results) is dict and results == {"q1": {"d1": 2.0}, "q2": {"d2": 2.0}}  # q2 never retrieves q2


def test_file_based_calls_are_refused():
    search = ExactSparseSearch(BagOfWords())
    with pytest.raises(NotImplementedError):
        search.encode()
    with pytest.raises(NotImplementedError):
        search.search_from_files()
