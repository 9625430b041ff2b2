"""Ensembles of a config's models: ``python -m splade_beir.ensemble --config eval_configs/NAME.yaml``.

For every ensemble of the config and every dataset, the members' run files
(``<output>/<model>/<dataset>.run.gz``) are fused by :func:`splade_beir.fusion.fuse` and written with
their metrics as ``<output>/ensembles/<ensemble>/<dataset>.run.gz`` and ``.json``, in the same
schema as a model's results (kind ``"ensemble"``). Cost fields are sums over the members: ``flops``
is the sum of the members' FLOPS, ``nnz_query`` / ``nnz_doc`` the total non-zeros a query / document
has across the members' indexes; each is null when a member has no such number (BM25's FLOPS, for
example). cqadupstack is fused forum by forum, then averaged, as evaluation does.

An ensemble already on disk is kept when its members' run files are byte-identical to those it was
made from (their SHA-256 is recorded in its ``config``); otherwise, or with ``--redo``, it is rebuilt.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import time
from pathlib import Path

from .cli import run_cli
from .config import EnsembleSpec, EvalConfig, load_config
from .datasets import cqadupstack_parts, load_folder, resolve_dir
from .errors import UserError
from .fusion import MISSING, fuse
from .metrics import evaluate_run
from .results import SCHEMA, mean_result, read_result, result_paths, versions, write_result
from .run import Run

logger = logging.getLogger("splade_beir")

COST_FIELDS = ("flops", "nnz_query", "nnz_doc")


def ensemble_root(output: str | Path) -> Path:
    return Path(output) / "ensembles"


def ensemble_config(path: str | Path, redo: bool = False, output: str | Path | None = None,
                    download: bool = True) -> dict[str, dict[str, dict]]:
    """Build every ensemble of the config on every dataset; returns ``{ensemble: {dataset: result}}``.

    All member results are checked before anything is written: a missing one is a UserError
    naming the file and the command that produces it.
    """
    cfg = load_config(path, output)
    if not cfg.ensembles:
        logger.info("%s defines no ensembles", cfg.path)
    plan = [(ens, key, _parts(dataset, key)) for ens in cfg.ensembles
            for dataset, key in zip(cfg.datasets, cfg.dataset_keys())]
    for ens, _, parts in plan:
        for _, part_key in parts:
            _member_paths(cfg, ens, part_key)
    out: dict[str, dict[str, dict]] = {}
    for ens, key, parts in plan:
        results = [fuse_dataset(cfg, ens, part, part_key, redo, download) for part, part_key in parts]
        if len(results) > 1:
            results = [mean_result(ens.name, key, results)]
            write_result(result_paths(ensemble_root(cfg.output), ens.name, key)[0], results[0])
        out.setdefault(ens.name, {})[key] = results[0]
        logger.info("ensemble %s on %s: nDCG@10 %.4f", ens.name, key, results[0]["metrics"].get("ndcg@10", 0.0))
    return out


def fuse_dataset(cfg: EvalConfig, ens: EnsembleSpec, dataset: str, key: str, redo: bool = False,
                 download: bool = True) -> dict:
    """Fuse the members' runs on one dataset (a single cqadupstack forum at most) and write the results."""
    paths = _member_paths(cfg, ens, key)
    members = [{"label": label, "name": cfg.model(label).name, "weight": w, "run_sha256": _sha256(run_path)}
               for (label, w), (_, run_path) in zip(zip(ens.members, ens.weights), paths)]
    json_path, run_path = result_paths(ensemble_root(cfg.output), ens.name, key)
    if json_path.is_file() and not redo:
        previous = read_result(json_path)
        if (previous.get("config", {}).get("members") == members and previous.get("top_k") == cfg.top_k
                and previous.get("relevance_level", 1) == cfg.relevance_level(key)):
            logger.info("ensemble %s on %s: %s is up to date, skipped (--redo rebuilds it)", ens.name, key, json_path)
            return previous
    member_results = [read_result(p) for p, _ in paths]
    splits = {r.get("split") for r in member_results}
    if len(splits) != 1:
        raise UserError(f"ensemble {ens.name!r} on {key}: members were evaluated on different splits "
                        f"({', '.join(map(str, sorted(splits, key=str)))}); re-evaluate them on one")
    data = load_folder(resolve_dir(dataset, cfg.data_dir, download=download), splits.pop(), name=key,
                       relevance_level=cfg.relevance_level(key), with_corpus=False)
    t0 = time.perf_counter()
    run = fuse([Run.read_trec(p) for _, p in paths], ens.weights, top_k=cfg.top_k)
    t1 = time.perf_counter()
    means, per_query = evaluate_run(data.qrels, run, relevance_level=data.relevance_level)
    result = {
        "schema": SCHEMA, "model": ens.name, "dataset": key, "split": data.split, "kind": "ensemble",
        "metrics": means, **{f: _sum(r.get(f) for r in member_results) for f in COST_FIELDS},
        "relevance_level": data.relevance_level,
        "n_queries": len(data.queries), "n_docs": member_results[0]["n_docs"],
        "n_judgements": sum(len(r) for r in data.qrels.values()), "top_k": cfg.top_k,
        "timings": {"fuse_s": t1 - t0, "evaluate_s": time.perf_counter() - t1},
        "config": {"kind": "ensemble", "members": members, "normalization": "(s - (min+max)/2) / (max - min)",
                   "missing_document": MISSING, "config_file": str(cfg.path)},
        "data": str(data.path), "versions": versions(), "warnings": data.warnings,
        "run_file": run_path.name, "per_query": per_query,
    }
    run.write_trec(run_path, tag=ens.name)
    write_result(json_path, result)
    return result


def _parts(dataset: str, key: str) -> list[tuple[str, str]]:
    """``(name to load, results key)`` of each part: cqadupstack's forums, else the dataset itself."""
    parts = cqadupstack_parts(dataset)
    return [(dataset, key)] if len(parts) == 1 else [(p, p) for p in parts]


def _member_paths(cfg: EvalConfig, ens: EnsembleSpec, key: str) -> list[tuple[Path, Path]]:
    paths = []
    for label in ens.members:
        model = cfg.model(label)
        json_path, run_path = result_paths(cfg.output, model.name, key)
        for p in (json_path, run_path):
            if not p.is_file():
                raise UserError(f"{p} is missing: ensemble {ens.name!r} needs model {label} ({model.name}) on "
                                f"{key}; produce it with: python -m splade_beir.evaluate --config {cfg.path}")
        paths.append((json_path, run_path))
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sum(values) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else float(sum(values))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m splade_beir.ensemble", description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="an eval config (eval_configs/NAME.yaml)")
    p.add_argument("--redo", action="store_true", help="rebuild ensembles that are already up to date")
    p.add_argument("--no-download", action="store_true", help="never download a missing dataset")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    results = ensemble_config(args.config, redo=args.redo, download=not args.no_download)
    for name, by_dataset in results.items():
        scores = ", ".join(f"{d} {r['metrics'].get('ndcg@10', float('nan')):.4f}" for d, r in by_dataset.items())
        print(f"{name}: nDCG@10 {scores}")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
