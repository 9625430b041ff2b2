"""Exact sparse retrieval: scores are the exact dot products of CSR query and document vectors.

>>> import numpy as np, scipy.sparse as sp
>>> D = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0], [1, 1, 1]], dtype=np.float32))
>>> Q = sp.csr_matrix(np.array([[1, 1, 0]], dtype=np.float32))
>>> idx, scores = topk(Q, D, k=2)
>>> idx.tolist(), scores.tolist()
([[1, 2]], [[3.0, 2.0]])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from beir.retrieval.search.base import BaseSearch

from .run import Run


def topk_row(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest positive scores, by score descending then index ascending."""
    positive = np.flatnonzero(scores > 0)
    if positive.size > k:
        kth = np.partition(scores[positive], positive.size - k)[positive.size - k]
        above = positive[scores[positive] > kth]
        tied = positive[scores[positive] == kth][: k - above.size]
        positive = np.concatenate([above, tied])
    return positive[np.lexsort((positive, -scores[positive]))]


def topk(Q: sp.csr_matrix, D: sp.csr_matrix, k: int = 1000, query_chunk: int = 64,
         doc_chunk: int = 1_000_000, show_progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k documents for every query.

    Returns ``(indices, scores)``, both ``(n_queries, k)``; rows with fewer than ``k`` positive
    scores are padded with index -1 and score 0. Memory is bounded by
    ``query_chunk x doc_chunk`` scores at a time, whatever the corpus size.
    """
    n_q = Q.shape[0]
    out_idx = np.full((n_q, k), -1, dtype=np.int64)
    out_scores = np.zeros((n_q, k), dtype=np.float32)
    DT = [D[s:s + doc_chunk].T.tocsr() for s in range(0, D.shape[0], doc_chunk)]
    for q0 in tqdm(range(0, n_q, query_chunk), desc="searching", disable=not show_progress, leave=False):
        q_block = Q[q0:q0 + query_chunk]
        cand_idx, cand_scores = [], []
        for c, dt in enumerate(DT):
            dense = (q_block @ dt).toarray()
            for row in range(dense.shape[0]):
                hits = topk_row(dense[row], k)
                if c == 0:
                    cand_idx.append([hits]); cand_scores.append([dense[row, hits]])
                else:
                    cand_idx[row].append(hits + c * doc_chunk); cand_scores[row].append(dense[row, hits])
        for row in range(len(cand_idx)):
            idx = np.concatenate(cand_idx[row]); sc = np.concatenate(cand_scores[row])
            keep = np.lexsort((idx, -sc))[:k]
            out_idx[q0 + row, :keep.size] = idx[keep]
            out_scores[q0 + row, :keep.size] = sc[keep]
    return out_idx, out_scores


def to_run(indices: np.ndarray, scores: np.ndarray, query_ids: list[str], doc_ids: list[str],
           k: int | None = None, drop_identical_ids: bool = True) -> Run:
    """Turn top-k arrays into a :class:`Run`; a hit whose document id equals the query id is
    dropped (BEIR convention), and the list is cut to ``k``."""
    k = k or indices.shape[1]
    run: dict[str, dict[str, float]] = {}
    for qid, row_idx, row_sc in zip(query_ids, indices, scores):
        hits: dict[str, float] = {}
        for i, s in zip(row_idx.tolist(), row_sc.tolist()):
            if i < 0 or len(hits) == k:
                break
            did = doc_ids[i]
            if drop_identical_ids and did == qid:
                continue
            hits[did] = s
        run[qid] = hits
    return Run(run)


class ExactSparseSearch(BaseSearch):
    """BEIR ``BaseSearch`` over a SPLADE-style encoder that returns CSR matrices.

    >>> # retriever = EvaluateRetrieval(ExactSparseSearch(SpladeEncoder("splade-tiny")))
    """

    def __init__(self, model, batch_size: int = 32, query_chunk: int = 64, show_progress: bool = True):
        self.model = model
        self.batch_size = batch_size
        self.query_chunk = query_chunk
        self.show_progress = show_progress

    def search(self, corpus: dict[str, dict[str, str]], queries: dict[str, str], top_k: int,
               *args, **kwargs) -> dict[str, dict[str, float]]:
        doc_ids, query_ids = list(corpus), list(queries)
        D = self.model.encode_corpus([corpus[d] for d in doc_ids], batch_size=self.batch_size)
        Q = self.model.encode_queries([queries[q] for q in query_ids], batch_size=self.batch_size)
        return dict(self.search_matrices(Q, D, query_ids, doc_ids, top_k))

    def search_matrices(self, Q: sp.csr_matrix, D: sp.csr_matrix, query_ids: list[str],
                        doc_ids: list[str], top_k: int) -> Run:
        # One extra hit per query so that dropping the query's own id still leaves top_k.
        idx, sc = topk(Q, D, top_k + 1, query_chunk=self.query_chunk, show_progress=self.show_progress)
        return to_run(idx, sc, query_ids, doc_ids, k=top_k)

    def encode(self, *args, **kwargs):
        raise NotImplementedError("ExactSparseSearch encodes in search(); use SpladeEncoder directly")

    def search_from_files(self, *args, **kwargs):
        raise NotImplementedError("ExactSparseSearch searches CSR matrices; see search_matrices()")
