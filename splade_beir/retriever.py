"""A retriever turns a loaded dataset into a Run plus its cost statistics.

Every model kind (SPLADE here; baselines elsewhere) implements ``retrieve`` so that the rest of the
pipeline (metrics, results JSON, run files, tables, ensembles) never special-cases a kind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from .cache import CorpusCache, digest_texts
from .datasets import Dataset, document_text
from .errors import UserError
from .metrics import flops, mean_nnz
from .run import Run
from .search import ExactSparseSearch


@dataclass
class Retrieval:
    run: Run
    stats: dict = field(default_factory=dict)    # flops, nnz_query, nnz_doc (None where n/a)
    timings: dict = field(default_factory=dict)  # seconds per stage


class Retriever(Protocol):
    kind: str
    config: dict

    def retrieve(self, dataset: Dataset, top_k: int) -> Retrieval: ...


class SpladeRetriever:
    """Encode with a :class:`~splade_beir.encoder.SpladeEncoder`, search exactly, report FLOPS.

    With a :class:`~splade_beir.cache.CorpusCache`, the document matrix is encoded chunk by chunk into the
    cache (resumable after a kill) and a second evaluation of the same corpus encodes nothing.
    """

    kind = "splade"

    def __init__(self, encoder, batch_size: int = 32, show_progress: bool = True, cache: CorpusCache | None = None):
        self.encoder = encoder
        self.batch_size = batch_size
        self.show_progress = show_progress
        self.cache = cache
        self.search = ExactSparseSearch(encoder, batch_size=batch_size, show_progress=show_progress)
        self.config = {"kind": self.kind, **encoder.config, "batch_size": batch_size}

    def encode_corpus(self, doc_ids: list[str], texts: list[str]):
        encode = self.encoder.encode_texts
        if self.cache is None:
            return encode(texts, self.encoder.doc, self.batch_size, desc="documents")
        fingerprint = {**self.encoder.fingerprint(), "corpus": digest_texts(doc_ids, texts)}
        return self.cache.encode(fingerprint, len(texts), show_progress=self.show_progress,
                                 encode_rows=lambda a, b: encode(texts[a:b], self.encoder.doc, self.batch_size,
                                                                 progress=False))

    def retrieve(self, dataset: Dataset, top_k: int) -> Retrieval:
        doc_ids, query_ids = list(dataset.corpus), list(dataset.queries)
        t0 = time.perf_counter()
        D = self.encode_corpus(doc_ids, [document_text(dataset.corpus[d]) for d in doc_ids])
        t1 = time.perf_counter()
        Q = self.encoder.encode_queries([dataset.queries[q] for q in query_ids], batch_size=self.batch_size)
        t2 = time.perf_counter()
        run = self.search.search_matrices(Q, D, query_ids, doc_ids, top_k)
        t3 = time.perf_counter()
        stats = {"flops": flops(Q, D), "nnz_query": mean_nnz(Q), "nnz_doc": mean_nnz(D)}
        timings = {"encode_corpus_s": t1 - t0, "encode_queries_s": t2 - t1, "search_s": t3 - t2}
        return Retrieval(run, stats, timings)


KINDS = ("splade", "bm25", "dense")
# The options each kind takes. The CLI passes every SPLADE option to every kind: those that do not
# apply to a kind are dropped (BM25 takes none of them; dense keeps lengths, batch size, device,
# dtype and trust_remote_code). An option no kind knows is an error, so a typo never goes unnoticed.
SPLADE_OPTIONS = frozenset({"query_model", "pooling", "query_max_length", "doc_max_length", "device", "dtype",
                            "batch_size", "trust_remote_code"})
KIND_OPTIONS = {
    "splade": SPLADE_OPTIONS,
    "bm25": frozenset({"k1", "b", "method", "stemmer", "stopwords"}),
    "dense": frozenset({"score_function", "query_max_length", "doc_max_length", "batch_size", "device", "dtype",
                        "trust_remote_code"}),
}


def make_retriever(kind: str | None, model: str | None = None, show_progress: bool = True,
                   **options) -> Retriever:
    """Build the retriever of a model kind from a checkpoint name and kind-specific options.

    ``kind=None`` infers it from the name (``bm25``, ``all-MiniLM-L6-v2`` -> dense, else splade);
    ``model=None`` runs the kind's default model. Options set to ``None`` keep their defaults.

    >>> make_retriever("bm25", pooling="max", k3=1.2)   # pooling is dropped for BM25; k3 is nobody's
    Traceback (most recent call last):
    splade_beir.errors.UserError: option 'k3' does not apply to a bm25 model; it takes: b, k1, method, stemmer, stopwords
    """
    from .baselines import default_model, infer_kind

    kind = infer_kind(model, kind)
    if kind not in KIND_OPTIONS:
        raise UserError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
    model = model or default_model(kind)
    accepted = KIND_OPTIONS[kind]
    unknown = sorted(k for k in options if k not in accepted and k not in SPLADE_OPTIONS)
    if unknown:
        raise UserError(f"option {unknown[0]!r} does not apply to a {kind} model; "
                        f"it takes: {', '.join(sorted(accepted))}")
    if kind != "splade" and options.get("query_model"):
        raise UserError(f"a separate query model applies to SPLADE only, not to a {kind} model")
    options = {k: v for k, v in options.items() if k in accepted and v is not None}
    if kind == "bm25":
        if model != "bm25":
            raise UserError(f"a bm25 model has no checkpoint: use --model bm25, not {model!r}")
        from .baselines.bm25 import BM25Retriever

        return BM25Retriever(show_progress=show_progress, **options)
    if kind == "dense":
        from .baselines.dense import DenseRetriever

        return DenseRetriever(model, show_progress=show_progress, **options)
    from .encoder import SpladeEncoder

    batch_size = options.pop("batch_size", 32)
    encoder = SpladeEncoder(model, show_progress=show_progress, **options)
    return SpladeRetriever(encoder, batch_size=batch_size, show_progress=show_progress)
