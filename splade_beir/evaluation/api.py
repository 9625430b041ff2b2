"""Evaluate retrievers zero-shot on BEIR datasets: the Python API behind ``python -m splade_beir.evaluate``.

>>> import tempfile
>>> from splade_beir.evaluation.api import evaluate
>>> results = evaluate("splade-tiny", ["demo"], output=tempfile.mkdtemp(), cache_dir=False, show_progress=False)
>>> 0.0 <= results["demo"].value("nDCG@10") <= 1.0
True
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..atomic import check_writable
from ..config import load_config
from ..data.loader import Dataset, load_folder
from ..data.names import cqadupstack_parts, dataset_key, default_split, expand_names, relevance_level
from ..data.download import resolve_dirs
from ..encode.cache import make_cache
from ..encode.embedded import default_name
from ..errors import UserError, check_positive_int
from ..retrievers.base import Retriever
from ..retrievers.registry import default_model, make_retriever
from .measures import evaluate_run, measures_at
from .result import COST_FIELDS, Result, versions
from .provenance import check_overwrite, settings_fingerprint
from .store import ResultStore, name_problem

logger = logging.getLogger("splade_beir")


def evaluate(model: str | Retriever | None, datasets: list[str] | str = "demo", name: str | None = None,
             data_dir: str | Path = "datasets", output: str | Path = "results", top_k: int = 1000,
             split: str | None = None, download: bool = True, show_progress: bool = True,
             cache_dir: str | Path | bool | None = True, cache_chunk_size: int | None = None,
             relevance_levels: int | dict[str, int] | None = None, redo: bool = False,
             **model_options) -> dict[str, Result]:
    """Evaluate ``model`` (a checkpoint name or a ready :class:`~splade_beir.retrievers.base.Retriever`)
    on ``datasets``; returns the :class:`~splade_beir.evaluation.result.Result` of each, by dataset key.

    Writes ``<output>/<name>/<dataset>.json`` and ``.run.gz`` for each dataset. Every dataset folder is
    found (or downloaded) before any model work starts, so a missing dataset fails fast and writes
    nothing. SPLADE document matrices are cached in ``cache_dir`` (``True``: ``~/.cache/splade_beir``;
    ``False``: no cache), so a second evaluation encodes nothing. ``relevance_levels`` (one level, or
    levels by dataset key) overrides the datasets' own (2 for TREC DL). A result already stored under
    ``name`` that another model or other options made is not replaced unless ``redo``. ``model_options`` go to
    :func:`~splade_beir.retrievers.registry.make_retriever`: ``kind``, ``pooling``, ``doc_max_length``...,
    ``threads``, and the scale-out choice (``workers``, ``backend``, ``ray_address``).
    """
    check_top_k(top_k)
    kind = model_options.pop("kind", None)  # None: inferred from the name (bm25, all-MiniLM-L6-v2)
    model = default_model(kind) if model is None else model
    name = name or (default_name(model) if isinstance(model, str) else model.kind)
    if problem := name_problem(name, output):
        raise UserError(f"results name {problem}; choose another with --name")
    names = expand_names(datasets) if isinstance(datasets, str) else list(datasets)
    if not names:
        raise UserError("no dataset to evaluate")
    parts = {n: cqadupstack_parts(n) for n in names}
    folders = resolve_dirs([p for ps in parts.values() for p in ps], data_dir, download=download)
    check_writable(output)
    store = ResultStore(output)
    retriever = None if isinstance(model, str) else model
    out: dict[str, Result] = {}
    for dataset_name, subsets in parts.items():
        sub_results = []
        for sub in subsets:
            sub_split = split or default_split(sub)
            logger.info("%s: loading %s (%s split)", name, sub, sub_split)
            t0 = time.perf_counter()
            dataset = load_folder(folders[sub], sub_split, name=dataset_key(sub),
                                  relevance_level=relevance_level(dataset_name, relevance_levels))
            load_s = time.perf_counter() - t0
            logger.info("%s: %s documents, %s judged queries, %s judgements (read in %.1f s)", dataset.name,
                        f"{len(dataset.corpus):,}", f"{len(dataset.queries):,}", f"{dataset.qrels.n_judgements:,}", load_s)
            if retriever is None:  # built after the first dataset loads, so bad data fails fast
                retriever = make_retriever(kind, model, show_progress=show_progress,
                                           cache=make_cache(cache_dir, cache_chunk_size), **model_options)
            check_overwrite(store.read(name, dataset.name), retriever.config, fingerprint(retriever),
                            store.paths(name, dataset.name)[0], redo)
            sub_results.append(evaluate_dataset(retriever, dataset, name, store, top_k, data=sub,
                                                timings={"load_s": load_s}))
            del dataset  # before the next one is loaded
        key = dataset_key(dataset_name)
        if len(subsets) == 1:
            out[key] = sub_results[0]
        else:
            out[key] = Result.mean(name, key, sub_results)
            store.write(out[key])
    return out


def fingerprint(retriever: Retriever) -> str:
    """What decides a retriever's runs: its settings and its weights."""
    return settings_fingerprint(retriever.config, retriever.weights_digest())


def check_top_k(top_k) -> None:
    check_positive_int(top_k, "top_k")


def evaluate_dataset(retriever: Retriever, dataset: Dataset, name: str, store: ResultStore, top_k: int = 1000,
                     data: str | None = None, timings: dict | None = None) -> Result:
    """Retrieve, score and store the result of one dataset (``data``: the dataset as the user named it)."""
    t0 = time.perf_counter()
    retrieval = retriever.retrieve(dataset, top_k)
    t1 = time.perf_counter()
    means, per_query = evaluate_run(dataset.qrels, retrieval.run, measures_at(dataset.relevance_level))
    result = Result(
        model=name, dataset=dataset.name, kind=retriever.kind, metrics=means, split=dataset.split,
        **{k: retrieval.stats.get(k) for k in COST_FIELDS},
        n_queries=len(dataset.queries), n_docs=len(dataset.corpus), n_judgements=dataset.qrels.n_judgements,
        top_k=top_k, timings={**(timings or {}), **retrieval.timings, "total_s": t1 - t0,
                                 "evaluate_s": time.perf_counter() - t1},
        config=retriever.config, fingerprint=fingerprint(retriever), data=data or dataset.name,
        versions=versions(), warnings=dataset.warnings,
        vectors=retrieval.vectors, per_query=per_query)
    path = store.write(result, retrieval.run)
    logger.info("%s on %s: nDCG@10 %.4f -> %s", name, dataset.name, means.get("nDCG@10", 0.0), path)
    return result


def evaluate_config(path: str | Path, redo: bool = False, show_progress: bool = True,
                    output: str | Path | None = None, download: bool = True,
                    **evaluate_options) -> dict[str, dict[str, Result]]:
    """Evaluate every model of a config on every dataset; returns ``{label: {dataset: result}}`` for the
    pairs evaluated now.

    A (model, dataset) pair whose result is complete is skipped unless ``redo`` (cqadupstack counts as
    done when its mean exists). A model is loaded only if it has work to do, and every dataset it needs
    is found (or downloaded) before any model is loaded. ``output`` overrides the config's.
    ``evaluate_options`` (such as ``cache_dir``) are passed to every :func:`evaluate` call.
    """
    cfg = load_config(path, output)
    store = ResultStore(cfg.output)
    todo: dict[str, list[str]] = {}
    for model in cfg.models:
        todo[model.label] = []
        for dataset, key in zip(cfg.datasets, cfg.dataset_keys()):
            existing, path = store.read(model.name, key), store.paths(model.name, key)[0]
            wanted = {"kind": model.kind, "model": model.checkpoint, **model.options}
            check_overwrite(existing, {**(existing.config if existing else {}), **wanted}, None, path, redo)
            if store.is_complete(model.name, key) and not redo:
                logger.info("%s (%s) on %s: %s exists, skipped (--redo recomputes it)", model.label, model.name, key,
                            path)
            else:
                todo[model.label].append(dataset)
    needed = dict.fromkeys(p for names in todo.values() for d in names for p in cqadupstack_parts(d))
    resolve_dirs(needed, cfg.data_dir, download=download)
    done: dict[str, dict[str, Result]] = {}
    for model in cfg.models:
        if not todo[model.label]:
            continue
        logger.info("%s (%s): evaluating on %s", model.label, model.name, ", ".join(todo[model.label]))
        done[model.label] = evaluate(model.checkpoint, todo[model.label], name=model.name, data_dir=cfg.data_dir,
                                     output=cfg.output, top_k=cfg.top_k, download=download,
                                     relevance_levels=cfg.relevance_levels or None, show_progress=show_progress,
                                     redo=redo, kind=model.kind, **evaluate_options, **model.options)
    return done
