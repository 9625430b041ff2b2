"""beir's search interface over SPLADE vectors: our exact search, and beir 2.2.0's ``SparseSearch`` made usable.

Three ways to run a :class:`~splade_beir.encode.encoder.SpladeEncoder` through beir's ``EvaluateRetrieval``
(all three give the metrics of ``python -m splade_beir.evaluate``; ``tests/search/test_beir.py`` checks it):

- :class:`ExactSparseSearch` (ours): CSR matrices and the exact, multi-threaded sparse top-k.
- beir's ``DenseRetrievalExactSearch(encoder, corpus_chunk_size=...)``: the encoder returns dense tensors
  when asked (``convert_to_tensor=True``), at rows x vocabulary x 4 bytes each; fine for small corpora.
- :class:`BeirSparseSearch`: beir's own ``SparseSearch`` (a CSR corpus, ``encode_query`` per query).

>>> from beir.retrieval.evaluation import EvaluateRetrieval
>>> from splade_beir import SpladeEncoder, load_dataset
>>> demo = load_dataset("demo")
>>> encoder = SpladeEncoder("splade-tiny", show_progress=False)              # needs the [demo] extra
>>> retriever = EvaluateRetrieval(ExactSparseSearch(encoder, show_progress=False), k_values=[10])
>>> results = retriever.retrieve(demo.corpus, demo.queries)
>>> ndcg, _map, recall, precision = retriever.evaluate(demo.qrels, results, [10])
>>> round(ndcg["NDCG@10"], 4)
0.9533
"""

from __future__ import annotations

import scipy.sparse as sp
from beir.retrieval.search.base import BaseSearch
from beir.retrieval.search.sparse import SparseSearch

from .run import Run, search_run
from .topk import ExactSearch


class ExactSparseSearch(BaseSearch):
    """beir ``BaseSearch`` over an encoder whose ``encode_queries`` / ``encode_corpus`` return CSR matrices
    (such as :class:`~splade_beir.encode.encoder.SpladeEncoder`): exact sparse dot-product search.

    ``threads``: search threads; default the encoder's own ``threads`` where it has them (see
    :mod:`splade_beir.threads`), else the CPUs available. The score function beir passes is ignored: SPLADE
    scores are dot products.
    """

    def __init__(self, model, batch_size: int = 32, threads: int | None = None, show_progress: bool = True):
        self.model = model
        self.batch_size = batch_size
        self.searcher = ExactSearch(threads if threads is not None else getattr(model, "threads", None),
                                    show_progress)

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


class BeirSparseSearch(SparseSearch):
    """beir 2.2.0's ``SparseSearch``, unchanged where it works, with three work-arounds:

    - beir leaves ``encode`` and ``search_from_files`` abstract, so ``SparseSearch(model)`` raises
      ``TypeError: Can't instantiate abstract class``; here they exist and refuse (it has no file mode);
    - ``query_weights`` defaults to True: the query's SPLADE weights count (beir's default, False, is
      SPARTA's binary query, which would index documents by token id);
    - ``top_k`` is capped at the corpus size (beir's ``np.argpartition`` fails on a corpus smaller than
      ``top_k``, such as the demo's 62 passages under ``EvaluateRetrieval``'s default 1000).

    The model must have ``encode_corpus`` (CSR, documents x vocabulary) and ``encode_query`` (a dense 1-D
    vector): :class:`~splade_beir.encode.encoder.SpladeEncoder` has both. beir keeps every one of the
    ``top_k`` documents, zero scores included, and scores each query with one sparse matrix x dense vector
    product over the whole corpus (about 16 times slower than :class:`ExactSparseSearch`; see
    ``benchmarks/search_bench.py``).
    """

    def __init__(self, model, batch_size: int = 32, **kwargs):
        super().__init__(model, batch_size, **kwargs)

    def search(self, corpus: dict[str, dict[str, str]], queries: dict[str, str], top_k: int,
               score_function: str | None = None, query_weights: bool = True, *args,
               **kwargs) -> dict[str, dict[str, float]]:
        return super().search(corpus, queries, min(top_k, len(corpus)), score_function, query_weights,
                              *args, **kwargs)

    def encode(self, *args, **kwargs):
        raise NotImplementedError("beir's SparseSearch encodes in search(); it has no file-based mode")

    def search_from_files(self, *args, **kwargs):
        raise NotImplementedError("beir's SparseSearch encodes in search(); it has no file-based mode")
