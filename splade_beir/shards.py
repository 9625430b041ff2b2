"""Sharding: a corpus split into contiguous, deterministic slices that are encoded apart and merged exactly.

A shard is a run of whole cache chunks (:func:`shard_range`), so encoding a shard writes the very
files the single-process corpus cache (:class:`~splade_beir.cache.CorpusCache`) writes and reads: when
every shard is done, an ordinary run finds the whole corpus in the cache and encodes nothing. Each
finished shard also leaves a small manifest (``shard-00000-of-00004.json``) beside its chunks naming
the fingerprint it was encoded with (model weights and tokenizer, pooling, length, dtype, corpus);
:func:`merge_shards` refuses a shard whose fingerprint differs from the one expected.

Search over a sharded corpus: each shard's top-k (document indices offset to corpus rows) and
:func:`merge_topk` give exactly the top-k of the whole matrix, with the same tie rule as
:func:`~splade_beir.search.topk` (score descending, then corpus index ascending).

>>> shard_range(10, 0, 3, chunk_size=2), shard_range(10, 1, 3, chunk_size=2), shard_range(10, 2, 3, chunk_size=2)
((0, 2), (2, 6), (6, 10))
>>> import numpy as np
>>> a = (np.array([[1, 0]]), np.array([[2.0, 1.0]], dtype=np.float32))   # shard of rows 0..2
>>> b = (np.array([[3, 4]]), np.array([[2.0, 1.0]], dtype=np.float32))   # shard of rows 3..4
>>> idx, scores = merge_topk([a, b], k=3)
>>> idx.tolist(), scores.tolist()
([[1, 3, 0]], [[2.0, 2.0, 1.0]])
"""

from __future__ import annotations

import json
import logging
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from .atomic import atomic_write_text
from .cache import CorpusCache, _load, _save, cache_key, digest_texts
from .errors import UserError

logger = logging.getLogger(__name__)

MANIFEST_SCHEMA = 1
# What a fingerprint field means, for the message that refuses a shard (first difference wins).
FIELD_NAMES = {"weights": "model weights or tokenizer", "pooling": "pooling", "doc_max_length": "document max length",
               "dtype": "dtype", "vocab_size": "vocabulary size", "corpus": "corpus (ids or texts)",
               "n_texts": "number of documents", "chunk_size": "cache chunk size"}


# --- the plan: which rows a shard holds ------------------------------------------------------------

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


# --- the cache layout (that of CorpusCache.encode, which reads what shards write) ----------------

def full_fingerprint(fingerprint: dict, n_texts: int, chunk_size: int) -> dict:
    """The fingerprint a cache entry is keyed by: the encoder's and the corpus's, plus the chunking."""
    return {**fingerprint, "n_texts": n_texts, "chunk_size": chunk_size}


def entry_folder(cache: CorpusCache, fingerprint: dict, n_texts: int) -> Path:
    """The cache folder that holds the chunks of ``fingerprint`` (see ``CorpusCache.encode``)."""
    return cache.root / cache_key(full_fingerprint(fingerprint, n_texts, cache.chunk_size))


def chunk_path(folder: Path, chunk: int) -> Path:
    return folder / f"chunk-{chunk:06d}.npz"


def manifest_path(folder: Path, i: int, n_shards: int) -> Path:
    return folder / f"shard-{i:05d}-of-{n_shards:05d}.json"


def missing_chunks(cache: CorpusCache, fingerprint: dict, n_texts: int,
                   chunks: Iterable[int] | None = None) -> list[int]:
    """The chunk numbers (of ``chunks``, default all) not yet in the cache."""
    folder = entry_folder(cache, fingerprint, n_texts)
    chunks = range(n_chunks(n_texts, cache.chunk_size)) if chunks is None else chunks
    return [c for c in chunks if not chunk_path(folder, c).is_file()]


def shards_done(cache: CorpusCache, fingerprint: dict, n_texts: int, n_shards: int) -> list[bool]:
    """For each shard of ``n_shards``: are all its chunks in the cache?"""
    missing = set(missing_chunks(cache, fingerprint, n_texts))
    return [not missing.intersection(shard_chunks(n_texts, i, n_shards, cache.chunk_size)) for i in range(n_shards)]


def encode_shard(cache: CorpusCache, fingerprint: dict, n_texts: int, i: int, n_shards: int,
                 encode_rows: Callable[[int, int], sp.csr_matrix],
                 on_chunk: Callable[[int], None] | None = None) -> Path:
    """Encode the chunks of shard ``i`` that are not cached yet, then write its manifest; returns it.

    ``encode_rows(start, end)`` encodes corpus rows ``[start, end)`` (one chunk), exactly as
    ``CorpusCache.encode`` would call it; ``on_chunk(rows)`` is told each chunk as it is done
    (cached ones included), for a progress bar.
    """
    full = full_fingerprint(fingerprint, n_texts, cache.chunk_size)
    folder = entry_folder(cache, fingerprint, n_texts)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot write the corpus cache at {folder}: {exc.strerror or exc}") from None
    if not (folder / "meta.json").is_file():
        atomic_write_text(folder / "meta.json", json.dumps(full, indent=1, sort_keys=True))
    start, stop = shard_range(n_texts, i, n_shards, cache.chunk_size)
    chunks = shard_chunks(n_texts, i, n_shards, cache.chunk_size)
    for c in chunks:
        a, b = c * cache.chunk_size, min((c + 1) * cache.chunk_size, n_texts)
        path = chunk_path(folder, c)
        if not path.is_file():
            matrix = encode_rows(a, b)
            if matrix.shape[0] != b - a:
                raise RuntimeError(f"encoding rows {a}-{b} gave {matrix.shape[0]} vectors")
            _save(path, sp.csr_matrix(matrix))
        if on_chunk:
            on_chunk(b - a)
    manifest = {"schema": MANIFEST_SCHEMA, "shard": i, "n_shards": n_shards, "start": start, "stop": stop,
                "chunks": [chunk_path(folder, c).name for c in chunks], "host": socket.gethostname(),
                "fingerprint": full}
    path = manifest_path(folder, i, n_shards)
    atomic_write_text(path, json.dumps(manifest, indent=1, sort_keys=True))
    return path


# --- merging: refuse what does not belong, assemble what does ------------------------------------

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


def read_manifest(path: str | Path) -> dict:
    path = Path(path)
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable shard manifest ({exc})") from None
    required = {"shard", "n_shards", "start", "stop", "chunks", "fingerprint"}
    if not isinstance(manifest, dict) or not required <= set(manifest):
        raise UserError(f"{path}: not a shard manifest (needs {', '.join(sorted(required))})")
    return manifest


def check_shard(manifest: dict, expected: dict, where: str | Path) -> None:
    """Refuse (one-line :class:`UserError`) a shard encoded with another fingerprint than ``expected``
    (the full one: see :func:`full_fingerprint`)."""
    difference = fingerprint_difference(manifest["fingerprint"], expected)
    if difference:
        raise UserError(f"{where}: shard {manifest['shard']}/{manifest['n_shards']} does not match this run: its "
                        f"{difference}; it cannot be merged: encode that shard again with the same model and options")


def merge_shards(cache: CorpusCache, fingerprint: dict, n_texts: int,
                 manifests: Iterable[str | Path] = ()) -> sp.csr_matrix:
    """The corpus matrix of ``fingerprint``, assembled from its cache chunks.

    Every manifest given (the shards a run just encoded, on whatever process or machine) must carry
    ``fingerprint``: one that does not is refused with a one-line :class:`UserError`, as is a corpus
    with rows in no cached chunk. The matrix is stacked from the chunk files a single-process run with
    the same cache reads (see :func:`assemble_chunks`), so it is the matrix that run reads.
    """
    expected = full_fingerprint(fingerprint, n_texts, cache.chunk_size)
    for path in manifests:
        check_shard(read_manifest(path), expected, path)
    missing = missing_chunks(cache, fingerprint, n_texts)
    if missing:
        c = missing[0]
        raise UserError(f"{entry_folder(cache, fingerprint, n_texts)}: rows {c * cache.chunk_size}-"
                        f"{min((c + 1) * cache.chunk_size, n_texts) - 1} are in no encoded shard "
                        f"({len(missing)} chunks missing); encode the missing shards first")
    folder = entry_folder(cache, fingerprint, n_texts)
    matrix = assemble_chunks([chunk_path(folder, c) for c in range(n_chunks(n_texts, cache.chunk_size))],
                             [min(cache.chunk_size, n_texts - c * cache.chunk_size)
                              for c in range(n_chunks(n_texts, cache.chunk_size))], fingerprint.get("vocab_size", 0))
    logger.info("merged %d documents from %s", n_texts, folder)
    return matrix


def assemble_chunks(paths: Sequence[Path], rows: Sequence[int], n_columns: int = 0) -> sp.csr_matrix:
    """Stack CSR chunk files into one float32 CSR matrix, filling arrays allocated once.

    The same matrix as ``scipy.sparse.vstack`` of the loaded chunks, but the peak memory is the
    result plus one chunk, not twice the result (9 GB instead of 18 GB at MS MARCO scale).
    """
    nnz, columns = [], n_columns
    for path, n_rows in zip(paths, rows):
        try:
            with np.load(path, allow_pickle=False) as npz:  # the row pointers only, not the vectors
                indptr, shape = npz["indptr"], tuple(npz["shape"])
        except (OSError, ValueError, KeyError) as exc:
            raise UserError(f"{path}: unreadable cache file ({exc}); remove it or run with --no-cache") from None
        if shape[0] != n_rows:
            raise UserError(f"{path}: holds {shape[0]} documents where {n_rows} are expected; remove it")
        nnz.append(int(indptr[-1]))
        columns = columns or int(shape[1])
    total = sum(nnz)
    index_dtype = np.int32 if max(total, columns, sum(rows)) < 2**31 else np.int64
    data = np.empty(total, dtype=np.float32)
    indices = np.empty(total, dtype=index_dtype)
    indptr = np.zeros(sum(rows) + 1, dtype=index_dtype)
    r = v = 0
    for path, n_rows, n in zip(paths, rows, nnz):
        chunk = _load(path)
        data[v:v + n], indices[v:v + n] = chunk.data, chunk.indices
        indptr[r + 1:r + 1 + n_rows] = chunk.indptr[1:] + v
        r, v = r + n_rows, v + n
        del chunk
    return sp.csr_matrix((data, indices, indptr), shape=(sum(rows), columns), copy=False)


# --- search over shards ----------------------------------------------------------------------------

def merge_topk(per_shard_results: Sequence[tuple[np.ndarray, np.ndarray]], k: int,
               block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-shard top-k lists into the top ``k`` of the whole corpus.

    Each item is ``(indices, scores)`` as :func:`~splade_beir.search.topk` returns them, with
    indices already offset to corpus rows (padding: index -1). The result is ordered by score
    descending, then corpus index ascending, padded with -1 / 0: exactly ``topk`` over the whole
    matrix, since every hit of the global top ``k`` is in its own shard's top ``k``.
    """
    if not per_shard_results:
        raise ValueError("merge_topk needs at least one shard's results")
    n_q = per_shard_results[0][0].shape[0]
    out_idx = np.full((n_q, k), -1, dtype=np.int64)
    out_scores = np.zeros((n_q, k), dtype=np.float32)
    for q0 in range(0, n_q, block):  # bounded temporaries, whatever the number of queries
        q1 = min(q0 + block, n_q)
        indices = np.concatenate([np.asarray(r[0][q0:q1], dtype=np.int64) for r in per_shard_results], axis=1)
        scores = np.concatenate([np.asarray(r[1][q0:q1], dtype=np.float32) for r in per_shard_results], axis=1)
        pad = indices < 0
        primary = np.where(pad, np.inf, -scores.astype(np.float64))  # exact: float32 -> float64 is lossless
        secondary = np.where(pad, np.iinfo(np.int64).max, indices)
        order = np.lexsort((secondary, primary), axis=-1)[:, :k]
        best = np.take_along_axis(indices, order, axis=1)
        width = best.shape[1]
        out_idx[q0:q1, :width] = best
        out_scores[q0:q1, :width] = np.where(best < 0, 0, np.take_along_axis(scores, order, axis=1))
    return out_idx, out_scores


def offset_hits(indices: np.ndarray, offset: int) -> np.ndarray:
    """Shard-local document indices to corpus rows (padding stays -1)."""
    return np.where(indices >= 0, indices + offset, -1)


def topk_sharded(Q: sp.csr_matrix, D: sp.csr_matrix, k: int, n_shards: int,
                 **topk_options) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~splade_beir.search.topk` shard by shard, then :func:`merge_topk` (one process)."""
    from .search import topk

    D = sp.csr_matrix(D)
    results = []
    for i in range(n_shards):
        a, b = shard_range(D.shape[0], i, n_shards)
        idx, sc = topk(Q, D[a:b], k, **topk_options)
        results.append((offset_hits(idx, a), sc))
    return merge_topk(results, k)


# --- running shards elsewhere: what a worker needs, and how a retriever uses a backend ------------

@dataclass(frozen=True)
class EncoderSpec:
    """How another process rebuilds a retriever's document encoder (small and picklable)."""

    model: str
    pooling: str = "max"
    doc_max_length: int = 256
    dtype: str = "float32"
    batch_size: int = 32
    trust_remote_code: bool = False

    @classmethod
    def of(cls, retriever, trust_remote_code: bool = False) -> "EncoderSpec":
        """The spec of a :class:`~splade_beir.retriever.SpladeRetriever` (its resolved dtype included,
        so that a GPU worker under a CPU driver still produces the fingerprint the driver expects)."""
        enc = retriever.encoder
        model = enc.config["model"]
        if Path(model).exists():  # a local folder: absolute, for workers that start elsewhere
            model = str(Path(model).resolve())
        return cls(model, enc.pooling, enc.doc.max_length, enc.dtype_name, retriever.batch_size,
                   trust_remote_code)

    def load(self, device: str | None = None):
        """The document encoder, on ``device`` (default: cuda when present)."""
        from .encoder import SpladeEncoder

        return SpladeEncoder(self.model, pooling=self.pooling, doc_max_length=self.doc_max_length,
                             dtype=self.dtype, device=device, show_progress=False,
                             trust_remote_code=self.trust_remote_code)

    def encode(self, encoder, texts: list[str]) -> sp.csr_matrix:
        """One chunk, exactly as ``SpladeRetriever.encode_corpus`` encodes it."""
        return encoder.encode_texts(texts, encoder.doc, self.batch_size)


@dataclass(frozen=True)
class ShardJob:
    """A corpus to encode into the cache, split into ``n_shards`` shards (texts travel separately)."""

    spec: EncoderSpec
    fingerprint: dict      # the driver's: encoder fingerprint + corpus digest (without chunking)
    cache_root: str
    chunk_size: int
    n_texts: int
    n_shards: int

    @property
    def cache(self) -> CorpusCache:
        return CorpusCache(self.cache_root, self.chunk_size)

    def rows(self, i: int) -> tuple[int, int]:
        return shard_range(self.n_texts, i, self.n_shards, self.chunk_size)

    def worker_fingerprint(self, encoder_fingerprint: dict) -> dict:
        """What a worker's own encoder (``encoder.fingerprint()``) makes of this corpus: a worker that
        loaded other weights gets another fingerprint, writes elsewhere, and is refused at the merge."""
        return {**encoder_fingerprint, "corpus": self.fingerprint["corpus"]}


class Backend(Protocol):
    def encode(self, job: ShardJob, shards: list[int], texts: list[str], show_progress: bool) -> list[Path]:
        """Encode ``shards`` of ``job`` into its cache; returns their manifests."""

    def topk(self, Q: sp.csr_matrix, D: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top ``k`` of ``D`` for ``Q`` (as :func:`~splade_beir.search.topk`)."""


def encode_corpus_with(backend: Backend, retriever, doc_ids: list[str], texts: list[str],
                       trust_remote_code: bool = False, n_shards: int | None = None) -> sp.csr_matrix:
    """Encode a corpus shard by shard on ``backend`` (one shard per cache chunk by default), into the
    retriever's cache, then merge: the matrix ``retriever.encode_corpus`` returns single-process."""
    if retriever.cache is None:
        raise UserError("encoding with several workers needs the corpus cache (shards are cache chunks): "
                        "drop --no-cache")
    cache = retriever.cache
    fingerprint = {**retriever.encoder.fingerprint(), "corpus": digest_texts(doc_ids, texts)}
    n = len(texts)
    job = ShardJob(EncoderSpec.of(retriever, trust_remote_code), fingerprint, str(cache.root), cache.chunk_size, n,
                   n_shards or max(1, n_chunks(n, cache.chunk_size)))
    done = shards_done(cache, fingerprint, n, job.n_shards)
    todo = [i for i, ok in enumerate(done) if not ok]
    if todo:
        logger.info("encoding %d of %d shards of %d documents (%d already cached)", len(todo), job.n_shards, n,
                    job.n_shards - len(todo))
    else:
        logger.info("corpus cache hit: %s (%d documents, nothing to encode)", entry_folder(cache, fingerprint, n), n)
    manifests = backend.encode(job, todo, texts, retriever.show_progress) if todo else []
    return merge_shards(cache, fingerprint, n, manifests)


def use_backend(retriever, backend: Backend, trust_remote_code: bool = False, search: bool = False) -> None:
    """Make a :class:`~splade_beir.retriever.SpladeRetriever` encode its corpora on ``backend``
    (and, with ``search=True``, search on it too); results are those of the single-process run."""
    from .search import to_run

    retriever.encode_corpus = lambda doc_ids, texts: encode_corpus_with(  # type: ignore[method-assign]
        backend, retriever, doc_ids, texts, trust_remote_code)
    if search:
        def search_matrices(Q, D, query_ids, doc_ids, top_k):
            # As ExactSparseSearch.search_matrices: one extra hit, so that dropping the query's own id leaves top_k.
            idx, scores = backend.topk(Q, D, top_k + 1)
            return to_run(idx, scores, query_ids, doc_ids, k=top_k)

        retriever.search.search_matrices = search_matrices


def make_backend(backend: str = "local", workers: int | None = None, ray_address: str | None = None,
                 device: str | None = None):
    """The backend the CLI names: ``local`` worker processes or ``ray`` tasks."""
    if backend == "ray":
        if workers:
            raise UserError("--workers applies to --backend local; Ray sizes itself from the cluster's resources")
        from .ray_backend import RayBackend

        return RayBackend(address=ray_address)
    if backend != "local":
        raise UserError(f"unknown backend {backend!r}; known: local, ray")
    if ray_address:
        raise UserError("--ray-address applies to --backend ray")
    from .workers import LocalWorkers

    return LocalWorkers(workers, device=device)


# --- the --shard command: encode one shard of each dataset, say what remains ----------------------

def encode_shard_cli(model: str, datasets: str | list[str], shard: str, data_dir: str | Path = "datasets",
                     split: str | None = None, download: bool = True, show_progress: bool = True,
                     cache_dir: str | Path | None = None, cache_chunk_size: int = 10_000,
                     workers: int | None = None, **model_options) -> list[str]:
    """Encode shard ``"I/N"`` of every dataset's corpus into the cache; returns one status line per
    dataset (what was encoded, which shards remain)."""
    from .datasets import cqadupstack_parts, dataset_key, default_split, document_text, expand_names, load_folder, \
        resolve_dir
    from .retriever import SpladeRetriever, make_retriever

    i, n_shards = parse_shard(shard)
    if cache_dir is None:
        raise UserError("--shard writes its vectors into the corpus cache: drop --no-cache")
    names = expand_names(datasets) if isinstance(datasets, str) else list(datasets)
    parts = [p for name in names for p in cqadupstack_parts(name)]
    folders = {p: resolve_dir(p, data_dir, download=download) for p in parts}
    cache = CorpusCache(cache_dir, cache_chunk_size)
    kind = model_options.pop("kind", None)
    retriever, lines = None, []
    for part in parts:
        dataset = load_folder(folders[part], split or default_split(part), name=dataset_key(part))
        if retriever is None:
            retriever = make_retriever(kind, model, show_progress=show_progress, **model_options)
            if not isinstance(retriever, SpladeRetriever):
                raise UserError(f"--shard applies to SPLADE models; a {retriever.kind} model has no corpus cache")
        doc_ids = list(dataset.corpus)
        texts = [document_text(dataset.corpus[d]) for d in doc_ids]
        fingerprint = {**retriever.encoder.fingerprint(), "corpus": digest_texts(doc_ids, texts)}
        n = len(texts)
        start, stop = shard_range(n, i, n_shards, cache.chunk_size)
        if workers:
            job = ShardJob(EncoderSpec.of(retriever, bool(model_options.get("trust_remote_code"))), fingerprint,
                           str(cache.root), cache.chunk_size, n, max(1, n_chunks(n, cache.chunk_size)))
            chunks = missing_chunks(cache, fingerprint, n, shard_chunks(n, i, n_shards, cache.chunk_size))
            manifests = make_backend("local", workers, device=model_options.get("device")).encode(
                job, chunks, texts, show_progress) if chunks else []
            for m in manifests:
                check_shard(read_manifest(m), full_fingerprint(fingerprint, n, cache.chunk_size), m)
        with tqdm(total=stop - start, desc=f"encoding shard {i}/{n_shards}", unit="doc",
                  disable=not show_progress) as bar:
            encode_shard(cache, fingerprint, n, i, n_shards, on_chunk=bar.update,
                         encode_rows=lambda a, b: retriever.encoder.encode_texts(
                             texts[a:b], retriever.encoder.doc, retriever.batch_size))
        done = shards_done(cache, fingerprint, n, n_shards)
        remaining = [str(j) for j, ok in enumerate(done) if not ok]
        status = (f"remaining shards: {', '.join(remaining)} (of {n_shards})" if remaining else
                  "all shards are cached: run the same command without --shard to evaluate")
        rows = f"documents {start}-{stop - 1} of {n}" if stop > start else f"no documents: {n} fill fewer shards"
        lines.append(f"{dataset.name}: shard {i}/{n_shards} ({rows}) is in {entry_folder(cache, fingerprint, n)}; "
                     f"{status}")
    return lines


def scale_out(retriever, backend: str | None = None, workers: int | None = None, ray_address: str | None = None,
              device: str | None = None, trust_remote_code: bool = False, **_other_model_options) -> None:
    """Attach the backend ``evaluate(workers=, backend=, ray_address=)`` names to a new retriever."""
    from .retriever import SpladeRetriever

    if not isinstance(retriever, SpladeRetriever):
        raise UserError(f"--workers and --backend apply to SPLADE models, not to a {retriever.kind} model")
    backend = backend or ("ray" if ray_address else "local")
    use_backend(retriever, make_backend(backend, workers, ray_address, device=device),
                trust_remote_code=bool(trust_remote_code), search=backend == "ray")


def shard_main(args) -> bool:
    """The CLI's scaling options: checks them; runs ``--shard`` (returns True: nothing left to do)."""
    if args.config:
        raise UserError("--shard, --workers and --backend apply to a --model run, not to --config")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers must be at least 1, got {args.workers}")
    if args.workers and (args.backend == "ray" or args.ray_address):
        raise UserError("--workers applies to --backend local; Ray sizes itself from the cluster's resources")
    if not args.shard:
        return False
    if args.backend == "ray" or args.ray_address:
        raise UserError("--shard runs one shard by hand, --backend ray runs them all: use one or the other")
    from .baselines import default_model

    lines = encode_shard_cli(
        args.model or default_model(args.kind), args.datasets, args.shard, data_dir=args.data_dir, split=args.split,
        download=not args.no_download, show_progress=not args.quiet,
        cache_dir=None if args.no_cache else args.cache_dir, cache_chunk_size=args.cache_chunk_size,
        workers=args.workers, kind=args.kind, query_model=args.query_model, pooling=args.pooling,
        query_max_length=args.query_max_length, doc_max_length=args.doc_max_length, device=args.device,
        dtype=args.dtype, batch_size=args.batch_size, trust_remote_code=args.trust_remote_code)
    print("\n".join(lines))
    return True
