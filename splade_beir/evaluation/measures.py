"""Retrieval measures as objects that carry their relevance level, computed through pytrec_eval.

A measure is named as ir_measures names it: ``nDCG@10``, ``R@1000``, ``RR@10``, and, when the lowest
grade counted as relevant is not 1, ``R(rel=2)@1000`` or ``RR(rel=2)@10`` (TREC DL's ``trec_eval -l 2``).
nDCG always uses every grade as its gain (trec_eval's linear gain, as beir's ``EvaluateRetrieval``), so
it carries no level. A result stores its means and per-query scores under these names, so a number is
never read under another convention than the one it was computed with.

>>> m = Measure.parse("R(rel=2)@1000")
>>> m, m.label, Measure.parse("nDCG@10").at(2)
(R(rel=2)@1000, 'R@1k', nDCG@10)
>>> [str(m) for m in measures_at(2)]
['nDCG@10', 'R(rel=2)@100', 'R(rel=2)@1000', 'RR(rel=2)@10']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

import numpy as np

from ..search.run import ranked

NAMES = ("nDCG", "R", "RR")
LABELS = {"nDCG": "nDCG", "R": "R", "RR": "MRR"}
_PATTERN = re.compile(r"^(nDCG|R|RR)(?:\(rel=(\d+)\))?@(\d+)$")


@dataclass(frozen=True)
class Measure:
    """``name@cutoff`` at relevance level ``rel`` (the lowest grade that binary measures count)."""

    name: str
    cutoff: int
    rel: int = 1

    def __post_init__(self):
        if self.name not in NAMES or self.cutoff < 1 or self.rel < 1 or (self.name == "nDCG" and self.rel != 1):
            raise ValueError(f"not a measure: {self.name}(rel={self.rel})@{self.cutoff}")

    def __str__(self) -> str:
        level = f"(rel={self.rel})" if self.rel != 1 else ""
        return f"{self.name}{level}@{self.cutoff}"

    __repr__ = __str__

    @classmethod
    def parse(cls, text: str) -> "Measure":
        match = _PATTERN.match(text.strip())
        if not match:
            raise ValueError(f"not a measure name: {text!r} (examples: nDCG@10, R@1000, RR(rel=2)@10)")
        return cls(match[1], int(match[3]), int(match[2] or 1))

    def at(self, rel: int) -> "Measure":
        """This measure at relevance level ``rel`` (nDCG has none: unchanged)."""
        return self if self.name == "nDCG" else replace(self, rel=rel)

    @property
    def label(self) -> str:
        """A short column header: ``nDCG@10``, ``R@1k``, ``MRR@10``."""
        cutoff = f"{self.cutoff // 1000}k" if self.cutoff >= 1000 and self.cutoff % 1000 == 0 else str(self.cutoff)
        return f"{LABELS[self.name]}@{cutoff}"


DEFAULT = (Measure("nDCG", 10), Measure("R", 100), Measure("R", 1000), Measure("RR", 10))
NDCG_10 = DEFAULT[0]


def measures_at(rel: int = 1, measures: Iterable[Measure] = DEFAULT) -> list[Measure]:
    """``measures`` at relevance level ``rel``."""
    return [m.at(rel) for m in measures]


def per_query(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Mapping[str, float]],
              measures: Iterable[Measure] = DEFAULT) -> dict[str, dict[str, float]]:
    """Every measure for every judged query, ``{qid: {measure name: score}}``.

    A judged query with no hits scores 0 (trec_eval -c); beir instead leaves such queries out of its
    average. Runs of unjudged queries are ignored.
    """
    import pytrec_eval

    qrels = {q: {d: int(r) for d, r in rels.items()} for q, rels in qrels.items()}
    run = {q: hits for q, hits in run.items() if q in qrels}
    out: dict[str, dict[str, float]] = {qid: {} for qid in qrels}
    measures = list(measures)
    for measure in measures:  # reciprocal rank within the top `cutoff`: the run is cut first
        if measure.name == "RR":
            cut = {q: dict(ranked(h)[:measure.cutoff]) for q, h in run.items()}
            scores = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}, relevance_level=measure.rel).evaluate(cut)
            for qid in qrels:
                out[qid][str(measure)] = float(scores.get(qid, {}).get("recip_rank", 0.0))
    for rel in sorted({m.rel for m in measures if m.name != "RR"}):  # one pytrec_eval pass per level
        group = [m for m in measures if m.name != "RR" and m.rel == rel]
        names = {m: ("ndcg_cut" if m.name == "nDCG" else "recall", m.cutoff) for m in group}
        wanted = {f"{trec}.{cutoff}" for trec, cutoff in names.values()}
        scores = pytrec_eval.RelevanceEvaluator(qrels, wanted, relevance_level=rel).evaluate(run)
        for qid in qrels:
            for m, (trec, cutoff) in names.items():
                out[qid][str(m)] = float(scores.get(qid, {}).get(f"{trec}_{cutoff}", 0.0))
    return {qid: {str(m): values[str(m)] for m in measures} for qid, values in out.items()}


def aggregate(scores: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Mean of each measure over queries."""
    if not scores:
        return {}
    names = next(iter(scores.values())).keys()
    return {n: float(np.mean([s[n] for s in scores.values()])) for n in names}


def evaluate_run(qrels, run, measures: Iterable[Measure] = DEFAULT) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """``(means, per_query)``."""
    pq = per_query(qrels, run, list(measures))
    return aggregate(pq), pq
