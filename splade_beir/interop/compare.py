"""An engine's top-k lists against the exact search's, on the same vectors: equal except among ties.

Two lists agree when they hold the same score at every rank and every document the engine returns has,
in the vectors, exactly the score the engine gives it: they can then differ only in which of several
documents with equal scores come first (or make the cut). Scores are compared exactly, so the vectors
must be integer impacts whose scores are exact in the engine's arithmetic (float32: up to 2**24).

>>> exact = {"q": [("a", 3.0), ("b", 2.0), ("c", 2.0)]}
>>> scores = {("q", "a"): 3.0, ("q", "b"): 2.0, ("q", "c"): 2.0, ("q", "d"): 2.0}
>>> agreement = compare_lists({"q": [("a", 3.0), ("d", 2.0), ("b", 2.0)]}, exact, lambda q, d: scores[(q, d)])
>>> agreement.ok, agreement.identical, agreement.ties_only
(True, 0, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from ..search.topk import topk

Lists = dict[str, list[tuple[str, float]]]


@dataclass
class Agreement:
    """How an engine's lists compare with the exact ones, query by query."""

    queries: int = 0
    identical: int = 0      # the same documents in the same order
    ties_only: int = 0      # the same score at every rank; documents differ among equal scores only
    hits: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"queries": self.queries, "identical": self.identical, "ties_only": self.ties_only,
                "hits": self.hits, "ok": self.ok, "problems": self.problems[:20], "n_problems": len(self.problems)}


def compare_lists(engine: Lists, exact: Lists, true_score: Callable[[str, str], float]) -> Agreement:
    """Compare ``engine``'s lists with ``exact``'s; ``true_score(query, doc)`` is the vectors' dot product."""
    out = Agreement()
    for qid, want in exact.items():
        got = engine.get(qid, [])
        out.queries += 1
        out.hits += len(got)
        if [s for _, s in got] != [s for _, s in want]:
            out.problems.append(f"{qid}: scores {[s for _, s in got][:12]} where the exact search has "
                                f"{[s for _, s in want][:12]}")
            continue
        wrong = [(d, s, t) for d, s in got if (t := true_score(qid, d)) != s]
        if wrong:
            d, s, t = wrong[0]
            out.problems.append(f"{qid}: the engine scores {d} {s}, the vectors {t}")
        elif [d for d, _ in got] == [d for d, _ in want]:
            out.identical += 1
        else:
            out.ties_only += 1
    for qid in engine.keys() - exact.keys():
        out.problems.append(f"{qid}: returned by the engine, not a query of the exact search")
    return out


def exact_lists(Q: sp.csr_matrix, D: sp.csr_matrix, query_ids: Sequence[str], doc_ids: Sequence[str], k: int,
                threads: int | None = None) -> Lists:
    """The exact search's top ``k`` of every query (positive scores only, ties by corpus order)."""
    indices, scores = topk(Q, D, k, threads=threads)
    return {qid: [(doc_ids[i], float(s)) for i, s in zip(row.tolist(), row_scores.tolist()) if i >= 0]
            for qid, row, row_scores in zip(query_ids, indices, scores)}


def dot_scorer(Q: sp.csr_matrix, D: sp.csr_matrix, query_ids: Sequence[str],
               doc_ids: Sequence[str]) -> Callable[[str, str], float]:
    """``score(query id, doc id)``: the dot product of two rows, in float64."""
    q_row = {q: i for i, q in enumerate(query_ids)}
    d_row = {d: i for i, d in enumerate(doc_ids)}
    Q64, D64 = Q.astype(np.float64).tocsr(), D.astype(np.float64).tocsr()

    def score(qid: str, doc_id: str) -> float:
        if doc_id not in d_row:
            return float("nan")
        return float(Q64[q_row[qid]].multiply(D64[d_row[doc_id]]).sum())

    return score
