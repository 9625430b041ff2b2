"""Memory of sharded encoding and merged search, measured on synthetic SPLADE-like corpora and
extrapolated to MS MARCO's 8,841,823 passages.

What is measured, each step in a fresh process (peak resident set growth, Linux ``VmHWM`` reset
through ``/proc/self/clear_refs`` after the step's inputs are in memory):

- ``corpus``: the driver (and every ``--shard I/N`` process) loading the corpus with
  ``datasets.load_folder`` and building its list of texts. The corpus file repeats the real
  msmarco-5k passages (358 bytes on average) under new ids; without them, 358 random bytes.
- ``worker``: one encoding task of one shard as a worker runs it (``workers._encode_shard``, the
  chunks written through the cache), with the model replaced by a generator of SPLADE-like rows
  (``search_bench.sparse_rows`` with its document shape: ~130 non-zeros per document over a
  30,522-term vocabulary, fitted to splade-tiny on msmarco). Run for a 1-chunk and a 4-chunk shard:
  a worker's data memory depends on the chunk size, not on the shard or corpus size.
- ``model``: the working set of a real encoder (splade-tiny, 256 msmarco-5k passages, batch 32,
  CPU): the process after importing torch/transformers, after loading, and the encoding peak.
- ``merge``: ``shards.merge_shards`` assembling the corpus matrix D from the shards' chunks.
- ``search``: ``search.topk`` over the merged D (the local backend's search), growth beyond D.
- ``merge_topk``: the Ray backend's merge of S shards' top-k lists for nq queries.

Each size-dependent figure is fitted as ``a + b * n_docs`` (least squares over the sizes run) and
evaluated at 8,841,823 passages; D's size is also given exactly by the CSR layout:
``bytes(D) = nnz * (4 + i) + (n_docs + 1) * i`` with ``nnz = n_docs * mean_nnz`` and ``i`` = 4 bytes
(int32 indices) while nnz < 2**31, else 8.

Run: ``python benchmarks/scale_sim.py`` (100k, 200k and 400k documents; a few minutes on 2 cores);
results go to ``benchmarks/results/scale_sim.json`` and are printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from memory import memory_kb  # noqa: E402
from search_bench import DOC_SHAPE, QUERY_SHAPE, VOCAB, sparse_rows  # noqa: E402  (the same synthetic vectors)

MSMARCO_PASSAGES = 8_841_823
MSMARCO_DEV_QUERIES = 6_980
SHARED_MSMARCO = HERE.parent.parent / "shared" / "data" / "msmarco-5k"
RESULTS = HERE / "results"
MB = 2 ** 20
TERM_OF_RANK = np.random.default_rng(0).permutation(VOCAB)  # one vocabulary popularity for documents and queries


# --- measuring ------------------------------------------------------------------------------------

class Peak:
    """Peak resident-set growth (MiB) of the block, above the resident set at its start."""

    def __enter__(self):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS
        self.start = memory_kb()["VmRSS"]
        return self

    def __exit__(self, *exc):
        self.mb = (memory_kb()["VmHWM"] - self.start) / 1024


def csr_mb(M: sp.csr_matrix) -> float:
    return (M.data.nbytes + M.indices.nbytes + M.indptr.nbytes) / MB


class SyntheticEncoder:
    """Stands in for SpladeEncoder in a worker: a chunk of SPLADE-like rows per call, the same rows
    for the same first document (so that every run of a size writes the same corpus)."""

    doc = None

    def fingerprint(self) -> dict:
        return {"weights": "synthetic", "pooling": "max", "doc_max_length": 256, "dtype": "float32",
                "vocab_size": VOCAB}

    def encode_texts(self, texts, side, batch_size=32, desc=""):
        first = int(texts[0].split(" ", 1)[0])
        return sparse_rows(np.random.default_rng([1, first]), len(texts), TERM_OF_RANK, **DOC_SHAPE)


def _spec_class():
    from splade_beir.shards import EncoderSpec

    class SyntheticSpec(EncoderSpec):
        def load(self, device=None):
            return SyntheticEncoder()

    return SyntheticSpec


def _texts(n_docs: int) -> list[str]:
    """``n_docs`` passages: msmarco-5k's texts repeated, each prefixed by its row number."""
    base = []
    if (SHARED_MSMARCO / "corpus.jsonl").is_file():
        with open(SHARED_MSMARCO / "corpus.jsonl") as f:
            base = [(json.loads(line).get("title", "") + " " + json.loads(line)["text"]).strip() for line in f]
    base = base or ["x" * 358]
    return [f"{i} {base[i % len(base)]}" for i in range(n_docs)]


def _job(root: Path, n_docs: int, chunk: int, n_shards: int):
    from splade_beir.shards import ShardJob

    fingerprint = {**SyntheticEncoder().fingerprint(), "corpus": f"synthetic-{n_docs}"}
    return ShardJob(_spec_class()("synthetic"), fingerprint, str(root / "cache"), chunk, n_docs, n_shards)


# --- the steps, each in its own process -----------------------------------------------------------

def step_corpus(root: Path, n_docs: int, **_) -> dict:
    from splade_beir.datasets import document_text, load_folder

    folder = root / "corpus"
    if not (folder / "corpus.jsonl").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "corpus.jsonl", "w") as f:
            for i, text in enumerate(_texts(n_docs)):
                f.write(json.dumps({"_id": f"p{i}", "title": "", "text": text}) + "\n")
        (folder / "queries.jsonl").write_text(json.dumps({"_id": "q0", "text": "query"}) + "\n")
        (folder / "qrels").mkdir(exist_ok=True)
        (folder / "qrels" / "test.tsv").write_text("q0\tp0\t1\n")
    with Peak() as peak:
        dataset = load_folder(folder, "test")
        doc_ids = list(dataset.corpus)
        texts = [document_text(dataset.corpus[d]) for d in doc_ids]
    return {"peak_mb": peak.mb, "text_mb": sum(len(t.encode()) for t in texts) / MB}


def step_worker(root: Path, n_docs: int, chunk: int, shard_chunks: int, **_) -> dict:
    """One task: shard 0 of a plan whose shards hold ``shard_chunks`` chunks."""
    import queue

    from splade_beir import workers

    n_shards = max(1, -(-n_docs // (chunk * shard_chunks)))
    job = _job(root, n_docs, chunk, n_shards)
    start, stop = job.rows(0)
    texts = _texts(stop)[start:stop]  # what the driver sends the worker
    workers._WORKER.update(device="cpu", progress=queue.Queue())
    with Peak() as peak:
        workers._encode_shard(job, 0, texts)
    return {"peak_mb": peak.mb, "shard_docs": stop - start, "chunk": chunk}


def step_write(root: Path, n_docs: int, chunk: int, n_shards: int, **_) -> dict:
    """Write the whole synthetic corpus as the workers would (not measured)."""
    import queue

    from splade_beir import workers

    job = _job(root, n_docs, chunk, n_shards)
    texts = [f"{i} x" for i in range(n_docs)]  # only the row number matters to the synthetic encoder
    workers._WORKER.update(device="cpu", progress=queue.Queue())
    for i in range(n_shards):
        a, b = job.rows(i)
        workers._encode_shard(job, i, texts[a:b])
    return {}


def step_merge_search(root: Path, n_docs: int, chunk: int, n_shards: int, queries: int, k: int, **_) -> dict:
    from splade_beir.search import topk
    from splade_beir.shards import manifest_path, merge_shards, entry_folder

    job = _job(root, n_docs, chunk, n_shards)
    folder = entry_folder(job.cache, job.fingerprint, n_docs)
    Q = sparse_rows(np.random.default_rng(2), queries, TERM_OF_RANK, **QUERY_SHAPE)
    with Peak() as merge:
        D = merge_shards(job.cache, job.fingerprint, n_docs,
                         [manifest_path(folder, i, n_shards) for i in range(n_shards)])
    t0 = time.perf_counter()
    with Peak() as search:
        topk(Q, D, k)
    return {"merge_peak_mb": merge.mb, "d_mb": csr_mb(D), "nnz": int(D.nnz), "mean_nnz": D.nnz / n_docs,
            "search_peak_mb": search.mb, "search_s": time.perf_counter() - t0, "queries": queries, "k": k}


def step_merge_topk(root: Path, shards: int, queries: int, k: int, **_) -> dict:
    from splade_beir.shards import merge_topk

    rng = np.random.default_rng(0)
    results = []
    for s in range(shards):
        idx = np.sort(rng.integers(0, 10**6, (queries, k)), axis=1) + s * 10**6
        results.append((idx, np.sort(rng.random((queries, k), dtype=np.float32), axis=1)[:, ::-1].copy()))
    inputs_mb = sum(i.nbytes + s.nbytes for i, s in results) / MB
    with Peak() as peak:
        merge_topk(results, k)
    return {"peak_mb": peak.mb, "inputs_mb": inputs_mb, "shards": shards, "queries": queries, "k": k}


def step_model(root: Path, **_) -> dict:
    before = memory_kb()["VmRSS"] / 1024
    import torch  # noqa: F401  (the runtime's share of the working set)
    import transformers  # noqa: F401

    from splade_beir.shards import EncoderSpec

    imported = memory_kb()["VmRSS"] / 1024
    spec = EncoderSpec("splade-tiny", batch_size=32)
    encoder = spec.load("cpu")
    loaded = memory_kb()["VmRSS"] / 1024
    texts = [t.split(" ", 1)[1] for t in _texts(256)]
    with Peak() as peak:
        spec.encode(encoder, texts)
    params = sum(p.numel() for p in encoder.doc.model.parameters()) + encoder.doc.weight.numel()
    return {"python_mb": before, "runtime_mb": imported - before, "model_mb": loaded - imported,
            "encode_peak_mb": peak.mb, "parameters": int(params), "batch_size": 32}


STEPS = {"corpus": step_corpus, "worker": step_worker, "write": step_write, "merge_search": step_merge_search,
         "merge_topk": step_merge_topk, "model": step_model}


def run_step(step: str, **options) -> dict:
    args = [sys.executable, __file__, "--step", step, "--options", json.dumps({k: str(v) if isinstance(v, Path) else v
                                                                            for k, v in options.items()})]
    env = {**os.environ, "SPLADE_BEIR_LOG": "WARNING", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"step {step} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the driver -----------------------------------------------------------------------------------

def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares ``(a, b)`` of ``y = a + b x``."""
    b, a = np.polyfit(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), 1)
    return float(a), float(b)


def d_bytes(n_docs: int, mean_nnz: float) -> float:
    nnz = n_docs * mean_nnz
    i = 4 if nnz < 2 ** 31 else 8
    return nnz * (4 + i) + (n_docs + 1) * i


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, nargs="+", default=[100_000, 400_000, 800_000])
    p.add_argument("--chunk", type=int, default=10_000, help="documents per cache chunk (the default)")
    p.add_argument("--shards", type=int, default=4, help="shards the corpus is encoded in")
    p.add_argument("--queries", type=int, default=200, help="queries searched (search memory)")
    p.add_argument("--k", type=int, default=1001, help="hits per query (evaluate searches top_k + 1)")
    p.add_argument("--topk-shards", type=int, nargs="+", default=[2, 8, 16], help="shards merged by merge_topk")
    p.add_argument("--topk-queries", type=int, default=2_000)
    p.add_argument("--output", type=Path, default=RESULTS / "scale_sim.json")
    p.add_argument("--step", help=argparse.SUPPRESS)
    p.add_argument("--options", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.step:
        options = json.loads(args.options)
        options["root"] = Path(options["root"]) if "root" in options else None
        print(json.dumps(STEPS[args.step](**options)))
        return

    out: dict = {"target_docs": MSMARCO_PASSAGES, "chunk": args.chunk, "shards": args.shards, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="scale_sim_") as tmp:
        for n in args.docs:
            root = Path(tmp) / str(n)
            print(f"{n} documents ...", file=sys.stderr)
            size = {"corpus": run_step("corpus", root=root, n_docs=n)}
            run_step("write", root=root, n_docs=n, chunk=args.chunk, n_shards=args.shards)
            size["merge_search"] = run_step("merge_search", root=root, n_docs=n, chunk=args.chunk,
                                            n_shards=args.shards, queries=args.queries, k=args.k)
            out["sizes"][n] = size
        n = args.docs[-1]
        out["worker"] = [run_step("worker", root=Path(tmp) / f"w{c}", n_docs=n, chunk=args.chunk, shard_chunks=c)
                         for c in (1, 4)]
        out["merge_topk"] = [run_step("merge_topk", root=Path(tmp), shards=s, queries=args.topk_queries, k=args.k)
                             for s in args.topk_shards]
        try:
            out["model"] = run_step("model", root=Path(tmp))
        except SystemExit as exc:  # splade-tiny needs the [demo] extra
            out["model"] = {"skipped": str(exc).splitlines()[0]}
    extrapolate(out)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=1))
    print(markdown(out))


def extrapolate(out: dict) -> None:
    import inspect

    from splade_beir.search import topk

    block = inspect.signature(topk).parameters["doc_chunk"].default
    ns = [int(n) for n in out["sizes"]]
    sizes = [out["sizes"][n] for n in out["sizes"]]
    target = out["target_docs"]
    mean_nnz = float(np.mean([s["merge_search"]["mean_nnz"] for s in sizes]))
    fits = {}
    for name, values in {
        "corpus_mb": [s["corpus"]["peak_mb"] for s in sizes],
        "d_mb": [s["merge_search"]["d_mb"] for s in sizes],
        "merge_peak_mb": [s["merge_search"]["merge_peak_mb"] for s in sizes],
        "search_peak_mb": [s["merge_search"]["search_peak_mb"] for s in sizes],
    }.items():
        xs, ys = ns, values
        if name == "search_peak_mb":  # topk works on blocks of documents: fit where a corpus fills 3 or more
            big = [(n, v) for n, v in zip(ns, values) if n >= 3 * block]
            if len(big) >= 2:
                xs, ys = [n for n, _ in big], [v for _, v in big]
        a, b = fit(xs, ys)
        fits[name] = {"a_mb": a, "b_mb_per_doc": b, "at_target_mb": a + b * target, "fitted_on": xs}
    topk_block = max(out["merge_topk"], key=lambda m: m["shards"])
    per_hit = topk_block["peak_mb"] / (topk_block["shards"] * min(topk_block["queries"], 256) * topk_block["k"])
    out["extrapolation"] = {
        "mean_nnz": mean_nnz, "fits": fits, "search_doc_block": block,
        "d_formula_mb_at_target": d_bytes(target, mean_nnz) / MB,
        "merge_topk_mb_per_shard_block_hit": per_hit,
        "ray_results_mb_16_shards_dev_queries": 16 * MSMARCO_DEV_QUERIES * 1001 * 12 / MB,
        "merge_topk_peak_mb_16_shards": per_hit * 16 * 256 * 1001,
    }


def markdown(out: dict) -> str:
    ex, target = out["extrapolation"], out["target_docs"]
    lines = [f"Synthetic SPLADE-like corpus: {ex['mean_nnz']:.1f} non-zeros per document, cache chunks of "
             f"{out['chunk']:,} documents, {out['shards']} shards.", "",
             "| documents | corpus loaded (MiB) | D (MiB) | merge peak (MiB) | search peak beyond D (MiB) |",
             "|---|---|---|---|---|"]
    for n, s in out["sizes"].items():
        ms = s["merge_search"]
        lines.append(f"| {int(n):,} | {s['corpus']['peak_mb']:.0f} | {ms['d_mb']:.0f} | {ms['merge_peak_mb']:.0f} | "
                     f"{ms['search_peak_mb']:.0f} ({ms['queries']} queries, k={ms['k']}) |")
    f = ex["fits"]
    lines += ["", f"Fitted `a + b * n_docs`, evaluated at {target:,} passages:", "",
              "| figure | a (MiB) | b (KiB per document) | at 8.8M (GiB) |", "|---|---|---|---|"]
    for name, label in (("corpus_mb", "corpus loaded (driver, each --shard process)"), ("d_mb", "D, the corpus matrix"),
                        ("merge_peak_mb", "merge peak (D + one chunk)"), ("search_peak_mb", "search peak beyond D")):
        lines.append(f"| {label} | {f[name]['a_mb']:.1f} | {f[name]['b_mb_per_doc'] * 1024:.3f} | "
                     f"{f[name]['at_target_mb'] / 1024:.2f} |")
    lines += ["", f"D by the CSR formula at {target:,} passages: {ex['d_formula_mb_at_target'] / 1024:.2f} GiB. "
              f"The search peak is fitted on the sizes of 3 or more of topk's {ex['search_doc_block']:,}-document "
              f"blocks ({', '.join(f'{n:,}' for n in f['search_peak_mb']['fitted_on'])}).",
              f"Ray search at 8.8M, 16 shards, {MSMARCO_DEV_QUERIES:,} dev queries, k=1001: per-shard results "
              f"{ex['ray_results_mb_16_shards_dev_queries']:.0f} MiB, merge_topk working memory "
              f"{ex['merge_topk_peak_mb_16_shards']:.0f} MiB.", ""]
    for w in out["worker"]:
        lines.append(f"- worker, one task of {w['shard_docs']:,} documents (chunks of {w['chunk']:,}): "
                     f"peak {w['peak_mb']:.1f} MiB beyond its start")
    for m in out["merge_topk"]:
        lines.append(f"- merge_topk of {m['shards']} shards x {m['queries']:,} queries x k={m['k']}: inputs "
                     f"{m['inputs_mb']:.0f} MiB, peak {m['peak_mb']:.1f} MiB beyond them")
    m = out.get("model", {})
    if "skipped" not in m:
        lines.append(f"- encoder working set (splade-tiny, {m['parameters']:,} parameters, CPU): python "
                     f"{m['python_mb']:.0f} MiB + torch/transformers {m['runtime_mb']:.0f} MiB + model "
                     f"{m['model_mb']:.0f} MiB + encoding peak {m['encode_peak_mb']:.0f} MiB (batch {m['batch_size']})")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
