"""Qrels: the graded judgements of a dataset, ``{query_id: {doc_id: grade}}``, read from BEIR's TSV files.

>>> qrels = Qrels({"q1": {"d1": 2, "d2": 0}, "q2": {"d3": 1}})
>>> qrels.n_judgements, qrels.relevant("q1", level=1)
(3, {'d1'})
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UserError
from ..textio import iter_lines
from .records import check_id

GRADE_RANGE = (-2**31, 2**31 - 1)  # pytrec_eval keeps grades in 32-bit integers
INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII only: Python's int() would also take "١" or "1_0"
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|nan)", re.IGNORECASE)


class Qrels(dict):
    """``dict[query_id, dict[doc_id, grade]]`` (BEIR's and pytrec_eval's format); ``warnings`` holds what
    reading it noticed (repeated judgements)."""

    warnings: list[str] = []

    @property
    def n_judgements(self) -> int:
        return sum(len(rels) for rels in self.values())

    def relevant(self, qid: str, level: int = 1) -> set[str]:
        """The documents of ``qid`` judged at ``level`` or above."""
        return {d for d, g in self.get(qid, {}).items() if g >= level}

    @classmethod
    def read_tsv(cls, path: str | Path) -> "Qrels":
        """Read ``query-id  corpus-id  score`` lines (tab-separated; TREC's 4-field ``qid 0 docid rel`` too).

        A header line is recognised by a score that is not a number, so a header-less file loses no judgement
        (beir's loader always drops the first line); a UTF-8 byte-order mark is dropped. A pair judged twice
        with different grades keeps the last grade, with a warning naming both lines.
        """
        path = Path(path)
        qrels, lines, warnings = cls(), {}, []
        for lineno, line in iter_lines(path):
            if not line.strip():
                continue
            fields = line.rstrip("\n\r").split("\t")
            if len(fields) == 4:  # TREC qrels: qid 0 docid rel
                fields = [fields[0], fields[2], fields[3]]
            if len(fields) != 3:
                raise UserError(f"{path}:{lineno}: expected 3 tab-separated fields "
                                f"(query-id, corpus-id, score), found {len(fields)}")
            qid, did, score = (s.strip() for s in fields)
            if not INTEGER.fullmatch(score):
                if lineno == 1 and not NUMBER.fullmatch(score) and not any(c.isdigit() for c in score):
                    continue  # the header: a score with no number in it, such as "score"
                raise UserError(f"{path}:{lineno}: score {score!r} is not an integer (grades are whole numbers "
                                "written with the digits 0-9)")
            grade = int(score)
            if not GRADE_RANGE[0] <= grade <= GRADE_RANGE[1]:
                raise UserError(f"{path}:{lineno}: score {grade} is outside the 32-bit range of grades "
                                f"({GRADE_RANGE[0]} to {GRADE_RANGE[1]})")
            qid, did = check_id(qid, path, lineno, "query-id"), check_id(did, path, lineno, "corpus-id")
            previous = qrels.setdefault(qid, {}).get(did)
            if previous is not None and previous != grade:
                warnings.append(f"{path}:{lineno}: ({qid}, {did}) judged {grade} here and {previous} on line "
                                f"{lines[qid, did]}; the last judgement counts")
            qrels[qid][did], lines[qid, did] = grade, lineno
        qrels.warnings = warnings
        return qrels
