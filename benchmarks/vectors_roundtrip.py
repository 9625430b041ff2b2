"""Vectors out and back in, and a real engine on them: the acceptance figures of the interop feature.

For each dataset (default: demo and the shared msmarco-5k sample, TREC DL relevance level 2):

1. splade-tiny is evaluated with a corpus cache (reused when the work folder has it);
2. its vectors are exported three ways (``python -m splade_beir.export``): ``float`` (lossless), ``100``
   (NAVER's rint(w*100), the default) and ``pyserini`` (round(w/5*256));
3. each export is evaluated back with ``--kind vectors``: the float run file must equal the original's
   byte for byte (decompressed, same results name); the integer ones are compared by nDCG@10, with the
   weight error each quantization made;
4. each integer export is indexed with PISA (pyterrier-pisa) and its top-10 lists, with each query
   algorithm, are compared with the exact search's on the same integers (equal except among ties).

    python benchmarks/vectors_roundtrip.py                       # demo + msmarco-5k (~3 min on 2 cores)
    python benchmarks/vectors_roundtrip.py --datasets demo       # a quick look

Writes ``benchmarks/results/vectors_roundtrip.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "msmarco-5k"
MODES = ("float", "100", "pyserini")


def run_text(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def one_dataset(data: str, level: int | None, work: Path, algorithms) -> dict:
    from splade_beir.encode.cache import CorpusCache
    from splade_beir.evaluation.api import evaluate
    from splade_beir.evaluation.store import ResultStore
    from splade_beir.interop.engines.crosscheck import crosscheck_pisa
    from splade_beir.interop.exporter import export_result
    from splade_beir.lazy import is_installed

    cache = work / "cache"
    t0 = time.perf_counter()
    original = evaluate("splade-tiny", [data], output=work / "original", cache_dir=cache, relevance_levels=level,
                        show_progress=False)
    (key, result), = original.items()
    out = {"dataset": key, "nDCG@10": result.value("nDCG@10"), "flops": result.flops,
           "evaluate_s": round(time.perf_counter() - t0, 1), "modes": {}}
    original_run = run_text(ResultStore(work / "original").paths("splade-tiny", key)[1])
    for mode in MODES:
        t0 = time.perf_counter()
        manifest = export_result(result, work / f"export-{mode}", mode, CorpusCache(cache))
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = evaluate(str(work / f"export-{mode}"), [data], kind="vectors", name="splade-tiny",
                         output=work / f"import-{mode}", relevance_levels=level, show_progress=False)[key]
        row = {"export_s": round(export_s, 2), "import_evaluate_s": round(time.perf_counter() - t0, 2),
               "nDCG@10": again.value("nDCG@10"), "delta_nDCG@10": again.value("nDCG@10") - result.value("nDCG@10"),
               "flops": again.flops, "run_identical": run_text(
                   ResultStore(work / f"import-{mode}").paths("splade-tiny", key)[1]) == original_run,
               "rounding": manifest["rounding"], "max_score_bound": manifest["max_score_bound"]}
        if mode != "float" and is_installed("pyterrier_pisa"):
            report = crosscheck_pisa(work / f"export-{mode}" / key, work / f"pisa-{mode}-{key.replace('/', '_')}",
                                     k=10, algorithms=algorithms)
            row["pisa"] = {a: {k: r[k] for k in ("queries", "identical", "ties_only", "ok", "n_problems",
                                                   "search_s")} for a, r in report["algorithms"].items()}
            row["pisa_index_s"] = report["index_s"]
        out["modes"][mode] = row
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default=f"demo,{SHARED}", help="comma list (local folders or names)")
    p.add_argument("--work", default="/tmp/splade_beir-vectors-roundtrip", help="work folder (reused)")
    p.add_argument("--algorithms", default="block_max_wand,maxscore,ranked_or")
    p.add_argument("--output", default=str(HERE / "results" / "vectors_roundtrip.json"))
    args = p.parse_args()
    from importlib import metadata

    rows = []
    for data in args.datasets.split(","):
        if data != "demo" and not Path(data).is_dir():
            print(f"skipping: {data} is absent", file=sys.stderr)
            continue
        level = None if data == "demo" else 2  # msmarco-5k holds TREC DL 2019 judgements
        rows.append(one_dataset(data, level, Path(args.work), args.algorithms.split(",")))
    print("| dataset | vectors | nDCG@10 | delta vs original | run file | max weight error (docs) | dropped weights |")
    print("|---|---|---:|---:|---|---:|---:|")
    for r in rows:
        for mode, m in r["modes"].items():
            d = m["rounding"]["documents"]
            print(f"| {r['dataset']} | {mode} | {m['nDCG@10']:.4f} | {m['delta_nDCG@10']:+.4f} | "
                  f"{'identical' if m['run_identical'] else 'differs'} | {d['max_abs_error']:.2e} | "
                  f"{d['dropped']:,} of {d['n_weights']:,} |")
    print("\n| dataset | impacts | PISA algorithm | queries | identical | ties only | agree |")
    print("|---|---|---|---:|---:|---:|---|")
    for r in rows:
        for mode, m in r["modes"].items():
            for algorithm, a in (m.get("pisa") or {}).items():
                print(f"| {r['dataset']} | {mode} | {algorithm} | {a['queries']} | {a['identical']} | "
                      f"{a['ties_only']} | {'yes' if a['ok'] else 'NO'} |")
    versions = {name: metadata.version(name) for name in ("splade-beir", "numpy", "scipy", "pyterrier-pisa")
                if _installed(name)}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({
        "command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%d"), "rows": rows, "versions": versions,
        "python": platform.python_version(), "load_average": os.getloadavg(), "cpus": os.cpu_count()},
        indent=1) + "\n")


def _installed(name: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False


if __name__ == "__main__":
    main()
