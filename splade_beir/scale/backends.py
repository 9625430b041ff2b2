"""The scale-out choice (``--workers``, ``--backend``, ``--ray-address``) as components of a SPLADE retriever."""

from __future__ import annotations

from ..encode.encoder import SpladeEncoder
from ..errors import UserError
from .plan import EncoderSpec, check_workers


def scale_out(encoder: SpladeEncoder, batch_size: int = 32, backend: str | None = None, workers: int | None = None,
              ray_address: str | None = None, trust_remote_code: bool = False, searcher=None,
              device: str | None = None):
    """``(corpus encoder, searcher)`` for a backend: ``local`` worker processes (search stays ``searcher``,
    in this process) or ``ray`` (encoding and search as Ray tasks)."""
    check_workers(workers)
    backend = backend or ("ray" if ray_address else "local")
    spec = EncoderSpec.of(encoder, batch_size, trust_remote_code)
    if backend == "ray":
        if workers:
            raise UserError("--workers applies to --backend local; Ray sizes itself from the cluster's resources")
        from .ray_cluster import RaySearch, RayWorkers

        return RayWorkers(spec, address=ray_address), RaySearch(address=ray_address)
    if backend != "local":
        raise UserError(f"unknown backend {backend!r}; known: local, ray")
    if ray_address:
        raise UserError("--ray-address applies to --backend ray")
    from .local import LocalWorkers

    return LocalWorkers(spec, workers, device=device), searcher
