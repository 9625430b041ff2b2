"""Retrieval metrics through pytrec_eval (graded nDCG as beir computes it), and the FLOPS cost.

>>> import numpy as np, scipy.sparse as sp
>>> Q = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 0]], dtype=np.float32))
>>> D = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 0]], dtype=np.float32))
>>> flops(Q, D)   # p_q = [1, 0, .5], p_d = [.5, 1, 0]  ->  1 * .5
0.5
"""

from __future__ import annotations

import numpy as np
import pytrec_eval
import scipy.sparse as sp

from .run import ranked

# Our name -> pytrec_eval measure. recall and ndcg are pytrec_eval's own; MRR@10 is
# recip_rank over the run cut at 10 (what beir's custom mrr computes).
MEASURES = {"ndcg@10": "ndcg_cut_10", "recall@100": "recall_100", "recall@1000": "recall_1000"}
MRR_DEPTH = 10


def per_query(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]],
              relevance_level: int = 1) -> dict[str, dict[str, float]]:
    """Per-query scores for every judged query. A judged query with no hits scores 0 (trec_eval -c);
    beir instead leaves such queries out of its average.

    ``relevance_level`` is the lowest grade that the binary measures (recall, MRR) count as relevant,
    as ``trec_eval -l``: TREC DL uses 2. nDCG always uses every grade as its gain.
    """
    if isinstance(relevance_level, bool) or not isinstance(relevance_level, int) or relevance_level < 1:
        raise ValueError(f"relevance_level must be a positive integer, got {relevance_level!r}")
    qrels = {q: {d: int(r) for d, r in rels.items()} for q, rels in qrels.items()}
    run = {q: hits for q, hits in run.items() if q in qrels}
    if relevance_level == 1:
        scores = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100,1000"}).evaluate(run)
    else:  # graded nDCG stays at the default level; only the binary measures move
        scores = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"}).evaluate(run)
        binary = pytrec_eval.RelevanceEvaluator(qrels, {"recall.100,1000"},
                                                relevance_level=relevance_level).evaluate(run)
        for qid, values in binary.items():
            scores.setdefault(qid, {}).update(values)
    top10 = {q: dict(ranked(h)[:MRR_DEPTH]) for q, h in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}, relevance_level=relevance_level).evaluate(top10)
    out = {}
    for qid in qrels:
        s = scores.get(qid, {})
        out[qid] = {name: float(s.get(m, 0.0)) for name, m in MEASURES.items()}
        out[qid][f"mrr@{MRR_DEPTH}"] = float(rr.get(qid, {}).get("recip_rank", 0.0))
    return out


def aggregate(scores: dict[str, dict[str, float]]) -> dict[str, float]:
    """Mean of each measure over queries."""
    if not scores:
        return {}
    names = next(iter(scores.values())).keys()
    return {n: float(np.mean([s[n] for s in scores.values()])) for n in names}


def evaluate_run(qrels, run, relevance_level: int = 1) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """``(means, per_query)``; ``relevance_level`` as in :func:`per_query`."""
    pq = per_query(qrels, run, relevance_level)
    return aggregate(pq), pq


def activation_rate(M: sp.csr_matrix) -> np.ndarray:
    """p(j): the fraction of rows in which column j is non-zero."""
    M = M.tocsr()
    present = np.bincount(M.indices[M.data != 0], minlength=M.shape[1])
    return present / max(M.shape[0], 1)


def flops(Q: sp.csr_matrix, D: sp.csr_matrix) -> float:
    """Expected number of multiplications per query-document pair: sum_j p_q(j) p_d(j)."""
    return float(np.dot(activation_rate(Q), activation_rate(D)))


def mean_nnz(M: sp.csr_matrix) -> float:
    """Mean number of non-zero entries per row."""
    return float(M.count_nonzero() / max(M.shape[0], 1))
