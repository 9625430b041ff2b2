"""Qrels: the graded judgements of a dataset, ``{query_id: {doc_id: grade}}``, read from BEIR's TSV files.

>>> qrels = Qrels({"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}})
>>> qrels.n_judgements, qrels.relevant("q1", level=1)
(3, {'d1'})
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError


class Qrels(dict):
    """``dict[query_id, dict[doc_id, grade]]`` (BEIR's and pytrec_eval's format)."""

    @property
    def n_judgements(self) -> int:
        return sum(len(rels) for rels in self.values())

    def relevant(self, qid: str, level: int = 1) -> set[str]:
        """The documents of ``qid`` judged at ``level`` or above."""
        return {d for d, g in self.get(qid, {}).items() if g >= level}

    @classmethod
    def read_tsv(cls, path: str | Path) -> "Qrels":
        """Read ``query-id  corpus-id  score`` lines (tab-separated; TREC's 4-field ``qid 0 docid rel``
        too). A header line is recognised by its non-integer score, so a header-less file loses no
        judgement (beir's loader always drops the first line)."""
        path = Path(path)
        qrels = cls()
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                fields = line.rstrip("\n\r").split("\t")
                if len(fields) == 4:  # TREC qrels: qid 0 docid rel
                    fields = [fields[0], fields[2], fields[3]]
                if len(fields) != 3:
                    raise UserError(f"{path}:{lineno}: expected 3 tab-separated fields "
                                    f"(query-id, corpus-id, score), found {len(fields)}")
                qid, did, score = (s.strip() for s in fields)
                try:
                    grade = int(score)
                except ValueError:
                    if lineno == 1:
                        continue  # the header
                    raise UserError(f"{path}:{lineno}: score {score!r} is not an integer") from None
                qrels.setdefault(qid, {})[did] = grade
        return qrels
