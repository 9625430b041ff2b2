"""splade_beir: zero-shot BEIR evaluation of SPLADE sparse retrievers.

The package follows the pipeline, one folder per stage::

    data/        dataset  -> corpus, queries, qrels (strict BEIR loader, downloads)
    encode/      encoder  -> CSR vectors (checkpoints, pooling, the corpus cache)
    search/      CSR      -> exact top-k -> Run
    retrievers/  the model kinds (SPLADE, BM25, dense) that run encode + search
    evaluation/  Run + Qrels -> metrics -> Result, stored by ResultStore; the evaluate() API
    fuse/        Runs -> fused Run (normalized-score ensembles)
    reporting/   Results -> tables, significance, plot, README blocks
    scale/       encoding and search fanned out (local worker processes, Ray)

The top-level modules are the commands (``python -m splade_beir.evaluate``, ``.ensemble``, ``.tables``,
``.cache``, ``.significance``) and the plumbing they share. Heavy libraries are imported lazily:
``import splade_beir`` costs almost nothing, and each name below is loaded on first use.

>>> import splade_beir
>>> splade_beir.Run.__name__
'Run'
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

# public name -> module that defines it (PEP 562: imported on first access)
_EXPORTS = {
    "SpladeEncoder": "splade_beir.encode.encoder",
    "CorpusCache": "splade_beir.encode.cache",
    "load_dataset": "splade_beir.data.loader",
    "Dataset": "splade_beir.data.loader",
    "Qrels": "splade_beir.data.qrels",
    "Run": "splade_beir.search.run",
    "ExactSparseSearch": "splade_beir.search.beir",
    "make_retriever": "splade_beir.retrievers.registry",
    "SpladeRetriever": "splade_beir.retrievers.splade",
    "Measure": "splade_beir.evaluation.measures",
    "Result": "splade_beir.evaluation.result",
    "ResultStore": "splade_beir.evaluation.store",
    "evaluate": "splade_beir.evaluation.api",
    "evaluate_config": "splade_beir.evaluation.api",
    "load_config": "splade_beir.config",
    "UserError": "splade_beir.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'splade_beir' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
