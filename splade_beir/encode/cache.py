"""The corpus cache: encoded corpora on disk, chunk by chunk, each chunk verified on every read.

One entry per (document encoder, corpus): a folder named by the digest of everything that decides the
vectors (model weights and tokenizer, pooling, max length, dtype, the exact ids and texts)::

    <root>/<key>/meta.json                the fingerprint, the chunking, what the entry is (model, dataset)
    <root>/<key>/chunk-000000.npz         rows 0 .. chunk_size-1 as a scipy CSR file (no pickle)
    <root>/<key>/chunk-000000.json        its record: rows, columns, nnz, and a digest of its bytes,
                                          its slot and its entry

A chunk is saved the moment it is encoded (file, then record, each written and renamed), so a run
killed at any moment loses at most the chunk in progress. Reading a chunk checks it against its record
and its content against the vocabulary (indices in range, weights finite and positive): a chunk that
was truncated, edited, or copied from another slot or entry is never used (see :meth:`CacheEntry.assemble`).
The document matrix is assembled in place: arrays allocated once, filled chunk by chunk, so the peak
is the matrix plus one chunk. This module is the only one that knows the layout.

>>> import tempfile
>>> cache = CorpusCache(tempfile.mkdtemp())
>>> entry = cache.entry({"weights": "w", "corpus": "c", "vocab_size": 3}, n_texts=3, chunk_size=2)
>>> entry.n_chunks, entry.rows(1), entry.missing()
(2, (2, 3), [0, 1])
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import scipy.sparse as sp

from ..atomic import atomic_open, atomic_write_text, remove_stale_temps
from ..errors import UserError, check_positive_int
from .csr import check_csr

logger = logging.getLogger(__name__)

DEFAULT_CHUNK = 10_000
SCHEMA = 2


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/splade_beir``, else ``~/.cache/splade_beir`` (the platform convention)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "splade_beir"


def cache_key(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:32]


def make_cache(cache_dir: str | Path | bool | None = True, chunk_size: int | None = None) -> "CorpusCache | None":
    """``True``: the default cache folder; a path: that folder; ``False`` / ``None``: no cache."""
    if cache_dir is None or cache_dir is False:
        return None
    return CorpusCache(None if cache_dir is True else cache_dir, chunk_size)


class InvalidChunk(Exception):
    """A chunk file that does not match its record or its slot (the message names the file)."""


class CorpusCache:
    """A folder of encoded corpora. ``chunk_size=None``: an existing entry's own, else 10,000."""

    def __init__(self, root: str | Path | None = None, chunk_size: int | None = None):
        if chunk_size is not None:
            check_positive_int(chunk_size, "cache chunk size")
        self.root = Path(root) if root is not None else default_cache_dir()
        self.chunk_size = chunk_size

    def find(self, key: str) -> "CacheEntry | None":
        """The entry named ``key`` (a result's ``vectors``), if this cache holds it."""
        meta = read_meta(self.root / key) if key and "/" not in key and key not in (".", "..") else None
        if meta is None or meta.get("key") != key:
            return None
        return CacheEntry(str(self.root), key, meta["fingerprint"], meta["n_texts"], meta["chunk_size"])

    def entry(self, fingerprint: dict, n_texts: int, about: dict | None = None,
              chunk_size: int | None = None) -> "CacheEntry":
        """The entry of ``fingerprint`` (created if new). ``about`` (model, dataset...) describes it."""
        key = cache_key({**fingerprint, "n_texts": n_texts})
        folder = self.root / key
        meta = read_meta(folder)
        wanted = chunk_size or self.chunk_size
        if meta is not None:
            if wanted is not None and wanted != meta["chunk_size"]:
                raise UserError(f"{folder}: this corpus is cached in chunks of {meta['chunk_size']} documents, not "
                                f"{wanted}; drop --cache-chunk-size (or use {meta['chunk_size']}), or remove the entry")
            return CacheEntry(str(self.root), key, fingerprint, n_texts, meta["chunk_size"])
        entry = CacheEntry(str(self.root), key, fingerprint, n_texts, wanted or DEFAULT_CHUNK)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if read_meta(folder) is None:
                atomic_write_text(folder / "meta.json", json.dumps(
                    {"schema": SCHEMA, "key": key, "fingerprint": fingerprint, "n_texts": n_texts,
                     "chunk_size": entry.chunk_size, "about": about or {}}, indent=1, sort_keys=True))
        except OSError as exc:
            raise UserError(f"cannot write the corpus cache at {folder}: {exc.strerror or exc}") from None
        return entry

    def entries(self) -> list[tuple[Path, dict]]:
        """``(folder, meta)`` of every entry."""
        if not self.root.is_dir():
            return []
        found = [(p.parent, read_meta(p.parent)) for p in sorted(self.root.glob("*/meta.json"))]
        return [(folder, meta) for folder, meta in found if meta is not None]

    def clear(self) -> int:
        """Remove every cached corpus; returns how many there were."""
        entries = self.entries()
        for folder, _ in entries:
            shutil.rmtree(folder)
        return len(entries)


def read_meta(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("schema") == SCHEMA else None


@dataclass(frozen=True)
class CacheEntry:
    """One encoded corpus in the cache (small and picklable: worker processes write chunks through it)."""

    root: str
    key: str
    fingerprint: dict
    n_texts: int
    chunk_size: int

    @property
    def folder(self) -> Path:
        return Path(self.root) / self.key

    @property
    def n_chunks(self) -> int:
        return -(-self.n_texts // self.chunk_size)

    @property
    def n_columns(self) -> int:
        return int(self.fingerprint.get("vocab_size", 0))

    def rows(self, chunk: int) -> tuple[int, int]:
        """Corpus rows ``[start, stop)`` of ``chunk``."""
        return chunk * self.chunk_size, min((chunk + 1) * self.chunk_size, self.n_texts)

    def write_vocabulary(self, tokens: list[str]) -> None:
        """Keep the token string of every column (for explanations and exports that have no model)."""
        if len(tokens) != self.n_columns:
            raise RuntimeError(f"{len(tokens)} tokens for {self.n_columns} columns")
        path = self.folder / "vocabulary.json"
        if self.vocabulary() != tokens:
            atomic_write_text(path, json.dumps(tokens, ensure_ascii=False))

    def vocabulary(self) -> list[str] | None:
        """The token strings of the columns, when they were kept."""
        try:
            tokens = json.loads((self.folder / "vocabulary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        ok = isinstance(tokens, list) and len(tokens) == self.n_columns and all(isinstance(t, str) for t in tokens)
        return tokens if ok else None

    def chunk_path(self, chunk: int) -> Path:
        return self.folder / f"chunk-{chunk:06d}.npz"

    def missing(self, chunks: Iterable[int] | None = None) -> list[int]:
        """The chunks (of ``chunks``, default all) with no file or no matching record."""
        chunks = range(self.n_chunks) if chunks is None else chunks
        return [c for c in chunks if not self.chunk_path(c).is_file() or self._record(c) is None]

    def write(self, chunk: int, matrix: sp.csr_matrix) -> None:
        """Save ``chunk`` (checked first: a malformed matrix is a bug upstream and is never saved)."""
        matrix = sp.csr_matrix(matrix, dtype=np.float32)
        start, stop = self.rows(chunk)
        problem = check_csr(matrix, stop - start, self.n_columns)
        if problem:
            raise RuntimeError(f"refusing to cache chunk {chunk} of {self.folder}: {problem}")
        buffer = io.BytesIO()
        sp.save_npz(buffer, matrix, compressed=False)
        data = buffer.getvalue()
        record = {"schema": SCHEMA, "entry": self.key, "chunk": chunk, "rows": stop - start,
                  "columns": matrix.shape[1], "nnz": int(matrix.nnz), "sha256": self._digest(chunk, data)}
        path = self.chunk_path(chunk)
        remove_stale_temps(self.folder)
        with atomic_open(path, "wb") as f:
            f.write(data)
        atomic_write_text(path.with_suffix(".json"), json.dumps(record, sort_keys=True))

    def read(self, chunk: int) -> sp.csr_matrix:
        """The verified matrix of ``chunk``; :class:`InvalidChunk` when it fails any check."""
        path, record = self.chunk_path(chunk), self._record(chunk)
        if record is None:
            raise InvalidChunk(f"{path}: no matching record {path.with_suffix('.json').name}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidChunk(f"{path}: unreadable ({exc.strerror or exc})") from None
        if self._digest(chunk, data) != record["sha256"]:
            raise InvalidChunk(f"{path}: its bytes do not match its record (changed, truncated, or copied "
                               "from another chunk or cache entry)")
        try:
            matrix = sp.load_npz(io.BytesIO(data)).tocsr()  # np.load with allow_pickle=False
        except Exception as exc:  # noqa: BLE001  (zipfile and numpy raise many kinds on bad bytes)
            raise InvalidChunk(f"{path}: not a readable CSR file ({type(exc).__name__})") from None
        problem = check_csr(matrix, record["rows"], self.n_columns) or (
            matrix.nnz != record["nnz"] and f"{matrix.nnz} non-zeros where its record says {record['nnz']}")
        if problem:
            raise InvalidChunk(f"{path}: {problem}")
        return matrix

    def remove(self, chunk: int) -> None:
        for path in (self.chunk_path(chunk), self.chunk_path(chunk).with_suffix(".json")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def assemble(self, repair: Callable[[list[int]], None] | None = None) -> sp.csr_matrix:
        """The corpus matrix, filled in place from the chunks (peak: the matrix plus one chunk).

        A chunk that fails verification is removed with a warning naming its file and handed to
        ``repair`` (which encodes it again), then assembly starts over; without ``repair`` it is a
        one-line error. Every chunk must be present (see :meth:`missing`).
        """
        missing = self.missing()
        if missing:
            start, _ = self.rows(missing[0])
            raise UserError(f"{self.folder}: {len(missing)} of {self.n_chunks} chunks are not encoded yet (the "
                            f"first holds rows from {start}); encode them first")
        records = [self._record(c) for c in range(self.n_chunks)]
        total = sum(r["nnz"] for r in records)
        index_dtype = np.int32 if max(total, self.n_columns, self.n_texts) < 2**31 else np.int64
        data = np.empty(total, dtype=np.float32)
        indices = np.empty(total, dtype=index_dtype)
        indptr = np.zeros(self.n_texts + 1, dtype=index_dtype)
        bad, v = [], 0
        for chunk, record in enumerate(records):
            start, stop = self.rows(chunk)
            try:
                part = self.read(chunk)
            except InvalidChunk as exc:
                logger.warning("warning: %s; it is encoded again", exc)
                bad.append(chunk)
                continue
            data[v:v + part.nnz], indices[v:v + part.nnz] = part.data, part.indices
            indptr[start + 1:stop + 1] = part.indptr[1:] + v
            v += part.nnz
        if bad:
            del data, indices, indptr
            for chunk in bad:
                self.remove(chunk)
            if repair is None:
                raise UserError(f"{self.chunk_path(bad[0])}: invalid cache chunk removed; run again to encode it")
            repair(bad)
            return self.assemble(repair=None)
        return sp.csr_matrix((data, indices, indptr), shape=(self.n_texts, self.n_columns), copy=False)

    def _record(self, chunk: int) -> dict | None:
        try:
            record = json.loads(self.chunk_path(chunk).with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        start, stop = self.rows(chunk)
        ok = (isinstance(record, dict) and record.get("schema") == SCHEMA and record.get("entry") == self.key
              and record.get("chunk") == chunk and record.get("rows") == stop - start
              and isinstance(record.get("nnz"), int) and record["nnz"] >= 0 and isinstance(record.get("sha256"), str))
        return record if ok else None

    def _digest(self, chunk: int, data: bytes) -> str:
        h = hashlib.sha256(f"{self.key}\x00{chunk}\x00".encode())
        h.update(data)
        return h.hexdigest()
