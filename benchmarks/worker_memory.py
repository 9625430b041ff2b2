"""Memory of one encoding worker process: its data per cache chunk, and the encoder it holds.

A worker of ``--workers N`` (:class:`splade_beir.scale.local.LocalWorkers`) or a Ray task encodes the
chunks it is handed one at a time and writes each through the cache entry (:class:`CacheEntry.write`);
what it holds does not depend on the corpus or shard size, only on the chunk size and on the encoder.
Two steps, each in a fresh process, peak = growth of the resident set (Linux ``VmHWM``, reset after
the imports and a warm-up call):

- ``chunks``: the worker's own call, ``local._encode_chunk(spec, entry, chunk, texts)``, on 1, 4 and
  16 successive chunks of ``--chunk-sizes`` documents (the texts of a chunk arrive with its task and are
  counted). The encoder is :class:`SyntheticEncoder`: the real ``SpladeEncoder.encode_texts`` (batches
  sorted by length, one dense pooled block per batch made sparse by ``to_csr``, the parts stacked and put
  back in input order) around a stand-in for the model, whose pooled block per batch holds SPLADE-shaped
  rows (``benchmarks/synthetic.py``: ~130 non-zeros per document over 30,522 terms). So the figure is
  the data path of a chunk, without the model's activations.
- ``model``: the working set of a real encoder (``--model``, default splade-tiny) on the CPU, loaded as a
  worker loads it (``EncoderSpec.load``): the process after importing torch and transformers, after
  loading the model, and the peak of encoding ``--texts`` msmarco-5k passages in batches of 32 (the
  activations: they depend on the batch and the lengths, not on the chunk).

    python benchmarks/worker_memory.py          # under a minute on 2 cores

Writes ``benchmarks/results/worker_memory.json`` and prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from memory import csr_bytes, memory_kb, reset_peak  # noqa: E402  (benchmarks/memory.py)
from synthetic import VOCAB, document_rows  # noqa: E402  (benchmarks/synthetic.py)

SHARED_MSMARCO = HERE.parent.parent / "shared" / "data" / "msmarco-5k"
RESULTS = HERE / "results"
MB = 2 ** 20
FINGERPRINT = {"weights": "synthetic", "pooling": "max", "doc_max_length": 256, "dtype": "float32",
               "vocab_size": VOCAB}


def synthetic_spec():
    """An ``EncoderSpec`` whose ``load`` gives a :class:`SyntheticEncoder` (classes made here, so that the
    driver process never imports torch)."""
    import torch

    from splade_beir.encode.encoder import SpladeEncoder
    from splade_beir.scale.plan import EncoderSpec

    class SyntheticEncoder(SpladeEncoder):
        """``SpladeEncoder.encode_texts`` as it is, around a stand-in for the model: the pooled block of a
        batch holds SPLADE-shaped rows, seeded by the row number each text starts with."""

        vocab_size = VOCAB

        def __init__(self):  # no model: only what encode_texts reads
            self.threads, self._set_threads, self.device = 1, False, torch.device("cpu")
            self.doc = self.query = None

        def fingerprint(self, tower: str = "doc") -> dict:
            return dict(FINGERPRINT)

        def _encode_batch(self, batch, tower, reference=False):
            first = int(batch[0].split(" ", 1)[0])
            rows = document_rows(first, first + len(batch))
            return torch.from_numpy(rows.toarray())  # the dense pooled block, as the model's

    class SyntheticSpec(EncoderSpec):
        def load(self, device=None):
            return SyntheticEncoder()

    return SyntheticSpec("synthetic")


def texts_of(start: int, stop: int) -> list[str]:
    """Passage-like texts (300 to 500 characters), each starting with its row number."""
    return [f"{i} " + "x" * (300 + i * 7919 % 200) for i in range(start, stop)]


def step_chunks(root: Path, chunk_size: int, chunks: int) -> dict:
    """One worker encoding ``chunks`` chunks in turn, through the worker's own entry point."""
    import queue

    from splade_beir.encode.cache import CorpusCache
    from splade_beir.scale import local

    spec = synthetic_spec()
    local._WORKER.update(device="cpu", progress=queue.Queue())
    warm = CorpusCache(root / "warm").entry({**FINGERPRINT, "corpus": "warm-up"}, 64, chunk_size=64)
    local._encode_chunk(spec, warm, 0, texts_of(0, 64))  # imports, the encoder "loaded" once per process
    entry = CorpusCache(root / "cache").entry({**FINGERPRINT, "corpus": f"synthetic-{chunk_size}x{chunks}"},
                                              chunk_size * chunks, chunk_size=chunk_size)
    exact = reset_peak()
    before = memory_kb()["VmRSS"]
    t0 = time.perf_counter()
    for c in range(chunks):
        local._encode_chunk(spec, entry, c, texts_of(*entry.rows(c)))
    seconds = time.perf_counter() - t0
    peak = memory_kb()["VmHWM"] - before
    matrix = entry.read(0)
    chunk_mb = csr_bytes(matrix) / MB
    return {"chunk_size": chunk_size, "chunks": chunks, "peak_mb": peak / 1024, "chunk_csr_mb": chunk_mb,
            "nnz_per_doc": matrix.nnz / matrix.shape[0], "seconds": seconds, "peak_exact": exact}


def step_model(model: str, n_texts: int) -> dict:
    before = memory_kb()["VmRSS"] / 1024
    import torch  # noqa: F401  (the runtime's share of the working set)
    import transformers  # noqa: F401

    from splade_beir.scale.plan import EncoderSpec

    imported = memory_kb()["VmRSS"] / 1024
    spec = EncoderSpec(model, batch_size=32)
    encoder = spec.load("cpu")
    loaded = memory_kb()["VmRSS"] / 1024
    texts = passages(n_texts)
    spec.encode(encoder, texts[:32])  # warm-up (first-call allocations)
    exact = reset_peak()
    start = memory_kb()["VmRSS"] / 1024
    t0 = time.perf_counter()
    spec.encode(encoder, texts)
    seconds = time.perf_counter() - t0
    params = sum(p.numel() for p in encoder.doc.model.parameters()) + encoder.doc.weight.numel()
    return {"model": model, "python_mb": before, "runtime_mb": imported - before, "model_mb": loaded - imported,
            "encode_peak_mb": memory_kb()["VmHWM"] / 1024 - start, "parameters": int(params), "batch_size": 32,
            "texts": len(texts), "texts_from": "msmarco-5k" if (SHARED_MSMARCO / "corpus.jsonl").is_file() else
            "synthetic", "seconds": seconds, "torch_threads": encoder.threads, "peak_exact": exact}


def passages(n: int) -> list[str]:
    if (SHARED_MSMARCO / "corpus.jsonl").is_file():
        with open(SHARED_MSMARCO / "corpus.jsonl") as f:
            rows = [json.loads(line) for _, line in zip(range(n), f)]
        return [(r.get("title", "") + " " + r["text"]).strip() for r in rows]
    return [t.split(" ", 1)[1].replace("x", "word ")[:358] for t in texts_of(0, n)]


def run_step(*args: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "SPLADE_BEIR_LOG": "WARNING"}
    proc = subprocess.run([sys.executable, __file__, "--step", *args], capture_output=True, text=True, env=env)
    if proc.returncode:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown(out: dict) -> str:
    lines = ["| chunk size | chunks in turn | chunk CSR (MiB) | worker peak (MiB) | seconds |",
             "|---:|---:|---:|---:|---:|"]
    for row in out["chunks"]:
        if "error" in row:
            lines.append(f"| | | | {row['error']} | |")
            continue
        lines.append(f"| {row['chunk_size']:,} | {row['chunks']} | {row['chunk_csr_mb']:.1f} | {row['peak_mb']:.1f} | "
                     f"{row['seconds']:.1f} |")
    m = out["model"]
    if "error" in m:
        lines += ["", f"encoder: {m['error']}"]
    else:
        lines += ["", f"Encoder working set ({m['model']}, {m['parameters']:,} parameters, CPU, {m['torch_threads']} "
                  f"torch thread(s)): python {m['python_mb']:.0f} MiB + torch/transformers {m['runtime_mb']:.0f} MiB + "
                  f"model {m['model_mb']:.0f} MiB + encoding peak {m['encode_peak_mb']:.0f} MiB ({m['texts']} "
                  f"{m['texts_from']} passages, batch {m['batch_size']})."]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chunk-sizes", type=int, nargs="+", default=[10_000, 20_000])
    p.add_argument("--chunks", type=int, nargs="+", default=[1, 4, 16], help="chunks one worker encodes in turn")
    p.add_argument("--model", default="splade-tiny")
    p.add_argument("--texts", type=int, default=256, help="passages the real encoder encodes")
    p.add_argument("--output", type=Path, default=RESULTS / "worker_memory.json")
    p.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.step:
        name, *rest = args.step
        result = (step_chunks(Path(rest[0]), int(rest[1]), int(rest[2])) if name == "chunks"
                  else step_model(rest[0], int(rest[1])))
        print(json.dumps(result))
        return
    out = {"benchmark": "worker_memory", "command": " ".join([Path(sys.executable).name] + sys.argv),
           "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
           "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_at_start": os.getloadavg()},
           "chunks": []}
    with tempfile.TemporaryDirectory(prefix="worker-memory-") as tmp:
        for size in args.chunk_sizes:
            for n in args.chunks:
                out["chunks"].append(run_step("chunks", str(Path(tmp) / f"{size}-{n}"), str(size), str(n)))
                print(out["chunks"][-1], file=sys.stderr)
    out["model"] = run_step("model", args.model, str(args.texts))
    out["machine"]["load_at_end"] = os.getloadavg()
    print(markdown(out))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
