"""Exact top-k against brute force: ties, block boundaries, threads (the kernel), and topk_row (BM25's)."""

import numpy as np
import pytest
import scipy.sparse as sp

from splade_beir.search.kernel import BLOCK, topk
from splade_beir.search.topk import ExactSearch, topk_row


def random_csr(rng, n_rows, n_cols, density, dyadic=True, dtype=np.float32):
    """Random non-negative CSR. Dyadic values (multiples of 1/4 up to 2) make every dot product
    exact in float32 whatever the summation order, so equal scores are truly equal."""
    mask = rng.random((n_rows, n_cols)) < density
    values = rng.integers(1, 9, size=mask.shape) / 4 if dyadic else rng.lognormal(-0.5, 1.0, mask.shape)
    return sp.csr_matrix(np.where(mask, values, 0).astype(dtype))


def brute_force(Q, D, k):
    """Dense numpy: all scores, positives only, by score descending then index ascending."""
    S = Q.toarray().astype(np.float64) @ D.toarray().astype(np.float64).T
    idx = np.full((S.shape[0], k), -1)
    sc = np.zeros((S.shape[0], k), dtype=np.float32)
    for q, row in enumerate(S):
        hits = np.flatnonzero(row > 0)
        hits = hits[np.lexsort((hits, -row[hits]))][:k]
        idx[q, :hits.size], sc[q, :hits.size] = hits, row[hits]
    return idx, sc


@pytest.mark.parametrize("n_docs,threads", [(301, None), (BLOCK + 301, 1), (2 * BLOCK + 5, 3)])
def test_topk_matches_brute_force_with_ties_and_block_boundaries(n_docs, threads):
    rng = np.random.default_rng(0)
    Q, D = random_csr(rng, 23, 12, 0.3), random_csr(rng, n_docs, 12, 0.2)  # few distinct scores: many ties
    for k in (1, 7, 50, n_docs + 99):  # more than the documents: padded rows
        got = topk(Q, D, k, threads=threads)
        want = brute_force(Q, D, k)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        assert got[0].dtype == np.int64 and got[1].dtype == np.float32


def test_topk_cut_through_a_tie_keeps_lowest_indices_across_blocks():
    D = sp.csr_matrix(np.array([[1.0], [2.0], [1.0], [1.0], [3.0], [1.0], [0.0], [1.0]], dtype=np.float32))
    Q = sp.csr_matrix(np.array([[1.0]], dtype=np.float32))
    # scores 1,2,1,1,3,1,0,1: the top 4 are doc 4 (3), doc 1 (2), then two of the six docs tied at 1
    for threads in (1, 2):
        idx, sc = topk(Q, D, 4, threads=threads)
        assert idx.tolist() == [[4, 1, 0, 2]] and sc.tolist() == [[3.0, 2.0, 1.0, 1.0]]
    big = sp.vstack([sp.csr_matrix((BLOCK + 3, 1), dtype=np.float32), D]).tocsr()  # the tie across blocks
    idx, sc = topk(Q, sp.vstack([D, big]).tocsr(), 6, threads=2)
    assert idx.tolist() == [[4, BLOCK + 15, 1, BLOCK + 12, 0, 2]] and sc.tolist() == [[3.0, 3.0, 2.0, 2.0, 1.0, 1.0]]


def test_topk_empty_queries_and_k_larger_than_matches():
    D = sp.csr_matrix(np.array([[1, 0, 0], [0, 2, 0], [0, 0, 0]], dtype=np.float32))
    Q = sp.csr_matrix(np.array([[0, 0, 0], [1, 0, 0], [0, 0, 5]], dtype=np.float32))
    idx, sc = topk(Q, D, 3)
    assert idx.tolist() == [[-1, -1, -1], [0, -1, -1], [-1, -1, -1]]
    assert sc.tolist() == [[0, 0, 0], [1, 0, 0], [0, 0, 0]]
    idx, sc = topk(sp.csr_matrix((0, 3), dtype=np.float32), D, 2)
    assert idx.shape == (0, 2) and sc.shape == (0, 2)


def test_topk_scores_bit_identical_to_scipy_product():
    """Continuous float32 weights: the same sums, in the same order, as scipy's ``Q @ D.T``."""
    rng = np.random.default_rng(1)
    Q, D = random_csr(rng, 40, 300, 0.06, dyadic=False), random_csr(rng, 2000, 300, 0.04, dyadic=False)
    dense = (Q @ D.T).toarray()
    idx, sc = topk(Q, D, 25, threads=2)
    for q in range(Q.shape[0]):
        hits = np.flatnonzero(dense[q] > 0)
        hits = hits[np.lexsort((hits, -dense[q, hits]))][:25]
        assert idx[q, :hits.size].tolist() == hits.tolist()
        assert np.array_equal(sc[q, :hits.size], dense[q, hits])  # bit for bit, not approximately


def test_topk_float64_inputs_and_thread_counts_agree():
    rng = np.random.default_rng(2)
    Q, D = random_csr(rng, 9, 20, 0.3, dtype=np.float64), random_csr(rng, 150, 20, 0.2)
    want = brute_force(Q, D, 10)
    for threads in (1, 2, 4):
        got = topk(Q, D, 10, threads=threads)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_topk_rejects_mismatched_vocabularies():
    with pytest.raises(ValueError, match="columns"):
        topk(sp.csr_matrix((1, 3), dtype=np.float32), sp.csr_matrix((2, 4), dtype=np.float32), 1)


def test_topk_row_sampled_threshold_and_its_fallback():
    rng = np.random.default_rng(3)
    scores = np.round(rng.random(20_000) * 50) / 4  # 201 distinct values: ties everywhere
    scores[rng.random(scores.size) < 0.3] = 0
    for k in (1, 10, 300, 5000):  # small k uses the sampled threshold
        positive = np.flatnonzero(scores > 0)
        want = positive[np.lexsort((positive, -scores[positive]))][:k]
        assert topk_row(scores, k).tolist() == want.tolist()
    # the sample's best is the overall best: too few candidates above it, so every positive competes
    spiky = np.full(4000, 0.5)
    spiky[0] = 100.0
    assert topk_row(spiky, 10).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert topk_row(np.zeros(5), 3).tolist() == [] and topk_row(np.ones(3), 0).tolist() == []


def test_exact_search_is_topk_on_its_threads():
    rng = np.random.default_rng(4)
    Q, D = random_csr(rng, 6, 10, 0.4), random_csr(rng, 80, 10, 0.3)
    for threads in (None, 1, 3):
        got = ExactSearch(threads=threads).topk(Q, D, 12)
        np.testing.assert_array_equal(got[0], brute_force(Q, D, 12)[0])
