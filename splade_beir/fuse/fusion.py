"""Score fusion of several runs: per-query min-max normalization centred on 0, then a weighted sum.

Each member's scores for a query are mapped to ``(s - (min + max) / 2) / (max - min)``, so its best
hit gets +0.5 and its worst retrieved hit -0.5. A document a member did not retrieve gets -0.5 from
that member (the bottom of the normalized range), as pyserini's hybrid search does. This equals
min-max normalization to [0, 1] minus 0.5, so the fused ranking is ranx's
``fuse(norm="min-max", method="sum")`` and each fused score is ranx's minus 0.5 x the sum of weights.

When all of a member's hits for a query have the same score (or it has one hit), ``max - min`` is 0:
those hits carry no ranking information among themselves, so each gets 0.0, the middle of the range,
still 0.5 above a document that member did not retrieve. (ranx gives them 0.0 on its [0, 1] scale,
the same as a missing document.)

>>> fuse([{"q": {"a": 3.0, "b": 1.0}}, {"q": {"b": 10.0, "c": 6.0}}])
{'q': {'b': 0.0, 'a': 0.0, 'c': -1.0}}
"""

from __future__ import annotations

from typing import Mapping, Sequence

from ..search.run import Run, ranked

MISSING = -0.5  # what a member contributes (times its weight) for a document it did not retrieve


def normalize_scores(hits: Mapping[str, float]) -> dict[str, float]:
    """``(s - (min + max) / 2) / (max - min)`` for every hit; all hits 0.0 when ``max == min``.

    >>> normalize_scores({"a": 4.0, "b": 2.0, "c": 3.0})
    {'a': 0.5, 'b': -0.5, 'c': 0.0}
    >>> normalize_scores({"a": 7.0, "b": 7.0})
    {'a': 0.0, 'b': 0.0}
    """
    if not hits:
        return {}
    lo, hi = min(hits.values()), max(hits.values())
    if hi == lo:
        return {doc: 0.0 for doc in hits}
    middle, span = (lo + hi) / 2, hi - lo
    return {doc: (score - middle) / span for doc, score in hits.items()}


def fuse(runs: Sequence[Mapping[str, Mapping[str, float]]], weights: Sequence[float] | None = None,
         top_k: int | None = None) -> Run:
    """Fuse runs (``{qid: {docid: score}}``) by the weighted sum of their normalized scores.

    Every query of any run is in the result (a member with no hits for it adds the same -0.5 x weight
    to every document, which leaves the order unchanged). Each query's hits are ordered by fused
    score descending, then document id descending (trec_eval's order), and cut to ``top_k`` when given.
    """
    weights = [1.0] * len(runs) if weights is None else list(weights)
    if len(weights) != len(runs):
        raise ValueError(f"{len(weights)} weights for {len(runs)} runs")
    queries = dict.fromkeys(qid for run in runs for qid in run)
    fused = Run()
    for qid in queries:
        normalized = [normalize_scores(run.get(qid, {})) for run in runs]
        docs = dict.fromkeys(doc for hits in normalized for doc in hits)
        scores = {doc: sum(w * hits.get(doc, MISSING) for w, hits in zip(weights, normalized)) for doc in docs}
        order = ranked(scores)
        fused[qid] = dict(order[:top_k] if top_k is not None else order)
    return fused
