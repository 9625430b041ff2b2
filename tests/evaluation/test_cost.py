"""splade_beir.evaluation.cost: FLOPS and mean non-zeros of sparse vectors."""

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.evaluation.cost import activation_rate, flops, mean_nnz


def test_flops_hand_example():
    Q = sp.csr_matrix(np.array([[1, 0, 1, 0], [1, 0, 0, 2], [0, 0, 3, 0]], dtype=np.float32))
    D = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0]], dtype=np.float32))
    # p_q = [2/3, 0, 2/3, 1/3], p_d = [1/2, 1, 1/2, 0] -> 1/3 + 0 + 1/3 + 0
    assert np.allclose(activation_rate(Q), [2 / 3, 0, 2 / 3, 1 / 3])
    assert flops(Q, D) == pytest.approx(2 / 3)
    assert mean_nnz(Q) == pytest.approx(5 / 3) and mean_nnz(D) == 2


def test_explicit_zeros_and_empty_matrices_count_nothing():
    Q = sp.csr_matrix((np.array([0.0, 1.0], dtype=np.float32), np.array([0, 1]), np.array([0, 2])), shape=(1, 3))
    assert Q.nnz == 2 and activation_rate(Q).tolist() == [0, 1, 0] and mean_nnz(Q) == 1
    empty = sp.csr_matrix((0, 3), dtype=np.float32)
    assert activation_rate(empty).tolist() == [0, 0, 0] and mean_nnz(empty) == 0 and flops(empty, Q) == 0
