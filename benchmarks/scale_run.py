"""An end-to-end evaluation at scale on this machine: a synthetic BEIR folder of millions of documents, its
vectors written into the corpus cache by this tool, then ``python -m splade_beir.evaluate`` as a user runs it.

Encoding millions of documents on 2 CPU cores would take hours, and the driver's memory and the stages after
encoding do not depend on what the vectors are, so the tool writes SPLADE-shaped vectors (the generator of
``synthetic.py``: ~130 non-zeros per document over BERT's 30,522-entry vocabulary) straight into the cache
entry that the evaluation will look up: the entry of the exact corpus (its digest) under the exact model (a
randomly initialised 2-layer BERT with BERT's vocabulary, saved by this tool), written through the cache's own
``CacheEntry.write``. The evaluation then finds the corpus cached ("nothing to encode"), reads it through the
one assembly path, encodes the queries with the model, searches, scores and writes the run, exactly as for a
real checkpoint.

Measured: the driver's peak resident set (``/usr/bin/time -v``), the seconds of each stage (the result's
``timings`` and the corpus-loading log line), and the sizes the peak is compared with: the document matrix D,
the corpus's ids and offsets (``FileCorpus.nbytes``), and the model (the resident set of a process that has
loaded it and nothing else).

    python benchmarks/scale_run.py --docs 2000000          # ~10 minutes on 2 cores, ~1.6 GB of disk
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from memory import csr_bytes  # noqa: E402  (benchmarks/memory.py)
from synthetic import QUERY_SHAPE, VOCAB, document_rows, sparse_rows, term_permutation  # noqa: E402

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
         "they you were her she there been one all we their has would when if so what up out more who about can "
         "them some time could these two may first then do any like my now over such our man me even most made "
         "after also did many before must through back years where much your way well down should because each "
         "just those people how too little state good very make world still own see men work long get here "
         "between both life being under never day same another know while last might us great old year off come "
         "since against go came right used take three water energy city river music history science data").split()
MB = 2 ** 20


def make_dataset(folder: Path, n_docs: int, n_queries: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    words = np.array(WORDS)
    with open(folder / "corpus.jsonl", "w") as f:
        for start in range(0, n_docs, 100_000):
            lines = []
            for i in range(start, min(start + 100_000, n_docs)):
                text = " ".join(words[rng.integers(0, len(words), rng.integers(30, 90))])
                lines.append(json.dumps({"_id": f"doc{i}", "title": "", "text": text}))
            f.write("\n".join(lines) + "\n")
    with open(folder / "queries.jsonl", "w") as f:
        for q in range(n_queries):
            f.write(json.dumps({"_id": f"q{q}", "text": " ".join(words[rng.integers(0, len(words), 6)])}) + "\n")
    with open(folder / "qrels" / "test.tsv", "w") as f:
        f.writelines(f"q{q}\tdoc{rng.integers(0, n_docs)}\t1\n" for q in range(n_queries))


def make_model(folder: Path) -> None:
    """A randomly initialised 2-layer BERT masked LM with BERT's 30,522-entry vocabulary (splade-tiny's tokenizer)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    from splade_beir.encode.embedded import resolve_checkpoint

    torch.manual_seed(0)
    config = BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertForMaskedLM(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(resolve_checkpoint("splade-tiny")).save_pretrained(folder)


def fill_cache(data: Path, model: Path, cache: Path) -> dict:
    """Write synthetic vectors into the cache entries (corpus and queries) that the evaluation of ``data`` with
    ``model`` will read: SPLADE-shaped documents and queries (FLOPS ~2, as splade-tiny on msmarco)."""
    from splade_beir.data.loader import load_folder
    from splade_beir.encode.cache import CorpusCache
    from splade_beir.retrievers.splade import build

    retriever = build(str(model), show_progress=False, cache=CorpusCache(cache))
    dataset = load_folder(data)
    with retriever.corpus_entry(dataset) as entry:
        for chunk in entry.missing():
            entry.write(chunk, document_rows(*entry.rows(chunk)))
        matrix = entry.assemble()
        queries = [dataset.queries[q] for q in dataset.queries]
        query_entry = retriever.queries_entry(queries, dataset.name)
        if query_entry.missing():
            query_entry.write(0, sparse_rows(np.random.default_rng(2), len(queries), term_permutation(),
                                             **QUERY_SHAPE))
        return {"d_mb": csr_bytes(matrix) / MB,
                "nnz": int(matrix.nnz), "ids_offsets_mb": dataset.corpus.nbytes / MB, "key": entry.key}


def model_rss(model: Path) -> float:
    """The peak resident set (MiB) of a process that has loaded the model and nothing else (its own VmHWM:
    ``ru_maxrss`` would include this large parent's, inherited through fork and exec)."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from memory import memory_kb; "
            "from splade_beir.encode.encoder import SpladeEncoder; "
            f"SpladeEncoder({str(model)!r}, show_progress=False); print(memory_kb()['VmHWM'])")
    out = subprocess.run([sys.executable, "-c", code, str(HERE)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def evaluate(data: Path, model: Path, cache: Path, output: Path, threads: int | None) -> dict:
    command = [sys.executable, "-m", "splade_beir.evaluate", "--model", str(model), "--datasets", str(data),
               "--cache-dir", str(cache), "--output", str(output), "--name", "scale", "-q"]
    if threads:
        command += ["--threads", str(threads)]
    t0 = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)[1])
    result = json.loads((output / "scale" / f"{data.name}.json").read_text())
    return {"command": " ".join(command), "wall_s": wall, "peak_mb": peak_kb / 1024, "timings": result["timings"],
            "nDCG@10": result["metrics"]["nDCG@10"], "flops": result["flops"], "n_docs": result["n_docs"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=2_000_000)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--threads", type=int, help="passed to the evaluation (default: its own)")
    p.add_argument("--workdir", help="keep the data, model and cache here (default: a temporary folder)")
    p.add_argument("--output", default=str(HERE / "results" / "scale_run.json"))
    args = p.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="scale-run-"))
    data, model, cache = work / f"synthetic-{args.docs}", work / "model", work / "cache"
    stages = {}
    try:
        t0 = time.perf_counter()
        if not (data / "corpus.jsonl").is_file():
            make_dataset(data, args.docs, args.queries)
        if not (model / "config.json").is_file():
            make_model(model)
        stages["make_data_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sizes = fill_cache(data, model, cache)
        stages["fill_cache_s"] = time.perf_counter() - t0
        run = evaluate(data, model, cache, work / "results", args.threads)
        model_mb = model_rss(model)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    budget = 1.3 * (sizes["d_mb"] + sizes["ids_offsets_mb"]) + model_mb
    report = {**run, **sizes, "model_mb": model_mb, "tool_stages": stages, "budget_mb": budget,
              "peak_over_matrix_and_ids": (run["peak_mb"] - model_mb) / (sizes["d_mb"] + sizes["ids_offsets_mb"]),
              "date": time.strftime("%Y-%m-%d"), "docs": args.docs, "queries": args.queries}
    print(json.dumps(report, indent=1))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
