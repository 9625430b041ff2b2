"""Encoding throughput: splade_beir's SpladeEncoder against sentence-transformers' SparseEncoder and
beir's SPLADE, on the same model, texts, batch size and torch thread count.

The texts (msmarco-5k passages, ``title + " " + text``) are cut into ``--rounds`` slices; every
method encodes every slice, the order of the methods rotating from slice to slice, so that a change
in the machine's load falls on all of them alike. Each method is warmed up on one batch first.
Peak memory is the growth of the resident set during one call (the largest over the slices),
the loaded model excluded.

Methods:

- ``splade_beir``: ``SpladeEncoder(model)`` (float32; returns a scipy CSR matrix).
- ``splade_beir-bf16``: ``SpladeEncoder(model, dtype="bfloat16")``.
- ``sentence-transformers``: ``SparseEncoder(modules=[Transformer(model, transformer_task="fill-mask"),
  SpladePooling("max")])`` (``Transformer`` with the fill-mask task is the current name of
  ``MLMTransformer``), ``encode_document``; returns a sparse COO tensor.
- ``beir``: ``beir.retrieval.models.SPLADE(model).encode_corpus``; returns a dense numpy array.

Every vector is compared with splade_beir's float32 vectors (max |difference| per entry).
``--ndcg`` also runs splade_beir float32 and bfloat16 on the whole dataset and reports nDCG@10.

Run: ``python benchmarks/encode_bench.py --limit 1000`` (``--limit 0``: every passage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from memory import memory_kb, reset_peak  # benchmarks/memory.py
from splade_beir.atomic import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "msmarco-5k"
RESULTS = ROOT / "benchmarks" / "results"
METHODS = ("splade_beir", "splade_beir-bf16", "sentence-transformers", "beir")


def build(method: str, model: str, max_length: int):
    """An ``encode(texts) -> output`` callable and a ``to_csr(output)`` converter for one method."""
    if method.startswith("splade_beir"):
        from splade_beir import SpladeEncoder

        enc = SpladeEncoder(model, doc_max_length=max_length, show_progress=False,
                            dtype="bfloat16" if method.endswith("bf16") else "float32", device="cpu")
        return (lambda texts, bs: enc.encode_corpus(texts, batch_size=bs)), (lambda out: out)
    from splade_beir.models import resolve_checkpoint

    path = resolve_checkpoint(model)
    if method == "sentence-transformers":
        from sentence_transformers import SparseEncoder
        from sentence_transformers.sparse_encoder.modules import SpladePooling, Transformer

        st = SparseEncoder(modules=[Transformer(path, transformer_task="fill-mask", max_seq_length=max_length),
                                    SpladePooling(pooling_strategy="max", activation_function="relu")],
                           device="cpu")
        return ((lambda texts, bs: st.encode_document(texts, batch_size=bs, show_progress_bar=False)),
                (lambda out: coo_to_csr(out)))
    if method == "beir":
        from beir.retrieval.models import SPLADE

        model_ = SPLADE(path, max_length=max_length)
        return ((lambda texts, bs: model_.encode_corpus(texts, batch_size=bs, show_progress_bar=False)),
                (lambda out: sp.csr_matrix(np.asarray(out, dtype=np.float32))))
    raise SystemExit(f"unknown method {method!r}")


def coo_to_csr(tensor: torch.Tensor) -> sp.csr_matrix:
    tensor = tensor.coalesce()
    rows, cols = tensor.indices().numpy()
    return sp.csr_matrix((tensor.values().float().numpy(), (rows, cols)), shape=tuple(tensor.shape))


def max_abs_diff(a: sp.csr_matrix, b: sp.csr_matrix) -> float:
    diff = (a - b).tocsr()
    return float(np.abs(diff.data).max()) if diff.nnz else 0.0


def load_texts(data: Path, limit: int) -> list[str]:
    from splade_beir.datasets import document_text, load_folder

    corpus = load_folder(data, "test").corpus
    texts = [document_text(doc) for doc in corpus.values()]
    return texts[:limit] if limit else texts


def bench(texts: list[str], methods: list[str], model: str, batch_size: int, rounds: int,
          max_length: int) -> dict:
    encoders = {m: build(m, model, max_length) for m in methods}
    warm = texts[:batch_size]
    for encode, _ in encoders.values():
        encode(warm, batch_size)
    slices = [texts[i * len(texts) // rounds:(i + 1) * len(texts) // rounds] for i in range(rounds)]
    seconds = {m: 0.0 for m in methods}
    peak_mb = {m: 0.0 for m in methods}
    parts: dict[str, list[sp.csr_matrix]] = {m: [] for m in methods}
    for r, chunk in enumerate(slices):
        order = methods[r % len(methods):] + methods[:r % len(methods)]
        for m in order:
            encode, to_csr = encoders[m]
            before = memory_kb()["VmRSS"]
            reset_peak()
            start = time.perf_counter()
            out = encode(chunk, batch_size)
            seconds[m] += time.perf_counter() - start
            peak_mb[m] = max(peak_mb[m], (memory_kb()["VmHWM"] - before) / 1024)
            parts[m].append(to_csr(out))
            del out
        print(f"  slice {r + 1}/{rounds}: " + ", ".join(f"{m} {seconds[m]:.1f} s" for m in methods), flush=True)
    vectors = {m: sp.vstack(p, format="csr") for m, p in parts.items()}
    rows = {}
    ref = vectors.get("splade_beir")
    for m in methods:
        rows[m] = {"seconds": seconds[m], "docs_per_s": len(texts) / seconds[m], "peak_mb": peak_mb[m],
                   "nnz_mean": float(vectors[m].getnnz(axis=1).mean())}
        if ref is not None and m != "splade_beir":
            rows[m]["max_abs_diff_vs_splade_beir_fp32"] = max_abs_diff(vectors[m], ref)
            rows[m]["support_differs_fraction"] = float(
                ((vectors[m] != 0) != (ref != 0)).nnz / max(1, (ref != 0).nnz))
    for base in ("sentence-transformers", "beir"):  # throughput relative to each peer, same run
        if base in rows:
            for m in methods:
                rows[m][f"speed_vs_{base}"] = rows[m]["docs_per_s"] / rows[base]["docs_per_s"]
    return rows


def ndcg(data: Path, model: str, batch_size: int, max_length: int) -> dict:
    """nDCG@10 of splade_beir float32 and bfloat16 on the whole dataset."""
    from splade_beir import SpladeEncoder
    from splade_beir.datasets import load_folder
    from splade_beir.metrics import evaluate_run
    from splade_beir.search import ExactSparseSearch

    ds = load_folder(data, "test")
    doc_ids, query_ids = list(ds.corpus), list(ds.queries)
    out = {}
    for dtype in ("float32", "bfloat16"):
        enc = SpladeEncoder(model, doc_max_length=max_length, dtype=dtype, show_progress=False, device="cpu")
        start = time.perf_counter()
        D = enc.encode_corpus([ds.corpus[d] for d in doc_ids], batch_size=batch_size)
        Q = enc.encode_queries([ds.queries[q] for q in query_ids], batch_size=batch_size)
        run = ExactSparseSearch(enc, show_progress=False).search_matrices(Q, D, query_ids, doc_ids, 1000)
        means, _ = evaluate_run(ds.qrels, run)
        out[dtype] = {"ndcg@10": means["ndcg@10"], "seconds": time.perf_counter() - start}
        print(f"  {dtype}: nDCG@10 {means['ndcg@10']:.4f}", flush=True)
    out["delta_ndcg@10"] = out["bfloat16"]["ndcg@10"] - out["float32"]["ndcg@10"]
    return out


def markdown(rows: dict, n_texts: int, batch_size: int, threads: int) -> str:
    lines = [f"**{n_texts} passages, batch size {batch_size}, {threads} torch thread(s)**", "",
             "| method | docs/s | time (s) | peak memory (MB) | speed vs sentence-transformers | speed vs beir "
             "| max abs diff vs splade_beir fp32 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for m, r in rows.items():
        diff = r.get("max_abs_diff_vs_splade_beir_fp32")
        ratios = [r.get(f"speed_vs_{base}") for base in ("sentence-transformers", "beir")]
        ratios = ["-" if x is None else f"{x:.2f}x" for x in ratios]
        lines.append(f"| {m} | {r['docs_per_s']:.1f} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | {ratios[0]} | "
                     f"{ratios[1]} | {'-' if diff is None else f'{diff:.2e}'} |")
    return "\n".join(lines)


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="splade-tiny")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a BEIR folder (msmarco-5k)")
    parser.add_argument("--limit", type=int, default=1000, help="passages to encode (0: all)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--rounds", type=int, default=5, help="slices the methods alternate on")
    parser.add_argument("--max-length", type=int, default=256, help="truncation, in tokens")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--ndcg", action="store_true", help="also nDCG@10 of float32 vs bfloat16")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if not (args.data / "corpus.jsonl").is_file():
        print(f"skipping: no BEIR dataset at {args.data} (pass --data)")
        return
    torch.set_num_threads(args.threads)
    texts = load_texts(args.data, args.limit)
    rounds = max(1, min(args.rounds, len(texts) // args.batch_size or 1))
    print(f"{len(texts)} passages from {args.data}, model {args.model}, batch {args.batch_size}, "
          f"{args.threads} torch threads, {rounds} alternating slices", flush=True)
    report = {"benchmark": "encode", "command": " ".join([Path(sys.executable).name] + sys.argv),
              "date": dt.datetime.now().isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "load_at_start": os.getloadavg()},
              "versions": {p: _version(p) for p in ("torch", "transformers", "sentence-transformers", "beir",
                                                     "splade-beir")},
              "settings": {"model": args.model, "data": str(args.data), "passages": len(texts),
                           "batch_size": args.batch_size, "torch_threads": args.threads, "rounds": rounds,
                           "max_length": args.max_length},
              "methods": bench(texts, args.methods, args.model, args.batch_size, rounds, args.max_length)}
    if args.ndcg:
        report["ndcg"] = ndcg(args.data, args.model, args.batch_size, args.max_length)
    report["machine"]["load_at_end"] = os.getloadavg()
    print("\n" + markdown(report["methods"], len(texts), args.batch_size, args.threads))
    if args.ndcg:
        n = report["ndcg"]
        print(f"\nnDCG@10 on all of {args.data.name}: float32 {n['float32']['ndcg@10']:.4f}, bfloat16 "
              f"{n['bfloat16']['ndcg@10']:.4f}, delta {n['delta_ndcg@10']:+.4f}")
    output = args.output or RESULTS / f"encode_{Path(args.model).name}_{len(texts)}docs_{args.threads}threads.json"
    atomic_write_text(output, json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {output}")


if __name__ == "__main__":
    main()
