"""Exact top-k over a sharded corpus: each shard's top-k, then :func:`merge_topk`.

Every hit of the global top ``k`` is in its own shard's top ``k``, so merging the per-shard lists (document
indices offset to corpus rows) gives exactly the top-k of the whole matrix, with the same tie rule as
:func:`~splade_beir.search.topk.topk` (score descending, then corpus index ascending).

>>> import numpy as np
>>> a = (np.array([[1, 0]]), np.array([[2.0, 1.0]], dtype=np.float32))   # shard of rows 0..2
>>> b = (np.array([[3, 4]]), np.array([[2.0, 1.0]], dtype=np.float32))   # shard of rows 3..4
>>> idx, scores = merge_topk([a, b], k=3)
>>> idx.tolist(), scores.tolist()
([[1, 3, 0]], [[2.0, 2.0, 1.0]])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp

from ..search.kernel import topk
from .plan import shard_range


def merge_topk(per_shard_results: Sequence[tuple[np.ndarray, np.ndarray]], k: int,
               block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-shard top-k lists into the top ``k`` of the whole corpus.

    Each item is ``(indices, scores)`` as :func:`~splade_beir.search.topk` returns them, with
    indices already offset to corpus rows (padding: index -1). The result is ordered by score
    descending, then corpus index ascending, padded with -1 / 0: exactly ``topk`` over the whole
    matrix, since every hit of the global top ``k`` is in its own shard's top ``k``.
    """
    if not per_shard_results:
        raise ValueError("merge_topk needs at least one shard's results")
    n_q = per_shard_results[0][0].shape[0]
    out_idx = np.full((n_q, k), -1, dtype=np.int64)
    out_scores = np.zeros((n_q, k), dtype=np.float32)
    for q0 in range(0, n_q, block):  # bounded temporaries, whatever the number of queries
        q1 = min(q0 + block, n_q)
        indices = np.concatenate([np.asarray(r[0][q0:q1], dtype=np.int64) for r in per_shard_results], axis=1)
        scores = np.concatenate([np.asarray(r[1][q0:q1], dtype=np.float32) for r in per_shard_results], axis=1)
        pad = indices < 0
        primary = np.where(pad, np.inf, -scores.astype(np.float64))  # exact: float32 -> float64 is lossless
        secondary = np.where(pad, np.iinfo(np.int64).max, indices)
        order = np.lexsort((secondary, primary), axis=-1)[:, :k]
        best = np.take_along_axis(indices, order, axis=1)
        width = best.shape[1]
        out_idx[q0:q1, :width] = best
        out_scores[q0:q1, :width] = np.where(best < 0, 0, np.take_along_axis(scores, order, axis=1))
    return out_idx, out_scores


def offset_hits(indices: np.ndarray, offset: int) -> np.ndarray:
    """Shard-local document indices to corpus rows (padding stays -1)."""
    return np.where(indices >= 0, indices + offset, -1)


def topk_sharded(Q: sp.csr_matrix, D: sp.csr_matrix, k: int, n_shards: int,
                 **topk_options) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~splade_beir.search.topk.topk` shard by shard, then :func:`merge_topk` (one process)."""
    D = sp.csr_matrix(D)
    results = []
    for i in range(n_shards):
        a, b = shard_range(D.shape[0], i, n_shards)
        idx, sc = topk(Q, D[a:b], k, **topk_options)
        results.append((offset_hits(idx, a), sc))
    return merge_topk(results, k)
