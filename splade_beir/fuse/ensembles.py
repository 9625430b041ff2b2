"""The ensembles of a config: members' runs fused (:func:`~splade_beir.fuse.fusion.fuse`) and evaluated.

For every ensemble and dataset, the members' run files are fused and stored with their metrics as
``<output>/ensembles/<ensemble>/<dataset>.run.gz`` and ``.json``, a :class:`~splade_beir.evaluation.result.Result`
of kind ``"ensemble"``. Cost fields are sums over the members: ``flops`` is the sum of the members' FLOPS,
``nnz_query`` / ``nnz_doc`` the total non-zeros a query / document has across the members' indexes;
each is None when a member has no such number (BM25's FLOPS). cqadupstack is fused forum by forum,
then averaged, as evaluation does.

An ensemble already stored is kept when its members' run files are byte-identical to those it was made
from (their SHA-256 is recorded in its ``config``); otherwise, or with ``redo``, it is rebuilt.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..config import EnsembleSpec, EvalConfig, load_config
from ..data.download import resolve_dir
from ..data.loader import load_folder
from ..data.names import cqadupstack_parts
from ..errors import UserError
from ..evaluation.measures import evaluate_run, measures_at
from ..evaluation.result import COST_FIELDS, Result, versions
from ..evaluation.store import ResultStore, sha256_file
from .fusion import MISSING, fuse

logger = logging.getLogger("splade_beir")


def ensemble_config(path: str | Path, redo: bool = False, output: str | Path | None = None,
                    download: bool = True) -> dict[str, dict[str, Result]]:
    """Build every ensemble of the config on every dataset; returns ``{ensemble: {dataset: result}}``.

    All member results are checked before anything is written: a missing one is a UserError naming
    the file and the command that produces it.
    """
    cfg = load_config(path, output)
    store = ResultStore(cfg.output)
    if not cfg.ensembles:
        logger.info("%s defines no ensembles", cfg.path)
    plan = [(ens, key, _parts(dataset, key)) for ens in cfg.ensembles
            for dataset, key in zip(cfg.datasets, cfg.dataset_keys())]
    for ens, _, parts in plan:
        for _, part_key in parts:
            _check_members(cfg, store, ens, part_key)
    out: dict[str, dict[str, Result]] = {}
    for ens, key, parts in plan:
        results = [fuse_dataset(cfg, store, ens, part, part_key, redo, download) for part, part_key in parts]
        if len(results) > 1:
            results = [Result.mean(ens.name, key, results)]
            store.write(results[0], ensemble=True)
        out.setdefault(ens.name, {})[key] = results[0]
    return out


def fuse_dataset(cfg: EvalConfig, store: ResultStore, ens: EnsembleSpec, dataset: str, key: str,
                 redo: bool = False, download: bool = True) -> Result:
    """Fuse the members' runs on one dataset (a single cqadupstack forum at most) and store the result."""
    _check_members(cfg, store, ens, key)
    names = [cfg.model(label).name for label in ens.members]
    members = [{"label": label, "name": name, "weight": w, "run_sha256": sha256_file(store.paths(name, key)[1])}
               for label, name, w in zip(ens.members, names, ens.weights)]
    level = cfg.relevance_level(key)
    measures = measures_at(level)
    previous = None if redo else store.read(ens.name, key, ensemble=True)
    if (previous is not None and previous.config.get("members") == members and previous.top_k == cfg.top_k
            and set(previous.metrics) == {str(m) for m in measures} and store.is_complete(ens.name, key, True)):
        logger.info("ensemble %s on %s: up to date, skipped (--redo rebuilds it)", ens.name, key)
        return previous
    member_results = [store.read(name, key) for name in names]
    splits = {r.split for r in member_results}
    if len(splits) != 1:
        raise UserError(f"ensemble {ens.name!r} on {key}: members were evaluated on different splits "
                        f"({', '.join(map(str, sorted(splits, key=str)))}); re-evaluate them on one")
    data = load_folder(resolve_dir(dataset, cfg.data_dir, download=download), splits.pop(), name=key,
                       relevance_level=level, with_corpus=False)
    t0 = time.perf_counter()
    run = fuse([store.read_run(name, key) for name in names], ens.weights, top_k=cfg.top_k)
    t1 = time.perf_counter()
    means, per_query = evaluate_run(data.qrels, run, measures)
    result = Result(
        model=ens.name, dataset=key, kind="ensemble", metrics=means, split=data.split,
        **{f: _sum(getattr(r, f) for r in member_results) for f in COST_FIELDS},
        n_queries=len(data.queries), n_docs=member_results[0].n_docs, n_judgements=data.qrels.n_judgements,
        top_k=cfg.top_k, timings={"fuse_s": t1 - t0, "evaluate_s": time.perf_counter() - t1},
        config={"kind": "ensemble", "members": members, "normalization": "(s - (min+max)/2) / (max - min)",
                "missing_document": MISSING, "config_file": str(cfg.path)},
        data=dataset, versions=versions(), warnings=data.warnings, per_query=per_query)
    store.write(result, run, ensemble=True)
    return result


def _parts(dataset: str, key: str) -> list[tuple[str, str]]:
    """``(name to load, results key)`` of each part: cqadupstack's forums, else the dataset itself."""
    parts = cqadupstack_parts(dataset)
    return [(dataset, key)] if len(parts) == 1 else [(p, p) for p in parts]


def _check_members(cfg: EvalConfig, store: ResultStore, ens: EnsembleSpec, key: str) -> None:
    for label in ens.members:
        model = cfg.model(label)
        for p in store.paths(model.name, key):
            if not p.is_file():
                raise UserError(f"{p} is missing: ensemble {ens.name!r} needs model {label} ({model.name}) on "
                                f"{key}; produce it with: python -m splade_beir.evaluate --config {cfg.path}")


def _sum(values) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else float(sum(values))
