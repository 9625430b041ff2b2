"""Several worker processes on one machine: one per GPU, or one per group of CPU cores.

Each worker is a fresh (spawned) process that loads the document encoder once, on its own device
(``CUDA_VISIBLE_DEVICES`` set to one GPU) or with its own share of the CPU cores (torch threads),
and encodes the cache chunks it is handed, writing them through the cache entry. Chunks are handed
out one at a time as workers free up (a standard :class:`~concurrent.futures.ProcessPoolExecutor`);
the driver shows one progress bar for the whole corpus, fed by the workers batch by batch. A worker
that dies (killed, out of memory) takes the pool down: the pool is started again and the chunks not
yet in the cache are handed out again, up to ``retries`` times, as Ray retries a task.

>>> LocalWorkers(EncoderSpec("m"), 2, device="cpu", cpus=8).slots()
[('cpu', 4), ('cpu', 4)]
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import socket
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..cli import quiet_transformers
from ..encode.cache import CacheEntry
from ..encode.corpus import TextSource
from ..errors import UserError
from ..progress import progress_bar
from ..threads import available_cpus
from .plan import EncoderSpec, check_workers

logger = logging.getLogger(__name__)


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` entries."""
    import torch

    if not torch.cuda.is_available():
        return []
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    ids = [x.strip() for x in listed.split(",") if x.strip()] if listed else []
    return ids[:torch.cuda.device_count()] or [str(i) for i in range(torch.cuda.device_count())]


class LocalWorkers:
    """A pool of encoding processes on this machine (a corpus encoder: see :mod:`splade_beir.encode.corpus`).

    Args:
        spec: how a worker builds the document encoder.
        workers: how many processes (default: one per GPU, else one).
        device: ``"cpu"`` keeps every worker on the CPU; ``"cuda"``/``None`` uses the GPUs when there are.
        cpus: CPU cores shared out between CPU workers (default: those this process may use).
        retries: how many times the pool is started again after a worker died.
    """

    def __init__(self, spec: EncoderSpec, workers: int | None = None, device: str | None = None,
                 cpus: int | None = None, retries: int = 2):
        check_workers(workers)
        self.spec = spec
        self.workers = workers
        self.device = device
        self.cpus = cpus or available_cpus()
        self.retries = retries

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

    def encode(self, entry: CacheEntry, chunks: list[int], texts: TextSource, show_progress: bool = True) -> None:
        """Encode ``chunks`` of ``entry`` on the worker processes (each writes its chunks into the cache)."""
        slots = self.slots()
        logger.info("%d worker processes (%s) encode %d chunks", len(slots),
                    ", ".join(f"{d.replace('cuda=', 'GPU ')} with {t} threads" for d, t in slots), len(chunks))
        todo = sum(b - a for a, b in map(entry.rows, chunks))
        with progress_bar(entry.n_texts, "encoding documents", "doc", show_progress,
                          initial=entry.n_texts - todo) as bar:
            for attempt in range(self.retries + 1):
                pending = entry.missing(chunks)
                if not pending:
                    return
                if attempt:
                    logger.warning("warning: a worker process died (killed or out of memory); starting the workers "
                                   "again for the %d chunks left (attempt %d of %d)", len(pending), attempt + 1,
                                   self.retries + 1)
                try:
                    self._run_pool(slots, entry, pending, texts, bar)
                except BrokenProcessPool:
                    continue
        raise UserError(f"worker processes died {self.retries + 1} times while encoding (killed, out of memory, or "
                        "started from a script without an `if __name__ == '__main__':` guard); the chunks they "
                        "finished are in the cache: run the same command again to resume")

    def _run_pool(self, slots, entry: CacheEntry, chunks: list[int], texts: TextSource, bar) -> None:
        ctx = multiprocessing.get_context("spawn")
        free_slots, progress = ctx.Queue(), ctx.Queue()
        for slot in slots:
            free_slots.put(slot)
        with ProcessPoolExecutor(len(slots), mp_context=ctx, initializer=_start_worker,
                                 initargs=(free_slots, progress)) as pool:
            pending = {pool.submit(_encode_chunk, self.spec, entry, c, texts(*entry.rows(c))) for c in chunks}
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    _drain(progress, bar)
                    for future in done:
                        future.result()
            finally:
                for future in pending:
                    future.cancel()
            _drain(progress, bar)


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


def _encode_chunk(spec: EncoderSpec, entry: CacheEntry, chunk: int, texts: list[str]) -> int:
    """Encode one chunk (``texts`` are its rows) into the cache with this worker's encoder."""
    if _WORKER.get("spec") != spec:  # loaded once per process (and again only for another model)
        encoder = spec.load(_WORKER["device"])
        spec.check(encoder.fingerprint(), entry.fingerprint, f"worker process on {socket.gethostname()}")
        _WORKER.update(spec=spec, encoder=encoder)
    entry.write(chunk, spec.encode(_WORKER["encoder"], texts, progress=_WORKER["progress"].put))
    return chunk
