"""Exact sparse top-k search: splade_beir's kernel against its previous search and the peers' searches.

Synthetic corpora shaped like SPLADE's output (``benchmarks/synthetic.py``: documents with ~130
non-zeros, queries with ~19, Zipf-like use of a 30,522-entry vocabulary, positive log-normal
weights), searched for the top ``k`` of every query by every method, on the same matrices and the same
thread count. Methods:

- ``splade_beir``: :func:`splade_beir.search.kernel.topk` (``threads=T``).
- ``splade_beir-prune``: the same with ``prune=True`` (safe dynamic pruning; the fraction of the
  postings it actually read comes from its ``stats``).
- ``splade_beir-0.1``: splade_beir's previous search (numpy: block inversion + ``np.add.at``), copied
  from git history into ``benchmarks/peers/numpy_topk.py`` (``threads=T``).
- ``scipy``: the straightforward search, ``D.T`` transposed once, then per chunk of 64 queries
  ``(Q_chunk @ DT).toarray()`` and ``np.argpartition`` per row (single-threaded). ``scipy-literal``
  writes ``Q_chunk @ D.T`` literally, which makes scipy transpose ``D`` again for every chunk (not
  run by default).
- ``naver-numba``: a naver/splade-style numba search (``benchmarks/peers/naver_numba.py``: per query,
  its postings scattered into a dense float32 array of ``n_docs``, then ``np.argpartition``; queries
  over ``numba.prange`` on ``T`` threads; the inversion ``D.tocsc()`` is timed).
- ``sparse_dot_topn``: ``sparse_dot_topn.sp_matmul_topn(Q, D.T, top_n=k, n_threads=T, sort=True)``
  (its conversion of ``D.T`` and the ordering of its CSR result into lists are timed).
- ``torch``: sentence-transformers' ``semantic_search`` with ``dot_score`` on sparse COO tensors
  (``torch.mm`` of sparse tensors, then ``torch.topk``; ``torch.set_num_threads(T)``), as
  ``SparseEncoder`` users run it. The COO tensors are built before the clock starts.
- ``beir``: beir's ``SparseSearch`` with ``query_weights=True`` (one sparse matrix-vector product over
  the whole corpus per query, then ``np.argpartition``), fed the same matrices (single-threaded).

Measuring. Each method runs in a fresh subprocess per round, with ``OMP_NUM_THREADS``,
``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` set to ``T``; it loads the
matrices, is warmed up on a small slice (numba functions compiled or loaded from their disk cache,
imports and lazy set-ups done: ``warmup_s``), then timed on the whole input. Its peak memory is the
growth of the resident set during the timed call (Linux ``VmHWM``, reset just before). The methods
alternate over ``--rounds`` rounds, the order rotating; the slow ones (torch, beir, scipy-literal)
run only in the first ``--slow-rounds`` rounds, on the first ``--slow-queries`` queries (their times
are compared per query). The compile time of the numba code is measured once, apart: in fresh
processes with an empty numba cache directory (compiling), then with that directory filled.

Reported per method: best and median seconds, splade_beir's speedup (best against best, and the
median of the ratios within each round, with every round's ratio), nanoseconds per posting touched
(postings: the sum over the queries of the posting-list lengths of their terms; for prune, those it
read), peak memory, and its lists against splade_beir's: identical bit for bit (indices and scores),
or, query by query, the same scores at every rank with documents differing only among those tied at
the k-th score, or other differences.

Run: ``python benchmarks/search_bench.py --docs 1000000 --threads 2 --rounds 3`` (~10 minutes on a
shared 2-core machine), ``--docs 100000`` (a few minutes), ``--docs 20000 --queries 200`` (a quick
look). Results: ``benchmarks/results/search_<docs>docs_<T>threads.json``, and Markdown on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from memory import csr_bytes, memory_kb, reset_peak  # noqa: E402  (benchmarks/memory.py)
from synthetic import idf_weighted, synthetic_splade  # noqa: E402  (benchmarks/synthetic.py)

from splade_beir.atomic import atomic_write_text  # noqa: E402

METHODS = ("splade_beir", "splade_beir-prune", "splade_beir-0.1", "scipy", "naver-numba", "sparse_dot_topn",
           "torch", "beir")
ALL_METHODS = METHODS + ("scipy-literal",)
SLOW = ("torch", "beir", "scipy-literal")  # --slow-queries and --slow-rounds apply to these
SINGLE_THREADED = ("scipy", "scipy-literal", "beir")  # no thread count to give
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
REFERENCE = "splade_beir"
RESULTS = HERE / "results"


def postings_per_query(Q: sp.csr_matrix, D: sp.csr_matrix) -> np.ndarray:
    """For each query, the sum of the posting-list lengths (document frequencies) of its terms."""
    df = np.bincount(D.indices, minlength=D.shape[1]).astype(np.int64)
    return np.add.reduceat(np.append(df[Q.indices], 0), Q.indptr[:-1]) * (np.diff(Q.indptr) > 0)


# ---------------------------------------------------------------------------------------------
# the searches (each returns (indices, scores) as splade_beir's topk does)

def ranked(idx: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Hits of unordered (index, score) candidates: positive scores only, by score descending then
    index ascending, padded to ``k`` with -1 / 0."""
    keep = scores > 0
    idx, scores = idx[keep], scores[keep]
    order = np.lexsort((idx, -scores))[:k]
    out_idx = np.full(k, -1, dtype=np.int64)
    out_sc = np.zeros(k, dtype=np.float32)
    out_idx[:order.size], out_sc[:order.size] = idx[order], scores[order]
    return out_idx, out_sc


def scipy_topk(Q: sp.csr_matrix, D: sp.csr_matrix, k: int, query_chunk: int = 64,
               literal: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The straightforward search: dense score rows from scipy's sparse product, argpartition."""
    n_q, n_d = Q.shape[0], D.shape[0]
    out_idx = np.full((n_q, k), -1, dtype=np.int64)
    out_sc = np.zeros((n_q, k), dtype=np.float32)
    DT = D.T if literal else D.T.tocsr()
    for q0 in range(0, n_q, query_chunk):
        dense = (Q[q0:q0 + query_chunk] @ DT).toarray()
        for r, row in enumerate(dense):
            if k >= n_d:
                top = np.arange(n_d)
            else:
                top = np.argpartition(row, n_d - k)[n_d - k:]
                kth = row[top].min()  # ties at the cut: the lowest document indices, as splade_beir
                above = np.flatnonzero(row > kth)
                top = np.concatenate([above, np.flatnonzero(row == kth)[: k - above.size]])
            out_idx[q0 + r], out_sc[q0 + r] = ranked(top, row[top], k)
    return out_idx, out_sc


def sdtopn_topk(Q: sp.csr_matrix, D: sp.csr_matrix, k: int, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """sparse_dot_topn's top-n product, its CSR result laid out as lists (score descending, then index)."""
    from sparse_dot_topn import sp_matmul_topn

    C = sp_matmul_topn(Q, D.T, top_n=k, n_threads=threads, sort=True).tocsr()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    keep = C.data > 0
    rows, idx, sc = rows[keep], C.indices[keep].astype(np.int64), C.data[keep].astype(np.float32)
    order = np.lexsort((idx, -sc, rows))
    rows, idx, sc = rows[order], idx[order], sc[order]
    rank = np.arange(rows.size) - np.searchsorted(rows, rows)  # place within its row
    out_idx = np.full((C.shape[0], k), -1, dtype=np.int64)
    out_sc = np.zeros((C.shape[0], k), dtype=np.float32)
    out_idx[rows, rank], out_sc[rows, rank] = idx, sc
    return out_idx, out_sc


def to_torch_coo(M: sp.csr_matrix):
    import torch

    coo = M.tocoo()
    indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    return torch.sparse_coo_tensor(indices, torch.from_numpy(coo.data), M.shape).coalesce()


def torch_topk(Qt, Dt, k: int) -> tuple[np.ndarray, np.ndarray]:
    """sentence-transformers' semantic_search with dot products on sparse COO tensors."""
    from sentence_transformers.util import dot_score, semantic_search

    hits = semantic_search(Qt, Dt, top_k=k, score_function=dot_score)
    rows = [ranked(np.array([h["corpus_id"] for h in hs], dtype=np.int64),
                   np.array([h["score"] for h in hs], dtype=np.float32), k) for hs in hits]
    return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])


class _Precomputed:
    """The model interface beir's SparseSearch calls, serving matrices computed beforehand."""

    def __init__(self, Q: sp.csr_matrix, D: sp.csr_matrix):
        self.Q, self.D = Q, D

    def encode_corpus(self, documents, batch_size: int = 16, **kwargs) -> sp.csr_matrix:
        return self.D  # (n_docs, vocab), as beir's uniCOIL returns

    def encode_query(self, query: str, **kwargs) -> np.ndarray:
        return self.Q[int(query)].toarray().ravel()  # a dense vocabulary-sized vector, as uniCOIL's


def beir_inputs(Q: sp.csr_matrix, D: sp.csr_matrix):
    corpus = {f"d{i}": {"title": "", "text": ""} for i in range(D.shape[0])}
    queries = {f"q{i}": str(i) for i in range(Q.shape[0])}
    return _Precomputed(Q, D), corpus, queries


def beir_topk(model, corpus, queries, k: int) -> tuple[np.ndarray, np.ndarray, str | None]:
    """beir's SparseSearch.search as shipped. beir 2.2.0's class leaves two abstract methods of
    BaseSearch (``encode``, ``search_from_files``) undefined, so it cannot be instantiated; then
    a subclass with two stubs runs the very same ``search``, and the returned note says so."""
    from beir.retrieval.search.sparse import SparseSearch

    note = None
    try:
        searcher = SparseSearch(model)
    except TypeError as exc:
        class Instantiable(SparseSearch):
            def encode(self, *args, **kwargs):
                raise NotImplementedError

            def search_from_files(self, *args, **kwargs):
                raise NotImplementedError

        searcher = Instantiable(model)
        note = f"SparseSearch() fails as shipped ({exc}); ran its search() through a subclass with stubs"
    results = searcher.search(corpus, queries, top_k=k, score_function="dot", query_weights=True)
    rows = []
    for qid in queries:
        hits = results.get(qid, {})
        rows.append(ranked(np.array([int(d[1:]) for d in hits], dtype=np.int64),
                           np.array(list(hits.values()), dtype=np.float32), k))
    return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]), note


def searcher(method: str, Q: sp.csr_matrix, D: sp.csr_matrix, threads: int):
    """``search(k) -> (indices, scores, extra)`` for ``method`` on ``Q``, ``D`` (inputs that are not
    part of the search, torch's tensors and beir's dictionaries, are built here, before the clock)."""
    if method in ("splade_beir", "splade_beir-prune"):
        from splade_beir.search.kernel import topk

        def search(k):
            stats: dict = {}
            idx, sc = topk(Q, D, k, threads=threads, prune=method.endswith("prune"), stats=stats)
            return idx, sc, stats
    elif method == "splade_beir-0.1":
        from peers.numpy_topk import topk as numpy_topk

        def search(k):
            return (*numpy_topk(Q, D, k, threads=threads), {})
    elif method.startswith("scipy"):
        def search(k):
            return (*scipy_topk(Q, D, k, literal=method == "scipy-literal"), {})
    elif method == "naver-numba":
        from peers.naver_numba import topk as naver_topk

        def search(k):
            timings: dict = {}
            return (*naver_topk(Q, D, k, threads, timings), timings)
    elif method == "sparse_dot_topn":
        def search(k):
            return (*sdtopn_topk(Q, D, k, threads), {})
    elif method == "torch":
        import torch

        torch.set_num_threads(threads)
        Qt, Dt = to_torch_coo(Q), to_torch_coo(D)

        def search(k):
            return (*torch_topk(Qt, Dt, k), {"torch_threads": torch.get_num_threads()})
    elif method == "beir":
        inputs = beir_inputs(Q, D)

        def search(k):
            idx, sc, note = beir_topk(*inputs, k)
            return idx, sc, {"note": note} if note else {}
    else:
        raise SystemExit(f"unknown method {method!r}")
    return search


# ---------------------------------------------------------------------------------------------
# one method in this process (the worker side)

def run_worker(method: str, data: Path, k: int, threads: int, n_queries: int | None, out: Path) -> dict:
    Q, D = sp.load_npz(data / "Q.npz").tocsr(), sp.load_npz(data / "D.npz").tocsr()
    Q = Q[:n_queries] if n_queries else Q
    t0 = time.perf_counter()  # warm up: imports, numba compilation or cache loading, lazy set-ups
    searcher(method, Q[:8], D[:20_000], threads)(10)
    warmup_s = time.perf_counter() - t0
    search = searcher(method, Q, D, threads)
    if method == "torch":
        del D  # (torch searches its own COO copy)
    before = memory_kb()["VmRSS"]
    exact_peak = reset_peak()
    start = time.perf_counter()
    idx, scores, extra = search(k)
    seconds = time.perf_counter() - start
    peak = memory_kb()["VmHWM"]
    np.savez(out, indices=idx, scores=scores)
    return {"seconds": seconds, "queries": Q.shape[0], "peak_mb": max(0, peak - before) / 1024,
            "peak_exact": exact_peak, "warmup_s": warmup_s, **extra}


def compile_times(work: Path) -> dict:
    """Seconds of the first small call of each numba search in fresh processes (imports apart):
    with an empty ``NUMBA_CACHE_DIR`` (everything compiled, and written there), then with it filled
    (loaded from the cache, as every later process does)."""
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
            "import numpy as np, scipy.sparse as sp; from splade_beir.search.kernel import topk; "
            "from peers.naver_numba import topk as naver; out = {'import_s': time.perf_counter() - t}; "
            "Q = sp.random(3, 50, 0.3, format='csr', dtype=np.float32, random_state=0); "
            "D = sp.random(100, 50, 0.3, format='csr', dtype=np.float32, random_state=1)\n"
            "for name, call in [('splade_beir', lambda: topk(Q, D, 5, threads=1)), "
            "('splade_beir-prune', lambda: topk(Q, D, 5, threads=1, prune=True)), "
            "('naver-numba', lambda: naver(Q, D, 5, 1))]:\n"
            "    t = time.perf_counter(); call(); out[name + '_s'] = time.perf_counter() - t\n"
            "print(__import__('json').dumps(out))")
    result = {}
    cache = work / "numba-cache"
    for name in ("empty_cache", "warm_cache"):
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
        env.pop("SPLADE_SEARCH_NO_CACHE", None)
        proc = subprocess.run([sys.executable, "-c", code, str(HERE)], env=env, capture_output=True, text=True)
        result[name] = (json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0
                        else {"error": proc.stderr.strip()[-500:]})
    return result


# ---------------------------------------------------------------------------------------------
# the driver

def compare(ref_idx: np.ndarray, ref_sc: np.ndarray, idx: np.ndarray, sc: np.ndarray) -> dict:
    """How a method's lists match the reference's (on the queries it ran), query by query: identical
    (indices, and scores bit for bit); the same scores at every rank, the documents differing only
    among those tied with the k-th score; other."""
    ref_idx, ref_sc = ref_idx[:idx.shape[0]], ref_sc[:idx.shape[0]]
    same_scores = np.all(ref_sc.view(np.int32) == sc.view(np.int32), axis=1)
    identical = same_scores & np.all(ref_idx == idx, axis=1)
    ties_only = 0
    for q in np.flatnonzero(same_scores & ~identical):
        above = ref_sc[q] > ref_sc[q, -1]  # the documents scoring more than the k-th: the same, in order
        ties_only += bool(np.array_equal(ref_idx[q, above], idx[q, above]))
    overlap = [np.intersect1d(a[a >= 0], b[b >= 0]).size / max(1, int((a >= 0).sum())) for a, b in zip(ref_idx, idx)]
    return {"queries": int(idx.shape[0]), "identical_queries": int(identical.sum()),
            "differ_only_among_ties_at_kth": ties_only,
            "other_differences": int(idx.shape[0] - identical.sum() - ties_only),
            "bit_identical": bool(identical.all()),
            "mean_overlap": float(np.mean(overlap)) if overlap else 1.0,
            "max_abs_score_diff_by_rank": float(np.abs(ref_sc - sc).max()) if sc.size else 0.0}


def verdict(c: dict) -> str:
    if c["bit_identical"]:
        return "identical, bit for bit"
    if c["other_differences"] == 0:
        return (f"{c['identical_queries']}/{c['queries']} identical; the other {c['differ_only_among_ties_at_kth']} "
                f"differ only among ties at the k-th score")
    return (f"{c['identical_queries']}/{c['queries']} identical, {c['differ_only_among_ties_at_kth']} differ only "
            f"among ties at the k-th score, {c['other_differences']} otherwise (overlap {c['mean_overlap']:.4f}, "
            f"score diff <= {c['max_abs_score_diff_by_rank']:.1e})")


def run_method(method: str, data: Path, k: int, threads: int, n_queries: int, out: Path,
               timeout: float | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--data", str(data), "--k", str(k),
           "--threads", str(threads)]
    cmd += ["--queries", str(n_queries), "--out", str(out)]
    env = {**os.environ, **{var: str(threads) for var in THREAD_VARS}}
    load = os.getloadavg()[0]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after the {timeout:.0f} s timeout", "load_before": load}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"failed: {tail}", "load_before": load}
    return {**json.loads(lines[-1]), "load_before": load}


def bench_threads(data: Path, n_queries: int, k: int, threads: int, methods: list[str], rounds: int,
                  slow_rounds: int, slow_queries: int | None, timeout: float | None,
                  per_query_postings: np.ndarray) -> dict:
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    round_loads = []
    for r in range(rounds):
        order = methods[r % len(methods):] + methods[:r % len(methods)]
        round_loads.append(os.getloadavg())
        for m in order:
            if m in SLOW and r >= slow_rounds:
                continue
            nq = min(slow_queries, n_queries) if m in SLOW and slow_queries else n_queries
            row = run_method(m, data, k, threads, nq, data / f"{m}_{threads}_r{r}.npz", timeout)
            row["round"] = r
            runs[m].append(row)
            print(f"  threads={threads} round {r} {m}: " + (row["error"] if "error" in row else
                  f"{row['seconds']:.2f} s for {row['queries']} queries, peak +{row['peak_mb']:.0f} MB, "
                  f"load {row['load_before']:.2f}"), flush=True)
    rows: dict[str, dict] = {}
    ref_runs = [x for x in runs.get(REFERENCE, []) if "seconds" in x]
    ref = np.load(data / f"{REFERENCE}_{threads}_r{ref_runs[0]['round']}.npz") if ref_runs else None
    ref_per_q = {x["round"]: x["seconds"] / x["queries"] for x in ref_runs}
    for m in methods:
        ok = [x for x in runs[m] if "seconds" in x]
        if not ok:
            rows[m] = {"error": runs[m][0]["error"] if runs[m] else "not run", "runs": runs[m]}
            continue
        nq = ok[0]["queries"]
        seconds = [x["seconds"] for x in ok]
        best = min(seconds)
        postings = int(per_query_postings[:nq].sum())
        touched = [x.get("postings", postings) for x in ok] if m == "splade_beir-prune" else [postings] * len(ok)
        touched_best = touched[int(np.argmin(seconds))]
        row = {"queries": nq, "threads": 1 if m in SINGLE_THREADED else threads, "best_s": best,
               "median_s": float(np.median(seconds)), "all_s": seconds,
               "s_per_1000_queries": best * 1000 / nq, "peak_mb": max(x["peak_mb"] for x in ok),
               "warmup_s": [x["warmup_s"] for x in ok], "postings_exhaustive": postings,
               "postings_touched": touched_best, "fraction_touched": touched_best / postings if postings else None,
               "ns_per_posting_touched": best * 1e9 / touched_best if touched_best else None,
               "loads_before": [x["load_before"] for x in ok], "runs": runs[m]}
        for key in ("invert_s", "note", "torch_threads"):
            if key in ok[-1]:
                row[key] = [x[key] for x in ok] if key == "invert_s" else ok[-1][key]
        lists = [np.load(data / f"{m}_{threads}_r{x['round']}.npz") for x in ok]
        row["same_lists_every_round"] = all(np.array_equal(f["indices"], lists[0]["indices"]) and np.array_equal(
            f["scores"].view(np.int32), lists[0]["scores"].view(np.int32)) for f in lists)
        if ref is not None:
            row["vs_splade_beir"] = compare(ref["indices"], ref["scores"], lists[0]["indices"], lists[0]["scores"])
            ref_best = min(ref_per_q.values())
            row["speedup_of_splade_beir"] = (best / nq) / ref_best  # per query, best against best
            paired = [(x["seconds"] / x["queries"]) / ref_per_q[x["round"]] for x in ok if x["round"] in ref_per_q]
            row["speedup_of_splade_beir_per_round"] = paired
            row["speedup_of_splade_beir_paired_median"] = float(np.median(paired)) if paired else None
        rows[m] = row
    return {"threads": threads, "rounds": rounds, "load_at_round_start": round_loads, "methods": rows}


def bench_size(n_docs: int, n_queries: int, k: int, seed: int, weights: str, thread_counts: list[int],
               methods: list[str], rounds: int, slow_rounds: int, slow_queries: int | None,
               timeout: float | None, workdir: Path) -> dict:
    t0 = time.perf_counter()
    Q, D = synthetic_splade(n_docs, n_queries, seed)
    if weights == "idf":
        Q, D = idf_weighted(Q, D)
    from splade_beir.evaluation.cost import flops, mean_nnz

    data = workdir / f"{n_docs}"
    data.mkdir(parents=True, exist_ok=True)
    sp.save_npz(data / "Q.npz", Q, compressed=False)
    sp.save_npz(data / "D.npz", D, compressed=False)
    per_query = postings_per_query(Q, D)
    corpus = {"n_docs": n_docs, "n_queries": n_queries, "k": k, "seed": seed, "weights": weights,
              "doc_nnz_mean": mean_nnz(D), "query_nnz_mean": mean_nnz(Q), "flops": flops(Q, D),
              "top_term_df": float(np.bincount(D.indices, minlength=D.shape[1]).max() / max(1, n_docs)),
              "doc_csr_mb": csr_bytes(D) / 2 ** 20, "postings_exhaustive": int(per_query.sum()),
              "generate_s": time.perf_counter() - t0}
    print(f"\n{n_docs:,} documents x {n_queries:,} queries, top-{k}: doc nnz {corpus['doc_nnz_mean']:.1f}, "
          f"query nnz {corpus['query_nnz_mean']:.1f}, FLOPS {corpus['flops']:.2f}, "
          f"document CSR {corpus['doc_csr_mb']:.0f} MB, {corpus['postings_exhaustive']:,} postings", flush=True)
    del Q, D
    runs = [bench_threads(data, n_queries, k, t, methods, rounds, slow_rounds, slow_queries, timeout, per_query)
            for t in thread_counts]
    return {"corpus": corpus, "by_threads": runs}


def markdown(size: dict) -> str:
    c = size["corpus"]
    out = []
    for run in size["by_threads"]:
        loads = ", ".join(f"{x[0]:.2f}" for x in run["load_at_round_start"])
        out += [f"**{c['n_docs']:,} documents x {c['n_queries']:,} queries, top-{c['k']}, {run['threads']} "
                f"thread(s)** ({c['weights']} weights; doc nnz {c['doc_nnz_mean']:.0f}, query nnz "
                f"{c['query_nnz_mean']:.0f}, FLOPS {c['flops']:.2f}, document CSR {c['doc_csr_mb']:.0f} MB, "
                f"{c['postings_exhaustive']:,} postings; {run['rounds']} rounds, load average at their starts: "
                f"{loads})", "",
                "| method | threads | queries | best s | median s | splade_beir speedup (best; per-round median) "
                "| per-round ratios | ns/posting touched | fraction touched | peak MB | lists vs splade_beir |",
                "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|"]
        for m, r in run["methods"].items():
            if "error" in r:
                out.append(f"| {m} | | | | | | | | | | {r['error']} |")
                continue
            check = r.get("vs_splade_beir")
            text = "-" if check is None else ("reference" if m == REFERENCE else verdict(check))
            if not r["same_lists_every_round"]:
                text += " (lists NOT the same in every round)"
            if r.get("note"):
                text += f"; {r['note']}"
            speed = ("-" if r.get("speedup_of_splade_beir") is None else
                     f"{r['speedup_of_splade_beir']:.2f}x; {r['speedup_of_splade_beir_paired_median']:.2f}x")
            ratios = ", ".join(f"{x:.2f}" for x in r.get("speedup_of_splade_beir_per_round", []))
            out.append(f"| {m} | {r['threads']} | {r['queries']} | {r['best_s']:.2f} | {r['median_s']:.2f} | {speed} | "
                       f"{ratios} | {r['ns_per_posting_touched']:.2f} | {r['fraction_touched']:.3f} | "
                       f"{r['peak_mb']:.0f} | {text} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[1_000_000], help="corpus sizes")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="thread counts, each run in turn (default: the CPUs available)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds the methods alternate over")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=ALL_METHODS)
    parser.add_argument("--weights", choices=["splade", "idf"], default="splade",
                        help="idf: weights scaled by term rarity (synthetic.idf_weighted), where pruning can pay")
    parser.add_argument("--slow-queries", type=int, default=None,
                        help="torch, beir and scipy-literal search only the first N queries (compared per query)")
    parser.add_argument("--slow-rounds", type=int, default=1, help="rounds torch, beir and scipy-literal run in")
    parser.add_argument("--no-compile", action="store_true", help="skip the measure of numba's compile time")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per method and round")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON file (default: benchmarks/results/search_<docs>docs_<threads>threads.json)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.data, args.k, args.threads[0], args.queries, args.out)))
        return
    from splade_beir.threads import available_cpus

    threads = args.threads or [available_cpus()]
    methods = list(dict.fromkeys([REFERENCE] + args.methods))  # the reference always runs
    report = {"benchmark": "search", "command": " ".join([Path(sys.executable).name] + sys.argv),
              "date": dt.datetime.now().isoformat(timespec="seconds"),
              "machine": {"cpus": available_cpus(), "platform": platform.platform(),
                          "processor": platform.processor(), "load_at_start": os.getloadavg()},
              "versions": {"python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
                           **{name: _version(name) for name in ("splade-beir", "numba", "sparse_dot_topn", "torch",
                                                                "sentence-transformers", "beir")}},
              "env": {var: "the thread count" for var in THREAD_VARS}, "sizes": []}
    with tempfile.TemporaryDirectory(prefix="search_bench_") as tmp:
        if not args.no_compile:
            report["compile"] = compile_times(Path(tmp))
            print("numba compile (first small call, seconds):", json.dumps(report["compile"]), flush=True)
        for n_docs in args.docs:
            size = bench_size(n_docs, args.queries, args.k, args.seed, args.weights, threads, methods, args.rounds,
                              args.slow_rounds, args.slow_queries, args.timeout, Path(tmp))
            report["sizes"].append(size)
            print("\n" + markdown(size), flush=True)
    report["machine"]["load_at_end"] = os.getloadavg()
    name = (f"search_{'_'.join(str(n) for n in args.docs)}docs_{'_'.join(map(str, threads))}threads"
            f"{'_idf' if args.weights == 'idf' else ''}.json")
    output = args.output or RESULTS / name
    atomic_write_text(output, json.dumps(report, indent=2) + "\n")
    print(f"wrote {output}")


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
