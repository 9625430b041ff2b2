"""``python -m splade_beir.evaluate``: evaluate a model zero-shot on BEIR datasets (a thin CLI over
:func:`splade_beir.evaluation.api.evaluate`, also importable from here)."""

from __future__ import annotations

import argparse
import sys

from .cli import Parser, positive_int, run_cli
from .errors import UserError
from .evaluation.api import evaluate, evaluate_config
from .evaluation.result import Result
from .retrievers.registry import KINDS

__all__ = ["evaluate", "evaluate_config", "main"]


def summary_table(results: dict[str, Result]) -> str:
    """A Markdown table: one row per dataset, the main measures, FLOPS and mean non-zeros, and a note on
    what FLOPS means."""
    from tabulate import tabulate

    from .evaluation.measures import DEFAULT

    measures = list(DEFAULT)
    headers = ["dataset"]
    for m in measures:  # the relevance level in the header where a result has one (R(rel=2)@1k)
        found = next((f[0] for r in results.values() if (f := r.find(m))), m)
        headers.append(f"{found.label}" + (f" (rel>={found.rel})" if found.rel > 1 else ""))
    rows = []
    for dataset, r in results.items():
        values = [f"{f[1]:.4f}" if (f := r.find(m)) else "-" for m in measures]
        costs = [f"{v:.2f}" if v is not None else "-" for v in (r.flops,)] + \
                [f"{v:.1f}" if v is not None else "-" for v in (r.nnz_query, r.nnz_doc)]
        rows.append([dataset, *values, *costs, f"{r.n_queries:,}", f"{r.n_docs:,}"])
    headers += ["FLOPS", "nnz/query", "nnz/doc", "queries", "docs"]
    table = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True,
                     colalign=("left",) + ("right",) * (len(headers) - 1))
    return table + ("\n\nFLOPS: expected multiplications per query-document pair, sum_j p_q(j) p_d(j); nnz: mean "
                    "non-zero entries per vector; measures are means over the judged queries.")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m splade_beir.evaluate",
               description="Evaluate a retriever zero-shot on BEIR datasets.")
    p.add_argument("--model", help="checkpoint: local folder, hub id, or embedded name; 'bm25' for "
                   "BM25 (default: splade-tiny; bm25 / all-MiniLM-L6-v2 for --kind bm25 / dense)")
    p.add_argument("--kind", choices=tuple(KINDS), help="model kind (default: bm25 for --model bm25, dense for "
                   "all-MiniLM-L6-v2, else splade): " + "; ".join(f"{k.name}: {k.description}" for k in KINDS.values()))
    p.add_argument("--query-model", help="separate checkpoint for queries")
    p.add_argument("--name", help="results folder name (default: last part of the checkpoint)")
    p.add_argument("--datasets", default="demo",
                   help="'all' (BEIR-13 + cqadupstack), names, comma lists or local folders (default: demo)")
    p.add_argument("--data-dir", default="datasets", help="where datasets live / are downloaded")
    p.add_argument("--output", help="results root (default: results/, or the config's with --config)")
    p.add_argument("--split", help="qrels split (default: test; dev for msmarco)")
    p.add_argument("--relevance-level", type=positive_int, metavar="N",
                   help="lowest grade recall and MRR count as relevant (default: 2 for trec-dl-*, else 1; "
                        "2 = trec_eval -l 2, the TREC DL convention)")
    p.add_argument("--pooling", choices=("max", "sum"), default="max")
    p.add_argument("--query-max-length", type=positive_int, metavar="N",
                   help="query truncation in tokens (default: 256, or the model's limit when smaller)")
    p.add_argument("--doc-max-length", type=positive_int, metavar="N",
                   help="document truncation in tokens (default: 256, or the model's limit when smaller)")
    p.add_argument("--batch-size", type=positive_int, default=32)
    p.add_argument("--top-k", type=positive_int, default=1000)
    p.add_argument("--threads", type=positive_int, metavar="N",
                   help="CPU threads for encoding (torch) and search (default: OMP_NUM_THREADS when set, else "
                        "the cores other processes leave free, at least 1)")
    p.add_argument("--device", help="cuda, cpu, cuda:1... (default: cuda when present)")
    p.add_argument("--dtype", choices=("float32", "bfloat16", "float16"),
                   help="compute precision (default: float32 on CPU, bfloat16 on GPU)")
    p.add_argument("--cache-dir", help="encoded-corpus cache (default: $XDG_CACHE_HOME/splade_beir or "
                   "~/.cache/splade_beir); list or clear it with python -m splade_beir.cache")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the corpus cache")
    p.add_argument("--cache-chunk-size", type=positive_int, metavar="N",
                   help="documents per saved chunk (default 10000, or a cached corpus's own): a killed run "
                        "resumes from the last saved chunk")
    p.add_argument("--no-download", action="store_true", help="never download a missing dataset")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="allow the checkpoint's own Python code (off by default)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.add_argument("--config", metavar="FILE",
                   help="evaluate every model of an eval config (eval_configs/NAME.yaml) on its datasets; "
                        "model and dataset options then come from the config")
    p.add_argument("--run", metavar="FILE",
                   help="evaluate a TREC run file made by any system instead of a model (needs --name): "
                        "{dataset} in FILE stands for each dataset's name, e.g. 'runs/{dataset}.trec.gz'")
    p.add_argument("--redo", action="store_true", help="recompute results that already exist (with --config), and "
                   "replace a result that another model or other options made")
    scale = p.add_argument_group("scaling out (SPLADE): shards are whole cache chunks, so the results equal those "
                                 "of one process")
    scale.add_argument("--shard", metavar="I/N", help="encode and cache only shard I of N (0 to N-1) of each "
                       "corpus, print what remains, and exit; then run without --shard to evaluate")
    scale.add_argument("--workers", type=positive_int, metavar="N",
                       help="encode with N local processes (default for --backend local: one per GPU)")
    scale.add_argument("--backend", choices=("local", "ray"),
                       help="local worker processes, or Ray tasks on a cluster (the [ray] extra)")
    scale.add_argument("--ray-address", help="Ray cluster to use (default: RAY_ADDRESS, else a new local one)")
    return p


def check_run_arguments(args: argparse.Namespace) -> None:
    """``--run``: no model options, a name, and every dataset's run file present before anything runs."""
    from .data.names import cqadupstack_parts, dataset_key, expand_names
    from .retrievers.external import check_template, run_path

    given = [o for o, v in (("--model", args.model), ("--kind", args.kind), ("--query-model", args.query_model),
                            ("--config", args.config), ("--shard", args.shard), ("--workers", args.workers),
                            ("--backend", args.backend)) if v]
    if given:
        raise UserError(f"--run evaluates a run file: {given[0]} does not apply to it")
    if not args.name:
        raise UserError("--run needs --name NAME (its results folder and row name)")
    keys = [dataset_key(p) for d in expand_names(args.datasets) for p in cqadupstack_parts(d)]
    check_template(args.run, len(keys))
    missing = [path for path in (run_path(args.run, k) for k in keys) if not path.is_file()]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise UserError(f"{missing[0]}: run file missing{more}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    show = not args.quiet
    cache_dir = False if args.no_cache else (args.cache_dir or True)
    scaling = dict(workers=args.workers, backend=args.backend, ray_address=args.ray_address)
    if args.run:
        check_run_arguments(args)
        results = evaluate(args.run, args.datasets, name=args.name, kind="run", output=args.output or "results",
                           top_k=args.top_k, relevance_levels=args.relevance_level, data_dir=args.data_dir,
                           split=args.split, download=not args.no_download, show_progress=show, cache_dir=False,
                           redo=args.redo)
        print(summary_table(results))
        return 0
    if args.config:
        if args.shard or any(v is not None for v in scaling.values()):
            raise UserError("--shard, --workers and --backend apply to a --model run, not to --config")
        evaluate_config(args.config, redo=args.redo, show_progress=show, download=not args.no_download,
                        output=args.output, cache_dir=cache_dir,
                        cache_chunk_size=args.cache_chunk_size, threads=args.threads)
        return 0
    options = dict(kind=args.kind, query_model=args.query_model, pooling=args.pooling,
                   query_max_length=args.query_max_length, doc_max_length=args.doc_max_length, device=args.device,
                   dtype=args.dtype, batch_size=args.batch_size, trust_remote_code=args.trust_remote_code)
    common = dict(data_dir=args.data_dir, split=args.split, download=not args.no_download, show_progress=show,
                  cache_dir=cache_dir, cache_chunk_size=args.cache_chunk_size)
    if args.shard:
        if args.backend == "ray" or args.ray_address:
            raise UserError("--shard runs one shard by hand, --backend ray runs them all: use one or the other")
        from .scale.shard import encode_shard

        print("\n".join(encode_shard(args.model, args.datasets, args.shard, **common, **options,
                                     workers=args.workers)))
        return 0
    results = evaluate(args.model, args.datasets, name=args.name, output=args.output or "results", top_k=args.top_k,
                       relevance_levels=args.relevance_level, threads=args.threads, redo=args.redo, **common, **options,
                       **{k: v for k, v in scaling.items() if v is not None})
    print(summary_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
