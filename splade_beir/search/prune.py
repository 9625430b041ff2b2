"""Safe dynamic pruning for :func:`kernel.topk` (``prune=True``): the same top-k, fewer postings.

Per query and block, MaxScore with block-max bounds. A term's contribution to a document of the
block is at most ``ub = max(0, w * hi, w * lo)`` (``hi``, ``lo``: its extreme values in the
block). The terms' postings are read by decreasing bound into the accumulator (in this order the
sums only bound the scores). Once the bounds of the terms left (plus a rounding margin) fall below
the query's threshold, a document none of the read terms holds cannot enter: the candidates are
the documents whose partial sum plus that remaining bound can still beat the threshold, a list
that shrinks with each further term. As soon as scoring the candidates one by one is cheaper than
reading the remaining lists, reading stops. Each candidate is then scored exactly, its terms in the
query's stored order (so bit-identical to scipy), its postings found by galloping search in each
term's list from a per-term cursor (candidates and lists ascend): the unread lists are probed.

Rounding. The float32 sum of ``n`` products, in any order, is within ``(n + 1) u sum|w x|`` of the
real one (``u = 2**-24``), for the partial sums as for the final score, and ``sum|w x| <= A =
sum |w| max(|hi|, |lo|)``; a document is dropped only if its partial sum is at most ``threshold -
remaining bound - margin``, with ``margin = (n + 2) 2**-22 A + 1e-30`` (float64, rounded down to
float32). Documents must beat the threshold strictly to enter, so ties are never dropped wrongly.

A query is searched exhaustively in a block (as without pruning) while it has no threshold yet,
or when the candidates it had to score in its previous pruned block make scoring them dearer
than reading all its postings (each exhaustive block halves that estimate, so pruning is tried
again).
"""

from __future__ import annotations

import numpy as np

from .candidates import BLOCK, COLS, collect, cut, hot_columns, scatter
from .jit import jit

PROBE = 12  # the cost of finding a document in a posting list, counted in postings read


@jit
def block_bounds(ptr, vals, hi, lo):
    """Each (renumbered) term's highest and lowest value in the block (0 if absent)."""
    for t in range(hi.size):
        s, e = ptr[t], ptr[t + 1]
        hi[t] = vals[s:e].max() if e > s else 0
        lo[t] = vals[s:e].min() if e > s else 0


@jit
def search_pruned(d0, d1, qptr, qterm, qval, cidx, csc, count, thr, keep, ptr, ids, vals, acc, cols, cand,
                  hi, lo, expect, postings):
    """Every query of the group on the inverted block of documents ``d0..d1-1``, pruned.
    ``expect[q]``: about how many candidates the query will have to score one by one (those of
    its last pruned block, halved by each block searched exhaustively since)."""
    ub0 = np.zeros(0)
    for q in range(qptr.size - 1):
        j0, j1 = qptr[q], qptr[q + 1]
        total = 0
        for j in range(j0, j1):
            total += ptr[qterm[j] + 1] - ptr[qterm[j]]
        if total == 0:
            continue
        ub, margin = _bounds(j0, j1, qterm, qval, hi, lo) if expect[q] * (j1 - j0) * PROBE <= total else (ub0, 0.0)
        if margin == 0 or thr[q] <= margin:
            n = scatter(acc, j0, j1, qterm, qval, ptr, ids, vals)
            collect(acc, d0, q, keep, cidx, csc, count, thr, cols, cand)
            expect[q] /= 2  # (so that pruning is tried again after a few blocks)
        else:
            n, m = _candidates(j0, j1, qterm, qval, ptr, ids, vals, acc, cols, cand, ub, margin, thr[q])
            # (when all the postings had to be read, wait a few blocks before trying again)
            expect[q] = m if n < total else 64 * total / ((j1 - j0) * PROBE)
            n += _rescore(cand[:m], d0, q, j0, j1, qterm, qval, ptr, ids, vals, keep, cidx, csc, count, thr)
        postings[0] += n


@jit
def _bounds(j0, j1, qterm, qval, hi, lo):
    """Each term's bound on its contribution to a document of the block, and the rounding margin."""
    ub, absmax = np.zeros(j1 - j0), 0.0
    for j in range(j0, j1):
        t, w = qterm[j], np.float64(qval[j])
        ub[j - j0] = max(0.0, w * hi[t], w * lo[t])
        absmax += abs(w) * max(abs(np.float64(hi[t])), abs(np.float64(lo[t])))
    return ub, (j1 - j0 + 2) * 2.0 ** -22 * absmax + 1e-30


@jit
def _candidates(j0, j1, qterm, qval, ptr, ids, vals, acc, cols, cand, ub, margin, threshold):
    """Read the terms by decreasing bound until the documents still able to beat the threshold
    (``cand``, ascending) are few enough to score one by one; returns the postings read and how
    many candidates. ``acc`` is left zero."""
    order = np.argsort(-ub)
    rest = np.empty(order.size + 1)  # rest[i]: the bound of terms order[i:], plus the margin
    left = np.zeros(order.size + 1, dtype=np.int64)  # and their postings
    rest[-1] = margin
    for i in range(order.size - 1, -1, -1):
        t = qterm[j0 + order[i]]
        rest[i], left[i] = rest[i + 1] + ub[order[i]], left[i + 1] + ptr[t + 1] - ptr[t]
    n, m, i = 0, -1, 0
    while i < order.size:
        if rest[i] < threshold:  # a document none of the terms read holds cannot beat it
            tau = _below(threshold - rest[i])
            m = _above(acc, tau, cols, cand) if m < 0 else _keep_above(acc, tau, cand, m)
            if m * (j1 - j0) * PROBE < left[i]:
                break
        n += scatter(acc, j0 + order[i], j0 + order[i] + 1, qterm, qval, ptr, ids, vals)
        i += 1
    if i == order.size:
        tau = _below(threshold - margin)
        m = _above(acc, tau, cols, cand) if m < 0 else _keep_above(acc, tau, cand, m)
    acc[:] = 0
    return n, m


@jit
def _below(x):
    """The largest float32 at most ``x`` (a float64)."""
    f = np.float32(x)
    return np.nextafter(f, np.float32(-np.inf)) if np.float64(f) > x else f


@jit
def _above(acc, tau, cols, out):
    """Write the ascending positions ``i`` with ``acc[i] > tau`` into ``out`` (BLOCK + COLS
    slots); returns how many. Column maxima first, as in :func:`candidates.collect`."""
    hot = out[BLOCK:]
    n_hot = hot_columns(acc, tau, cols, hot)
    m = 0
    for r in range(0, BLOCK, COLS):
        for j in hot[:n_hot]:
            out[m] = r + j
            m += acc[r + j] > tau
    return m


@jit
def _keep_above(acc, tau, cand, m):
    """Keep the candidates whose partial sum still beats ``tau``."""
    n = 0
    for i in range(m):
        cand[n] = cand[i]
        n += acc[cand[i]] > tau
    return n


@jit
def _rescore(docs, d0, q, j0, j1, qterm, qval, ptr, ids, vals, keep, cidx, csc, count, thr):
    """Score each of ``docs`` (ascending local ids) exactly, terms in stored order, finding its
    postings by galloping from a cursor per term; keep those that beat the threshold. Returns the
    postings probed."""
    cursor = np.empty(j1 - j0, dtype=np.int64)
    for j in range(j0, j1):
        cursor[j - j0] = ptr[qterm[j]]
    probes = 0
    for d in docs:
        score = np.float32(0)
        for j in range(j0, j1):
            p, end = cursor[j - j0], ptr[qterm[j] + 1]
            if p < end and ids[p] < d:  # gallop to the first posting >= d
                step = 1
                while p + step < end and ids[p + step] < d:
                    p += step
                    step *= 2
                    probes += 1
                a, b = p + 1, min(p + step, end)
                while a < b:
                    mid = (a + b) // 2
                    probes += 1
                    if ids[mid] < d:
                        a = mid + 1
                    else:
                        b = mid
                p = a
            while p < end and ids[p] == d:  # (a document may repeat a term: stored order)
                score += qval[j] * vals[p]
                p += 1
            probes += 1
            cursor[j - j0] = p
        if score > thr[q]:
            m = count[q]
            cidx[q, m], csc[q, m] = d0 + d, score
            count[q] = m + 1
            if m + 1 >= 2 * keep:
                cut(q, keep, cidx, csc, count, thr)
    return probes
