"""beir's search interface over CSR matrices: :class:`ExactSparseSearch` for ``EvaluateRetrieval``.

>>> # EvaluateRetrieval(ExactSparseSearch(SpladeEncoder("splade-tiny")), score_function="dot")
"""

from __future__ import annotations

import scipy.sparse as sp
from beir.retrieval.search.base import BaseSearch

from .run import Run, search_run
from .topk import ExactSearch


class ExactSparseSearch(BaseSearch):
    """beir ``BaseSearch`` over an encoder whose ``encode_queries`` / ``encode_corpus`` return CSR matrices
    (such as :class:`~splade_beir.encode.encoder.SpladeEncoder`): exact sparse dot-product search."""

    def __init__(self, model, batch_size: int = 32, threads: int | None = None, show_progress: bool = True):
        self.model = model
        self.batch_size = batch_size
        self.searcher = ExactSearch(threads, show_progress)

    def search(self, corpus: dict[str, dict[str, str]], queries: dict[str, str], top_k: int,
               *args, **kwargs) -> dict[str, dict[str, float]]:
        doc_ids, query_ids = list(corpus), list(queries)
        D = self.model.encode_corpus([corpus[d] for d in doc_ids], batch_size=self.batch_size)
        Q = self.model.encode_queries([queries[q] for q in query_ids], batch_size=self.batch_size)
        return dict(self.search_matrices(Q, D, query_ids, doc_ids, top_k))

    def search_matrices(self, Q: sp.csr_matrix, D: sp.csr_matrix, query_ids: list[str], doc_ids: list[str],
                        top_k: int) -> Run:
        return search_run(self.searcher.topk, Q, D, query_ids, doc_ids, top_k)

    def encode(self, *args, **kwargs):
        raise NotImplementedError("ExactSparseSearch encodes in search(); use SpladeEncoder directly")

    def search_from_files(self, *args, **kwargs):
        raise NotImplementedError("ExactSparseSearch searches CSR matrices; see search_matrices()")
