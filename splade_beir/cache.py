"""Encoded-corpus cache: resumable, chunked, keyed by everything that decides the vectors.

A corpus is encoded in contiguous chunks of rows; each chunk is saved as a scipy ``.npz`` (no pickle)
the moment it is done, by write-then-rename. A run killed at any moment loses at most the chunk in
progress: started again with the same arguments, it loads the finished chunks and encodes the rest.
The key is a digest of the model weights and tokenizer, pooling, max length, dtype, chunk size and
the exact texts (ids and contents) encoded, so a changed corpus or model never hits a stale entry.

>>> import tempfile
>>> cache = CorpusCache(tempfile.mkdtemp())
>>> cache.entries()
[]
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from .atomic import atomic_open, atomic_write_text
from .errors import UserError

logger = logging.getLogger(__name__)

DEFAULT_DIR = ".cache/splade_beir"
DEFAULT_CHUNK = 10_000


def digest_texts(ids: list[str], texts: list[str]) -> str:
    h = hashlib.sha256()
    for _id, text in zip(ids, texts):
        h.update(_id.encode("utf-8", "surrogatepass") + b"\x00" + text.encode("utf-8", "surrogatepass") + b"\x01")
    return h.hexdigest()


def cache_key(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:32]


class CorpusCache:
    """A folder of encoded corpora, one sub-folder per key."""

    def __init__(self, root: str | Path = DEFAULT_DIR, chunk_size: int = DEFAULT_CHUNK):
        if chunk_size < 1:
            raise UserError(f"cache chunk size must be positive, got {chunk_size}")
        self.root = Path(root)
        self.chunk_size = chunk_size

    def entries(self) -> list[Path]:
        return sorted(p.parent for p in self.root.glob("*/meta.json")) if self.root.is_dir() else []

    def clear(self) -> int:
        """Remove every cached corpus; returns how many there were."""
        entries = self.entries()
        for entry in entries:
            shutil.rmtree(entry)
        return len(entries)

    def encode(self, fingerprint: dict, n_texts: int,
               encode_rows: Callable[[int, int], sp.csr_matrix], show_progress: bool = True) -> sp.csr_matrix:
        """Return the corpus matrix, encoding only the chunks not already on disk.

        ``encode_rows(start, end)`` encodes rows ``[start, end)``; ``fingerprint`` must describe everything
        that decides them (see :func:`digest_texts`).
        """
        fingerprint = {**fingerprint, "n_texts": n_texts, "chunk_size": self.chunk_size}
        folder = self.root / cache_key(fingerprint)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / "meta.json").is_file():
                atomic_write_text(folder / "meta.json", json.dumps(fingerprint, indent=1, sort_keys=True))
        except OSError as exc:
            raise UserError(f"cannot write the corpus cache at {folder}: {exc.strerror or exc}") from None
        starts = list(range(0, n_texts, self.chunk_size))
        paths = [folder / f"chunk-{i:06d}.npz" for i in range(len(starts))]
        done = sum(p.is_file() for p in paths)
        if done == len(paths):
            logger.info("corpus cache hit: %s (%d documents, nothing to encode)", folder, n_texts)
        elif done:
            logger.info("corpus cache %s: %d of %d chunks already encoded, resuming", folder, done, len(paths))
        parts = []
        with tqdm(total=n_texts, desc="encoding documents", unit="doc", disable=not show_progress) as bar:
            for start, path in zip(starts, paths):
                end = min(start + self.chunk_size, n_texts)
                if path.is_file():
                    parts.append(_load(path))
                else:
                    chunk = encode_rows(start, end)
                    _save(path, chunk)
                    parts.append(chunk)
                bar.update(end - start)
        if not parts:
            return sp.csr_matrix((0, fingerprint.get("vocab_size", 0)), dtype=np.float32)
        return sp.vstack(parts, format="csr").astype(np.float32, copy=False)


def _save(path: Path, matrix: sp.csr_matrix) -> None:
    try:
        with atomic_open(path, "wb") as f:
            sp.save_npz(f, matrix, compressed=False)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


def _load(path: Path) -> sp.csr_matrix:
    try:
        return sp.load_npz(path).tocsr()  # np.load with allow_pickle=False
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable cache file ({exc}); remove it or run with --no-cache") from None


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m splade_beir.cache", description="Inspect or clear the corpus cache.")
    p.add_argument("--cache-dir", default=DEFAULT_DIR)
    p.add_argument("--clear", action="store_true", help="remove every cached corpus")
    args = p.parse_args(argv)
    cache = CorpusCache(args.cache_dir)
    if args.clear:
        print(f"removed {cache.clear()} cached corpora from {cache.root}")
        return 0
    for entry in cache.entries():
        meta = json.loads((entry / "meta.json").read_text())
        size = sum(f.stat().st_size for f in entry.glob("chunk-*.npz"))
        print(f"{entry.name}  {meta.get('n_texts')} docs  {size / 2**20:.1f} MiB  {meta.get('pooling')} "
              f"max_length={meta.get('doc_max_length')} {meta.get('dtype')}")
    return 0


if __name__ == "__main__":
    import sys

    from .cli import run_cli

    sys.exit(run_cli(main))
