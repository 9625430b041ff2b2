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


def per_query(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per-query scores for every judged query. A judged query with no hits scores 0 (trec_eval -c);
    beir instead leaves such queries out of its average."""
    qrels = {q: {d: int(r) for d, r in rels.items()} for q, rels in qrels.items()}
    run = {q: hits for q, hits in run.items() if q in qrels}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100,1000"})
    scores = evaluator.evaluate(run)
    top10 = {q: dict(ranked(h)[:MRR_DEPTH]) for q, h in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
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


def evaluate_run(qrels, run) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """``(means, per_query)``."""
    pq = per_query(qrels, run)
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
