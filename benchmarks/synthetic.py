"""Synthetic SPLADE-shaped sparse vectors: the one generator the benchmarks (and the tests) share.

Documents with ~130 non-zeros and queries with ~19, drawn from a Zipf-like use of a 30,522-entry
vocabulary (BERT's), with positive log-normal weights clipped to [0.001, 3]. The parameters were fitted
to splade-tiny on 2,000 msmarco-5k passages and its 50 queries (documents: 128 non-zeros on average;
queries: 18; FLOPS 2.1; the most common term in half the documents). Popular terms are spread over the
vocabulary ids by a permutation. The clipping makes some scores exactly equal, so some queries have a tie
at the 1000th place (7.5% of them at 100k documents, 3.5% at 1M).

The weights do not depend on the term (a rare term weighs as much as a common one): :func:`idf_weighted`
rescales them by term rarity, as real SPLADE output does, the case where dynamic pruning can pay.

Imports only numpy and scipy: ``tests/conftest.py`` loads this file by path.

>>> Q, D = synthetic_splade(1000, 10)
>>> Q.shape, D.shape, D.dtype.name
((10, 30522), (1000, 30522), 'float32')
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

VOCAB = 30522
DOC_SHAPE = dict(mean_nnz=136, zipf_offset=50.0, zipf_exponent=1.0, log_mean=-0.9, log_std=1.2)
QUERY_SHAPE = dict(mean_nnz=19, zipf_offset=20.0, zipf_exponent=1.2, log_mean=-0.5, log_std=1.2)


def zipf_ranks(rng: np.random.Generator, size: int, vocab: int, offset: float, exponent: float) -> np.ndarray:
    """Popularity ranks 0..vocab-1 drawn with P(r) ~ 1 / (r + 1 + offset) ** exponent
    (continuous inverse-CDF sampling, then floor)."""
    u = rng.random(size)
    lo, hi = 1.0 + offset, vocab + 1.0 + offset
    if exponent == 1.0:
        x = lo * np.exp(u * np.log(hi / lo))
    else:
        e = 1.0 - exponent
        x = (lo ** e + u * (hi ** e - lo ** e)) ** (1.0 / e)
    return np.minimum((x - lo).astype(np.int64), vocab - 1)


def sparse_rows(rng: np.random.Generator, n_rows: int, term_of_rank: np.ndarray, mean_nnz: float,
                zipf_offset: float, zipf_exponent: float, log_mean: float, log_std: float,
                chunk: int = 100_000) -> sp.csr_matrix:
    """``n_rows`` CSR rows: ~``mean_nnz`` draws of Zipf-ranked terms per row (repeats merged, so a
    row keeps slightly fewer), weights exp(N(log_mean, log_std)) clipped to [1e-3, 3]."""
    vocab = term_of_rank.size
    parts = []
    for start in range(0, n_rows, chunk):
        m = min(chunk, n_rows - start)
        draws = np.maximum(1, rng.normal(mean_nnz, 0.3 * mean_nnz, m)).round().astype(np.int64)
        rows = np.repeat(np.arange(m, dtype=np.int64), draws)
        key = np.sort(rows * vocab + term_of_rank[zipf_ranks(rng, rows.size, vocab, zipf_offset, zipf_exponent)])
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]  # (row, term) once; sorted by both
        row, term = np.divmod(key, vocab)
        weights = np.exp(rng.normal(log_mean, log_std, key.size)).clip(1e-3, 3.0).astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=m))])
        parts.append(sp.csr_matrix((weights, term.astype(np.int32), indptr), shape=(m, vocab)))
    if not parts:
        return sp.csr_matrix((0, vocab), dtype=np.float32)
    return sp.vstack(parts, format="csr")


def synthetic_splade(n_docs: int, n_queries: int, seed: int = 0,
                     vocab: int = VOCAB) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """``(Q, D)`` float32 CSR with SPLADE-like statistics; the queries depend only on the seed, so
    that every corpus size is searched with the same queries."""
    rng = np.random.default_rng(seed)
    term_of_rank = rng.permutation(vocab)  # popular terms are spread over the vocabulary ids
    Q = sparse_rows(rng, n_queries, term_of_rank, **QUERY_SHAPE)
    D = sparse_rows(np.random.default_rng([seed, n_docs]), n_docs, term_of_rank, **DOC_SHAPE)
    return Q, D


@functools.lru_cache(maxsize=None)
def term_permutation() -> np.ndarray:
    """The fixed rank -> term map (seed 0) of :func:`document_rows` and of the memory benchmarks' queries."""
    return np.random.default_rng(0).permutation(VOCAB)


def document_rows(start: int, stop: int) -> sp.csr_matrix:
    """``stop - start`` SPLADE-shaped document rows (:data:`DOC_SHAPE`) over :func:`term_permutation`,
    drawn with the seed ``[1, start]`` (the same on every call): the memory benchmarks' stand-in for the
    vectors of the documents ``start .. stop - 1`` of a cache chunk or an encoded batch."""
    return sparse_rows(np.random.default_rng([1, start]), stop - start, term_permutation(), **DOC_SHAPE)


def idf_weighted(Q: sp.csr_matrix, D: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """The same matrices with every weight of term ``t`` scaled by ``log(N / df_t) / log(N)``, so
    that, as in real SPLADE output, common terms weigh little and rare terms much (the weights of
    :func:`synthetic_splade` ignore the term: the case least favourable to pruning)."""
    n = max(2, D.shape[0])
    df = np.bincount(D.indices, minlength=D.shape[1])
    scale = (np.log(n / np.maximum(df, 1)) / np.log(n)).astype(np.float32)
    Q2, D2 = Q.copy(), D.copy()
    Q2.data *= scale[Q2.indices]
    D2.data *= scale[D2.indices]
    return Q2, D2
