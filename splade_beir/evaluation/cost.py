"""The cost of sparse retrieval: FLOPS and mean non-zeros.

>>> import numpy as np, scipy.sparse as sp
>>> Q = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 0]], dtype=np.float32))
>>> D = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0]], dtype=np.float32))
>>> flops(Q, D)   # p_q = [1, 0, .5], p_d = [.5, 1, 0]  ->  1 * .5
0.5
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def activation_rate(M: sp.csr_matrix) -> np.ndarray:
    """p(j): the fraction of rows in which column j is non-zero."""
    M = M.tocsr()
    present = np.bincount(M.indices[M.data != 0], minlength=M.shape[1])
    return present / max(M.shape[0], 1)


def flops(Q: sp.csr_matrix, D: sp.csr_matrix) -> float:
    """Expected number of multiplications per query-document pair: sum_j p_q(j) p_d(j)."""
    return float(np.dot(activation_rate(Q), activation_rate(D)))


def mean_nnz(M: sp.csr_matrix) -> float:
    """Mean number of non-zero entries per row."""
    return float(M.count_nonzero() / max(M.shape[0], 1))
