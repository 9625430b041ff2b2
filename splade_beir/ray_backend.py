"""Encoding and search fanned out over a Ray cluster (the ``[ray]`` extra: ``pip install 'splade-beir[ray]'``).

Every shard is one Ray task that asks for a GPU when the cluster has GPUs (``num_gpus``); Ray
schedules the tasks, moves texts and vectors through its object store, and re-runs a task whose
worker process died or that raised a transient error (``max_retries``, ``retry_exceptions``):
nothing here schedules, retries or transports by itself. The driver checks that each shard was
encoded with the model, settings and corpus it expects (a node with another checkpoint under the
same name is refused), writes the chunks into its own corpus cache as they arrive (so a killed
driver resumes from them) and merges. Search sends each shard of documents to a task that returns
its top-k; :func:`~splade_beir.shards.merge_topk` gives the exact top-k of the whole corpus.

>>> RayBackend(address="auto").max_retries
3
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from .errors import UserError
from .shards import EncoderSpec, ShardJob, check_shard, encode_shard, full_fingerprint, merge_topk, missing_chunks, \
    offset_hits, shard_chunks, shard_range

logger = logging.getLogger(__name__)

# Retried by Ray: a lost or killed worker process always; of the errors a task raises, only these
# (CUDA out of memory is a RuntimeError). A UserError (a missing model on a node) fails at once.
RETRY_EXCEPTIONS = [RuntimeError, OSError, MemoryError]


def _ray():
    try:
        import ray
    except ImportError:
        raise UserError("--backend ray needs Ray: pip install 'splade-beir[ray]'") from None
    return ray


class RayBackend:
    """Shards as Ray tasks.

    Args:
        address: a running cluster (``"auto"``, ``"ray://head:10001"``...); ``None``: the one this
            process is connected to, else ``RAY_ADDRESS``, else a new local cluster.
        max_retries: how many times Ray re-runs a failed shard.
        gpus_per_task: GPUs per encoding task (default: 1 when the cluster has GPUs, else 0; 0.5 puts
            two tasks on a GPU).
        cpus_per_task: CPU cores (and torch threads) per task.
        search_shards: how many tasks search the corpus (default: the cluster's CPU count).
    """

    def __init__(self, address: str | None = None, max_retries: int = 3, gpus_per_task: float | None = None,
                 cpus_per_task: int = 1, search_shards: int | None = None, **init_options):
        self.address = address
        self.max_retries = max_retries
        self.gpus_per_task = gpus_per_task
        self.cpus_per_task = cpus_per_task
        self.search_shards = search_shards
        self.init_options = init_options

    def connect(self):
        ray = _ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, ignore_reinit_error=True, logging_level=logging.WARNING,
                         **self.init_options)
            except ConnectionError as exc:
                raise UserError(f"cannot reach the Ray cluster at {self.address or 'RAY_ADDRESS'}: {exc}") from None
        return ray

    def encode(self, job: ShardJob, shards: list[int], texts: list[str], show_progress: bool = True) -> list[Path]:
        """Encode ``shards`` of ``job`` as Ray tasks; their chunks land in ``job``'s cache; returns manifests."""
        ray = self.connect()
        gpus = self.gpus_per_task
        if gpus is None:
            gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        task = _encode_task.options(num_cpus=self.cpus_per_task, num_gpus=gpus, max_retries=self.max_retries,
                                    retry_exceptions=RETRY_EXCEPTIONS)
        device = "cuda" if gpus else "cpu"
        cache, expected = job.cache, full_fingerprint(job.fingerprint, job.n_texts, job.chunk_size)
        refs = {}
        for i in shards:
            chunks = missing_chunks(cache, job.fingerprint, job.n_texts,
                                    shard_chunks(job.n_texts, i, job.n_shards, job.chunk_size))
            start, stop = job.rows(i)
            refs[task.remote(job.spec, device, self.cpus_per_task, texts[start:stop], start,
                             [(c * job.chunk_size, min((c + 1) * job.chunk_size, job.n_texts)) for c in chunks])] = i
        todo_rows = sum(b - a for a, b in map(job.rows, shards))
        logger.info("%d Ray tasks encode %d documents (%s GPU, %d CPU each, up to %d retries)", len(refs), todo_rows,
                    gpus, self.cpus_per_task, self.max_retries)
        manifests = []
        with tqdm(total=job.n_texts, initial=job.n_texts - todo_rows, desc="encoding documents", unit="doc",
                  disable=not show_progress) as bar:
            try:
                while refs:
                    [ref], _ = ray.wait(list(refs), num_returns=1)
                    i = refs.pop(ref)
                    worker_fingerprint, host, encoded = self._get(ray, ref, i, job.n_shards)
                    check_shard({"shard": i, "n_shards": job.n_shards, "fingerprint": full_fingerprint(
                        job.worker_fingerprint(worker_fingerprint), job.n_texts, job.chunk_size)}, expected,
                        f"Ray task on {host}")
                    manifests.append(encode_shard(cache, job.fingerprint, job.n_texts, i, job.n_shards,
                                                  encode_rows=lambda a, b: encoded[a], on_chunk=bar.update))
            finally:
                for ref in refs:
                    ray.cancel(ref)
        return manifests

    def _get(self, ray, ref, i: int, n_shards: int):
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            if isinstance(exc.cause, UserError):
                raise UserError(f"shard {i}/{n_shards}: {exc.cause}") from None
            raise UserError(f"shard {i}/{n_shards} failed after {self.max_retries} retries: "
                            f"{_first_line(exc.cause or exc)}; finished shards are cached: run again to resume"
                            ) from None
        except ray.exceptions.RayError as exc:
            raise UserError(f"shard {i}/{n_shards} failed after {self.max_retries} retries: {_first_line(exc)}; "
                            "finished shards are cached: run again to resume") from None

    def topk(self, Q: sp.csr_matrix, D: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact top ``k``: each task searches one shard of ``D``, then :func:`merge_topk`."""
        ray = self.connect()
        n = self.search_shards or max(1, int(ray.cluster_resources().get("CPU", 1)) // self.cpus_per_task)
        n = max(1, min(n, D.shape[0]))
        task = _topk_task.options(num_cpus=self.cpus_per_task, max_retries=self.max_retries)
        queries = ray.put(sp.csr_matrix(Q))
        D = sp.csr_matrix(D)
        refs = []
        for i in range(n):
            a, b = shard_range(D.shape[0], i, n)
            refs.append(task.remote(queries, D[a:b], k, a, self.cpus_per_task))
        try:
            results = ray.get(refs)
        except ray.exceptions.RayError as exc:
            raise UserError(f"search failed after {self.max_retries} retries: {_first_line(exc)}") from None
        return merge_topk(results, k)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


# --- inside a Ray worker process ------------------------------------------------------------------

_WORKER: dict = {}


def _encode_rows(spec: EncoderSpec, device: str, threads: int, texts: list[str], start: int,
                 bounds: list[tuple[int, int]]):
    """Encode the chunks ``bounds`` (corpus rows; ``texts`` start at row ``start``); returns the
    worker's encoder fingerprint, its host name and ``{chunk start row: matrix}``."""
    import torch

    if device == "cpu":
        torch.set_num_threads(threads)
    if _WORKER.get("key") != (spec, device):  # loaded once per worker process
        from .workers import quiet_transformers

        quiet_transformers()
        encoder = spec.load(device)
        _WORKER.update(key=(spec, device), encoder=encoder, fingerprint=encoder.fingerprint())
    encoder = _WORKER["encoder"]
    encoded = {a: spec.encode(encoder, texts[a - start:b - start]) for a, b in bounds}
    return _WORKER["fingerprint"], socket.gethostname(), encoded


def _search_rows(queries: sp.csr_matrix, documents: sp.csr_matrix, k: int, offset: int, threads: int):
    from .search import topk

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
