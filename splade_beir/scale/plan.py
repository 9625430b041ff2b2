"""The plan of a sharded corpus: which rows each shard holds, and what a worker needs to encode them.

A shard is a run of whole cache chunks, so the files that shards write, in other processes or on other
machines, are the very chunks a single process would write, and a run that finds them all encodes
nothing (see :mod:`splade_beir.encode.cache`).

>>> shard_range(10, 0, 3, chunk_size=2), shard_range(10, 1, 3, chunk_size=2), shard_range(10, 2, 3, chunk_size=2)
((0, 2), (2, 6), (6, 10))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import scipy.sparse as sp

from ..errors import UserError, check_positive_int

# What a fingerprint field means, for the message that refuses a worker (first difference wins).
FIELD_NAMES = {"weights": "model weights or tokenizer", "pooling": "pooling", "doc_max_length": "document max length",
               "dtype": "dtype", "vocab_size": "vocabulary size", "corpus": "corpus (ids or texts)",
               "n_texts": "number of documents"}


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> ``(I, N)``; shards are numbered from 0 to N-1.

    >>> parse_shard("1/4")
    (1, 4)
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match:
        raise UserError(f"--shard must look like I/N (for example 0/4), got {text!r}")
    i, n = int(match[1]), int(match[2])
    if n < 1 or i >= n:
        raise UserError(f"--shard {text}: shards are numbered 0 to N-1, and N must be at least 1")
    return i, n


def check_workers(workers) -> None:
    """``--workers``: None (the default) or a positive integer."""
    if workers is not None:
        check_positive_int(workers, "--workers")


def n_chunks(n_texts: int, chunk_size: int) -> int:
    """How many cache chunks ``n_texts`` rows make (the last one may be short)."""
    return -(-n_texts // chunk_size)


def shard_range(n: int, i: int, n_shards: int, chunk_size: int = 1) -> tuple[int, int]:
    """Rows ``[start, stop)`` of shard ``i`` of ``n_shards`` over ``n`` rows.

    Shards are made of whole chunks of ``chunk_size`` rows, dealt as evenly as possible (the first
    ``n_chunks % n_shards`` shards get one chunk less); a shard can be empty when there are more
    shards than chunks. The same arguments always give the same rows.

    >>> [shard_range(10, i, 3) for i in range(3)]
    [(0, 3), (3, 6), (6, 10)]
    """
    if not 0 <= i < n_shards:
        raise ValueError(f"shard {i} of {n_shards} does not exist")
    chunks = n_chunks(n, chunk_size)
    first, last = i * chunks // n_shards, (i + 1) * chunks // n_shards
    return min(first * chunk_size, n), min(last * chunk_size, n)


def shard_chunks(n: int, i: int, n_shards: int, chunk_size: int) -> range:
    """The cache chunk numbers of shard ``i`` (see :func:`shard_range`)."""
    start, stop = shard_range(n, i, n_shards, chunk_size)
    return range(start // chunk_size, n_chunks(stop, chunk_size))


def fingerprint_difference(theirs: dict, ours: dict) -> str | None:
    """Which setting two fingerprints disagree on, in words (``None`` when they agree).

    >>> fingerprint_difference({"dtype": "bfloat16", "pooling": "max"}, {"dtype": "float32", "pooling": "max"})
    "dtype ('bfloat16' where 'float32' is expected)"
    """
    keys = [*FIELD_NAMES, *sorted(set(theirs) | set(ours))]
    for key in dict.fromkeys(keys):
        if theirs.get(key) != ours.get(key):
            a, b = theirs.get(key), ours.get(key)
            if isinstance(a, str) and isinstance(b, str) and len(a) > 16:
                a, b = a[:12] + "...", b[:12] + "..."
            return f"{FIELD_NAMES.get(key, key)} ({a!r} where {b!r} is expected)"
    return None


@dataclass(frozen=True)
class EncoderSpec:
    """How another process rebuilds a retriever's document encoder (small and picklable)."""

    model: str
    pooling: str = "max"
    doc_max_length: int | None = None  # None: 256, or the model's limit when smaller
    dtype: str = "float32"
    batch_size: int = 32
    trust_remote_code: bool = False

    @classmethod
    def of(cls, encoder, batch_size: int = 32, trust_remote_code: bool = False) -> "EncoderSpec":
        """The spec of a :class:`~splade_beir.encode.encoder.SpladeEncoder` (its resolved dtype included,
        so that a GPU worker under a CPU driver still produces the fingerprint the driver expects)."""
        model = encoder.config["model"]
        if Path(model).exists():  # a local folder: absolute, for workers that start elsewhere
            model = str(Path(model).resolve())
        return cls(model, encoder.pooling, encoder.doc.max_length, encoder.dtype_name, batch_size, trust_remote_code)

    def load(self, device: str | None = None):
        """The document encoder, on ``device`` (default: cuda when present)."""
        from ..encode.encoder import SpladeEncoder

        return SpladeEncoder(self.model, pooling=self.pooling, doc_max_length=self.doc_max_length,
                             dtype=self.dtype, device=device, show_progress=False,
                             trust_remote_code=self.trust_remote_code)

    def encode(self, encoder, texts: list[str], progress=None) -> sp.csr_matrix:
        """One chunk, exactly as :class:`~splade_beir.encode.corpus.InProcess` encodes it."""
        return encoder.encode_texts(texts, encoder.doc, self.batch_size, progress=progress)

    def check(self, fingerprint: dict, expected: dict, where: str) -> None:
        """Refuse (one line) a worker's encoder ``fingerprint`` that is not ``expected`` (the cache entry's,
        without its corpus): it loaded other weights or settings than the driver."""
        difference = fingerprint_difference(fingerprint, {k: v for k, v in expected.items() if k != "corpus"})
        if difference:
            raise UserError(f"{where}: the worker's encoder does not match this run: its {difference}")
