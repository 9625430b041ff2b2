"""splade_beir's previous exact top-k (numpy: block inversion + ``np.add.at``), kept as a peer for
``benchmarks/search_bench.py`` (the method ``splade_beir-0.1``).

Copied from ``git show 2581f4fe461a9622a9c1ad09e03a3b6ef086d0f9:splade_beir/search/topk.py``: the search
as committed before the numba kernel (:mod:`splade_beir.search.kernel`) replaced it. Unchanged but for three
things: this header, the two relative imports made absolute (``splade_beir.progress``,
``splade_beir.threads``), and the ``ExactSearch`` wrapper class at the end dropped. Its original
docstring follows.

----

Exact sparse retrieval: scores are the exact dot products of CSR query and document vectors.

>>> import numpy as np, scipy.sparse as sp
>>> D = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0], [1, 1, 1]], dtype=np.float32))
>>> Q = sp.csr_matrix(np.array([[1, 1, 0]], dtype=np.float32))
>>> idx, scores = topk(Q, D, k=2)
>>> idx.tolist(), scores.tolist()
([[1, 2]], [[3.0, 2.0]])

How :func:`topk` stays fast and exact
-------------------------------------
The documents are inverted block by block (``doc_chunk`` documents at a time: a CSR matrix
``term -> documents``, the next block built while the current one is searched). A query touches
only the posting lists of its own terms: each is scattered into a dense accumulator, one term after
the other in the query's stored order, which is exactly the order (and so the float rounding) of
scipy's ``Q @ D.T``. Each block's best hits are merged into the query's running top ``k``, whose
k-th score then filters the next blocks; no score row is ever sorted whole (see :func:`topk_row`).
Query chunks run on a thread pool: numpy and scipy release the GIL in the scatter, the selection
and the inversion, so every core works.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from splade_beir.progress import progress_bar
from splade_beir.threads import available_cpus



def topk_row(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest positive scores, by score descending then index ascending.

    >>> topk_row(np.array([0.5, 2.0, 0.0, 2.0, 1.0]), 2).tolist()
    [1, 3]
    """
    hits = _top_positive(scores, k)
    return hits[np.lexsort((hits, -scores[hits]))]


def _top_positive(scores: np.ndarray, k: int) -> np.ndarray:
    """Ascending indices of the ``k`` highest positive scores (ties: the lowest indices)."""
    if k <= 0 or scores.size == 0:
        return np.empty(0, dtype=np.int64)
    candidates = _candidates(scores, k)
    if candidates.size > k:
        keep = _best(candidates, scores[candidates], k)
        candidates = candidates[keep]
    return candidates.astype(np.int64, copy=False)


def _candidates(scores: np.ndarray, k: int) -> np.ndarray:
    """Ascending indices of a superset of the top ``k`` positive scores, usually ~2k of them.

    A threshold is read off a strided sample; whatever the sample, the answer is exact: if fewer
    than ``k`` scores reach the threshold, every positive score is a candidate.
    """
    step = min(64, scores.size // (4 * k))
    if step >= 2:
        sample = scores[::step]
        rank = -(-2 * k // step)  # expect ~2k scores at or above the rank-th best of the sample
        threshold = np.partition(sample, sample.size - rank)[sample.size - rank]
        if threshold > 0:
            candidates = np.flatnonzero(scores >= threshold)
            if candidates.size >= k:
                return candidates
    return np.flatnonzero(scores > 0)


def _best(indices: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the ``k`` best of more than ``k`` (index, value) pairs: highest values,
    and at a tie on the k-th value the lowest indices."""
    kth = np.partition(values, values.size - k)[values.size - k]
    keep = values > kth
    tied = np.flatnonzero(values == kth)
    need = k - int(np.count_nonzero(keep))
    keep[tied[np.argsort(indices[tied], kind="stable")[:need]]] = True
    return keep


class _PostingBlock(NamedTuple):
    """Documents ``start..stop-1`` inverted: CSR ``term -> local document index``."""

    start: int
    stop: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


def _invert_block(D: sp.csr_matrix, start: int, stop: int) -> _PostingBlock:
    lo, hi = D.indptr[start], D.indptr[stop]
    rows = sp.csr_matrix((D.data[lo:hi], D.indices[lo:hi], D.indptr[start:stop + 1] - lo),
                         shape=(stop - start, D.shape[1]), copy=False)
    inverted = rows.tocsc()  # column-major = postings by term, documents ascending
    return _PostingBlock(start, stop, inverted.indptr.astype(np.int64, copy=False), inverted.indices,
                         inverted.data)


class _TopK:
    """Each query's best hits so far, unordered, merged block after block (blocks in document
    order, so a later document never wins a tie against a held one)."""

    def __init__(self, n_queries: int, k: int, dtype: np.dtype):
        self.k = k
        self.indices = np.full((n_queries, k), -1, dtype=np.int64)
        self.scores = np.zeros((n_queries, k), dtype=dtype)
        self.held = np.zeros(n_queries, dtype=np.int64)
        self.threshold = np.zeros(n_queries, dtype=dtype)  # k-th best score, once k are held

    def add(self, q: int, scores: np.ndarray, offset: int) -> None:
        """Merge the hits of one query in one block (``scores``: the block's dense row)."""
        k, held = self.k, int(self.held[q])
        new = (np.flatnonzero(scores > self.threshold[q]) if held == k  # threshold > 0 then
               else _top_positive(scores, k))
        if new.size == 0:
            return
        new_scores, new = scores[new], new + offset
        if held + new.size <= k:
            self.indices[q, held:held + new.size], self.scores[q, held:held + new.size] = new, new_scores
            self.held[q] = held = held + new.size
        else:
            indices = np.concatenate([self.indices[q, :held], new])
            values = np.concatenate([self.scores[q, :held], new_scores])
            keep = _best(indices, values, k)
            self.indices[q], self.scores[q] = indices[keep], values[keep]
            self.held[q] = held = k
        if held == k:
            self.threshold[q] = self.scores[q].min()

    def ranked(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indices, float32 scores)``, each row by score descending then index ascending."""
        out_idx = np.full_like(self.indices, -1)
        out_scores = np.zeros(self.indices.shape, dtype=np.float32)
        for q, held in enumerate(self.held.tolist()):
            idx, sc = self.indices[q, :held], self.scores[q, :held]
            order = np.lexsort((idx, -sc))
            out_idx[q, :held], out_scores[q, :held] = idx[order], sc[order]
        return out_idx, out_scores


def topk(Q: sp.csr_matrix, D: sp.csr_matrix, k: int = 1000, query_chunk: int = 64,
         doc_chunk: int = 131_072, show_progress: bool = False,
         threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k documents for every query.

    Returns ``(indices, scores)``, both ``(n_queries, k)``; rows with fewer than ``k`` positive
    scores are padded with index -1 and score 0. Hits are ordered by score descending, then by
    document index ascending, and their scores are bit-identical to those of ``Q @ D.T`` in scipy.

    Documents are inverted and searched ``doc_chunk`` at a time, query chunks in parallel on
    ``threads`` threads (default: the CPUs available) while the next block is inverted; memory
    beyond the inputs and outputs is at most about the size of ``D`` (two inverted blocks).
    """
    Q, D = sp.csr_matrix(Q), sp.csr_matrix(D)
    if Q.shape[1] != D.shape[1]:
        raise ValueError(f"queries have {Q.shape[1]} columns but documents have {D.shape[1]}")
    n_q, n_d = Q.shape[0], D.shape[0]
    if n_q == 0 or n_d == 0 or k <= 0:
        return np.full((n_q, max(k, 0)), -1, dtype=np.int64), np.zeros((n_q, max(k, 0)), dtype=np.float32)
    dtype = np.result_type(Q.dtype, D.dtype)
    query_chunk = max(1, query_chunk)
    doc_chunk = max(1, doc_chunk)
    best = _TopK(n_q, k, dtype)

    def search_chunk(block: _PostingBlock, q0: int) -> None:
        scores = np.empty(block.stop - block.start, dtype=dtype)
        q1 = min(q0 + query_chunk, n_q)
        for q in range(q0, q1):
            a, b = Q.indptr[q], Q.indptr[q + 1]
            terms, weights = Q.indices[a:b], Q.data[a:b].astype(dtype, copy=False)
            starts, ends = block.indptr[terms].tolist(), block.indptr[terms + 1].tolist()
            if starts == ends:
                continue  # no term of this query in this block (or an empty query)
            scores.fill(0)
            for weight, s, e in zip(weights, starts, ends):  # in stored order, as scipy sums
                if s < e:
                    np.add.at(scores, block.indices[s:e], weight * block.data[s:e])
            best.add(q, scores, block.start)

    block_starts = list(range(0, n_d, doc_chunk))
    with ThreadPoolExecutor(max_workers=threads or available_cpus()) as pool, \
            progress_bar(len(block_starts), f"searching {n_q} queries", "block", show_progress) as bar:
        invert = lambda start: _invert_block(D, start, min(start + doc_chunk, n_d))  # noqa: E731
        pending = pool.submit(invert, block_starts[0])
        for i in range(len(block_starts)):
            block = pending.result()
            if i + 1 < len(block_starts):
                pending = pool.submit(invert, block_starts[i + 1])  # while this block is searched
            for _ in pool.map(partial(search_chunk, block), range(0, n_q, query_chunk)):
                pass
            bar.update(1)
            block = None  # free it before the next one is complete
    return best.ranked()
