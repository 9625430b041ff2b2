"""A Run: for each query id, the retrieved document ids and their scores, in rank order.

Stored as a TREC run file (``qid Q0 docid rank score tag``), gzip-compressed.

>>> run = Run({"q1": {"d1": 2.5, "d2": 3.0}})
>>> run.ranked("q1")
[('d2', 3.0), ('d1', 2.5)]
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..atomic import atomic_open
from ..errors import UserError


def ranked(hits: dict[str, float]) -> list[tuple[str, float]]:
    """``hits`` as trec_eval ranks them: by score descending, then by document id descending.

    >>> ranked({"a": 1.0, "c": 1.0, "b": 2.0})
    [('b', 2.0), ('c', 1.0), ('a', 1.0)]
    """
    by_id = sorted(hits.items(), key=lambda h: h[0], reverse=True)
    return sorted(by_id, key=lambda h: -h[1])  # stable: equal scores keep the id order


# gzip level of run files: 1 compresses 1M hits in ~0.7 s where 9 took ~5 s, for files ~25% larger;
# equal runs still give equal bytes (the gzip header's time is fixed).
GZIP_LEVEL = 1


class Run(dict):
    """``dict[query_id, dict[doc_id, score]]`` (BEIR's results format) with TREC file I/O."""

    def ranked(self, qid: str) -> list[tuple[str, float]]:
        """Hits of ``qid`` in trec_eval's order: score descending, ties by document id descending, so
        that the rank written in a run file is the rank pytrec_eval evaluates."""
        return ranked(self[qid])

    def write_trec(self, path: str | Path, tag: str = "splade_beir") -> None:
        """Write atomically; ``.gz`` paths are compressed."""
        path = Path(path)
        with atomic_open(path, "w", compress=GZIP_LEVEL if path.suffix == ".gz" else False) as f:
            self.write_lines(f, tag)

    def write_lines(self, f, tag: str = "splade_beir") -> None:
        """Write the TREC lines to an open text file, queries in the run's order."""
        for qid in self:
            f.writelines(f"{qid} Q0 {did} {rank} {score:.9g} {tag}\n"
                         for rank, (did, score) in enumerate(self.ranked(qid), 1))

    @classmethod
    def from_topk(cls, indices: np.ndarray, scores: np.ndarray, query_ids: Sequence[str], doc_ids: Sequence[str],
                  k: int | None = None, drop_identical_ids: bool = True) -> "Run":
        """Top-k arrays (rows: queries, index -1 = no hit) as a Run; a hit whose document id equals the
        query id is dropped (BEIR convention), and each list is cut to ``k``."""
        k = k or indices.shape[1]
        run = cls()
        for qid, row_idx, row_sc in zip(query_ids, indices, scores):
            hits: dict[str, float] = {}
            for i, s in zip(row_idx.tolist(), row_sc.tolist()):
                if i < 0 or len(hits) == k:
                    break
                did = doc_ids[i]
                if drop_identical_ids and did == qid:
                    continue
                hits[did] = s
            run[qid] = hits
        return run

    @classmethod
    def read_trec(cls, path: str | Path) -> "Run":
        """Read a TREC run file (plain or ``.gz``); a malformed line names the file and line."""
        path = Path(path)
        if not path.is_file():
            raise UserError(f"{path}: run file missing")
        opener = gzip.open if path.suffix == ".gz" else open
        run = cls()
        with opener(path, "rt", encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 6:
                    raise UserError(f"{path}:{lineno}: expected 6 fields (qid Q0 docid rank score tag)")
                try:
                    score = float(fields[4])
                except ValueError:
                    raise UserError(f"{path}:{lineno}: score {fields[4]!r} is not a number") from None
                run.setdefault(fields[0], {})[fields[2]] = score
        return run


TopK = Callable[[object, object, int], tuple[np.ndarray, np.ndarray]]  # (queries, documents, k) -> arrays


def search_run(topk: TopK, queries, documents, query_ids: Sequence[str], doc_ids: Sequence[str], top_k: int) -> Run:
    """The ``top_k`` hits of every query as a Run, never the query's own id (BEIR convention).

    ``topk(queries, documents, k)`` is any exact top-k search; it is asked for one hit more than
    ``top_k``, so that dropping the query's own id still leaves ``top_k``, and never for more than there
    are documents (a huge ``top_k`` allocates nothing huge). Every retriever goes through here: this is
    the one place that rule is written.

    >>> import numpy as np
    >>> fake = lambda Q, D, k: (np.array([[0, 1, 2][:k]]), np.array([[3.0, 2.0, 1.0][:k]]))
    >>> search_run(fake, None, None, ["d1"], ["d1", "d2", "d3"], top_k=2)
    {'d1': {'d2': 2.0, 'd3': 1.0}}
    """
    indices, scores = topk(queries, documents, max(1, min(top_k + 1, len(doc_ids))))
    return Run.from_topk(indices, scores, query_ids, doc_ids, k=top_k)
