"""The model kinds: their options, default models, and the one factory that builds a retriever.

>>> infer_kind("bm25"), infer_kind("all-MiniLM-L6-v2"), infer_kind("naver/splade-v3")
('bm25', 'dense', 'splade')
>>> KINDS["bm25"].default_model, sorted(KINDS["bm25"].options)
('bm25', ['b', 'k1', 'method', 'stemmer', 'stopwords'])
>>> make_retriever("bm25", pooling="max", k3=1.2)   # pooling is dropped for BM25; k3 is nobody's
Traceback (most recent call last):
splade_beir.errors.UserError: option 'k3' does not apply to a bm25 model; it takes: b, k1, method, stemmer, stopwords
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..errors import UserError

# Options every kind that runs a neural encoder understands; the CLI passes them to whatever kind runs.
ENCODER_OPTIONS = frozenset({"query_max_length", "doc_max_length", "device", "dtype", "batch_size",
                             "trust_remote_code"})
# Options that choose how a SPLADE corpus is encoded and searched (components, not model settings).
SCALE_OPTIONS = frozenset({"workers", "backend", "ray_address"})


@dataclass(frozen=True)
class Kind:
    """A model kind: the module whose ``build(model, show_progress, **options)`` makes its retriever."""

    name: str
    default_model: str
    options: frozenset
    module: str
    description: str


KINDS = {kind.name: kind for kind in (
    Kind("splade", "splade-tiny", ENCODER_OPTIONS | {"query_model", "pooling"}, "splade_beir.retrievers.splade",
         "SPLADE: sparse vocabulary vectors, exact dot-product search"),
    Kind("bm25", "bm25", frozenset({"k1", "b", "method", "stemmer", "stopwords"}), "splade_beir.retrievers.bm25",
         "BM25 through bm25s (the [bm25] extra)"),
    Kind("dense", "all-MiniLM-L6-v2", ENCODER_OPTIONS | {"score_function"}, "splade_beir.retrievers.dense",
         "a sentence-transformers bi-encoder, exact search (the [dense] extra)"),
    Kind("run", "", frozenset(), "splade_beir.retrievers.external",
         "a TREC run file per dataset, made by any system (runs/{dataset}.trec.gz), read instead of searched"),
    Kind("vectors", "vectors", frozenset({"corpus", "queries"}), "splade_beir.retrievers.vectors",
         "pre-encoded sparse vectors (JsonVectorCollection files, an export), exact search; no model"),
)}
# Model names that choose their kind by themselves (``--model bm25`` needs no ``--kind bm25``).
KIND_OF_NAME = {"bm25": "bm25", "all-MiniLM-L6-v2": "dense"}
# What the CLI passes to every kind (SPLADE's options): dropped where they do not apply.
PASSED_TO_ALL = KINDS["splade"].options | SCALE_OPTIONS


def infer_kind(model: str | None, kind: str | None = None) -> str:
    """The model kind: ``kind`` when given, else the kind a short name implies, else ``splade``."""
    return kind or KIND_OF_NAME.get(model or "", "splade")


def default_model(kind: str | None) -> str:
    """The model run for ``kind`` when no model is named (the ``run`` kind has none: its file is named)."""
    return KINDS[kind or "splade"].default_model if (kind or "splade") in KINDS else KINDS["splade"].default_model


def kind_options(kind: str, options: dict) -> dict:
    """The options ``kind`` takes, from options meant for any kind (``None`` values dropped).

    An option that is neither the kind's nor one of SPLADE's is an error; a SPLADE option another kind
    lacks is dropped (the CLI passes them to every kind), except a separate query model.
    """
    accepted = KINDS[kind].options
    unknown = sorted(k for k in options if k not in accepted and k not in PASSED_TO_ALL)
    if unknown:
        raise UserError(f"option {unknown[0]!r} does not apply to a {kind} model; "
                        f"it takes: {', '.join(sorted(accepted))}")
    if kind != "splade" and options.get("query_model"):
        raise UserError(f"a separate query model applies to SPLADE only, not to a {kind} model")
    if kind != "splade" and any(options.get(k) for k in SCALE_OPTIONS):
        raise UserError(f"--workers and --backend apply to SPLADE models, not to a {kind} model")
    return {k: v for k, v in options.items() if (k in accepted or (kind == "splade" and k in SCALE_OPTIONS))
            and v is not None}


def make_retriever(kind: str | None, model: str | None = None, show_progress: bool = True, **options):
    """Build the retriever of a model kind from a checkpoint name and options.

    ``kind=None`` infers it from the name (``bm25``, ``all-MiniLM-L6-v2`` -> dense, else splade);
    ``model=None`` runs the kind's default model. Options set to ``None`` keep their defaults. SPLADE
    also takes its components: ``cache`` (a :class:`~splade_beir.encode.cache.CorpusCache`), ``threads``,
    and the scale-out choice (``workers``, ``backend``, ``ray_address``).
    """
    kind = infer_kind(model, kind)
    if kind not in KINDS:
        raise UserError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
    components = {k: options.pop(k) for k in ("cache", "threads") if k in options}
    if kind != "splade":
        components.pop("cache", None)  # only SPLADE corpora are cached
    options = kind_options(kind, options)
    build = importlib.import_module(KINDS[kind].module).build
    return build(model or KINDS[kind].default_model, show_progress=show_progress, **components, **options)
