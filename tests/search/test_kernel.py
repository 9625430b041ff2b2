"""The compiled top-k against the straightforward reference: scipy's ``Q @ D.T``, then a stable sort by
(-score, index), positive scores only: indices and scores equal bit for bit, pruned or not, 1 or 2 threads."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import splade_beir.search.kernel as kernel
from splade_beir.search.kernel import topk


def reference(Q, D, k):
    """The top k of every row of scipy's product, by score descending then index ascending."""
    S = (sp.csr_matrix(Q).astype(np.float32) @ sp.csr_matrix(D).astype(np.float32).T).toarray()
    idx = np.full((Q.shape[0], k), -1, dtype=np.int64)
    sc = np.zeros((Q.shape[0], k), dtype=np.float32)
    for q, row in enumerate(S):
        hits = np.flatnonzero(row > 0)
        hits = hits[np.argsort(-row[hits], kind="stable")][:k]  # hits ascending: ties by index
        idx[q, :hits.size], sc[q, :hits.size] = hits, row[hits]
    return idx, sc


def random_csr(rng, rows, cols, density, ties=False, dtype=np.int32, shuffle=False, repeats=False):
    """Random float32 CSR; ``ties``: weights from a few clipped values (many equal scores);
    ``shuffle``: rows with unsorted terms; ``repeats``: some terms stored twice in a row."""
    M = sp.random(rows, cols, density=density, format="csr", dtype=np.float32, random_state=rng)
    if ties:
        M.data = np.clip(np.round(M.data * 4) / 4, 0.25, 0.75).astype(np.float32)
    else:
        M.data = np.exp(rng.normal(-0.9, 1.2, M.nnz)).clip(1e-3, 3).astype(np.float32)
    indices, data, indptr = M.indices.copy(), M.data.copy(), M.indptr.copy()
    if shuffle:
        for r in range(rows):
            a, b = indptr[r], indptr[r + 1]
            perm = a + rng.permutation(b - a)
            indices[a:b], data[a:b] = indices[perm], data[perm]
    if repeats and M.nnz:
        rows_of = np.repeat(np.arange(rows), np.diff(indptr))
        dup = rng.random(M.nnz) < 0.1  # repeat ~10% of the entries right after themselves
        counts = np.bincount(rows_of, weights=1 + dup, minlength=rows).astype(np.int64)
        indices, data = np.repeat(indices, 1 + dup), np.repeat(data, 1 + dup) * np.float32(0.5)
        indptr = np.concatenate([[0], np.cumsum(counts)])
    return sp.csr_matrix((data, indices.astype(dtype), indptr.astype(dtype)), shape=(rows, cols))


def check(Q, D, k, **kw):
    want_idx, want_sc = reference(Q, D, k)
    for prune in (False, True):
        for threads in (1, 2):
            idx, sc = topk(Q, D, k, threads=threads, prune=prune, **kw)
            assert idx.dtype == np.int64 and sc.dtype == np.float32 and idx.shape == (Q.shape[0], k)
            np.testing.assert_array_equal(idx, want_idx, err_msg=f"prune={prune} threads={threads}")
            assert np.array_equal(sc.view(np.int32), want_sc.view(np.int32)), f"prune={prune} threads={threads}"


def test_docstring_example():
    D = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0], [1, 1, 1]], dtype=np.float32))
    Q = sp.csr_matrix(np.array([[1, 1, 0]], dtype=np.float32))
    idx, sc = topk(Q, D, k=2)
    assert idx.tolist() == [[1, 2]] and sc.tolist() == [[3.0, 2.0]]


@pytest.mark.parametrize("seed", range(12))
def test_random(seed):
    rng = np.random.default_rng(seed)
    n_q, n_d, vocab = rng.integers(1, 40), rng.integers(1, 3 * kernel.BLOCK), rng.integers(5, 300)
    ties, dtype = bool(seed % 2), (np.int32, np.int64)[seed % 3 == 0]
    Q = random_csr(rng, n_q, vocab, rng.uniform(0.01, 0.2), ties=ties, dtype=dtype)
    D = random_csr(rng, n_d, vocab, rng.uniform(0.01, 0.2), ties=ties, dtype=dtype)
    k = int(rng.choice([1, 3, 50, 1000, n_d, n_d + 7]))
    check(Q, D, k)


def test_ties_at_the_kth_place():
    """Every document has the same score: the lowest indices must win, across blocks and threads."""
    n_d = 3 * kernel.BLOCK + 5
    D = sp.csr_matrix(np.ones((n_d, 1), dtype=np.float32))
    Q = sp.csr_matrix(np.ones((3, 1), dtype=np.float32))
    for k in (1, 10, kernel.BLOCK + 1, n_d - 1):
        check(Q, D, k)


def test_ties_with_many_values():
    rng = np.random.default_rng(7)
    Q = random_csr(rng, 30, 20, 0.3, ties=True)
    D = random_csr(rng, 2 * kernel.BLOCK + 100, 20, 0.3, ties=True)
    for k in (5, 100, 700):
        check(Q, D, k)


def test_empty_rows_and_matrices():
    rng = np.random.default_rng(3)
    Q = random_csr(rng, 10, 50, 0.1)
    Q = sp.vstack([Q[:3], sp.csr_matrix((4, 50), dtype=np.float32), Q[3:]]).tocsr()  # queries with no terms
    D = random_csr(rng, 500, 50, 0.1)
    D = sp.vstack([sp.csr_matrix((7, 50), dtype=np.float32), D, sp.csr_matrix((3, 50), dtype=np.float32)]).tocsr()
    check(Q, D, 20)
    check(Q, D, 10_000)  # k larger than the number of documents
    for q, d in [(0, 10), (10, 0), (0, 0)]:
        idx, sc = topk(sp.csr_matrix((q, 50), dtype=np.float32), sp.csr_matrix((d, 50), dtype=np.float32), 5)
        assert idx.shape == (q, 5) and (idx == -1).all() and (sc == 0).all()
    idx, sc = topk(Q, D, 0)
    assert idx.shape == (Q.shape[0], 0)
    idx, sc = topk(Q, sp.csr_matrix((5, 50), dtype=np.float32), 3)  # documents without terms
    assert (idx == -1).all() and (sc == 0).all()


def test_unsorted_and_repeated_terms():
    """Scores follow the query's stored order even when rows are unsorted or repeat a term."""
    rng = np.random.default_rng(11)
    for shuffle, repeats in [(True, False), (False, True), (True, True)]:
        Q = random_csr(rng, 20, 40, 0.3, shuffle=shuffle, repeats=repeats)
        D = random_csr(rng, 3000, 40, 0.2, shuffle=shuffle, repeats=repeats)
        check(Q, D, 100)


def test_order_changes_the_rounding():
    """The stored order of the query matters to the last bit: the kernel follows it."""
    D = sp.csr_matrix(np.array([[1.0, 1e-8, -1.0]], dtype=np.float32))
    Q1 = sp.csr_matrix((np.ones(3, np.float32), np.array([0, 1, 2]), np.array([0, 3])), shape=(1, 3))
    Q2 = sp.csr_matrix((np.ones(3, np.float32), np.array([0, 2, 1]), np.array([0, 3])), shape=(1, 3))
    assert (Q1 @ D.T).toarray()[0, 0] == 0 and (Q2 @ D.T).toarray()[0, 0] > 0
    check(Q1, D, 1)
    check(Q2, D, 1)


def test_negative_weights_and_other_dtypes():
    rng = np.random.default_rng(5)
    Q = random_csr(rng, 15, 30, 0.3)
    D = random_csr(rng, 2000, 30, 0.2)
    D.data[::3] *= -1
    Q.data[::4] *= -1
    check(Q, D, 50)
    check(Q.astype(np.float64), D, 50)  # cast to float32, as documented


def test_shape_mismatch():
    with pytest.raises(ValueError):
        topk(sp.csr_matrix((2, 3), dtype=np.float32), sp.csr_matrix((2, 4), dtype=np.float32), 1)


def test_synthetic_splade_shape(synthetic_splade):
    """A small corpus with the benchmark's SPLADE-like statistics (clipped weights: many ties)."""
    Q, D = synthetic_splade(3 * kernel.BLOCK, 40, seed=1)
    check(Q, D, 1000)


def test_progress_counts_every_document_of_every_sweep():
    rng = np.random.default_rng(4)
    Q, D = random_csr(rng, 9, 40, 0.2), random_csr(rng, 3 * kernel.BLOCK + 11, 40, 0.1)
    seen = []
    topk(Q, D, 5, threads=2, progress=seen.append)
    assert sum(seen) == D.shape[0] and max(seen) <= kernel.BLOCK


def test_query_groups(monkeypatch):
    """Queries beyond QUERY_GROUP are searched in further sweeps."""
    monkeypatch.setattr(kernel, "QUERY_GROUP", 7)
    rng = np.random.default_rng(9)
    Q = random_csr(rng, 30, 60, 0.1)
    D = random_csr(rng, 5000, 60, 0.1)
    check(Q, D, 40)


def test_pruning_reads_fewer_postings(synthetic_splade, idf_weighted):
    """Weights that make pruning pay (common terms weigh little): the pruned path must run and
    still return the exact lists."""
    Q, D = idf_weighted(*synthetic_splade(12 * kernel.BLOCK, 30, seed=2))
    for k in (10, 100):  # (100: a pilot threshold, which one query overshoots: searched again)
        want_idx, want_sc = reference(Q, D, k)
        for threads in (1, 2):
            exhaustive, pruned = {}, {}
            topk(Q, D, k, threads=threads, stats=exhaustive)
            idx, sc = topk(Q, D, k, threads=threads, prune=True, stats=pruned)
            np.testing.assert_array_equal(idx, want_idx)
            assert np.array_equal(sc.view(np.int32), want_sc.view(np.int32))
            if k == 10:
                assert pruned["postings"] < 0.9 * exhaustive["postings"], (pruned, exhaustive)


def test_pilot_threshold(monkeypatch, synthetic_splade):
    """Corpora large enough for the pilot sweep; every posting is read once all the same."""
    sweeps, sweep = [], kernel.Search.sweep

    def counted(self, blocks, *args):
        sweeps.append(len(blocks))
        return sweep(self, blocks, *args)

    monkeypatch.setattr(kernel.Search, "sweep", counted)
    Q, D = synthetic_splade(20 * kernel.BLOCK, 20, seed=4)
    df = np.bincount(D.indices, minlength=D.shape[1])
    Q2, D2 = Q.copy(), D.copy()
    Q2.data[:], D2.data[:] = 1, 1  # scores: numbers of shared terms, tied by the thousand
    check(Q2, D2, 500)
    for k in (100, 1000):
        stats, sweeps[:] = {}, []
        idx, sc = topk(Q, D, k, threads=2, stats=stats)
        assert len(sweeps) >= 2 and sweeps[0] + sweeps[1] == 20  # the pilot ran, on other blocks
        assert stats["postings"] >= df[Q.indices].sum()  # (more if a query was searched again)
        want_idx, want_sc = reference(Q, D, k)
        np.testing.assert_array_equal(idx, want_idx)
        assert np.array_equal(sc.view(np.int32), want_sc.view(np.int32))
        check(Q[:5], D, k)


@pytest.mark.parametrize("seed", range(3))
def test_pilot_with_ties(seed, synthetic_splade):
    """Few distinct weights (heavy ties at every rank) on a corpus large enough for the pilot."""
    rng = np.random.default_rng(seed)
    Q, D = synthetic_splade(18 * kernel.BLOCK, 12, seed=10 + seed)
    Q.data = rng.choice(np.array([0.5, 1, 2], np.float32), Q.nnz)
    D.data = rng.choice(np.array([0.25, 1, 3], np.float32), D.nnz)
    for k in (40, 300, 1000):
        check(Q, D, k)
