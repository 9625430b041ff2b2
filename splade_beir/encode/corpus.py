"""Encoding a corpus into a cache entry: the chunks it lacks, then the matrix assembled from them.

A *corpus encoder* fills chunks of a :class:`~splade_beir.encode.cache.CacheEntry`:
:class:`InProcess` here, :class:`~splade_beir.scale.local.LocalWorkers` and
:class:`~splade_beir.scale.ray_cluster.RayWorkers` elsewhere. Whichever runs, :func:`encode_corpus`
reads the result through the one assembly path of the cache, so every backend gives the same matrix.
"""

from __future__ import annotations

import logging
from typing import Callable, Protocol

import scipy.sparse as sp

from .cache import CacheEntry
from ..progress import progress_bar

logger = logging.getLogger(__name__)

TextSource = Callable[[int, int], list[str]]  # (start, stop) -> the texts of corpus rows [start, stop)


class CorpusEncoder(Protocol):
    def encode(self, entry: CacheEntry, chunks: list[int], texts: TextSource, show_progress: bool = True) -> None:
        """Encode ``chunks`` of ``entry`` (their rows' texts come from ``texts``) and write them into it."""


class InProcess:
    """Encode chunks in this process with a :class:`~splade_beir.encode.encoder.SpladeEncoder`."""

    def __init__(self, encoder, batch_size: int = 32):
        self.encoder = encoder
        self.batch_size = batch_size

    def encode(self, entry: CacheEntry, chunks: list[int], texts: TextSource, show_progress: bool = True) -> None:
        todo = sum(b - a for a, b in map(entry.rows, chunks))
        with progress_bar(entry.n_texts, "encoding documents", "doc", show_progress,
                          initial=entry.n_texts - todo) as bar:
            for chunk in chunks:
                start, stop = entry.rows(chunk)
                matrix = self.encoder.encode_texts(texts(start, stop), self.encoder.doc, self.batch_size,
                                                   progress=bar.update)
                entry.write(chunk, matrix)


def encode_corpus(entry: CacheEntry, corpus_encoder: CorpusEncoder, texts: TextSource,
                  show_progress: bool = True) -> sp.csr_matrix:
    """The corpus matrix of ``entry``: its missing chunks encoded by ``corpus_encoder``, then assembled
    (a chunk that fails verification is encoded again)."""
    todo = entry.missing()
    if not todo:
        logger.info("corpus cache hit: %s (%d documents, nothing to encode)", entry.folder, entry.n_texts)
    elif len(todo) < entry.n_chunks:
        logger.info("corpus cache %s: %d of %d chunks already encoded, resuming", entry.folder,
                    entry.n_chunks - len(todo), entry.n_chunks)
    if todo:
        corpus_encoder.encode(entry, todo, texts, show_progress)
    return entry.assemble(repair=lambda bad: corpus_encoder.encode(entry, bad, texts, show_progress))
