"""Exact top-k over shards: merged lists equal the single-matrix search, bit for bit, ties included."""

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.scale.merge import merge_topk, topk_sharded
from splade_beir.search.topk import topk


def test_merge_topk_by_hand():
    # shard A holds rows 0-2, shard B rows 3-5; ties broken by corpus index across shards
    a = (np.array([[1, 0, 2], [2, -1, -1]]), np.array([[2.0, 1.0, 0.5], [1.0, 0, 0]], dtype=np.float32))
    b = (np.array([[3, 4, -1], [-1, -1, -1]]), np.array([[2.0, 1.0, 0], [0, 0, 0]], dtype=np.float32))
    idx, scores = merge_topk([a, b], k=4)
    assert idx.tolist() == [[1, 3, 0, 4], [2, -1, -1, -1]]
    assert scores.tolist() == [[2.0, 2.0, 1.0, 1.0], [1.0, 0, 0, 0]]
    assert merge_topk([a, b], k=4, block=1)[0].tolist() == idx.tolist()  # queries merged in blocks
    idx, scores = merge_topk([b, a], k=8)  # order of shards does not matter; k beyond all hits pads
    assert idx.tolist()[0] == [1, 3, 0, 4, 2, -1, -1, -1] and scores.dtype == np.float32


def random_csr(rng, rows, cols, density, integer=True):
    M = sp.random(rows, cols, density=density, format="csr", random_state=rng, dtype=np.float32)
    if integer:  # small integer weights: many exact ties, the hard case for the tie rule
        M.data = np.ceil(M.data * 3).astype(np.float32)
    return M


@pytest.mark.parametrize("integer", [True, False])
def test_sharded_search_is_exactly_the_single_matrix_result(integer):
    rng = np.random.default_rng(0)
    D, Q = random_csr(rng, 503, 60, 0.08, integer), random_csr(rng, 17, 60, 0.15, integer)
    Q = sp.diags((np.arange(Q.shape[0]) != 3).astype(np.float32)) @ Q  # query 3 is empty
    Q.eliminate_zeros()
    ref_idx, ref_scores = topk(Q, D, 25)
    for n_shards in (1, 2, 3, 7, 600):
        idx, scores = topk_sharded(Q, D, 25, n_shards)
        assert np.array_equal(idx, ref_idx) and np.array_equal(scores, ref_scores), n_shards
        assert scores.tobytes() == ref_scores.tobytes()
