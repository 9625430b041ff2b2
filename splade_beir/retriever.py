"""A retriever turns a loaded dataset into a Run plus its cost statistics.

Every model kind (SPLADE here; baselines elsewhere) implements ``retrieve`` so that the rest of the
pipeline (metrics, results JSON, run files, tables, ensembles) never special-cases a kind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from .datasets import Dataset
from .metrics import flops, mean_nnz
from .run import Run
from .search import ExactSparseSearch


@dataclass
class Retrieval:
    run: Run
    stats: dict = field(default_factory=dict)    # flops, nnz_query, nnz_doc (None where n/a)
    timings: dict = field(default_factory=dict)  # seconds per stage


class Retriever(Protocol):
    kind: str
    config: dict

    def retrieve(self, dataset: Dataset, top_k: int) -> Retrieval: ...


class SpladeRetriever:
    """Encode with a :class:`~splade_beir.encoder.SpladeEncoder`, search exactly, report FLOPS."""

    kind = "splade"

    def __init__(self, encoder, batch_size: int = 32, show_progress: bool = True):
        self.encoder = encoder
        self.batch_size = batch_size
        self.search = ExactSparseSearch(encoder, batch_size=batch_size, show_progress=show_progress)
        self.config = {"kind": self.kind, **encoder.config, "batch_size": batch_size}

    def retrieve(self, dataset: Dataset, top_k: int) -> Retrieval:
        doc_ids, query_ids = list(dataset.corpus), list(dataset.queries)
        t0 = time.perf_counter()
        D = self.encoder.encode_corpus([dataset.corpus[d] for d in doc_ids], batch_size=self.batch_size)
        t1 = time.perf_counter()
        Q = self.encoder.encode_queries([dataset.queries[q] for q in query_ids], batch_size=self.batch_size)
        t2 = time.perf_counter()
        run = self.search.search_matrices(Q, D, query_ids, doc_ids, top_k)
        t3 = time.perf_counter()
        stats = {"flops": flops(Q, D), "nnz_query": mean_nnz(Q), "nnz_doc": mean_nnz(D)}
        timings = {"encode_corpus_s": t1 - t0, "encode_queries_s": t2 - t1, "search_s": t3 - t2}
        return Retrieval(run, stats, timings)
