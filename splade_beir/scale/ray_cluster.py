"""Encoding and search fanned out over a Ray cluster (the ``[ray]`` extra: ``pip install 'splade-beir[ray]'``).

:class:`RayWorkers` (a corpus encoder): every cache chunk to encode is one Ray task that asks for a GPU
when the cluster has GPUs; Ray schedules the tasks, moves texts and vectors through its object store, and
re-runs a task whose worker process died or that raised a transient error (``max_retries``,
``retry_exceptions``). The driver checks that each chunk was encoded with the model and settings it
expects (a node with another checkpoint under the same name is refused) and writes it into its own cache
as it arrives (so a killed driver resumes from it). :class:`RaySearch` (a searcher): each task searches a
slice of the documents and returns its top-k; the driver merges them as they arrive
(:func:`~splade_beir.scale.merge.merge_topk`), with at most ``max_pending`` slices in flight, so its memory
does not grow with the cluster.

>>> RaySearch(address="auto").max_retries
3
"""

from __future__ import annotations

import logging
import socket

import numpy as np
import scipy.sparse as sp

from ..cli import quiet_transformers
from ..encode.cache import CacheEntry
from ..encode.corpus import TextSource
from ..errors import UserError
from ..lazy import optional_import
from ..progress import progress_bar
from ..search.kernel import topk
from .merge import merge_topk, offset_hits
from .plan import EncoderSpec, shard_range

logger = logging.getLogger(__name__)

# Retried by Ray: a lost or killed worker process always; of the errors a task raises, only these
# (CUDA out of memory is a RuntimeError). A UserError (a missing model on a node) fails at once.
RETRY_EXCEPTIONS = [RuntimeError, OSError, MemoryError]


class _RayClient:
    def __init__(self, address: str | None = None, max_retries: int = 3, cpus_per_task: int = 1, **init_options):
        self.address = address
        self.max_retries = max_retries
        self.cpus_per_task = cpus_per_task
        self.init_options = init_options

    def connect(self):
        ray = optional_import("ray", "ray", "--backend ray")
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, ignore_reinit_error=True, logging_level=logging.WARNING,
                         **self.init_options)
            except ConnectionError as exc:
                raise UserError(f"cannot reach the Ray cluster at {self.address or 'RAY_ADDRESS'}: {exc} (if the "
                                "cluster uses token authentication, set RAY_AUTH_TOKEN as on the head node)") from None
        return ray

    def _failed(self, ray, exc, what: str) -> UserError:
        if isinstance(exc, ray.exceptions.RayTaskError) and isinstance(exc.cause, UserError):
            return UserError(f"{what}: {exc.cause}")
        return UserError(f"{what} failed after {self.max_retries} retries: {_first_line(exc)}; "
                         "finished chunks are cached: run again to resume")


class RayWorkers(_RayClient):
    """Cache chunks encoded as Ray tasks.

    Args:
        spec: how a worker builds the document encoder.
        address: a running cluster (``"auto"``, ``"ray://head:10001"``...); ``None``: the one this process is
            connected to, else ``RAY_ADDRESS``, else a new local cluster.
        max_retries: how many times Ray re-runs a failed task.
        gpus_per_task: GPUs per task (default: 1 when the cluster has GPUs, else 0; 0.5 puts two on a GPU).
        cpus_per_task: CPU cores (and torch threads) per task.
    """

    def __init__(self, spec: EncoderSpec, address: str | None = None, max_retries: int = 3,
                 gpus_per_task: float | None = None, cpus_per_task: int = 1, **init_options):
        super().__init__(address, max_retries, cpus_per_task, **init_options)
        self.spec = spec
        self.gpus_per_task = gpus_per_task

    def encode(self, entry: CacheEntry, chunks: list[int], texts: TextSource, show_progress: bool = True) -> None:
        ray = self.connect()
        gpus = self.gpus_per_task
        if gpus is None:
            gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        task = _encode_task.options(num_cpus=self.cpus_per_task, num_gpus=gpus, max_retries=self.max_retries,
                                    retry_exceptions=RETRY_EXCEPTIONS)
        device = "cuda" if gpus else "cpu"
        refs = {task.remote(self.spec, device, self.cpus_per_task, texts(*entry.rows(c))): c for c in chunks}
        logger.info("%d Ray tasks encode %d chunks (%s GPU, %d CPU each, up to %d retries)", len(refs), len(chunks),
                    gpus, self.cpus_per_task, self.max_retries)
        todo = sum(b - a for a, b in map(entry.rows, chunks))
        with progress_bar(entry.n_texts, "encoding documents", "doc", show_progress,
                          initial=entry.n_texts - todo) as bar:
            try:
                while refs:
                    [ref], _ = ray.wait(list(refs), num_returns=1)
                    chunk = refs.pop(ref)
                    try:
                        fingerprint, host, matrix = ray.get(ref)
                    except ray.exceptions.RayError as exc:
                        raise self._failed(ray, exc, f"chunk {chunk} of {entry.folder}") from None
                    self.spec.check(fingerprint, entry.fingerprint, f"Ray task on {host}")
                    entry.write(chunk, matrix)
                    bar.update(matrix.shape[0])
            finally:
                for ref in refs:
                    ray.cancel(ref)


class RaySearch(_RayClient):
    """Exact top-k with each task searching a slice of the documents.

    Args:
        search_shards: how many slices (default: the cluster's CPUs / ``cpus_per_task``).
        max_pending: slices in flight at once (each holds ``len(D) / search_shards`` documents on the
            driver and comes back as a ``queries x k`` top-k): the driver's memory is bounded by this,
            not by the cluster's size.
    """

    def __init__(self, address: str | None = None, max_retries: int = 3, cpus_per_task: int = 1,
                 search_shards: int | None = None, max_pending: int = 4, **init_options):
        super().__init__(address, max_retries, cpus_per_task, **init_options)
        self.search_shards = search_shards
        self.max_pending = max(1, max_pending)

    def topk(self, Q: sp.csr_matrix, D: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        ray = self.connect()
        n = self.search_shards or max(1, int(ray.cluster_resources().get("CPU", 1)) // self.cpus_per_task)
        n = max(1, min(n, D.shape[0]))
        task = _topk_task.options(num_cpus=self.cpus_per_task, max_retries=self.max_retries)
        queries, D = ray.put(sp.csr_matrix(Q)), sp.csr_matrix(D)
        best, pending, submitted = None, [], 0
        try:
            while submitted < n or pending:
                while submitted < n and len(pending) < self.max_pending:
                    a, b = shard_range(D.shape[0], submitted, n)
                    pending.append(task.remote(queries, D[a:b], k, a, self.cpus_per_task))
                    submitted += 1
                [ref], pending = ray.wait(pending, num_returns=1)
                try:
                    part = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    raise self._failed(ray, exc, "search") from None
                best = part if best is None else merge_topk([best, part], k)
        finally:
            for ref in pending:
                ray.cancel(ref)
        return best


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


# --- inside a Ray worker process ------------------------------------------------------------------

_WORKER: dict = {}


def _encode_rows(spec: EncoderSpec, device: str, threads: int, texts: list[str]):
    """Encode one chunk's texts; returns the worker's encoder fingerprint, its host name and the matrix."""
    import torch

    if device == "cpu":
        torch.set_num_threads(threads)
    if _WORKER.get("key") != (spec, device):  # loaded once per worker process
        quiet_transformers()
        encoder = spec.load(device)
        _WORKER.update(key=(spec, device), encoder=encoder, fingerprint=encoder.fingerprint())
    return _WORKER["fingerprint"], socket.gethostname(), spec.encode(_WORKER["encoder"], texts)


def _search_rows(queries: sp.csr_matrix, documents: sp.csr_matrix, k: int, offset: int, threads: int):
    idx, scores = topk(queries, documents, k, threads=threads)
    return offset_hits(idx, offset), scores


def _remote(function):
    try:
        import ray
    except ImportError:
        return None
    return ray.remote(function)


_encode_task = _remote(_encode_rows)
_topk_task = _remote(_search_rows)
