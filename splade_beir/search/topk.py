"""Exact top-k: the in-process searcher over CSR matrices, and the top-k of one dense score row.

>>> import numpy as np, scipy.sparse as sp
>>> D = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0], [1, 1, 1]], dtype=np.float32))
>>> Q = sp.csr_matrix(np.array([[1, 1, 0]], dtype=np.float32))
>>> idx, scores = ExactSearch(threads=1).topk(Q, D, k=2)
>>> idx.tolist(), scores.tolist()
([[1, 2]], [[3.0, 2.0]])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..progress import progress_bar
from .kernel import QUERY_GROUP, topk


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


class ExactSearch:
    """The in-process searcher: the compiled exact top-k (:func:`~splade_beir.search.kernel.topk`) on
    ``threads`` threads (default: the CPUs available), with a progress bar of the documents searched."""

    def __init__(self, threads: int | None = None, show_progress: bool = False, prune: bool = False):
        self.threads = threads
        self.show_progress = show_progress
        self.prune = prune

    def topk(self, Q: sp.csr_matrix, D: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        groups = max(1, -(-Q.shape[0] // QUERY_GROUP))
        with progress_bar(D.shape[0] * groups, f"searching {Q.shape[0]:,} queries", "doc", self.show_progress) as bar:
            return topk(Q, D, k, threads=self.threads, prune=self.prune, progress=bar.update)
