"""Encoding one shard of each corpus by hand (``--shard I/N``), for batch schedulers without Ray.

Each job encodes the cache chunks of its shard into a shared corpus cache and says which shards remain;
when all are done, an ordinary run (same model and options) finds every chunk and encodes nothing.
"""

from __future__ import annotations

from pathlib import Path

from ..data.download import resolve_dir
from ..data.loader import load_folder
from ..data.names import cqadupstack_parts, dataset_key, default_split, expand_names
from ..encode.cache import make_cache
from ..errors import UserError
from ..retrievers.registry import make_retriever
from .plan import n_chunks, parse_shard, shard_chunks, shard_range


def encode_shard(model: str, datasets: str | list[str], shard: str, data_dir: str | Path = "datasets",
                 split: str | None = None, download: bool = True, show_progress: bool = True,
                 cache_dir: str | Path | bool | None = True, cache_chunk_size: int | None = None,
                 **model_options) -> list[str]:
    """Encode shard ``"I/N"`` of every dataset's corpus into the cache; returns one status line per
    dataset (what was encoded, which shards remain). ``model_options`` as for
    :func:`~splade_beir.evaluation.api.evaluate` (``workers=2`` encodes the shard with two processes)."""
    i, n_shards = parse_shard(shard)
    cache = make_cache(cache_dir, cache_chunk_size)
    if cache is None:
        raise UserError("--shard writes its vectors into the corpus cache: drop --no-cache")
    names = expand_names(datasets) if isinstance(datasets, str) else list(datasets)
    parts = [p for name in names for p in cqadupstack_parts(name)]
    folders = {p: resolve_dir(p, data_dir, download=download) for p in parts}
    kind = model_options.pop("kind", None)
    retriever, lines = None, []
    for part in parts:
        dataset = load_folder(folders[part], split or default_split(part), name=dataset_key(part))
        if retriever is None:
            retriever = make_retriever(kind, model, show_progress=show_progress, cache=cache, **model_options)
            if retriever.kind != "splade":
                raise UserError(f"--shard applies to SPLADE models; a {retriever.kind} model has no corpus cache")
        with retriever.corpus_entry(dataset) as entry:
            n, size = entry.n_texts, entry.chunk_size
            missing = entry.missing(shard_chunks(n, i, n_shards, size))
            if missing:
                retriever.corpus_encoder.encode(entry, missing, dataset.texts, show_progress)
            left = set(entry.missing())
            remaining = [str(j) for j in range(n_shards) if left.intersection(shard_chunks(n, j, n_shards, size))]
            start, stop = shard_range(n, i, n_shards, size)
            status = (f"remaining shards: {', '.join(remaining)} (of {n_shards})" if remaining else
                      "all shards are cached: run the same command without --shard to evaluate")
            rows = (f"documents {start}-{stop - 1} of {n}" if stop > start else
                    f"no documents: {n} fill {n_chunks(n, size)} chunks, fewer than {n_shards} shards")
            lines.append(f"{dataset.name}: shard {i}/{n_shards} ({rows}) is in {entry.folder}; {status}")
    return lines
