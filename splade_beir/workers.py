"""Several worker processes on one machine: one per GPU, or one per group of CPU cores.

Each worker is a fresh (spawned) process that loads the document encoder once, on its own device
(``CUDA_VISIBLE_DEVICES`` set to one GPU) or with its own share of the CPU cores (torch threads),
and encodes the shards it is handed into the corpus cache. Shards are handed out one at a time as
workers free up (a standard :class:`~concurrent.futures.ProcessPoolExecutor`); the driver shows one
progress bar for the whole corpus, fed by the workers through a queue, one chunk at a time.

>>> LocalWorkers(2, device="cpu", cpus=8).slots()
[('cpu', 4), ('cpu', 4)]
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm.auto import tqdm

from .errors import UserError
from .shards import ShardJob, encode_shard

logger = logging.getLogger(__name__)


def available_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` entries."""
    import torch

    if not torch.cuda.is_available():
        return []
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    ids = [x.strip() for x in listed.split(",") if x.strip()] if listed else []
    return ids[:torch.cuda.device_count()] or [str(i) for i in range(torch.cuda.device_count())]


class LocalWorkers:
    """A pool of encoding processes on this machine (the ``local`` backend).

    Args:
        workers: how many processes (default: one per GPU, else one).
        device: ``"cpu"`` keeps every worker on the CPU; ``"cuda"``/``None`` uses the GPUs when there are.
        cpus: CPU cores shared out between CPU workers (default: those this process may use).
    """

    def __init__(self, workers: int | None = None, device: str | None = None, cpus: int | None = None):
        if workers is not None and workers < 1:
            raise UserError(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self.device = device
        self.cpus = cpus or available_cpus()

    def slots(self) -> list[tuple[str, int]]:
        """``(device, torch threads)`` of each worker; a GPU device is a ``CUDA_VISIBLE_DEVICES`` entry."""
        gpus = [] if (self.device or "").startswith("cpu") else visible_gpus()
        if self.device and self.device.startswith("cuda:") and gpus:
            gpus = [gpus[int(self.device.split(":")[1])]]  # one named GPU: every worker shares it
        n = self.workers or len(gpus) or 1
        threads = max(1, self.cpus // n)  # GPU workers too: tokenising and CSR building run on the CPU
        if gpus:
            return [(f"cuda={gpus[w % len(gpus)]}", threads) for w in range(n)]
        return [("cpu", threads)] * n

    def encode(self, job: ShardJob, shards: list[int], texts: list[str], show_progress: bool = True) -> list[Path]:
        """Encode ``shards`` of ``job`` into its cache on the worker processes; returns their manifests."""
        slots = self.slots()
        ctx = multiprocessing.get_context("spawn")
        free_slots, progress = ctx.Queue(), ctx.Queue()
        for slot in slots:
            free_slots.put(slot)
        todo_rows = sum(b - a for a, b in map(job.rows, shards))
        logger.info("%d worker processes (%s) encode %d shards", len(slots),
                    ", ".join(f"{d.replace('cuda=', 'GPU ')} with {t} threads" for d, t in slots), len(shards))
        manifests = []
        with ProcessPoolExecutor(len(slots), mp_context=ctx, initializer=_start_worker,
                                 initargs=(free_slots, progress)) as pool, \
                tqdm(total=job.n_texts, initial=job.n_texts - todo_rows, desc="encoding documents", unit="doc",
                     disable=not show_progress) as bar:
            pending = {pool.submit(_encode_shard, job, i, texts[slice(*job.rows(i))]) for i in shards}
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    _drain(progress, bar)
                    manifests += [Path(f.result()) for f in done]
            except BrokenProcessPool:
                raise UserError("a worker process died while encoding (killed, out of memory, or started from a "
                                "script without an `if __name__ == '__main__':` guard); the chunks it finished are "
                                "in the cache: run the same command again to resume") from None
            finally:
                for f in pending:
                    f.cancel()
            _drain(progress, bar)
        return manifests


def _drain(progress, bar) -> None:
    while True:
        try:
            bar.update(progress.get_nowait())
        except queue.Empty:
            return


# --- inside a worker process ----------------------------------------------------------------------

_WORKER: dict = {}


def _start_worker(free_slots, progress) -> None:
    """Claim a device (or a share of the cores) before torch is imported, and quiet the libraries."""
    device, threads = free_slots.get()
    if device.startswith("cuda="):
        os.environ["CUDA_VISIBLE_DEVICES"] = device.split("=", 1)[1]
        device = "cuda"
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import torch

    torch.set_num_threads(threads)
    logging.basicConfig(level=logging.WARNING)
    quiet_transformers()
    _WORKER.update(device=device, progress=progress)


def quiet_transformers() -> None:
    """No model-loading progress bars or notices from a worker: the driver shows the one bar."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass


def _encode_shard(job: ShardJob, i: int, texts: list[str]) -> str:
    """Encode shard ``i`` (``texts`` are its rows) into the cache with this worker's encoder."""
    if _WORKER.get("spec") != job.spec:  # loaded once per process (and again only for another model)
        encoder = job.spec.load(_WORKER["device"])
        _WORKER.update(spec=job.spec, encoder=encoder, fingerprint=encoder.fingerprint())
    encoder, start = _WORKER["encoder"], job.rows(i)[0]
    path = encode_shard(job.cache, job.worker_fingerprint(_WORKER["fingerprint"]), job.n_texts, i, job.n_shards,
                        encode_rows=lambda a, b: job.spec.encode(encoder, texts[a - start:b - start]),
                        on_chunk=_WORKER["progress"].put)
    return str(path)
