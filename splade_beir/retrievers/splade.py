"""SPLADE retrieval: the encoder, the corpus cache, a corpus encoder and a searcher, passed in.

>>> from splade_beir.data.loader import load_dataset
>>> retriever = build("splade-tiny", show_progress=False)          # needs the [demo] extra
>>> retrieval = retriever.retrieve(load_dataset("demo"), top_k=10)
>>> len(retrieval.run) > 0 and retrieval.stats["flops"] > 0
True
"""

from __future__ import annotations

import contextlib
import tempfile
from typing import Iterator

import scipy.sparse as sp

from ..data.loader import Dataset
from ..data.corpus import digest_texts
from ..encode.cache import CacheEntry, CorpusCache
from ..encode.corpus import CorpusEncoder, InProcess, encode_corpus
from ..encode.encoder import SpladeEncoder
from ..evaluation.cost import costs
from ..search.topk import ExactSearch
from .base import Retriever


class SpladeRetriever(Retriever):
    """Encode with a :class:`~splade_beir.encode.encoder.SpladeEncoder`, search exactly, report FLOPS.

    Args:
        encoder: the query and document towers.
        cache: where encoded corpora are kept (``None``: a temporary one, removed after each corpus).
            A killed run resumes from the chunks already cached; a second run encodes nothing.
        corpus_encoder: what encodes missing chunks: :class:`~splade_beir.encode.corpus.InProcess`
            (default), :class:`~splade_beir.scale.local.LocalWorkers` or
            :class:`~splade_beir.scale.ray_cluster.RayWorkers`.
        searcher: exact top-k: :class:`~splade_beir.search.topk.ExactSearch` (default) or
            :class:`~splade_beir.scale.ray_cluster.RaySearch`.
    """

    kind = "splade"

    def __init__(self, encoder: SpladeEncoder, cache: CorpusCache | None = None,
                 corpus_encoder: CorpusEncoder | None = None, searcher=None, batch_size: int = 32,
                 show_progress: bool = True):
        self.encoder = encoder
        self.cache = cache
        self.corpus_encoder = corpus_encoder or InProcess(encoder, batch_size)
        self.searcher = searcher or ExactSearch(show_progress=show_progress)
        self.batch_size = batch_size
        self.show_progress = show_progress
        self.config = {"kind": self.kind, **encoder.config, "batch_size": batch_size}

    @contextlib.contextmanager
    def corpus_entry(self, dataset: Dataset) -> Iterator[CacheEntry]:
        """The cache entry of ``dataset``'s corpus under this encoder (in a temporary cache without one)."""
        fingerprint = {**self.encoder.fingerprint("doc"), "corpus": dataset.corpus.digest()}
        if self.cache is not None:
            yield self._entry(self.cache, fingerprint, len(dataset.corpus), dataset.name)
            return
        with tempfile.TemporaryDirectory(prefix="splade_beir-") as folder:
            yield self._entry(CorpusCache(folder), fingerprint, len(dataset.corpus), dataset.name)

    def _entry(self, cache: CorpusCache, fingerprint: dict, n: int, dataset: str, **options) -> CacheEntry:
        about = {"model": self.encoder.config["model"], "dataset": dataset, "tower": "query" if "queries" in
                 fingerprint else "doc",
                 "options": {k: v for k, v in self.encoder.config.items() if k not in ("model", "device")}}
        entry = cache.entry(fingerprint, n, about, **options)
        entry.write_vocabulary(self.encoder.vocabulary())
        return entry

    def index_corpus(self, dataset: Dataset) -> sp.csr_matrix:
        self._dataset_name = dataset.name
        with self.corpus_entry(dataset) as entry:
            self._keys = {"corpus": entry.key} if self.cache is not None else {}
            return encode_corpus(entry, self.corpus_encoder, dataset.texts, self.show_progress)

    def queries_entry(self, texts: list[str], dataset: str = "") -> CacheEntry:
        """The cache entry (one chunk) that keeps the vectors of these query texts under this encoder."""
        fingerprint = {**self.encoder.fingerprint("query"),
                       "queries": digest_texts(map(str, range(len(texts))), texts)}
        return self._entry(self.cache, fingerprint, len(texts), dataset, chunk_size=max(1, len(texts)))

    def encode_queries(self, texts: list[str]) -> sp.csr_matrix:
        """The query vectors; kept in the cache (one chunk) when there is one, for explanations and exports."""
        if self.cache is None:
            return self.encoder.encode_queries(texts, batch_size=self.batch_size)
        entry = self.queries_entry(texts, getattr(self, "_dataset_name", ""))
        self._keys = {**getattr(self, "_keys", {}), "queries": entry.key}
        if entry.missing():
            entry.write(0, self.encoder.encode_queries(texts, batch_size=self.batch_size))
        return entry.assemble()

    def vectors(self) -> dict:
        return dict(getattr(self, "_keys", {}))

    def weights_digest(self) -> str:
        return self.encoder.fingerprint("doc")["weights"] + self.encoder.fingerprint("query")["weights"]

    def topk(self, queries: sp.csr_matrix, corpus: sp.csr_matrix, k: int):
        return self.searcher.topk(queries, corpus, k)

    def stats(self, queries: sp.csr_matrix, corpus: sp.csr_matrix) -> dict:
        return costs(queries, corpus)


def build(model: str, show_progress: bool = True, cache: CorpusCache | None = None, threads: int | None = None,
          batch_size: int = 32, workers: int | None = None, backend: str | None = None,
          ray_address: str | None = None, **encoder_options) -> SpladeRetriever:
    """A :class:`SpladeRetriever` for ``model``; ``workers`` / ``backend`` / ``ray_address`` choose the
    corpus encoder and searcher (see :func:`splade_beir.scale.backends.scale_out`). ``threads`` (default: the
    free cores, :mod:`splade_beir.threads`) is the encoder's torch threads and the search's threads."""
    encoder = SpladeEncoder(model, show_progress=show_progress, threads=threads, **encoder_options)
    corpus_encoder, searcher = InProcess(encoder, batch_size), ExactSearch(encoder.threads, show_progress)
    if workers is not None or backend or ray_address:
        from ..scale.backends import scale_out

        corpus_encoder, searcher = scale_out(encoder, batch_size, backend, workers, ray_address,
                                             trust_remote_code=bool(encoder_options.get("trust_remote_code")),
                                             searcher=searcher, device=encoder_options.get("device"))
    return SpladeRetriever(encoder, cache, corpus_encoder, searcher, batch_size, show_progress)
