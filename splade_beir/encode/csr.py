"""CSR vectors: built from a batch of pooled vectors, and checked before they are trusted.

>>> import numpy as np
>>> check_csr(sp.csr_matrix(np.array([[0, 1.5]], dtype=np.float32)), 1, 2) is None
True
>>> check_csr(sp.csr_matrix(np.array([[0, -1.0]], dtype=np.float32)), 1, 2)
'weights that are not finite and positive'
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def to_csr(dense) -> sp.csr_matrix:
    """A (batch, vocab) block of pooled vectors (a torch tensor) to CSR, keeping only non-zeros.

    :meth:`SpladeEncoder.encode_texts` calls it once per batch, on that batch's dense block only: no
    dense (texts x vocab) matrix of a whole corpus is ever built (tests watch the block sizes here).
    """
    dense = dense.float().cpu()
    rows, cols = dense.nonzero(as_tuple=True)
    values = dense[rows, cols].numpy()
    counts = np.bincount(rows.numpy(), minlength=dense.shape[0])
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return sp.csr_matrix((values, cols.numpy().astype(np.int32), indptr), shape=tuple(dense.shape))


def check_csr(matrix: sp.csr_matrix, rows: int, columns: int) -> str | None:
    """What is wrong with ``matrix`` as a chunk of ``rows`` SPLADE vectors over ``columns`` entries
    (``None`` when nothing): its shape, its structure, column indices out of range, weights that are
    not finite and positive.
    """
    if matrix.shape != (rows, columns):
        return f"shape {matrix.shape} where ({rows}, {columns}) is expected"
    indptr, indices = matrix.indptr, matrix.indices
    if (indptr.size != rows + 1 or indptr[0] != 0 or indptr[-1] != indices.size or indices.size != matrix.data.size
            or np.any(np.diff(indptr) < 0)):
        return "inconsistent row pointers"
    if indices.size and (indices.min() < 0 or indices.max() >= matrix.shape[1]):
        return "column indices outside the vocabulary"
    if matrix.data.size and not (np.all(np.isfinite(matrix.data)) and matrix.data.min() > 0):
        return "weights that are not finite and positive"
    return None
