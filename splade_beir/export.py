"""``python -m splade_beir.export``: write a result's SPLADE vectors for Anserini, pyserini, PISA and Seismic.

The vectors come from the corpus cache (every SPLADE result records its entries), so no model is loaded::

    python -m splade_beir.export results/splade-tiny/msmarco-5k.json --output vectors/splade-tiny
    python -m splade_beir.export --name splade-tiny --datasets demo,msmarco-5k --output vectors/splade-tiny
    python -m splade_beir.export results/splade-tiny/demo.json --output vectors/float --quantization float

Then ``python -m splade_beir.evaluate --kind vectors --model vectors/splade-tiny --datasets demo`` evaluates
the files (see :mod:`splade_beir.retrievers.vectors`). A thin layer over
:func:`splade_beir.interop.exporter.export_result`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .cli import Parser, positive_int, run_cli
from .errors import UserError

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m splade_beir.export",
               description="Write the vectors of SPLADE results as JsonVectorCollection files (Anserini, pyserini, "
                           "PISA, Seismic) and query files; no model is loaded.")
    p.add_argument("files", nargs="*", metavar="RESULT.json", help="result files (results/<name>/<dataset>.json)")
    p.add_argument("--name", help="instead of files: the results folder name under --results")
    p.add_argument("--datasets", help="with --name: datasets (comma list, as for evaluate)")
    p.add_argument("--results", dest="results_root", default="results",
                   help="with --name: the results root (default: results)")
    p.add_argument("--output", required=True, help="export folder; each dataset goes to <output>/<dataset>/")
    p.add_argument("--quantization", default="100",
                   help="100 (default: rint(w*100), NAVER's exporter), any factor N (rint(w*N)), pyserini "
                        "(round(w/5*256)), or float (lossless float32, not for Anserini)")
    p.add_argument("--cache-dir", help="the corpus cache the results were computed with (default: "
                   "$XDG_CACHE_HOME/splade_beir or ~/.cache/splade_beir)")
    p.add_argument("--data-dir", default="datasets", help="where the datasets are (default: datasets)")
    p.add_argument("--no-contents", action="store_true", help="leave the texts out of the files")
    p.add_argument("--gzip", action="store_true", help="write .jsonl.gz / .tsv.gz")
    p.add_argument("--docs-per-file", type=positive_int, default=1_000_000, metavar="N",
                   help="documents per corpus file (default 1,000,000)")
    p.add_argument("--check-pisa", action="store_true",
                   help="index each export with PISA (the [engines] extra) and check that its top-10 lists equal "
                        "the exact search's on the same integer vectors (exit code 1 if not)")
    return p


def result_paths(args) -> list[Path]:
    """The result files named on the command line, or by ``--name`` and ``--datasets``."""
    from .data.names import dataset_key, expand_names
    from .evaluation.store import ResultStore

    if args.files and args.name:
        raise UserError("name result files, or --name with --datasets, not both")
    if args.files:
        return [Path(p) for p in args.files]
    if not (args.name and args.datasets):
        raise UserError("name result files, or --name and --datasets (see --help)")
    keys = [dataset_key(d) for item in args.datasets.split(",") if item.strip()
            for d in (expand_names("all") if item.strip() == "all" else [item.strip()])]
    return [ResultStore(args.results_root).paths(args.name, key)[0] for key in keys]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .encode.cache import CorpusCache
    from .evaluation.store import read_result
    from .interop.exporter import export_result
    from .interop.quantize import parse_quantization

    quantization = parse_quantization(args.quantization)
    cache = CorpusCache(args.cache_dir)
    todo = []
    for path in result_paths(args):
        result = read_result(path)
        parts = [path.parent / f"{part}.json" for part in result.parts or []]  # cqadupstack: its forums
        todo += [(p, read_result(p)) for p in parts] if parts else [(path, result)]
    if args.check_pisa and not quantization.integer:
        raise UserError("--check-pisa needs integer impacts: PISA truncates float weights (drop --quantization float)")
    agree = True
    for path, result in todo:
        manifest = export_result(result, args.output, quantization, cache, args.data_dir, not args.no_contents,
                                 args.gzip, args.docs_per_file, source=str(path))
        print(summary(manifest, Path(args.output) / result.dataset))
        if args.check_pisa:
            agree &= check_pisa(Path(args.output) / result.dataset)
    return 0 if agree else 1


def check_pisa(folder: Path) -> bool:
    """Index ``folder`` with PISA in a temporary folder; print and return whether its lists agree."""
    from .interop.engines.crosscheck import crosscheck_pisa, describe

    with tempfile.TemporaryDirectory(prefix="splade_beir-pisa-") as tmp:
        report = crosscheck_pisa(folder, Path(tmp) / "index", k=10)
    print(describe(report))
    return all(r["ok"] for r in report["algorithms"].values())


def summary(manifest: dict, folder: Path) -> str:
    """One paragraph per dataset: what was written and what the quantization did."""
    q = manifest["quantization"]
    lines = [f"{manifest['dataset']}: {manifest['documents']:,} documents, {manifest['queries']:,} queries -> {folder}"]
    if q["factor"] is None:
        lines.append("  weights: float32, lossless (not for Anserini, which truncates floats)")
    else:
        for side in ("documents", "queries"):
            r = manifest["rounding"][side]
            lines.append(f"  {side}: impacts = {q['rule']}; largest {r['max_impact']}; weight error max "
                         f"{r['max_abs_error']:.2e}, mean {r['mean_abs_error']:.2e}; {r['dropped']:,} of "
                         f"{r['n_weights']:,} weights rounded to 0 (dropped)")
        exact = "exact" if manifest["float32_exact"] else "NOT exact (above 2**24)"
        lines.append(f"  largest possible score {manifest['max_score_bound']:,}: {exact} in float32 engines (PISA)")
    lines += [f"  warning: {w}" for w in manifest["warnings"]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(run_cli(main))
