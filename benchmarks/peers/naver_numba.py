"""A naver/splade-style exact search, written here as a peer for ``benchmarks/search_bench.py``.

naver/splade's ``SparseRetrieval`` keeps an inverted index (per term: document ids, float32 values)
and, for each query, scatters the postings of the query's terms into a dense float32 array with one
slot per document of the collection (``numba_score_float``), keeps the positive scores and selects the
top k with ``np.argpartition`` (``select_topk``). This is that algorithm, with two changes that can
only help it: the index is ``D.tocsc()`` (one CSC matrix instead of a numba typed dict of arrays), and
the queries, rather than the postings of one term, are shared over the threads (``numba.prange`` over
interleaved groups of queries, one dense array per thread, zeroed after each query).

Scores are summed as scipy's ``Q @ D.T`` sums them (float32 products, float32 sums, the query's terms
in stored order), so they are bit-identical to splade_beir's; only the choice among documents tied
with the k-th score differs (``argpartition`` picks any of them; splade_beir takes the lowest ids).
"""

from __future__ import annotations

import time

import numba
import numpy as np
import scipy.sparse as sp


@numba.njit(parallel=True, nogil=True, cache=True)
def _search(qptr, qidx, qval, tptr, tdoc, tval, n_docs, k, out_idx, out_sc, n_chunks):
    n_q = qptr.size - 1
    for c in numba.prange(n_chunks):
        scores = np.zeros(n_docs, dtype=np.float32)
        for q in range(c, n_q, n_chunks):
            for j in range(qptr[q], qptr[q + 1]):  # the query's stored order, as scipy sums
                w = qval[j]
                for p in range(tptr[qidx[j]], tptr[qidx[j] + 1]):
                    scores[tdoc[p]] += w * tval[p]
            cand = np.flatnonzero(scores > 0)
            if cand.size > k:
                cand = cand[np.argpartition(-scores[cand], k - 1)[:k]]
            cand = np.sort(cand)
            order = cand[np.argsort(-scores[cand], kind="mergesort")]  # score descending, then document
            out_idx[q, :order.size], out_sc[q, :order.size] = order, scores[order]
            scores[:] = 0


def topk(Q: sp.csr_matrix, D: sp.csr_matrix, k: int, threads: int, timings: dict | None = None):
    """``(indices int64, scores float32)``, ``(n_q, k)``, padded with -1 / 0 as splade_beir's. The
    inversion ``D.tocsc()`` is part of the call (its seconds go to ``timings["invert_s"]``)."""
    numba.set_num_threads(threads)
    Q, D = sp.csr_matrix(Q, dtype=np.float32), sp.csr_matrix(D, dtype=np.float32)
    t0 = time.perf_counter()
    DT = D.tocsc()  # term -> documents: the inverted index naver builds when indexing
    if timings is not None:
        timings["invert_s"] = time.perf_counter() - t0
    out_idx = np.full((Q.shape[0], k), -1, dtype=np.int64)
    out_sc = np.zeros((Q.shape[0], k), dtype=np.float32)
    if Q.shape[0] and D.shape[0] and k > 0:
        _search(Q.indptr, Q.indices, Q.data, DT.indptr, DT.indices, DT.data, D.shape[0], min(k, D.shape[0]),
                out_idx, out_sc, threads)
    return out_idx, out_sc
