"""Encoding throughput: splade_beir's SpladeEncoder against sentence-transformers' SparseEncoder (and beir's
SPLADE), and against the transformer body alone, on the same checkpoint, texts, batch size and threads.

The texts (msmarco-5k passages, ``title + " " + text``) are cut into ``--rounds`` slices; every method
encodes every slice, the order of the methods rotating from slice to slice, so that a change in the
machine's load falls on all of them alike. Each method is warmed up on one batch first. Peak memory is
the growth of the resident set during one call (on a GPU: the peak of allocated GPU memory).

Checkpoints (``--model``): ``splade-tiny`` (embedded, trained), or a randomly initialised masked-LM
checkpoint of a real shape, built here with transformers' configs and splade-tiny's BERT tokenizer
(vocabulary 30,522): ``distilbert`` (6 layers, 768 wide) or ``bert-base`` (12 layers, 768 wide), or any
folder. Timing does not depend on the weights, except through how sparse the output is: the random
head's bias is set so that a passage has about as many non-zeros as SPLADE gives it (~130).

Methods (``--methods``):

- ``splade_beir``: ``SpladeEncoder(model).encode_corpus(texts)`` in float32, CSR out; ``-bf16``: bfloat16;
  ``-tiled`` / ``-segment``: that head path (default: ``head_for(device)``: tiled on a CPU, segment on a
  GPU); ``@N``: N torch
  threads instead of ``--threads``, ``@auto``: the default policy's (``splade_beir.threads``).
- ``sentence-transformers``: ``SparseEncoder(modules=[Transformer(path, transformer_task="fill-mask"),
  SpladePooling("max")]).encode_document``; ``-bf16``: the model in bfloat16.
- ``beir``: ``beir.retrieval.models.SPLADE(path).encode_corpus`` (dense numpy out; slow, not by default).
- ``body``: the transformer alone (tokenising and the forward pass up to the vocabulary projection, the
  same length-sorted batches as splade_beir): no method can be faster. ``-bf16``: in bfloat16.
- ``floor``: ``body`` plus the head's one matrix product over the real tokens (no pooling, no output):
  what any exact SPLADE encoder must compute. ``-bf16``: in bfloat16.

Every vector is compared with splade_beir float32's (max |difference| per entry). ``--ndcg`` also encodes
and searches the whole dataset in float32 and bfloat16 with splade_beir and reports both nDCG@10.

``--busy N`` keeps N other processes spinning during the measurement (a machine shared with other jobs).

Run: ``python benchmarks/encode_bench.py --model distilbert --limit 320`` (CPU), and on a GPU
``python benchmarks/encode_bench.py --device cuda --model bert-base --limit 5000 --batch-size 128``.
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
import scipy.sparse as sp
import torch

from memory import memory_kb, reset_peak  # benchmarks/memory.py
from splade_beir.atomic import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "msmarco-5k"
RESULTS = ROOT / "benchmarks" / "results"
CPU_METHODS = ("splade_beir", "splade_beir-bf16", "sentence-transformers", "body", "floor")
GPU_METHODS = ("splade_beir", "splade_beir-bf16", "splade_beir-tiled-bf16", "sentence-transformers",
               "sentence-transformers-bf16", "body", "floor", "body-bf16", "floor-bf16")
SHAPES = {"distilbert": dict(n_layers=6, dim=768, n_heads=12, hidden_dim=3072),
          "bert-base": dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072)}
THREADS: dict[str, int] = {}  # the torch threads each splade_beir method ran with
TARGET_NNZ = 130  # non-zeros per passage that the random head's bias aims at (SPLADE gives ~130)


def random_checkpoint(shape: str, folder: Path, texts: list[str], seed: int = 0) -> str:
    """A randomly initialised masked-LM checkpoint of ``shape`` with splade-tiny's tokenizer, saved to ``folder``;
    the head's bias makes passages about ``TARGET_NNZ`` non-zeros (calibrated on ``texts``)."""
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM, DistilBertConfig, DistilBertForMaskedLM

    from splade_beir.encode.embedded import resolve_checkpoint

    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint("splade-tiny"))
    torch.manual_seed(seed)
    if shape == "distilbert":
        model = DistilBertForMaskedLM(DistilBertConfig(vocab_size=len(tokenizer), **SHAPES[shape]))
    else:
        model = BertForMaskedLM(BertConfig(vocab_size=len(tokenizer), **SHAPES[shape]))
    model.eval()
    with torch.inference_mode():  # the bias: minus the typical (1 - TARGET_NNZ / vocab) quantile of max logits
        batch = tokenizer(texts[:16], padding=True, truncation=True, max_length=256, return_tensors="pt")
        logits = model(**batch).logits.masked_fill(~batch["attention_mask"].bool()[..., None], -1e9).amax(dim=1)
        cut = torch.quantile(logits.float(), 1 - TARGET_NNZ / logits.shape[1], dim=1).mean()
        model.get_output_embeddings().bias.fill_(-float(cut))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def build(method: str, path: str, max_length: int, device: str):
    """An ``encode(texts, batch_size)`` callable and a ``to_csr(output)`` converter for one method."""
    if method.startswith("splade_beir"):
        from splade_beir import SpladeEncoder

        head = next((h for h in ("tiled", "segment") if h in method), None)
        threads = method.partition("@")[2] or str(torch.get_num_threads())  # @auto: splade_beir.threads decides
        enc = SpladeEncoder(path, doc_max_length=max_length, show_progress=False, device=device, head=head,
                            dtype="bfloat16" if "bf16" in method else "float32",
                            threads=None if threads == "auto" else int(threads))
        THREADS[method] = enc.threads
        return (lambda texts, bs: enc.encode_corpus(texts, batch_size=bs)), (lambda out: out)
    if method.startswith(("body", "floor")):
        dtype = torch.bfloat16 if method.endswith("bf16") else torch.float32
        return body(path, max_length, device, dtype, with_head=method.startswith("floor")), None
    if method.startswith("sentence-transformers"):
        from sentence_transformers import SparseEncoder
        from sentence_transformers.sparse_encoder.modules import SpladePooling, Transformer

        st = SparseEncoder(modules=[Transformer(path, transformer_task="fill-mask", max_seq_length=max_length),
                                    SpladePooling(pooling_strategy="max", activation_function="relu")], device=device)
        if method.endswith("bf16"):
            st.to(torch.bfloat16)
        return ((lambda texts, bs: st.encode_document(texts, batch_size=bs, show_progress_bar=False)), coo_to_csr)
    if method == "beir":
        from beir.retrieval.models import SPLADE

        model = SPLADE(path, max_length=max_length)
        return ((lambda texts, bs: model.encode_corpus(texts, batch_size=bs, show_progress_bar=False)),
                (lambda out: sp.csr_matrix(np.asarray(out, dtype=np.float32))))
    raise SystemExit(f"unknown method {method!r}")


def body(path: str, max_length: int, device: str, dtype: torch.dtype, with_head: bool):
    """The transformer body (and, ``with_head``, the head's matrix product over the real tokens), in
    splade_beir's batches (longest texts first) and precision (bfloat16 by autocast, as splade_beir)."""
    import contextlib

    from splade_beir.encode.checkpoint import load_tower

    tower = load_tower(path, max_length, torch.device(device), dtype)
    autocast = (contextlib.nullcontext if dtype == torch.float32 else
                lambda: torch.autocast(torch.device(device).type, dtype=dtype))

    @torch.inference_mode()
    def run(texts: list[str], batch_size: int) -> None:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i].strip()))
        for start in range(0, len(texts), batch_size):
            batch = tower.tokenizer([texts[i] for i in order[start:start + batch_size]], padding=True,
                                    truncation=True, max_length=max_length, return_tensors="pt").to(device)
            with autocast():
                hidden = tower.model(**batch).logits
            if with_head:
                hidden[batch["attention_mask"].bool()].to(dtype) @ tower.weight.T
    return run


def coo_to_csr(tensor: torch.Tensor) -> sp.csr_matrix:
    tensor = tensor.coalesce().cpu()
    rows, cols = tensor.indices().numpy()
    return sp.csr_matrix((tensor.values().float().numpy(), (rows, cols)), shape=tuple(tensor.shape))


def max_abs_diff(a: sp.csr_matrix, b: sp.csr_matrix) -> float:
    diff = (a - b).tocsr()
    return float(np.abs(diff.data).max()) if diff.nnz else 0.0


def load_texts(data: Path, limit: int) -> list[str]:
    from splade_beir.data.loader import load_folder

    corpus = load_folder(data, "test").corpus
    texts = corpus.texts(0, len(corpus))
    return texts[:limit] if limit else texts


def bench(texts: list[str], methods: list[str], path: str, batch_size: int, rounds: int, max_length: int,
          device: str, threads: int) -> dict:
    encoders = {m: build(m, path, max_length, device) for m in methods}
    cuda = device.startswith("cuda")
    for encode, _ in encoders.values():
        encode(texts[:batch_size], batch_size)
    slices = [texts[i * len(texts) // rounds:(i + 1) * len(texts) // rounds] for i in range(rounds)]
    seconds, peak_mb = dict.fromkeys(methods, 0.0), dict.fromkeys(methods, 0.0)
    parts: dict[str, list[sp.csr_matrix]] = {m: [] for m in methods}
    for r, chunk in enumerate(slices):
        for m in methods[r % len(methods):] + methods[:r % len(methods)]:
            encode, to_csr = encoders[m]
            torch.set_num_threads(threads)  # splade_beir sets its own (the same unless @N or @auto) as it encodes
            before = memory_kb()["VmRSS"]
            reset_peak()
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                base = torch.cuda.memory_allocated()
            start = time.perf_counter()
            out = encode(chunk, batch_size)
            if cuda:
                torch.cuda.synchronize()
            seconds[m] += time.perf_counter() - start
            peak = (torch.cuda.max_memory_allocated() - base) / 2**20 if cuda else \
                (memory_kb()["VmHWM"] - before) / 1024
            peak_mb[m] = max(peak_mb[m], peak)
            if to_csr is not None:
                parts[m].append(to_csr(out))
            del out
        print(f"  slice {r + 1}/{rounds}: " + ", ".join(f"{m} {seconds[m]:.1f} s" for m in methods), flush=True)
    vectors = {m: sp.vstack(p, format="csr") for m, p in parts.items() if p}
    ref = vectors.get("splade_beir")
    rows = {}
    for m in methods:
        rows[m] = {"seconds": seconds[m], "docs_per_s": len(texts) / seconds[m], "peak_mb": peak_mb[m],
                   "torch_threads": THREADS.get(m, threads)}
        if m in vectors:
            rows[m]["nnz_mean"] = float(vectors[m].getnnz(axis=1).mean())
        if ref is not None and m in vectors and m != "splade_beir":
            rows[m]["max_abs_diff_vs_splade_beir_fp32"] = max_abs_diff(vectors[m], ref)
        for base in ("sentence-transformers", "beir", "body"):  # time relative to each, same run
            if base in seconds and base != m:
                rows[m][f"time_vs_{base}"] = seconds[m] / seconds[base]
    return rows


def ndcg(data: Path, model: str, batch_size: int, max_length: int, device: str) -> dict:
    """nDCG@10 of splade_beir float32 and bfloat16 on the whole dataset, and their encoding times."""
    from splade_beir import SpladeEncoder
    from splade_beir.data.loader import load_folder
    from splade_beir.evaluation.measures import NDCG_10, evaluate_run
    from splade_beir.search.beir import ExactSparseSearch

    ds = load_folder(data, "test")
    doc_ids, query_ids = list(ds.doc_ids), list(ds.queries)
    out = {}
    for dtype in ("float32", "bfloat16"):
        enc = SpladeEncoder(model, doc_max_length=max_length, dtype=dtype, show_progress=False, device=device,
                            threads=torch.get_num_threads())
        start = time.perf_counter()
        D = enc.encode_texts(ds.texts(0, len(doc_ids)), enc.doc, batch_size)
        seconds = time.perf_counter() - start
        Q = enc.encode_queries([ds.queries[q] for q in query_ids], batch_size=batch_size)
        run = ExactSparseSearch(enc, show_progress=False).search_matrices(Q, D, query_ids, doc_ids, 1000)
        means, _ = evaluate_run(ds.qrels, run, [NDCG_10])
        out[dtype] = {"ndcg@10": means[str(NDCG_10)], "encode_seconds": seconds}
        print(f"  {dtype}: nDCG@10 {means[str(NDCG_10)]:.5f}, corpus encoded in {seconds:.1f} s", flush=True)
    out["delta_ndcg@10"] = out["bfloat16"]["ndcg@10"] - out["float32"]["ndcg@10"]
    out["bf16_speedup"] = out["float32"]["encode_seconds"] / out["bfloat16"]["encode_seconds"]
    return out


def markdown(rows: dict, title: str) -> str:
    lines = [f"**{title}**", "", "| method | threads | docs/s | time vs sentence-transformers | time vs body "
             "| peak memory (MB) | max abs diff vs splade_beir fp32 | nnz/doc |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m, r in rows.items():
        ratios = ["-" if r.get(f"time_vs_{b}") is None else f"{r[f'time_vs_{b}']:.2f}"
                  for b in ("sentence-transformers", "body")]
        diff, nnz = r.get("max_abs_diff_vs_splade_beir_fp32"), r.get("nnz_mean")
        lines.append(f"| {m} | {r['torch_threads']} | {r['docs_per_s']:.1f} | {ratios[0]} | {ratios[1]} | {r['peak_mb']:.0f} | "
                     f"{'-' if diff is None else f'{diff:.1e}'} | {'-' if nnz is None else f'{nnz:.0f}'} |")
    return "\n".join(lines)


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="splade-tiny", help="splade-tiny, distilbert, bert-base, or a folder")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a BEIR folder (msmarco-5k)")
    parser.add_argument("--limit", type=int, default=1000, help="passages to encode (0: all)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="torch threads, every method")
    parser.add_argument("--rounds", type=int, default=5, help="slices the methods alternate on")
    parser.add_argument("--max-length", type=int, default=256, help="truncation, in tokens")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--methods", nargs="+", help=f"default: {' '.join(CPU_METHODS)} (CPU), "
                        f"{' '.join(GPU_METHODS)} (GPU)")
    parser.add_argument("--ndcg", action="store_true", help="also nDCG@10 of float32 vs bfloat16 on all passages")
    parser.add_argument("--busy", type=int, default=0, metavar="N",
                        help="run N busy loops in other processes during the measurement (a shared machine)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if not (args.data / "corpus.jsonl").is_file():
        print(f"skipping: no BEIR dataset at {args.data} (pass --data)")
        return
    torch.set_num_threads(args.threads)
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        time.sleep(1.0 if spinners else 0.0)
        run(args)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def run(args: argparse.Namespace) -> None:
    methods = args.methods or list(GPU_METHODS if args.device.startswith("cuda") else CPU_METHODS)
    texts = load_texts(args.data, args.limit)
    rounds = max(1, min(args.rounds, len(texts) // args.batch_size or 1))
    with tempfile.TemporaryDirectory(prefix="encode-bench-") as tmp:
        if args.model in SHAPES:
            path = random_checkpoint(args.model, Path(tmp), texts)
        else:
            from splade_beir.encode.embedded import resolve_checkpoint

            path = resolve_checkpoint(args.model)
        title = (f"{args.model}, {len(texts)} passages, batch {args.batch_size}, {args.threads} torch threads, "
                 f"{args.device}")
        print(f"{title}, {rounds} alternating slices", flush=True)
        report = {"benchmark": "encode", "command": " ".join([Path(sys.executable).name] + sys.argv),
                  "date": dt.datetime.now().isoformat(timespec="seconds"),
                  "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_at_start": os.getloadavg(),
                              "gpu": torch.cuda.get_device_name() if args.device.startswith("cuda") else None},
                  "versions": {p: _version(p) for p in ("torch", "transformers", "sentence-transformers", "beir",
                                                         "splade-beir")},
                  "settings": {"model": args.model, "data": str(args.data), "passages": len(texts),
                               "batch_size": args.batch_size, "torch_threads": args.threads, "rounds": rounds,
                               "max_length": args.max_length, "device": args.device, "busy_loops": args.busy},
                  "methods": bench(texts, methods, path, args.batch_size, rounds, args.max_length, args.device,
                                   args.threads)}
        if args.ndcg:
            report["ndcg"] = ndcg(args.data, path, args.batch_size, args.max_length, args.device)
    report["machine"]["load_at_end"] = os.getloadavg()
    print("\n" + markdown(report["methods"], title))
    if args.ndcg:
        n = report["ndcg"]
        print(f"\nnDCG@10 on all of {args.data.name}: float32 {n['float32']['ndcg@10']:.5f}, bfloat16 "
              f"{n['bfloat16']['ndcg@10']:.5f}, delta {n['delta_ndcg@10']:+.5f}; bfloat16 encodes "
              f"{n['bf16_speedup']:.2f}x faster")
    name = f"encode_{Path(args.model).name}_{len(texts)}docs_{args.threads}threads_{args.device.split(':')[0]}"
    output = args.output or RESULTS / f"{name}.json"
    atomic_write_text(output, json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {output}")


if __name__ == "__main__":
    main()
