"""What every model kind shares: the one ``retrieve()`` skeleton, and the Retrieval it returns.

A kind implements three steps (index the corpus, encode the queries, exact top-k) and may report cost
statistics; :meth:`Retriever.retrieve` times the steps and builds the Run through
:func:`~splade_beir.search.run.search_run`, which owns the "drop the query's own id" rule. The rest of the
pipeline (metrics, results, run files, tables, ensembles) never special-cases a kind.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from ..data.loader import Dataset
from ..evaluation.result import COST_FIELDS
from ..search.run import Run, search_run

NO_COST = dict.fromkeys(COST_FIELDS)


@dataclass
class Retrieval:
    run: Run
    stats: dict = field(default_factory=lambda: dict(NO_COST))  # flops, nnz_query, nnz_doc (None: n/a)
    timings: dict = field(default_factory=dict)                 # seconds per stage
    vectors: dict = field(default_factory=dict)                 # cache entry keys of the vectors, if kept


class Retriever(ABC):
    """A model kind. Subclasses set ``kind`` and ``config`` (every setting a result records)."""

    kind: str
    config: dict

    @abstractmethod
    def index_corpus(self, dataset: Dataset) -> Any:
        """Whatever :meth:`topk` searches (a CSR matrix, an embedding matrix, a BM25 index)."""

    @abstractmethod
    def encode_queries(self, texts: list[str]) -> Any:
        """Whatever :meth:`topk` takes as queries, one per text, in order."""

    @abstractmethod
    def topk(self, queries: Any, corpus: Any, k: int):
        """``(indices, scores)``, each ``(n_queries, k)``: exact top ``k``, padding index -1."""

    def stats(self, queries: Any, corpus: Any) -> dict:
        """Cost statistics: ``flops``, ``nnz_query``, ``nnz_doc`` (None where they do not apply)."""
        return dict(NO_COST)

    def weights_digest(self) -> str:
        """A digest of the model's weights ("" for a model without any, such as BM25): with ``config``,
        what a result's fingerprint is made of."""
        return ""

    def vectors(self) -> dict:
        """Where the last retrieval's vectors are kept (corpus cache entry keys), if anywhere."""
        return {}

    def retrieve(self, dataset: Dataset, top_k: int) -> Retrieval:
        """The top ``top_k`` documents of every query of ``dataset``, timed stage by stage."""
        query_ids = list(dataset.queries)
        t0 = time.perf_counter()
        corpus = self.index_corpus(dataset)
        t1 = time.perf_counter()
        queries = self.encode_queries([dataset.queries[q] for q in query_ids])
        t2 = time.perf_counter()
        run = search_run(self.topk, queries, corpus, query_ids, dataset.doc_ids, top_k)
        t3 = time.perf_counter()
        timings = {"encode_corpus_s": t1 - t0, "encode_queries_s": t2 - t1, "search_s": t3 - t2}
        return Retrieval(run, self.stats(queries, corpus), timings, self.vectors())
