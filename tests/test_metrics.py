import math

import numpy as np
import pytest
import pytrec_eval
import scipy.sparse as sp

from splade_beir.metrics import activation_rate, evaluate_run, flops, mean_nnz


def test_flops_hand_example():
    Q = sp.csr_matrix(np.array([[1, 0, 1, 0], [1, 0, 0, 2], [0, 0, 3, 0]], dtype=np.float32))
    D = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0]], dtype=np.float32))
    # p_q = [2/3, 0, 2/3, 1/3], p_d = [1/2, 1, 1/2, 0] -> 1/3 + 0 + 1/3 + 0
    assert np.allclose(activation_rate(Q), [2 / 3, 0, 2 / 3, 1 / 3])
    assert flops(Q, D) == pytest.approx(2 / 3)
    assert mean_nnz(Q) == pytest.approx(5 / 3) and mean_nnz(D) == 2


def test_graded_ndcg_hand_example():
    qrels = {"q": {"a": 2, "b": 1, "c": 0}}
    run = {"q": {"b": 3.0, "a": 2.0, "x": 1.0}}
    means, per_query = evaluate_run(qrels, run)
    dcg = 1 / math.log2(2) + 2 / math.log2(3)  # trec_eval: the gain is the relevance grade itself
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert means["ndcg@10"] == pytest.approx(dcg / idcg)
    assert means["mrr@10"] == 1.0 and means["recall@100"] == 1.0


def test_matches_pytrec_eval_directly_and_counts_empty_runs():
    qrels = {"q1": {"a": 1, "b": 2}, "q2": {"c": 1}, "q3": {"d": 1}}
    run = {"q1": {"a": 1.0, "z": 2.0}, "q2": {"c": 0.5}, "q3": {}}
    means, per_query = evaluate_run(qrels, run)
    direct = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"}).evaluate({k: v for k, v in run.items() if v})
    for q in ("q1", "q2"):
        assert per_query[q]["ndcg@10"] == pytest.approx(direct[q]["ndcg_cut_10"])
    assert per_query["q3"]["ndcg@10"] == 0.0  # a judged query with no hits counts as 0
    assert means["ndcg@10"] == pytest.approx((direct["q1"]["ndcg_cut_10"] + 1.0) / 3)


def test_mrr_cut_at_10():
    qrels = {"q": {"rel": 1}}
    run = {"q": {**{f"n{i}": 100.0 - i for i in range(10)}, "rel": 1.0}}
    assert evaluate_run(qrels, run)[0]["mrr@10"] == 0.0
    run["q"]["rel"] = 95.5
    assert evaluate_run(qrels, run)[0]["mrr@10"] == pytest.approx(1 / 6)
