"""A Run: for each query id, the retrieved document ids and their scores, in rank order.

Stored as a TREC run file (``qid Q0 docid rank score tag``), gzip-compressed.

>>> run = Run({"q1": {"d1": 2.5, "d2": 3.0}})
>>> run.ranked("q1")
[('d2', 3.0), ('d1', 2.5)]
"""

from __future__ import annotations

import gzip
from pathlib import Path

from .atomic import atomic_open
from .errors import UserError


def ranked(hits: dict[str, float]) -> list[tuple[str, float]]:
    """``hits`` as trec_eval ranks them: by score descending, then by document id descending.

    >>> ranked({"a": 1.0, "c": 1.0, "b": 2.0})
    [('b', 2.0), ('c', 1.0), ('a', 1.0)]
    """
    by_id = sorted(hits.items(), key=lambda h: h[0], reverse=True)
    return sorted(by_id, key=lambda h: -h[1])  # stable: equal scores keep the id order


class Run(dict):
    """``dict[query_id, dict[doc_id, score]]`` (BEIR's results format) with TREC file I/O."""

    def ranked(self, qid: str) -> list[tuple[str, float]]:
        """Hits of ``qid`` in trec_eval's order: score descending, ties by document id descending, so
        that the rank written in a run file is the rank pytrec_eval evaluates."""
        return ranked(self[qid])

    def write_trec(self, path: str | Path, tag: str = "splade_beir") -> None:
        """Write atomically; ``.gz`` paths are compressed."""
        path = Path(path)
        with atomic_open(path, "w", compress=path.suffix == ".gz") as f:
            for qid in self:
                f.writelines(f"{qid} Q0 {did} {rank} {score:.9g} {tag}\n"
                             for rank, (did, score) in enumerate(self.ranked(qid), 1))

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
