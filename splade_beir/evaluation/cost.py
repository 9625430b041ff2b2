"""The cost of sparse retrieval: FLOPS and mean non-zeros.

>>> import numpy as np, scipy.sparse as sp
>>> Q = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 0]], dtype=np.float32))
>>> D = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0]], dtype=np.float32))
>>> flops(Q, D)   # p_q = [1, 0, .5], p_d = [.5, 1, 0]  ->  1 * .5
0.5
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp


BLOCK = 1 << 22  # non-zeros counted at a time: a few MB of temporaries, whatever the matrix's size


def activation_rate(M: sp.csr_matrix) -> np.ndarray:
    """p(j): the fraction of rows in which column j is non-zero (stored zeros do not count).

    Counted block by block, so a corpus matrix of billions of non-zeros is never copied.
    """
    M = sp.csr_matrix(M)
    present = np.zeros(M.shape[1], dtype=np.int64)
    for a in range(0, M.nnz, BLOCK):
        indices, data = M.indices[a:a + BLOCK], M.data[a:a + BLOCK]
        present += np.bincount(indices if data.all() else indices[data != 0], minlength=M.shape[1])
    return present / max(M.shape[0], 1)


def flops(Q: sp.csr_matrix, D: sp.csr_matrix) -> float:
    """Expected number of multiplications per query-document pair: sum_j p_q(j) p_d(j)
    (summed exactly, so the figure does not depend on the machine's BLAS)."""
    return math.fsum(activation_rate(Q) * activation_rate(D))


def mean_nnz(M: sp.csr_matrix) -> float:
    """Mean number of non-zero entries per row (stored zeros do not count)."""
    M = sp.csr_matrix(M)
    zeros = sum(int(np.count_nonzero(M.data[a:a + BLOCK] == 0)) for a in range(0, M.nnz, BLOCK))
    return float((M.nnz - zeros) / max(M.shape[0], 1))


def costs(Q: sp.csr_matrix, D: sp.csr_matrix) -> dict:
    """A sparse retrieval's cost statistics: ``flops``, ``nnz_query``, ``nnz_doc``."""
    return {"flops": flops(Q, D), "nnz_query": mean_nnz(Q), "nnz_doc": mean_nnz(D)}
