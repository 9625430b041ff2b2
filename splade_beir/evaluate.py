"""Evaluate a retriever zero-shot on BEIR datasets; the ``python -m splade_beir.evaluate`` CLI.

From a notebook:

>>> from splade_beir.evaluate import evaluate
>>> results = evaluate("splade-tiny", ["demo"], output="/tmp/splade-beir-doctest", show_progress=False)
>>> 0.0 <= results["demo"]["metrics"]["ndcg@10"] <= 1.0
True
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from tabulate import tabulate

from .baselines import default_model
from .cli import run_cli
from .datasets import (cqadupstack_parts, dataset_key, default_split, expand_names, load_folder, relevance_level,
                       resolve_dir)
from .metrics import evaluate_run
from .models import default_name
from .results import SCHEMA, mean_result, result_paths, versions, write_result
from .atomic import check_writable
from .cache import DEFAULT_CHUNK, CorpusCache
from .cache import DEFAULT_DIR as DEFAULT_CACHE_DIR
from .retriever import KINDS, Retriever, SpladeRetriever, make_retriever

logger = logging.getLogger("splade_beir")

SUMMARY_COLUMNS = ("ndcg@10", "recall@100", "recall@1000", "mrr@10")


def evaluate(model: str | Retriever, datasets: list[str] | str = "demo", name: str | None = None,
             data_dir: str | Path = "datasets", output: str | Path = "results", top_k: int = 1000,
             split: str | None = None, download: bool = True, show_progress: bool = True,
             cache_dir: str | Path | None = DEFAULT_CACHE_DIR, cache_chunk_size: int = DEFAULT_CHUNK,
             relevance_levels: int | dict[str, int] | None = None, workers: int | None = None,
             backend: str | None = None, ray_address: str | None = None, **model_options) -> dict[str, dict]:
    """Evaluate ``model`` (a checkpoint name or a ready :class:`Retriever`) on ``datasets``.

    Writes ``<output>/<name>/<dataset>.json`` and ``.run.gz`` for each dataset and returns the
    result dictionaries by dataset name. SPLADE document matrices are cached under ``cache_dir``
    (``None``: no cache), so a second evaluation encodes nothing. All dataset folders are found (or downloaded) before
    any model work starts, so a missing dataset fails fast and writes nothing. ``relevance_levels``
    (one level, or levels by dataset key) overrides the datasets' own relevance level (2 for TREC DL).
    ``workers`` (local processes) or ``backend="ray"`` encode SPLADE corpora shard by shard into the
    cache (see :mod:`splade_beir.shards`), with the results of one process using the same cache chunk size.
    """
    names = expand_names(datasets) if isinstance(datasets, str) else list(datasets)
    parts = {n: cqadupstack_parts(n) for n in names}
    folders = {p: resolve_dir(p, data_dir, download=download) for ps in parts.values() for p in ps}
    check_writable(output)
    kind = model_options.pop("kind", None)  # None: inferred from the name (bm25, all-MiniLM-L6-v2)
    name = name or (default_name(model) if isinstance(model, str) else model.kind)
    retriever = None if isinstance(model, str) else model
    out: dict[str, dict] = {}
    for dataset_name, subsets in parts.items():
        sub_results = []
        for sub in subsets:
            sub_split = split or default_split(sub)
            logger.info("%s: loading %s (%s split)", name, sub, sub_split)
            dataset = load_folder(folders[sub], sub_split, name=dataset_key(sub),
                                  relevance_level=relevance_level(dataset_name, relevance_levels))
            if retriever is None:  # built after the first dataset loads, so bad data fails fast
                retriever = make_retriever(kind, model, show_progress=show_progress, **model_options)
                if cache_dir is not None and isinstance(retriever, SpladeRetriever):
                    retriever.cache = CorpusCache(cache_dir, cache_chunk_size)
                if workers is not None or backend or ray_address:
                    from .shards import scale_out

                    scale_out(retriever, backend, workers, ray_address, **model_options)
            sub_results.append(evaluate_dataset(retriever, dataset, name, output, top_k))
        out[dataset_key(dataset_name)] = sub_results[0] if len(subsets) == 1 else _write_mean(
            name, dataset_key(dataset_name), sub_results, output)
    return out


def evaluate_dataset(retriever: Retriever, dataset, name: str, output: str | Path, top_k: int = 1000) -> dict:
    """Retrieve, score and write the results of one dataset; returns the result dictionary."""
    json_path, run_path = result_paths(output, name, dataset.name)
    t0 = time.perf_counter()
    retrieval = retriever.retrieve(dataset, top_k)
    t1 = time.perf_counter()
    level = getattr(dataset, "relevance_level", 1)
    means, per_query = evaluate_run(dataset.qrels, retrieval.run, relevance_level=level)
    result = {
        "schema": SCHEMA, "model": name, "dataset": dataset.name, "split": dataset.split,
        "kind": retriever.kind, "metrics": means,
        **{k: retrieval.stats.get(k) for k in ("flops", "nnz_query", "nnz_doc")},
        "n_queries": len(dataset.queries), "n_docs": len(dataset.corpus),
        "n_judgements": sum(len(r) for r in dataset.qrels.values()), "relevance_level": level, "top_k": top_k,
        "timings": {**retrieval.timings, "total_s": t1 - t0, "evaluate_s": time.perf_counter() - t1},
        "config": retriever.config, "data": str(dataset.path), "versions": versions(),
        "warnings": dataset.warnings, "run_file": run_path.name, "per_query": per_query,
    }
    retrieval.run.write_trec(run_path, tag=name)
    write_result(json_path, result)
    logger.info("%s on %s: nDCG@10 %.4f -> %s", name, dataset.name, means.get("ndcg@10", 0.0), json_path)
    return result


def _write_mean(name: str, dataset: str, parts: list[dict], output) -> dict:
    result = mean_result(name, dataset, parts)
    write_result(result_paths(output, name, dataset)[0], result)
    return result


def summary_table(results: dict[str, dict]) -> str:
    """A Markdown table: one row per dataset, the main metrics, FLOPS and mean non-zeros."""
    rows = []
    for dataset, r in results.items():
        m = r["metrics"]
        rows.append([dataset, *(m.get(c) for c in SUMMARY_COLUMNS), r.get("flops"),
                     r.get("nnz_query"), r.get("nnz_doc"), r["n_queries"], r["n_docs"]])
    headers = ["dataset", "nDCG@10", "R@100", "R@1k", "MRR@10", "FLOPS", "nnz q", "nnz d", "queries", "docs"]
    return tabulate(rows, headers=headers, tablefmt="github", floatfmt=".4f", missingval="-")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m splade_beir.evaluate", description=__doc__.splitlines()[0])
    p.add_argument("--model", help="checkpoint: local folder, hub id, or embedded name; 'bm25' for "
                   "BM25 (default: splade-tiny; bm25 / all-MiniLM-L6-v2 for --kind bm25 / dense)")
    p.add_argument("--kind", choices=KINDS, help="model kind (default: bm25 for --model bm25, dense for "
                   "all-MiniLM-L6-v2, else splade); bm25 and dense are baselines")
    p.add_argument("--query-model", help="separate checkpoint for queries")
    p.add_argument("--name", help="results folder name (default: last part of the checkpoint)")
    p.add_argument("--datasets", default="demo",
                   help="'all' (BEIR-13 + cqadupstack), names, comma lists or local folders (default: demo)")
    p.add_argument("--data-dir", default="datasets", help="where datasets live / are downloaded")
    p.add_argument("--output", default="results", help="results root (default: results/)")
    p.add_argument("--split", help="qrels split (default: test; dev for msmarco)")
    p.add_argument("--relevance-level", type=int, metavar="N",
                   help="lowest grade recall and MRR count as relevant (default: 2 for trec-dl-*, else 1; "
                        "2 = trec_eval -l 2, the TREC DL convention)")
    p.add_argument("--pooling", choices=("max", "sum"), default="max")
    p.add_argument("--query-max-length", type=int, default=256)
    p.add_argument("--doc-max-length", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--top-k", type=int, default=1000)
    p.add_argument("--device", help="cuda, cpu, cuda:1... (default: cuda when present)")
    p.add_argument("--dtype", choices=("float32", "bfloat16", "float16"),
                   help="compute precision (default: float32 on CPU, bfloat16 on GPU)")
    p.add_argument("--cache-dir", default=DEFAULT_CACHE_DIR,
                   help=f"encoded-corpus cache (default: {DEFAULT_CACHE_DIR}); clear it with python -m splade_beir.cache --clear")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the corpus cache")
    p.add_argument("--cache-chunk-size", type=int, default=DEFAULT_CHUNK,
                   help="documents per saved chunk: a killed run resumes from the last saved chunk")
    p.add_argument("--no-download", action="store_true", help="never download a missing dataset")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="allow the checkpoint's own Python code (off by default)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.add_argument("--config", metavar="FILE",
                   help="evaluate every model of an eval config (eval_configs/NAME.yaml) on its datasets; "
                        "model and dataset options then come from the config")
    p.add_argument("--redo", action="store_true", help="with --config: recompute results that already exist")
    scale = p.add_argument_group("scaling out (SPLADE): shards are whole cache chunks, so the results equal those "
                                 "of one process with the same --cache-chunk-size")
    scale.add_argument("--shard", metavar="I/N", help="encode and cache only shard I of N (0 to N-1) of each "
                       "corpus, print what remains, and exit; then run without --shard to evaluate")
    scale.add_argument("--workers", type=int, metavar="N",
                       help="encode with N local processes (default for --backend local: one per GPU)")
    scale.add_argument("--backend", choices=("local", "ray"),
                       help="local worker processes, or Ray tasks on a cluster (the [ray] extra)")
    scale.add_argument("--ray-address", help="Ray cluster to use (default: RAY_ADDRESS, else a new local one)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    show = not args.quiet
    if args.shard or args.workers is not None or args.backend or args.ray_address:
        from .shards import shard_main

        if shard_main(args):  # --shard: encoded one shard, printed what remains
            return 0
    if args.config:
        from .config import evaluate_config

        evaluate_config(args.config, redo=args.redo, show_progress=show, download=not args.no_download,
                        cache_dir=None if args.no_cache else args.cache_dir, cache_chunk_size=args.cache_chunk_size)
        return 0
    results = evaluate(
        args.model or default_model(args.kind), args.datasets, name=args.name, data_dir=args.data_dir,
        output=args.output, top_k=args.top_k, split=args.split, download=not args.no_download, show_progress=show,
        cache_dir=None if args.no_cache else args.cache_dir, cache_chunk_size=args.cache_chunk_size,
        relevance_levels=args.relevance_level,
        kind=args.kind, query_model=args.query_model, pooling=args.pooling, query_max_length=args.query_max_length,
        doc_max_length=args.doc_max_length, device=args.device, dtype=args.dtype,
        batch_size=args.batch_size, trust_remote_code=args.trust_remote_code,
        workers=args.workers, backend=args.backend, ray_address=args.ray_address)
    print(summary_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
