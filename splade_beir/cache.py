"""``python -m splade_beir.cache [--cache-dir DIR] [--clear]``: what the corpus cache holds, or empty it.

Each entry is one encoded corpus: the model, dataset and options it was made with, its size on disk, and
whether every chunk is there (an interrupted run leaves a partial entry that the next run completes).
"""

from __future__ import annotations

import argparse
import sys

from .cli import Parser, run_cli


def describe(folder, meta: dict) -> str:
    """One line about an entry: key, what it holds, model, options, size, chunks done."""
    from .encode.cache import CacheEntry

    entry = CacheEntry(str(folder.parent), folder.name, meta["fingerprint"], meta["n_texts"], meta["chunk_size"])
    about, fp = meta.get("about") or {}, meta["fingerprint"]
    options = about.get("options") or {k: fp.get(k) for k in ("pooling", "doc_max_length", "dtype")}
    size = sum(f.stat().st_size for f in folder.glob("chunk-*"))
    done = entry.n_chunks - len(entry.missing())
    shown = " ".join(f"{k}={v}" for k, v in options.items() if v is not None)
    tower = about.get("tower", "doc")
    unit = "queries" if tower == "query" else "documents"
    return (f"{folder.name}  {unit} of dataset={about.get('dataset', '?')}  model={about.get('model', '?')} {shown}  "
            f"{meta['n_texts']:,} {unit}, {done}/{entry.n_chunks} chunks, {size / 2**20:.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m splade_beir.cache", description="Inspect or clear the corpus cache.")
    p.add_argument("--cache-dir", help="the cache folder (default: $XDG_CACHE_HOME/splade_beir or ~/.cache/splade_beir)")
    p.add_argument("--clear", action="store_true", help="remove every cached corpus")
    args = p.parse_args(argv)
    from .encode.cache import CorpusCache

    cache = CorpusCache(args.cache_dir)
    if args.clear:
        print(f"removed {cache.clear()} cached corpora from {cache.root}")
        return 0
    entries = cache.entries()
    print(f"{cache.root}: {len(entries)} entries (encoded corpora and query sets)")
    for folder, meta in entries:
        print(describe(folder, meta))
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
