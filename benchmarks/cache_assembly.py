"""Peak memory of reading a cached corpus into one matrix: the cache's in-place assembly against scipy's vstack.

A synthetic SPLADE-like corpus (the generator of ``synthetic.py``: ~130 non-zeros per document over a
30,522-entry vocabulary) is written into a corpus-cache entry in chunks of 10,000 documents, as an
encoding run would leave it. Then, each in a fresh process and each twice, the methods alternating:

- ``in-place``: ``CacheEntry.assemble()``, the one path every backend reads a corpus through: arrays
  allocated once from the chunks' records, each chunk verified and copied in;
- ``vstack``: what the single-process path did before (``scipy.sparse.vstack`` of the loaded chunks).

Peak = the growth of the resident set (Linux ``VmHWM``, reset once the interpreter and libraries are
loaded) while the matrix is built, divided by the matrix's own size.

    python benchmarks/cache_assembly.py --docs 500000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from memory import csr_bytes, memory_kb, reset_peak  # noqa: E402  (benchmarks/memory.py)
from synthetic import VOCAB, document_rows  # noqa: E402  (benchmarks/synthetic.py)

CHUNK = 10_000
MB = 2 ** 20


def entry_for(root: Path, n_docs: int):
    from splade_beir.encode.cache import CorpusCache

    fingerprint = {"weights": "synthetic", "pooling": "max", "doc_max_length": 256, "dtype": "float32",
                   "vocab_size": VOCAB, "corpus": f"synthetic-{n_docs}"}
    return CorpusCache(root).entry(fingerprint, n_docs, chunk_size=CHUNK)


def prepare(root: Path, n_docs: int) -> None:
    entry = entry_for(root, n_docs)
    for chunk in entry.missing():
        entry.write(chunk, document_rows(*entry.rows(chunk)))


def measure(root: Path, n_docs: int, method: str) -> dict:
    """Runs in its own process: build the matrix one way, report its size and the peak growth."""
    entry = entry_for(root, n_docs)
    reset_peak()
    start = memory_kb()["VmRSS"]
    t0 = time.perf_counter()
    if method == "in-place":
        D = entry.assemble()
    else:
        D = sp.vstack([sp.load_npz(entry.chunk_path(c)) for c in range(entry.n_chunks)], format="csr")
        D = D.astype(np.float32, copy=False)
    seconds = time.perf_counter() - t0
    peak = (memory_kb()["VmHWM"] - start) * 1024
    size = csr_bytes(D)
    return {"method": method, "seconds": seconds, "matrix_mb": size / MB, "peak_growth_mb": peak / MB,
            "peak_over_matrix": peak / size, "nnz": int(D.nnz)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=500_000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--output", default=str(HERE / "results" / "cache_assembly.json"))
    p.add_argument("--step", help=argparse.SUPPRESS)
    p.add_argument("--root", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.step:
        print(json.dumps(measure(Path(args.root), args.docs, args.step)))
        return
    with tempfile.TemporaryDirectory(prefix="cache-assembly-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        prepare(root, args.docs)
        print(f"wrote {args.docs} synthetic documents in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        rows = []
        for r in range(args.rounds):
            for method in (("in-place", "vstack") if r % 2 == 0 else ("vstack", "in-place")):
                out = subprocess.run([sys.executable, __file__, "--step", method, "--root", str(root),
                                      "--docs", str(args.docs)], capture_output=True, text=True, check=True)
                rows.append(json.loads(out.stdout))
    print(f"| method ({args.docs:,} documents) | matrix | peak growth | peak / matrix | seconds |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['method']} | {row['matrix_mb']:.0f} MiB | {row['peak_growth_mb']:.0f} MiB | "
              f"{row['peak_over_matrix']:.2f} | {row['seconds']:.1f} |")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"command": " ".join(sys.argv), "docs": args.docs, "rows": rows,
                                             "date": time.strftime("%Y-%m-%d")}, indent=1) + "\n")


if __name__ == "__main__":
    main()
