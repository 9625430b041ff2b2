"""Exact sparse search: splade_beir.search.topk against the straightforward and the peers' searches.

Synthetic corpora shaped like SPLADE's output: documents with ~130 non-zeros and queries with ~19,
drawn from a Zipf-like use of a 30,522-entry vocabulary, with positive log-normal weights. The
parameters were fitted to splade-tiny on 2,000 msmarco-5k passages and its 50 queries (documents: 128
non-zeros on average; queries: 18; FLOPS 2.1; the most common term in half the documents); the
synthetic corpora print their own statistics.

Every method runs in a fresh subprocess, so that its peak memory (the growth of the resident set
during the search, after the inputs are loaded) is its own. Methods:

- ``splade_beir``: :func:`splade_beir.search.topk` (all CPUs), and ``splade_beir-1thread``.
- ``scipy``: the straightforward search, ``D.T`` transposed once, then per chunk of 64 queries
  ``(Q_chunk @ DT).toarray()`` and ``np.argpartition`` per row (splade_beir's search before this
  benchmark existed). ``scipy-literal`` writes ``Q_chunk @ D.T`` literally, which makes scipy
  transpose ``D`` again for every chunk (not run by default).
- ``torch``: sentence-transformers' ``semantic_search`` with ``dot_score`` on sparse COO tensors
  (``torch.mm`` of sparse tensors, then ``torch.topk``), as ``SparseEncoder`` users run it.
- ``beir``: beir's ``SparseSearch`` with ``query_weights=True`` (one sparse matrix-vector product
  over the whole corpus per query, then ``np.argpartition``), fed the same matrices.

Run: ``python benchmarks/search_bench.py --docs 100000`` (~3 minutes on 2 cores),
``--docs 1000000 --slow-queries 200`` (~9 minutes; torch alone would take ~15 minutes on all 1,000
queries), or e.g. ``--docs 20000 --queries 200`` for a quick look.
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

from memory import memory_kb, reset_peak  # benchmarks/memory.py
from splade_beir.atomic import atomic_write_text

VOCAB = 30522
DOC_SHAPE = dict(mean_nnz=136, zipf_offset=50.0, zipf_exponent=1.0, log_mean=-0.9, log_std=1.2)
QUERY_SHAPE = dict(mean_nnz=19, zipf_offset=20.0, zipf_exponent=1.2, log_mean=-0.5, log_std=1.2)
METHODS = ("splade_beir", "splade_beir-1thread", "scipy", "torch", "beir")
SLOW = ("torch", "beir", "scipy-literal")  # --slow-queries applies to these
ALL_METHODS = METHODS + ("scipy-literal",)
RESULTS = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------------------------------------
# synthetic SPLADE-like matrices

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


def csr_bytes(M: sp.csr_matrix) -> int:
    return int(M.data.nbytes + M.indices.nbytes + M.indptr.nbytes)


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


def to_torch_coo(M: sp.csr_matrix):
    import torch

    coo = M.tocoo()
    indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    return torch.sparse_coo_tensor(indices, torch.from_numpy(coo.data), M.shape).coalesce()


def torch_inputs(Q: sp.csr_matrix, D: sp.csr_matrix):
    return to_torch_coo(Q), to_torch_coo(D)


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


# ---------------------------------------------------------------------------------------------
# one method in this process (the worker side)

def run_worker(method: str, data: Path, k: int, n_queries: int | None = None) -> dict:
    import torch

    Q, D = sp.load_npz(data / "Q.npz").tocsr(), sp.load_npz(data / "D.npz").tocsr()
    Q = Q[:n_queries] if n_queries else Q
    if method == "torch":
        inputs = torch_inputs(Q, D)
        del D
    elif method == "beir":
        inputs = beir_inputs(Q, D)
    from splade_beir.search import topk

    before = memory_kb()["VmRSS"]
    exact_peak = reset_peak()
    start = time.perf_counter()
    if method.startswith("splade_beir"):
        idx, scores = topk(Q, D, k, threads=1 if method.endswith("1thread") else None)
    elif method.startswith("scipy"):
        idx, scores = scipy_topk(Q, D, k, literal=method == "scipy-literal")
    elif method == "torch":
        idx, scores = torch_topk(*inputs, k)
    elif method == "beir":
        idx, scores, note = beir_topk(*inputs, k)
    else:
        raise SystemExit(f"unknown method {method!r}")
    seconds = time.perf_counter() - start
    peak = memory_kb()["VmHWM"]
    np.savez(data / f"{method}.npz", indices=idx, scores=scores)
    return {"seconds": seconds, "queries": Q.shape[0], "peak_mb": max(0, peak - before) / 1024,
            "peak_exact": exact_peak, "torch_threads": torch.get_num_threads(),
            **({"note": note} if method == "beir" and note else {})}


# ---------------------------------------------------------------------------------------------
# the driver

def compare(ref_idx: np.ndarray, ref_sc: np.ndarray, idx: np.ndarray, sc: np.ndarray) -> dict:
    """How a method's top-k lists match the reference lists."""
    ref_idx, ref_sc = ref_idx[:idx.shape[0]], ref_sc[:idx.shape[0]]  # a method may run fewer queries
    same_rows = np.all(ref_idx == idx, axis=1)
    overlap = [np.intersect1d(a[a >= 0], b[b >= 0]).size / max(1, int((a >= 0).sum()))
               for a, b in zip(ref_idx, idx)]
    return {"identical_lists": bool(same_rows.all()), "identical_queries": int(same_rows.sum()),
            "identical_scores": bool(np.array_equal(ref_sc, sc)),
            "same_scores_queries": int(np.all(ref_sc == sc, axis=1).sum()),
            "mean_overlap": float(np.mean(overlap)) if overlap else 1.0,
            "max_abs_score_diff_by_rank": float(np.abs(ref_sc - sc).max()) if sc.size else 0.0}


def bench_size(n_docs: int, n_queries: int, k: int, seed: int, methods: list[str], timeout: float | None,
               workdir: Path, slow_queries: int | None = None) -> dict:
    t0 = time.perf_counter()
    Q, D = synthetic_splade(n_docs, n_queries, seed)
    from splade_beir.metrics import flops, mean_nnz

    data = workdir / f"{n_docs}"
    data.mkdir(parents=True, exist_ok=True)
    sp.save_npz(data / "Q.npz", Q, compressed=False)
    sp.save_npz(data / "D.npz", D, compressed=False)
    corpus = {"n_docs": n_docs, "n_queries": n_queries, "k": k, "seed": seed,
              "doc_nnz_mean": mean_nnz(D), "query_nnz_mean": mean_nnz(Q), "flops": flops(Q, D),
              "top_term_df": float(np.bincount(D.indices, minlength=D.shape[1]).max() / max(1, n_docs)),
              "doc_csr_mb": csr_bytes(D) / 2 ** 20, "generate_s": time.perf_counter() - t0}
    print(f"\n{n_docs:,} documents x {n_queries:,} queries, top-{k}: doc nnz {corpus['doc_nnz_mean']:.1f}, "
          f"query nnz {corpus['query_nnz_mean']:.1f}, FLOPS {corpus['flops']:.2f}, "
          f"document CSR {corpus['doc_csr_mb']:.0f} MB", flush=True)
    del Q, D
    rows = {}
    for method in methods:
        cmd = [sys.executable, __file__, "--worker", method, "--data", str(data), "--k", str(k)]
        if slow_queries and method in SLOW and slow_queries < n_queries:
            cmd += ["--queries", str(slow_queries)]
        print(f"  {method} ...", end=" ", flush=True)
        load = os.getloadavg()[0]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            rows[method] = {"error": f"stopped after the {timeout:.0f} s timeout", "load_before": load}
            print(rows[method]["error"], flush=True)
            continue
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            rows[method] = {"error": f"failed: {tail}", "load_before": load}
            print(rows[method]["error"], flush=True)
            continue
        rows[method] = {**json.loads(lines[-1]), "load_before": load}
        print(f"{rows[method]['seconds']:.1f} s for {rows[method]['queries']} queries, "
              f"peak +{rows[method]['peak_mb']:.0f} MB", flush=True)
    reference = "scipy" if "scipy" in rows and "seconds" in rows["scipy"] else None
    if reference:
        ref = np.load(data / f"{reference}.npz")
        for method, row in rows.items():
            if "seconds" in row and method != reference:
                got = np.load(data / f"{method}.npz")
                row["vs_scipy"] = compare(ref["indices"], ref["scores"], got["indices"], got["scores"])
    for row in rows.values():
        if "seconds" in row:
            row["queries_per_s"] = row["queries"] / row["seconds"]
            row["peak_vs_doc_csr"] = row["peak_mb"] / corpus["doc_csr_mb"]
    ours = rows.get("splade_beir", {}).get("queries_per_s")
    for row in rows.values():
        if "seconds" in row and ours:
            row["time_vs_splade_beir"] = ours / row["queries_per_s"]  # time per query, relative
    return {"corpus": corpus, "methods": rows, "reference": reference}


def markdown(size: dict) -> str:
    c = size["corpus"]
    lines = [f"**{c['n_docs']:,} documents x {c['n_queries']:,} queries, top-{c['k']}** (doc nnz "
             f"{c['doc_nnz_mean']:.0f}, query nnz {c['query_nnz_mean']:.0f}, FLOPS {c['flops']:.2f}, "
             f"document CSR {c['doc_csr_mb']:.0f} MB)", "",
             "| method | queries | time (s) | queries/s | peak memory (MB) | peak / doc CSR "
             "| time per query / splade_beir's | top-k lists vs scipy |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for method, row in size["methods"].items():
        if "seconds" not in row:
            lines.append(f"| {method} | - | - | - | - | - | - | {row['error']} |")
            continue
        check = row.get("vs_scipy")
        if method == size["reference"]:
            verdict = "reference"
        elif check is None:
            verdict = "-"
        elif check["identical_lists"] and check["identical_scores"]:
            verdict = "identical (indices and scores)"
        elif check["identical_lists"]:
            verdict = f"identical lists (scores differ by <= {check['max_abs_score_diff_by_rank']:.1e})"
        elif check["same_scores_queries"] == row["queries"]:
            verdict = (f"{check['identical_queries']}/{row['queries']} identical; the others hold the same score "
                       f"at every rank (a different pick among equal scores at the cut)")
        else:
            verdict = (f"{check['identical_queries']}/{row['queries']} identical, overlap "
                       f"{check['mean_overlap']:.4f}, score diff <= {check['max_abs_score_diff_by_rank']:.1e}")
        if row.get("note"):
            verdict += f"; {row['note']}"
        ratio = row.get("time_vs_splade_beir")
        lines.append(f"| {method} | {row['queries']} | {row['seconds']:.2f} | {row['queries_per_s']:.1f} | "
                     f"{row['peak_mb']:.0f} | "
                     f"{row['peak_vs_doc_csr']:.2f} | {'-' if ratio is None else f'{ratio:.2f}x'} | {verdict} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[100_000, 1_000_000], help="corpus sizes")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=ALL_METHODS)
    parser.add_argument("--slow-queries", type=int, default=None,
                        help="run torch, beir and scipy-literal on the first N queries only (timings per query)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds allowed per method and size")
    parser.add_argument("--output", type=Path, default=None, help="JSON file (default: benchmarks/results/"
                        "search_<sizes>.json)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.data, args.k, args.queries)))
        return
    if "scipy" not in args.methods:
        print("note: without the scipy method there is no reference to check the top-k lists against")
    import torch
    from splade_beir.search import default_threads

    report = {"benchmark": "search", "command": " ".join([Path(sys.executable).name] + sys.argv),
              "date": dt.datetime.now().isoformat(timespec="seconds"),
              "machine": {"cpus": default_threads(), "platform": platform.platform(),
                          "processor": platform.processor(), "load_at_start": os.getloadavg()},
              "versions": {"python": platform.python_version(), "numpy": np.__version__,
                           "scipy": scipy.__version__, "torch": torch.__version__,
                           "sentence_transformers": _version("sentence-transformers"),
                           "beir": _version("beir")},
              "sizes": []}
    with tempfile.TemporaryDirectory(prefix="search_bench_") as tmp:
        for n_docs in args.docs:
            size = bench_size(n_docs, args.queries, args.k, args.seed, args.methods, args.timeout, Path(tmp),
                              args.slow_queries)
            report["sizes"].append(size)
            print("\n" + markdown(size), flush=True)
    report["machine"]["load_at_end"] = os.getloadavg()
    output = args.output or RESULTS / f"search_{'_'.join(str(n) for n in args.docs)}docs.json"
    atomic_write_text(output, json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {output}")


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
