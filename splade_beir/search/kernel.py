"""Exact sparse top-k search: the ``k`` best documents of every query, scores bit-identical to scipy.

>>> import numpy as np, scipy.sparse as sp
>>> D = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0], [1, 1, 1]], dtype=np.float32))
>>> Q = sp.csr_matrix(np.array([[1, 1, 0]], dtype=np.float32))
>>> idx, scores = topk(Q, D, k=2)
>>> idx.tolist(), scores.tolist()
([[1, 2]], [[3.0, 2.0]])

Design. Threads take blocks of BLOCK (4,096) documents in turn. A thread inverts its block into
buffers it reuses (a stable counting sort by term of the entries whose term some query has:
``term -> (uint16 local document, float32 value)``), then runs every query on it: the postings of
the query's terms, in the query's stored order, are added into a float32 accumulator of BLOCK
documents (16 KB, in L1) as scipy's ``Q @ D.T`` adds them (float32 product, then float32 sum; no
fastmath, no FMA: bit-identical sums). The loops are long, unsigned-indexed and branch-free. The
accumulator is then screened against the query's running threshold through its column maxima
(one vectorised pass), only the columns holding a document that beats it are read again, those
documents are appended to the query's candidates (cut back to the best k by a radix select when
the buffer is full), and the accumulator is zeroed. A pilot sweep over 1/16 of the blocks first
sets each query's threshold near its final k-th score (see :meth:`Search.group`), so that few
documents ever become candidates. With ``prune=True``, :mod:`prune` skips postings that provably
cannot matter.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
import scipy.sparse as sp

from ..threads import available_cpus
from .candidates import BLOCK, COLS, PAD, collect, from_keys, scatter, to_keys
from .jit import jit
from .prune import block_bounds, search_pruned

QUERY_GROUP = 2048  # queries searched in one sweep over the documents,
CANDIDATE_BYTES = 1 << 28  # fewer if their candidate buffers would take more than this


def topk(Q, D, k: int = 1000, threads: int | None = None, prune: bool = False, stats: dict | None = None,
         progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` documents of every query: ``(indices int64, scores float32)``, ``(n_q, k)``.

    Scores are bit-identical to those of scipy's ``Q @ D.T`` in float32 (whatever the order of the
    terms in the rows, repeated terms included); only positive scores are hits; each row is ordered
    by score descending, then document index ascending (so at a tie on the k-th place the lowest
    indices win); rows with fewer than ``k`` hits are padded with index -1 and score 0. ``Q``, ``D``:
    CSR-convertible with the same columns, int32 or int64 indices, finite data cast to float32.
    Documents are shared among ``threads`` threads (default: the CPUs available). ``prune=True``
    skips postings that provably cannot change the result (see :mod:`splade_beir.search.prune`).

    Memory beyond inputs and outputs: per thread, one inverted block (6 bytes per posting, ~3 MB
    for SPLADE-like documents) and, per query of a group, two buffers (pilot, main) of
    ``2 * min(k, n_docs)`` candidates (8 bytes each), at most CANDIDATE_BYTES (256 MB) in all:
    150 MB for 2,048 queries, k=1000 and 2 threads, then 8 bytes per candidate left to rank them
    (~40 MB). ``stats``, if given, receives ``postings``: the postings read (pruning: its probes
    included). ``progress(n)`` is told each block of ``n`` documents searched (for every query group).
    """
    Q, D = sp.csr_matrix(Q), sp.csr_matrix(D)
    if Q.shape[1] != D.shape[1]:
        raise ValueError(f"queries have {Q.shape[1]} columns but documents have {D.shape[1]}")
    n_q, n_d, k = Q.shape[0], D.shape[0], max(int(k), 0)
    if n_d >= 2 ** 32:
        raise ValueError("at most 2**32 - 1 documents")
    out_idx, out_sc = np.full((n_q, k), -1, dtype=np.int64), np.zeros((n_q, k), dtype=np.float32)
    if n_q and n_d and k:
        keep, threads = min(k, n_d), threads or available_cpus()
        group = max(1, min(QUERY_GROUP, CANDIDATE_BYTES // (2 * threads * (2 * keep + COLS) * 8)))
        with Search(D, keep, threads, prune, progress) as search:
            for g0 in range(0, n_q, group):
                search.group(Q[g0:g0 + group], out_idx[g0:g0 + group], out_sc[g0:g0 + group])
        if stats is not None:
            stats["postings"] = search.postings
    return out_idx, out_sc


class Search:
    """The documents, the thread pool, and the sweeps of query groups over the blocks (used by :func:`topk`;
    public so that tests can watch its sweeps)."""

    def __init__(self, D: sp.csr_matrix, keep: int, threads: int, prune: bool, progress=None):
        self.D, self.dval, self.progress = D, D.data.astype(np.float32, copy=False), progress
        self.keep, self.threads, self.prune, self.postings = keep, threads, prune, 0
        self.starts = np.arange(0, D.shape[0] + BLOCK, BLOCK).clip(max=D.shape[0])
        self.biggest = int(np.diff(D.indptr[self.starts]).max())  # postings of the largest block
        self.pool = ThreadPoolExecutor(max_workers=threads)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pool.shutdown()

    def group(self, Q: sp.csr_matrix, out_idx: np.ndarray, out_sc: np.ndarray, pilot: bool = True) -> None:
        """Search queries ``Q`` (one sweep's worth) into ``out_idx``, ``out_sc``.

        A pilot sweep over 1/16 of the blocks first finds each query's ``rank``-th best score there
        (``floor``: the next lower score it holds, if any), an estimate of its score of rank
        ``2 k`` in the whole corpus. The main sweep, over the other blocks, keeps only documents
        that beat it (few enter the candidates), and the final ranking takes the candidates of
        both sweeps. If fewer than ``keep`` documents
        beat the floor, it was too high: the query is searched again without it. Exact either way:
        every document beating the floor is held by one sweep or the other (a floor of 0 means
        fewer than ``rank`` positive scores in the sample: the pilot cut none, it holds them all)."""
        vocab, qterm = np.unique(Q.indices, return_inverse=True)  # the group's terms, renumbered
        term_of = np.full(Q.shape[1], vocab.size, dtype=np.int32)  # other terms: vocab.size
        term_of[vocab] = np.arange(vocab.size)
        query = (Q.indptr.astype(np.int64), qterm.astype(np.int64).ravel(),
                 Q.data.astype(np.float32, copy=False))
        n_q, n_blocks, T = Q.shape[0], self.starts.size - 1, self.threads
        hits = _Hits(2 * T, n_q, self.keep, self.D.shape[0])  # threads' rows: the pilot's, then the main's
        size = max(-(-n_blocks // 16), -(-8 * self.keep // BLOCK))  # blocks, at least 8 k documents
        sample = np.unique(np.linspace(0, n_blocks - 1, size).astype(int))
        rank = -(-2 * self.keep * int(np.diff(self.starts)[sample].sum()) // self.D.shape[0])
        floor, above, rest = np.zeros(n_q, dtype=np.float32), 0, np.arange(n_blocks)
        if pilot and 16 <= rank <= self.keep // 2:  # (the pilot keeps 2 * rank <= keep hits per query)
            self.sweep(sample, hits, 0, 2 * rank, term_of, query, vocab.size)
            best = np.zeros((n_q, 2 * rank), dtype=np.float32)
            self._ranked(hits, np.empty((n_q, 2 * rank), dtype=np.int64), best)
            # the floor: the first score below the rank-th (ties), else the rank-th; a held score,
            # so that every sample document beating it is held
            lower = np.where(best < best[:, rank - 1:rank], best, 0).max(axis=1)
            floor = np.where(lower > 0, lower, best[:, rank - 1])
            above, rest = (best > floor[:, None]).sum(axis=1), np.setdiff1d(rest, sample)
            hits.thr[T:] = floor
        self.sweep(rest, hits, T, self.keep, term_of, query, vocab.size)
        self._ranked(hits, out_idx, out_sc)
        again = np.flatnonzero((hits.count[T:].sum(axis=0) + above < self.keep) & (floor > 0))
        if again.size:
            idx, sc = out_idx[again], out_sc[again]
            self.group(Q[again], idx, sc, pilot=False)
            out_idx[again], out_sc[again] = idx, sc

    def sweep(self, blocks, hits: "_Hits", row: int, keep: int, term_of, query, n_terms: int) -> None:
        """Search every query on each of ``blocks`` (taken in turn by the threads, so each thread
        sees its blocks in ascending order), thread ``s`` keeping ``keep`` hits in row ``row + s``."""
        todo, lock = iter(blocks), threading.Lock()
        D, prune = self.D, self.prune

        def work(s: int) -> None:
            block, s = _Block(n_terms, self.biggest, prune), row + s
            mine = (hits.idx[s], hits.sc[s], hits.count[s], hits.thr[s], keep)
            done = 0
            while True:
                with lock:
                    if done and self.progress:
                        self.progress(done)
                    b = next(todo, None)
                if b is None:
                    return
                d0, d1 = self.starts[b], self.starts[b + 1]
                done = int(d1 - d0)
                _invert(D.indptr, D.indices, self.dval, d0, d1, term_of, block.ptr, block.ids, block.vals)
                if prune:
                    block_bounds(block.ptr, block.vals, block.hi, block.lo)
                    search_pruned(d0, d1, *query, *mine, *block.arrays(), hits.expect[s], hits.postings[s])
                else:
                    _search(d0, d1, *query, *mine, *block.arrays()[:6], hits.postings[s])

        list(self.pool.map(work, range(self.threads)))
        self.postings += int(hits.postings[row:row + self.threads].sum())

    def _ranked(self, hits: "_Hits", out_idx: np.ndarray, out_sc: np.ndarray) -> None:
        """Each query's best candidates of all rows, by score descending then document: sorting
        keys (numpy's sort: vectorised, and it releases the GIL), padded with PAD."""
        table = np.full((out_idx.shape[0], max(1, int(hits.count.sum(axis=0).max()))), PAD, dtype=np.uint64)
        chunks = [slice(q, q + 64) for q in range(0, table.shape[0], 64)]
        list(self.pool.map(lambda c: (to_keys(c.start, min(c.stop, table.shape[0]), hits.idx, hits.sc, hits.count,
                                              table), table[c].sort(axis=1)), chunks))
        list(self.pool.map(lambda c: from_keys(table[c, :out_idx.shape[1]], out_idx[c], out_sc[c]), chunks))


class _Hits:
    """Per thread (of a sweep) and query: candidate hits (``count`` of them, by ascending document),
    and the score a document must beat (0 at first, or a pilot's floor; after a cut, the keep-th
    best held)."""

    def __init__(self, rows: int, n_q: int, keep: int, n_docs: int):
        self.idx = np.empty((rows, n_q, 2 * keep + COLS), dtype=np.uint32)  # cut back to keep at 2 * keep
        self.sc = np.empty((rows, n_q, 2 * keep + COLS), dtype=np.float32)
        self.count, self.thr = np.zeros((rows, n_q), dtype=np.int64), np.zeros((rows, n_q), dtype=np.float32)
        self.postings = np.zeros((rows, 1), dtype=np.int64)
        self.expect = np.full((rows, n_q), 2 * keep * BLOCK / n_docs)  # (see prune.search_pruned)


class _Block:
    """A thread's inverted block (``ptr`` by renumbered term, plus a slot for the terms no query
    has; with pruning, each term's highest and lowest value), its accumulator and column maxima."""

    def __init__(self, n_terms: int, postings: int, prune: bool):
        self.ptr = np.zeros(n_terms + 2, dtype=np.int32)
        self.ids, self.vals = np.empty(postings + 1, dtype=np.uint16), np.empty(postings + 1, dtype=np.float32)
        self.acc, self.cols = np.zeros(BLOCK, dtype=np.float32), np.empty(COLS, dtype=np.float32)
        self.hot = np.empty(BLOCK + COLS if prune else COLS, dtype=np.int64)
        self.hi, self.lo = (np.zeros(n_terms + 1 if prune else 0, dtype=np.float32) for _ in range(2))

    def arrays(self):
        return self.ptr, self.ids, self.vals, self.acc, self.cols, self.hot, self.hi, self.lo


@jit
def _invert(dptr, didx, dval, d0, d1, term_of, ptr, ids, vals):
    """Postings of documents ``d0..d1-1`` by (renumbered) term, documents ascending and a
    document's repeated terms in stored order; terms no query has all land on one dummy slot."""
    dummy = ptr.size - 2
    ptr[:] = 0
    for p in range(np.uint64(dptr[d0]), np.uint64(dptr[d1])):  # unsigned: no wraparound test
        ptr[term_of[didx[p]] + 1] += 1
    ptr[dummy + 1] = 0
    ptr[:] = np.cumsum(ptr)
    cursor = ptr[:-1].copy()
    for d in range(d0, d1):
        for p in range(np.uint64(dptr[d]), np.uint64(dptr[d + 1])):
            t = term_of[didx[p]]
            c = cursor[t]
            ids[c], vals[c] = d - d0, dval[p]
            cursor[t] = c + (t != dummy)


@jit
def _search(d0, d1, qptr, qterm, qval, cidx, csc, count, thr, keep, ptr, ids, vals, acc, cols, hot, postings):
    """Every query of the group on the inverted block of documents ``d0..d1-1``."""
    for q in range(qptr.size - 1):
        n = scatter(acc, qptr[q], qptr[q + 1], qterm, qval, ptr, ids, vals)
        if n:
            collect(acc, d0, q, keep, cidx, csc, count, thr, cols, hot)
            postings[0] += n
