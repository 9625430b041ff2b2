"""The candidates of :mod:`kernel`: screening a block's accumulator against a query's running
threshold, the buffer of candidates and its cuts, and the final ranking's sort keys."""

from __future__ import annotations

import numpy as np

from .jit import jit

BLOCK = 4096  # documents per block (local ids fit in uint16; the accumulator, 16 KB, stays in L1)
ROWS, COLS = 16, BLOCK // 16  # the accumulator seen as a matrix (see collect)
PAD = np.iinfo(np.uint64).max  # no candidate's key: its score would be 0


@jit
def collect(acc, d0, q, keep, cidx, csc, count, thr, cols, hot):
    """Append the documents ``d0 + i`` whose ``acc[i]`` beats ``thr[q]`` to query ``q``'s
    candidates, in ascending order, and zero ``acc`` (zero past the block's last document).

    ``acc`` is seen as ROWS x COLS: the column maxima cost one vectorised maximum per row, and only
    the columns whose maximum beats the threshold are read again, row after row (so in document
    order). Loops run on unsigned indices (no wraparound test, so they vectorise) and the appends
    are branch-free (a slot is written, and kept only if the score beats the threshold)."""
    t = thr[q]
    n_hot = hot_columns(acc, t, cols, hot)
    if n_hot:
        m = count[q]
        for r in range(0, BLOCK, COLS):
            for j in hot[:n_hot]:
                x = acc[r + j]
                cidx[q, m], csc[q, m] = d0 + r + j, x
                m += x > t
            if m >= 2 * keep:  # the buffer has COLS spare slots for the row that fills it
                count[q] = m
                t = cut(q, keep, cidx, csc, count, thr)
                m = keep
        count[q] = m
    acc[:] = 0


@jit
def hot_columns(acc, t, cols, hot):
    """The columns of ``acc`` (seen as ROWS x COLS) whose maximum beats ``t``, ascending, into ``hot``;
    returns how many (their maxima are left in ``cols``)."""
    n = np.uint64(COLS)
    for j in range(n):
        most = acc[j]
        for r in range(1, ROWS):  # (unrolled: constant trip count)
            x = acc[r * n + j]
            most = x if x > most else most
        cols[j] = most
    n_hot = 0
    for j in range(n):
        hot[n_hot] = j
        n_hot += cols[j] > t
    return n_hot


@jit
def cut(q, keep, cidx, csc, count, thr):
    """Keep query ``q``'s best ``keep`` candidates (at a tie the first, i.e. lowest, documents);
    the keep-th score becomes the threshold, which it returns."""
    m = count[q]
    sc = csc[q, :m]
    kth = _kth_largest(sc, keep)
    ties = keep - np.count_nonzero(sc > kth)
    n = 0
    for i in range(m):  # branch-free compaction
        s = sc[i]
        tie = s == kth and ties > 0
        cidx[q, n], csc[q, n] = cidx[q, i], s
        n += s > kth or tie
        ties -= tie
    count[q], thr[q] = keep, kth
    return kth


@jit
def _kth_largest(scores, k):
    """The k-th largest of positive float32 scores (whose bits sort as they do): a histogram of
    the bits over their range finds the bin holding it, and only that bin is sorted."""
    bits = scores.view(np.int32)
    lo, hi = bits.min(), bits.max()
    shift = 0
    while (hi - lo) >> shift >= 2048:
        shift += 1
    hist = np.zeros(2048, dtype=np.int64)
    for b in bits:
        hist[(b - lo) >> shift] += 1
    v = 2047
    while hist[v] < k:  # the bin holding the k-th largest, counting from the top
        k -= hist[v]
        v -= 1
    same = np.empty(hist[v] + 1, dtype=np.int32)  # (+1: the branch-free loop writes one past)
    n = 0
    for b in bits:
        same[n] = b
        n += (b - lo) >> shift == v
    return np.sort(same[:n].view(np.float32))[n - k]


@jit
def to_keys(q0, q1, idx, sc, count, keys):
    """Sort keys of the candidates of queries ``q0..q1-1`` in every row: the score's bits (which
    sort as positive scores do) reversed, then the document."""
    for q in range(q0, q1):
        n = 0
        for s in range(count.shape[0]):
            bits = sc[s, q].view(np.uint32)
            for i in range(count[s, q]):
                keys[q, n] = (np.uint64(0xFFFFFFFF - bits[i]) << np.uint64(32)) | np.uint64(idx[s, q, i])
                n += 1


@jit
def from_keys(keys, out_idx, out_sc):
    """Sorted keys back to documents and scores (stopping at the padding)."""
    for q in range(keys.shape[0]):
        bits = out_sc[q].view(np.uint32)
        for i in range(keys.shape[1]):
            if keys[q, i] == PAD:
                break
            out_idx[q, i] = keys[q, i] & np.uint64(0xFFFFFFFF)
            bits[i] = np.uint64(0xFFFFFFFF) - (keys[q, i] >> np.uint64(32))


@jit
def scatter(acc, j0, j1, qterm, qval, ptr, ids, vals):
    """Add the postings of query terms ``j0..j1-1`` to ``acc``, in this (the stored, scipy's)
    order; returns how many there were."""
    n = 0
    for j in range(j0, j1):
        t, w = qterm[j], qval[j]
        for r in range(np.uint64(ptr[t]), np.uint64(ptr[t + 1])):  # unsigned: no wraparound test
            acc[ids[r]] += w * vals[r]  # float32 product, then float32 sum
        n += ptr[t + 1] - ptr[t]
    return n
