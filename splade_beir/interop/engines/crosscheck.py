"""Index an export folder with a real engine and check its top-k against the exact search on the same
integer vectors (``python -m splade_beir.export ... --check-pisa``; ``benchmarks/engine_crosscheck.py``).

>>> import pytest; _ = pytest.importorskip("pyterrier_pisa")   # skips without the [engines] extra
>>> import tempfile
>>> from splade_beir.interop.jsonvector import SparseVectors
>>> folder = Path(tempfile.mkdtemp())
>>> (folder / "corpus").mkdir()
>>> _ = (folder / "corpus" / "part-00000.jsonl").write_text(
...     '{"id": "d1", "vector": {"Cat": 3, "dog": 1}}\\n{"id": "d2", "vector": {"dog": 2}}\\n')
>>> _ = (folder / "queries.tsv").write_text("q1\\tCat dog dog\\n")
>>> report = crosscheck_pisa(folder, folder / "index", k=10)
>>> report["algorithms"]["block_max_wand"]["ok"], report["algorithms"]["block_max_wand"]["identical"]
(True, 1)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from ...errors import UserError
from ..compare import compare_lists, dot_scorer, exact_lists
from ..jsonvector import Vocabulary, read_vectors
from ..layout import find_corpus, find_queries
from ..quantize import FLOAT32_EXACT, score_bound
from .pisa import PisaEngine, version

ALGORITHMS = ("block_max_wand", "maxscore", "ranked_or")


def crosscheck_pisa(folder: str | Path, index_dir: str | Path, k: int = 10,
                    algorithms: Sequence[str] = ("block_max_wand",), threads: int = 1,
                    corpus: str | None = None, queries: str | None = None) -> dict:
    """Index ``folder``'s corpus with PISA in ``index_dir``, search its queries with each algorithm, and
    compare every top-``k`` list with the exact search's; returns a report (``ok`` per algorithm)."""
    folder = Path(folder)
    vocabulary = Vocabulary()
    docs = read_vectors(find_corpus(folder, "", corpus), vocabulary)
    qs = read_vectors(find_queries(folder, "", queries), vocabulary)
    D, Q = docs.widened(len(vocabulary)), qs.widened(len(vocabulary))
    bound = score_bound(D, Q)
    if bound > FLOAT32_EXACT:
        raise UserError(f"{folder}: scores reach {bound:,}, beyond 2**24, where PISA's float32 scores are not exact; "
                        "export with a smaller --quantization factor to compare")
    t0 = time.perf_counter()
    engine = PisaEngine(index_dir, threads).index(docs)
    report = {"engine": "PISA", "binding": f"pyterrier-pisa {version()}", "folder": str(folder), "k": k,
              "documents": int(D.shape[0]), "postings": int(D.nnz), "queries": int(Q.shape[0]),
              "corpus_files": docs.files, "query_files": qs.files, "max_score_bound": bound,
              "index_s": round(time.perf_counter() - t0, 3), "algorithms": {}}
    exact = exact_lists(Q, D, qs.ids, docs.ids, k)
    scorer = dot_scorer(Q, D, qs.ids, docs.ids)
    for algorithm in algorithms:
        t0 = time.perf_counter()
        lists = engine.search(qs, k, algorithm)
        seconds = round(time.perf_counter() - t0, 3)
        report["algorithms"][algorithm] = {**compare_lists(lists, exact, scorer).as_dict(), "search_s": seconds}
    return report


def describe(report: dict) -> str:
    """One line per algorithm: whether the engine's lists equal the exact search's."""
    lines = []
    for algorithm, r in report["algorithms"].items():
        verdict = "EQUAL to" if r["ok"] else f"DIFFERENT from ({r['n_problems']} queries)"
        lines.append(f"{report['engine']} ({report['binding']}, {algorithm}): top-{report['k']} of {r['queries']} "
                     f"queries {verdict} the exact search's ({r['identical']} identical, {r['ties_only']} differ "
                     f"only among equal scores); {report['documents']:,} documents, {report['postings']:,} postings")
        lines += [f"  {p}" for p in r["problems"][:5]]
    return "\n".join(lines)
